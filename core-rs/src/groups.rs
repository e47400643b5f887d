//! The controller's multicast group state: address allocation, trees, membership, and the
//! per-node multicast tables derived from them. Every change returns exactly the nodes whose
//! tables changed, so the controller pushes updates only to those.

use crate::error::{CoreError, ErrorCode};
use crate::topology::{
    changed_nodes, derive_group_entries, format_ip, GroupError, GroupPool, McEntry, McTree,
    MulticastTable, NodeGroupEntries, PoolError, Topology,
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
        /// What the caller tried, for the message: "set its routes", "delete it".
        action: &'static str,
    },
    UnknownNode {
        node: u32,
    },
    /// A restored group's address is not the one the pool pairs with its id (most likely the
    /// pool configuration changed since the group was stored).
    AddressMismatch {
        group: u32,
        addr: [u8; 4],
        expected: [u8; 4],
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
                action,
            } => {
                write!(f, "only group {group}'s source (node {source}) may {action}, not node {caller}")
            }
            GroupOpError::UnknownNode { node } => write!(f, "node {node} is not in the topology"),
            GroupOpError::AddressMismatch {
                group,
                addr,
                expected,
            } => write!(
                f,
                "group {group} has address {}, but the multicast pool pairs id {group} with {} (was the pool changed?)",
                format_ip(*addr),
                format_ip(*expected)
            ),
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
            GroupOpError::AddressMismatch { .. } => ErrorCode::InvalidArgument,
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
        let g = self.owned(caller, group, "set its routes")?;
        validate_trees(&self.topo, group, g.source, &trees)?;
        let mut next = g.clone();
        next.trees = trees;
        self.commit(next)
    }

    /// Deletes the group. Only its source may. Its id and address go back to the pool (reused
    /// only once the pool's cursor has passed every fresh id). Returns the nodes whose tables
    /// changed: those that had entries for the group.
    pub fn delete(&mut self, caller: u32, group: u32) -> Result<BTreeSet<u32>, GroupOpError> {
        self.owned(caller, group, "delete it")?;
        self.groups.remove(&group);
        self.pool.free(group);
        let mut next = self.entries.clone();
        remove_group(&mut next, group);
        Ok(self.install(next))
    }

    /// Reinstates a stored group with its own id, address, source, trees and members, e.g.
    /// after the controller restarted. Everything is checked as if the group had been built by
    /// create/set_routes/join: the id must be free in the pool and paired with this address,
    /// the nodes in the topology and the trees valid. Members the trees do not reach stay
    /// members, as with join. On error nothing changes. Returns the nodes whose tables changed.
    pub fn restore(&mut self, group: Group) -> Result<BTreeSet<u32>, GroupOpError> {
        let expected = self
            .pool
            .address_of(group.id)
            .map_err(GroupOpError::Pool)?
            .addr;
        if group.addr != expected {
            return Err(GroupOpError::AddressMismatch {
                group: group.id,
                addr: group.addr,
                expected,
            });
        }
        if let Some(&node) = std::iter::once(&group.source)
            .chain(&group.members)
            .find(|&&n| !self.topo.contains(n))
        {
            return Err(GroupOpError::UnknownNode { node });
        }
        // A stored group that never got routes has no trees; that is not an error.
        if !group.trees.is_empty() {
            validate_trees(&self.topo, group.id, group.source, &group.trees)?;
        }
        // Every existing group holds its id in the pool, so this also rejects restoring a
        // group twice.
        self.pool.reserve(group.id).map_err(GroupOpError::Pool)?;
        let id = group.id;
        self.commit(group).inspect_err(|_| {
            self.pool.free(id);
        })
    }

    /// Ids and addresses still available in the pool.
    pub fn remaining(&self) -> u32 {
        self.pool.remaining()
    }

    /// The group, if `caller` is its source.
    fn owned(&self, caller: u32, group: u32, action: &'static str) -> Result<&Group, GroupOpError> {
        let g = self
            .groups
            .get(&group)
            .ok_or(GroupOpError::UnknownGroup { group })?;
        if g.source != caller {
            return Err(GroupOpError::NotSource {
                group,
                source: g.source,
                caller,
                action,
            });
        }
        Ok(g)
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
        remove_group(&mut next, g.id);
        for (node, es) in fresh {
            next.entry(node).or_default().extend(es);
        }
        self.groups.insert(g.id, g);
        Ok(self.install(next))
    }

    /// Makes `next` the current entries; returns the nodes whose tables differ.
    fn install(&mut self, mut next: NodeGroupEntries) -> BTreeSet<u32> {
        next.retain(|_, es| !es.is_empty());
        let changed = changed_nodes(&self.entries, &next);
        self.entries = next;
        changed
    }

    /// This node's multicast table.
    pub fn table_for(&self, node: u32) -> MulticastTable {
        let entries: BTreeMap<(u32, u16), McEntry> =
            self.entries.get(&node).cloned().unwrap_or_default();
        // Entries come from derive_group_entries, which only produces valid ones.
        MulticastTable::from_entries(entries).unwrap_or_default()
    }
}

/// Removes every entry of `group` (all its trees) from every node.
fn remove_group(entries: &mut NodeGroupEntries, group: u32) {
    for per_node in entries.values_mut() {
        per_node.retain(|(gid, _), _| *gid != group);
    }
}

/// Checks trees as set_routes does: with no members, so a bad edge is reported as such rather
/// than as a member it fails to reach.
fn validate_trees(
    topo: &Topology,
    group: u32,
    source: u32,
    trees: &[McTree],
) -> Result<(), GroupOpError> {
    derive_group_entries(topo, group, source, trees, &BTreeSet::new())
        .map(drop)
        .map_err(GroupOpError::Routes)
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

    const ROUTES: [(u32, u32); 4] = [(1, 2), (2, 3), (2, 4), (1, 5)];

    /// Group from source 1 with ROUTES and the leaves 3, 4, 5 as members.
    fn routed(s: &mut GroupState) -> u32 {
        let id = s.create(1).unwrap().id;
        s.set_routes(1, id, tree(&ROUTES)).unwrap();
        for m in [3, 4, 5] {
            s.join(id, m).unwrap();
        }
        id
    }

    #[test]
    fn delete_drops_entries_pushes_changed_nodes_and_frees_the_id() {
        let mut s = state();
        let g = routed(&mut s);
        let other = routed(&mut s);
        assert_eq!((g, other), (1, 2), "no id is reused while its group exists");
        let before = s.remaining();
        let code = |r: Result<BTreeSet<u32>, GroupOpError>| r.unwrap_err().code().as_str();
        let e = s.delete(2, g).unwrap_err();
        assert_eq!(e.code().as_str(), "NOT_GROUP_SOURCE");
        assert_eq!(
            e.to_string(),
            "only group 1's source (node 1) may delete it, not node 2"
        );
        assert_eq!(code(s.delete(1, 9)), "UNKNOWN_GROUP");
        // Every node of the tree had an entry: all five change, and only the group's own
        // entries go (the other group's stay).
        assert_eq!(s.delete(1, g).unwrap(), BTreeSet::from([1, 2, 3, 4, 5]));
        for n in 1..=5 {
            assert!(s.table_for(n).lookup(g, 0).is_none(), "node {n}");
        }
        assert!(s.table_for(3).lookup(other, 0).unwrap().local);
        assert!(s.group(g).is_none());
        assert_eq!(s.remaining(), before + 1);
        assert_eq!(code(s.delete(1, g)), "UNKNOWN_GROUP");
        assert_eq!(code(s.join(g, 3)), "UNKNOWN_GROUP");
        // The freed id is not handed out straight away.
        assert_eq!(s.create(1).unwrap().id, 3);
        // A group without routes has no entries: deleting it changes no table.
        assert_eq!(s.delete(1, 3).unwrap(), BTreeSet::new());
    }

    #[test]
    fn exhaustion_then_delete_then_create_succeeds() {
        let topo = custom(2, &[(1, 2)]).unwrap();
        let mut s = GroupState::new(
            topo,
            GroupPool::new([239, 1, 1, 0], [255, 255, 255, 252]).unwrap(),
        );
        s.create(1).unwrap();
        s.create(2).unwrap();
        assert_eq!(s.create(1).unwrap_err().code().as_str(), "POOL_EXHAUSTED");
        s.delete(1, 1).unwrap();
        let g = s.create(2).unwrap();
        assert_eq!((g.id, g.addr, g.source), (1, [239, 1, 1, 1], 2));
        assert_eq!(s.create(1).unwrap_err().code().as_str(), "POOL_EXHAUSTED");
    }

    fn stored(id: u32, members: &[u32], trees: Vec<McTree>) -> Group {
        Group {
            id,
            addr: [239, 255, 0, id as u8],
            source: 1,
            trees,
            members: members.iter().copied().collect(),
        }
    }

    #[test]
    fn restore_after_a_restart_rebuilds_the_tables_and_ids_continue_above() {
        // Before the "restart": three groups, with ids 1..=7 partly deleted.
        let mut before = state();
        for _ in 0..7 {
            before.create(1).unwrap();
        }
        for id in 1..=7 {
            if ![1, 3, 7].contains(&id) {
                before.delete(1, id).unwrap();
            }
        }
        before.set_routes(1, 3, tree(&ROUTES)).unwrap();
        before.join(3, 4).unwrap();
        before.join(3, 5).unwrap();
        before.join(7, 2).unwrap(); // member without routes
        let saved: Vec<Group> = before.groups().cloned().collect();

        let mut after = state();
        let mut changed = BTreeSet::new();
        for g in saved.clone() {
            changed.extend(after.restore(g).unwrap());
        }
        assert_eq!(changed, BTreeSet::from([1, 2, 4, 5]));
        assert_eq!(after.groups().cloned().collect::<Vec<_>>(), saved);
        for n in 1..=5 {
            assert_eq!(after.table_for(n), before.table_for(n), "node {n}");
        }
        assert_eq!(after.remaining(), before.remaining());
        let g = after.create(2).unwrap();
        assert_eq!((g.id, g.addr), (8, [239, 255, 0, 8]));
        // Restored groups behave like any other.
        assert_eq!(after.leave(3, 5).unwrap(), BTreeSet::from([5]));
        assert_eq!(after.delete(1, 3).unwrap(), BTreeSet::from([1, 2, 4]));
    }

    #[test]
    fn restore_keeps_uncovered_members_as_members() {
        let mut s = state();
        // 3 is not on the tree: stays a member, gets no local entry (as after a join).
        let g = stored(2, &[3, 5], tree(&[(1, 5)]));
        assert_eq!(s.restore(g.clone()).unwrap(), BTreeSet::from([1, 5]));
        assert_eq!(s.group(2), Some(&g));
        assert!(s.table_for(3).lookup(2, 0).is_none());
        assert!(s.table_for(5).lookup(2, 0).unwrap().local);
    }

    #[test]
    fn restore_rejects_what_create_set_routes_and_join_would_and_changes_nothing() {
        let mut s = state();
        s.restore(stored(1, &[], vec![])).unwrap();
        let code = |s: &mut GroupState, g: Group| s.restore(g).unwrap_err().code().as_str();

        let mut bad_addr = stored(3, &[], vec![]);
        bad_addr.addr = [239, 255, 0, 4];
        let e = s.restore(bad_addr).unwrap_err();
        assert_eq!(e.code().as_str(), "INVALID_ARGUMENT");
        assert_eq!(
            e.to_string(),
            "group 3 has address 239.255.0.4, but the multicast pool pairs id 3 with 239.255.0.3 (was the pool changed?)"
        );
        let mut outside = stored(0, &[], vec![]);
        assert_eq!(code(&mut s, outside.clone()), "CONFIG_INVALID");
        outside.id = 70_000;
        assert_eq!(code(&mut s, outside), "CONFIG_INVALID");
        assert_eq!(code(&mut s, stored(1, &[], vec![])), "INVALID_ARGUMENT");

        let mut bad_source = stored(3, &[], vec![]);
        bad_source.source = 9;
        assert_eq!(code(&mut s, bad_source), "UNKNOWN_NODE");
        assert_eq!(code(&mut s, stored(3, &[2, 8], vec![])), "UNKNOWN_NODE");

        let e = s
            .restore(stored(3, &[], tree(&[(1, 2), (2, 9)])))
            .unwrap_err();
        assert_eq!(e.code().as_str(), "INVALID_ROUTES");
        assert!(e.to_string().contains("(2,9)"), "{e}");
        assert_eq!(
            code(&mut s, stored(3, &[], tree(&[(1, 3)]))),
            "INVALID_ROUTES"
        );
        assert_eq!(
            code(
                &mut s,
                stored(3, &[], tree(&[(1, 2), (2, 3), (3, 4), (4, 2)]))
            ),
            "INVALID_ROUTES"
        );
        let mut no_default = tree(&ROUTES);
        no_default[0].tree_id = 1;
        assert_eq!(code(&mut s, stored(3, &[], no_default)), "INVALID_ROUTES");

        // None of the failures reserved an id or touched a table.
        assert_eq!(s.groups().map(|g| g.id).collect::<Vec<_>>(), [1]);
        assert_eq!(s.remaining(), (1 << 16) - 3);
        assert_eq!(s.create(1).unwrap().id, 2);
        assert!((1..=5).all(|n| s.table_for(n).is_empty()));
        s.restore(stored(3, &[4], tree(&ROUTES))).unwrap();
        assert!(s.table_for(4).lookup(3, 0).unwrap().local);
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
