//! The versioned binary header carried at the front of every dataplane datagram.
//!
//! Layout (big-endian, [`HEADER_LEN`] = 40 bytes):
//!
//! | offset | size | field          | notes                                             |
//! |-------:|-----:|----------------|---------------------------------------------------|
//! | 0      | 1    | version        | must equal [`VERSION`]                            |
//! | 1      | 1    | kind           | [`PacketKind`]                                    |
//! | 2      | 1    | flags          | all bits reserved, must be zero                   |
//! | 3      | 1    | hop_limit      | decremented per forward; 0 is never forwarded      |
//! | 4      | 4    | src_node       | originating node id                               |
//! | 8      | 4    | dst            | node id, or group id for Multicast/LosslessGroup  |
//! | 12     | 2    | src_port       |                                                   |
//! | 14     | 2    | dst_port       |                                                   |
//! | 16     | 4    | message_id     | per-source message counter                        |
//! | 20     | 4    | frag_index     | < frag_count                                      |
//! | 24     | 4    | frag_count     | >= 1                                              |
//! | 28     | 4    | total_len      | length of the whole reassembled message           |
//! | 32     | 4    | session_id     | lossless session, 0 when none                     |
//! | 36     | 2    | tree_id        | multicast tree, 0 = default tree                  |
//! | 38     | 2    | payload_len    | bytes following the header in this datagram       |
//!
//! Decoding is strict: every inconsistency is a typed [`WireError`], never a panic, so a
//! node can count and drop hostile datagrams.

use crate::error::{CoreError, ErrorCode};
use std::fmt;

pub const VERSION: u8 = 1;
pub const HEADER_LEN: usize = 40;
/// Hop limit given to packets a node originates, and the largest a node accepts. It must
/// exceed the diameter of the networks we run (a fat tree's is 6, a 100 × 100 torus's 100)
/// while still ending any loop within a few hundred hops.
pub const DEFAULT_HOP_LIMIT: u8 = 128;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PacketKind {
    /// Payload to one node.
    Unicast = 0,
    /// Payload to a multicast group along a tree.
    Multicast = 1,
    /// A lossless-session frame to one node (its own sub-header lives in the payload).
    Lossless = 2,
    /// A lossless-session frame to a multicast group, forwarded along the group's tree.
    LosslessGroup = 3,
    /// A reliable-stream frame to one node (see [`crate::stream`]); routed like unicast.
    Stream = 4,
}

impl PacketKind {
    pub fn from_u8(v: u8) -> Option<Self> {
        match v {
            0 => Some(PacketKind::Unicast),
            1 => Some(PacketKind::Multicast),
            2 => Some(PacketKind::Lossless),
            3 => Some(PacketKind::LosslessGroup),
            4 => Some(PacketKind::Stream),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    pub kind: PacketKind,
    pub hop_limit: u8,
    pub src_node: u32,
    pub dst: u32,
    pub src_port: u16,
    pub dst_port: u16,
    pub message_id: u32,
    pub frag_index: u32,
    pub frag_count: u32,
    pub total_len: u32,
    pub session_id: u32,
    pub tree_id: u16,
    pub payload_len: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireError {
    /// Fewer bytes than a header.
    Truncated { len: usize },
    /// The version byte is not ours.
    BadVersion { found: u8 },
    /// Unknown packet kind.
    BadKind { found: u8 },
    /// A reserved flag bit is set.
    ReservedFlags { flags: u8 },
    /// `frag_count` is zero or `frag_index >= frag_count`.
    BadFragment { index: u32, count: u32 },
    /// `payload_len` disagrees with the datagram, or exceeds `total_len`.
    BadLength {
        payload_len: u16,
        available: usize,
        total_len: u32,
    },
    /// The caller asked to encode a header into too small a buffer.
    BufferTooSmall { needed: usize, have: usize },
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::Truncated { len } => {
                write!(f, "datagram of {len} bytes is shorter than the {HEADER_LEN}-byte header")
            }
            WireError::BadVersion { found } => {
                write!(f, "wire version {found} is not supported (expected {VERSION})")
            }
            WireError::BadKind { found } => write!(f, "unknown packet kind {found}"),
            WireError::ReservedFlags { flags } => {
                write!(f, "reserved flag bits set (flags = {flags:#04x})")
            }
            WireError::BadFragment { index, count } => {
                write!(f, "fragment index {index} is not below fragment count {count}")
            }
            WireError::BadLength { payload_len, available, total_len } => write!(
                f,
                "payload length {payload_len} disagrees with {available} bytes present or total length {total_len}"
            ),
            WireError::BufferTooSmall { needed, have } => {
                write!(f, "buffer of {have} bytes cannot hold {needed}")
            }
        }
    }
}

impl std::error::Error for WireError {}

impl CoreError for WireError {
    fn code(&self) -> ErrorCode {
        match self {
            WireError::BufferTooSmall { .. } => ErrorCode::OutOfRange,
            _ => ErrorCode::MalformedPacket,
        }
    }
}

impl Header {
    /// A header for a message this node originates: one fragment, empty, default hop limit.
    /// Fragmenting (or `datagram`) fills in the lengths.
    pub fn originate(
        kind: PacketKind,
        src_node: u32,
        dst: u32,
        src_port: u16,
        dst_port: u16,
    ) -> Header {
        Header {
            kind,
            hop_limit: DEFAULT_HOP_LIMIT,
            src_node,
            dst,
            src_port,
            dst_port,
            message_id: 0,
            frag_index: 0,
            frag_count: 1,
            total_len: 0,
            session_id: 0,
            tree_id: 0,
            payload_len: 0,
        }
    }

    /// Writes the header into the first [`HEADER_LEN`] bytes of `out`.
    pub fn encode_into(&self, out: &mut [u8]) -> Result<(), WireError> {
        if out.len() < HEADER_LEN {
            return Err(WireError::BufferTooSmall {
                needed: HEADER_LEN,
                have: out.len(),
            });
        }
        out[0] = VERSION;
        out[1] = self.kind as u8;
        out[2] = 0;
        out[3] = self.hop_limit;
        out[4..8].copy_from_slice(&self.src_node.to_be_bytes());
        out[8..12].copy_from_slice(&self.dst.to_be_bytes());
        out[12..14].copy_from_slice(&self.src_port.to_be_bytes());
        out[14..16].copy_from_slice(&self.dst_port.to_be_bytes());
        out[16..20].copy_from_slice(&self.message_id.to_be_bytes());
        out[20..24].copy_from_slice(&self.frag_index.to_be_bytes());
        out[24..28].copy_from_slice(&self.frag_count.to_be_bytes());
        out[28..32].copy_from_slice(&self.total_len.to_be_bytes());
        out[32..36].copy_from_slice(&self.session_id.to_be_bytes());
        out[36..38].copy_from_slice(&self.tree_id.to_be_bytes());
        out[38..40].copy_from_slice(&self.payload_len.to_be_bytes());
        Ok(())
    }

    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        // Cannot fail: the array has exactly HEADER_LEN bytes.
        let _ = self.encode_into(&mut out);
        out
    }

    /// Builds a whole datagram: header followed by `payload`.
    pub fn datagram(&self, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
        out.extend_from_slice(&self.to_bytes());
        out.extend_from_slice(payload);
        out
    }

    /// Decodes and validates the header at the front of `datagram`. The payload is
    /// `&datagram[HEADER_LEN..HEADER_LEN + payload_len]`, which the checks guarantee exists
    /// and fills the datagram exactly.
    pub fn decode(datagram: &[u8]) -> Result<Header, WireError> {
        if datagram.len() < HEADER_LEN {
            return Err(WireError::Truncated {
                len: datagram.len(),
            });
        }
        let d = datagram;
        if d[0] != VERSION {
            return Err(WireError::BadVersion { found: d[0] });
        }
        let kind = PacketKind::from_u8(d[1]).ok_or(WireError::BadKind { found: d[1] })?;
        if d[2] != 0 {
            return Err(WireError::ReservedFlags { flags: d[2] });
        }
        let u16_at = |o: usize| u16::from_be_bytes([d[o], d[o + 1]]);
        let u32_at = |o: usize| u32::from_be_bytes([d[o], d[o + 1], d[o + 2], d[o + 3]]);
        let h = Header {
            kind,
            hop_limit: d[3],
            src_node: u32_at(4),
            dst: u32_at(8),
            src_port: u16_at(12),
            dst_port: u16_at(14),
            message_id: u32_at(16),
            frag_index: u32_at(20),
            frag_count: u32_at(24),
            total_len: u32_at(28),
            session_id: u32_at(32),
            tree_id: u16_at(36),
            payload_len: u16_at(38),
        };
        if h.frag_count == 0 || h.frag_index >= h.frag_count {
            return Err(WireError::BadFragment {
                index: h.frag_index,
                count: h.frag_count,
            });
        }
        let available = d.len() - HEADER_LEN;
        let single_inconsistent = h.frag_count == 1 && u32::from(h.payload_len) != h.total_len;
        if usize::from(h.payload_len) != available
            || u32::from(h.payload_len) > h.total_len
            || single_inconsistent
        {
            return Err(WireError::BadLength {
                payload_len: h.payload_len,
                available,
                total_len: h.total_len,
            });
        }
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> Header {
        Header {
            kind: PacketKind::Unicast,
            hop_limit: DEFAULT_HOP_LIMIT,
            src_node: 1,
            dst: 3,
            src_port: 45535,
            dst_port: 8888,
            message_id: 7,
            frag_index: 0,
            frag_count: 1,
            total_len: 5,
            session_id: 0,
            tree_id: 0,
            payload_len: 5,
        }
    }

    #[test]
    fn roundtrip_and_payload_position() {
        let h = sample();
        let dg = h.datagram(b"hello");
        assert_eq!(dg.len(), HEADER_LEN + 5);
        assert_eq!(Header::decode(&dg).unwrap(), h);
        assert_eq!(&dg[HEADER_LEN..], b"hello");
        // Field positions are part of the protocol: pin a few.
        assert_eq!(dg[0], VERSION);
        assert_eq!(&dg[12..14], &45535u16.to_be_bytes());
    }

    #[test]
    fn rejects_each_inconsistency() {
        let good = sample().datagram(b"hello");
        let with = |i: usize, v: u8| {
            let mut d = good.clone();
            d[i] = v;
            Header::decode(&d)
        };
        assert_eq!(
            Header::decode(&good[..10]),
            Err(WireError::Truncated { len: 10 })
        );
        assert_eq!(with(0, 2), Err(WireError::BadVersion { found: 2 }));
        assert_eq!(with(1, 9), Err(WireError::BadKind { found: 9 }));
        assert_eq!(with(1, 5), Err(WireError::BadKind { found: 5 }));
        assert_eq!(with(1, 4).map(|h| h.kind), Ok(PacketKind::Stream));
        assert_eq!(with(2, 0x80), Err(WireError::ReservedFlags { flags: 0x80 }));
        assert!(matches!(with(27, 0), Err(WireError::BadFragment { .. }))); // count 0
        assert!(matches!(with(23, 1), Err(WireError::BadFragment { .. }))); // index 1 of 1
        assert!(matches!(with(39, 6), Err(WireError::BadLength { .. }))); // claims 6, has 5
        assert!(matches!(with(31, 9), Err(WireError::BadLength { .. }))); // single frag, total 9
        assert!(matches!(
            Header::decode(&good[..44]),
            Err(WireError::BadLength { .. })
        ));
        assert_eq!(
            WireError::BadVersion { found: 2 }.code().as_str(),
            "MALFORMED_PACKET"
        );
    }

    fn any_header() -> impl Strategy<Value = (Header, Vec<u8>)> {
        (
            prop_oneof![
                Just(PacketKind::Unicast),
                Just(PacketKind::Multicast),
                Just(PacketKind::Lossless),
                Just(PacketKind::LosslessGroup),
                Just(PacketKind::Stream)
            ],
            any::<(u8, u32, u32, u16, u16, u32)>(),
            (1u32..1000, any::<u32>(), any::<u16>()),
            proptest::collection::vec(any::<u8>(), 0..300),
            0u32..1_000_000,
        )
            .prop_map(
                |(kind, (hop, src, dst, sp, dp, mid), (count, sid, tree), payload, extra)| {
                    let frag_count = count;
                    let frag_index = mid % frag_count;
                    let plen = payload.len() as u32;
                    let total = if frag_count == 1 { plen } else { plen + extra };
                    let h = Header {
                        kind,
                        hop_limit: hop,
                        src_node: src,
                        dst,
                        src_port: sp,
                        dst_port: dp,
                        message_id: mid,
                        frag_index,
                        frag_count,
                        total_len: total,
                        session_id: sid,
                        tree_id: tree,
                        payload_len: plen as u16,
                    };
                    (h, payload)
                },
            )
    }

    proptest! {
        #[test]
        fn encode_then_decode_is_identity((h, payload) in any_header()) {
            let dg = h.datagram(&payload);
            prop_assert_eq!(Header::decode(&dg), Ok(h));
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            // Either a valid header whose re-encoding reproduces the input, or a typed error.
            if let Ok(h) = Header::decode(&bytes) {
                prop_assert_eq!(h.datagram(&bytes[HEADER_LEN..]), bytes);
            }
        }

        #[test]
        fn mutated_valid_datagrams_never_panic((h, payload) in any_header(), pos in 0usize..40, val in any::<u8>()) {
            let mut dg = h.datagram(&payload);
            dg[pos] = val;
            let _ = Header::decode(&dg);
        }
    }
}
