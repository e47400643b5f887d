//! Shared pieces of the table codecs: the common 2-byte preamble, a bounds-checked reader,
//! and [`CodecError`].
//!
//! Every table starts with `version: u8` ([`TABLE_VERSION`]) and `kind: u8` (1 = route table,
//! 2 = multicast table), so bytes meant for one decoder are never misread by the other. All
//! integers are big-endian, like the wire header. Decoding is canonical: keys strictly
//! ascending, hop lists strictly ascending, no trailing bytes, so a table has exactly one
//! encoding and `decode(encode(t)) == t` as well as `encode(decode(b)) == b`.

use crate::error::{CoreError, ErrorCode};
use std::fmt;

pub const TABLE_VERSION: u8 = 1;
pub(crate) const KIND_ROUTE: u8 = 1;
pub(crate) const KIND_MULTICAST: u8 = 2;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodecError {
    /// The buffer ends before a field.
    Truncated {
        offset: usize,
        needed: usize,
        len: usize,
    },
    BadVersion {
        found: u8,
    },
    /// The bytes are a different kind of table.
    WrongKind {
        found: u8,
        expected: u8,
    },
    /// A count cannot possibly fit in the bytes that remain. Checked before allocating, so a
    /// hostile count can never make us reserve gigabytes.
    CountTooLarge {
        what: &'static str,
        count: u32,
        remaining: usize,
    },
    /// Keys or hops are not strictly ascending (unsorted or duplicated).
    NotCanonical {
        what: &'static str,
        offset: usize,
    },
    /// A field holds a value outside its domain (a node id 0, a flag byte that is not 0/1).
    BadValue {
        what: &'static str,
        value: u32,
        offset: usize,
    },
    TrailingBytes {
        extra: usize,
    },
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodecError::Truncated {
                offset,
                needed,
                len,
            } => write!(
                f,
                "table truncated: {needed} bytes needed at offset {offset}, buffer has {len}"
            ),
            CodecError::BadVersion { found } => {
                write!(
                    f,
                    "table version {found} is not supported (expected {TABLE_VERSION})"
                )
            }
            CodecError::WrongKind { found, expected } => {
                write!(f, "table kind {found} where kind {expected} was expected")
            }
            CodecError::CountTooLarge {
                what,
                count,
                remaining,
            } => write!(
                f,
                "{what} count {count} cannot fit in the {remaining} remaining bytes"
            ),
            CodecError::NotCanonical { what, offset } => {
                write!(f, "{what} at offset {offset} is not strictly ascending")
            }
            CodecError::BadValue {
                what,
                value,
                offset,
            } => {
                write!(f, "{what} at offset {offset} has invalid value {value}")
            }
            CodecError::TrailingBytes { extra } => {
                write!(f, "{extra} unexpected bytes after the table")
            }
        }
    }
}

impl std::error::Error for CodecError {}

impl CoreError for CodecError {
    fn code(&self) -> ErrorCode {
        ErrorCode::MalformedPacket
    }
}

/// Rejected when building a table by hand with an id the codec cannot represent (0 is
/// reserved: it encodes "any source").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryError {
    pub field: &'static str,
}

impl fmt::Display for EntryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "table entry {} must be >= 1 (0 is reserved)", self.field)
    }
}

impl std::error::Error for EntryError {}

impl CoreError for EntryError {
    fn code(&self) -> ErrorCode {
        ErrorCode::InvalidArgument
    }
}

pub(crate) fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

pub(crate) fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// Writes a length-prefixed hop list. Lengths are u32: a star topology can give one node
/// far more than 65 535 neighbours.
pub(crate) fn put_hops(out: &mut Vec<u8>, hops: &[u32]) {
    put_u32(out, hops.len() as u32);
    for &h in hops {
        put_u32(out, h);
    }
}

/// A cursor that turns every out-of-bounds read into [`CodecError::Truncated`].
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Checks the preamble and positions the reader after it.
    pub(crate) fn new(buf: &'a [u8], kind: u8) -> Result<Self, CodecError> {
        let mut r = Reader { buf, pos: 0 };
        let version = r.u8()?;
        if version != TABLE_VERSION {
            return Err(CodecError::BadVersion { found: version });
        }
        let found = r.u8()?;
        if found != kind {
            return Err(CodecError::WrongKind {
                found,
                expected: kind,
            });
        }
        Ok(r)
    }

    pub(crate) fn offset(&self) -> usize {
        self.pos
    }

    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn take<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let bytes = self
            .buf
            .get(self.pos..self.pos + N)
            .ok_or(CodecError::Truncated {
                offset: self.pos,
                needed: N,
                len: self.buf.len(),
            })?;
        self.pos += N;
        // The slice has exactly N bytes.
        Ok(bytes.try_into().unwrap_or([0; N]))
    }

    pub(crate) fn u8(&mut self) -> Result<u8, CodecError> {
        Ok(self.take::<1>()?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, CodecError> {
        Ok(u16::from_be_bytes(self.take()?))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, CodecError> {
        Ok(u32::from_be_bytes(self.take()?))
    }

    /// A node id (>= 1).
    pub(crate) fn node(&mut self, what: &'static str) -> Result<u32, CodecError> {
        let offset = self.pos;
        let value = self.u32()?;
        if value == 0 {
            return Err(CodecError::BadValue {
                what,
                value,
                offset,
            });
        }
        Ok(value)
    }

    /// Reads a u32 count of items that each occupy at least `min_item_len` bytes, refusing it
    /// unless that many items could fit in what remains.
    pub(crate) fn count(
        &mut self,
        what: &'static str,
        min_item_len: usize,
    ) -> Result<usize, CodecError> {
        let count = self.u32()?;
        let remaining = self.remaining();
        if (count as usize).saturating_mul(min_item_len) > remaining {
            return Err(CodecError::CountTooLarge {
                what,
                count,
                remaining,
            });
        }
        Ok(count as usize)
    }

    /// Reads a strictly ascending hop list, empty only if `allow_empty`.
    pub(crate) fn hops(&mut self, allow_empty: bool) -> Result<Vec<u32>, CodecError> {
        let offset = self.pos;
        let n = self.count("next hop", 4)?;
        if n == 0 && !allow_empty {
            return Err(CodecError::BadValue {
                what: "next hop count",
                value: 0,
                offset,
            });
        }
        let mut hops = Vec::with_capacity(n);
        for _ in 0..n {
            let at = self.pos;
            let h = self.node("next hop")?;
            if hops.last().is_some_and(|&prev| prev >= h) {
                return Err(CodecError::NotCanonical {
                    what: "next hop",
                    offset: at,
                });
            }
            hops.push(h);
        }
        Ok(hops)
    }

    pub(crate) fn at_end(&self) -> bool {
        self.remaining() == 0
    }

    pub(crate) fn finish(self) -> Result<(), CodecError> {
        match self.remaining() {
            0 => Ok(()),
            extra => Err(CodecError::TrailingBytes { extra }),
        }
    }
}
