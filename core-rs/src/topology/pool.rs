//! Multicast group ids and addresses, handed out by the controller.

use crate::error::{CoreError, ErrorCode};
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
    /// Every usable address has been handed out. Never wraps: reusing an address would
    /// merge two groups' traffic.
    Exhausted {
        base: [u8; 4],
        prefix: u32,
        capacity: u32,
    },
    /// `base + node_id` does not fit in 32 bits.
    AddrOverflow { base: [u8; 4], node_id: u32 },
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
                "multicast pool {}/{prefix} is exhausted after {capacity} groups",
                format_ip(*base)
            ),
            PoolError::AddrOverflow { base, node_id } => write!(
                f,
                "user-space address {} + node {node_id} overflows 32 bits",
                format_ip(*base)
            ),
        }
    }
}

impl std::error::Error for PoolError {}

impl CoreError for PoolError {
    fn code(&self) -> ErrorCode {
        match self {
            PoolError::Exhausted { .. } => ErrorCode::PoolExhausted,
            PoolError::AddrOverflow { .. } => ErrorCode::InvalidArgument,
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

/// Hands out group ids 1, 2, 3, … paired with the pool's addresses in order, skipping the
/// network (all host bits 0) and broadcast (all 1) addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupPool {
    network: u32,
    prefix: u32,
    /// Usable addresses: `2^(32 - prefix) - 2`. At most 2^28 - 2, so u32 is enough.
    capacity: u32,
    /// Addresses handed out so far; the next one is `network + 1 + allocated`, the next group
    /// id `allocated + 1`.
    allocated: u32,
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
            allocated: 0,
        })
    }

    /// The next group id and address, or [`PoolError::Exhausted`].
    pub fn allocate(&mut self) -> Result<GroupAllocation, PoolError> {
        if self.allocated >= self.capacity {
            return Err(PoolError::Exhausted {
                base: self.network.to_be_bytes(),
                prefix: self.prefix,
                capacity: self.capacity,
            });
        }
        self.allocated += 1;
        // network + allocated <= network + capacity = broadcast - 1: no overflow.
        Ok(GroupAllocation {
            group_id: self.allocated,
            addr: (self.network + self.allocated).to_be_bytes(),
        })
    }

    /// Usable addresses in total.
    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    /// Addresses still available.
    pub fn remaining(&self) -> u32 {
        self.capacity - self.allocated
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
            "multicast pool 239.1.1.0/30 is exhausted after 2 groups"
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
