//! Topology generators and the config-facing [`TopologySpec`].
//!
//! Every generator validates its parameters with a [`TopologyError`] that names the config key
//! (`<kind>_config.<field>`, matching the controller's TOML), and refuses sizes above
//! [`MAX_NODES`] nodes or [`MAX_LINKS`] links before allocating anything.

use super::graph::Topology;
use super::{MAX_LINKS, MAX_NODES};
use crate::error::{CoreError, ErrorCode};
use std::fmt;

/// Config-facing description of a topology.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopologySpec {
    FullMesh {
        n_nodes: u32,
    },
    Ring {
        n_nodes: u32,
    },
    Torus {
        dim: u32,
        n: u32,
    },
    FatTree {
        k: u32,
    },
    Custom {
        n_nodes: u32,
        edges: Vec<(u32, u32)>,
    },
}

impl TopologySpec {
    /// Validates the spec and builds the topology.
    pub fn build(&self) -> Result<Topology, TopologyError> {
        match self {
            TopologySpec::FullMesh { n_nodes } => full_mesh(*n_nodes),
            TopologySpec::Ring { n_nodes } => ring(*n_nodes),
            TopologySpec::Torus { dim, n } => torus(*dim, *n),
            TopologySpec::FatTree { k } => fat_tree(*k),
            TopologySpec::Custom { n_nodes, edges } => custom(*n_nodes, edges),
        }
    }
}

impl Topology {
    /// Same as [`TopologySpec::build`].
    pub fn from_spec(spec: &TopologySpec) -> Result<Topology, TopologyError> {
        spec.build()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopologyError {
    /// A parameter is outside its domain, e.g. an odd fat-tree `k`.
    BadParameter {
        key: &'static str,
        expected: &'static str,
        got: u64,
    },
    /// The parameters are valid but would build more than [`MAX_NODES`] nodes or
    /// [`MAX_LINKS`] links.
    TooLarge {
        key: &'static str,
        got: u64,
        what: &'static str,
        requested: u128,
        max: u64,
    },
    /// A custom edge names a node outside `1..=n_nodes`.
    EdgeUnknownNode {
        index: usize,
        edge: (u32, u32),
        node: u32,
        n_nodes: u32,
    },
    /// A custom edge links a node to itself. Rejected rather than dropped: it is almost
    /// certainly a typo for another edge.
    SelfLoop { index: usize, node: u32 },
}

impl fmt::Display for TopologyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TopologyError::BadParameter { key, expected, got } => {
                write!(f, "{key} must be {expected}, got {got}")
            }
            TopologyError::TooLarge {
                key,
                got,
                what,
                requested,
                max,
            } => write!(
                f,
                "{key} = {got} would create {requested} {what}; at most {max} are allowed"
            ),
            TopologyError::EdgeUnknownNode {
                index,
                edge: (a, b),
                node,
                n_nodes,
            } => write!(
                f,
                "custom_config.edges[{index}] = ({a}, {b}): node {node} is not in 1..={n_nodes}"
            ),
            TopologyError::SelfLoop { index, node } => write!(
                f,
                "custom_config.edges[{index}] = ({node}, {node}) links a node to itself"
            ),
        }
    }
}

impl std::error::Error for TopologyError {}

impl CoreError for TopologyError {
    fn code(&self) -> ErrorCode {
        ErrorCode::ConfigInvalid
    }
}

fn check_size(key: &'static str, got: u64, nodes: u128, links: u128) -> Result<(), TopologyError> {
    if nodes > u128::from(MAX_NODES) {
        return Err(TopologyError::TooLarge {
            key,
            got,
            what: "nodes",
            requested: nodes,
            max: MAX_NODES,
        });
    }
    if links > u128::from(MAX_LINKS) {
        return Err(TopologyError::TooLarge {
            key,
            got,
            what: "links",
            requested: links,
            max: MAX_LINKS,
        });
    }
    Ok(())
}

/// Every pair of nodes linked: `n(n-1)/2` links. `n_nodes >= 1`.
pub fn full_mesh(n_nodes: u32) -> Result<Topology, TopologyError> {
    const KEY: &str = "full_mesh_config.n_nodes";
    if n_nodes < 1 {
        return Err(TopologyError::BadParameter {
            key: KEY,
            expected: ">= 1",
            got: 0,
        });
    }
    let n = u128::from(n_nodes);
    check_size(KEY, n_nodes.into(), n, n * (n - 1) / 2)?;
    let links = (1..=n_nodes).flat_map(|a| (a + 1..=n_nodes).map(move |b| (a, b)));
    Ok(Topology::from_links(n_nodes, links))
}

/// Node `i` linked to `i + 1`, and `n` back to 1. `n_nodes >= 2`; with 2 nodes the two
/// "directions" of the ring are the same link, so the result is a single link (not an
/// error: a 2-ring is a degenerate but well-defined ring).
pub fn ring(n_nodes: u32) -> Result<Topology, TopologyError> {
    const KEY: &str = "ring_config.n_nodes";
    if n_nodes < 2 {
        return Err(TopologyError::BadParameter {
            key: KEY,
            expected: ">= 2",
            got: n_nodes.into(),
        });
    }
    check_size(KEY, n_nodes.into(), n_nodes.into(), n_nodes.into())?;
    let links = (1..=n_nodes).map(|a| (a, a % n_nodes + 1));
    Ok(Topology::from_links(n_nodes, links))
}

/// A `dim`-dimensional torus with `n` nodes per dimension (`n^dim` nodes), wrapping around
/// in every dimension. Node with coordinates `(c_0, .., c_{dim-1})`, each in `0..n`, has id
/// `1 + Σ c_i·n^i`. Links: `dim·n^dim` for `n >= 3`; for `n = 2` the forward and wrap-around
/// neighbour coincide, so there are `dim·n^dim / 2` (a hypercube).
pub fn torus(dim: u32, n: u32) -> Result<Topology, TopologyError> {
    if dim < 1 {
        return Err(TopologyError::BadParameter {
            key: "torus_config.dim",
            expected: ">= 1",
            got: dim.into(),
        });
    }
    if n < 2 {
        return Err(TopologyError::BadParameter {
            key: "torus_config.n",
            expected: ">= 2",
            got: n.into(),
        });
    }
    // n >= 2, so n^dim exceeds MAX_NODES long before dim reaches 64: stop multiplying as soon
    // as it does, which also keeps the product far from overflow.
    let mut nodes: u128 = 1;
    for _ in 0..dim {
        nodes *= u128::from(n);
        if nodes > u128::from(MAX_NODES) {
            break;
        }
    }
    let links = if n == 2 {
        nodes * u128::from(dim) / 2
    } else {
        nodes * u128::from(dim)
    };
    check_size("torus_config.n", n.into(), nodes, links)?;
    let total = nodes as u32; // <= MAX_NODES, checked above
    let mut out = Vec::with_capacity(links as usize);
    for idx in 0..total {
        let mut stride = 1u32;
        for _ in 0..dim {
            let c = (idx / stride) % n;
            // Only the "+1" neighbour per dimension: the "-1" link is the "+1" of the other
            // end, so each link is generated once (for n = 2 twice, and deduplicated).
            let next = if c + 1 < n {
                idx + stride
            } else {
                idx - c * stride
            };
            out.push((idx + 1, next + 1));
            stride *= n;
        }
    }
    Ok(Topology::from_links(total, out))
}

/// Node numbering of a k-ary fat tree, layer by layer:
///
/// | layer       | count      | ids                                                  |
/// |-------------|------------|------------------------------------------------------|
/// | core        | (k/2)²     | `1 + i·(k/2) + j` for core group `i`, member `j`     |
/// | aggregation | k·(k/2)    | `C + pod·(k/2) + i` where `C = (k/2)²`               |
/// | edge        | k·(k/2)    | `C + k·(k/2) + pod·(k/2) + i`                        |
/// | host        | k·(k/2)²   | `C + k² + (pod·(k/2) + e)·(k/2) + h`                 |
///
/// (all offsets 0-based, ids 1-based). Core group `i` (cores `i·(k/2) .. i·(k/2)+k/2`) links
/// to aggregation switch `i` of every pod; inside a pod every aggregation switch links to
/// every edge switch; edge switch `e` links to its `k/2` hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FatTreeIds {
    half: u32,
    k: u32,
}

impl FatTreeIds {
    /// `k` must be even and >= 2 (checked by [`fat_tree`]; here only documented).
    pub fn new(k: u32) -> Self {
        FatTreeIds { half: k / 2, k }
    }
    pub fn core(&self, group: u32, member: u32) -> u32 {
        1 + group * self.half + member
    }
    pub fn aggregation(&self, pod: u32, i: u32) -> u32 {
        1 + self.half * self.half + pod * self.half + i
    }
    pub fn edge(&self, pod: u32, i: u32) -> u32 {
        1 + self.half * self.half + self.k * self.half + pod * self.half + i
    }
    pub fn host(&self, pod: u32, edge: u32, h: u32) -> u32 {
        1 + self.half * self.half + self.k * self.k + (pod * self.half + edge) * self.half + h
    }
    /// Number of switches (core + aggregation + edge) = `5k²/4`; hosts follow them.
    pub fn switch_count(&self) -> u32 {
        self.half * self.half + self.k * self.k
    }
    pub fn node_count(&self) -> u32 {
        self.switch_count() + self.k * self.half * self.half
    }
}

/// A k-ary fat tree where every switch and host is a node (numbering in [`FatTreeIds`]):
/// `5k²/4 + k³/4` nodes, `3k³/4` links.
pub fn fat_tree(k: u32) -> Result<Topology, TopologyError> {
    const KEY: &str = "fat_tree_config.k";
    if k < 2 || k % 2 != 0 {
        return Err(TopologyError::BadParameter {
            key: KEY,
            expected: "an even number >= 2",
            got: k.into(),
        });
    }
    let kk = u128::from(k);
    check_size(
        KEY,
        k.into(),
        5 * kk * kk / 4 + kk * kk * kk / 4,
        3 * kk * kk * kk / 4,
    )?;
    let ids = FatTreeIds::new(k);
    let half = k / 2;
    let mut links = Vec::with_capacity((3 * kk * kk * kk / 4) as usize);
    for pod in 0..k {
        for i in 0..half {
            let agg = ids.aggregation(pod, i);
            for j in 0..half {
                links.push((ids.core(i, j), agg));
                links.push((agg, ids.edge(pod, j)));
            }
        }
        for e in 0..half {
            for h in 0..half {
                links.push((ids.edge(pod, e), ids.host(pod, e, h)));
            }
        }
    }
    Ok(Topology::from_links(ids.node_count(), links))
}

/// A user-given topology. Every endpoint must be in `1..=n_nodes` and no edge may be a self
/// loop; duplicate edges (either orientation) collapse into one link.
pub fn custom(n_nodes: u32, edges: &[(u32, u32)]) -> Result<Topology, TopologyError> {
    const KEY: &str = "custom_config.n_nodes";
    if n_nodes < 1 {
        return Err(TopologyError::BadParameter {
            key: KEY,
            expected: ">= 1",
            got: 0,
        });
    }
    check_size(KEY, n_nodes.into(), n_nodes.into(), 0)?;
    check_size(
        "custom_config.edges",
        edges.len() as u64,
        0,
        edges.len() as u128,
    )?;
    for (index, &(a, b)) in edges.iter().enumerate() {
        for node in [a, b] {
            if node < 1 || node > n_nodes {
                return Err(TopologyError::EdgeUnknownNode {
                    index,
                    edge: (a, b),
                    node,
                    n_nodes,
                });
            }
        }
        if a == b {
            return Err(TopologyError::SelfLoop { index, node: a });
        }
    }
    Ok(Topology::from_links(n_nodes, edges.iter().copied()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Checks the invariants every generator must uphold.
    fn assert_well_formed(t: &Topology) {
        let mut seen = BTreeSet::new();
        for &(a, b) in t.edges() {
            assert!(a < b, "edge ({a},{b}) not normalised");
            assert!(t.contains(a) && t.contains(b));
            assert!(seen.insert((a, b)), "duplicate edge ({a},{b})");
            assert!(t.has_link(a, b) && t.has_link(b, a), "asymmetric ({a},{b})");
        }
        let degree_sum: usize = t.node_ids().map(|v| t.neighbors(v).len()).sum();
        assert_eq!(degree_sum, 2 * t.edges().len());
        for v in t.node_ids() {
            for &u in t.neighbors(v) {
                assert!(t.neighbors(u).contains(&v), "{v} -> {u} not symmetric");
                assert_ne!(u, v);
            }
        }
    }

    #[test]
    fn full_mesh_counts() {
        for n in 1..=12u32 {
            let t = full_mesh(n).unwrap();
            assert_well_formed(&t);
            assert_eq!(t.node_count(), n);
            assert_eq!(t.edges().len() as u32, n * (n - 1) / 2);
            for v in t.node_ids() {
                assert_eq!(t.neighbors(v).len() as u32, n - 1);
            }
        }
    }

    #[test]
    fn ring_counts_and_two_node_ring() {
        for n in 3..=20u32 {
            let t = ring(n).unwrap();
            assert_well_formed(&t);
            assert_eq!(t.node_count(), n);
            assert_eq!(t.edges().len() as u32, n);
            assert!(t.has_link(n, 1));
            assert!(t.node_ids().all(|v| t.neighbors(v).len() == 2));
        }
        let two = ring(2).unwrap();
        assert_eq!(two.edges(), &[(1, 2)]);
        assert_eq!(
            ring(1).unwrap_err().to_string(),
            "ring_config.n_nodes must be >= 2, got 1"
        );
    }

    #[test]
    fn torus_counts() {
        for dim in 1..=4u32 {
            for n in 3..=5u32 {
                let t = torus(dim, n).unwrap();
                assert_well_formed(&t);
                let nodes = n.pow(dim);
                assert_eq!(t.node_count(), nodes);
                assert_eq!(t.edges().len() as u32, dim * nodes, "dim {dim} n {n}");
                assert!(t.node_ids().all(|v| t.neighbors(v).len() as u32 == 2 * dim));
            }
            // n = 2: the wrap-around link is the forward link; no duplicates.
            let t = torus(dim, 2).unwrap();
            assert_well_formed(&t);
            assert_eq!(t.edges().len() as u32, dim * 2u32.pow(dim) / 2);
            assert!(t.node_ids().all(|v| t.neighbors(v).len() as u32 == dim));
        }
        // 2-D 3x3: node 1 = (0,0) links to (1,0)=2, (2,0)=3, (0,1)=4, (0,2)=7.
        assert_eq!(torus(2, 3).unwrap().neighbors(1), &[2, 3, 4, 7]);
        assert_eq!(torus(1, 5).unwrap(), ring(5).unwrap());
    }

    #[test]
    fn fat_tree_k4_counts_and_layout() {
        let t = fat_tree(4).unwrap();
        assert_well_formed(&t);
        assert_eq!(t.node_count(), 36); // 4 core + 8 agg + 8 edge + 16 hosts
        assert_eq!(t.edges().len(), 48); // 16 core-agg + 16 agg-edge + 16 edge-host
        let ids = FatTreeIds::new(4);
        assert_eq!(ids.switch_count(), 20);
        assert_eq!((ids.core(0, 0), ids.core(1, 1)), (1, 4));
        assert_eq!((ids.aggregation(0, 0), ids.aggregation(3, 1)), (5, 12));
        assert_eq!((ids.edge(0, 0), ids.edge(3, 1)), (13, 20));
        assert_eq!((ids.host(0, 0, 0), ids.host(3, 1, 1)), (21, 36));
        // Degrees: every switch has k ports; hosts have one.
        assert!((1..=20).all(|s| t.neighbors(s).len() == 4));
        assert!((21..=36).all(|h| t.neighbors(h).len() == 1));
        // Core group 0 reaches aggregation switch 0 of every pod.
        assert_eq!(t.neighbors(1), &[5, 7, 9, 11]);
        assert_eq!(t.neighbors(13), &[5, 6, 21, 22]);
        for k in [2u32, 6, 8] {
            let t = fat_tree(k).unwrap();
            assert_well_formed(&t);
            assert_eq!(t.node_count(), 5 * k * k / 4 + k * k * k / 4);
            assert_eq!(t.edges().len() as u32, 3 * k * k * k / 4);
        }
    }

    #[test]
    fn custom_validates_edges() {
        let t = custom(4, &[(1, 2), (2, 1), (3, 4)]).unwrap();
        assert_eq!(t.edges(), &[(1, 2), (3, 4)]);
        assert!(t.neighbors(3).contains(&4));
        let e = custom(5, &[(1, 2), (2, 9)]).unwrap_err();
        assert_eq!(
            e,
            TopologyError::EdgeUnknownNode {
                index: 1,
                edge: (2, 9),
                node: 9,
                n_nodes: 5
            }
        );
        assert_eq!(
            e.to_string(),
            "custom_config.edges[1] = (2, 9): node 9 is not in 1..=5"
        );
        assert_eq!(e.code(), ErrorCode::ConfigInvalid);
        assert!(matches!(
            custom(5, &[(0, 1)]),
            Err(TopologyError::EdgeUnknownNode { node: 0, .. })
        ));
        assert_eq!(
            custom(5, &[(3, 3)]).unwrap_err().to_string(),
            "custom_config.edges[0] = (3, 3) links a node to itself"
        );
        // Isolated nodes are allowed.
        assert_eq!(custom(3, &[]).unwrap().node_count(), 3);
    }

    #[test]
    fn spec_errors_name_key_and_expectation() {
        let err = |s: TopologySpec| s.build().unwrap_err().to_string();
        assert_eq!(
            err(TopologySpec::FatTree { k: 3 }),
            "fat_tree_config.k must be an even number >= 2, got 3"
        );
        assert_eq!(
            err(TopologySpec::FatTree { k: 0 }),
            "fat_tree_config.k must be an even number >= 2, got 0"
        );
        assert_eq!(
            err(TopologySpec::Torus { dim: 0, n: 3 }),
            "torus_config.dim must be >= 1, got 0"
        );
        assert_eq!(
            err(TopologySpec::Torus { dim: 2, n: 1 }),
            "torus_config.n must be >= 2, got 1"
        );
        assert_eq!(
            err(TopologySpec::FullMesh { n_nodes: 0 }),
            "full_mesh_config.n_nodes must be >= 1, got 0"
        );
        assert_eq!(
            err(TopologySpec::Custom {
                n_nodes: 0,
                edges: vec![]
            }),
            "custom_config.n_nodes must be >= 1, got 0"
        );
        assert_eq!(
            TopologySpec::Ring { n_nodes: 4 }.build().unwrap(),
            Topology::from_spec(&TopologySpec::Ring { n_nodes: 4 }).unwrap()
        );
    }

    #[test]
    fn absurd_sizes_are_refused_without_allocating() {
        let err = |s: TopologySpec| s.build().unwrap_err();
        let big = [
            TopologySpec::Ring {
                n_nodes: 1_000_000_000,
            },
            TopologySpec::FullMesh {
                n_nodes: 1_000_000_000,
            },
            TopologySpec::FullMesh { n_nodes: 2_000 }, // 2000 nodes but ~2M links
            TopologySpec::Torus {
                dim: 4_000_000_000,
                n: 2,
            },
            TopologySpec::Torus { dim: 3, n: 100 },
            TopologySpec::Torus { dim: 17, n: 2 }, // 131072 nodes
            TopologySpec::FatTree { k: 4_000_000_000 },
            TopologySpec::FatTree { k: 80 },
            TopologySpec::Custom {
                n_nodes: u32::MAX,
                edges: vec![],
            },
        ];
        for spec in big {
            let e = err(spec.clone());
            assert!(matches!(e, TopologyError::TooLarge { .. }), "{spec:?}: {e}");
            assert_eq!(e.code(), ErrorCode::ConfigInvalid);
        }
        assert_eq!(
            err(TopologySpec::FatTree { k: 80 }).to_string(),
            "fat_tree_config.k = 80 would create 136000 nodes; at most 100000 are allowed"
        );
        assert_eq!(
            err(TopologySpec::FullMesh { n_nodes: 2000 }).to_string(),
            "full_mesh_config.n_nodes = 2000 would create 1999000 links; at most 1000000 are allowed"
        );
        // Just below the limits still works.
        assert_eq!(full_mesh(1414).unwrap().edges().len(), 1414 * 1413 / 2);
        assert_eq!(ring(100_000).unwrap().node_count(), 100_000);
    }
}
