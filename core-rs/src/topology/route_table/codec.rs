//! Encoding of a [`RouteTable`] (after the 2-byte preamble of [`crate::topology::codec`],
//! kind 1):
//!
//! ```text
//! u32 exact_count
//! exact_count × { u32 src (>= 1), u32 dst, u32 hop_count (>= 1), hop_count × u32 hop }
//! -- present only when the table has wildcard routes:
//! u32 set_count (>= 1)
//! set_count × { u32 hop_count (>= 1), hop_count × u32 hop }
//! u32 run_count (>= 1)
//! run_count × { u32 first_dst, u32 set (0 = no route, else 1-based into the lists) }
//! ```
//!
//! Canonical: exact keys strictly ascending, hops strictly ascending, runs strictly ascending
//! by first destination (the first >= 1) with different sets in neighbouring runs and the
//! first not 0, lists numbered in order of first use and every list used. A table of explicit
//! routes only (or none) is the same bytes as before the wildcard runs existed.

use super::{RouteTable, NONE};
use crate::topology::codec::{self, CodecError, Reader, KIND_ROUTE};
use std::collections::BTreeMap;

/// Smallest encoded explicit entry: src, dst, hop count and one hop.
const MIN_ENTRY_LEN: usize = 16;
/// Smallest encoded hop list: a count and one hop.
const MIN_SET_LEN: usize = 8;
const RUN_LEN: usize = 8;

impl RouteTable {
    pub fn encode(&self) -> Vec<u8> {
        let (sets, runs) = self.canonical();
        let exact: usize = self.exact.values().map(|h| 12 + 4 * h.len()).sum();
        let lists: usize = sets.iter().map(|h| 4 + 4 * h.len()).sum();
        let mut out = Vec::with_capacity(6 + exact + 8 + lists + RUN_LEN * runs.len());
        out.push(codec::TABLE_VERSION);
        out.push(KIND_ROUTE);
        codec::put_u32(&mut out, self.exact.len() as u32);
        for (&(src, dst), hops) in &self.exact {
            codec::put_u32(&mut out, src);
            codec::put_u32(&mut out, dst);
            codec::put_hops(&mut out, hops);
        }
        if !runs.is_empty() {
            codec::put_u32(&mut out, sets.len() as u32);
            for hops in &sets {
                codec::put_hops(&mut out, hops);
            }
            codec::put_u32(&mut out, runs.len() as u32);
            for &(first, set) in &runs {
                codec::put_u32(&mut out, first);
                codec::put_u32(&mut out, set);
            }
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
        let mut r = Reader::new(bytes, KIND_ROUTE)?;
        let n = r.count("route entry", MIN_ENTRY_LEN)?;
        let mut exact = BTreeMap::new();
        let mut prev: Option<(u32, u32)> = None;
        for _ in 0..n {
            let at = r.offset();
            let key = (r.node("source")?, r.node("destination")?);
            if prev.is_some_and(|p| p >= key) {
                return Err(CodecError::NotCanonical {
                    what: "route entry",
                    offset: at,
                });
            }
            prev = Some(key);
            exact.insert(key, r.hops(false)?);
        }
        let (sets, runs) = if r.at_end() {
            (Vec::new(), Vec::new())
        } else {
            decode_runs(&mut r)?
        };
        r.finish()?;
        Ok(RouteTable { sets, runs, exact })
    }
}

type Runs = (Vec<Vec<u32>>, Vec<(u32, u32)>);

fn decode_runs(r: &mut Reader<'_>) -> Result<Runs, CodecError> {
    let at = r.offset();
    let set_count = r.count("route list", MIN_SET_LEN)?;
    if set_count == 0 {
        return Err(CodecError::BadValue {
            what: "route list count",
            value: 0,
            offset: at,
        });
    }
    let mut sets = Vec::with_capacity(set_count);
    for _ in 0..set_count {
        sets.push(r.hops(false)?);
    }
    let at = r.offset();
    let run_count = r.count("route run", RUN_LEN)?;
    if run_count == 0 {
        return Err(CodecError::BadValue {
            what: "route run count",
            value: 0,
            offset: at,
        });
    }
    let mut runs: Vec<(u32, u32)> = Vec::with_capacity(run_count);
    // Lists are numbered by first use: a run may name a used list or the next new one.
    let mut used = 0u32;
    for _ in 0..run_count {
        let at = r.offset();
        let first = r.node("run destination")?;
        let set_at = r.offset();
        let set = r.u32()?;
        let prev = runs.last().copied();
        if prev.is_some_and(|p| p.0 >= first) {
            return Err(CodecError::NotCanonical {
                what: "route run",
                offset: at,
            });
        }
        let repeats = prev.map_or(set == NONE, |p| p.1 == set);
        if repeats || set > used + 1 {
            return Err(CodecError::BadValue {
                what: "route run list",
                value: set,
                offset: set_at,
            });
        }
        used = used.max(set);
        runs.push((first, set));
    }
    if used as usize != set_count {
        return Err(CodecError::BadValue {
            what: "route list count",
            value: set_count as u32,
            offset: at,
        });
    }
    Ok((sets, runs))
}
