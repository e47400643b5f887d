//! Fragmentation of messages to the link MTU, and bounded reassembly at the destination.
//!
//! A message larger than one datagram is cut into `frag_count` pieces. Every piece but the
//! last carries exactly the same number of bytes (the *piece size*), so fragment `i` starts
//! at byte `i * piece_size`; the last one carries the remainder (at least one byte). This
//! rule is what lets the receiver check each fragment against the others without trusting
//! any single header, and it bounds `frag_count <= total_len` for a multi-fragment message.
//!
//! - [`fragment`] (in `fragmenter.rs`) produces the datagrams lazily, one at a time.
//! - [`Reassembler`] (in `reassembler.rs`) collects fragments under a memory budget and
//!   expires incomplete messages on caller-supplied time.
//! - Errors and drop reasons live in `error.rs`.

mod error;
mod fragmenter;
mod reassembler;

#[cfg(test)]
mod tests;

pub use error::{FragError, Inconsistency, ReassemblyDrop};
pub use fragmenter::{fragment, max_piece_len, Fragments};
pub use reassembler::{Reassembled, Reassembler, ReassemblyConfig, ReassemblyStats};
