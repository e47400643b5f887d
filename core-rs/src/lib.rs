//! nextmini-core: the sans-IO logic of the nextmini dataplane.
//!
//! Nothing in this crate performs I/O or reads a clock. Time comes in as an argument
//! (microseconds on a caller-chosen monotonic timeline) and randomness as seeds, so every
//! behaviour is reproducible in tests with a simulated network and virtual time.
//!
//! Modules are split by mechanism:
//! - [`wire`]: the versioned binary header of every dataplane datagram.
//! - [`frag`]: fragmentation to the MTU and bounded reassembly.
//! - [`groups`]: the controller's multicast group state and per-node tables.
//! - [`link`]: link emulation (rate, delay, jitter, loss, queue limits).
//! - [`topology`]: topology generation, unicast routes, multicast trees.
//! - [`lossless`]: reliable bulk sessions to many receivers (NACK rounds, RaptorQ repair).
//! - [`stream`]: reliable ordered byte streams between (node, port) pairs (SACK, RACK, model-based congestion control).
//! - [`auth`]: per-hop datagram tags (ChaCha20-Poly1305) and replay windows.
//! - [`node`]: the per-node engine that ties them together (see its drive loop).
//! - [`error`]: typed errors, each with a stable code string used at the JS boundary.
//! - [`wasm`]: the wasm-bindgen boundary (coarse calls, bytes in/out).

pub mod auth;
pub mod error;
pub mod frag;
pub mod groups;
pub mod link;
pub mod lossless;
pub mod node;
pub mod stream;
pub mod topology;
pub mod wire;

pub mod wasm;

pub use error::{CoreError, ErrorCode};
