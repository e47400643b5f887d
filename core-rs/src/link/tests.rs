//! Acceptance tests for the link model, in virtual time: the harness drives the model the
//! way a host does (poll until `None`, then sleep until `poll_timeout`), but jumps straight
//! to each timeout instead of sleeping.

use super::*;
use proptest::prelude::*;

/// A host event loop in virtual time. Records the exact time each packet was delivered.
struct Host<T> {
    link: LinkModel<T>,
    now: u64,
    delivered: Vec<(u64, T)>,
}

impl<T> Host<T> {
    fn new(params: LinkParams) -> Self {
        Host {
            link: LinkModel::new(params).expect("valid params"),
            now: 0,
            delivered: vec![],
        }
    }

    fn poll_all(&mut self) {
        while let Some(p) = self.link.poll(self.now) {
            self.delivered.push((self.now, p));
        }
    }

    /// Handles every event up to and including `until`, then sets the clock to `until`.
    fn run_until(&mut self, until: u64) {
        loop {
            self.poll_all();
            match self.link.poll_timeout() {
                Some(t) if t <= until => {
                    // After draining, the next event must lie ahead, or a host would spin.
                    assert!(t > self.now, "poll_timeout {t} not after now {}", self.now);
                    self.now = t;
                }
                _ => break,
            }
        }
        self.now = self.now.max(until);
        self.poll_all();
    }

    /// Runs until the link is empty.
    fn drain(&mut self) {
        self.run_until(u64::MAX);
        assert_eq!(self.link.poll_timeout(), None);
    }

    fn enqueue(&mut self, at: u64, pkt: T, size: usize) -> Enqueue {
        self.run_until(at);
        self.link.enqueue(at, pkt, size)
    }
}

fn shaped(rate: u64, bucket: u64) -> LinkParams {
    LinkParams {
        rate: Some(rate),
        bucket_size: bucket,
        ..LinkParams::default()
    }
}

fn times<T>(d: &[(u64, T)]) -> Vec<u64> {
    d.iter().map(|(t, _)| *t).collect()
}

fn payloads<T: Copy>(d: &[(u64, T)]) -> Vec<T> {
    d.iter().map(|(_, p)| *p).collect()
}

#[test]
fn ten_megabytes_at_one_megabyte_per_second_takes_ten_seconds() {
    let mut host = Host::new(shaped(1_000_000, 100_000));
    for i in 0..10_000u32 {
        assert_eq!(host.link.enqueue(0, i, 1000), Enqueue::Accepted);
    }
    assert_eq!(
        host.link.stats().queue_depth,
        10_000 - 100,
        "a full bucket's worth leaves at once"
    );

    host.run_until(5_000_000);
    let mid = host.link.stats();
    assert!(
        (950_000..=1_050_000).contains(&mid.measured_rate_bps),
        "measured rate {} mid-transfer",
        mid.measured_rate_bps
    );

    host.drain();
    let d = &host.delivered;
    assert_eq!(d.len(), 10_000);
    assert_eq!(payloads(d), (0..10_000).collect::<Vec<_>>(), "FIFO");
    let last = d.last().unwrap().0;
    assert!(
        (9_900_000..=10_100_000).contains(&last),
        "last delivery at {last} us"
    );
    // Exactly: 100 packets ride the initial full bucket, the other 9 900 KB take 9.9 s.
    assert_eq!(last, 9_900_000);
    let s = host.link.stats();
    assert_eq!((s.packets_sent, s.bytes_sent), (10_000, 10_000_000));
    assert_eq!(
        (s.queue_depth, s.in_flight, s.drops_loss, s.drops_queue),
        (0, 0, 0, 0)
    );
}

#[test]
fn default_params_pass_through_with_zero_delay() {
    let mut link = LinkModel::new(LinkParams::default()).unwrap();
    assert_eq!(link.enqueue(1234, "a", 100), Enqueue::Accepted);
    assert_eq!(link.enqueue(1234, "b", 100_000), Enqueue::Accepted);
    assert_eq!(link.poll(1234), Some("a"));
    assert_eq!(link.poll(1234), Some("b"));
    assert_eq!(link.poll(1234), None);
    assert_eq!(link.poll_timeout(), None);
}

#[test]
fn delay_40ms_shifts_delivery_by_exactly_40000_us() {
    let ms = LinkParamsMs {
        delay_ms: 40.0,
        ..LinkParamsMs::default()
    };
    let params = LinkParams::from_ms(&ms).unwrap();
    let mut link = LinkModel::new(params).unwrap();
    let _ = link.enqueue(1_234, 1, 10);
    assert_eq!(link.poll(41_233), None);
    assert_eq!(link.poll_timeout(), Some(41_234));
    assert_eq!(link.poll(41_234), Some(1));

    // Same shaped stream with and without the delay: every delivery moves by exactly 40 ms.
    let run = |delay_us: u64| {
        let mut host = Host::new(LinkParams {
            delay_us,
            ..shaped(100_000, 3_000)
        });
        for i in 0..50u32 {
            let _ = host.enqueue(u64::from(i) * 3_000, i, 1_500);
        }
        host.drain();
        host.delivered
    };
    let plain = run(0);
    let delayed = run(40_000);
    assert_eq!(payloads(&plain), payloads(&delayed));
    for (a, b) in times(&plain).iter().zip(times(&delayed)) {
        assert_eq!(b - a, 40_000);
    }
}

/// Indices of the dropped packets among `n` offered back to back.
fn drop_pattern(params: LinkParams, n: u32) -> Vec<bool> {
    let mut link = LinkModel::new(params).unwrap();
    let pattern: Vec<bool> = (0..n)
        .map(|i| {
            let r = link.enqueue(0, i, 100);
            while link.poll(0).is_some() {}
            r == Enqueue::Dropped(DropReason::Loss)
        })
        .collect();
    let lost = pattern.iter().filter(|&&l| l).count() as u64;
    assert_eq!(link.stats().drops_loss, lost);
    assert_eq!(link.stats().packets_sent, u64::from(n) - lost);
    pattern
}

#[test]
fn seeded_bernoulli_loss_is_accurate_and_reproducible() {
    let p = |seed| LinkParams {
        loss: 0.05,
        seed,
        ..LinkParams::default()
    };
    let a = drop_pattern(p(42), 100_000);
    let lost = a.iter().filter(|&&l| l).count();
    assert!((4_500..=5_500).contains(&lost), "{lost} of 100000 lost");
    assert_eq!(a, drop_pattern(p(42), 100_000), "same seed, same drops");
    let c = drop_pattern(p(43), 100_000);
    assert_ne!(a, c, "another seed drops other packets");
}

#[test]
fn loss_pattern_does_not_depend_on_timing_rate_or_jitter() {
    // Loss is decided first, from its own RNG stream: shaping must not change which
    // packets are lost.
    let base = LinkParams {
        loss: 0.2,
        seed: 5,
        ..LinkParams::default()
    };
    let busy = LinkParams {
        jitter_us: 5_000,
        delay_us: 1_000,
        loss: 0.2,
        seed: 5,
        ..shaped(10_000, 2_000)
    };
    let mut host = Host::new(busy);
    let spaced: Vec<bool> = (0..2_000u32)
        .map(|i| host.enqueue(u64::from(i) * 777, i, 100) == Enqueue::Dropped(DropReason::Loss))
        .collect();
    assert_eq!(spaced, drop_pattern(base, 2_000));
}

/// Mean length of the runs of consecutive losses.
fn mean_burst(pattern: &[bool]) -> f64 {
    let (mut runs, mut lost, mut prev) = (0u64, 0u64, false);
    for &l in pattern {
        if l {
            lost += 1;
            if !prev {
                runs += 1;
            }
        }
        prev = l;
    }
    lost as f64 / runs.max(1) as f64
}

#[test]
fn gilbert_elliott_loses_in_bursts() {
    let ge = GilbertElliott {
        p_good_to_bad: 0.01,
        p_bad_to_good: 0.2,
        loss_in_bad: 0.8,
    };
    let bursty = LinkParams {
        loss_burst: Some(ge),
        seed: 11,
        ..LinkParams::default()
    };
    let pattern = drop_pattern(bursty, 200_000);
    let rate = pattern.iter().filter(|&&l| l).count() as f64 / pattern.len() as f64;
    let expected = bursty.mean_loss();
    assert!(
        (rate - expected).abs() < 0.2 * expected,
        "rate {rate} vs stationary {expected}"
    );

    let independent = LinkParams {
        loss: expected,
        seed: 11,
        ..LinkParams::default()
    };
    let flat = drop_pattern(independent, 200_000);
    let (b, f) = (mean_burst(&pattern), mean_burst(&flat));
    assert!(b > 1.5, "Gilbert-Elliott mean burst {b}");
    assert!(f < 1.1, "Bernoulli mean burst {f}");
    assert!(
        b > 1.5 * f,
        "bursts {b} should be visibly longer than Bernoulli's {f}"
    );
}

#[test]
fn queue_limit_tail_drops_and_counts() {
    // 1000 B/s with a one-packet bucket: one packet leaves at t=0, ten wait, the rest drop.
    let mut link = LinkModel::new(LinkParams {
        queue_limit_packets: Some(10),
        ..shaped(1_000, 1_000)
    })
    .unwrap();
    let results: Vec<Enqueue> = (0..50).map(|i| link.enqueue(0, i, 1_000)).collect();
    assert!(results[..11].iter().all(|&r| r == Enqueue::Accepted));
    assert!(results[11..]
        .iter()
        .all(|&r| r == Enqueue::Dropped(DropReason::Queue)));
    let s = link.stats();
    assert_eq!((s.drops_queue, s.queue_depth, s.in_flight), (39, 10, 1));
    assert_eq!(s.drops_loss, 0);

    assert_eq!(link.poll(0), Some(0));
    // One second later one more has left, freeing one slot for one new packet.
    assert_eq!(link.poll(1_000_000), Some(1));
    assert_eq!(link.stats().queue_depth, 9);
    assert_eq!(link.enqueue(1_000_000, 100, 1_000), Enqueue::Accepted);
    assert_eq!(
        link.enqueue(1_000_000, 101, 1_000),
        Enqueue::Dropped(DropReason::Queue)
    );
    let s = link.stats();
    assert_eq!((s.drops_queue, s.queue_depth), (40, 10));
}

/// Offers `n` packets 1 ms apart over a link with 10 ms delay and up to 20 ms jitter.
fn jittered(reorder: bool, n: u32) -> Vec<(u64, u32)> {
    let params = LinkParams {
        delay_us: 10_000,
        jitter_us: 20_000,
        reorder,
        seed: 3,
        ..LinkParams::default()
    };
    let mut host = Host::new(params);
    for i in 0..n {
        assert_eq!(
            host.enqueue(u64::from(i) * 1_000, i, 200),
            Enqueue::Accepted
        );
    }
    host.drain();
    assert_eq!(host.delivered.len(), n as usize);
    for &(t, i) in &host.delivered {
        let sent = u64::from(i) * 1_000;
        assert!(
            t >= sent + 10_000,
            "packet {i} delivered at {t}, before its delay"
        );
        if reorder {
            assert!(
                t <= sent + 30_000,
                "packet {i} delivered at {t}, beyond delay + jitter"
            );
        }
    }
    host.delivered
}

#[test]
fn jitter_without_reorder_keeps_order() {
    let d = jittered(false, 1_000);
    assert_eq!(payloads(&d), (0..1_000).collect::<Vec<_>>());
    assert!(times(&d).windows(2).all(|w| w[0] <= w[1]));
    // Jitter is really applied: delivery delays vary.
    let delays: std::collections::HashSet<u64> =
        d.iter().map(|&(t, i)| t - u64::from(i) * 1_000).collect();
    assert!(delays.len() > 100);
}

#[test]
fn jitter_with_reorder_lets_packets_overtake() {
    let d = jittered(true, 1_000);
    let order = payloads(&d);
    let overtaken = order.windows(2).filter(|w| w[0] > w[1]).count();
    assert!(overtaken > 50, "only {overtaken} inversions");
    assert!(
        times(&d).windows(2).all(|w| w[0] <= w[1]),
        "poll returns in time order"
    );
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        (0..1_000).collect::<Vec<_>>(),
        "nothing lost or duplicated"
    );
}

#[test]
fn set_params_mid_stream_keeps_packets_and_changes_pace() {
    // 10 KB/s, one-packet bucket: one 1000 B packet per 100 ms.
    let mut host = Host::new(shaped(10_000, 1_000));
    for i in 0..100u32 {
        let _ = host.link.enqueue(0, i, 1_000);
    }
    host.run_until(1_000_000);
    assert_eq!(host.delivered.len(), 11, "t=0 plus one per 100 ms");
    let queued = host.link.stats().queue_depth;
    assert_eq!(queued, 89);

    host.link
        .set_params(1_000_000, shaped(100_000, 1_000))
        .unwrap();
    assert_eq!(
        host.link.stats().queue_depth,
        queued,
        "nothing dropped by set_params"
    );
    host.drain();
    let d = &host.delivered;
    assert_eq!(payloads(d), (0..100).collect::<Vec<_>>());
    let t = times(d);
    assert!(
        t[..11].windows(2).all(|w| w[1] - w[0] == 100_000),
        "old pace before"
    );
    assert!(
        t[10..].windows(2).all(|w| w[1] - w[0] == 10_000),
        "new pace after"
    );
    assert_eq!(*t.last().unwrap(), 1_890_000);
    let s = host.link.stats();
    assert_eq!((s.packets_sent, s.drops_loss, s.drops_queue), (100, 0, 0));
}

#[test]
fn set_params_to_unlimited_releases_queue_now_not_in_the_past() {
    let mut link = LinkModel::new(LinkParams {
        delay_us: 5,
        ..shaped(1_000, 1_000)
    })
    .unwrap();
    for i in 0..5 {
        let _ = link.enqueue(0, i, 1_000);
    }
    assert_eq!(link.poll(0), None);
    assert_eq!(link.poll(5), Some(0));
    link.set_params(
        300_000,
        LinkParams {
            delay_us: 5,
            ..LinkParams::default()
        },
    )
    .unwrap();
    assert_eq!(link.stats().queue_depth, 0);
    assert_eq!(
        link.poll(300_004),
        None,
        "departed at the change, not when they arrived"
    );
    assert_eq!(link.poll_timeout(), Some(300_005));
    let rest: Vec<i32> = std::iter::from_fn(|| link.poll(300_005)).collect();
    assert_eq!(rest, [1, 2, 3, 4]);
}

#[test]
fn set_params_rejects_invalid_and_keeps_old() {
    let mut link: LinkModel<u8> = LinkModel::new(shaped(1_000, 1_000)).unwrap();
    let err = link
        .set_params(
            0,
            LinkParams {
                loss: 2.0,
                ..LinkParams::default()
            },
        )
        .unwrap_err();
    assert_eq!(err.key(), "loss");
    assert_eq!(link.params(), &shaped(1_000, 1_000));
    assert!(LinkModel::<u8>::new(LinkParams {
        rate: Some(5),
        ..LinkParams::default()
    })
    .is_err());
}

#[test]
fn lower_delay_without_reorder_does_not_overtake() {
    let mut link = LinkModel::new(LinkParams {
        delay_us: 50_000,
        ..LinkParams::default()
    })
    .unwrap();
    let _ = link.enqueue(0, "slow", 10);
    link.set_params(1_000, LinkParams::default()).unwrap();
    let _ = link.enqueue(1_000, "fast", 10);
    assert_eq!(
        link.poll(1_000),
        None,
        "must wait behind the packet already on the wire"
    );
    assert_eq!(link.poll_timeout(), Some(50_000));
    assert_eq!(link.poll(50_000), Some("slow"));
    assert_eq!(link.poll(50_000), Some("fast"));
}

#[test]
fn oversized_packet_leaves_on_full_bucket_and_goes_into_debt() {
    let mut host = Host::new(shaped(1_000, 1_000));
    let _ = host.link.enqueue(0, "jumbo", 5_000);
    let _ = host.link.enqueue(0, "next", 1_000);
    host.drain();
    // The jumbo packet leaves at once; the next waits for 4000 B of debt plus its own
    // 1000 B at 1000 B/s.
    assert_eq!(host.delivered, [(0, "jumbo"), (5_000_000, "next")]);
}

#[test]
fn stale_times_and_spurious_wakeups_are_harmless() {
    let mut link = LinkModel::new(LinkParams {
        delay_us: 100,
        ..shaped(1_000, 1_000)
    })
    .unwrap();
    let _ = link.enqueue(10_000, 'a', 1_000);
    let _ = link.enqueue(10_000, 'b', 1_000);
    assert_eq!(link.poll(0), None, "a time in the past");
    assert_eq!(link.poll(10_050), None, "a spurious wakeup");
    assert_eq!(link.poll_timeout(), Some(10_100));
    assert_eq!(link.poll(10_100), Some('a'));
    // A stale enqueue is taken as happening at the latest time seen.
    let _ = link.enqueue(5, 'c', 0);
    assert_eq!(link.poll(3), None);
    assert_eq!(link.poll_timeout(), Some(1_010_000), "b's departure");
    assert_eq!(link.poll(1_010_100), Some('b'));
    assert_eq!(link.poll(1_010_100), Some('c'));
    assert_eq!(link.poll(u64::MAX), None);
    assert_eq!(link.poll_timeout(), None);
}

#[test]
fn huge_values_saturate_instead_of_overflowing() {
    let params = LinkParams {
        delay_us: u64::MAX,
        jitter_us: u64::MAX,
        ..shaped(1, 1)
    };
    let mut link = LinkModel::new(params).unwrap();
    let _ = link.enqueue(u64::MAX - 1, 1u8, usize::MAX);
    let _ = link.enqueue(u64::MAX, 2u8, usize::MAX);
    assert_eq!(link.poll_timeout(), Some(u64::MAX));
    assert_eq!(
        link.poll(u64::MAX - 1),
        Some(1),
        "clock already at u64::MAX"
    );
    // The second one would leave after the end of time: its times saturate at u64::MAX.
    assert_eq!(link.poll(u64::MAX), Some(2));
    assert_eq!(link.poll_timeout(), None);
}

#[derive(Debug, Clone)]
enum Op {
    Enqueue {
        dt: u64,
        size: usize,
    },
    Poll {
        dt: u64,
    },
    Wake,
    SetRate {
        dt: u64,
        rate: Option<u64>,
        limit: Option<usize>,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u64..5_000, 0usize..3_000).prop_map(|(dt, size)| Op::Enqueue { dt, size }),
        3 => (0u64..20_000).prop_map(|dt| Op::Poll { dt }),
        2 => Just(Op::Wake),
        1 => (0u64..5_000, proptest::option::of(100u64..1_000_000), proptest::option::of(1usize..20))
            .prop_map(|(dt, rate, limit)| Op::SetRate { dt, rate, limit }),
    ]
}

fn params_strategy() -> impl Strategy<Value = LinkParams> {
    (
        proptest::option::of(100u64..1_000_000),
        1u64..5_000,
        (0u64..20_000, 0u64..20_000, any::<bool>()),
        (
            0.0f64..0.3,
            proptest::option::of((0.0f64..1.0, 0.0f64..1.0, 0.0f64..1.0)),
        ),
        proptest::option::of(1usize..20),
        any::<u64>(),
    )
        .prop_map(
            |(rate, bucket_size, (delay_us, jitter_us, reorder), (loss, ge), limit, seed)| {
                LinkParams {
                    rate,
                    bucket_size,
                    delay_us,
                    jitter_us,
                    reorder,
                    loss,
                    loss_burst: ge.map(|(p, r, l)| GilbertElliott {
                        p_good_to_bad: p,
                        p_bad_to_good: r,
                        loss_in_bad: l,
                    }),
                    queue_limit_packets: limit,
                    seed,
                    ..LinkParams::default()
                }
            },
        )
}

/// Runs `ops` and returns every delivery (time, id) plus final stats, checking invariants.
fn run_ops(params: LinkParams, ops: &[Op]) -> (Vec<(u64, u32)>, LinkStats) {
    let mut link = LinkModel::new(params).unwrap();
    let mut params = params;
    let (mut now, mut next_id, mut accepted) = (0u64, 0u32, 0u64);
    let mut delivered = vec![];
    let mut offered = 0u64;
    // The limit a later set_params may lower; until then the queue stays within it.
    let mut bound = params.queue_limit_packets;
    for op in ops {
        match *op {
            Op::Enqueue { dt, size } => {
                now += dt;
                offered += 1;
                if link.enqueue(now, next_id, size) == Enqueue::Accepted {
                    accepted += 1;
                }
                next_id += 1;
                if let Some(b) = bound {
                    assert!(link.stats().queue_depth <= b, "queue beyond its limit");
                }
            }
            Op::Poll { dt } => {
                now += dt;
                while let Some(p) = link.poll(now) {
                    delivered.push((now, p));
                }
            }
            Op::Wake => {
                if let Some(t) = link.poll_timeout() {
                    now = now.max(t);
                    while let Some(p) = link.poll(now) {
                        delivered.push((now, p));
                    }
                }
            }
            Op::SetRate { dt, rate, limit } => {
                now += dt;
                let depth = link.stats().queue_depth;
                params = LinkParams {
                    rate,
                    queue_limit_packets: limit,
                    ..params
                };
                link.set_params(now, params).unwrap();
                assert!(
                    link.stats().queue_depth <= depth,
                    "set_params never adds or drops"
                );
                bound = limit.map(|l| l.max(link.stats().queue_depth));
            }
        }
        let s = link.stats();
        assert_eq!(s.drops_loss + s.drops_queue + accepted, offered);
        assert_eq!(
            accepted,
            delivered.len() as u64 + s.queue_depth as u64 + s.in_flight as u64
        );
    }
    (delivered, link.stats())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_operations_keep_invariants_and_are_deterministic(
        params in params_strategy(),
        ops in proptest::collection::vec(op(), 0..300),
    ) {
        let (delivered, stats) = run_ops(params, &ops);
        let ids: Vec<u32> = delivered.iter().map(|&(_, id)| id).collect();
        if !params.reorder {
            // Without reorder, delivery order is acceptance order.
            prop_assert!(ids.windows(2).all(|w| w[0] < w[1]));
        }
        let mut unique = ids.clone();
        unique.sort_unstable();
        unique.dedup();
        prop_assert_eq!(unique.len(), ids.len(), "no duplicates");
        let (again, stats_again) = run_ops(params, &ops);
        prop_assert_eq!(delivered, again);
        prop_assert_eq!(stats, stats_again);
    }
}
