//! nextmini-core: the sans-IO logic of the nextmini dataplane.
//!
//! Nothing in this crate performs I/O or reads a clock. Time comes in as an argument
//! (microseconds on a caller-chosen monotonic timeline) and randomness as seeds, so every
//! behaviour is reproducible in tests with a simulated network and virtual time.
//!
//! Modules are split by mechanism:
//! - [`wire`]: the versioned binary header of every dataplane datagram.
//! - [`error`]: typed errors, each with a stable code string used at the JS boundary.
//! - [`wasm`]: the wasm-bindgen boundary (coarse calls, bytes in/out).

pub mod error;
pub mod lossless;
pub mod wire;

pub mod wasm;

pub use error::{CoreError, ErrorCode};
