//! `WasmTopology`: topology generation and route computation for the controller.

use super::js_error;
use crate::error::{CoreError, ErrorCode};
use crate::topology::{
    explicit_route_table_for, resolve_routes, route_table_for, ExplicitRoute, ResolvedRoute,
    Topology, TopologySpec,
};
use std::fmt;
use wasm_bindgen::prelude::*;

/// Tags of the flat explicit-route encoding accepted by `computeRoutes`.
const ROUTE_PATH: u32 = 1;
const ROUTE_DAG: u32 = 2;

#[derive(Debug)]
struct BoundaryError(String);

impl fmt::Display for BoundaryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl CoreError for BoundaryError {
    fn code(&self) -> ErrorCode {
        ErrorCode::ConfigInvalid
    }
}

#[wasm_bindgen]
pub struct WasmTopology {
    topo: Topology,
    /// Explicit routes, validated; route tables are computed per node when asked for (all of
    /// them at once would hold N² entries).
    routes: Vec<ResolvedRoute>,
    /// Topology-derived (ECMP shortest path) routes under the explicit ones; off = explicit
    /// routes only (a controller config without `[routing]`).
    shortest_paths: bool,
}

impl WasmTopology {
    pub(crate) fn topology(&self) -> &Topology {
        &self.topo
    }
}

#[wasm_bindgen]
impl WasmTopology {
    /// Builds a topology. `kind` is one of full_mesh (a = n_nodes), ring (a = n_nodes),
    /// torus (a = dim, b = n), fat_tree (a = k), custom (a = n_nodes, `edges` as flat pairs).
    /// Route tables are computed per node, on demand (`routeTable`).
    pub fn build(kind: &str, a: u32, b: u32, edges: &[u32]) -> Result<WasmTopology, JsError> {
        let spec = match kind {
            "full_mesh" => TopologySpec::FullMesh { n_nodes: a },
            "ring" => TopologySpec::Ring { n_nodes: a },
            "torus" => TopologySpec::Torus { dim: a, n: b },
            "fat_tree" => TopologySpec::FatTree { k: a },
            "custom" => {
                if edges.len() % 2 != 0 {
                    return Err(js_error(BoundaryError(
                        "topology.edges must be pairs".into(),
                    )));
                }
                TopologySpec::Custom {
                    n_nodes: a,
                    edges: edges.chunks(2).map(|p| (p[0], p[1])).collect(),
                }
            }
            other => {
                return Err(js_error(BoundaryError(format!(
                    "unknown topology type {other:?}"
                ))));
            }
        };
        let topo = spec.build().map_err(js_error)?;
        Ok(WasmTopology {
            topo,
            routes: Vec::new(),
            shortest_paths: true,
        })
    }

    #[wasm_bindgen(js_name = nodeIds)]
    pub fn node_ids(&self) -> Vec<u32> {
        self.topo.node_ids().collect()
    }

    pub fn neighbors(&self, node: u32) -> Vec<u32> {
        if self.topo.contains(node) {
            self.topo.neighbors(node).to_vec()
        } else {
            Vec::new()
        }
    }

    /// Undirected edges as flat pairs.
    pub fn edges(&self) -> Vec<u32> {
        self.topo
            .edges()
            .iter()
            .flat_map(|&(a, b)| [a, b])
            .collect()
    }

    /// Recomputes every node's routes: shortest paths, overridden by explicit routes given as
    /// repeated `{ tag, count, values… }` with tag 1 = path (count node ids) or 2 = DAG
    /// (count edges, as pairs).
    #[wasm_bindgen(js_name = computeRoutes)]
    pub fn compute_routes(&mut self, explicit: &[u32]) -> Result<(), JsError> {
        let routes = decode_explicit(explicit).map_err(js_error)?;
        self.routes = resolve_routes(&self.topo, &routes).map_err(js_error)?;
        Ok(())
    }

    /// Whether route tables include shortest paths (the default) or only explicit routes.
    #[wasm_bindgen(js_name = setShortestPaths)]
    pub fn set_shortest_paths(&mut self, on: bool) {
        self.shortest_paths = on;
    }

    /// The encoded route table of `node` (empty when it has no routes).
    #[wasm_bindgen(js_name = routeTable)]
    pub fn route_table(&self, node: u32) -> Vec<u8> {
        if self.shortest_paths {
            route_table_for(&self.topo, &self.routes, node).encode()
        } else {
            explicit_route_table_for(&self.routes, node).encode()
        }
    }
}

fn decode_explicit(flat: &[u32]) -> Result<Vec<ExplicitRoute>, BoundaryError> {
    let mut out = Vec::new();
    let mut i = 0;
    let bad = || BoundaryError("malformed explicit route list".into());
    while i < flat.len() {
        let tag = flat[i];
        let count = *flat.get(i + 1).ok_or_else(bad)? as usize;
        i += 2;
        match tag {
            ROUTE_PATH => {
                let path = flat.get(i..i + count).ok_or_else(bad)?;
                out.push(ExplicitRoute::Path(path.to_vec()));
                i += count;
            }
            ROUTE_DAG => {
                let pairs = flat.get(i..i + 2 * count).ok_or_else(bad)?;
                out.push(ExplicitRoute::Dag(
                    pairs.chunks(2).map(|p| (p[0], p[1])).collect(),
                ));
                i += 2 * count;
            }
            _ => return Err(bad()),
        }
    }
    Ok(out)
}
