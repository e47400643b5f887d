//! The per-node [`MulticastTable`] and its binary codec.
//!
//! Encoding (after the 2-byte preamble of [`super::codec`], kind 2):
//!
//! ```text
//! u32 entry_count
//! entry_count × { u32 group (>= 1), u16 tree_id, u32 source (>= 1), u32 weight,
//!                 u8 local (0 | 1), u32 hop_count, hop_count × u32 hop }
//! ```
//!
//! Entries sorted by `(group, tree_id)`, hops ascending; an entry with no hop must be local.

use super::codec::{self, CodecError, EntryError, Reader, KIND_MULTICAST};
use super::hash::{self, FlowKey};
use std::collections::BTreeMap;

/// Smallest encoded entry: every fixed field and an empty hop list.
const MIN_ENTRY_LEN: usize = 4 + 2 + 4 + 4 + 1 + 4;

/// What a node does with a packet of `(group, tree)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McEntry {
    /// The group's source (the tree's root).
    pub source: u32,
    /// Out-neighbours in the tree, ascending; empty on a leaf.
    pub next_hops: Vec<u32>,
    /// Deliver to local subscribers (this node is a member).
    pub local: bool,
    /// The tree's weight, carried on every node so the source can choose a tree per flow
    /// without a separate message; other nodes ignore it.
    pub weight: u32,
}

/// A node's multicast entries, keyed by `(group_id, tree_id)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MulticastTable {
    entries: BTreeMap<(u32, u16), McEntry>,
}

impl MulticastTable {
    pub fn new() -> Self {
        MulticastTable::default()
    }

    /// Builds a table from one node's derived entries (see
    /// [`super::multicast::derive_group_entries`]).
    pub fn from_entries(entries: BTreeMap<(u32, u16), McEntry>) -> Result<Self, EntryError> {
        let mut t = MulticastTable::new();
        for ((group, tree), e) in entries {
            t.set(group, tree, e)?;
        }
        Ok(t)
    }

    /// Inserts or replaces an entry. Hops are sorted and deduplicated. Rejected: group,
    /// source or hop 0, and an entry that neither forwards nor delivers (it would be a no-op
    /// that the codec cannot tell apart from garbage).
    pub fn set(&mut self, group: u32, tree_id: u16, mut entry: McEntry) -> Result<(), EntryError> {
        if group == 0 {
            return Err(EntryError { field: "group" });
        }
        if entry.source == 0 {
            return Err(EntryError { field: "source" });
        }
        if entry.next_hops.contains(&0) {
            return Err(EntryError { field: "next hop" });
        }
        entry.next_hops.sort_unstable();
        entry.next_hops.dedup();
        if entry.next_hops.is_empty() && !entry.local {
            return Err(EntryError {
                field: "next hop count of a non-local entry",
            });
        }
        self.entries.insert((group, tree_id), entry);
        Ok(())
    }

    /// Removes every tree of `group`.
    pub fn remove_group(&mut self, group: u32) {
        self.entries.retain(|&(g, _), _| g != group);
    }

    pub fn lookup(&self, group: u32, tree_id: u16) -> Option<&McEntry> {
        self.entries.get(&(group, tree_id))
    }

    /// The tree a flow uses when its sender names none: weighted rendezvous over this node's
    /// trees of the group, so flows split by weight, a flow keeps its tree, and removing a
    /// tree only moves that tree's flows. `flow.dst` is the group id. `None` when the node
    /// has no tree of the group with a positive weight.
    pub fn choose_tree(&self, flow: &FlowKey) -> Option<u16> {
        let trees = self
            .entries
            .range((flow.dst, 0)..=(flow.dst, u16::MAX))
            .map(|(&(_, tree), e)| (u32::from(tree), e.weight));
        hash::pick_weighted(flow.hash(), trees).map(|t| t as u16)
    }

    /// All entries in key order.
    pub fn entries(&self) -> impl Iterator<Item = ((u32, u16), &McEntry)> {
        self.entries.iter().map(|(&k, e)| (k, e))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn encode(&self) -> Vec<u8> {
        let body: usize = self
            .entries
            .values()
            .map(|e| MIN_ENTRY_LEN + 4 * e.next_hops.len())
            .sum();
        let mut out = Vec::with_capacity(6 + body);
        out.push(codec::TABLE_VERSION);
        out.push(KIND_MULTICAST);
        codec::put_u32(&mut out, self.entries.len() as u32);
        for (&(group, tree), e) in &self.entries {
            codec::put_u32(&mut out, group);
            codec::put_u16(&mut out, tree);
            codec::put_u32(&mut out, e.source);
            codec::put_u32(&mut out, e.weight);
            out.push(u8::from(e.local));
            codec::put_hops(&mut out, &e.next_hops);
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
        let mut r = Reader::new(bytes, KIND_MULTICAST)?;
        let n = r.count("multicast entry", MIN_ENTRY_LEN)?;
        let mut entries = BTreeMap::new();
        let mut prev = None;
        for _ in 0..n {
            let at = r.offset();
            let group = r.node("group")?;
            let tree = r.u16()?;
            if prev.is_some_and(|p| p >= (group, tree)) {
                return Err(CodecError::NotCanonical {
                    what: "multicast entry",
                    offset: at,
                });
            }
            prev = Some((group, tree));
            let source = r.node("source")?;
            let weight = r.u32()?;
            let flag_at = r.offset();
            let local = match r.u8()? {
                0 => false,
                1 => true,
                v => {
                    return Err(CodecError::BadValue {
                        what: "local flag",
                        value: v.into(),
                        offset: flag_at,
                    })
                }
            };
            let hops_at = r.offset();
            let next_hops = r.hops(true)?;
            if next_hops.is_empty() && !local {
                return Err(CodecError::BadValue {
                    what: "next hop count of a non-local entry",
                    value: 0,
                    offset: hops_at,
                });
            }
            entries.insert(
                (group, tree),
                McEntry {
                    source,
                    next_hops,
                    local,
                    weight,
                },
            );
        }
        r.finish()?;
        Ok(MulticastTable { entries })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{CoreError, ErrorCode};
    use proptest::prelude::*;

    fn entry(hops: &[u32], local: bool, weight: u32) -> McEntry {
        McEntry {
            source: 1,
            next_hops: hops.to_vec(),
            local,
            weight,
        }
    }

    fn sample() -> MulticastTable {
        let mut t = MulticastTable::new();
        t.set(7, 0, entry(&[5, 2], false, 1)).unwrap();
        t.set(7, 1, entry(&[], true, 3)).unwrap();
        t.set(9, 0, entry(&[4], true, 1)).unwrap();
        t
    }

    #[test]
    fn lookup_and_set_rules() {
        let mut t = sample();
        assert_eq!(t.lookup(7, 0).unwrap().next_hops, vec![2, 5]);
        assert!(t.lookup(7, 1).unwrap().local);
        assert_eq!(t.lookup(7, 2), None);
        assert_eq!(t.lookup(8, 0), None);
        assert_eq!(
            t.set(0, 0, entry(&[1], false, 1)),
            Err(EntryError { field: "group" })
        );
        let mut bad = entry(&[1], false, 1);
        bad.source = 0;
        assert_eq!(t.set(1, 0, bad), Err(EntryError { field: "source" }));
        assert_eq!(
            t.set(1, 0, entry(&[0], false, 1)),
            Err(EntryError { field: "next hop" })
        );
        let noop = t.set(1, 0, entry(&[], false, 1)).unwrap_err();
        assert_eq!(noop.code(), ErrorCode::InvalidArgument);
        t.remove_group(7);
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn tree_choice_follows_weights_and_is_stable() {
        let mut t = MulticastTable::new();
        t.set(5, 0, entry(&[2], false, 1)).unwrap();
        t.set(5, 1, entry(&[3], false, 3)).unwrap();
        t.set(5, 2, entry(&[4], false, 0)).unwrap();
        t.set(6, 9, entry(&[4], false, 100)).unwrap(); // another group: never considered
        let mut counts = [0u32; 3];
        for sp in 0..8000u16 {
            let f = FlowKey::new(1, 5, sp, 7000);
            let tree = t.choose_tree(&f).unwrap();
            assert_eq!(t.choose_tree(&f), Some(tree));
            counts[tree as usize] += 1;
        }
        assert_eq!(counts[2], 0);
        assert!((1800..2200).contains(&counts[0]), "{counts:?}");
        // Removing tree 1 moves only tree 1's flows (to tree 0, the only other positive weight).
        let mut fewer = t.clone();
        fewer.entries.remove(&(5, 1));
        for sp in 0..2000u16 {
            let f = FlowKey::new(1, 5, sp, 7000);
            if t.choose_tree(&f) == Some(0) {
                assert_eq!(fewer.choose_tree(&f), Some(0));
            }
        }
        assert_eq!(t.choose_tree(&FlowKey::new(1, 8, 0, 0)), None);
    }

    #[test]
    fn codec_roundtrip_and_layout() {
        let t = sample();
        let b = t.encode();
        assert_eq!(MulticastTable::decode(&b), Ok(t));
        // preamble(2) + count(4) + 3 × 19 fixed + 3 hops × 4
        assert_eq!(b.len(), 6 + 3 * 19 + 3 * 4);
        assert_eq!(&b[..12], &[1, 2, 0, 0, 0, 3, 0, 0, 0, 7, 0, 0]);
        assert_eq!(
            MulticastTable::decode(&MulticastTable::new().encode()),
            Ok(MulticastTable::new())
        );
    }

    #[test]
    fn decode_rejects_each_inconsistency() {
        let good = sample().encode();
        // Entry 0 occupies 6..33: group 6..10, tree 10..12, source 12..16, weight 16..20,
        // local 20, hop count 21..25, hops 25..33.
        let with = |i: usize, v: u8| {
            let mut b = good.clone();
            b[i] = v;
            MulticastTable::decode(&b)
        };
        assert_eq!(with(0, 9), Err(CodecError::BadVersion { found: 9 }));
        assert_eq!(
            with(1, 1),
            Err(CodecError::WrongKind {
                found: 1,
                expected: 2
            })
        );
        // A route table is not a multicast table.
        assert!(matches!(
            MulticastTable::decode(&crate::topology::RouteTable::new().encode()),
            Err(CodecError::WrongKind { .. })
        ));
        assert!(matches!(
            with(9, 0),
            Err(CodecError::BadValue { what: "group", .. })
        ));
        assert!(matches!(
            with(15, 0),
            Err(CodecError::BadValue { what: "source", .. })
        ));
        assert!(matches!(
            with(20, 2),
            Err(CodecError::BadValue {
                what: "local flag",
                value: 2,
                ..
            })
        ));
        assert!(matches!(
            with(24, 0),
            Err(CodecError::BadValue {
                what: "next hop count of a non-local entry",
                ..
            })
        ));
        assert!(matches!(
            with(24, 99),
            Err(CodecError::CountTooLarge {
                what: "next hop",
                ..
            })
        ));
        assert!(matches!(
            with(28, 5),
            Err(CodecError::NotCanonical {
                what: "next hop",
                ..
            })
        ));
        // Second entry (7,1) -> (7,0): duplicate key.
        assert!(matches!(
            with(38, 0),
            Err(CodecError::NotCanonical {
                what: "multicast entry",
                ..
            })
        ));
        let mut huge = good.clone();
        huge[2..6].copy_from_slice(&0x4000_0000u32.to_be_bytes());
        assert!(matches!(
            MulticastTable::decode(&huge),
            Err(CodecError::CountTooLarge { .. })
        ));
        for cut in 0..good.len() {
            assert!(MulticastTable::decode(&good[..cut]).is_err(), "cut {cut}");
        }
        let mut long = good;
        long.extend_from_slice(&[0, 0]);
        assert_eq!(
            MulticastTable::decode(&long),
            Err(CodecError::TrailingBytes { extra: 2 })
        );
    }

    fn any_table() -> impl Strategy<Value = MulticastTable> {
        proptest::collection::vec(
            (
                1u32..6,
                0u16..4,
                1u32..9,
                any::<u32>(),
                any::<bool>(),
                proptest::collection::vec(1u32..30, 0..4),
            ),
            0..12,
        )
        .prop_map(|rows| {
            let mut t = MulticastTable::new();
            for (g, tree, source, weight, local, next_hops) in rows {
                let local = local || next_hops.is_empty();
                t.set(
                    g,
                    tree,
                    McEntry {
                        source,
                        next_hops,
                        local,
                        weight,
                    },
                )
                .unwrap();
            }
            t
        })
    }

    proptest! {
        #[test]
        fn roundtrip(t in any_table()) {
            prop_assert_eq!(MulticastTable::decode(&t.encode()), Ok(t));
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Ok(t) = MulticastTable::decode(&bytes) {
                prop_assert_eq!(t.encode(), bytes);
            }
        }

        #[test]
        fn arbitrary_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..200)) {
            // Random bytes rarely pass the preamble; this drives the entry decoder directly.
            let mut bytes = vec![1, 2];
            bytes.extend_from_slice(&body);
            if let Ok(t) = MulticastTable::decode(&bytes) {
                prop_assert_eq!(t.encode(), bytes);
            }
        }

        #[test]
        fn mutated_tables_never_panic(t in any_table(), pos in any::<prop::sample::Index>(), v in any::<u8>()) {
            let mut b = t.encode();
            let i = pos.index(b.len());
            b[i] = v;
            if let Ok(d) = MulticastTable::decode(&b) {
                prop_assert_eq!(d.encode(), b);
            }
        }
    }
}
