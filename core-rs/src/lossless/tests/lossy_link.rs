//! One lossy link in a multicast tree: a 4 MiB buffer to 4 receivers, every receiver behind
//! a 2 MB/s link, one receiver's path losing 10% (both directions). The first pass takes
//! about 2.2 s; what follows must be repair, not waiting. (The playground's fat tree showed
//! the first pass, then about 6 s idle before the first repair round.)

use super::*;

const RATE: u64 = 2_000_000;
const SIZE: usize = 4 << 20;
const LOSSY: u32 = 12;
/// A router port's queue: 1000 datagrams (the Loss and Off modes overrun it in the first pass).
const QUEUE_ROUTER: u64 = 1000 * MTU as u64;
/// The emulated links' own queue, bounded only by the host: the whole first pass fits.
const QUEUE_HOST: u64 = 64 << 20;

pub(super) struct LossyRun {
    /// Virtual seconds to completion.
    pub took: f64,
    /// Seconds from the end of the first pass (its last frame through the receivers' links,
    /// queues drained) to the first repair frame sent.
    pub idle: f64,
    /// The ideal: the lossy receiver's link carries the buffer and its 10% extra.
    pub ideal: f64,
}

pub(super) fn lossy_link_run(seed: u64, mode: Congestion, queue_bytes: u64) -> LossyRun {
    let net = NetConfig {
        bandwidth: Some(RATE),
        queue_bytes,
        latency_us: 1_000,
        node_loss: Some((LOSSY, 100_000)),
        ..NetConfig::default()
    };
    let mut sc = Scenario::with_congestion(seed, 4, SIZE, config(true), net, &[], mode);
    let id = sc.sender;
    let (mut pass_end, mut first_repair) = (None, None);
    let done = sc.sim.run_until(LIMIT, |s| {
        let p = s.ep(SENDER).progress(id).unwrap();
        if pass_end.is_none() && p.bytes_sent == p.bytes_total {
            let drained = (10..14).map(|n| s.link_free_at(n)).max().unwrap();
            pass_end = Some(drained.max(s.now));
        }
        if first_repair.is_none() && p.retransmitted + p.repair_symbols > 0 {
            first_repair = Some(s.now);
        }
        s.ep(SENDER).outcome(id).is_some()
    });
    assert!(done, "sender did not finish");
    assert_eq!(sc.sender_outcome(), Some(Outcome::Completed));
    sc.assert_receivers_got_data();
    // Each datagram carries a 40-byte header and a ~30-byte lossless header on ~1330 bytes.
    let per_frame = MTU as f64 / (MTU - 40 - 30) as f64;
    let ideal = SIZE as f64 * per_frame / RATE as f64 / 0.9;
    let run = LossyRun {
        took: sc.sim.now as f64 / 1e6,
        idle: first_repair
            .expect("repairs were needed")
            .saturating_sub(pass_end.expect("pass ended")) as f64
            / 1e6,
        ideal,
    };
    println!(
        "lossy link, {mode:?}, queue {queue_bytes}, seed {seed}: {:.3} s = {:.2}x ideal ({:.3} s), idle after the first pass {:.3} s, {:?}",
        run.took,
        run.took / run.ideal,
        run.ideal,
        run.idle,
        sc.progress()
    );
    run
}

#[test]
fn one_lossy_link_repairs_without_a_long_idle_gap() {
    let mut failed = Vec::new();
    for mode in [Congestion::Rate, Congestion::Loss, Congestion::Off] {
        for (seed, queue) in [(1, QUEUE_ROUTER), (2, QUEUE_ROUTER), (3, QUEUE_HOST)] {
            let r = lossy_link_run(seed, mode, queue);
            // A round trip on an idle path is a few ms: the answer to the status request
            // that follows the pass comes right after the pass has drained.
            if r.idle > 0.2 || r.took > 1.6 * r.ideal {
                failed.push(format!(
                    "{mode:?} seed {seed} queue {queue}: idle {:.3} s after the first pass, took {:.3} s = {:.2}x the ideal {:.3} s",
                    r.idle, r.took, r.took / r.ideal, r.ideal
                ));
            }
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
}
