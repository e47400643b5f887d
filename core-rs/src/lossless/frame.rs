//! The lossless frame codec. A frame is the payload after the 40-byte dataplane header
//! (whose `session_id` field carries the wire session id, so frames do not repeat it).
//!
//! Every frame starts with `version: u8` (= [`FRAME_VERSION`]) and `type: u8`; all integers
//! are big-endian. Bodies:
//!
//! | type | name           | body                                                                |
//! |-----:|----------------|---------------------------------------------------------------------|
//! | 1    | MANIFEST       | total_len u64, chunk_size u16, symbols_per_block u16, flags u8 (bit0 = FEC), reserved u8 = 0, checksum u32 (CRC-32), src_port u16, dst_port u16 |
//! | 2    | DATA           | block u32, seq u8 (wrapping frame number, see `delivery`) + esi u24, symbol bytes (>= 1) |
//! | 3    | STATUS_REQUEST | round u32                                                           |
//! | 4    | READY          | (none)                                                              |
//! | 5    | NACK           | round u32, part u16, parts u16, kind u8 (0 = ranges, 1 = block needs), flags u8 (bit0 = truncated), count u16, then `count` entries: ranges = (start u32, len u32); needs = (first_block u32, blocks u32, need u16) |
//! | 6    | DONE           | checksum u32 (echo of the verified manifest checksum)               |
//! | 7    | ABORT          | (none)                                                              |
//! | 8    | QUIT           | reason u8 (1 checksum mismatch, 2 size mismatch, 3 cancelled, 4 timeout), detail u64 (1: the CRC-32 computed; 2: the size expected; else 0) |
//! | 9    | RATE           | bytes u32, span_us u32, received u32, expected u32 (one receiver interval, see `delivery`) |
//!
//! MANIFEST, DATA, STATUS_REQUEST and ABORT flow sender → receivers; READY, NACK, DONE and
//! QUIT flow receiver → sender (unicast), and so does RATE. Decoding is strict: exact lengths, zero reserved
//! bits, no empty entries; every violation is a typed [`FrameError`], never a panic.
//!
//! On the wire every frame is followed by a 4-byte trailer, the CRC-32 of (source node u32,
//! wire session id u32, frame bytes) — see [`seal`] and [`unseal`]. The endpoint drops a frame
//! whose trailer does not verify (counted as `corrupt`), so a corrupted DATA or repair frame
//! is repaired like a lost one instead of spoiling the whole buffer.

use super::delivery::RateSample;
use super::manifest::{GeometryError, Manifest};
use super::Ports;
use crate::error::{CoreError, ErrorCode};
use std::fmt;

/// 2: frames carry the CRC-32 trailer; QUIT exists. 3: DATA carries a sequence byte; RATE.
pub const FRAME_VERSION: u8 = 3;
/// The CRC-32 trailer after every frame on the wire.
pub const TRAILER_LEN: usize = 4;
pub const PREFIX_LEN: usize = 2;
pub const MANIFEST_LEN: usize = PREFIX_LEN + 22;
pub const DATA_HEADER_LEN: usize = PREFIX_LEN + 8;
pub const NACK_HEADER_LEN: usize = PREFIX_LEN + 12;
pub const RANGE_ENTRY_LEN: usize = 8;
pub const NEED_ENTRY_LEN: usize = 10;
pub const QUIT_LEN: usize = PREFIX_LEN + 9;
pub const RATE_LEN: usize = PREFIX_LEN + 16;
/// A NACK report is split into at most this many frames; the rest waits for the next round.
pub const MAX_NACK_PARTS: u16 = 64;
/// RaptorQ encoding symbol ids are 24-bit.
pub const MAX_ESI: u32 = (1 << 24) - 1;

const T_MANIFEST: u8 = 1;
const T_DATA: u8 = 2;
const T_STATUS: u8 = 3;
const T_READY: u8 = 4;
const T_NACK: u8 = 5;
const T_DONE: u8 = 6;
const T_ABORT: u8 = 7;
const T_QUIT: u8 = 8;
const T_RATE: u8 = 9;

/// Why a receiver ended its side of a session (told to the sender in QUIT).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuitReason {
    ChecksumMismatch = 1,
    SizeMismatch = 2,
    Cancelled = 3,
    Timeout = 4,
}

fn crc_of(src_node: u32, session_id: u32, frame: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&src_node.to_be_bytes());
    h.update(&session_id.to_be_bytes());
    h.update(frame);
    h.finalize()
}

/// Appends the CRC-32 trailer that binds `frame` to its source node and wire session id.
pub fn seal(src_node: u32, session_id: u32, frame: &mut Vec<u8>) {
    let crc = crc_of(src_node, session_id, frame);
    frame.extend_from_slice(&crc.to_be_bytes());
}

/// The frame inside a sealed datagram payload, or `None` when the trailer is missing or
/// does not verify (a corrupted frame, or one from another source or session).
pub fn unseal(src_node: u32, session_id: u32, sealed: &[u8]) -> Option<&[u8]> {
    let body_len = sealed.len().checked_sub(TRAILER_LEN)?;
    let (body, trailer) = sealed.split_at(body_len);
    let crc = u32::from_be_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
    (crc == crc_of(src_node, session_id, body)).then_some(body)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingRange {
    pub start: u32,
    pub len: u32,
}

/// `blocks` consecutive source blocks from `first_block` each still need `need` symbols.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockNeed {
    pub first_block: u32,
    pub blocks: u32,
    pub need: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NackBody {
    Ranges(Vec<MissingRange>),
    Needs(Vec<BlockNeed>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nack {
    pub round: u32,
    pub part: u16,
    pub parts: u16,
    /// The receiver had more to report than fits in [`MAX_NACK_PARTS`] frames.
    pub truncated: bool,
    pub body: NackBody,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame<'a> {
    Manifest(Manifest),
    Data {
        block: u32,
        esi: u32,
        /// The sender's wrapping frame number (delivery-rate feedback).
        seq: u8,
        symbol: &'a [u8],
    },
    StatusRequest {
        round: u32,
    },
    Ready,
    Nack(Nack),
    Done {
        checksum: u32,
    },
    Abort,
    Quit {
        reason: QuitReason,
        detail: u64,
    },
    Rate(RateSample),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    Truncated {
        needed: usize,
        have: usize,
    },
    BadVersion {
        found: u8,
    },
    BadType {
        found: u8,
    },
    /// Bytes left over after a fixed-size body, or a count that disagrees with the length.
    BadLength {
        expected: usize,
        found: usize,
    },
    ReservedBits,
    /// A field value no valid frame carries.
    BadField(&'static str),
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Truncated { needed, have } => {
                write!(
                    f,
                    "lossless frame truncated: needs {needed} bytes, has {have}"
                )
            }
            FrameError::BadVersion { found } => {
                write!(
                    f,
                    "lossless frame version {found} is not supported ({FRAME_VERSION})"
                )
            }
            FrameError::BadType { found } => write!(f, "unknown lossless frame type {found}"),
            FrameError::BadLength { expected, found } => {
                write!(f, "lossless frame length {found}, expected {expected}")
            }
            FrameError::ReservedBits => write!(f, "reserved bits set in lossless frame"),
            FrameError::BadField(what) => write!(f, "invalid lossless frame field: {what}"),
        }
    }
}

impl std::error::Error for FrameError {}

impl CoreError for FrameError {
    fn code(&self) -> ErrorCode {
        ErrorCode::MalformedPacket
    }
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], FrameError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.b.len());
        match end {
            Some(end) => {
                let s = &self.b[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            None => Err(FrameError::Truncated {
                needed: self.pos + n,
                have: self.b.len(),
            }),
        }
    }
    fn u8(&mut self) -> Result<u8, FrameError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, FrameError> {
        let s = self.take(2)?;
        Ok(u16::from_be_bytes([s[0], s[1]]))
    }
    fn u32(&mut self) -> Result<u32, FrameError> {
        let s = self.take(4)?;
        Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn u64(&mut self) -> Result<u64, FrameError> {
        let hi = self.u32()?;
        let lo = self.u32()?;
        Ok((u64::from(hi) << 32) | u64::from(lo))
    }
    fn rest(&mut self) -> &'a [u8] {
        let s = &self.b[self.pos..];
        self.pos = self.b.len();
        s
    }
    fn finish(&self) -> Result<(), FrameError> {
        if self.pos == self.b.len() {
            Ok(())
        } else {
            Err(FrameError::BadLength {
                expected: self.pos,
                found: self.b.len(),
            })
        }
    }
}

fn prefix(t: u8, cap: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(cap + TRAILER_LEN);
    v.push(FRAME_VERSION);
    v.push(t);
    v
}

/// Builds a DATA frame without an intermediate copy of the symbol.
pub fn encode_data(block: u32, esi: u32, symbol: &[u8]) -> Vec<u8> {
    encode_data_seq(block, esi, 0, symbol)
}

/// A DATA frame numbered `seq`. `esi` must fit in 24 bits (the sender never makes a wider
/// one: RaptorQ symbol ids are 24-bit).
pub fn encode_data_seq(block: u32, esi: u32, seq: u8, symbol: &[u8]) -> Vec<u8> {
    let mut v = prefix(T_DATA, DATA_HEADER_LEN + symbol.len());
    v.extend_from_slice(&block.to_be_bytes());
    debug_assert!(esi <= MAX_ESI, "esi {esi} exceeds 24 bits");
    let field = (esi & MAX_ESI) | u32::from(seq) << 24;
    v.extend_from_slice(&field.to_be_bytes());
    v.extend_from_slice(symbol);
    v
}

impl Frame<'_> {
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Frame::Manifest(m) => {
                let mut v = prefix(T_MANIFEST, MANIFEST_LEN);
                v.extend_from_slice(&m.total_len.to_be_bytes());
                v.extend_from_slice(&m.chunk_size.to_be_bytes());
                v.extend_from_slice(&m.symbols_per_block.to_be_bytes());
                v.push(u8::from(m.fec));
                v.push(0);
                v.extend_from_slice(&m.checksum.to_be_bytes());
                v.extend_from_slice(&m.ports.src.to_be_bytes());
                v.extend_from_slice(&m.ports.dst.to_be_bytes());
                v
            }
            Frame::Data {
                block,
                esi,
                seq,
                symbol,
            } => encode_data_seq(*block, *esi, *seq, symbol),
            Frame::StatusRequest { round } => {
                let mut v = prefix(T_STATUS, PREFIX_LEN + 4);
                v.extend_from_slice(&round.to_be_bytes());
                v
            }
            Frame::Ready => prefix(T_READY, PREFIX_LEN),
            Frame::Nack(n) => {
                let (kind, count, entry) = match &n.body {
                    NackBody::Ranges(r) => (0u8, r.len(), RANGE_ENTRY_LEN),
                    NackBody::Needs(r) => (1u8, r.len(), NEED_ENTRY_LEN),
                };
                let mut v = prefix(T_NACK, NACK_HEADER_LEN + count * entry);
                v.extend_from_slice(&n.round.to_be_bytes());
                v.extend_from_slice(&n.part.to_be_bytes());
                v.extend_from_slice(&n.parts.to_be_bytes());
                v.push(kind);
                v.push(u8::from(n.truncated));
                v.extend_from_slice(&(count as u16).to_be_bytes());
                match &n.body {
                    NackBody::Ranges(r) => {
                        for e in r {
                            v.extend_from_slice(&e.start.to_be_bytes());
                            v.extend_from_slice(&e.len.to_be_bytes());
                        }
                    }
                    NackBody::Needs(r) => {
                        for e in r {
                            v.extend_from_slice(&e.first_block.to_be_bytes());
                            v.extend_from_slice(&e.blocks.to_be_bytes());
                            v.extend_from_slice(&e.need.to_be_bytes());
                        }
                    }
                }
                v
            }
            Frame::Done { checksum } => {
                let mut v = prefix(T_DONE, PREFIX_LEN + 4);
                v.extend_from_slice(&checksum.to_be_bytes());
                v
            }
            Frame::Abort => prefix(T_ABORT, PREFIX_LEN),
            Frame::Quit { reason, detail } => {
                let mut v = prefix(T_QUIT, QUIT_LEN);
                v.push(*reason as u8);
                v.extend_from_slice(&detail.to_be_bytes());
                v
            }
            Frame::Rate(r) => {
                let mut v = prefix(T_RATE, RATE_LEN);
                for x in [r.bytes, r.span_us, r.received, r.expected] {
                    v.extend_from_slice(&x.to_be_bytes());
                }
                v
            }
        }
    }
}

impl<'a> Frame<'a> {
    pub fn decode(b: &'a [u8]) -> Result<Frame<'a>, FrameError> {
        let mut r = Reader { b, pos: 0 };
        let version = r.u8()?;
        if version != FRAME_VERSION {
            return Err(FrameError::BadVersion { found: version });
        }
        let t = r.u8()?;
        let frame = match t {
            T_MANIFEST => {
                let total_len = r.u64()?;
                let chunk_size = r.u16()?;
                let symbols_per_block = r.u16()?;
                let flags = r.u8()?;
                let reserved = r.u8()?;
                if flags & !1 != 0 || reserved != 0 {
                    return Err(FrameError::ReservedBits);
                }
                let checksum = r.u32()?;
                let ports = Ports {
                    src: r.u16()?,
                    dst: r.u16()?,
                };
                let m = Manifest {
                    total_len,
                    chunk_size,
                    symbols_per_block,
                    fec: flags & 1 == 1,
                    checksum,
                    ports,
                };
                m.validate().map_err(|e| {
                    FrameError::BadField(match e {
                        GeometryError::Empty => "manifest total_len is zero",
                        GeometryError::ZeroChunk => "manifest chunk_size is zero",
                        GeometryError::BadBlockSize => "manifest symbols_per_block out of range",
                        GeometryError::TooManyChunks => "manifest has more than 2^32-1 chunks",
                    })
                })?;
                Frame::Manifest(m)
            }
            T_DATA => {
                let block = r.u32()?;
                let field = r.u32()?;
                let symbol = r.rest();
                if symbol.is_empty() {
                    return Err(FrameError::BadField("empty data symbol"));
                }
                Frame::Data {
                    block,
                    esi: field & MAX_ESI,
                    seq: (field >> 24) as u8,
                    symbol,
                }
            }
            T_STATUS => Frame::StatusRequest { round: r.u32()? },
            T_READY => Frame::Ready,
            T_NACK => Frame::Nack(decode_nack(&mut r)?),
            T_DONE => Frame::Done { checksum: r.u32()? },
            T_ABORT => Frame::Abort,
            T_QUIT => {
                let reason = match r.u8()? {
                    1 => QuitReason::ChecksumMismatch,
                    2 => QuitReason::SizeMismatch,
                    3 => QuitReason::Cancelled,
                    4 => QuitReason::Timeout,
                    _ => return Err(FrameError::BadField("quit reason")),
                };
                Frame::Quit {
                    reason,
                    detail: r.u64()?,
                }
            }
            T_RATE => {
                let rate = RateSample {
                    bytes: r.u32()?,
                    span_us: r.u32()?,
                    received: r.u32()?,
                    expected: r.u32()?,
                };
                if rate.received == 0 || rate.expected < rate.received {
                    return Err(FrameError::BadField("rate counts"));
                }
                Frame::Rate(rate)
            }
            found => return Err(FrameError::BadType { found }),
        };
        r.finish()?;
        Ok(frame)
    }
}

fn decode_nack(r: &mut Reader<'_>) -> Result<Nack, FrameError> {
    let round = r.u32()?;
    let part = r.u16()?;
    let parts = r.u16()?;
    let kind = r.u8()?;
    let flags = r.u8()?;
    let count = usize::from(r.u16()?);
    if parts == 0 || parts > MAX_NACK_PARTS || part >= parts {
        return Err(FrameError::BadField("nack part/parts"));
    }
    if flags & !1 != 0 {
        return Err(FrameError::ReservedBits);
    }
    let entry = match kind {
        0 => RANGE_ENTRY_LEN,
        1 => NEED_ENTRY_LEN,
        _ => return Err(FrameError::BadField("nack kind")),
    };
    let have = r.b.len() - r.pos;
    if have != count * entry {
        return Err(FrameError::BadLength {
            expected: r.pos + count * entry,
            found: r.b.len(),
        });
    }
    let body = if kind == 0 {
        let mut v = Vec::with_capacity(count);
        for _ in 0..count {
            let start = r.u32()?;
            let len = r.u32()?;
            if len == 0 || start.checked_add(len).is_none() {
                return Err(FrameError::BadField("nack range empty or overflowing"));
            }
            v.push(MissingRange { start, len });
        }
        NackBody::Ranges(v)
    } else {
        let mut v = Vec::with_capacity(count);
        for _ in 0..count {
            let first_block = r.u32()?;
            let blocks = r.u32()?;
            let need = r.u16()?;
            if blocks == 0 || need == 0 || first_block.checked_add(blocks).is_none() {
                return Err(FrameError::BadField("nack block need empty or overflowing"));
            }
            v.push(BlockNeed {
                first_block,
                blocks,
                need,
            });
        }
        NackBody::Needs(v)
    };
    Ok(Nack {
        round,
        part,
        parts,
        truncated: flags & 1 == 1,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn manifest() -> Manifest {
        Manifest {
            total_len: 1_000_000,
            chunk_size: 1350,
            symbols_per_block: 128,
            fec: true,
            checksum: 0xdead_beef,
            ports: Ports {
                src: 7000,
                dst: 7001,
            },
        }
    }

    fn samples() -> Vec<Frame<'static>> {
        vec![
            Frame::Manifest(manifest()),
            Frame::Data {
                block: 3,
                esi: 130,
                seq: 201,
                symbol: b"abc",
            },
            Frame::StatusRequest { round: 9 },
            Frame::Ready,
            Frame::Nack(Nack {
                round: 2,
                part: 1,
                parts: 3,
                truncated: true,
                body: NackBody::Ranges(vec![MissingRange { start: 5, len: 2 }]),
            }),
            Frame::Nack(Nack {
                round: 2,
                part: 0,
                parts: 1,
                truncated: false,
                body: NackBody::Needs(vec![BlockNeed {
                    first_block: 0,
                    blocks: 4,
                    need: 3,
                }]),
            }),
            Frame::Done { checksum: 17 },
            Frame::Abort,
            Frame::Quit {
                reason: QuitReason::SizeMismatch,
                detail: 1 << 40,
            },
            Frame::Rate(RateSample {
                bytes: 1 << 20,
                span_us: 4000,
                received: 700,
                expected: 737,
            }),
        ]
    }

    #[test]
    fn roundtrip_every_type_and_pin_layout() {
        for f in samples() {
            let b = f.encode();
            assert_eq!(Frame::decode(&b), Ok(f.clone()));
            assert_eq!(b[0], FRAME_VERSION);
        }
        assert_eq!(Frame::Manifest(manifest()).encode().len(), MANIFEST_LEN);
        let d = encode_data(1, 2, &[9; 5]);
        assert_eq!(d.len(), DATA_HEADER_LEN + 5);
        assert_eq!(&d[..DATA_HEADER_LEN], &[3, 2, 0, 0, 0, 1, 0, 0, 0, 2]);
        let d = encode_data_seq(1, 2, 0xab, &[9; 5]);
        assert_eq!(&d[..DATA_HEADER_LEN], &[3, 2, 0, 0, 0, 1, 0xab, 0, 0, 2]);
        assert_eq!(samples()[9].encode().len(), RATE_LEN);
        assert_eq!(samples()[8].encode().len(), QUIT_LEN);
    }

    #[test]
    fn the_trailer_catches_every_single_bit_flip_and_binds_source_and_session() {
        let mut sealed = encode_data(1, 2, &[7; 40]);
        seal(3, 99, &mut sealed);
        assert_eq!(sealed.len(), DATA_HEADER_LEN + 40 + TRAILER_LEN);
        assert_eq!(unseal(3, 99, &sealed), Some(&sealed[..sealed.len() - 4]));
        for bit in 0..sealed.len() * 8 {
            let mut b = sealed.clone();
            b[bit / 8] ^= 1 << (bit % 8);
            assert_eq!(unseal(3, 99, &b), None, "bit {bit}");
        }
        assert_eq!(unseal(4, 99, &sealed), None);
        assert_eq!(unseal(3, 98, &sealed), None);
        assert_eq!(unseal(3, 99, &sealed[..3]), None);
        assert_eq!(unseal(3, 99, &[]), None);
    }

    #[test]
    fn strict_decoding_rejects_each_violation() {
        let m = Frame::Manifest(manifest()).encode();
        let with = |b: &[u8], i: usize, v: u8| {
            let mut b = b.to_vec();
            b[i] = v;
            Frame::decode(&b).map(|f| f.encode())
        };
        assert_eq!(
            Frame::decode(&[]),
            Err(FrameError::Truncated { needed: 1, have: 0 })
        );
        assert_eq!(with(&m, 0, 1), Err(FrameError::BadVersion { found: 1 }));
        assert_eq!(with(&m, 1, 99), Err(FrameError::BadType { found: 99 }));
        assert_eq!(with(&m, 14, 3), Err(FrameError::ReservedBits));
        assert_eq!(with(&m, 15, 1), Err(FrameError::ReservedBits));
        let mut zero_chunk = m.clone();
        zero_chunk[10] = 0;
        zero_chunk[11] = 0;
        assert!(matches!(
            Frame::decode(&zero_chunk),
            Err(FrameError::BadField(_))
        ));
        assert!(matches!(
            Frame::decode(&m[..m.len() - 1]),
            Err(FrameError::Truncated { .. })
        ));
        let mut long = m.clone();
        long.push(0);
        assert!(matches!(
            Frame::decode(&long),
            Err(FrameError::BadLength { .. })
        ));
        let rate = samples()[9].encode();
        // RATE layout: bytes 2..6, span 6..10, received 10..14, expected 14..18.
        assert!(matches!(
            with(&rate, 13, 0xff),
            Err(FrameError::BadField(_))
        )); // received > expected
        let mut none = rate.clone();
        none[10..14].fill(0);
        assert!(matches!(Frame::decode(&none), Err(FrameError::BadField(_)))); // received 0
        assert!(matches!(
            Frame::decode(&encode_data(0, 0, b"")),
            Err(FrameError::BadField(_))
        ));
        let nack = samples()[4].encode();
        // NACK layout: round 2..6, part 6..8, parts 8..10, kind 10, flags 11, count 12..14.
        assert!(matches!(with(&nack, 9, 0), Err(FrameError::BadField(_)))); // parts = 0
        assert!(matches!(with(&nack, 9, 1), Err(FrameError::BadField(_)))); // part 1 of 1
        assert!(matches!(with(&nack, 10, 5), Err(FrameError::BadField(_)))); // kind 5
        assert!(matches!(with(&nack, 11, 2), Err(FrameError::ReservedBits)));
        assert!(matches!(
            with(&nack, 13, 2),
            Err(FrameError::BadLength { .. })
        )); // count 2
        assert!(matches!(with(&nack, 21, 0), Err(FrameError::BadField(_)))); // len 0
        assert_eq!(FrameError::ReservedBits.code().as_str(), "MALFORMED_PACKET");
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(f) = Frame::decode(&bytes) {
                // Whatever decodes re-encodes to the same bytes: the format has no slack.
                prop_assert_eq!(f.encode(), bytes);
            }
        }

        #[test]
        fn mutated_valid_frames_never_panic(which in 0usize..9, pos in 0usize..64, val in any::<u8>()) {
            let mut b = samples()[which].encode();
            let p = pos % b.len();
            b[p] = val;
            if let Ok(f) = Frame::decode(&b) {
                prop_assert_eq!(f.encode(), b);
            }
        }
    }
}
