//! The stream frame: the payload of a dataplane datagram of kind
//! [`crate::wire::PacketKind::Stream`]. Layout (big-endian, [`FIXED_LEN`] = 28 bytes before
//! the SACK blocks):
//!
//! | offset | size   | field    | notes                                                   |
//! |-------:|-------:|----------|---------------------------------------------------------|
//! | 0      | 1      | flags    | SYN 0x01, ACK 0x02, FIN 0x04, RST 0x08, PING 0x10       |
//! | 1      | 1      | sacks    | number of SACK blocks, 0..=[`MAX_SACKS`]                 |
//! | 2      | 2      | src_port | the sender's port                                       |
//! | 4      | 2      | dst_port | the receiver's port                                     |
//! | 6      | 2      | reserved | must be zero                                            |
//! | 8      | 8      | seq      | sequence number of the first payload byte (or SYN/FIN)  |
//! | 16     | 8      | ack      | next byte expected from the peer (valid with ACK)       |
//! | 24     | 4      | window   | receive window from `ack` on, in bytes                  |
//! | 28     | 16 × n | sack     | `[start, end)` pairs of u64, received above `ack`       |
//! | …      | rest   | payload  | stream bytes                                            |
//!
//! Sequence numbers are 64-bit and start at a 32-bit initial number, so they never wrap.

use std::fmt;

pub const FIXED_LEN: usize = 28;
pub const MAX_SACKS: usize = 4;
/// The most a frame adds in front of its payload.
pub const MAX_OVERHEAD: usize = FIXED_LEN + MAX_SACKS * 16;
/// The smallest payload per frame an endpoint accepts to work with.
pub const MIN_MSS: usize = 16;

/// How a datagram size is split: payload per frame, and SACK blocks per frame. Small MTUs
/// carry fewer SACK blocks (a quarter of the room at most) rather than no data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    pub mss: u64,
    pub max_sacks: usize,
}

impl Geometry {
    /// `None` when `mtu` leaves less than [`MIN_MSS`] bytes of payload.
    pub fn for_mtu(mtu: usize) -> Option<Geometry> {
        let room = mtu.checked_sub(crate::wire::HEADER_LEN + FIXED_LEN)?;
        let max_sacks = (room / 64).min(MAX_SACKS);
        let mss = room - max_sacks * 16;
        (mss >= MIN_MSS).then_some(Geometry {
            mss: mss as u64,
            max_sacks,
        })
    }
}

pub const SYN: u8 = 0x01;
pub const ACK: u8 = 0x02;
pub const FIN: u8 = 0x04;
pub const RST: u8 = 0x08;
/// Asks the peer for an immediate ACK (keepalive, zero-window probe).
pub const PING: u8 = 0x10;
const KNOWN_FLAGS: u8 = SYN | ACK | FIN | RST | PING;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Frame {
    pub flags: u8,
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u64,
    pub ack: u64,
    pub window: u32,
    pub sacks: Vec<(u64, u64)>,
    pub payload: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    Truncated { len: usize, needed: usize },
    UnknownFlags { flags: u8 },
    TooManySacks { count: u8 },
    Reserved,
    BadSack { start: u64, end: u64 },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Truncated { len, needed } => {
                write!(
                    f,
                    "stream frame of {len} bytes is shorter than its {needed}-byte header"
                )
            }
            FrameError::UnknownFlags { flags } => {
                write!(f, "stream frame has unknown flag bits {flags:#04x}")
            }
            FrameError::TooManySacks { count } => {
                write!(
                    f,
                    "stream frame claims {count} SACK blocks (at most {MAX_SACKS})"
                )
            }
            FrameError::Reserved => write!(f, "stream frame's reserved bytes are not zero"),
            FrameError::BadSack { start, end } => {
                write!(f, "SACK block [{start}, {end}) is empty or reversed")
            }
        }
    }
}

impl Frame {
    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    /// Sequence space the frame occupies: its payload, plus one each for SYN and FIN.
    pub fn seq_len(&self) -> u64 {
        self.payload.len() as u64 + u64::from(self.has(SYN)) + u64::from(self.has(FIN))
    }

    pub fn encode(&self) -> Vec<u8> {
        debug_assert!(self.sacks.len() <= MAX_SACKS);
        let mut out = Vec::with_capacity(FIXED_LEN + self.sacks.len() * 16 + self.payload.len());
        out.push(self.flags);
        out.push(self.sacks.len() as u8);
        out.extend_from_slice(&self.src_port.to_be_bytes());
        out.extend_from_slice(&self.dst_port.to_be_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.ack.to_be_bytes());
        out.extend_from_slice(&self.window.to_be_bytes());
        for (s, e) in &self.sacks {
            out.extend_from_slice(&s.to_be_bytes());
            out.extend_from_slice(&e.to_be_bytes());
        }
        out.extend_from_slice(&self.payload);
        out
    }

    /// Strict decoding: anything inconsistent is a typed error, never a panic.
    pub fn decode(b: &[u8]) -> Result<Frame, FrameError> {
        if b.len() < FIXED_LEN {
            return Err(FrameError::Truncated {
                len: b.len(),
                needed: FIXED_LEN,
            });
        }
        let flags = b[0];
        if flags & !KNOWN_FLAGS != 0 {
            return Err(FrameError::UnknownFlags { flags });
        }
        let count = b[1];
        if usize::from(count) > MAX_SACKS {
            return Err(FrameError::TooManySacks { count });
        }
        if b[6] != 0 || b[7] != 0 {
            return Err(FrameError::Reserved);
        }
        let needed = FIXED_LEN + usize::from(count) * 16;
        if b.len() < needed {
            return Err(FrameError::Truncated {
                len: b.len(),
                needed,
            });
        }
        let u16_at = |o: usize| u16::from_be_bytes([b[o], b[o + 1]]);
        let u32_at = |o: usize| u32::from_be_bytes(b[o..o + 4].try_into().expect("4 bytes"));
        let u64_at = |o: usize| u64::from_be_bytes(b[o..o + 8].try_into().expect("8 bytes"));
        let mut sacks = Vec::with_capacity(usize::from(count));
        for i in 0..usize::from(count) {
            let (start, end) = (u64_at(FIXED_LEN + i * 16), u64_at(FIXED_LEN + i * 16 + 8));
            if start >= end {
                return Err(FrameError::BadSack { start, end });
            }
            sacks.push((start, end));
        }
        Ok(Frame {
            flags,
            src_port: u16_at(2),
            dst_port: u16_at(4),
            seq: u64_at(8),
            ack: u64_at(16),
            window: u32_at(24),
            sacks,
            payload: b[needed..].to_vec(),
        })
    }
}

/// The ports of an encoded frame, for a host that fills in the dataplane header.
pub fn ports_of(frame: &[u8]) -> Option<(u16, u16)> {
    (frame.len() >= FIXED_LEN).then(|| {
        (
            u16::from_be_bytes([frame[2], frame[3]]),
            u16::from_be_bytes([frame[4], frame[5]]),
        )
    })
}
