//! Reliable, ordered byte streams between (node, port) pairs, sans-IO.
//!
//! # Design
//!
//! **Frames.** A stream frame travels as the payload of a dataplane datagram of kind
//! [`crate::wire::PacketKind::Stream`] (unicast to one node, so it is forwarded and
//! link-emulated like any unicast datagram). Its own header ([`frame`]) carries flags
//! (SYN, ACK, FIN, RST, PING), both ports, a 64-bit sequence number and cumulative ack,
//! the receive window and up to four SACK blocks. Frames never exceed one datagram: the
//! payload per frame (MSS) is `mtu - 40 - 28 - 4 · 16` (small MTUs carry fewer SACK blocks,
//! see [`frame::Geometry`]).
//!
//! **State machine** (`conn.rs`). `connect` sends a SYN (`SynSent`); a listener answers
//! SYN|ACK (`SynRcvd`), the connector's ACK (or first data) opens both sides (`Open`). A SYN
//! to a port nobody listens on (or beyond a full backlog) is answered with an RST: the
//! connector gets `CONNECTION_REFUSED`. `close` is a half-close: a FIN follows the buffered
//! data and reading goes on until the peer's FIN; once both FINs are through the connection
//! lingers in `TimeWait` for `time_wait_us` (to re-ACK a retransmitted FIN) and leaves.
//! `abort` sends an RST: the peer gets `CONNECTION_RESET`. A frame for no connection is
//! answered with an RST. A connector whose SYN draws a plain ACK (the peer still holds an
//! older connection on the same ports, e.g. after a restart) resets that connection and
//! gets through on its next SYN. Half-open connections the application never saw leave
//! without an event (idle timeout, RST, `unlisten`).
//!
//! **Reliability.** Receivers ACK every frame that carries data, SYN, FIN or PING at once,
//! with SACK blocks for what they hold above the cumulative ack ([`recv`]). Senders keep a
//! scoreboard ([`send`]) and detect losses RACK-style (a segment sent before one that was
//! delivered, and still missing a reordering window later, is lost), so reordering does not
//! trigger retransmissions and lost retransmissions are found without a timeout. When
//! nothing else can be sent (the tail of the data, or a peer window full behind a hole), a
//! tail-loss probe two SRTTs after the last send or delivery resends the newest segment in
//! flight, whose acknowledgement lets RACK judge everything sent before it. The
//! retransmission timer ([`rtt`], RFC 6298: SRTT/RTTVAR from samples of segments sent once,
//! exponential backoff) is the backstop; it counts from the oldest segment's latest
//! transmission, so a head segment that RACK resends several times (random loss hits
//! retransmissions too) does not also time out.
//!
//! **Flow control and memory.** The receiver advertises `recv_window` minus what the
//! application has not read, and drops bytes beyond that edge, so a reader that does not
//! read stops the writer; the send buffer holds at most `send_buffer` bytes and `write`
//! takes only what fits. When the peer's window is closed the sender probes it with PINGs
//! on the retransmission timer.
//!
//! **Congestion control** ([`cc`]): by default a model-based controller in the spirit of
//! BBR ([`bbr`]: bottleneck bandwidth and min RTT measured from delivery-rate samples, pacing
//! at that rate), because emulated links lose packets at random and a loss-based controller
//! collapses under that (NewReno: ~45 kB/s at 10% loss and 80 ms RTT, where the model
//! controller moves 2.7 MB/s). NewReno with SACK recovery stays available
//! (`StreamConfig::congestion`). Both pace their sends.
//!
//! **Timers.** Per connection: retransmission (also SYN and zero-window probes), RACK's
//! reordering deadline, the tail-loss probe, pacing, keepalive (while open, a PING after `keepalive_us` without
//! hearing from the peer; not after both FINs, when the peer may have forgotten us), idle
//! timeout (`TIMEOUT` after `idle_timeout_us` without hearing from the peer,
//! which also bounds connection set-up) and `TimeWait`. [`StreamEndpoint::poll_timeout`]
//! returns the earliest.
//!
//! # Driving it
//!
//! Like the rest of the core: `handle_frame(now, from_node, bytes)` and
//! `handle_timeout(now)` in, `poll_transmit(now)`, `poll_event()` and `poll_timeout()` out.
//! Application calls: `listen`/`unlisten`, `connect`, `write` (takes what fits; 0 = wait
//! for `Writable`), `read` (`Data`, `WouldBlock` or `Eof`), `close`, `abort`, `stats`,
//! `info`. Frames are built when `poll_transmit` asks, so a host with a full queue simply
//! stops asking. The node engine owns one endpoint and does this itself (`node/stream.rs`):
//! stream frames go out as `PacketKind::Stream` datagrams along unicast routes.
//! No clock, no I/O, no randomness of its own (initial sequence numbers come from the seed
//! given to [`StreamEndpoint::new`]).

pub mod bbr;
pub mod cc;
mod conn;
mod endpoint;
pub mod frame;
pub mod recv;
pub mod rtt;
pub mod send;

#[cfg(test)]
mod sim;
#[cfg(test)]
mod tests;

pub use cc::Congestion;
pub use endpoint::StreamEndpoint;

use crate::error::{CoreError, ErrorCode};
use std::fmt;

/// A local handle for one connection of a [`StreamEndpoint`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u32);

/// Tunables. Sizes are in bytes, times in microseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamConfig {
    /// Bytes a connection buffers for sending (unacknowledged plus unsent). Default 1 MiB.
    pub send_buffer: usize,
    /// Receive window: bytes buffered for the application (unread plus out of order).
    /// Default 1 MiB.
    pub recv_window: usize,
    /// Retransmission timeout before any RTT sample. Default 1 s (RFC 6298).
    pub initial_rto_us: u64,
    /// Lower bound of the RTO. Default 200 ms (as Linux; RFC 6298's 1 s is for the Internet).
    pub min_rto_us: u64,
    /// Upper bound of the RTO, backoff included. Default 60 s.
    pub max_rto_us: u64,
    /// A PING after this long without hearing from the peer. Default 10 s.
    pub keepalive_us: u64,
    /// `TIMEOUT` after this long without hearing from the peer (connecting included).
    /// Default 30 s. Must exceed `keepalive_us`.
    pub idle_timeout_us: u64,
    /// How long a finished connection lingers to re-ACK the peer's FIN. Default 2 s.
    pub time_wait_us: u64,
    /// Connections held at once, any state. Default 4096.
    pub max_connections: usize,
    /// Half-open incoming connections per listening port; SYNs beyond are refused. Default 128.
    pub backlog: usize,
    /// Congestion controller. Default [`Congestion::Model`] (tolerates random loss); see
    /// [`cc`].
    pub congestion: Congestion,
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            send_buffer: 1 << 20,
            recv_window: 1 << 20,
            initial_rto_us: 1_000_000,
            min_rto_us: 200_000,
            max_rto_us: 60_000_000,
            keepalive_us: 10_000_000,
            idle_timeout_us: 30_000_000,
            time_wait_us: 2_000_000,
            max_connections: 4096,
            backlog: 128,
            congestion: Congestion::Model,
        }
    }
}

impl StreamConfig {
    pub fn validate(&self) -> Result<(), StreamError> {
        let bad = |key: &'static str, reason: String| Err(StreamError::Config { key, reason });
        if self.send_buffer == 0 {
            return bad("send_buffer", "must be at least 1 byte".into());
        }
        if self.recv_window == 0 || self.recv_window > u32::MAX as usize {
            return bad(
                "recv_window",
                format!("{} is not in 1..={}", self.recv_window, u32::MAX),
            );
        }
        if self.min_rto_us == 0 || self.min_rto_us > self.max_rto_us {
            return bad(
                "min_rto_us",
                format!("must be in 1..=max_rto_us ({})", self.max_rto_us),
            );
        }
        if !(self.min_rto_us..=self.max_rto_us).contains(&self.initial_rto_us) {
            return bad(
                "initial_rto_us",
                format!(
                    "must be in min_rto_us..=max_rto_us ({}..={})",
                    self.min_rto_us, self.max_rto_us
                ),
            );
        }
        if self.keepalive_us == 0 || self.keepalive_us >= self.idle_timeout_us {
            return bad(
                "keepalive_us",
                format!("must be in 1..idle_timeout_us ({})", self.idle_timeout_us),
            );
        }
        if self.max_connections == 0 || self.backlog == 0 {
            return bad(
                "max_connections",
                "max_connections and backlog must be at least 1".into(),
            );
        }
        Ok(())
    }
}

/// One frame for the host to wrap in a dataplane header (kind `Stream`, these ports) and
/// send towards `dst_node`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    pub dst_node: u32,
    pub src_port: u16,
    pub dst_port: u16,
    pub frame: Vec<u8>,
}

impl Transmit {
    fn of(dst_node: u32, f: &frame::Frame) -> Transmit {
        Transmit {
            dst_node,
            src_port: f.src_port,
            dst_port: f.dst_port,
            frame: f.encode(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A `connect` completed.
    Connected(ConnId),
    /// A listener accepted a connection (the handshake completed).
    Accepted { listener: u16, conn: ConnId },
    /// Bytes (or the end of the stream) became readable: read until `WouldBlock`.
    Readable(ConnId),
    /// The send buffer has room again after a `write` that did not take everything.
    Writable(ConnId),
    /// Both directions finished cleanly.
    Closed(ConnId),
    /// The connection failed and is gone.
    Error { conn: ConnId, error: StreamError },
}

/// What `read` returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read {
    Data(Vec<u8>),
    /// Nothing yet: wait for `Event::Readable`.
    WouldBlock,
    /// The peer closed its side and everything was read.
    Eof,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnInfo {
    pub remote_node: u32,
    pub remote_port: u16,
    pub local_port: u16,
    /// The listening port that accepted it; `None` for a connection we opened.
    pub listener: Option<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnStats {
    /// Smoothed RTT, once measured.
    pub rtt_us: Option<u64>,
    pub cwnd_bytes: u64,
    /// New payload bytes sent (retransmissions not counted).
    pub bytes_sent: u64,
    /// Payload bytes received in order.
    pub bytes_received: u64,
    /// Segments sent again.
    pub retransmits: u64,
    /// Retransmission timeouts that fired with data in flight (each resends the whole
    /// window): losses that acknowledgements and probes could not reveal.
    pub timeouts: u64,
    pub bytes_in_flight: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EndpointStats {
    pub malformed: u64,
    /// RSTs sent for frames that belong to no connection (refusals included).
    pub rst_sent: u64,
    /// SYNs refused because the backlog or `max_connections` was full.
    pub refused_full: u64,
    /// RSTs that matched no connection.
    pub stray_rst: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamError {
    /// Nobody listens on `port` at `node` (or its backlog is full).
    Refused {
        node: u32,
        port: u16,
    },
    /// The peer aborted the connection.
    Reset {
        node: u32,
        port: u16,
    },
    /// The peer was silent for `idle_us`.
    Timeout {
        idle_us: u64,
    },
    /// The connection is closed (or the handle never named one).
    Closed {
        conn: ConnId,
    },
    PortInUse {
        port: u16,
    },
    NoFreePort {
        node: u32,
        port: u16,
    },
    TooManyConnections {
        max: usize,
    },
    InvalidArgument(String),
    Config {
        key: &'static str,
        reason: String,
    },
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamError::Refused { node, port } => {
                write!(f, "node {node} refused the connection: nothing listens on port {port}")
            }
            StreamError::Reset { node, port } => {
                write!(f, "node {node} port {port} reset the connection")
            }
            StreamError::Timeout { idle_us } => write!(
                f,
                "the peer was silent for {} ms (idle_timeout_us)",
                idle_us / 1000
            ),
            StreamError::Closed { conn } => {
                write!(f, "stream {} is closed (or was never opened)", conn.0)
            }
            StreamError::PortInUse { port } => write!(
                f,
                "port {port} is already in use here (a listener or a connection to that peer); pick another"
            ),
            StreamError::NoFreePort { node, port } => write!(
                f,
                "every ephemeral port (49152..=65535) already has a connection to node {node} port {port}"
            ),
            StreamError::TooManyConnections { max } => {
                write!(f, "{max} connections are open (max_connections); close some first")
            }
            StreamError::InvalidArgument(m) => f.write_str(m),
            StreamError::Config { key, reason } => write!(f, "stream config {key}: {reason}"),
        }
    }
}

impl std::error::Error for StreamError {}

impl CoreError for StreamError {
    fn code(&self) -> ErrorCode {
        match self {
            StreamError::Refused { .. } => ErrorCode::ConnectionRefused,
            StreamError::Reset { .. } => ErrorCode::ConnectionReset,
            StreamError::Timeout { .. } => ErrorCode::Timeout,
            StreamError::Closed { .. } => ErrorCode::Closed,
            StreamError::PortInUse { .. } | StreamError::InvalidArgument(_) => {
                ErrorCode::InvalidArgument
            }
            StreamError::NoFreePort { .. } | StreamError::TooManyConnections { .. } => {
                ErrorCode::PoolExhausted
            }
            StreamError::Config { .. } => ErrorCode::ConfigInvalid,
        }
    }
}
