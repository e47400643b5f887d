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
    let took = transfer(&mut sim, 300_000, 60 * SEC);
    assert!(took < SEC, "300 kB over a clean 5 ms link took {took} µs");
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
    for delay in [0, 1, 50, 150, 300] {
        let mut sim = pair(11, lossy(0.01, delay), 0.0, StreamConfig::default());
        transfer(&mut sim, 200_000, 600 * SEC);
    }
}

/// A link limited to `rate` bytes/s with a `queue`-packet tail-drop queue and `delay_ms`.
fn bottleneck(rate: u64, queue: usize, delay_ms: u64) -> LinkParams {
    LinkParams {
        rate: Some(rate),
        bucket_size: 3_000,
        queue_limit_packets: Some(queue),
        delay_us: delay_ms * MS,
        ..LinkParams::default()
    }
}

/// Opens `k` connections A→B, each writing `n` bytes; runs until `until` and returns the
/// bytes B received on each, and the time the last byte arrived at each.
fn streams_over(sim: &mut Sim, k: usize, n: usize, until: u64) -> Vec<(usize, u64, u64)> {
    let conns: Vec<ConnId> = (0..k)
        .map(|_| sim.ep(A).connect(0, B, PORT, None).unwrap())
        .collect();
    for (i, &c) in conns.iter().enumerate() {
        sim.write_all(A, c, bytes(100 + i as u64, n), true);
    }
    sim.run_until(until, |s| {
        s.received.values().filter(|r| r.eof).count() == k
    });
    let acc = sim.accepted(B);
    assert_eq!(acc.len(), k);
    acc.iter()
        .map(|&c| {
            let r = &sim.received[&(B, c)];
            (r.bytes.len(), r.first_at.unwrap_or(0), r.last_at)
        })
        .collect()
}

#[test]
fn one_stream_fills_a_rate_limited_link() {
    let rate = 2_000_000;
    let cfg = StreamConfig::default();
    let mut sim = pair(5, lossy(0.0, 10), 0.0, cfg);
    sim.set_link(A, B, bottleneck(rate, 64, 10));
    let n = 6_000_000;
    let r = streams_over(&mut sim, 1, n, 60 * SEC);
    let (got, _, last) = r[0];
    assert_eq!(got, n);
    // From the first SYN to the last byte: handshake and slow start included.
    let goodput = got as f64 * 1e6 / last as f64;
    let link_rate = rate as f64;
    assert!(
        goodput >= 0.9 * link_rate,
        "goodput {goodput:.0} B/s is below 90% of the link's {link_rate} B/s"
    );
    assert_eq!(sim.received[&(B, sim.accepted(B)[0])].bytes, bytes(100, n));
}

#[test]
fn streams_share_a_bottleneck_fairly() {
    let rate = 2_000_000;
    let mut sim = pair(9, lossy(0.0, 10), 0.0, StreamConfig::default());
    sim.set_link(A, B, bottleneck(rate, 50, 10));
    // More than the link carries in the time given: compare what each got by then.
    let r = streams_over(&mut sim, 3, 20_000_000, 20 * SEC);
    let got: Vec<usize> = r.iter().map(|x| x.0).collect();
    let (min, max) = (*got.iter().min().unwrap(), *got.iter().max().unwrap());
    assert!(
        min > 0 && max as f64 <= 1.2 * min as f64,
        "shares differ by more than 20%: {got:?}"
    );
    let total: usize = got.iter().sum();
    assert!(
        total as f64 >= 0.85 * rate as f64 * 20.0,
        "the three together carried only {total} bytes"
    );
}

#[test]
fn connecting_to_a_port_nobody_listens_on_is_refused() {
    let mut sim = pair(1, lossy(0.0, 5), 0.0, StreamConfig::default());
    let c = sim.ep(A).connect(0, B, PORT + 1, None).unwrap();
    sim.run_until(10 * SEC, |s| !s.events_of(A).is_empty());
    let ev = sim.events_of(A);
    assert_eq!(
        ev,
        vec![Event::Error {
            conn: c,
            error: StreamError::Refused {
                node: B,
                port: PORT + 1
            }
        }]
    );
    assert_eq!(
        crate::error::CoreError::code(&StreamError::Refused { node: B, port: 1 }).as_str(),
        "CONNECTION_REFUSED"
    );
    assert_eq!(sim.ep(A).connections(), 0);
    assert!(
        sim.now < 100 * MS,
        "refused after one round trip, not a timeout ({} µs)",
        sim.now
    );
    assert_eq!(
        sim.ep(A).write(0, c, b"x"),
        Err(StreamError::Closed { conn: c })
    );
}

fn short_timeouts() -> StreamConfig {
    StreamConfig {
        keepalive_us: SEC,
        idle_timeout_us: 3 * SEC,
        ..StreamConfig::default()
    }
}

#[test]
fn a_silent_peer_times_out_after_the_idle_timeout() {
    // Established, then the peer goes silent while we have data to send.
    let mut sim = pair(2, lossy(0.0, 5), 0.0, short_timeouts());
    let c = sim.ep(A).connect(0, B, PORT, None).unwrap();
    sim.run_until(SEC, |s| !s.accepted(B).is_empty());
    let t0 = sim.now;
    sim.silent.push(B);
    sim.write_all(A, c, bytes(3, 100_000), false);
    sim.run_until(60 * SEC, |s| {
        s.events_of(A)
            .iter()
            .any(|e| matches!(e, Event::Error { .. }))
    });
    let err = sim.events_of(A).into_iter().find_map(|e| match e {
        Event::Error { error, .. } => Some(error),
        _ => None,
    });
    assert_eq!(err, Some(StreamError::Timeout { idle_us: 3 * SEC }));
    let after = sim.now - t0;
    assert!(
        (3 * SEC - 50 * MS..3 * SEC + 100 * MS).contains(&after),
        "timed out {after} µs after the peer went silent"
    );
    // Connecting to a silent node times out the same way.
    let t1 = sim.now;
    let c2 = sim.ep(A).connect(t1, B, PORT, None).unwrap();
    sim.run_until(t1 + 60 * SEC, |s| {
        s.events_of(A)
            .iter()
            .any(|e| matches!(e, Event::Error { conn, .. } if *conn == c2))
    });
    assert!(sim.now - t1 >= 3 * SEC && sim.now - t1 < 3 * SEC + 100 * MS);
    assert_eq!(sim.ep(A).connections(), 0);
}

#[test]
fn keepalives_hold_an_idle_connection_open() {
    let mut sim = pair(2, lossy(0.0, 5), 0.0, short_timeouts());
    let c = sim.ep(A).connect(0, B, PORT, None).unwrap();
    sim.run_until(30 * SEC, |_| false);
    assert!(!sim
        .events_of(A)
        .iter()
        .chain(sim.events_of(B).iter())
        .any(|e| matches!(e, Event::Error { .. })));
    assert!(sim.ep(A).stats(c).is_ok());
    // Keepalives are few: about one per keepalive interval and direction.
    assert!(sim.frames < 100, "{} frames in 30 s of idling", sim.frames);
}

#[test]
fn abort_resets_the_peer() {
    let mut sim = pair(4, lossy(0.0, 5), 0.0, StreamConfig::default());
    let c = sim.ep(A).connect(0, B, PORT, None).unwrap();
    sim.write_all(A, c, bytes(4, 10_000), false);
    sim.run_until(SEC, |s| {
        s.received.values().any(|r| r.bytes.len() == 10_000)
    });
    let now = sim.now;
    let port = sim.ep(A).info(c).unwrap().local_port;
    sim.ep(A).abort(now, c).unwrap();
    let s = sim.accepted(B)[0];
    sim.run_until(sim.now + SEC, |s| {
        s.events_of(B)
            .iter()
            .any(|e| matches!(e, Event::Error { .. }))
    });
    let ev = sim.events_of(B);
    assert_eq!(
        ev.last(),
        Some(&Event::Error {
            conn: s,
            error: StreamError::Reset { node: A, port }
        })
    );
    assert_eq!(sim.ep(B).connections(), 0);
    assert_eq!(sim.ep(B).read(s, 10), Err(StreamError::Closed { conn: s }));
}

#[test]
fn a_reader_that_does_not_read_stops_the_writer() {
    let cfg = StreamConfig {
        send_buffer: 64 * 1024,
        recv_window: 128 * 1024,
        ..short_timeouts()
    };
    let mut sim = pair(6, lossy(0.0, 5), 0.0, cfg);
    sim.paused.insert(B, true);
    let c = sim.ep(A).connect(0, B, PORT, None).unwrap();
    let data = bytes(6, 2_000_000);
    sim.write_all(A, c, data.clone(), true);
    // Longer than the idle timeout: zero-window probes keep the connection alive.
    sim.run_until(10 * SEC, |_| false);
    let written = sim.writers[0].written;
    assert!(
        written <= 64 * 1024 + 128 * 1024,
        "the writer got {written} bytes in"
    );
    assert!(written >= 128 * 1024, "the window did not fill: {written}");
    let s = sim.accepted(B)[0];
    assert_eq!(sim.ep(B).stats(s).unwrap().bytes_received, 128 * 1024);
    assert!(!sim
        .events_of(A)
        .iter()
        .any(|e| matches!(e, Event::Error { .. })));
    // Reading resumes the transfer to the end.
    sim.paused.insert(B, false);
    sim.run_until(sim.now + 120 * SEC, |s| {
        s.received.get(&(B, s_conn(s))).is_some_and(|r| r.eof)
    });
    assert!(sim.received[&(B, s)].bytes == data);
}

#[test]
fn rate_limited_lossy_links_with_delay() {
    // A slow link with a short queue (tail drops) plus random loss, jitter and reordering.
    for (seed, delay) in [(21, 0), (22, 40), (23, 200)] {
        let link = LinkParams {
            loss: 0.01,
            jitter_us: 2 * MS,
            reorder: true,
            ..bottleneck(500_000, 20, delay)
        };
        let mut sim = pair(seed, link, 0.01, StreamConfig::default());
        transfer(&mut sim, 300_000, 600 * SEC);
    }
}

#[test]
fn frames_round_trip_and_garbage_is_counted() {
    use super::frame::{Frame, ACK, FIN};
    let f = Frame {
        flags: ACK | FIN,
        src_port: 1,
        dst_port: 2,
        seq: 1 << 40,
        ack: 7,
        window: 9,
        sacks: vec![(10, 20), (30, 40)],
        payload: b"hi".to_vec(),
    };
    assert_eq!(Frame::decode(&f.encode()), Ok(f.clone()));
    let mut bad = f.encode();
    bad[0] = 0x80;
    assert!(Frame::decode(&bad).is_err());
    let mut ep = StreamEndpoint::new(A, sim::MTU, StreamConfig::default(), 1).unwrap();
    for junk in [&b""[..], &[0u8; 27][..], &bad[..]] {
        ep.handle_frame(0, B, junk);
    }
    assert_eq!(ep.endpoint_stats().malformed, 3);
    assert_eq!(ep.poll_transmit(0), None);
}

#[test]
fn invalid_arguments_name_what_is_wrong() {
    let cfg = StreamConfig {
        keepalive_us: 5,
        idle_timeout_us: 5,
        ..StreamConfig::default()
    };
    let e = StreamEndpoint::new(A, sim::MTU, cfg, 1).err().unwrap();
    assert!(e.to_string().contains("keepalive_us"), "{e}");
    let e = StreamEndpoint::new(A, 80, StreamConfig::default(), 1)
        .err()
        .unwrap();
    assert!(e.to_string().contains("at least 84 bytes"), "{e}");
    let mut ep = StreamEndpoint::new(A, sim::MTU, StreamConfig::default(), 1).unwrap();
    ep.listen(80).unwrap();
    assert_eq!(ep.listen(80), Err(StreamError::PortInUse { port: 80 }));
    assert!(ep.listen(0).is_err());
    assert!(ep.connect(0, B, 0, None).is_err());
    assert_eq!(
        ep.connect(0, B, 80, Some(80)),
        Err(StreamError::PortInUse { port: 80 })
    );
    let c = ep.connect(0, B, 80, Some(1234)).unwrap();
    assert_eq!(
        ep.connect(0, B, 80, Some(1234)),
        Err(StreamError::PortInUse { port: 1234 })
    );
    ep.close(0, c).unwrap();
    assert_eq!(ep.write(0, c, b"x"), Err(StreamError::Closed { conn: c }));
    let codes: Vec<&str> = [
        StreamError::Refused { node: 1, port: 1 },
        StreamError::Reset { node: 1, port: 1 },
        StreamError::Timeout { idle_us: 1 },
        StreamError::Closed { conn: c },
    ]
    .iter()
    .map(|e| crate::error::CoreError::code(e).as_str())
    .collect();
    assert_eq!(
        codes,
        [
            "CONNECTION_REFUSED",
            "CONNECTION_RESET",
            "TIMEOUT",
            "CLOSED"
        ]
    );
}

#[test]
fn small_mtus_carry_fewer_sack_blocks() {
    use super::frame::Geometry;
    assert_eq!(
        Geometry::for_mtu(1400),
        Some(Geometry {
            mss: 1268,
            max_sacks: 4
        })
    );
    assert_eq!(
        Geometry::for_mtu(114),
        Some(Geometry {
            mss: 46,
            max_sacks: 0
        })
    );
    assert_eq!(Geometry::for_mtu(83), None);
    for mtu in [114, 200, 600] {
        let mut sim = Sim::new(31, lossy(0.02, 5), 0.0);
        sim.mtu = mtu;
        sim.add_node(A, StreamConfig::default());
        sim.add_node(B, StreamConfig::default());
        sim.ep(B).listen(PORT).unwrap();
        transfer(&mut sim, 40_000, 600 * SEC);
    }
}

#[test]
fn the_receiver_holds_no_more_than_its_window_whatever_the_sender_does() {
    use super::recv::Recv;
    let mut r = Recv::new(10_000, 1000);
    // A sender ignoring the window: 30 kB out of order, then 30 kB in order.
    for i in (0..30).rev() {
        r.on_segment(1000 + i * 1000, &[i as u8; 1000], false);
    }
    assert_eq!(r.readable(), 10_000);
    assert_eq!(r.window(), 0);
    assert_eq!(r.ack(), 11_000, "nothing beyond the edge was taken");
    assert!(r.sack_blocks(4).is_empty());
    // Duplicates and old bytes change nothing; reading opens the window again.
    assert!(!r.on_segment(1000, &[9; 5000], false));
    assert_eq!(r.read(4000).len(), 4000);
    assert_eq!(r.window(), 4000);
    // The edge is now 11 000 + 4 000: a segment across it keeps only what fits.
    r.on_segment(13_000, &[1; 3000], false);
    assert_eq!(r.sack_blocks(4), vec![(13_000, 15_000)]);
}

#[test]
fn a_lost_window_update_is_recovered_by_probing_the_window() {
    // Keepalives every 10 s would recover too, but much later: the probe does it in time.
    let cfg = StreamConfig {
        send_buffer: 64 * 1024,
        recv_window: 128 * 1024,
        ..StreamConfig::default()
    };
    let mut sim = pair(6, lossy(0.0, 5), 0.0, cfg);
    sim.paused.insert(B, true);
    let c = sim.ep(A).connect(0, B, PORT, None).unwrap();
    let data = bytes(6, 1_000_000);
    sim.write_all(A, c, data.clone(), true);
    sim.run_until(2 * SEC, |_| false);
    // B reads everything while its frames are lost: its window update never arrives.
    sim.silent.push(B);
    sim.read_all(B);
    sim.run_until(sim.now + 10 * MS, |_| false);
    sim.silent.clear();
    sim.paused.insert(B, false);
    let resumed = sim.now;
    let done = sim.run_until(resumed + 5 * SEC, |s| {
        s.received.get(&(B, s_conn(s))).is_some_and(|r| r.eof)
    });
    assert!(
        done,
        "the transfer did not resume within 5 s of the lost window update"
    );
    assert!(sim.received[&(B, s_conn(&sim))].bytes == data);
}

#[test]
fn a_restarted_peer_reusing_its_ports_resets_the_old_connection() {
    let mut sim = pair(8, lossy(0.0, 5), 0.0, StreamConfig::default());
    let c = sim.ep(A).connect(0, B, PORT, Some(5000)).unwrap();
    sim.write_all(A, c, bytes(8, 50_000), false);
    sim.run_until(SEC, |s| {
        s.received.values().any(|r| r.bytes.len() == 50_000)
    });
    let old = sim.accepted(B)[0];
    // A restarts (same ISN seed: the worst case) and connects from the same port again.
    sim.restart(A, StreamConfig::default(), 0x5eed ^ u64::from(A));
    let t0 = sim.now;
    let c2 = sim.ep(A).connect(t0, B, PORT, Some(5000)).unwrap();
    let data = bytes(9, 50_000);
    sim.write_all(A, c2, data.clone(), true);
    let ok = sim.run_until(t0 + 5 * SEC, |s| {
        s.accepted(B).len() == 2
            && s.received
                .get(&(B, s.accepted(B)[1]))
                .is_some_and(|r| r.eof)
    });
    assert!(
        ok,
        "the new connection did not get through: B saw {:?}",
        sim.events_of(B)
    );
    assert!(sim.events_of(B).contains(&Event::Error {
        conn: old,
        error: StreamError::Reset {
            node: A,
            port: 5000
        }
    }));
    assert!(sim.received[&(B, sim.accepted(B)[1])].bytes == data);
}

#[test]
fn half_open_connections_go_quietly() {
    use super::frame::{Frame, RST, SYN};
    let syn = Frame {
        flags: SYN,
        src_port: 7,
        dst_port: PORT,
        seq: 100,
        window: 1000,
        ..Frame::default()
    }
    .encode();
    let rst_of = |ep: &mut StreamEndpoint| {
        let t = ep.poll_transmit(0).expect("an RST");
        Frame::decode(&t.frame).unwrap().has(RST)
    };
    // Unlistening resets the handshakes in progress on that port.
    let mut ep = StreamEndpoint::new(B, sim::MTU, StreamConfig::default(), 1).unwrap();
    ep.listen(PORT).unwrap();
    ep.handle_frame(0, A, &syn);
    assert_eq!(ep.connections(), 1);
    let synack = ep.poll_transmit(0).unwrap();
    assert!(Frame::decode(&synack.frame).unwrap().has(SYN));
    assert!(ep.unlisten(PORT));
    assert!(rst_of(&mut ep));
    assert_eq!(ep.connections(), 0);
    // A connector that never completes the handshake: dropped after the idle timeout, with
    // no event (the application never saw it).
    ep.listen(PORT).unwrap();
    ep.handle_frame(0, A, &syn);
    let idle = StreamConfig::default().idle_timeout_us;
    while let Some(t) = ep.poll_timeout().filter(|&t| t <= idle) {
        ep.handle_timeout(t.max(1));
        while ep.poll_transmit(t).is_some() {}
    }
    ep.handle_timeout(idle);
    assert_eq!(ep.connections(), 0);
    assert_eq!(ep.poll_event(), None);
}

#[test]
fn a_finished_connection_keeps_its_unread_bytes_quietly() {
    let mut sim = pair(12, lossy(0.0, 5), 0.0, StreamConfig::default());
    sim.paused.insert(B, true);
    let c = sim.ep(A).connect(0, B, PORT, None).unwrap();
    let data = bytes(12, 10_000);
    sim.write_all(A, c, data.clone(), true);
    sim.run_until(SEC, |s| !s.accepted(B).is_empty());
    let s = sim.accepted(B)[0];
    let now = sim.now;
    sim.ep(B).close(now, s).unwrap();
    // Both FINs through; A forgets the connection, B holds it with 10 kB unread, for longer
    // than a keepalive interval: nothing may disturb it (a keepalive would draw an RST).
    sim.run_until(25 * SEC, |_| false);
    assert_eq!(sim.nodes[&A].connections(), 0);
    assert_eq!(sim.nodes[&B].connections(), 1);
    sim.paused.insert(B, false);
    sim.run_until(30 * SEC, |s| s.nodes[&B].connections() == 0);
    let r = &sim.received[&(B, s)];
    assert!(r.eof && r.bytes == data);
    assert!(
        !sim.events_of(B)
            .iter()
            .any(|e| matches!(e, Event::Error { .. })),
        "{:?}",
        sim.events_of(B)
    );
}

#[test]
fn initial_sequence_numbers_follow_the_seed() {
    use super::frame::Frame;
    let syn_seq = |seed: u64| {
        let mut ep = StreamEndpoint::new(A, sim::MTU, StreamConfig::default(), 1).unwrap();
        ep.reseed(seed);
        ep.connect(0, B, PORT, None).unwrap();
        Frame::decode(&ep.poll_transmit(0).unwrap().frame)
            .unwrap()
            .seq
    };
    assert_eq!(syn_seq(5), syn_seq(5));
    assert_ne!(syn_seq(5), syn_seq(6));
}

/// Bytes per second from the first SYN to the last byte.
fn goodput(bytes: usize, last_us: u64) -> f64 {
    bytes as f64 * 1e6 / last_us.max(1) as f64
}

fn with_cc(congestion: Congestion) -> StreamConfig {
    StreamConfig {
        congestion,
        ..StreamConfig::default()
    }
}

/// One stream of `n` bytes A→B over `link` (both ways) for at most `limit`; returns the
/// bytes B got and when the last arrived.
fn one_stream(
    seed: u64,
    link: LinkParams,
    cfg: StreamConfig,
    n: usize,
    limit: u64,
) -> (usize, u64) {
    let mut sim = pair(seed, link, 0.0, cfg);
    let r = streams_over(&mut sim, 1, n, limit);
    if r[0].0 == n {
        assert_eq!(sim.received[&(B, sim.accepted(B)[0])].bytes, bytes(100, n));
    }
    (r[0].0, r[0].2)
}

#[test]
fn two_lossy_hops_carry_10_mib_quickly() {
    // The acceptance case: two hops of 5% loss and 20 ms each way, through a relay (as curl
    // through a forwarding node does).
    const RELAY: u32 = 3;
    let mut sim = pair(37, lossy(0.05, 20), 0.0, StreamConfig::default());
    sim.route_via(A, B, RELAY);
    let n = 10 << 20;
    let r = streams_over(&mut sim, 1, n, 60 * SEC);
    let (got, _, last) = r[0];
    let g = goodput(got, last);
    eprintln!(
        "10 MiB over two hops of 5% loss and 20 ms: {} ms, {g:.0} B/s",
        last / MS
    );
    assert_eq!(got, n);
    assert_eq!(sim.received[&(B, sim.accepted(B)[0])].bytes, bytes(100, n));
    assert!(last <= 20 * SEC, "10 MiB took {} ms", last / MS);
    assert!(sim.dropped > 0);
}

#[test]
fn random_loss_does_not_collapse_the_model_controller() {
    // Two emulated hops of 5% loss and 20 ms each, as one link: ~10% loss and 40 ms each
    // way (ACKs are lost too). No rate limit: only the random loss holds the sender back.
    let link = lossy(0.10, 40);
    let n = 10 << 20;
    let (got, last) = one_stream(31, link, with_cc(Congestion::Model), n, 60 * SEC);
    let model = goodput(got, last);
    let (reno_got, reno_last) = one_stream(31, link, with_cc(Congestion::NewReno), n, 60 * SEC);
    let reno = goodput(reno_got, reno_last);
    eprintln!(
        "10 MiB, 10% loss and 40 ms each way: model {model:.0} B/s ({} ms), NewReno {reno:.0} B/s ({reno_got} bytes by {} ms)",
        last / MS,
        reno_last / MS
    );
    assert_eq!(got, n, "the model controller did not finish 10 MiB in 60 s");
    assert!(model >= 1_000_000.0, "model controller: {model:.0} B/s");
    assert!(
        model >= 5.0 * reno,
        "model {model:.0} B/s vs NewReno {reno:.0} B/s"
    );
}

#[test]
fn a_fast_link_with_one_percent_loss_runs_near_its_rate() {
    let rate = 40_000_000;
    let link = LinkParams {
        loss: 0.01,
        ..bottleneck(rate, 100, 5)
    };
    let n = 40_000_000;
    let (got, last) = one_stream(32, link, StreamConfig::default(), n, 60 * SEC);
    let g = goodput(got, last);
    eprintln!("40 MB/s link, 1% loss: {g:.0} B/s");
    assert_eq!(got, n);
    assert!(
        g >= 0.8 * rate as f64,
        "goodput {g:.0} B/s is below 80% of {rate} B/s"
    );
}

#[test]
fn a_10_mb_per_s_link_is_filled() {
    let rate = 10_000_000;
    let n = 30_000_000;
    let (got, last) = one_stream(
        33,
        bottleneck(rate, 100, 10),
        StreamConfig::default(),
        n,
        60 * SEC,
    );
    let g = goodput(got, last);
    eprintln!("10 MB/s link, 100-packet queue: {g:.0} B/s");
    assert_eq!(got, n);
    assert!(
        g >= 0.9 * rate as f64,
        "goodput {g:.0} B/s is below 90% of {rate} B/s"
    );
}

#[test]
fn model_streams_share_a_bottleneck_without_filling_its_queue() {
    let rate = 10_000_000;
    let mut sim = pair(34, lossy(0.0, 20), 0.0, StreamConfig::default());
    sim.set_link(A, B, bottleneck(rate, 100, 20));
    let secs = 10;
    let r = streams_over(&mut sim, 3, 100_000_000, secs * SEC);
    let got: Vec<usize> = r.iter().map(|x| x.0).collect();
    let total: usize = got.iter().sum();
    let packets = total / 1200;
    eprintln!(
        "3 streams on 10 MB/s: {got:?}, {} drops for ~{packets} packets",
        sim.dropped
    );
    let (min, max) = (*got.iter().min().unwrap(), *got.iter().max().unwrap());
    assert!(
        min > 0 && max as f64 <= 1.2 * min as f64,
        "shares differ by more than 20%: {got:?}"
    );
    assert!(
        total as f64 >= 0.85 * rate as f64 * secs as f64,
        "the three together carried only {total} bytes"
    );
    // Pacing at the measured rate, and the in-flight cap after overflows, keep the queue
    // from staying full: ~1.6% of packets dropped, shares within 11% (without the cap: ~8%
    // dropped and shares 41/53/90 MB over 20 s; NewReno over 20 s: 0.25% dropped, shares
    // 51/62/66 MB).
    assert!(
        (sim.dropped as usize) * 50 <= packets,
        "{} drops for ~{packets} packets: the queue is persistently full",
        sim.dropped
    );
}

#[test]
fn the_sender_is_never_idle_for_long_under_random_loss() {
    // At 10% loss each way the segments that would reveal a loss (and their ACKs) are lost
    // too. With nothing else to send, a sender used to wait for the retransmission timer,
    // doubled on every miss: NewReno, back to one segment after a timeout, sat silent for
    // 800 ms (200 + 400 + ... ). A tail-loss probe two SRTTs after the last send or delivery
    // keeps the ACK clock going, so silences stay around a round trip.
    for congestion in [Congestion::Model, Congestion::NewReno] {
        let mut sim = pair(35, lossy(0.10, 20), 0.0, with_cc(congestion));
        let n = 2_000_000;
        let c = sim.ep(A).connect(0, B, PORT, None).unwrap();
        // The handshake's own timeout (initial_rto_us, 1 s) is not what this is about.
        sim.run_until(10 * SEC, |s| !s.accepted(B).is_empty());
        sim.max_send_gap.clear();
        sim.write_all(A, c, bytes(100, n), true);
        let s = sim.accepted(B)[0];
        sim.run_until(300 * SEC, |sim| {
            sim.received.get(&(B, s)).is_some_and(|r| r.eof)
        });
        assert_eq!(
            sim.received[&(B, s)].bytes.len(),
            n,
            "{congestion:?}: unfinished"
        );
        let gap = sim.max_send_gap[&A];
        eprintln!(
            "{congestion:?}: longest silence of the sender {} ms",
            gap / MS
        );
        let limit = 300 * MS;
        assert!(
            gap <= limit,
            "{congestion:?}: the sender was idle for {} ms",
            gap / MS
        );
    }
}

#[test]
fn lost_retransmissions_are_found_without_a_timeout() {
    // At 10% loss each way retransmissions are lost too. RACK finds a lost retransmission
    // once something sent after it is delivered; when nothing else can be sent (the peer's
    // window is full behind the hole, or it is the tail), a probe must give it that, rather
    // than the sender waiting for the retransmission timer (>= 200 ms, then resending the
    // whole window).
    let mut timeouts = Vec::new();
    for seed in 40..48 {
        let mut sim = pair(seed, lossy(0.10, 40), 0.0, StreamConfig::default());
        let n = 4 << 20;
        let c = sim.ep(A).connect(0, B, PORT, None).unwrap();
        sim.write_all(A, c, bytes(100, n), true);
        sim.run_until(120 * SEC, |s| s.received.values().any(|r| r.eof));
        let got = sim.received.values().map(|r| r.bytes.len()).sum::<usize>();
        assert_eq!(got, n);
        timeouts.push(
            sim.ep(A)
                .stats(c)
                .expect("the sender's connection")
                .timeouts,
        );
    }
    eprintln!("timeouts per 4 MiB at 10% loss: {timeouts:?}");
    let total: u64 = timeouts.iter().sum();
    assert!(total <= 2, "retransmission timeouts fired: {timeouts:?}");
}
