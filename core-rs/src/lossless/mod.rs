//! Lossless sessions: reliable bulk transfer of one buffer from a source node to one or many
//! receivers (a multicast group or a single node) across lossy datagrams.
//!
//! The design follows NORM (RFC 5740) in spirit: the sender announces a [`Manifest`], sends
//! the buffer once in MTU-sized chunks, then runs *status rounds*: it asks for status,
//! every receiver reports what it still misses (compact ranges, or per-block symbol needs),
//! and the sender repairs the union. With FEC on, repair is systematic RaptorQ (RFC 6330):
//! source symbols are the chunks themselves, and repair symbols are generated only for blocks
//! that someone reported short of symbols, as many as the worst receiver lacks, so one repair
//! symbol fixes different losses at different receivers and a loss-free transfer never encodes.
//!
//! Sans-IO: nothing here reads a clock or touches a socket. [`Endpoint`] is driven with
//! `handle_frame` / `handle_timeout` (time is `now`, microseconds) and drained with
//! `poll_transmit` / `poll_event` / `poll_timeout`. Frames are the payload after the 40-byte
//! dataplane [`crate::wire::Header`]; the header's `session_id` carries the sender-chosen
//! wire session id.
//!
//! Files: [`frame`] (codec), [`manifest`] (transfer geometry), [`config`], [`pacing`]
//! (token bucket, gain cycle, AIMD fallback), [`delivery`] (delivery-rate feedback during a pass), [`fec`] (RaptorQ glue), `bitmap`, `sender`, `receiver`,
//! [`endpoint`], and the `sim` test harness.

mod bitmap;
pub mod config;
pub mod delivery;
pub mod endpoint;
pub mod fec;
pub mod frame;
pub mod manifest;
pub mod pacing;
mod receiver;
mod sender;

#[cfg(test)]
mod sim;
#[cfg(test)]
mod tests;

pub use config::{DataBucket, LosslessConfig};
pub use endpoint::{Counters, Endpoint};
pub use frame::QuitReason;
pub use frame::{Frame, FrameError};
pub use manifest::Manifest;
pub use pacing::Congestion;

use crate::error::{CoreError, ErrorCode};
use std::fmt;
use std::sync::Arc;

/// Where a session's downstream frames go: a multicast group or one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dest {
    Group(u32),
    Node(u32),
}

/// The port pair of a session: `src` is the sender's port, `dst` the receivers' port.
/// Both sides configure the same pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Ports {
    pub src: u16,
    pub dst: u16,
}

/// A local handle for a session of one [`Endpoint`]. Distinct from the wire session id,
/// which the sender chooses and receivers adopt from its manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(pub u32);

#[derive(Debug, Clone)]
pub struct SenderConfig {
    /// Must equal the endpoint's node.
    pub local_node: u32,
    /// The wire session id, chosen by the host from its CSPRNG (the core has no randomness
    /// of its own): non-zero and not used by another running sender of this endpoint.
    pub session_id: u32,
    pub group_or_dest: Dest,
    /// Every node that must confirm the whole buffer. For `Dest::Node(n)` exactly `[n]`.
    pub receivers: Vec<u32>,
    /// The buffer; shared so large buffers are not copied.
    pub data: Arc<Vec<u8>>,
    /// `None`: the node's `default_chunk_size`. Clamped to what one datagram carries.
    pub chunk_size: Option<u32>,
    pub ports: Ports,
    /// How this session's sender adapts its rate; see [`Congestion`].
    pub congestion: Congestion,
}

#[derive(Debug, Clone)]
pub struct ReceiverConfig {
    /// Must equal the endpoint's node.
    pub local_node: u32,
    pub source_node: u32,
    /// The group the sender sends to, or `Dest::Node(local_node)` for unicast.
    pub dest: Dest,
    /// The only size this receiver accepts; allocated once when the manifest matches.
    pub expected_bytes: u64,
    /// Advisory only (must not be 0): the sender's manifest decides the chunk geometry,
    /// since only the sender knows its MTU clamp.
    pub chunk_size: Option<u32>,
    pub ports: Ports,
}

/// A frame to send: the host wraps it in a dataplane header with `kind = Lossless`,
/// `dst` from `dest`, and `session_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    pub dest: Dest,
    pub session_id: u32,
    pub frame: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    pub bytes_total: u64,
    /// Sender: bytes every listed receiver is known to hold (the least of the per-receiver
    /// figures of [`ReceiverProgress`], failed and unreachable receivers included at what they
    /// last reported). Receiver: bytes held.
    pub bytes_done: u64,
    /// Sender: bytes sent at least once (the first pass; resent chunks are not counted
    /// again), so a progress bar moves before the first confirmation, which takes a status
    /// round after the pass. Never below `bytes_done`. Receiver: 0.
    pub bytes_sent: u64,
    /// Sender: receivers that confirmed everything. Receiver: 1 once complete.
    pub receivers_done: u32,
    /// Source chunks sent again after the first pass.
    pub retransmitted: u64,
    /// RaptorQ repair symbols sent (sender) or received (receiver).
    pub repair_symbols: u64,
    /// All data frames (source and repair) sent (sender) or accepted (receiver).
    pub data_frames: u64,
}

/// Where one receiver of a sender's session stands, as the sender knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiverProgress {
    pub node: u32,
    /// Bytes the receiver holds by its last complete status report (a lower bound: a report
    /// counts a block short of `n` symbols as `n` whole chunks missing); the total once DONE.
    pub bytes_done: u64,
    pub state: ReceiverState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiverState {
    Active,
    Completed,
    /// Given up on by the sender (silent, see [`Outcome::ReceiverUnreachable`]).
    Unreachable,
    /// The receiver ended its side and said why (QUIT).
    ChecksumMismatch {
        computed: u32,
    },
    SizeMismatch {
        expected: u64,
    },
    Cancelled,
    Timeout,
}

/// How a session ended.
///
/// A sender ends when no listed receiver is still active. If not all completed, its outcome
/// is the first that applies, in this order: `Cancelled` (cancelled locally), then the
/// receivers' own reasons `ChecksumMismatch`, `SizeMismatch`, `ReceiverAborted`, and last
/// `ReceiverUnreachable` — a cause a receiver reported beats silence, and an integrity
/// failure beats a configuration mismatch. [`ReceiverProgress`] tells each receiver's fate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Completed,
    /// A receiver heard nothing valid from its sender for `idle_timeout_ms`.
    Timeout,
    /// Cancelled locally, or (on a receiver) aborted by the sender.
    Cancelled,
    /// The sender gave up on these receivers (silent through `max_silent_rounds` status
    /// rounds and `unreachable_timeout_ms`); every other receiver completed.
    ReceiverUnreachable(Vec<u32>),
    /// Sender: these receivers ended their side themselves (cancelled locally, or timed out)
    /// and said so; every other receiver completed or failed less specifically.
    ReceiverAborted(Vec<u32>),
    /// The manifest announced a different size than the receiver expects (on a sender: a
    /// receiver reported so; `expected` is that receiver's size).
    SizeMismatch {
        expected: u64,
        announced: u64,
    },
    /// All chunks arrived but the whole-buffer checksum did not verify (on a sender: a
    /// receiver reported so, with what it computed).
    ChecksumMismatch {
        expected: u32,
        computed: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Progress { id: SessionId, progress: Progress },
    Completed { id: SessionId },
    Failed { id: SessionId, outcome: Outcome },
}

/// Errors of the lossless API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LosslessError {
    InvalidArgument(String),
    Config(String),
    UnknownSession(SessionId),
    /// The session has not completed (or ended without completing).
    NotComplete {
        id: SessionId,
        outcome: Option<Outcome>,
    },
    /// `take_data` was already called for this session.
    AlreadyTaken(SessionId),
}

impl fmt::Display for LosslessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LosslessError::InvalidArgument(m) => write!(f, "invalid argument: {m}"),
            LosslessError::Config(m) => write!(f, "invalid lossless_runtime_config: {m}"),
            LosslessError::UnknownSession(id) => write!(f, "no lossless session {}", id.0),
            LosslessError::NotComplete { id, outcome: None } => {
                write!(f, "lossless session {} has not completed", id.0)
            }
            LosslessError::NotComplete {
                id,
                outcome: Some(o),
            } => {
                write!(
                    f,
                    "lossless session {} ended without completing: {o:?}",
                    id.0
                )
            }
            LosslessError::AlreadyTaken(id) => {
                write!(f, "the data of lossless session {} was already taken", id.0)
            }
        }
    }
}

impl std::error::Error for LosslessError {}

impl CoreError for LosslessError {
    fn code(&self) -> ErrorCode {
        match self {
            LosslessError::InvalidArgument(_) | LosslessError::AlreadyTaken(_) => {
                ErrorCode::InvalidArgument
            }
            LosslessError::Config(_) => ErrorCode::ConfigInvalid,
            LosslessError::UnknownSession(_) => ErrorCode::UnknownSession,
            LosslessError::NotComplete { .. } => ErrorCode::NotComplete,
        }
    }
}

fn invalid(msg: impl Into<String>) -> LosslessError {
    LosslessError::InvalidArgument(msg.into())
}
