//! Typed errors. Each operation returns its own error enum; all of them map to one stable
//! [`ErrorCode`] string, which the TypeScript side surfaces as `NextminiError.code`.

use std::fmt;

/// Stable error codes shared with the TypeScript SDK. Never rename a variant's string:
/// users match on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// A datagram or message could not be decoded.
    MalformedPacket,
    /// An index or range lies outside a buffer.
    OutOfRange,
    /// A configuration value is missing or invalid.
    ConfigInvalid,
    /// A call's argument is invalid.
    InvalidArgument,
    /// A payload exceeds the configured maximum.
    PayloadTooLarge,
    /// No route leads to the destination.
    NoRoute,
    /// A bounded queue is full.
    QueueFull,
    /// A node id is not part of the topology.
    UnknownNode,
    /// Multicast routes are not a DAG rooted at the source, or name unknown nodes.
    InvalidRoutes,
    /// A bounded pool (e.g. multicast addresses) has nothing left to hand out.
    PoolExhausted,
    /// A session id names no session of this endpoint.
    UnknownSession,
    /// The operation needs a completed session (e.g. taking a receiver's data early).
    NotComplete,
    /// A group id names no group.
    UnknownGroup,
    /// Only a group's source may do this.
    NotGroupSource,
    /// Nothing listens on the stream's destination port.
    ConnectionRefused,
    /// The peer aborted the stream.
    ConnectionReset,
    /// The peer (or an operation) did not answer in time.
    Timeout,
    /// The stream (or object) is closed.
    Closed,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedPacket => "MALFORMED_PACKET",
            ErrorCode::OutOfRange => "OUT_OF_RANGE",
            ErrorCode::ConfigInvalid => "CONFIG_INVALID",
            ErrorCode::InvalidArgument => "INVALID_ARGUMENT",
            ErrorCode::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            ErrorCode::NoRoute => "NO_ROUTE",
            ErrorCode::QueueFull => "QUEUE_FULL",
            ErrorCode::UnknownNode => "UNKNOWN_NODE",
            ErrorCode::InvalidRoutes => "INVALID_ROUTES",
            ErrorCode::PoolExhausted => "POOL_EXHAUSTED",
            ErrorCode::UnknownSession => "UNKNOWN_SESSION",
            ErrorCode::NotComplete => "NOT_COMPLETE",
            ErrorCode::UnknownGroup => "UNKNOWN_GROUP",
            ErrorCode::NotGroupSource => "NOT_GROUP_SOURCE",
            ErrorCode::ConnectionRefused => "CONNECTION_REFUSED",
            ErrorCode::ConnectionReset => "CONNECTION_RESET",
            ErrorCode::Timeout => "TIMEOUT",
            ErrorCode::Closed => "CLOSED",
        }
    }
}

/// Implemented by every typed error of the crate, so the boundary converts them in one place.
pub trait CoreError: fmt::Display {
    fn code(&self) -> ErrorCode;
}
