//! Acceptance tests of the queue disciplines, in virtual time: flows saturate a rate-limited
//! link and the test checks what each discipline is for. Each test also runs the plain
//! configuration (FIFO, tail drop) on the same traffic and checks that it does NOT pass, so
//! the assertions can fail.

use super::*;

/// 1 MB/s link with a one-packet bucket (no burst to blur shares) and a 100-packet queue.
const RATE: u64 = 1_000_000;

fn link(scheduler: Scheduler, drop: DropPolicy) -> LinkParams {
    LinkParams {
        rate: Some(RATE),
        bucket_size: 1500,
        queue_limit_packets: Some(100),
        scheduler,
        drop,
        seed: 7,
        ..LinkParams::default()
    }
}

/// A sender of fixed-size packets at a fixed interval.
struct Source {
    src: u32,
    weight: u32,
    size: usize,
    interval_us: u64,
}

/// Runs `sources` into one link for `run_us` and returns the bytes each delivered after
/// `warmup_us`, plus RED's average queue sampled on every arrival after the warm-up.
fn run(
    params: LinkParams,
    sources: &[Source],
    warmup_us: u64,
    run_us: u64,
) -> (Vec<u64>, Vec<f64>) {
    let mut model: LinkModel<(usize, usize)> = LinkModel::new(params).unwrap();
    let mut next: Vec<u64> = sources
        .iter()
        .map(|s| s.interval_us / (s.src as u64 + 1))
        .collect();
    let mut bytes = vec![0u64; sources.len()];
    let mut avgs = vec![];
    loop {
        let (i, &t_arrival) = next.iter().enumerate().min_by_key(|(_, &t)| t).unwrap();
        // Deliveries due before the next arrival, at their own times.
        while let Some(t) = model.poll_timeout().filter(|&t| t <= t_arrival) {
            while let Some((k, size)) = model.poll(t) {
                if t >= warmup_us {
                    bytes[k] += size as u64;
                }
            }
            if model.poll_timeout() == Some(t) {
                break;
            }
        }
        if t_arrival >= run_us {
            break;
        }
        let s = &sources[i];
        let flow = FlowId {
            src: s.src,
            dst: 99,
        };
        let _ = model.enqueue_flow(t_arrival, (i, s.size), s.size, flow, s.weight);
        if t_arrival >= warmup_us {
            if let Some(a) = model.red_average() {
                avgs.push(a);
            }
        }
        next[i] += s.interval_us;
    }
    (bytes, avgs)
}

/// Each flow offers `offered` bytes/s with packets of its own size.
fn sources(weights_sizes: &[(u32, usize)], offered: u64) -> Vec<Source> {
    weights_sizes
        .iter()
        .enumerate()
        .map(|(i, &(weight, size))| Source {
            src: i as u32 + 1,
            weight,
            size,
            interval_us: size as u64 * 1_000_000 / offered,
        })
        .collect()
}

/// Largest relative error of the byte shares against the weight ratios.
fn share_error(bytes: &[u64], weights: &[u32]) -> f64 {
    let total: u64 = bytes.iter().sum();
    let wsum: u32 = weights.iter().sum();
    bytes
        .iter()
        .zip(weights)
        .map(|(&b, &w)| {
            let want = f64::from(w) / f64::from(wsum);
            (b as f64 / total as f64 - want).abs() / want
        })
        .fold(0.0, f64::max)
}

fn check_wrr_splits_by_weight(ws: &[(u32, usize)]) {
    let weights: Vec<u32> = ws.iter().map(|&(w, _)| w).collect();
    // Every flow alone would fill the link: each stays backlogged whatever its share.
    let srcs = sources(ws, RATE);
    let (bytes, _) = run(
        link(Scheduler::Wrr, DropPolicy::Tail),
        &srcs,
        2_000_000,
        20_000_000,
    );
    let total: u64 = bytes.iter().sum();
    // The link stays saturated (18 s at 1 MB/s).
    assert!(total > 17_500_000, "link not saturated: {total} bytes");
    let err = share_error(&bytes, &weights);
    assert!(
        err < 0.05,
        "WRR shares {bytes:?} off weights {weights:?} by {:.1}%",
        err * 100.0
    );
    // FIFO on the same traffic splits by offered load, not by weight.
    let (fifo, _) = run(
        link(Scheduler::Fifo, DropPolicy::Tail),
        &srcs,
        2_000_000,
        20_000_000,
    );
    let err = share_error(&fifo, &weights);
    assert!(
        err > 0.2,
        "FIFO shares {fifo:?} match weights {weights:?}: the test cannot fail"
    );
}

#[test]
fn wrr_splits_a_bottleneck_one_to_three_by_bytes() {
    // Different packet sizes: a packet-counting scheduler would skew the byte shares.
    check_wrr_splits_by_weight(&[(1, 1000), (3, 1000)]);
    check_wrr_splits_by_weight(&[(1, 400), (3, 1500)]);
}

#[test]
fn wrr_splits_a_bottleneck_one_to_two_to_five() {
    check_wrr_splits_by_weight(&[(1, 1200), (2, 1500), (5, 700)]);
}

#[test]
fn red_keeps_the_average_queue_between_its_thresholds() {
    let red = DropPolicy::Red(RedParams {
        min_th: 20,
        max_th: 60,
        max_p: 0.1,
    });
    // Two flows offering 1.15x the link rate together: sustained overload.
    let srcs = sources(&[(1, 1000), (1, 1000)], RATE * 115 / 200);
    let (bytes, avgs) = run(link(Scheduler::Fifo, red), &srcs, 5_000_000, 30_000_000);
    assert!(
        bytes.iter().sum::<u64>() > 24_000_000,
        "link not saturated: {bytes:?}"
    );
    let (lo, hi) = avgs
        .iter()
        .fold((f64::MAX, f64::MIN), |(l, h), &a| (l.min(a), h.max(a)));
    assert!(
        lo > 20.0 && hi < 60.0,
        "average queue left [20, 60]: {lo:.1}..{hi:.1}"
    );

    // With tail drop the same overload keeps the queue at its limit (100 > max_th).
    let mut tail: LinkModel<()> = LinkModel::new(link(Scheduler::Fifo, DropPolicy::Tail)).unwrap();
    let mut reds: LinkModel<()> = LinkModel::new(link(Scheduler::Fifo, red)).unwrap();
    let interval = 1000 * 1_000_000 / (RATE * 115 / 100);
    let mut depths = (vec![], vec![]);
    for i in 0..30_000u64 {
        let t = i * interval;
        let _ = tail.enqueue(t, (), 1000);
        let _ = reds.enqueue(t, (), 1000);
        while tail.poll(t).is_some() {}
        while reds.poll(t).is_some() {}
        if t > 10_000_000 {
            depths.0.push(tail.stats().queue_depth);
            depths.1.push(reds.stats().queue_depth);
        }
    }
    assert!(
        depths.0.iter().all(|&d| d >= 98),
        "tail drop queue below its limit"
    );
    assert!(
        depths.1.iter().all(|&d| d < 98),
        "RED let the queue reach its limit"
    );
    let s = reds.stats();
    assert!(s.drops_red > 0 && s.drops_queue == 0, "{s:?}");
    assert!(tail.stats().drops_queue > 0 && tail.stats().drops_red == 0);
}

#[test]
fn red_is_reproducible_from_the_seed() {
    let red = DropPolicy::Red(RedParams::with_defaults(None, None, None, Some(100)));
    let srcs = sources(&[(1, 1000)], RATE * 13 / 10);
    let a = run(link(Scheduler::Fifo, red), &srcs, 0, 5_000_000);
    let b = run(link(Scheduler::Fifo, red), &srcs, 0, 5_000_000);
    assert_eq!(a.0, b.0);
}

#[test]
fn switching_discipline_at_run_time_keeps_queued_packets() {
    let mut m: LinkModel<u32> = LinkModel::new(link(Scheduler::Fifo, DropPolicy::Tail)).unwrap();
    for i in 0..50 {
        assert_eq!(
            m.enqueue_flow(0, i, 1000, FlowId { src: i % 2, dst: 1 }, 1),
            Enqueue::Accepted
        );
    }
    let red = DropPolicy::Red(RedParams::with_defaults(None, None, None, Some(100)));
    m.set_params(0, link(Scheduler::Wrr, red)).unwrap();
    assert_eq!(m.stats().queue_depth, 49);
    assert_eq!(m.red_average(), Some(49.0));
    let mut n = 0;
    while m.poll_timeout().is_some() {
        let t = m.poll_timeout().unwrap();
        while m.poll(t).is_some() {
            n += 1;
        }
    }
    assert_eq!(n, 50);
}
