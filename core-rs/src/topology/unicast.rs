//! Unicast routing: ECMP shortest paths for every (node, destination), overridden per
//! (source, destination) by explicit `[[routes]]` (a path or a DAG).

use super::dag;
use super::graph::Topology;
use super::route_table::RouteTable;
use crate::error::{CoreError, ErrorCode};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

/// One `[[routes]]` entry from the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExplicitRoute {
    /// `[1, 2, 3]`: flows from 1 to 3 go 1→2→3.
    Path(Vec<u32>),
    /// Directed edges forming a DAG from its unique root (the source) to its unique sink (the
    /// destination); a node with several out-edges spreads flows over them.
    Dag(Vec<(u32, u32)>),
}

/// Why an explicit route was rejected. `index` is the route's position in `[[routes]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteError {
    /// A path with fewer than two nodes, or a DAG with no edge.
    Empty { index: usize },
    UnknownNode {
        index: usize,
        hop: (u32, u32),
        node: u32,
    },
    /// Consecutive path nodes / a DAG edge that is not a topology link.
    NotALink { index: usize, hop: (u32, u32) },
    /// The hop returns to a node already on the path / closes a cycle in the DAG.
    Cycle { index: usize, hop: (u32, u32) },
    /// A DAG must have exactly one node without incoming edges (its source).
    Roots { index: usize, roots: Vec<u32> },
    /// A DAG must have exactly one node without outgoing edges (its destination).
    Sinks { index: usize, sinks: Vec<u32> },
    /// Two routes for the same (source, destination).
    Duplicate {
        index: usize,
        first: usize,
        src: u32,
        dst: u32,
    },
}

impl fmt::Display for RouteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteError::Empty { index } => {
                write!(f, "routes[{index}]: a route needs at least two nodes (one hop)")
            }
            RouteError::UnknownNode { index, hop: (a, b), node } => {
                write!(f, "routes[{index}]: hop ({a},{b}): node {node} is not in the topology")
            }
            RouteError::NotALink { index, hop: (a, b) } => {
                write!(f, "routes[{index}]: hop ({a},{b}) is not a topology link")
            }
            RouteError::Cycle { index, hop: (a, b) } => {
                write!(f, "routes[{index}]: hop ({a},{b}) closes a cycle")
            }
            RouteError::Roots { index, roots } => write!(
                f,
                "routes[{index}]: a DAG needs exactly one node without incoming edges (the source), found {roots:?}"
            ),
            RouteError::Sinks { index, sinks } => write!(
                f,
                "routes[{index}]: a DAG needs exactly one node without outgoing edges (the destination), found {sinks:?}"
            ),
            RouteError::Duplicate { index, first, src, dst } => write!(
                f,
                "routes[{index}]: a route from {src} to {dst} is already given by routes[{first}]"
            ),
        }
    }
}

impl std::error::Error for RouteError {}

impl CoreError for RouteError {
    fn code(&self) -> ErrorCode {
        ErrorCode::InvalidRoutes
    }
}

/// A validated explicit route: its endpoints and each node's next hops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedRoute {
    pub src: u32,
    pub dst: u32,
    /// Node → next hops (ascending); the destination has none.
    pub next_hops: BTreeMap<u32, Vec<u32>>,
}

impl ExplicitRoute {
    /// Validates the route against the topology. `index` only labels errors.
    pub fn resolve(&self, topo: &Topology, index: usize) -> Result<ResolvedRoute, RouteError> {
        let edges: Vec<(u32, u32)> = match self {
            ExplicitRoute::Path(p) => p.windows(2).map(|w| (w[0], w[1])).collect(),
            ExplicitRoute::Dag(e) => e.clone(),
        };
        if edges.is_empty() {
            return Err(RouteError::Empty { index });
        }
        for &hop in &edges {
            for node in [hop.0, hop.1] {
                if !topo.contains(node) {
                    return Err(RouteError::UnknownNode { index, hop, node });
                }
            }
            if !topo.has_link(hop.0, hop.1) {
                return Err(RouteError::NotALink { index, hop });
            }
        }
        if let ExplicitRoute::Path(p) = self {
            // A path revisiting a node would loop forever at that node: name the hop that
            // comes back.
            let mut seen = BTreeSet::from([p[0]]);
            for &hop in &edges {
                if !seen.insert(hop.1) {
                    return Err(RouteError::Cycle { index, hop });
                }
            }
        }
        let out = dag::out_lists(&edges);
        let nodes: BTreeSet<u32> = edges.iter().flat_map(|&(a, b)| [a, b]).collect();
        dag::dfs(&out, nodes.iter().copied()).map_err(|hop| RouteError::Cycle { index, hop })?;
        let has_in: BTreeSet<u32> = edges.iter().map(|e| e.1).collect();
        let roots: Vec<u32> = nodes
            .iter()
            .copied()
            .filter(|n| !has_in.contains(n))
            .collect();
        let sinks: Vec<u32> = nodes
            .iter()
            .copied()
            .filter(|n| !out.contains_key(n))
            .collect();
        // Acyclic, so both lists are non-empty; with one root every node is reachable from it
        // (walk predecessors back: they end at a root), and likewise every node reaches the
        // one sink, so no further reachability check is needed.
        if roots.len() != 1 {
            return Err(RouteError::Roots { index, roots });
        }
        if sinks.len() != 1 {
            return Err(RouteError::Sinks { index, sinks });
        }
        Ok(ResolvedRoute {
            src: roots[0],
            dst: sinks[0],
            next_hops: out,
        })
    }
}

/// Hop distance from every node to `dst` (`dist[v - 1]`), `None` when unreachable.
fn distances_to(topo: &Topology, dst: u32) -> Vec<Option<u32>> {
    let mut dist = vec![None; topo.node_count() as usize];
    if !topo.contains(dst) {
        return dist;
    }
    dist[(dst - 1) as usize] = Some(0);
    let mut queue = VecDeque::from([dst]);
    while let Some(v) = queue.pop_front() {
        let d = dist[(v - 1) as usize].unwrap_or(0);
        for &u in topo.neighbors(v) {
            let slot = &mut dist[(u - 1) as usize];
            if slot.is_none() {
                *slot = Some(d + 1);
                queue.push_back(u);
            }
        }
    }
    dist
}

/// For every node that can reach `dst` (other than `dst`), all neighbours that lie on some
/// shortest path to it (ECMP), ascending. One BFS from the destination: a neighbour `u` of `v`
/// is a next hop iff `dist(u) = dist(v) - 1`.
pub fn ecmp_next_hops(topo: &Topology, dst: u32) -> BTreeMap<u32, Vec<u32>> {
    let dist = distances_to(topo, dst);
    let mut out = BTreeMap::new();
    for v in topo.node_ids() {
        let Some(dv) = dist[(v - 1) as usize] else {
            continue;
        };
        if dv == 0 {
            continue;
        }
        let hops: Vec<u32> = topo
            .neighbors(v)
            .iter()
            .copied()
            .filter(|&u| dist[(u - 1) as usize] == Some(dv - 1))
            .collect();
        out.insert(v, hops);
    }
    out
}

/// Validates explicit routes against the topology (each route, and no two for one pair).
pub fn resolve_routes(
    topo: &Topology,
    routes: &[ExplicitRoute],
) -> Result<Vec<ResolvedRoute>, RouteError> {
    let mut resolved = Vec::with_capacity(routes.len());
    let mut first_for_pair: BTreeMap<(u32, u32), usize> = BTreeMap::new();
    for (index, route) in routes.iter().enumerate() {
        let r = route.resolve(topo, index)?;
        if let Some(&first) = first_for_pair.get(&(r.src, r.dst)) {
            return Err(RouteError::Duplicate {
                index,
                first,
                src: r.src,
                dst: r.dst,
            });
        }
        first_for_pair.insert((r.src, r.dst), index);
        resolved.push(r);
    }
    Ok(resolved)
}

/// Every node's route table: `(any, dst)` entries from ECMP shortest paths, plus
/// `(src, dst)` entries from the explicit routes, which win at lookup for that pair. Every
/// node of the topology gets a table, possibly empty. All routes are validated before any
/// table is built, so an error leaves nothing half-applied. Holds N² entries: for large
/// topologies use [`route_table_for`], one node at a time.
pub fn compute_route_tables(
    topo: &Topology,
    routes: &[ExplicitRoute],
) -> Result<BTreeMap<u32, RouteTable>, RouteError> {
    let resolved = resolve_routes(topo, routes)?;
    let mut tables: BTreeMap<u32, RouteTable> =
        topo.node_ids().map(|v| (v, RouteTable::new())).collect();
    // Ids come from the topology (>= 1) and every hop list is non-empty (a node at distance d
    // has a neighbour at d - 1; a resolved route node has an out-edge), so `set` cannot fail
    // here. Asserting rather than returning keeps `RouteError` about the routes themselves.
    let mut put = |node: u32, src: Option<u32>, dst: u32, hops: Vec<u32>| {
        if let Some(t) = tables.get_mut(&node) {
            let ok = t.set(src, dst, hops);
            debug_assert!(ok.is_ok());
        }
    };
    for dst in topo.node_ids() {
        for (v, hops) in ecmp_next_hops(topo, dst) {
            put(v, None, dst, hops);
        }
    }
    for r in resolved {
        for (v, hops) in r.next_hops {
            put(v, Some(r.src), r.dst, hops);
        }
    }
    Ok(tables)
}

/// One node's route table, the same as [`compute_route_tables`] gives it, computed on its own
/// with one BFS from the node: a neighbour `u` is a next hop to `d` iff it is the first hop
/// of some shortest path to `d`, and the first hops of `d` are the union of those of its BFS
/// parents (nodes one hop closer that link to it). Each node carries them as a bit mask over
/// the neighbours, so O((N + E) × ⌈degree / 64⌉) time and memory. Destinations come out in id
/// order, so equal lists form runs ([`RouteTable`]'s compact form) directly.
pub fn route_table_for(topo: &Topology, resolved: &[ResolvedRoute], node: u32) -> RouteTable {
    if !topo.contains(node) {
        return RouteTable::new();
    }
    let neighbors = topo.neighbors(node);
    let words = neighbors.len().div_ceil(64).max(1);
    let n = topo.node_count() as usize;
    let mut dist = vec![u32::MAX; n];
    let mut mask = vec![0u64; n * words];
    // The BFS order itself is the queue: every node enters it once.
    let mut order: Vec<u32> = Vec::with_capacity(n);
    dist[(node - 1) as usize] = 0;
    for (i, &u) in neighbors.iter().enumerate() {
        let at = (u - 1) as usize;
        dist[at] = 1;
        mask[at * words + i / 64] |= 1 << (i % 64);
        order.push(u);
    }
    // Every node at distance d is dequeued before any at d + 1, so a node's mask is complete
    // before it is passed on.
    let mut head = 0;
    while let Some(&v) = order.get(head) {
        head += 1;
        let vi = (v - 1) as usize;
        let next = dist[vi] + 1;
        for &u in topo.neighbors(v) {
            let ui = (u - 1) as usize;
            if dist[ui] == u32::MAX {
                dist[ui] = next;
                order.push(u);
            }
            if dist[ui] == next {
                for w in 0..words {
                    mask[ui * words + w] |= mask[vi * words + w];
                }
            }
        }
    }
    // One list per distinct mask, numbered from 1 in order of first use.
    // Neighbouring ids mostly share a mask (that is what makes runs), so the last one is
    // checked before the map.
    let mut ids: BTreeMap<&[u64], u32> = BTreeMap::new();
    let mut sets: Vec<Vec<u32>> = Vec::new();
    let mut last: Option<(&[u64], u32)> = None;
    let runs = (0..n).map(|i| {
        let m = &mask[i * words..(i + 1) * words];
        if dist[i] == 0 || dist[i] == u32::MAX {
            return (i as u32 + 1, 0);
        }
        if let Some((lm, id)) = last {
            if lm == m {
                return (i as u32 + 1, id);
            }
        }
        let id = *ids.entry(m).or_insert_with(|| {
            let hops = neighbors
                .iter()
                .enumerate()
                .filter(|(j, _)| m[j / 64] & (1 << (j % 64)) != 0)
                .map(|(_, &u)| u)
                .collect();
            sets.push(hops);
            sets.len() as u32
        });
        last = Some((m, id));
        (i as u32 + 1, id)
    });
    // Past the last node: no route (ids are at most 100,000, far from u32::MAX).
    let end = (n as u32).checked_add(1).map(|e| (e, 0));
    let runs: Vec<(u32, u32)> = runs.chain(end).collect();
    drop(ids);
    let mut table = RouteTable::from_runs(sets, runs);
    for r in resolved {
        if let Some(hops) = r.next_hops.get(&node) {
            let ok = table.set(Some(r.src), r.dst, hops.clone());
            debug_assert!(ok.is_ok());
        }
    }
    table
}

/// One node's route table holding only the explicit routes that pass through it: what a
/// controller configured without `[routing]` hands out (upstream's rule: no topology-derived
/// routes, so a pair without an explicit route has none).
///
/// The destination of a route holds it too, under its `(src, dst)` key with the nodes it
/// arrives from as hops. A node delivers what is addressed to it, so the entry never forwards;
/// it names the route's source as a node this one knows of, else the source's datagrams would
/// be dropped as `unknown_source` (with shortest paths the destination knows every node from
/// its own routes back).
pub fn explicit_route_table_for(resolved: &[ResolvedRoute], node: u32) -> RouteTable {
    let mut table = RouteTable::new();
    for r in resolved {
        let hops = if node == r.dst {
            r.next_hops
                .iter()
                .filter(|(_, h)| h.contains(&node))
                .map(|(&v, _)| v)
                .collect()
        } else {
            match r.next_hops.get(&node) {
                Some(h) => h.clone(),
                None => continue,
            }
        };
        let ok = table.set(Some(r.src), r.dst, hops);
        debug_assert!(ok.is_ok());
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::generators::{custom, fat_tree, full_mesh, ring, torus, FatTreeIds};
    use crate::topology::hash::FlowKey;

    /// Follows `select` hop by hop; returns the node sequence.
    fn walk(tables: &BTreeMap<u32, RouteTable>, flow: FlowKey) -> Vec<u32> {
        let mut at = flow.src;
        let mut path = vec![at];
        while at != flow.dst {
            at = tables[&at].select(&flow).expect("route");
            path.push(at);
            assert!(path.len() < 64, "loop: {path:?}");
        }
        path
    }

    #[test]
    fn explicit_only_tables_route_only_the_given_pairs() {
        let t = ring(5).unwrap();
        let resolved = resolve_routes(&t, &[ExplicitRoute::Path(vec![1, 2, 3])]).unwrap();
        let one = explicit_route_table_for(&resolved, 1);
        assert_eq!(one.next_hops(1, 3), Some(&[2][..]));
        assert_eq!(one.next_hops(1, 2), None, "no shortest path to a neighbour");
        assert_eq!(one.next_hops(5, 3), None, "another source has no route");
        assert_eq!(
            explicit_route_table_for(&resolved, 2).next_hops(1, 3),
            Some(&[3][..])
        );
        // The destination names the source (and where the route arrives from), nothing more.
        let three = explicit_route_table_for(&resolved, 3);
        assert_eq!(three.next_hops(1, 3), Some(&[2][..]));
        assert_eq!(three.next_hops(3, 1), None, "no way back");
        assert!(three.named_nodes().any(|n| n == 1));
        assert_eq!(explicit_route_table_for(&resolved, 4), RouteTable::new());
        assert_eq!(explicit_route_table_for(&[], 1), RouteTable::new());
    }

    #[test]
    fn ring_of_six_has_two_equal_paths_to_the_opposite_node() {
        let t = ring(6).unwrap();
        assert_eq!(ecmp_next_hops(&t, 4)[&1], vec![2, 6]);
        assert_eq!(ecmp_next_hops(&t, 3)[&1], vec![2]);
        let tables = compute_route_tables(&t, &[]).unwrap();
        assert_eq!(tables[&1].next_hops(1, 4), Some(&[2, 6][..]));
        assert_eq!(tables[&2].next_hops(1, 4), Some(&[3][..]));
        assert_eq!(
            tables[&4].next_hops(1, 4),
            None,
            "destination has no entry for itself"
        );
        assert_eq!(tables.len(), 6);
    }

    #[test]
    fn shortest_paths_have_bfs_length_everywhere() {
        for topo in [
            ring(7).unwrap(),
            torus(2, 4).unwrap(),
            fat_tree(4).unwrap(),
            full_mesh(5).unwrap(),
        ] {
            let tables = compute_route_tables(&topo, &[]).unwrap();
            for dst in topo.node_ids() {
                let dist = distances_to(&topo, dst);
                for src in topo.node_ids() {
                    for port in 0..4u16 {
                        let path = walk(&tables, FlowKey::new(src, dst, port, 9));
                        assert_eq!(Some(path.len() as u32 - 1), dist[(src - 1) as usize]);
                        assert!(path.windows(2).all(|w| topo.has_link(w[0], w[1])));
                    }
                }
            }
        }
    }

    #[test]
    fn fat_tree_ecmp_fan_out() {
        let topo = fat_tree(4).unwrap();
        let ids = FatTreeIds::new(4);
        let (h_src, h_dst) = (ids.host(0, 0, 0), ids.host(1, 0, 0));
        let hops = ecmp_next_hops(&topo, h_dst);
        // Host -> its edge switch -> both aggregation switches -> both cores of each group.
        assert_eq!(hops[&h_src], vec![ids.edge(0, 0)]);
        assert_eq!(
            hops[&ids.edge(0, 0)],
            vec![ids.aggregation(0, 0), ids.aggregation(0, 1)]
        );
        assert_eq!(
            hops[&ids.aggregation(0, 0)],
            vec![ids.core(0, 0), ids.core(0, 1)]
        );
        assert_eq!(hops[&ids.core(0, 0)], vec![ids.aggregation(1, 0)]);
    }

    #[test]
    fn unreachable_destinations_have_no_entry() {
        let topo = custom(4, &[(1, 2), (3, 4)]).unwrap();
        let tables = compute_route_tables(&topo, &[]).unwrap();
        assert_eq!(tables[&1].next_hops(1, 2), Some(&[2][..]));
        assert_eq!(tables[&1].next_hops(1, 3), None);
        assert_eq!(tables[&1].next_hops(1, 4), None);
        assert_eq!(
            tables[&1].runs().collect::<Vec<_>>(),
            vec![(2, Some(&[2][..])), (3, None)]
        );
    }

    #[test]
    fn explicit_path_overrides_only_its_pair() {
        // Ring of 5: shortest 1 -> 3 is via 2; force the long way 1-5-4-3.
        let topo = ring(5).unwrap();
        let routes = [ExplicitRoute::Path(vec![1, 5, 4, 3])];
        let tables = compute_route_tables(&topo, &routes).unwrap();
        assert_eq!(walk(&tables, FlowKey::new(1, 3, 1, 1)), vec![1, 5, 4, 3]);
        assert_eq!(tables[&5].next_hops(1, 3), Some(&[4][..]));
        // Other sources to 3 keep shortest paths, even through the same nodes.
        assert_eq!(walk(&tables, FlowKey::new(5, 3, 1, 1)), vec![5, 4, 3]);
        assert_eq!(walk(&tables, FlowKey::new(2, 3, 1, 1)), vec![2, 3]);
        assert_eq!(tables[&1].next_hops(2, 3), Some(&[2][..]));
    }

    #[test]
    fn explicit_path_example_from_the_config_docs() {
        // In a full mesh 1 -> 3 is direct; [1, 2, 3] forces the detour.
        let topo = full_mesh(3).unwrap();
        let tables = compute_route_tables(&topo, &[ExplicitRoute::Path(vec![1, 2, 3])]).unwrap();
        assert_eq!(tables[&1].next_hops(1, 3), Some(&[2][..]));
        assert_eq!(tables[&2].next_hops(1, 3), Some(&[3][..]));
        assert_eq!(
            tables[&1].next_hops(2, 3),
            Some(&[3][..]),
            "other sources: direct"
        );
        assert_eq!(tables[&2].next_hops(2, 3), Some(&[3][..]));
    }

    #[test]
    fn computed_tables_survive_the_codec() {
        let topo = fat_tree(4).unwrap();
        let ids = FatTreeIds::new(4);
        let route = ExplicitRoute::Path(vec![
            ids.host(0, 0, 0),
            ids.edge(0, 0),
            ids.aggregation(0, 1),
            ids.edge(0, 1),
            ids.host(0, 1, 0),
        ]);
        for (node, table) in compute_route_tables(&topo, &[route]).unwrap() {
            assert_eq!(
                RouteTable::decode(&table.encode()).as_ref(),
                Ok(&table),
                "node {node}"
            );
        }
    }

    #[test]
    fn explicit_dag_spreads_over_branches() {
        let topo = custom(4, &[(1, 2), (2, 4), (1, 3), (3, 4), (1, 4)]).unwrap();
        let dag = ExplicitRoute::Dag(vec![(1, 2), (2, 4), (1, 3), (3, 4)]);
        let r = dag.resolve(&topo, 0).unwrap();
        assert_eq!((r.src, r.dst), (1, 4));
        let tables = compute_route_tables(&topo, &[dag]).unwrap();
        assert_eq!(tables[&1].next_hops(1, 4), Some(&[2, 3][..]));
        assert_eq!(tables[&2].next_hops(1, 4), Some(&[4][..]));
        assert_eq!(tables[&3].next_hops(1, 4), Some(&[4][..]));
        // Without the route, 1 -> 4 is the direct link.
        assert_eq!(tables[&1].next_hops(2, 4), Some(&[4][..]));
        let mut via = BTreeSet::new();
        for p in 0..64u16 {
            let path = walk(&tables, FlowKey::new(1, 4, p, 0));
            assert_eq!(path.len(), 3);
            via.insert(path[1]);
        }
        assert_eq!(via, BTreeSet::from([2, 3]), "flows use both branches");
    }

    #[test]
    fn explicit_route_errors_name_the_hop() {
        let topo = custom(5, &[(1, 2), (2, 3), (3, 1), (3, 4), (4, 5)]).unwrap();
        let err = |r: ExplicitRoute| compute_route_tables(&topo, &[r]).unwrap_err();
        use ExplicitRoute::{Dag, Path};
        assert_eq!(err(Path(vec![1])), RouteError::Empty { index: 0 });
        assert_eq!(err(Dag(vec![])), RouteError::Empty { index: 0 });
        assert_eq!(
            err(Path(vec![1, 2, 9])).to_string(),
            "routes[0]: hop (2,9): node 9 is not in the topology"
        );
        assert_eq!(
            err(Path(vec![1, 2, 4])).to_string(),
            "routes[0]: hop (2,4) is not a topology link"
        );
        assert_eq!(
            err(Path(vec![1, 1])),
            RouteError::NotALink {
                index: 0,
                hop: (1, 1)
            }
        );
        assert_eq!(
            err(Path(vec![1, 2, 3, 1, 2])).to_string(),
            "routes[0]: hop (3,1) closes a cycle"
        );
        assert_eq!(
            err(Dag(vec![(1, 2), (2, 3), (3, 1), (3, 4)])),
            RouteError::Cycle {
                index: 0,
                hop: (3, 1)
            }
        );
        assert_eq!(
            err(Dag(vec![(1, 3), (2, 3), (3, 4)])),
            RouteError::Roots {
                index: 0,
                roots: vec![1, 2]
            }
        );
        assert_eq!(
            err(Dag(vec![(3, 1), (3, 2)])).to_string(),
            "routes[0]: a DAG needs exactly one node without outgoing edges (the destination), found [1, 2]"
        );
        assert_eq!(err(Dag(vec![(0, 1)])).code(), ErrorCode::InvalidRoutes);
        let dup = compute_route_tables(
            &topo,
            &[
                Path(vec![1, 3, 4]),
                Path(vec![1, 2]),
                Dag(vec![(1, 2), (2, 3), (3, 4)]),
            ],
        )
        .unwrap_err();
        assert_eq!(
            dup,
            RouteError::Duplicate {
                index: 2,
                first: 0,
                src: 1,
                dst: 4
            }
        );
        assert_eq!(
            dup.to_string(),
            "routes[2]: a route from 1 to 4 is already given by routes[0]"
        );
    }

    #[test]
    fn one_table_at_a_time_equals_all_at_once() {
        let topologies = [
            ring(7).unwrap(),
            full_mesh(5).unwrap(),
            torus(2, 4).unwrap(),
            fat_tree(4).unwrap(),
            custom(6, &[(1, 2), (2, 3), (3, 4), (4, 1), (2, 5)]).unwrap(), // node 6 isolated
        ];
        for topo in &topologies {
            let routes = if topo.contains(4) && topo.has_link(1, 2) && topo.has_link(2, 3) {
                vec![ExplicitRoute::Path(vec![1, 2, 3])]
            } else {
                vec![]
            };
            let all = compute_route_tables(topo, &routes).unwrap();
            let resolved = resolve_routes(topo, &routes).unwrap();
            for v in topo.node_ids() {
                assert_eq!(route_table_for(topo, &resolved, v), all[&v], "node {v}");
            }
            assert_eq!(
                route_table_for(topo, &resolved, topo.node_count() + 1),
                RouteTable::new()
            );
        }
    }

    /// What a node holds is a few runs, not N entries: the point of the compact table.
    #[test]
    fn tables_are_runs_not_one_entry_per_destination() {
        let ft = fat_tree(8).unwrap(); // 208 nodes
        let ids = FatTreeIds::new(8);
        let host = route_table_for(&ft, &[], ids.host(3, 1, 2));
        // Everything via its edge switch, except itself: a run, a hole, a run, the end.
        assert!(host.run_count() <= 4, "{}", host.run_count());
        for v in ft.node_ids() {
            assert!(route_table_for(&ft, &[], v).run_count() <= 64, "node {v}");
        }
        let t = torus(2, 30).unwrap(); // 900 nodes, ids row by row
        for v in [1, 15, 450, 900] {
            let runs = route_table_for(&t, &[], v).run_count();
            assert!(runs <= 8 * 30, "node {v}: {runs} runs");
        }
    }

    /// The single-BFS first-hop masks need more than one 64-bit word past 64 neighbours.
    #[test]
    fn wide_nodes_use_several_mask_words() {
        let star: Vec<(u32, u32)> = (2..=150)
            .map(|v| (1, v))
            .chain([(2, 150), (149, 150)])
            .collect();
        let topo = custom(151, &star).unwrap();
        let all = compute_route_tables(&topo, &[]).unwrap();
        for v in [1, 2, 100, 149, 150, 151] {
            assert_eq!(route_table_for(&topo, &[], v), all[&v], "node {v}");
        }
        assert_eq!(
            route_table_for(&topo, &[], 1).next_hops(1, 150),
            Some(&[150][..])
        );
        assert_eq!(
            route_table_for(&topo, &[], 2).next_hops(2, 149),
            Some(&[1, 150][..])
        );
    }
}
