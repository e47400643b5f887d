//! `WasmGroups`: the controller's multicast group state (see `crate::groups`).

use super::controller::WasmTopology;
use super::js_error;
use crate::groups::{Group, GroupState};
use crate::topology::{GroupPool, McTree};
use std::collections::BTreeSet;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub struct WasmGroups {
    state: GroupState,
}

fn ip(v: u32) -> [u8; 4] {
    v.to_be_bytes()
}

fn nodes(set: BTreeSet<u32>) -> Vec<u32> {
    set.into_iter().collect()
}

#[wasm_bindgen]
impl WasmGroups {
    /// Group state over `topo`'s topology, with group addresses from `pool_base`/`pool_mask`.
    #[wasm_bindgen(constructor)]
    pub fn new(topo: &WasmTopology, pool_base: u32, pool_mask: u32) -> Result<WasmGroups, JsError> {
        let pool = GroupPool::new(ip(pool_base), ip(pool_mask)).map_err(js_error)?;
        Ok(WasmGroups {
            state: GroupState::new(topo.topology().clone(), pool),
        })
    }

    /// Creates a group with `source` as its source: `[group_id, group_ip]`.
    pub fn create(&mut self, source: u32) -> Result<Vec<u32>, JsError> {
        let g = self.state.create(source).map_err(js_error)?;
        Ok(vec![g.id, u32::from_be_bytes(g.addr)])
    }

    /// Replaces the group's trees, given as repeated `{ tree_id, weight, edge_count,
    /// edge_count × (parent, child) }`. Returns the nodes whose tables changed.
    #[wasm_bindgen(js_name = setRoutes)]
    pub fn set_routes(
        &mut self,
        caller: u32,
        group: u32,
        trees: &[u32],
    ) -> Result<Vec<u32>, JsError> {
        let parsed = parse_trees(trees).ok_or_else(malformed_trees)?;
        self.state
            .set_routes(caller, group, parsed)
            .map(nodes)
            .map_err(js_error)
    }

    pub fn join(&mut self, group: u32, node: u32) -> Result<Vec<u32>, JsError> {
        self.state.join(group, node).map(nodes).map_err(js_error)
    }

    pub fn leave(&mut self, group: u32, node: u32) -> Result<Vec<u32>, JsError> {
        self.state.leave(group, node).map(nodes).map_err(js_error)
    }

    /// Deletes the group (only its source may) and frees its id. Returns the nodes whose
    /// tables changed.
    pub fn delete(&mut self, caller: u32, group: u32) -> Result<Vec<u32>, JsError> {
        self.state
            .delete(caller, group)
            .map(nodes)
            .map_err(js_error)
    }

    /// Reinstates a stored group (after a controller restart) with its own id and address;
    /// `trees` is encoded as for `setRoutes`, and may be empty for a group without routes.
    /// Returns the nodes whose tables changed.
    pub fn restore(
        &mut self,
        group_id: u32,
        group_ip: u32,
        source: u32,
        members: &[u32],
        trees: &[u32],
    ) -> Result<Vec<u32>, JsError> {
        let trees = parse_trees(trees).ok_or_else(malformed_trees)?;
        self.state
            .restore(Group {
                id: group_id,
                addr: ip(group_ip),
                source,
                trees,
                members: members.iter().copied().collect(),
            })
            .map(nodes)
            .map_err(js_error)
    }

    /// Group ids (and addresses) still available in the pool.
    pub fn remaining(&self) -> u32 {
        self.state.remaining()
    }

    /// The encoded multicast table of `node`.
    #[wasm_bindgen(js_name = tableFor)]
    pub fn table_for(&self, node: u32) -> Vec<u8> {
        self.state.table_for(node).encode()
    }

    /// Every group as `[group_id, group_ip, source]` triples.
    pub fn directory(&self) -> Vec<u32> {
        self.state
            .groups()
            .flat_map(|g| [g.id, u32::from_be_bytes(g.addr), g.source])
            .collect()
    }
}

fn malformed_trees() -> JsError {
    JsError::new("INVALID_ROUTES|malformed tree list")
}

fn parse_trees(flat: &[u32]) -> Option<Vec<McTree>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < flat.len() {
        let tree_id = u16::try_from(*flat.get(i)?).ok()?;
        let weight = *flat.get(i + 1)?;
        let count = *flat.get(i + 2)? as usize;
        let pairs = flat.get(i + 3..i + 3 + 2 * count)?;
        out.push(McTree {
            tree_id,
            edges: pairs.chunks(2).map(|p| (p[0], p[1])).collect(),
            weight,
        });
        i += 3 + 2 * count;
    }
    Some(out)
}
