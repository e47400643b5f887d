//! The controller's multicast group state: address allocation, trees, membership, and the
//! per-node multicast tables derived from them. Every change returns exactly the nodes whose
//! tables changed, so the controller pushes updates only to those.

use crate::error::{CoreError, ErrorCode};
use crate::topology::{
    changed_nodes, derive_group_entries, GroupError, GroupPool, McEntry, McTree, MulticastTable,
    NodeGroupEntries, PoolError, Topology,
};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: u32,
    pub addr: [u8; 4],
    pub source: u32,
    pub trees: Vec<McTree>,
    pub members: BTreeSet<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum GroupOpError {
    UnknownGroup {
        group: u32,
    },
    NotSource {
        group: u32,
        source: u32,
        caller: u32,
    },
    UnknownNode {
        node: u32,
    },
    Pool(PoolError),
    Routes(GroupError),
}

impl fmt::Display for GroupOpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupOpError::UnknownGroup { group } => write!(f, "group {group} does not exist"),
            GroupOpError::NotSource {
                group,
                source,
                caller,
            } => {
                write!(f, "only group {group}'s source (node {source}) may set its routes, not node {caller}")
            }
            GroupOpError::UnknownNode { node } => write!(f, "node {node} is not in the topology"),
            GroupOpError::Pool(e) => e.fmt(f),
            GroupOpError::Routes(e) => e.fmt(f),
        }
    }
}

impl CoreError for GroupOpError {
    fn code(&self) -> ErrorCode {
        match self {
            GroupOpError::UnknownGroup { .. } => ErrorCode::UnknownGroup,
            GroupOpError::NotSource { .. } => ErrorCode::NotGroupSource,
            GroupOpError::UnknownNode { .. } => ErrorCode::UnknownNode,
            GroupOpError::Pool(e) => e.code(),
            GroupOpError::Routes(e) => e.code(),
        }
    }
}

pub struct GroupState {
    topo: Topology,
    pool: GroupPool,
    groups: BTreeMap<u32, Group>,
    /// Current entries of every node, all groups merged.
    entries: NodeGroupEntries,
}

impl GroupState {
    pub fn new(topo: Topology, pool: GroupPool) -> Self {
        GroupState {
            topo,
            pool,
            groups: BTreeMap::new(),
            entries: NodeGroupEntries::new(),
        }
    }

    pub fn group(&self, id: u32) -> Option<&Group> {
        self.groups.get(&id)
    }

    pub fn groups(&self) -> impl Iterator<Item = &Group> {
        self.groups.values()
    }

    pub fn create(&mut self, source: u32) -> Result<&Group, GroupOpError> {
        if !self.topo.contains(source) {
            return Err(GroupOpError::UnknownNode { node: source });
        }
        let a = self.pool.allocate().map_err(GroupOpError::Pool)?;
        let g = Group {
            id: a.group_id,
            addr: a.addr,
            source,
            trees: Vec::new(),
            members: BTreeSet::new(),
        };
        Ok(self.groups.entry(a.group_id).or_insert(g))
    }

    /// Replaces the group's trees. Only its source may; the trees must be valid DAGs over
    /// topology links rooted at the source. Returns the nodes whose tables changed.
    pub fn set_routes(
        &mut self,
        caller: u32,
        group: u32,
        trees: Vec<McTree>,
    ) -> Result<BTreeSet<u32>, GroupOpError> {
        let g = self
            .groups
            .get(&group)
            .ok_or(GroupOpError::UnknownGroup { group })?;
        if g.source != caller {
            return Err(GroupOpError::NotSource {
                group,
                source: g.source,
                caller,
            });
        }
        // Validate with no members first, so a bad edge is reported as such.
        derive_group_entries(&self.topo, group, g.source, &trees, &BTreeSet::new())
            .map_err(GroupOpError::Routes)?;
        let mut next = g.clone();
        next.trees = trees;
        self.commit(next)
    }

    pub fn join(&mut self, group: u32, node: u32) -> Result<BTreeSet<u32>, GroupOpError> {
        self.membership(group, node, true)
    }

    pub fn leave(&mut self, group: u32, node: u32) -> Result<BTreeSet<u32>, GroupOpError> {
        self.membership(group, node, false)
    }

    fn membership(
        &mut self,
        group: u32,
        node: u32,
        join: bool,
    ) -> Result<BTreeSet<u32>, GroupOpError> {
        if !self.topo.contains(node) {
            return Err(GroupOpError::UnknownNode { node });
        }
        let mut next = self
            .groups
            .get(&group)
            .ok_or(GroupOpError::UnknownGroup { group })?
            .clone();
        if join {
            next.members.insert(node);
        } else {
            next.members.remove(&node);
        }
        self.commit(next)
    }

    /// Stores the group and recomputes its entries. Members a tree does not reach stay
    /// members but get no local delivery until the routes cover them.
    fn commit(&mut self, g: Group) -> Result<BTreeSet<u32>, GroupOpError> {
        let fresh = if g.trees.is_empty() {
            NodeGroupEntries::new()
        } else {
            derive_covered(&self.topo, &g)?
        };
        let mut next = self.entries.clone();
        for per_node in next.values_mut() {
            per_node.retain(|(gid, _), _| *gid != g.id);
        }
        for (node, es) in fresh {
            next.entry(node).or_default().extend(es);
        }
        next.retain(|_, es| !es.is_empty());
        let changed = changed_nodes(&self.entries, &next);
        self.entries = next;
        self.groups.insert(g.id, g);
        Ok(changed)
    }

    /// This node's multicast table.
    pub fn table_for(&self, node: u32) -> MulticastTable {
        let entries: BTreeMap<(u32, u16), McEntry> =
            self.entries.get(&node).cloned().unwrap_or_default();
        // Entries come from derive_group_entries, which only produces valid ones.
        MulticastTable::from_entries(entries).unwrap_or_default()
    }
}

fn derive_covered(topo: &Topology, g: &Group) -> Result<NodeGroupEntries, GroupOpError> {
    let mut members = g.members.clone();
    loop {
        match derive_group_entries(topo, g.id, g.source, &g.trees, &members) {
            Err(GroupError::MemberNotCovered { member, .. }) => {
                members.remove(&member);
            }
            other => return other.map_err(GroupOpError::Routes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::custom;

    fn state() -> GroupState {
        // 1-2, 2-3, 2-4, 1-5, plus 3-4 so a cycle can be expressed.
        let topo = custom(5, &[(1, 2), (2, 3), (2, 4), (1, 5), (3, 4)]).unwrap();
        GroupState::new(
            topo,
            GroupPool::new([239, 255, 0, 0], [255, 255, 0, 0]).unwrap(),
        )
    }

    fn tree(edges: &[(u32, u32)]) -> Vec<McTree> {
        vec![McTree {
            tree_id: 0,
            edges: edges.to_vec(),
            weight: 1,
        }]
    }

    #[test]
    fn create_routes_join_leave_push_only_changed_nodes() {
        let mut s = state();
        let g = s.create(1).unwrap().clone();
        assert_eq!((g.id, g.addr), (1, [239, 255, 0, 1]));
        for m in [3, 4, 5] {
            s.join(1, m).unwrap(); // before routes: nothing to install yet
        }
        let changed = s
            .set_routes(1, 1, tree(&[(1, 2), (2, 3), (2, 4), (1, 5)]))
            .unwrap();
        assert_eq!(changed, BTreeSet::from([1, 2, 3, 4, 5]));
        let t2 = s.table_for(2);
        let e2 = t2.lookup(1, 0).unwrap();
        assert_eq!((e2.next_hops.clone(), e2.local), (vec![3, 4], false));
        assert!(s.table_for(4).lookup(1, 0).unwrap().local);
        // 4 leaves: only 4's table changes (2 still forwards to 4 along the tree).
        assert_eq!(s.leave(1, 4).unwrap(), BTreeSet::from([4]));
        assert!(s.table_for(4).lookup(1, 0).is_none());
        assert_eq!(s.join(1, 4).unwrap(), BTreeSet::from([4]));
    }

    #[test]
    fn rejections_carry_their_codes() {
        let mut s = state();
        s.create(1).unwrap();
        let code = |r: Result<BTreeSet<u32>, GroupOpError>| r.unwrap_err().code().as_str();
        assert_eq!(
            code(s.set_routes(2, 1, tree(&[(1, 2)]))),
            "NOT_GROUP_SOURCE"
        );
        assert_eq!(code(s.set_routes(1, 9, tree(&[(1, 2)]))), "UNKNOWN_GROUP");
        let e = s.set_routes(1, 1, tree(&[(1, 2), (2, 9)])).unwrap_err();
        assert_eq!(e.code().as_str(), "INVALID_ROUTES");
        assert!(
            e.to_string().contains("(2,9)") || e.to_string().contains("9"),
            "{e}"
        );
        let e = s
            .set_routes(1, 1, tree(&[(1, 2), (2, 3), (3, 4), (4, 2)]))
            .unwrap_err();
        assert_eq!(e.code().as_str(), "INVALID_ROUTES");
        assert_eq!(code(s.join(1, 77)), "UNKNOWN_NODE");
    }

    #[test]
    fn an_exhausted_pool_is_an_error_not_a_wrap() {
        let topo = custom(2, &[(1, 2)]).unwrap();
        let mut s = GroupState::new(
            topo,
            GroupPool::new([239, 1, 1, 0], [255, 255, 255, 252]).unwrap(),
        );
        s.create(1).unwrap();
        s.create(1).unwrap();
        assert_eq!(s.create(1).unwrap_err().code().as_str(), "POOL_EXHAUSTED");
    }
}
