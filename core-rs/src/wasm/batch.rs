//! Batches of byte strings crossing the boundary in one call.
//!
//! Inbound datagrams: repeated `{ u32 from, u32 len, len bytes }`, `from` being the
//! link-level sender the host's transport identified (0 = unknown).
//! Outbound transmits: repeated `{ u32 next_hop, u32 len, len bytes }`.
//! All integers big-endian. A malformed batch is a host bug, reported as MALFORMED_PACKET.

use crate::error::{CoreError, ErrorCode};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchError {
    pub offset: usize,
}

impl fmt::Display for BatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "datagram batch is truncated at byte {}", self.offset)
    }
}

impl CoreError for BatchError {
    fn code(&self) -> ErrorCode {
        ErrorCode::MalformedPacket
    }
}

/// Splits an inbound batch into `(from, datagram)` pairs.
pub fn split(batch: &[u8]) -> impl Iterator<Item = Result<(u32, &[u8]), BatchError>> {
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        if pos >= batch.len() {
            return None;
        }
        let Some(head) = batch.get(pos..pos + 8) else {
            let at = pos;
            pos = batch.len();
            return Some(Err(BatchError { offset: at }));
        };
        let from = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        let len = u32::from_be_bytes([head[4], head[5], head[6], head[7]]) as usize;
        let start = pos + 8;
        match batch.get(start..start.saturating_add(len)) {
            Some(d) => {
                pos = start + len;
                Some(Ok((from, d)))
            }
            None => {
                let at = pos;
                pos = batch.len();
                Some(Err(BatchError { offset: at }))
            }
        }
    })
}

pub fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

pub fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_reports_truncation() {
        let mut b = Vec::new();
        for (from, d) in [(2u32, &b"ab"[..]), (0, b""), (7, b"xyz")] {
            put_u32(&mut b, from);
            put_u32(&mut b, d.len() as u32);
            b.extend_from_slice(d);
        }
        let parts: Vec<_> = split(&b).collect::<Result<_, _>>().unwrap();
        assert_eq!(parts, vec![(2, &b"ab"[..]), (0, b""), (7, b"xyz")]);
        assert!(split(&b[..b.len() - 1]).any(|r| r.is_err()));
        assert!(split(&[0, 0, 0, 1, 0]).any(|r| r.is_err()));
    }
}
