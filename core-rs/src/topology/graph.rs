//! The [`Topology`] type: nodes `1..=n_nodes`, undirected links, no self loops.

use std::ops::RangeInclusive;

/// An undirected graph over nodes `1..=n_nodes`.
///
/// Invariants (established by [`Topology::from_links`], the only constructor):
/// - every link `(a, b)` has `1 <= a < b <= n_nodes` and appears once in [`Topology::edges`];
/// - adjacency lists are sorted and deduplicated, so iteration order (and therefore every
///   routing result derived from it) is deterministic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    n_nodes: u32,
    /// `adj[i]` holds the neighbours of node `i + 1`.
    adj: Vec<Vec<u32>>,
    edges: Vec<(u32, u32)>,
}

impl Topology {
    /// Builds a topology from links whose endpoints are already known to lie in
    /// `1..=n_nodes` and differ. Duplicates, in either orientation, collapse into one link.
    /// Callers (the generators) validate first; this is crate-private so the invariant
    /// cannot be bypassed.
    pub(crate) fn from_links(n_nodes: u32, links: impl IntoIterator<Item = (u32, u32)>) -> Self {
        let mut edges: Vec<(u32, u32)> = links
            .into_iter()
            .map(|(a, b)| if a < b { (a, b) } else { (b, a) })
            .collect();
        edges.sort_unstable();
        edges.dedup();
        debug_assert!(edges.iter().all(|&(a, b)| a >= 1 && a < b && b <= n_nodes));
        let mut adj = vec![Vec::new(); n_nodes as usize];
        for &(a, b) in &edges {
            adj[(a - 1) as usize].push(b);
            adj[(b - 1) as usize].push(a);
        }
        for list in &mut adj {
            list.sort_unstable();
        }
        Topology {
            n_nodes,
            adj,
            edges,
        }
    }

    /// Number of nodes; ids are `1..=node_count()`.
    pub fn node_count(&self) -> u32 {
        self.n_nodes
    }

    /// All node ids, ascending.
    pub fn node_ids(&self) -> RangeInclusive<u32> {
        1..=self.n_nodes
    }

    /// Whether `node` is part of the topology.
    pub fn contains(&self, node: u32) -> bool {
        node >= 1 && node <= self.n_nodes
    }

    /// Every link once, as `(low, high)`, sorted.
    pub fn edges(&self) -> &[(u32, u32)] {
        &self.edges
    }

    /// Neighbours of `node`, ascending. Empty for a node outside the topology, so callers
    /// that already validated ids need no second error path.
    pub fn neighbors(&self, node: u32) -> &[u32] {
        if self.contains(node) {
            &self.adj[(node - 1) as usize]
        } else {
            &[]
        }
    }

    /// Whether `a` and `b` are directly linked (symmetric; false for `a == b`).
    pub fn has_link(&self, a: u32, b: u32) -> bool {
        self.neighbors(a).binary_search(&b).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_normalised_and_deduplicated() {
        let t = Topology::from_links(4, [(2, 1), (1, 2), (3, 4), (4, 3), (1, 4)]);
        assert_eq!(t.edges(), &[(1, 2), (1, 4), (3, 4)]);
        assert_eq!(t.neighbors(1), &[2, 4]);
        assert_eq!(t.neighbors(4), &[1, 3]);
        assert!(t.has_link(2, 1) && t.has_link(1, 2));
        assert!(!t.has_link(1, 1));
        assert!(!t.has_link(1, 3));
        // Unknown ids are not an error here, just absent.
        assert!(t.neighbors(0).is_empty() && t.neighbors(5).is_empty());
        assert!(!t.has_link(0, 1) && !t.has_link(5, 4));
        assert_eq!(t.node_ids().collect::<Vec<_>>(), vec![1, 2, 3, 4]);
        assert!(t.contains(4) && !t.contains(0) && !t.contains(5));
    }
}
