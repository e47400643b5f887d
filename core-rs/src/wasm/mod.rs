//! The wasm-bindgen boundary. Rules kept here:
//! - few, coarse calls; bytes cross as `Uint8Array` (`&[u8]` in, `Vec<u8>` out), several
//!   datagrams per call in a simple length-prefixed batch (see [`batch`]);
//! - time crosses as `f64` milliseconds on the host's monotonic clock and becomes `u64`
//!   microseconds inside;
//! - every typed core error is converted exactly once, by [`js_error`], into an `Error` whose
//!   message is `"<CODE>|<readable message>"`; the TypeScript boundary turns that into a
//!   `NextminiError` with `code` set;
//! - nothing here calls into JS while core state is being mutated (events are queued in the
//!   core and drained by the host after the call returns).

pub mod batch;
pub mod bench;
mod controller;
mod groups;
mod header;
mod link;
mod node;
mod stream;

pub use controller::WasmTopology;
pub use groups::WasmGroups;
pub use header::WireHeader;
pub use node::WasmNode;

use crate::error::CoreError;
use wasm_bindgen::prelude::*;

/// Converts a typed core error into the boundary's error format.
pub fn js_error<E: CoreError>(e: E) -> JsError {
    JsError::new(&format!("{}|{}", e.code().as_str(), e))
}

/// Host milliseconds (f64) to core microseconds; negative or NaN clamps to 0.
pub(crate) fn micros(now_ms: f64) -> u64 {
    if now_ms.is_finite() && now_ms > 0.0 {
        (now_ms * 1000.0) as u64
    } else {
        0
    }
}
