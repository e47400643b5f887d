//! Sender side: cutting a payload into datagrams no larger than the MTU.

use super::error::FragError;
use crate::wire::{Header, HEADER_LEN};
use std::iter::FusedIterator;

/// The largest piece one datagram of `mtu` bytes can carry, or `None` when the MTU cannot
/// carry a header plus one byte. Capped at `u16::MAX` because `payload_len` is 16 bits.
pub fn max_piece_len(mtu: usize) -> Option<usize> {
    match mtu.checked_sub(HEADER_LEN) {
        Some(room) if room >= 1 => Some(room.min(usize::from(u16::MAX))),
        _ => None,
    }
}

/// Splits `payload` into datagrams (header + piece), each at most `mtu` bytes.
///
/// Every field of `template` is copied except `frag_index`, `frag_count`, `total_len` and
/// `payload_len`, which are set here. Every piece but the last has the same size (the
/// largest that fits); an empty payload yields one datagram with `payload_len` 0.
///
/// The datagrams are produced lazily by the returned iterator, which only borrows
/// `payload`: sending a 16 MiB message never holds a second copy of it, only the one
/// datagram currently being built. All checks happen here, so iteration cannot fail.
pub fn fragment<'a>(
    template: &Header,
    payload: &'a [u8],
    mtu: usize,
    max_payload_bytes: usize,
) -> Result<Fragments<'a>, FragError> {
    let piece_len = max_piece_len(mtu).ok_or(FragError::MtuTooSmall { mtu })?;
    // total_len is 32 bits on the wire, whatever the caller's limit says.
    let max = max_payload_bytes.min(u32::MAX as usize);
    if payload.len() > max {
        return Err(FragError::PayloadTooLarge {
            len: payload.len(),
            max,
        });
    }
    // Cannot truncate: len <= u32::MAX and piece_len >= 1, so the count fits as well.
    let total_len = payload.len() as u32;
    let frag_count = payload.len().div_ceil(piece_len).max(1) as u32;
    let mut header = *template;
    header.frag_count = frag_count;
    header.total_len = total_len;
    Ok(Fragments {
        header,
        payload,
        piece_len,
        next: 0,
    })
}

/// Lazy sequence of the datagrams of one message, in fragment order. See [`fragment`].
#[derive(Debug, Clone)]
pub struct Fragments<'a> {
    /// Template with `frag_count` and `total_len` already set.
    header: Header,
    payload: &'a [u8],
    piece_len: usize,
    next: u32,
}

impl Fragments<'_> {
    /// Number of datagrams the message is split into (the `frag_count` on the wire).
    pub fn frag_count(&self) -> u32 {
        self.header.frag_count
    }

    /// Bytes carried by every datagram but the last.
    pub fn piece_len(&self) -> usize {
        self.piece_len
    }
}

impl Iterator for Fragments<'_> {
    type Item = Vec<u8>;

    fn next(&mut self) -> Option<Vec<u8>> {
        if self.next >= self.header.frag_count {
            return None;
        }
        let start = self.next as usize * self.piece_len;
        let end = start.saturating_add(self.piece_len).min(self.payload.len());
        let piece = &self.payload[start..end];
        let mut h = self.header;
        h.frag_index = self.next;
        // piece_len <= u16::MAX by construction.
        h.payload_len = piece.len() as u16;
        self.next += 1;
        Some(h.datagram(piece))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = (self.header.frag_count - self.next) as usize;
        (left, Some(left))
    }
}

impl ExactSizeIterator for Fragments<'_> {}
impl FusedIterator for Fragments<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::CoreError;
    use crate::wire::{PacketKind, DEFAULT_HOP_LIMIT};

    fn template() -> Header {
        Header {
            kind: PacketKind::Unicast,
            hop_limit: DEFAULT_HOP_LIMIT,
            src_node: 1,
            dst: 2,
            src_port: 1000,
            dst_port: 2000,
            message_id: 9,
            frag_index: 77,
            frag_count: 77,
            total_len: 77,
            session_id: 5,
            tree_id: 3,
            payload_len: 77,
        }
    }

    fn bytes(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 31 + i / 251) as u8).collect()
    }

    #[test]
    fn every_datagram_fits_and_is_valid_around_boundaries() {
        for mtu in [
            41,
            42,
            100,
            576,
            1280,
            1500,
            9000,
            HEADER_LEN + 65535,
            200_000,
        ] {
            let room = mtu - HEADER_LEN;
            for len in [
                0,
                1,
                2,
                room - 1,
                room,
                room + 1,
                2 * room,
                2 * room + 1,
                8192,
                1 << 20,
            ] {
                let payload = bytes(len);
                let frags = fragment(&template(), &payload, mtu, 1 << 24).unwrap();
                let count = frags.frag_count();
                let piece = frags.piece_len();
                assert_eq!(frags.len(), count as usize);
                let mut joined = Vec::with_capacity(len);
                for (i, dg) in frags.enumerate() {
                    assert!(
                        dg.len() <= mtu,
                        "mtu {mtu} len {len}: datagram of {}",
                        dg.len()
                    );
                    let h = Header::decode(&dg).unwrap();
                    assert_eq!((h.frag_index, h.frag_count), (i as u32, count));
                    assert_eq!(h.total_len as usize, len);
                    assert_eq!((h.src_node, h.session_id, h.tree_id), (1, 5, 3));
                    if h.frag_index + 1 < count {
                        assert_eq!(usize::from(h.payload_len), piece);
                    } else if len > 0 {
                        assert!(h.payload_len >= 1);
                    }
                    joined.extend_from_slice(&dg[HEADER_LEN..]);
                }
                assert_eq!(joined, payload, "mtu {mtu} len {len}");
            }
        }
    }

    #[test]
    fn empty_payload_is_one_empty_datagram() {
        let dgs: Vec<_> = fragment(&template(), &[], 41, 0).unwrap().collect();
        assert_eq!(dgs.len(), 1);
        let h = Header::decode(&dgs[0]).unwrap();
        assert_eq!(
            (h.frag_index, h.frag_count, h.total_len, h.payload_len),
            (0, 1, 0, 0)
        );
    }

    #[test]
    fn exact_fit_is_one_datagram_and_one_more_byte_is_two() {
        let count = |len| {
            fragment(&template(), &bytes(len), 1500, 1 << 24)
                .unwrap()
                .frag_count()
        };
        assert_eq!(count(1460), 1);
        assert_eq!(count(1461), 2);
    }

    #[test]
    fn piece_is_capped_by_the_16_bit_payload_len() {
        assert_eq!(max_piece_len(1 << 20), Some(65535));
        let payload = bytes(65536);
        let f = fragment(&template(), &payload, 1 << 20, 1 << 24).unwrap();
        assert_eq!((f.frag_count(), f.piece_len()), (2, 65535));
    }

    #[test]
    fn payload_too_large_names_both_numbers() {
        let err = fragment(&template(), &bytes(101), 1500, 100).unwrap_err();
        assert_eq!(err, FragError::PayloadTooLarge { len: 101, max: 100 });
        assert_eq!(err.code().as_str(), "PAYLOAD_TOO_LARGE");
        let msg = err.to_string();
        assert!(msg.contains("101") && msg.contains("100"), "{msg}");
        // At the limit is fine.
        assert!(fragment(&template(), &bytes(100), 1500, 100).is_ok());
    }

    #[test]
    fn mtu_without_room_for_one_byte_is_rejected() {
        for mtu in [0, 1, HEADER_LEN - 1, HEADER_LEN] {
            let err = fragment(&template(), b"x", mtu, 100).unwrap_err();
            assert_eq!(err, FragError::MtuTooSmall { mtu });
            assert_eq!(err.code().as_str(), "CONFIG_INVALID");
        }
        // Even an empty payload: the MTU is wrong regardless of what is sent over it.
        assert!(fragment(&template(), &[], HEADER_LEN, 100).is_err());
        assert!(fragment(&template(), b"x", HEADER_LEN + 1, 100).is_ok());
    }
}
