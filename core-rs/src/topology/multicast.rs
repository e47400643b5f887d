//! Multicast trees: validation and per-node entry derivation, done by the controller.
//!
//! A group has one source and one or more trees (`tree_id` 0 is the default). Each tree is a
//! set of directed edges that must be a DAG rooted at the source. From the trees and the
//! member set every node gets, per `(group, tree)`, its out-neighbours in that tree and
//! whether it delivers locally. [`changed_nodes`] tells the controller which nodes need an
//! update after a change (e.g. a member leaving).

use super::dag;
use super::graph::Topology;
use super::mc_table::McEntry;
use crate::error::{CoreError, ErrorCode};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// One tree of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McTree {
    /// 0 is the default tree, used when a packet names no other.
    pub tree_id: u16,
    /// Directed edges `(parent, child)`.
    pub edges: Vec<(u32, u32)>,
    /// Share of flows when the sender lets the core choose; 0 = never chosen by hashing
    /// (still usable when named explicitly, e.g. while draining a tree).
    pub weight: u32,
}

/// Why a tree's edges are not a DAG rooted at the source. Each variant names the edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TreeError {
    UnknownSource {
        source: u32,
    },
    UnknownNode {
        edge: (u32, u32),
        node: u32,
    },
    NotALink {
        edge: (u32, u32),
    },
    DuplicateEdge {
        edge: (u32, u32),
    },
    /// Edges into the source would send its own packets back to it.
    IntoSource {
        edge: (u32, u32),
        source: u32,
    },
    Cycle {
        edge: (u32, u32),
    },
    /// The edge's parent is not reachable from the source, so the edge would never carry data.
    Unreachable {
        edge: (u32, u32),
        source: u32,
    },
}

impl fmt::Display for TreeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TreeError::UnknownSource { source } => {
                write!(f, "source {source} is not in the topology")
            }
            TreeError::UnknownNode { edge: (a, b), node } => {
                write!(f, "edge ({a},{b}): node {node} is not in the topology")
            }
            TreeError::NotALink { edge: (a, b) } => {
                write!(f, "edge ({a},{b}) is not a topology link")
            }
            TreeError::DuplicateEdge { edge: (a, b) } => {
                write!(f, "edge ({a},{b}) is listed more than once")
            }
            TreeError::IntoSource {
                edge: (a, b),
                source,
            } => {
                write!(
                    f,
                    "edge ({a},{b}) enters the source {source}, which must have no incoming edge"
                )
            }
            TreeError::Cycle { edge: (a, b) } => write!(f, "edge ({a},{b}) closes a cycle"),
            TreeError::Unreachable {
                edge: (a, b),
                source,
            } => {
                write!(
                    f,
                    "edge ({a},{b}) is not reachable from the source {source}"
                )
            }
        }
    }
}

impl std::error::Error for TreeError {}

impl CoreError for TreeError {
    fn code(&self) -> ErrorCode {
        ErrorCode::InvalidRoutes
    }
}

/// Checks that `edges` form a DAG of topology links rooted at `source`. Returns the set of
/// nodes the tree reaches (including the source).
fn check_tree(
    topo: &Topology,
    source: u32,
    edges: &[(u32, u32)],
) -> Result<BTreeSet<u32>, TreeError> {
    if !topo.contains(source) {
        return Err(TreeError::UnknownSource { source });
    }
    let mut seen = BTreeSet::new();
    for &edge in edges {
        for node in [edge.0, edge.1] {
            if !topo.contains(node) {
                return Err(TreeError::UnknownNode { edge, node });
            }
        }
        if !topo.has_link(edge.0, edge.1) {
            return Err(TreeError::NotALink { edge });
        }
        if !seen.insert(edge) {
            return Err(TreeError::DuplicateEdge { edge });
        }
        if edge.1 == source {
            return Err(TreeError::IntoSource { edge, source });
        }
    }
    let reached =
        dag::dfs(&dag::out_lists(edges), [source]).map_err(|edge| TreeError::Cycle { edge })?;
    if let Some(&edge) = edges.iter().find(|e| !reached.contains(&e.0)) {
        return Err(TreeError::Unreachable { edge, source });
    }
    Ok(reached)
}

/// Validates one tree: every edge names topology nodes and is a topology link, no edge is
/// repeated or enters the source, the edges are acyclic, and every edge hangs off the source.
/// Diamonds (a node with two parents) are a valid DAG and accepted; such a node receives each
/// packet once per parent.
pub fn validate_tree(topo: &Topology, source: u32, edges: &[(u32, u32)]) -> Result<(), TreeError> {
    check_tree(topo, source, edges).map(|_| ())
}

/// Why a group's trees or members were rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupError {
    /// Group ids start at 1 (0 is never handed out by the pool).
    BadGroupId,
    MissingDefaultTree,
    DuplicateTree {
        tree_id: u16,
    },
    Tree {
        tree_id: u16,
        error: TreeError,
    },
    UnknownMember {
        member: u32,
    },
    /// A member the tree does not reach would silently get nothing on that tree.
    MemberNotCovered {
        tree_id: u16,
        member: u32,
    },
}

impl fmt::Display for GroupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupError::BadGroupId => write!(f, "group id must be >= 1"),
            GroupError::MissingDefaultTree => write!(f, "a group needs a default tree (tree_id 0)"),
            GroupError::DuplicateTree { tree_id } => write!(f, "tree {tree_id} is given twice"),
            GroupError::Tree { tree_id, error } => write!(f, "tree {tree_id}: {error}"),
            GroupError::UnknownMember { member } => {
                write!(f, "member {member} is not in the topology")
            }
            GroupError::MemberNotCovered { tree_id, member } => {
                write!(f, "tree {tree_id} does not reach member {member}")
            }
        }
    }
}

impl std::error::Error for GroupError {}

impl CoreError for GroupError {
    fn code(&self) -> ErrorCode {
        match self {
            GroupError::UnknownMember { .. } => ErrorCode::UnknownNode,
            GroupError::BadGroupId => ErrorCode::InvalidArgument,
            _ => ErrorCode::InvalidRoutes,
        }
    }
}

/// Per node, its multicast entries keyed by `(group_id, tree_id)`. Keyed by group too so the
/// controller can merge several groups' results per node and diff them in one go.
pub type NodeGroupEntries = BTreeMap<u32, BTreeMap<(u32, u16), McEntry>>;

/// Computes every node's entries for one group. A node gets an entry for a tree when it has
/// out-edges in that tree (next hops) or is a member (`local`); other nodes get nothing, and
/// nodes with no entry at all are absent from the map.
pub fn derive_group_entries(
    topo: &Topology,
    group_id: u32,
    source: u32,
    trees: &[McTree],
    members: &BTreeSet<u32>,
) -> Result<NodeGroupEntries, GroupError> {
    if group_id == 0 {
        return Err(GroupError::BadGroupId);
    }
    if let Some(&member) = members.iter().find(|&&m| !topo.contains(m)) {
        return Err(GroupError::UnknownMember { member });
    }
    let mut ids = BTreeSet::new();
    for t in trees {
        if !ids.insert(t.tree_id) {
            return Err(GroupError::DuplicateTree { tree_id: t.tree_id });
        }
    }
    if !ids.contains(&0) {
        return Err(GroupError::MissingDefaultTree);
    }
    let mut out = NodeGroupEntries::new();
    for t in trees {
        let tree_id = t.tree_id;
        let reached = check_tree(topo, source, &t.edges)
            .map_err(|error| GroupError::Tree { tree_id, error })?;
        if let Some(&member) = members.iter().find(|m| !reached.contains(m)) {
            return Err(GroupError::MemberNotCovered { tree_id, member });
        }
        let children = dag::out_lists(&t.edges);
        for &node in &reached {
            let next_hops = children.get(&node).cloned().unwrap_or_default();
            let local = members.contains(&node);
            if next_hops.is_empty() && !local {
                continue;
            }
            let entry = McEntry {
                source,
                next_hops,
                local,
                weight: t.weight,
            };
            out.entry(node)
                .or_default()
                .insert((group_id, tree_id), entry);
        }
    }
    Ok(out)
}

/// The nodes whose entries differ between `prev` and `next` (added, removed or changed), so
/// the controller pushes tables only to them.
pub fn changed_nodes<V: PartialEq>(
    prev: &BTreeMap<u32, V>,
    next: &BTreeMap<u32, V>,
) -> BTreeSet<u32> {
    let mut changed: BTreeSet<u32> = prev
        .iter()
        .filter(|(n, v)| next.get(n) != Some(v))
        .map(|(&n, _)| n)
        .collect();
    changed.extend(next.keys().filter(|n| !prev.contains_key(n)));
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::generators::{custom, fat_tree, ring, FatTreeIds};

    /// 1-2, 2-3, 2-4, 1-5, plus 3-4 and 4-6 links that the tree does not use.
    fn topo() -> Topology {
        custom(6, &[(1, 2), (2, 3), (2, 4), (1, 5), (3, 4), (4, 6)]).unwrap()
    }

    const TREE: [(u32, u32); 4] = [(1, 2), (2, 3), (2, 4), (1, 5)];

    fn tree0(edges: &[(u32, u32)]) -> Vec<McTree> {
        vec![McTree {
            tree_id: 0,
            edges: edges.to_vec(),
            weight: 1,
        }]
    }

    #[test]
    fn valid_trees_pass() {
        let t = topo();
        validate_tree(&t, 1, &TREE).unwrap();
        validate_tree(&t, 1, &[]).unwrap();
        // A diamond is a DAG.
        validate_tree(&t, 1, &[(1, 2), (2, 3), (2, 4), (3, 4)]).unwrap();
    }

    #[test]
    fn each_tree_error_names_the_edge() {
        let t = topo();
        let err = |src: u32, e: &[(u32, u32)]| validate_tree(&t, src, e).unwrap_err().to_string();
        assert_eq!(err(9, &[]), "source 9 is not in the topology");
        assert_eq!(
            err(1, &[(1, 2), (2, 9)]),
            "edge (2,9): node 9 is not in the topology"
        );
        assert_eq!(
            err(1, &[(0, 2)]),
            "edge (0,2): node 0 is not in the topology"
        );
        assert_eq!(err(1, &[(1, 3)]), "edge (1,3) is not a topology link");
        assert_eq!(err(1, &[(2, 2)]), "edge (2,2) is not a topology link");
        assert_eq!(
            err(1, &[(1, 2), (1, 2)]),
            "edge (1,2) is listed more than once"
        );
        assert_eq!(
            err(1, &[(1, 2), (2, 1)]),
            "edge (2,1) enters the source 1, which must have no incoming edge"
        );
        assert_eq!(
            err(1, &[(1, 2), (2, 3), (3, 4), (4, 2)]),
            "edge (4,2) closes a cycle"
        );
        assert_eq!(
            err(1, &[(1, 2), (4, 6)]),
            "edge (4,6) is not reachable from the source 1"
        );
        // An unreachable cycle is reported as unreachable.
        assert_eq!(
            validate_tree(&t, 1, &[(1, 5), (3, 4), (4, 3)]),
            Err(TreeError::Unreachable {
                edge: (3, 4),
                source: 1
            })
        );
        assert_eq!(
            TreeError::Cycle { edge: (1, 2) }.code(),
            ErrorCode::InvalidRoutes
        );
    }

    #[test]
    fn per_node_entries_for_the_reference_tree() {
        let members = BTreeSet::from([3, 4, 5]);
        let got = derive_group_entries(&topo(), 7, 1, &tree0(&TREE), &members).unwrap();
        let e = |node: u32| got[&node][&(7, 0)].clone();
        assert_eq!(got.keys().copied().collect::<Vec<_>>(), vec![1, 2, 3, 4, 5]);
        assert_eq!(
            e(1),
            McEntry {
                source: 1,
                next_hops: vec![2, 5],
                local: false,
                weight: 1
            }
        );
        assert_eq!(
            e(2),
            McEntry {
                source: 1,
                next_hops: vec![3, 4],
                local: false,
                weight: 1
            }
        );
        for leaf in [3, 4, 5] {
            assert_eq!(
                e(leaf),
                McEntry {
                    source: 1,
                    next_hops: vec![],
                    local: true,
                    weight: 1
                }
            );
        }
        assert!(!got.contains_key(&6));
    }

    #[test]
    fn diff_after_a_member_leaves_is_exactly_that_node() {
        let t = topo();
        let before =
            derive_group_entries(&t, 7, 1, &tree0(&TREE), &BTreeSet::from([3, 4, 5])).unwrap();
        let after = derive_group_entries(&t, 7, 1, &tree0(&TREE), &BTreeSet::from([3, 5])).unwrap();
        // Node 4 is a leaf that no longer delivers locally: its entry disappears.
        assert!(!after.contains_key(&4));
        assert_eq!(changed_nodes(&before, &after), BTreeSet::from([4]));
        assert_eq!(changed_nodes(&after, &before), BTreeSet::from([4]));
        assert!(changed_nodes(&before, &before).is_empty());
        // Pruning the branch too (the controller's choice) also changes node 2.
        let pruned = derive_group_entries(
            &t,
            7,
            1,
            &tree0(&[(1, 2), (2, 3), (1, 5)]),
            &BTreeSet::from([3, 5]),
        )
        .unwrap();
        assert_eq!(changed_nodes(&before, &pruned), BTreeSet::from([2, 4]));
        // A member joining on a transit node flips only its local flag.
        let joined =
            derive_group_entries(&t, 7, 1, &tree0(&TREE), &BTreeSet::from([2, 3, 4, 5])).unwrap();
        assert_eq!(changed_nodes(&before, &joined), BTreeSet::from([2]));
    }

    #[test]
    fn several_trees_per_group() {
        let topo = ring(4).unwrap();
        let trees = vec![
            McTree {
                tree_id: 0,
                edges: vec![(1, 2), (2, 3)],
                weight: 1,
            },
            McTree {
                tree_id: 3,
                edges: vec![(1, 4), (4, 3)],
                weight: 2,
            },
        ];
        let got = derive_group_entries(&topo, 1, 1, &trees, &BTreeSet::from([3])).unwrap();
        assert_eq!(got[&1].len(), 2);
        assert_eq!(got[&1][&(1, 0)].next_hops, vec![2]);
        assert_eq!(got[&1][&(1, 3)].next_hops, vec![4]);
        assert_eq!(got[&1][&(1, 3)].weight, 2);
        assert_eq!(
            got[&3].keys().copied().collect::<Vec<_>>(),
            vec![(1, 0), (1, 3)]
        );
        assert!(got[&3].values().all(|e| e.local && e.next_hops.is_empty()));
        assert_eq!(got[&2].keys().copied().collect::<Vec<_>>(), vec![(1, 0)]);
    }

    #[test]
    fn group_errors() {
        let t = topo();
        let m = BTreeSet::from([3]);
        let err = |trees: Vec<McTree>, members: &BTreeSet<u32>| {
            derive_group_entries(&t, 7, 1, &trees, members).unwrap_err()
        };
        let tree = |id: u16, e: &[(u32, u32)]| McTree {
            tree_id: id,
            edges: e.to_vec(),
            weight: 1,
        };
        assert_eq!(
            err(vec![tree(1, &TREE)], &m),
            GroupError::MissingDefaultTree
        );
        assert_eq!(err(vec![], &m), GroupError::MissingDefaultTree);
        assert_eq!(
            err(vec![tree(0, &TREE), tree(0, &TREE)], &m),
            GroupError::DuplicateTree { tree_id: 0 }
        );
        assert_eq!(
            err(vec![tree(0, &TREE), tree(2, &[(1, 2), (2, 9)])], &m).to_string(),
            "tree 2: edge (2,9): node 9 is not in the topology"
        );
        assert_eq!(
            err(vec![tree(0, &[(1, 5)])], &m).to_string(),
            "tree 0 does not reach member 3"
        );
        let unknown = err(vec![tree(0, &TREE)], &BTreeSet::from([42]));
        assert_eq!(unknown, GroupError::UnknownMember { member: 42 });
        assert_eq!(unknown.code(), ErrorCode::UnknownNode);
        assert_eq!(
            derive_group_entries(&t, 0, 1, &tree0(&TREE), &m),
            Err(GroupError::BadGroupId)
        );
    }

    #[test]
    fn fat_tree_group_reaches_hosts_in_other_pods() {
        let topo = fat_tree(4).unwrap();
        let ids = FatTreeIds::new(4);
        let src = ids.host(0, 0, 0);
        let (e0, a0, c0) = (ids.edge(0, 0), ids.aggregation(0, 0), ids.core(0, 0));
        let (a1, e1) = (ids.aggregation(1, 0), ids.edge(1, 0));
        let (m1, m2) = (ids.host(0, 0, 1), ids.host(1, 0, 1));
        let edges = vec![
            (src, e0),
            (e0, m1),
            (e0, a0),
            (a0, c0),
            (c0, a1),
            (a1, e1),
            (e1, m2),
        ];
        let got =
            derive_group_entries(&topo, 3, src, &tree0(&edges), &BTreeSet::from([m1, m2])).unwrap();
        // Aggregation ids precede host ids, so the sorted hops of e0 are [a0, m1].
        assert_eq!(got[&e0][&(3, 0)].next_hops, vec![a0, m1]);
        assert_eq!(got[&c0][&(3, 0)].next_hops, vec![a1]);
        assert!(got[&m2][&(3, 0)].local && !got[&e1][&(3, 0)].local);
        assert_eq!(got.len(), 8, "the 8 nodes on the tree");
    }
}
