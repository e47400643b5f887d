//! The per-node unicast [`RouteTable`] and its binary codec ([`codec`]).
//!
//! A node needs a next hop for every destination, but a table of N entries per node is N²
//! in a process that hosts a whole network (10,000 nodes: ~10⁸ entries). Destinations with the
//! same next hops come in long id ranges (every host behind the same edge switch, every node
//! of a torus row on the same side), so the wildcard (any-source) routes are held as runs over
//! destination ids, each pointing at one of a few distinct next-hop lists: a fat-tree host
//! holds 3 runs, a 100×100 torus node a few hundred. Explicit `(src, dst)` routes, which are
//! few, stay a map and win over the runs at lookup.

mod codec;
#[cfg(test)]
mod tests;

use super::codec::EntryError;
use super::hash::{self, FlowKey};
use crate::error::{CoreError, ErrorCode};
use std::collections::BTreeMap;
use std::fmt;

/// The set id of a run whose destinations have no route.
const NONE: u32 = 0;

/// Next hops of one node, keyed by `(source or any, destination)`.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    /// Distinct next-hop lists of the wildcard routes, each ascending and non-empty; a run's
    /// set `s >= 1` is `sets[s - 1]`. A list no run uses any more lingers until encoded.
    sets: Vec<Vec<u32>>,
    /// Wildcard routes as runs over destination ids: `(first, set)` covers the destinations
    /// from `first` up to the next run's `first` (the last run: up to `u32::MAX`). Starts
    /// strictly ascending, neighbouring runs have different sets, the first run's set is not
    /// [`NONE`]; destinations before the first run have no route.
    runs: Vec<(u32, u32)>,
    /// Explicit `(src, dst)` routes, hops ascending.
    exact: BTreeMap<(u32, u32), Vec<u32>>,
}

/// No entry matches the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoRouteError {
    pub src: u32,
    pub dst: u32,
}

impl fmt::Display for NoRouteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no route from node {} to node {}", self.src, self.dst)
    }
}

impl std::error::Error for NoRouteError {}

impl CoreError for NoRouteError {
    fn code(&self) -> ErrorCode {
        ErrorCode::NoRoute
    }
}

/// Two tables are equal when they route every flow alike, however their lists are numbered.
impl PartialEq for RouteTable {
    fn eq(&self, other: &Self) -> bool {
        self.exact == other.exact && self.canonical() == other.canonical()
    }
}

impl Eq for RouteTable {}

impl RouteTable {
    pub fn new() -> Self {
        RouteTable::default()
    }

    /// Builds a table from wildcard runs given in ascending destination order (`set` indexes
    /// `sets` from 1, 0 = no route), as [`super::unicast::route_table_for`] produces them.
    /// Neighbouring equal runs and a leading no-route run are merged away here.
    pub(crate) fn from_runs(
        sets: Vec<Vec<u32>>,
        runs: impl IntoIterator<Item = (u32, u32)>,
    ) -> Self {
        let mut out: Vec<(u32, u32)> = Vec::new();
        for (first, set) in runs {
            debug_assert!(out.last().is_none_or(|l| l.0 < first));
            debug_assert!(set as usize <= sets.len());
            let same = out.last().map_or(set == NONE, |l| l.1 == set);
            if !same {
                out.push((first, set));
            }
        }
        out.shrink_to_fit();
        RouteTable {
            sets,
            runs: out,
            exact: BTreeMap::new(),
        }
    }

    /// Sets the next hops for `(src, dst)`; `src = None` is the wildcard entry. Hops are
    /// sorted and deduplicated; an empty list removes the entry. Ids must be >= 1 (0 is the
    /// encoded wildcard).
    pub fn set(
        &mut self,
        src: Option<u32>,
        dst: u32,
        next_hops: impl IntoIterator<Item = u32>,
    ) -> Result<(), EntryError> {
        if src == Some(0) {
            return Err(EntryError { field: "source" });
        }
        if dst == 0 {
            return Err(EntryError {
                field: "destination",
            });
        }
        let mut hops: Vec<u32> = next_hops.into_iter().collect();
        if hops.contains(&0) {
            return Err(EntryError { field: "next hop" });
        }
        hops.sort_unstable();
        hops.dedup();
        match src {
            Some(s) if hops.is_empty() => {
                self.exact.remove(&(s, dst));
            }
            Some(s) => {
                self.exact.insert((s, dst), hops);
            }
            None => {
                let set = if hops.is_empty() {
                    NONE
                } else {
                    self.intern(hops)
                };
                self.assign(dst, set);
            }
        }
        Ok(())
    }

    /// The 1-based id of this hop list, adding it if new. Linear: tables hold few lists
    /// (bounded by the node's degree in practice; `from_runs` is the bulk path).
    fn intern(&mut self, hops: Vec<u32>) -> u32 {
        match self.sets.iter().position(|s| *s == hops) {
            Some(i) => i as u32 + 1,
            None => {
                self.sets.push(hops);
                self.sets.len() as u32
            }
        }
    }

    /// Points the one destination `dst` at `set`, splitting the run that held it.
    fn assign(&mut self, dst: u32, set: u32) {
        let i = self.runs.partition_point(|r| r.0 <= dst);
        let cur = if i == 0 { NONE } else { self.runs[i - 1].1 };
        if cur == set {
            return;
        }
        let mut fresh = vec![(dst, set)];
        // The destination after `dst` keeps what it had, unless a run starts there anyway.
        if let Some(after) = dst.checked_add(1) {
            if self.runs.get(i).is_none_or(|r| r.0 != after) {
                fresh.push((after, cur));
            }
        }
        let from = if i > 0 && self.runs[i - 1].0 == dst {
            i - 1
        } else {
            i
        };
        let added = fresh.len();
        self.runs.splice(from..i, fresh);
        // Merge equal neighbours around the change (right to left, so indices stay valid).
        let last = (from + added).min(self.runs.len() - 1);
        for k in (from.max(1)..=last).rev() {
            if self.runs[k].1 == self.runs[k - 1].1 {
                self.runs.remove(k);
            }
        }
        if self.runs.first().is_some_and(|r| r.1 == NONE) {
            self.runs.remove(0);
        }
    }

    /// Next hops of the wildcard route to `dst`.
    fn wildcard(&self, dst: u32) -> Option<&[u32]> {
        let i = self.runs.partition_point(|r| r.0 <= dst);
        match i.checked_sub(1).map(|j| self.runs[j].1) {
            None | Some(NONE) => None,
            Some(s) => self.sets.get(s as usize - 1).map(Vec::as_slice),
        }
    }

    /// Candidate next hops for a packet from `src` to `dst`: the exact `(src, dst)` entry if
    /// any (explicit routes), else the `(any, dst)` entry.
    pub fn next_hops(&self, src: u32, dst: u32) -> Option<&[u32]> {
        if !self.exact.is_empty() {
            if let Some(h) = self.exact.get(&(src, dst)) {
                return Some(h);
            }
        }
        self.wildcard(dst)
    }

    /// Whether any route leads to `dst` (from any source).
    pub fn reaches(&self, dst: u32) -> bool {
        self.wildcard(dst).is_some() || self.exact.keys().any(|&(_, d)| d == dst)
    }

    /// The one next hop for this flow: rendezvous hashing over the candidates, so the flow
    /// keeps its path and losing a hop only re-routes the flows that used it.
    pub fn select(&self, flow: &FlowKey) -> Option<u32> {
        hash::pick(flow.hash(), self.next_hops(flow.src, flow.dst)?)
    }

    /// Like [`RouteTable::select`], with a typed error for the boundary.
    pub fn next_hop(&self, flow: &FlowKey) -> Result<u32, NoRouteError> {
        self.select(flow).ok_or(NoRouteError {
            src: flow.src,
            dst: flow.dst,
        })
    }

    /// Every node id the table names apart from wildcard destinations: explicit sources,
    /// destinations and hops, and the wildcard routes' hops (use [`Self::reaches`] for those
    /// destinations).
    pub fn named_nodes(&self) -> impl Iterator<Item = u32> + '_ {
        let exact = self
            .exact
            .iter()
            .flat_map(|(&(s, d), h)| [s, d].into_iter().chain(h.iter().copied()));
        exact.chain(self.sets.iter().flatten().copied())
    }

    /// Explicit entries, in key order: `(src, dst, next hops)`.
    pub fn exact_entries(&self) -> impl Iterator<Item = (u32, u32, &[u32])> {
        self.exact.iter().map(|(&(s, d), h)| (s, d, h.as_slice()))
    }

    /// The wildcard routes as runs: `(first destination, next hops or None)`, each covering
    /// the ids up to the next run's first (the last: up to `u32::MAX`).
    pub fn runs(&self) -> impl Iterator<Item = (u32, Option<&[u32]>)> {
        self.runs.iter().map(|&(first, s)| {
            let hops = (s != NONE).then(|| self.sets[s as usize - 1].as_slice());
            (first, hops)
        })
    }

    /// Number of runs the wildcard routes take (what a node's table costs).
    pub fn run_count(&self) -> usize {
        self.runs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.runs.is_empty() && self.exact.is_empty()
    }

    /// The wildcard part with its lists renumbered by first use and unused ones dropped: what
    /// the codec writes, and what equality compares.
    fn canonical(&self) -> (Vec<&[u32]>, Vec<(u32, u32)>) {
        let mut ids = vec![NONE; self.sets.len()];
        let mut sets = Vec::new();
        let runs = self
            .runs
            .iter()
            .map(|&(first, s)| {
                if s == NONE {
                    return (first, NONE);
                }
                let slot = &mut ids[s as usize - 1];
                if *slot == NONE {
                    sets.push(self.sets[s as usize - 1].as_slice());
                    *slot = sets.len() as u32;
                }
                (first, *slot)
            })
            .collect();
        (sets, runs)
    }
}
