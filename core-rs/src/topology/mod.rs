//! Topologies, unicast routing and multicast trees.
//!
//! The controller builds a [`Topology`] from configuration, computes every node's
//! [`RouteTable`] and [`MulticastTable`] here, and ships the encoded tables to the nodes. Nodes
//! only decode tables and pick a next hop per flow; all route *logic* lives in this module so
//! the controller (TypeScript) and the nodes agree by construction.
//!
//! Files, by mechanism:
//! - [`graph`]: the [`Topology`] type (nodes `1..=n`, undirected links).
//! - [`generators`]: full mesh, ring, torus, fat tree, custom; the config-facing
//!   [`TopologySpec`].
//! - [`hash`]: a small fixed hash and rendezvous (HRW) selection, plain and weighted.
//! - [`unicast`]: ECMP shortest paths, explicit `[[routes]]`, [`compute_route_tables`].
//! - [`route_table`]: the per-node [`RouteTable`] and its codec.
//! - [`multicast`]: tree validation and per-node multicast entry derivation.
//! - [`mc_table`]: the per-node [`MulticastTable`] and its codec.
//! - [`pool`]: multicast group id / address allocation.
//! - [`codec`]: shared strict decoding helpers and [`CodecError`].

pub mod codec;
mod dag;
pub mod generators;
pub mod graph;
pub mod hash;
pub mod mc_table;
pub mod multicast;
pub mod pool;
pub mod route_table;
pub mod unicast;

pub use codec::{CodecError, EntryError};
pub use generators::{
    custom, fat_tree, full_mesh, ring, torus, FatTreeIds, TopologyError, TopologySpec,
};
pub use graph::Topology;
pub use hash::FlowKey;
pub use mc_table::{McEntry, MulticastTable};
pub use multicast::{
    changed_nodes, derive_group_entries, validate_tree, GroupError, McTree, NodeGroupEntries,
    TreeError,
};
pub use pool::{format_ip, user_space_addr, GroupAllocation, GroupPool, PoolError};
pub use route_table::{NoRouteError, RouteTable};
pub use unicast::{
    compute_route_tables, ecmp_next_hops, explicit_route_table_for, resolve_routes,
    route_table_for, ExplicitRoute, ResolvedRoute, RouteError,
};

/// Largest topology we build. Routing is all-pairs BFS (O(n·(n+m))) and every node gets a
/// table with up to n entries, so far beyond this the controller would stall anyway; the
/// limit turns a typo such as `k = 4000` into a clear error instead of an out-of-memory.
pub const MAX_NODES: u64 = 100_000;

/// Largest number of links. A full mesh grows quadratically, so a node limit alone would
/// still allow ~5·10⁹ links.
pub const MAX_LINKS: u64 = 1_000_000;
