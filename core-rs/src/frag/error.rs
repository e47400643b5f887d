//! Typed errors of fragmentation (sender side) and drop reasons of reassembly (receiver side).

use crate::error::{CoreError, ErrorCode};
use crate::wire::HEADER_LEN;
use std::fmt;

/// Why a payload could not be fragmented, or a reassembler could not be configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FragError {
    /// The payload exceeds the configured maximum (or the 32-bit `total_len` of the wire).
    PayloadTooLarge { len: usize, max: usize },
    /// The MTU cannot carry a header plus at least one payload byte.
    MtuTooSmall { mtu: usize },
    /// A [`super::ReassemblyConfig`] value makes no sense.
    InvalidConfig { field: &'static str, reason: String },
}

impl fmt::Display for FragError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FragError::PayloadTooLarge { len, max } => {
                write!(f, "payload of {len} bytes exceeds the maximum of {max} bytes")
            }
            FragError::MtuTooSmall { mtu } => write!(
                f,
                "mtu of {mtu} bytes cannot carry the {HEADER_LEN}-byte header plus one payload byte (minimum {})",
                HEADER_LEN + 1
            ),
            FragError::InvalidConfig { field, reason } => {
                write!(f, "invalid reassembly config: {field} {reason}")
            }
        }
    }
}

impl std::error::Error for FragError {}

impl CoreError for FragError {
    fn code(&self) -> ErrorCode {
        match self {
            FragError::PayloadTooLarge { .. } => ErrorCode::PayloadTooLarge,
            // The MTU is a property of the configured link, not of this particular call.
            FragError::MtuTooSmall { .. } | FragError::InvalidConfig { .. } => {
                ErrorCode::ConfigInvalid
            }
        }
    }
}

/// How a fragment disagrees with itself or with the fragments already seen for its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inconsistency {
    /// `payload_len` in the header differs from the bytes handed in.
    PayloadLen { payload_len: u16, available: usize },
    /// `frag_count` is zero or `frag_index >= frag_count`.
    Index { index: u32, count: u32 },
    /// A single-fragment message whose piece is not the whole message.
    SingleLength { payload_len: u16, total_len: u32 },
    /// `total_len` differs from the first fragment seen for this message.
    TotalLen { expected: u32, found: u32 },
    /// `frag_count` differs from the first fragment seen for this message.
    FragCount { expected: u32, found: u32 },
    /// `session_id` or `tree_id` differs from the first fragment seen for this message.
    Metadata,
    /// The piece cannot belong to any fragmentation of `total_len` into `frag_count`
    /// equal pieces plus a non-empty remainder no larger than them.
    Impossible {
        index: u32,
        count: u32,
        total_len: u32,
        payload_len: u16,
    },
    /// The piece's size differs from what the message's piece size implies for its index.
    PieceLen {
        index: u32,
        expected: u32,
        found: u16,
    },
    /// `offset + payload_len` runs past `total_len`.
    OutOfBounds {
        offset: u64,
        payload_len: u16,
        total_len: u32,
    },
}

impl fmt::Display for Inconsistency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Inconsistency::PayloadLen { payload_len, available } => {
                write!(f, "payload_len {payload_len} but {available} bytes present")
            }
            Inconsistency::Index { index, count } => {
                write!(f, "fragment index {index} is not below fragment count {count}")
            }
            Inconsistency::SingleLength { payload_len, total_len } => write!(
                f,
                "single fragment carries {payload_len} bytes of a {total_len}-byte message"
            ),
            Inconsistency::TotalLen { expected, found } => {
                write!(f, "total_len {found} disagrees with {expected} seen earlier")
            }
            Inconsistency::FragCount { expected, found } => {
                write!(f, "frag_count {found} disagrees with {expected} seen earlier")
            }
            Inconsistency::Metadata => {
                write!(f, "session_id or tree_id disagrees with earlier fragments")
            }
            Inconsistency::Impossible { index, count, total_len, payload_len } => write!(
                f,
                "fragment {index}/{count} of {payload_len} bytes cannot split a {total_len}-byte message"
            ),
            Inconsistency::PieceLen { index, expected, found } => {
                write!(f, "fragment {index} carries {found} bytes, expected {expected}")
            }
            Inconsistency::OutOfBounds { offset, payload_len, total_len } => write!(
                f,
                "{payload_len} bytes at offset {offset} run past total_len {total_len}"
            ),
        }
    }
}

/// Why [`super::Reassembler::handle`] dropped a fragment. Each variant is counted in
/// [`super::ReassemblyStats`]; none of them disturbs other messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReassemblyDrop {
    /// The message claims more than `max_payload_bytes` (counted in `dropped_too_large`).
    TooLarge { total_len: u32, max: usize },
    /// The fragment is malformed or disagrees with its message (`dropped_inconsistent`).
    Inconsistent(Inconsistency),
    /// Starting this message would exceed `max_buffered_bytes` (`dropped_no_memory`).
    BudgetExhausted {
        needed: usize,
        buffered: usize,
        max: usize,
    },
    /// `max_incomplete_messages` are already in progress (`dropped_no_memory`).
    TooManyIncomplete { max: usize },
}

impl fmt::Display for ReassemblyDrop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReassemblyDrop::TooLarge { total_len, max } => {
                write!(
                    f,
                    "message of {total_len} bytes exceeds the maximum of {max} bytes"
                )
            }
            ReassemblyDrop::Inconsistent(why) => write!(f, "inconsistent fragment: {why}"),
            ReassemblyDrop::BudgetExhausted {
                needed,
                buffered,
                max,
            } => write!(
                f,
                "reassembly needs {needed} bytes but {buffered} of {max} are already buffered"
            ),
            ReassemblyDrop::TooManyIncomplete { max } => {
                write!(f, "already {max} incomplete messages in reassembly")
            }
        }
    }
}

impl std::error::Error for ReassemblyDrop {}

impl CoreError for ReassemblyDrop {
    fn code(&self) -> ErrorCode {
        match self {
            ReassemblyDrop::TooLarge { .. } => ErrorCode::PayloadTooLarge,
            ReassemblyDrop::Inconsistent(_) => ErrorCode::MalformedPacket,
            // The reassembly buffer is the bounded queue in front of delivery.
            ReassemblyDrop::BudgetExhausted { .. } | ReassemblyDrop::TooManyIncomplete { .. } => {
                ErrorCode::QueueFull
            }
        }
    }
}
