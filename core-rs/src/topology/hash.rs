//! A small, fixed, platform-independent hash and rendezvous (highest-random-weight) selection.
//!
//! Why our own hash: `std`'s `RandomState` is seeded randomly per process, and the choice of
//! next hop must be identical on every run, on every node, native or wasm. Why rendezvous
//! hashing: each candidate gets an independent score per flow and the best score wins, so a
//! flow keeps its path as long as its winner stays, and removing a candidate only moves the
//! flows that had chosen it (no global reshuffle as with `hash % n`).
//!
//! The mixing function is the splitmix64 finalizer, which passes avalanche tests and costs a
//! handful of multiplies. Outputs are pinned by tests: changing them silently re-routes every
//! flow in a deployment with mixed versions.

/// The fields that identify a flow for path selection. For multicast, `dst` is the group id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey {
    pub src: u32,
    pub dst: u32,
    pub src_port: u16,
    pub dst_port: u16,
}

impl FlowKey {
    pub fn new(src: u32, dst: u32, src_port: u16, dst_port: u16) -> Self {
        FlowKey {
            src,
            dst,
            src_port,
            dst_port,
        }
    }

    /// A 64-bit digest of the flow, the input to every per-candidate score.
    pub fn hash(&self) -> u64 {
        let a = (u64::from(self.src) << 32) | u64::from(self.dst);
        let b = (u64::from(self.src_port) << 16) | u64::from(self.dst_port);
        mix64(mix64(a ^ FLOW_SEED) ^ b)
    }
}

/// Arbitrary odd constants: keep flow and candidate hashing in different domains so that a
/// flow whose digest happens to equal a candidate's id hash does not get a degenerate score.
const FLOW_SEED: u64 = 0x6e65_7874_6d69_6e69; // "nextmini"
const CANDIDATE_SEED: u64 = 0x9e37_79b9_7f4a_7c15;

/// splitmix64's output function: a bijection on u64 with good avalanche.
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The rendezvous score of candidate `id` for a flow with digest `flow_hash`.
pub fn score(flow_hash: u64, id: u32) -> u64 {
    mix64(flow_hash ^ mix64(u64::from(id) ^ CANDIDATE_SEED))
}

/// Picks one of `candidates` for the flow: the highest score wins, ties (astronomically rare)
/// go to the smaller id so the result never depends on candidate order. `None` if empty.
pub fn pick(flow_hash: u64, candidates: &[u32]) -> Option<u32> {
    candidates
        .iter()
        .map(|&id| (score(flow_hash, id), std::cmp::Reverse(id)))
        .max()
        .map(|(_, std::cmp::Reverse(id))| id)
}

/// Fractional bits of [`log2_fixed`].
const FRAC_BITS: u32 = 32;

/// `floor(log2(x) · 2^FRAC_BITS)` for `x >= 1`, in integers only. Floating-point `ln` is not
/// guaranteed to round identically across libms (native vs wasm), and a one-ulp difference
/// would send a flow down a different tree on different builds.
fn log2_fixed(x: u64) -> u64 {
    debug_assert!(x >= 1);
    let int = 63 - u64::from(x.leading_zeros());
    // Mantissa in Q1.63: m / 2^63 is in [1, 2).
    let mut m = u128::from(x) << (63 - int);
    let mut frac = 0u64;
    for bit in (0..FRAC_BITS).rev() {
        m = (m * m) >> 63;
        if m >= 1u128 << 64 {
            m >>= 1;
            frac |= 1 << bit;
        }
    }
    (int << FRAC_BITS) | frac
}

/// Weighted rendezvous: candidate `i` wins a share of flows proportional to its weight.
///
/// Classic form: score = `-w / ln(u)` with `u` uniform in (0, 1). Here `u = s / 2^64` for the
/// candidate's integer score `s`, so `-ln(u) ∝ 64 - log2(s)`, and we compare `w / d` with
/// `d = (64 - log2 s)·2^FRAC_BITS` exactly, by cross-multiplication. Weight 0 never wins; `None`
/// when no candidate has a positive weight. Ties go to the smaller id.
pub fn pick_weighted(
    flow_hash: u64,
    candidates: impl IntoIterator<Item = (u32, u32)>,
) -> Option<u32> {
    let mut best: Option<(u32, u128, u128)> = None; // (id, weight, d)
    for (id, weight) in candidates {
        if weight == 0 {
            continue;
        }
        let s = score(flow_hash, id).max(1);
        // log2_fixed(s) < 64·2^FRAC_BITS, so d >= 1.
        let d = (64u128 << FRAC_BITS) - u128::from(log2_fixed(s));
        let w = u128::from(weight);
        best = match best {
            None => Some((id, w, d)),
            Some((bid, bw, bd)) => {
                // w/d vs bw/bd; both products < 2^32 · 2^38.
                let (lhs, rhs) = (w * bd, bw * d);
                if lhs > rhs || (lhs == rhs && id < bid) {
                    Some((id, w, d))
                } else {
                    Some((bid, bw, bd))
                }
            }
        };
    }
    best.map(|(id, _, _)| id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flows(n: u32) -> impl Iterator<Item = FlowKey> {
        (0..n).map(|i| FlowKey::new(1 + i % 7, 100 + i % 13, (i * 7919) as u16, (i / 3) as u16))
    }

    #[test]
    fn outputs_are_pinned() {
        // splitmix64 reference value for state 0 (first output of the generator).
        assert_eq!(mix64(0), 0xe220_a839_7b1d_cdaf);
        let f = FlowKey::new(1, 3, 45535, 8888);
        // Pinned so an accidental change to the hash (which re-routes flows) fails loudly.
        assert_eq!(f.hash(), PINNED_FLOW_HASH);
        assert_eq!(pick(f.hash(), &[2, 5, 9]), Some(PINNED_PICK));
        assert_eq!(pick(f.hash(), &[]), None);
        assert_eq!(pick_weighted(f.hash(), []), None);
        assert_eq!(pick_weighted(f.hash(), [(1, 0), (2, 0)]), None);
    }
    const PINNED_FLOW_HASH: u64 = 0x0904_306f_5794_38e5;
    const PINNED_PICK: u32 = 9;

    #[test]
    fn log2_fixed_is_accurate() {
        assert_eq!(log2_fixed(1), 0);
        assert_eq!(log2_fixed(2), 1 << FRAC_BITS);
        assert_eq!(log2_fixed(1 << 40), 40 << FRAC_BITS);
        assert_eq!(log2_fixed(u64::MAX) >> FRAC_BITS, 63);
        for x in [3u64, 10, 1000, 123_456_789, u64::MAX / 3] {
            let exact = (x as f64).log2();
            let got = log2_fixed(x) as f64 / (1u64 << FRAC_BITS) as f64;
            assert!((exact - got).abs() < 1e-8, "{x}: {exact} vs {got}");
        }
    }

    #[test]
    fn pick_ignores_candidate_order_and_spreads() {
        let mut counts = [0u32; 4];
        for f in flows(4000) {
            let a = pick(f.hash(), &[10, 20, 30, 40]).unwrap();
            assert_eq!(pick(f.hash(), &[40, 30, 20, 10]), Some(a));
            counts[(a / 10 - 1) as usize] += 1;
        }
        // Uniform would be 1000 each.
        assert!(
            counts.iter().all(|&c| (850..1150).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn removing_a_candidate_only_moves_its_flows() {
        let all = [2u32, 3, 5, 7, 11];
        let fewer = [2u32, 3, 7, 11];
        let mut moved = 0;
        for f in flows(5000) {
            let before = pick(f.hash(), &all).unwrap();
            let after = pick(f.hash(), &fewer).unwrap();
            if before == 5 {
                moved += 1;
            } else {
                assert_eq!(before, after, "{f:?} moved without cause");
            }
        }
        assert!(moved > 0);
    }

    #[test]
    fn weighted_pick_is_proportional_and_stable() {
        let mut counts = [0u32; 3];
        for f in flows(20_000) {
            let t = pick_weighted(f.hash(), [(0, 1), (1, 3), (2, 0)]).unwrap();
            counts[t as usize] += 1;
        }
        assert_eq!(counts[2], 0, "weight 0 must never win");
        // Expected 5000 / 15000.
        assert!((4600..5400).contains(&counts[0]), "{counts:?}");
        // Raising one weight only attracts flows to it; removing one only moves its flows.
        for f in flows(5000) {
            let h = f.hash();
            let before = pick_weighted(h, [(0, 1), (1, 1), (2, 1)]).unwrap();
            let heavier = pick_weighted(h, [(0, 1), (1, 5), (2, 1)]).unwrap();
            assert!(heavier == before || heavier == 1, "{f:?}");
            let removed = pick_weighted(h, [(0, 1), (2, 1)]).unwrap();
            if before != 1 {
                assert_eq!(removed, before);
            }
        }
    }
}
