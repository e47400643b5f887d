//! Deterministic virtual-time tests of the stream module (see `sim`).

use super::sim::{bytes, Sim};
use super::*;
use crate::link::LinkParams;

const A: u32 = 1;
const B: u32 = 2;
const PORT: u16 = 80;
const SEC: u64 = 1_000_000;
const MS: u64 = 1_000;

fn pair(seed: u64, link: LinkParams, dup: f64, cfg: StreamConfig) -> Sim {
    let mut sim = Sim::new(seed, link, dup);
    sim.add_node(A, cfg.clone());
    sim.add_node(B, cfg);
    sim.ep(B).listen(PORT).unwrap();
    sim
}

fn hash(b: &[u8]) -> u32 {
    crc32fast::hash(b)
}

/// Sends `n` bytes from A to B and back from B to A at once, both closing when done; checks
/// each side got exactly the other's bytes, once and in order, and both closed cleanly.
/// Returns the virtual time the transfer took.
fn transfer(sim: &mut Sim, n: usize, limit: u64) -> u64 {
    let c = sim.ep(A).connect(0, B, PORT, None).unwrap();
    let up = bytes(1, n);
    let down = bytes(2, n / 3);
    sim.write_all(A, c, up.clone(), true);
    let ok = sim.run_until(limit, |s| !s.accepted(B).is_empty());
    assert!(ok, "no connection accepted by {limit} µs");
    let s = sim.accepted(B)[0];
    sim.write_all(B, s, down.clone(), true);
    let done = sim.run_until(limit, |s| {
        let eof = |k| s.received.get(&k).is_some_and(|r: &sim::Received| r.eof);
        eof((B, s_conn(s))) && eof((A, c))
    });
    let got_up = &sim
        .received
        .get(&(B, s))
        .map(|r| r.bytes.clone())
        .unwrap_or_default();
    let got_down = &sim
        .received
        .get(&(A, c))
        .map(|r| r.bytes.clone())
        .unwrap_or_default();
    assert!(
        done,
        "transfer unfinished at {} µs: B got {} of {n} bytes, A got {} of {}",
        sim.now,
        got_up.len(),
        got_down.len(),
        down.len()
    );
    assert_eq!(got_up.len(), up.len());
    assert_eq!(hash(got_up), hash(&up), "bytes A→B differ");
    assert_eq!(hash(got_down), hash(&down), "bytes B→A differ");
    // Both sides see a clean close, and nothing else went wrong.
    let end = sim.now;
    eprintln!(
        "n={n} t={}ms dropped={} dup={} frames={} statsA={:?}",
        end / 1000,
        sim.dropped,
        sim.duplicated,
        sim.frames,
        sim.nodes[&A].stats(c)
    );
    sim.run_until(end + 10 * SEC, |s| {
        s.nodes.values().all(|e| e.connections() == 0)
    });
    for node in [A, B] {
        let ev = sim.events_of(node);
        assert!(
            ev.iter().any(|e| matches!(e, Event::Closed(_))),
            "node {node} saw no Closed: {ev:?}"
        );
        assert!(
            !ev.iter().any(|e| matches!(e, Event::Error { .. })),
            "node {node}: {ev:?}"
        );
        assert_eq!(
            sim.ep(node).connections(),
            0,
            "node {node} still holds a connection"
        );
    }
    end
}

fn s_conn(s: &Sim) -> ConnId {
    s.accepted(B)[0]
}

fn lossy(loss: f64, delay_ms: u64) -> LinkParams {
    LinkParams {
        loss,
        delay_us: delay_ms * MS,
        ..LinkParams::default()
    }
}

#[test]
fn clean_link_transfers_both_ways() {
    let mut sim = pair(1, lossy(0.0, 5), 0.0, StreamConfig::default());
    transfer(&mut sim, 300_000, 60 * SEC);
    let c = ConnId(1);
    let _ = c;
}

#[test]
fn every_loss_rate_delivers_exactly_once_in_order() {
    for (loss, n) in [
        (0.0, 200_000),
        (0.01, 200_000),
        (0.05, 200_000),
        (0.20, 60_000),
    ] {
        let mut sim = pair(7, lossy(loss, 10), 0.0, StreamConfig::default());
        transfer(&mut sim, n, 600 * SEC);
        if loss > 0.0 {
            let st = sim.dropped;
            assert!(st > 0, "loss {loss}: the link dropped nothing");
        }
    }
}

#[test]
fn reordering_and_duplication() {
    let link = LinkParams {
        delay_us: 10 * MS,
        jitter_us: 8 * MS,
        reorder: true,
        loss: 0.02,
        ..LinkParams::default()
    };
    let mut sim = pair(3, link, 0.05, StreamConfig::default());
    transfer(&mut sim, 200_000, 600 * SEC);
    assert!(sim.duplicated > 0);
}

#[test]
fn delays_from_0_to_300_ms() {
    for delay in [0, 1, 50, 300] {
        let mut sim = pair(11, lossy(0.01, delay), 0.0, StreamConfig::default());
        transfer(&mut sim, 100_000, 600 * SEC);
    }
}
