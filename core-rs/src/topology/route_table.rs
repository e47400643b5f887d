//! The per-node unicast [`RouteTable`] and its binary codec.
//!
//! Encoding (after the 2-byte preamble of [`super::codec`], kind 1):
//!
//! ```text
//! u32 entry_count
//! entry_count × { u32 src (0 = any source), u32 dst, u32 hop_count (>= 1), hop_count × u32 hop }
//! ```
//!
//! Entries are sorted by `(src, dst)` with "any" (0) first, hops ascending.

use super::codec::{self, CodecError, EntryError, Reader, KIND_ROUTE};
use super::hash::{self, FlowKey};
use crate::error::{CoreError, ErrorCode};
use std::collections::BTreeMap;
use std::fmt;

/// Smallest encoded entry: src, dst, hop count and one hop.
const MIN_ENTRY_LEN: usize = 16;

/// Next hops of one node, keyed by `(source or any, destination)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteTable {
    /// `None` sorts before `Some`, matching the encoded "0 = any" order.
    entries: BTreeMap<(Option<u32>, u32), Vec<u32>>,
}

/// No entry matches the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoRouteError {
    pub src: u32,
    pub dst: u32,
}

impl fmt::Display for NoRouteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no route from node {} to node {}", self.src, self.dst)
    }
}

impl std::error::Error for NoRouteError {}

impl CoreError for NoRouteError {
    fn code(&self) -> ErrorCode {
        ErrorCode::NoRoute
    }
}

impl RouteTable {
    pub fn new() -> Self {
        RouteTable::default()
    }

    /// Sets the next hops for `(src, dst)`; `src = None` is the wildcard entry. Hops are
    /// sorted and deduplicated; an empty list removes the entry. Ids must be >= 1 (0 is the
    /// encoded wildcard).
    pub fn set(
        &mut self,
        src: Option<u32>,
        dst: u32,
        next_hops: impl IntoIterator<Item = u32>,
    ) -> Result<(), EntryError> {
        if src == Some(0) {
            return Err(EntryError { field: "source" });
        }
        if dst == 0 {
            return Err(EntryError {
                field: "destination",
            });
        }
        let mut hops: Vec<u32> = next_hops.into_iter().collect();
        if hops.contains(&0) {
            return Err(EntryError { field: "next hop" });
        }
        hops.sort_unstable();
        hops.dedup();
        if hops.is_empty() {
            self.entries.remove(&(src, dst));
        } else {
            self.entries.insert((src, dst), hops);
        }
        Ok(())
    }

    /// Candidate next hops for a packet from `src` to `dst`: the exact `(src, dst)` entry if
    /// any (explicit routes), else the `(any, dst)` entry.
    pub fn next_hops(&self, src: u32, dst: u32) -> Option<&[u32]> {
        self.entries
            .get(&(Some(src), dst))
            .or_else(|| self.entries.get(&(None, dst)))
            .map(Vec::as_slice)
    }

    /// The one next hop for this flow: rendezvous hashing over the candidates, so the flow
    /// keeps its path and losing a hop only re-routes the flows that used it.
    pub fn select(&self, flow: &FlowKey) -> Option<u32> {
        hash::pick(flow.hash(), self.next_hops(flow.src, flow.dst)?)
    }

    /// Like [`RouteTable::select`], with a typed error for the boundary.
    pub fn next_hop(&self, flow: &FlowKey) -> Result<u32, NoRouteError> {
        self.select(flow).ok_or(NoRouteError {
            src: flow.src,
            dst: flow.dst,
        })
    }

    /// All entries in key order: `(src or None for any, dst, next hops)`.
    pub fn entries(&self) -> impl Iterator<Item = (Option<u32>, u32, &[u32])> {
        self.entries.iter().map(|(&(s, d), h)| (s, d, h.as_slice()))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn encode(&self) -> Vec<u8> {
        let body: usize = self.entries.values().map(|h| 12 + 4 * h.len()).sum();
        let mut out = Vec::with_capacity(6 + body);
        out.push(codec::TABLE_VERSION);
        out.push(KIND_ROUTE);
        codec::put_u32(&mut out, self.entries.len() as u32);
        for (&(src, dst), hops) in &self.entries {
            codec::put_u32(&mut out, src.unwrap_or(0));
            codec::put_u32(&mut out, dst);
            codec::put_hops(&mut out, hops);
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
        let mut r = Reader::new(bytes, KIND_ROUTE)?;
        let n = r.count("route entry", MIN_ENTRY_LEN)?;
        let mut entries = BTreeMap::new();
        let mut prev: Option<(Option<u32>, u32)> = None;
        for _ in 0..n {
            let at = r.offset();
            let src = match r.u32()? {
                0 => None,
                s => Some(s),
            };
            let dst = r.node("destination")?;
            let key = (src, dst);
            if prev.is_some_and(|p| p >= key) {
                return Err(CodecError::NotCanonical {
                    what: "route entry",
                    offset: at,
                });
            }
            prev = Some(key);
            entries.insert(key, r.hops(false)?);
        }
        r.finish()?;
        Ok(RouteTable { entries })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> RouteTable {
        let mut t = RouteTable::new();
        t.set(None, 4, [3, 2]).unwrap();
        t.set(None, 2, [2]).unwrap();
        t.set(Some(1), 4, [3]).unwrap();
        t
    }

    #[test]
    fn exact_entry_wins_over_wildcard() {
        let t = sample();
        assert_eq!(t.next_hops(1, 4), Some(&[3][..]));
        assert_eq!(t.next_hops(7, 4), Some(&[2, 3][..]));
        assert_eq!(t.next_hops(1, 2), Some(&[2][..]));
        assert_eq!(t.next_hops(1, 9), None);
        let flow = FlowKey::new(1, 9, 1, 2);
        assert_eq!(t.select(&flow), None);
        let e = t.next_hop(&flow).unwrap_err();
        assert_eq!(
            (e.code(), e.to_string().as_str()),
            (ErrorCode::NoRoute, "no route from node 1 to node 9")
        );
        assert_eq!(t.next_hop(&FlowKey::new(1, 4, 5, 6)), Ok(3));
    }

    #[test]
    fn set_normalises_and_rejects_zero() {
        let mut t = RouteTable::new();
        t.set(None, 5, [4, 1, 4]).unwrap();
        assert_eq!(t.next_hops(9, 5), Some(&[1, 4][..]));
        t.set(None, 5, []).unwrap();
        assert!(t.is_empty());
        assert_eq!(t.set(Some(0), 5, [1]), Err(EntryError { field: "source" }));
        assert_eq!(
            t.set(None, 0, [1]),
            Err(EntryError {
                field: "destination"
            })
        );
        assert_eq!(t.set(None, 5, [0]), Err(EntryError { field: "next hop" }));
    }

    #[test]
    fn ecmp_selection_is_sticky_and_minimal_on_hop_loss() {
        let mut t = RouteTable::new();
        t.set(None, 9, [2, 3, 4, 5]).unwrap();
        let mut smaller = RouteTable::new();
        smaller.set(None, 9, [2, 3, 5]).unwrap();
        let mut used = [0u32; 6];
        let (mut moved, mut total) = (0, 0);
        for sp in 0..2000u16 {
            let flow = FlowKey::new(1, 9, sp, 80);
            let a = t.select(&flow).unwrap();
            assert_eq!(t.select(&flow), Some(a), "not deterministic");
            used[a as usize] += 1;
            let b = smaller.select(&flow).unwrap();
            total += 1;
            if a == 4 {
                moved += 1;
                assert_ne!(b, 4);
            } else {
                assert_eq!(a, b, "flow {sp} moved although its hop survived");
            }
        }
        assert!(used[2..6].iter().all(|&c| c > 350), "{used:?}");
        assert!(moved > 0 && moved < total);
    }

    #[test]
    fn codec_layout_and_roundtrip() {
        let t = sample();
        let bytes = t.encode();
        assert_eq!(RouteTable::decode(&bytes), Ok(t.clone()));
        #[rustfmt::skip]
        let expected = [
            1, 1, 0, 0, 0, 3,
            0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2,
            0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3,
            0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 3,
        ];
        assert_eq!(bytes, expected);
        assert_eq!(
            RouteTable::decode(&RouteTable::new().encode()),
            Ok(RouteTable::new())
        );
    }

    #[test]
    fn decode_rejects_each_inconsistency() {
        let good = sample().encode();
        let with = |i: usize, v: u8| {
            let mut b = good.clone();
            b[i] = v;
            RouteTable::decode(&b)
        };
        assert!(matches!(
            RouteTable::decode(&[]),
            Err(CodecError::Truncated { .. })
        ));
        assert_eq!(with(0, 2), Err(CodecError::BadVersion { found: 2 }));
        assert_eq!(
            with(1, 2),
            Err(CodecError::WrongKind {
                found: 2,
                expected: 1
            })
        );
        // Count of 2^32-1 entries in 50 bytes: refused before allocating.
        let mut huge = good.clone();
        huge[2..6].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            RouteTable::decode(&huge),
            Err(CodecError::CountTooLarge {
                what: "route entry",
                count: u32::MAX,
                ..
            })
        ));
        // Hop count claiming more hops than bytes.
        assert!(matches!(
            with(17, 200),
            Err(CodecError::CountTooLarge {
                what: "next hop",
                ..
            })
        ));
        assert!(matches!(
            with(17, 0),
            Err(CodecError::BadValue {
                what: "next hop count",
                ..
            })
        ));
        assert!(matches!(
            with(13, 0),
            Err(CodecError::BadValue {
                what: "destination",
                ..
            })
        ));
        assert!(matches!(
            with(21, 0),
            Err(CodecError::BadValue {
                what: "next hop",
                ..
            })
        ));
        // Hops [2, 3] -> [3, 3]: duplicated.
        assert!(matches!(
            with(37, 3),
            Err(CodecError::NotCanonical {
                what: "next hop",
                ..
            })
        ));
        // Second entry's dst 4 -> 1: keys out of order.
        assert!(matches!(
            with(29, 1),
            Err(CodecError::NotCanonical {
                what: "route entry",
                ..
            })
        ));
        let mut long = good.clone();
        long.push(0);
        assert_eq!(
            RouteTable::decode(&long),
            Err(CodecError::TrailingBytes { extra: 1 })
        );
        for cut in 0..good.len() {
            assert!(
                matches!(
                    RouteTable::decode(&good[..cut]),
                    Err(CodecError::Truncated { .. }) | Err(CodecError::CountTooLarge { .. })
                ),
                "cut {cut}"
            );
        }
        assert_eq!(
            CodecError::TrailingBytes { extra: 1 }.code(),
            ErrorCode::MalformedPacket
        );
    }

    fn any_table() -> impl Strategy<Value = RouteTable> {
        proptest::collection::vec(
            (
                0u32..20,
                1u32..20,
                proptest::collection::vec(1u32..50, 1..5),
            ),
            0..20,
        )
        .prop_map(|rows| {
            let mut t = RouteTable::new();
            for (s, d, h) in rows {
                t.set(if s == 0 { None } else { Some(s) }, d, h).unwrap();
            }
            t
        })
    }

    proptest! {
        #[test]
        fn roundtrip(t in any_table()) {
            prop_assert_eq!(RouteTable::decode(&t.encode()), Ok(t));
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            // Either a typed error or a table whose encoding is exactly the input (canonical).
            if let Ok(t) = RouteTable::decode(&bytes) {
                prop_assert_eq!(t.encode(), bytes);
            }
        }

        #[test]
        fn arbitrary_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..200)) {
            // Random bytes rarely pass the preamble; this drives the entry decoder directly.
            let mut bytes = vec![1, 1];
            bytes.extend_from_slice(&body);
            if let Ok(t) = RouteTable::decode(&bytes) {
                prop_assert_eq!(t.encode(), bytes);
            }
        }

        #[test]
        fn mutated_tables_never_panic(t in any_table(), pos in any::<prop::sample::Index>(), v in any::<u8>()) {
            let mut b = t.encode();
            let i = pos.index(b.len());
            b[i] = v;
            if let Ok(d) = RouteTable::decode(&b) {
                prop_assert_eq!(d.encode(), b);
            }
        }
    }
}
