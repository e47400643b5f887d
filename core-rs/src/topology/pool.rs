//! Multicast group ids and addresses, handed out by the controller.

use crate::error::{CoreError, ErrorCode};
use std::collections::BTreeSet;
use std::fmt;

/// `a.b.c.d`.
pub fn format_ip(addr: [u8; 4]) -> String {
    let [a, b, c, d] = addr;
    format!("{a}.{b}.{c}.{d}")
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoolError {
    /// The mask's one bits are not a single leading run (e.g. 255.0.255.0).
    MaskNotContiguous { mask: [u8; 4] },
    /// The base is not a multicast address (224.0.0.0/4).
    NotMulticast { base: [u8; 4] },
    /// A prefix shorter than /4 would reach outside 224.0.0.0/4.
    PrefixTooShort { prefix: u32 },
    /// The base has host bits set under the mask.
    NotAligned { base: [u8; 4], prefix: u32 },
    /// /31 and /32 have no address left once network and broadcast are skipped.
    NoUsableAddress { prefix: u32 },
    /// Every usable address is in use. Never hands out an id in use: sharing an address would
    /// merge two groups' traffic.
    Exhausted {
        base: [u8; 4],
        prefix: u32,
        capacity: u32,
    },
    /// `base + node_id` does not fit in 32 bits.
    AddrOverflow { base: [u8; 4], node_id: u32 },
    /// A group id outside `1..=capacity` (e.g. a stored group from a larger pool).
    IdOutOfRange {
        group_id: u32,
        base: [u8; 4],
        prefix: u32,
        capacity: u32,
    },
    /// The group id (and so its address) is already in use.
    IdInUse { group_id: u32 },
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolError::MaskNotContiguous { mask } => {
                write!(f, "multicast pool mask {} is not a contiguous netmask", format_ip(*mask))
            }
            PoolError::NotMulticast { base } => write!(
                f,
                "multicast pool base {} is not inside 224.0.0.0/4",
                format_ip(*base)
            ),
            PoolError::PrefixTooShort { prefix } => write!(
                f,
                "multicast pool mask /{prefix} is wider than 224.0.0.0/4 (need a prefix of at least 4)"
            ),
            PoolError::NotAligned { base, prefix } => write!(
                f,
                "multicast pool base {} has host bits set for a /{prefix} mask",
                format_ip(*base)
            ),
            PoolError::NoUsableAddress { prefix } => write!(
                f,
                "a /{prefix} multicast pool has no usable address (network and broadcast are skipped)"
            ),
            PoolError::Exhausted { base, prefix, capacity } => write!(
                f,
                "multicast pool {}/{prefix} is exhausted: all {capacity} addresses are in use",
                format_ip(*base)
            ),
            PoolError::AddrOverflow { base, node_id } => write!(
                f,
                "user-space address {} + node {node_id} overflows 32 bits",
                format_ip(*base)
            ),
            PoolError::IdOutOfRange { group_id, base, prefix, capacity } => write!(
                f,
                "group id {group_id} is outside multicast pool {}/{prefix} (ids 1..={capacity})",
                format_ip(*base)
            ),
            PoolError::IdInUse { group_id } => write!(f, "group id {group_id} is already in use"),
        }
    }
}

impl std::error::Error for PoolError {}

impl CoreError for PoolError {
    fn code(&self) -> ErrorCode {
        match self {
            PoolError::Exhausted { .. } => ErrorCode::PoolExhausted,
            PoolError::AddrOverflow { .. } | PoolError::IdInUse { .. } => {
                ErrorCode::InvalidArgument
            }
            // Out of range: the stored id does not fit this pool, so the pool configuration
            // is what changed.
            _ => ErrorCode::ConfigInvalid,
        }
    }
}

/// One allocation: the group id and its address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupAllocation {
    pub group_id: u32,
    pub addr: [u8; 4],
}

/// Hands out group ids 1..=capacity, id `n` always paired with address `network + n` (so the
/// network (all host bits 0) and broadcast (all 1) addresses are never used).
///
/// Ids can be freed and specific ids reserved (to restore stored groups after a restart).
/// Allocation moves a cursor upwards and does not reuse a freed id while fresh ones remain, so
/// packets still in flight to a deleted group's address do not reach a new group at once.
/// Only when the cursor has passed the last id does it take the lowest free id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupPool {
    network: u32,
    prefix: u32,
    /// Usable addresses: `2^(32 - prefix) - 2`. At most 2^28 - 2, so u32 is enough.
    capacity: u32,
    /// Ids in use. A set of ids rather than a bitmap: memory follows the groups in use, not
    /// the capacity (a /4 pool has 2^28 ids).
    in_use: BTreeSet<u32>,
    /// The highest id handed out or reserved so far. Invariant: every id in use is `<= cursor`,
    /// so `cursor + 1` is free whenever `cursor < capacity`.
    cursor: u32,
}

impl GroupPool {
    pub fn new(base: [u8; 4], mask: [u8; 4]) -> Result<Self, PoolError> {
        let b = u32::from_be_bytes(base);
        let m = u32::from_be_bytes(mask);
        if m.leading_ones() + m.trailing_zeros() != 32 {
            return Err(PoolError::MaskNotContiguous { mask });
        }
        let prefix = m.leading_ones();
        if b >> 28 != 0xE {
            return Err(PoolError::NotMulticast { base });
        }
        if prefix < 4 {
            return Err(PoolError::PrefixTooShort { prefix });
        }
        if b & !m != 0 {
            return Err(PoolError::NotAligned { base, prefix });
        }
        if prefix >= 31 {
            return Err(PoolError::NoUsableAddress { prefix });
        }
        let capacity = (1u32 << (32 - prefix)) - 2;
        Ok(GroupPool {
            network: b,
            prefix,
            capacity,
            in_use: BTreeSet::new(),
            cursor: 0,
        })
    }

    /// A free group id and its address, or [`PoolError::Exhausted`] when every id is in use.
    pub fn allocate(&mut self) -> Result<GroupAllocation, PoolError> {
        let id = if self.cursor < self.capacity {
            // Free by the cursor invariant.
            self.cursor += 1;
            self.cursor
        } else if self.in_use.len() < self.capacity as usize {
            // Lowest free id: the first place where the sorted ids in use leave a gap. Linear
            // in the ids in use, and only reached once the whole pool has been cycled through.
            (1..=self.capacity)
                .zip(self.in_use.iter())
                .find(|(want, &have)| *want != have)
                .map_or(self.in_use.len() as u32 + 1, |(want, _)| want)
        } else {
            return Err(PoolError::Exhausted {
                base: self.network.to_be_bytes(),
                prefix: self.prefix,
                capacity: self.capacity,
            });
        };
        self.in_use.insert(id);
        Ok(self.allocation(id))
    }

    /// Marks `group_id` as in use, e.g. to restore a stored group after a restart. Later
    /// allocations continue above the highest reserved id.
    pub fn reserve(&mut self, group_id: u32) -> Result<GroupAllocation, PoolError> {
        let a = self.address_of(group_id)?;
        if !self.in_use.insert(group_id) {
            return Err(PoolError::IdInUse { group_id });
        }
        self.cursor = self.cursor.max(group_id);
        Ok(a)
    }

    /// Lets `group_id` (and its address) be handed out again. Returns whether it was in use.
    pub fn free(&mut self, group_id: u32) -> bool {
        self.in_use.remove(&group_id)
    }

    /// The id and address pair for `group_id`, in use or not; an error outside `1..=capacity`.
    pub fn address_of(&self, group_id: u32) -> Result<GroupAllocation, PoolError> {
        if group_id == 0 || group_id > self.capacity {
            return Err(PoolError::IdOutOfRange {
                group_id,
                base: self.network.to_be_bytes(),
                prefix: self.prefix,
                capacity: self.capacity,
            });
        }
        Ok(self.allocation(group_id))
    }

    pub fn is_in_use(&self, group_id: u32) -> bool {
        self.in_use.contains(&group_id)
    }

    /// `group_id` must be in `1..=capacity`.
    fn allocation(&self, group_id: u32) -> GroupAllocation {
        // network + group_id <= network + capacity = broadcast - 1: no overflow.
        GroupAllocation {
            group_id,
            addr: (self.network + group_id).to_be_bytes(),
        }
    }

    /// Usable addresses in total.
    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    /// Addresses still available: capacity minus ids in use.
    pub fn remaining(&self) -> u32 {
        // in_use only holds ids in 1..=capacity, so its length fits in u32.
        self.capacity - self.in_use.len() as u32
    }
}

/// A node's user-space address: `base + node_id` as a 32-bit addition.
pub fn user_space_addr(base: [u8; 4], node_id: u32) -> Result<[u8; 4], PoolError> {
    u32::from_be_bytes(base)
        .checked_add(node_id)
        .map(u32::to_be_bytes)
        .ok_or(PoolError::AddrOverflow { base, node_id })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slash_30_pool_hands_out_two_then_is_exhausted() {
        let mut p = GroupPool::new([239, 1, 1, 0], [255, 255, 255, 252]).unwrap();
        assert_eq!((p.capacity(), p.remaining()), (2, 2));
        let a = p.allocate().unwrap();
        assert_eq!(
            (a.group_id, format_ip(a.addr)),
            (1, "239.1.1.1".to_string())
        );
        let b = p.allocate().unwrap();
        assert_eq!(
            (b.group_id, format_ip(b.addr)),
            (2, "239.1.1.2".to_string())
        );
        assert_eq!(p.remaining(), 0);
        let e = p.allocate().unwrap_err();
        assert_eq!(
            e.to_string(),
            "multicast pool 239.1.1.0/30 is exhausted: all 2 addresses are in use"
        );
        assert_eq!(e.code(), ErrorCode::PoolExhausted);
        // Stays exhausted: no wrap-around.
        assert!(p.allocate().is_err());
    }

    #[test]
    fn larger_pool_skips_network_and_broadcast() {
        let mut p = GroupPool::new([224, 0, 0, 0], [255, 255, 255, 0]).unwrap();
        assert_eq!(p.capacity(), 254);
        let all: Vec<_> = std::iter::from_fn(|| p.allocate().ok()).collect();
        assert_eq!(all.len(), 254);
        assert_eq!(all[0].addr, [224, 0, 0, 1]);
        assert_eq!(
            all[253],
            GroupAllocation {
                group_id: 254,
                addr: [224, 0, 0, 254]
            }
        );
        // The widest allowed pool.
        let wide = GroupPool::new([224, 0, 0, 0], [240, 0, 0, 0]).unwrap();
        assert_eq!(wide.capacity(), (1 << 28) - 2);
    }

    #[test]
    fn config_errors() {
        let err = |b: [u8; 4], m: [u8; 4]| GroupPool::new(b, m).unwrap_err();
        assert_eq!(
            err([239, 0, 0, 0], [255, 0, 255, 0]).to_string(),
            "multicast pool mask 255.0.255.0 is not a contiguous netmask"
        );
        assert_eq!(
            err([239, 0, 0, 0], [0, 255, 255, 255]),
            PoolError::MaskNotContiguous {
                mask: [0, 255, 255, 255]
            }
        );
        assert_eq!(
            err([10, 0, 0, 0], [255, 0, 0, 0]).to_string(),
            "multicast pool base 10.0.0.0 is not inside 224.0.0.0/4"
        );
        assert_eq!(
            err([240, 0, 0, 0], [255, 0, 0, 0]),
            PoolError::NotMulticast {
                base: [240, 0, 0, 0]
            }
        );
        assert_eq!(
            err([224, 0, 0, 0], [224, 0, 0, 0]),
            PoolError::PrefixTooShort { prefix: 3 }
        );
        assert_eq!(
            err([224, 0, 0, 0], [0, 0, 0, 0]),
            PoolError::PrefixTooShort { prefix: 0 }
        );
        assert_eq!(
            err([239, 1, 1, 5], [255, 255, 255, 0]).to_string(),
            "multicast pool base 239.1.1.5 has host bits set for a /24 mask"
        );
        assert_eq!(
            err([239, 1, 1, 0], [255, 255, 255, 254]),
            PoolError::NoUsableAddress { prefix: 31 }
        );
        assert_eq!(
            err([239, 1, 1, 1], [255, 255, 255, 255]),
            PoolError::NoUsableAddress { prefix: 32 }
        );
        assert_eq!(
            err([10, 0, 0, 0], [255, 0, 0, 0]).code(),
            ErrorCode::ConfigInvalid
        );
    }

    fn ids(p: &mut GroupPool, n: usize) -> Vec<u32> {
        (0..n).map(|_| p.allocate().unwrap().group_id).collect()
    }

    /// A /29: ids 1..=6.
    fn slash_29() -> GroupPool {
        GroupPool::new([239, 1, 1, 0], [255, 255, 255, 248]).unwrap()
    }

    #[test]
    fn a_freed_id_waits_until_the_cursor_has_passed_the_last_id() {
        let mut p = slash_29();
        assert_eq!(ids(&mut p, 3), [1, 2, 3]);
        assert!(p.free(2));
        assert!(!p.free(2), "freeing twice is a no-op");
        assert_eq!(p.remaining(), 4);
        // Fresh ids first, even though 2 is free.
        assert_eq!(ids(&mut p, 3), [4, 5, 6]);
        // Past the end: the lowest free id, with its own address.
        assert_eq!(
            p.allocate().unwrap(),
            GroupAllocation {
                group_id: 2,
                addr: [239, 1, 1, 2]
            }
        );
        assert_eq!(p.remaining(), 0);
        assert_eq!(p.allocate().unwrap_err().code(), ErrorCode::PoolExhausted);
        // After exhaustion, a free makes exactly that id available again.
        p.free(5);
        assert_eq!(p.allocate().unwrap().group_id, 5);
        p.free(1);
        p.free(6);
        assert_eq!(ids(&mut p, 2), [1, 6]);
        assert!(p.allocate().is_err());
    }

    #[test]
    fn reserve_restores_ids_and_moves_the_cursor_past_them() {
        let mut p = GroupPool::new([239, 255, 0, 0], [255, 255, 0, 0]).unwrap();
        for id in [3, 1, 7] {
            let a = p.reserve(id).unwrap();
            assert_eq!(a, p.address_of(id).unwrap());
        }
        assert_eq!(
            p.reserve(7).unwrap_err(),
            PoolError::IdInUse { group_id: 7 }
        );
        assert_eq!(p.remaining(), p.capacity() - 3);
        assert!(p.is_in_use(3) && !p.is_in_use(2));
        assert_eq!(
            p.allocate().unwrap(),
            GroupAllocation {
                group_id: 8,
                addr: [239, 255, 0, 8]
            }
        );
        // A reserve below the cursor does not move it back.
        p.reserve(2).unwrap();
        assert_eq!(p.allocate().unwrap().group_id, 9);
        // Large ids map to addresses across octets.
        assert_eq!(p.reserve(300).unwrap().addr, [239, 255, 1, 44]);
    }

    #[test]
    fn reserve_fills_the_gaps_once_the_cursor_is_at_the_end() {
        let mut p = slash_29();
        p.reserve(6).unwrap();
        p.reserve(2).unwrap();
        assert_eq!(ids(&mut p, 4), [1, 3, 4, 5]);
        assert!(p.allocate().is_err());
    }

    #[test]
    fn reserve_and_address_of_reject_ids_outside_the_pool() {
        let mut p = slash_29();
        for id in [0, 7, u32::MAX] {
            let e = p.reserve(id).unwrap_err();
            assert_eq!(e, p.address_of(id).unwrap_err());
            assert_eq!(e.code(), ErrorCode::ConfigInvalid);
        }
        assert_eq!(
            p.reserve(7).unwrap_err().to_string(),
            "group id 7 is outside multicast pool 239.1.1.0/29 (ids 1..=6)"
        );
        p.reserve(4).unwrap();
        let e = p.reserve(4).unwrap_err();
        assert_eq!(
            (e.to_string(), e.code()),
            (
                "group id 4 is already in use".to_string(),
                ErrorCode::InvalidArgument
            )
        );
        // Failed reserves changed nothing.
        assert_eq!(p.remaining(), 5);
        assert_eq!(p.allocate().unwrap().group_id, 5);
    }

    #[test]
    fn a_wide_pool_keeps_no_per_address_state() {
        // /4: 2^28 - 2 ids. Reserving the last one puts the cursor at the end, so the next
        // allocation searches the (tiny) set of ids in use.
        let mut p = GroupPool::new([224, 0, 0, 0], [240, 0, 0, 0]).unwrap();
        let last = p.capacity();
        assert_eq!(p.reserve(last).unwrap().addr, [239, 255, 255, 254]);
        assert_eq!(p.allocate().unwrap().group_id, 1);
        assert_eq!(p.allocate().unwrap().group_id, 2);
        assert_eq!(p.remaining(), last - 3);
    }

    #[test]
    fn user_space_addresses() {
        assert_eq!(user_space_addr([10, 0, 0, 0], 1), Ok([10, 0, 0, 1]));
        assert_eq!(user_space_addr([10, 0, 0, 200], 100), Ok([10, 0, 1, 44]));
        assert_eq!(
            user_space_addr([255, 255, 255, 0], 255),
            Ok([255, 255, 255, 255])
        );
        let e = user_space_addr([255, 255, 255, 0], 256).unwrap_err();
        assert_eq!(
            e.to_string(),
            "user-space address 255.255.255.0 + node 256 overflows 32 bits"
        );
        assert_eq!(e.code(), ErrorCode::InvalidArgument);
        assert_eq!(format_ip([1, 22, 233, 0]), "1.22.233.0");
    }
}
