//! Fuzz targets of the core: the wire header, fragment reassembly, lossless frames, the route
//! and multicast table codecs, stream frames against a live stream endpoint, and two node
//! engines in a session over a mutating channel.
//!
//! Shared by the native harness (`examples/fuzz.rs`: stable Rust, a seeded mutator of our
//! own, what `npm test` and `npm run fuzz` run) and the cargo-fuzz targets
//! (`fuzz/fuzz_targets/*.rs`: nightly and libFuzzer, coverage-guided). Every target takes
//! arbitrary bytes and panics when a property is violated; any panic is a finding. Nothing
//! here reads a clock or an outside RNG: the same bytes always run the same way.

#![allow(dead_code)] // each cargo-fuzz binary uses one target

use nextmini_core::frag::{fragment, Reassembler, ReassemblyConfig};
use nextmini_core::lossless::frame::{BlockNeed, MissingRange, Nack, NackBody};
use nextmini_core::lossless::{Dest, Frame, Manifest, Ports};
use nextmini_core::node::{Event, Node, NodeConfig, SendArgs};
use nextmini_core::topology::{FlowKey, McEntry, MulticastTable, RouteTable};
use nextmini_core::wire::{Header, PacketKind, HEADER_LEN};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// xorshift64*, seeded through splitmix64 (any seed, 0 included, gives a good stream).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }
    /// Uniform in `0..n` (`n >= 1`).
    pub fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }
    pub fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}

/// Values that sit on the edges of length and count checks.
const INTERESTING: [u32; 14] = [
    0,
    1,
    2,
    0x7f,
    0x80,
    0xff,
    0x100,
    0x7fff,
    0x8000,
    0xffff,
    0x1_0000,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
];

/// Applies 1 to 8 stacked mutations (bit flips, byte sets, interesting big-endian integers,
/// inserts, deletes, duplicated ranges, truncation, splices from `other`), keeping the input
/// under `max_len` bytes.
pub fn mutate(rng: &mut Rng, input: &mut Vec<u8>, other: &[u8], max_len: usize) {
    let rounds = 1 + rng.below(8).min(rng.below(8));
    for _ in 0..rounds {
        let len = input.len();
        match rng.below(11) {
            0 | 1 if len > 0 => {
                let p = rng.below(len);
                input[p] ^= 1 << rng.below(8);
            }
            2 | 3 if len > 0 => {
                let p = rng.below(len);
                input[p] = rng.next_u64() as u8;
            }
            4 if len > 0 => {
                // An interesting value, 1, 2 or 4 bytes wide, big-endian like every field.
                let v = INTERESTING[rng.below(INTERESTING.len())];
                let v = if rng.chance(2) {
                    v
                } else {
                    v.wrapping_add(rng.below(5) as u32).wrapping_sub(2)
                };
                let width = [1usize, 2, 4][rng.below(3)];
                let p = rng.below(len);
                let be = v.to_be_bytes();
                for (i, b) in be[4 - width..].iter().enumerate() {
                    if p + i < len {
                        input[p + i] = *b;
                    }
                }
            }
            5 if len < max_len => {
                let p = rng.below(len + 1);
                let n = (1 + rng.below(8)).min(max_len - len);
                let ins = rng.bytes(n);
                input.splice(p..p, ins);
            }
            6 if len > 0 => {
                let p = rng.below(len);
                let n = 1 + rng.below((len - p).min(16));
                input.drain(p..p + n);
            }
            7 if len > 0 && len < max_len => {
                let p = rng.below(len);
                let n = (1 + rng.below((len - p).min(32))).min(max_len - len);
                let copy = input[p..p + n].to_vec();
                let q = rng.below(len + 1);
                input.splice(q..q, copy);
            }
            8 if len > 0 => input.truncate(rng.below(len)),
            9 if !other.is_empty() => {
                // Splice: a prefix of this input, then a suffix of another valid one.
                let p = rng.below(len + 1);
                let q = rng.below(other.len());
                input.truncate(p);
                input.extend_from_slice(&other[q..other.len().min(q + max_len.saturating_sub(p))]);
            }
            _ if len > 0 => {
                // Swap two bytes.
                let (a, b) = (rng.below(len), rng.below(len));
                input.swap(a, b);
            }
            _ => input.push(rng.next_u64() as u8),
        }
    }
}

/// One fuzz target: what it runs, valid inputs to start mutating from, and an input size cap.
pub struct Target {
    pub name: &'static str,
    pub run: fn(&[u8]),
    pub seed: fn(&mut Rng) -> Vec<u8>,
    pub max_len: usize,
    /// Relative share of a campaign's inputs (the session target costs ~100x a header).
    pub weight: u32,
}

pub const TARGETS: &[Target] = &[
    Target {
        name: "header",
        run: header,
        seed: seed_header,
        max_len: 400,
        weight: 30,
    },
    Target {
        name: "frag",
        run: frag,
        seed: seed_frag,
        max_len: 4096,
        weight: 16,
    },
    Target {
        name: "lossless_frame",
        run: lossless_frame,
        seed: seed_lossless_frame,
        max_len: 400,
        weight: 26,
    },
    Target {
        name: "route_table",
        run: route_table,
        seed: seed_route_table,
        max_len: 600,
        weight: 13,
    },
    Target {
        name: "mcast_table",
        run: mcast_table,
        seed: seed_mcast_table,
        max_len: 600,
        weight: 13,
    },
    Target {
        name: "stream",
        run: stream,
        seed: seed_stream,
        max_len: 2048,
        weight: 8,
    },
    Target {
        name: "session",
        run: session,
        seed: seed_session,
        max_len: 512,
        weight: 2,
    },
];

// ---------------------------------------------------------------------------------------
// header

pub fn header(data: &[u8]) {
    if let Ok(h) = Header::decode(data) {
        assert!(h.frag_count >= 1 && h.frag_index < h.frag_count, "{h:?}");
        assert_eq!(usize::from(h.payload_len), data.len() - HEADER_LEN);
        assert!(u32::from(h.payload_len) <= h.total_len);
        assert_eq!(
            h.datagram(&data[HEADER_LEN..]),
            data,
            "decoded header re-encodes to its bytes"
        );
    }
}

fn random_header(rng: &mut Rng, payload_len: usize) -> Header {
    let kinds = [
        PacketKind::Unicast,
        PacketKind::Multicast,
        PacketKind::Lossless,
        PacketKind::LosslessGroup,
    ];
    let frag_count = if rng.chance(2) {
        1
    } else {
        1 + rng.below(1000) as u32
    };
    let total_len = if frag_count == 1 {
        payload_len as u32
    } else {
        payload_len as u32 + rng.next_u32() % 100_000
    };
    Header {
        kind: kinds[rng.below(4)],
        hop_limit: rng.next_u64() as u8,
        src_node: rng.below(8) as u32,
        dst: rng.below(8) as u32,
        src_port: rng.next_u64() as u16,
        dst_port: rng.next_u64() as u16,
        message_id: rng.next_u32(),
        frag_index: rng.next_u32() % frag_count,
        frag_count,
        total_len,
        session_id: rng.next_u32(),
        tree_id: rng.below(4) as u16,
        payload_len: payload_len as u16,
    }
}

fn seed_header(rng: &mut Rng) -> Vec<u8> {
    let n = rng.below(200);
    let payload = rng.bytes(n);
    random_header(rng, n).datagram(&payload)
}

// ---------------------------------------------------------------------------------------
// frag: a sequence of datagrams given to one reassembler.
//
// Input: records `[dt u8][len u16][datagram: len bytes]`; time advances by dt * 100 us, and
// dt = 255 also runs expiry. Checks: whatever completes is consistent with the fragment that
// completed it, the budget and slot limits hold at every step, and once everything has
// expired nothing stays reserved (memory returns to idle).

const FRAG_TIMEOUT_US: u64 = 20_000;

#[allow(clippy::field_reassign_with_default)] // tolerant of fields added to the config
fn frag_config() -> ReassemblyConfig {
    let mut c = ReassemblyConfig::default();
    c.max_payload_bytes = 1 << 16;
    c.max_buffered_bytes = 1 << 18;
    c.max_incomplete_messages = 8;
    c.timeout_us = FRAG_TIMEOUT_US;
    c
}

pub fn frag(data: &[u8]) {
    let cfg = frag_config();
    let mut r = Reassembler::new(cfg).expect("valid reassembly config");
    let mut now = 0u64;
    let mut rest = data;
    while rest.len() >= 3 {
        let dt = rest[0];
        let len = usize::from(u16::from_be_bytes([rest[1], rest[2]])).min(rest.len() - 3);
        let dg = &rest[3..3 + len];
        rest = &rest[3 + len..];
        now += u64::from(dt) * 100;
        if dt == 255 {
            r.handle_timeout(now);
        }
        let Ok(h) = Header::decode(dg) else { continue };
        if let Ok(Some(m)) = r.handle(now, &h, &dg[HEADER_LEN..]) {
            assert_eq!(
                m.data.len(),
                m.total_len as usize,
                "delivered length is total_len"
            );
            assert_eq!(
                (
                    m.kind,
                    m.src_node,
                    m.dst,
                    m.src_port,
                    m.dst_port,
                    m.message_id,
                    m.total_len,
                    m.frag_count
                ),
                (
                    h.kind,
                    h.src_node,
                    h.dst,
                    h.src_port,
                    h.dst_port,
                    h.message_id,
                    h.total_len,
                    h.frag_count
                ),
                "a message completes with the identity of its last fragment"
            );
            assert!(m.data.len() <= cfg.max_payload_bytes);
        }
        let s = r.stats();
        assert!(
            s.buffered_bytes <= cfg.max_buffered_bytes,
            "budget exceeded: {s:?}"
        );
        assert!(
            s.incomplete_messages <= cfg.max_incomplete_messages,
            "slots exceeded: {s:?}"
        );
        if let Some(t) = r.poll_timeout() {
            assert!(
                t <= now + FRAG_TIMEOUT_US,
                "expiry scheduled beyond the timeout: {t} > {now} + {FRAG_TIMEOUT_US}"
            );
        }
    }
    // Everything still incomplete expires by now + timeout; a later expiry is idempotent.
    let end = now + FRAG_TIMEOUT_US + 1;
    r.handle_timeout(end);
    r.handle_timeout(end);
    let s = r.stats();
    assert_eq!(
        (s.buffered_bytes, s.incomplete_messages),
        (0, 0),
        "memory back to idle: {s:?}"
    );
}

fn push_record(out: &mut Vec<u8>, dt: u8, dg: &[u8]) {
    out.push(dt);
    out.extend_from_slice(&(dg.len() as u16).to_be_bytes());
    out.extend_from_slice(dg);
}

fn seed_frag(rng: &mut Rng) -> Vec<u8> {
    let mut datagrams = Vec::new();
    for m in 0..1 + rng.below(3) {
        let len = rng.below(600);
        let payload = rng.bytes(len);
        let mut t = random_header(rng, 0);
        t.kind = PacketKind::Unicast;
        t.message_id = m as u32 + 1;
        let mtu = HEADER_LEN + 1 + rng.below(120);
        let Ok(frags) = fragment(&t, &payload, mtu, 1 << 16) else {
            continue;
        };
        datagrams.extend(frags);
    }
    // Shuffle a little, duplicate a few.
    for _ in 0..datagrams.len() / 2 {
        let (a, b) = (rng.below(datagrams.len()), rng.below(datagrams.len()));
        datagrams.swap(a, b);
    }
    let mut out = Vec::new();
    for dg in &datagrams {
        let dt = if rng.chance(20) {
            255
        } else {
            rng.below(4) as u8
        };
        push_record(&mut out, dt, dg);
        if rng.chance(10) {
            push_record(&mut out, 0, dg);
        }
    }
    out.truncate(4096);
    out
}

// ---------------------------------------------------------------------------------------
// lossless frames

pub fn lossless_frame(data: &[u8]) {
    if let Ok(f) = Frame::decode(data) {
        assert_eq!(
            f.encode(),
            data,
            "a decoded frame re-encodes to its bytes: {f:?}"
        );
        if let Frame::Manifest(m) = f {
            // A manifest that decodes describes a transfer whose geometry can be computed.
            if m.validate().is_ok() {
                assert!(m.block_count() >= 1);
            }
        }
    }
}

fn seed_lossless_frame(rng: &mut Rng) -> Vec<u8> {
    let round = rng.next_u32() % 100;
    let f = match rng.below(7) {
        0 => Frame::Manifest(Manifest {
            total_len: 1 + rng.next_u64() % 100_000_000,
            chunk_size: 1 + rng.below(1400) as u16,
            symbols_per_block: 1 + rng.below(2000) as u16,
            fec: rng.chance(2),
            checksum: rng.next_u32(),
            ports: Ports {
                src: rng.next_u64() as u16,
                dst: rng.next_u64() as u16,
            },
        }),
        1 => {
            let n = 1 + rng.below(100);
            let sym = rng.bytes(n);
            return nextmini_core::lossless::frame::encode_data(
                rng.below(50) as u32,
                rng.below(1 << 24) as u32,
                &sym,
            );
        }
        2 => Frame::StatusRequest { round },
        3 => Frame::Ready,
        4 | 5 => {
            let parts = 1 + rng.below(64) as u16;
            let n = 1 + rng.below(8);
            let body = if rng.chance(2) {
                NackBody::Ranges(
                    (0..n)
                        .map(|i| MissingRange {
                            start: i as u32 * 10,
                            len: 1 + rng.below(9) as u32,
                        })
                        .collect(),
                )
            } else {
                NackBody::Needs(
                    (0..n)
                        .map(|i| BlockNeed {
                            first_block: i as u32 * 3,
                            blocks: 1 + rng.below(2) as u32,
                            need: 1 + rng.below(50) as u16,
                        })
                        .collect(),
                )
            };
            Frame::Nack(Nack {
                round,
                part: rng.below(usize::from(parts)) as u16,
                parts,
                truncated: rng.chance(4),
                body,
            })
        }
        6 if rng.chance(2) => Frame::Done {
            checksum: rng.next_u32(),
        },
        _ => Frame::Abort,
    };
    f.encode()
}

// ---------------------------------------------------------------------------------------
// streams: frames from an attacker against an endpoint that listens and holds a connection

/// The input is a sequence of `{ u8 step_ms, u16 len, len bytes of frame }` records, each fed
/// to node 2's endpoint as if node 1 sent it, with time advancing by `step_ms`. Node 2 listens
/// on port 80 and already holds an open connection from node 1 port 5000 (so the frames can hit
/// every state). Properties: nothing panics; decodable frames round-trip; every frame the
/// endpoint sends decodes and fits the MTU; it never holds more connections than its limit.
pub fn stream(data: &[u8]) {
    use nextmini_core::stream::frame::Frame as SFrame;
    use nextmini_core::stream::{Event as SEvent, Read, StreamConfig, StreamEndpoint};
    let cfg = StreamConfig {
        max_connections: 8,
        backlog: 4,
        recv_window: 64 * 1024,
        ..StreamConfig::default()
    };
    let mut a = StreamEndpoint::new(1, 1400, cfg.clone(), 7).expect("valid config");
    let mut b = StreamEndpoint::new(2, 1400, cfg.clone(), 9).expect("valid config");
    b.listen(80).expect("a free port");
    let mut now = 1_000u64;
    let conn = a.connect(now, 2, 80, Some(5000)).expect("a free port");
    // The handshake, so the fuzzed frames also meet an open connection.
    for _ in 0..4 {
        while let Some(t) = a.poll_transmit(now) {
            b.handle_frame(now, 1, &t.frame);
        }
        while let Some(t) = b.poll_transmit(now) {
            a.handle_frame(now, 2, &t.frame);
        }
        now += 1_000;
    }
    let _ = a.write(now, conn, b"hello");
    while let Some(t) = a.poll_transmit(now) {
        b.handle_frame(now, 1, &t.frame);
    }
    let mut rest = data;
    while rest.len() >= 3 {
        let step = u64::from(rest[0]) * 1_000;
        let len = usize::from(u16::from_be_bytes([rest[1], rest[2]])).min(rest.len() - 3);
        let frame = &rest[3..3 + len];
        rest = &rest[3 + len..];
        if let Ok(f) = SFrame::decode(frame) {
            assert_eq!(
                SFrame::decode(&f.encode()).as_ref(),
                Ok(&f),
                "a decoded frame round-trips"
            );
        }
        now += step;
        b.handle_timeout(now);
        b.handle_frame(now, 1, frame);
        while let Some(t) = b.poll_transmit(now) {
            assert!(
                SFrame::decode(&t.frame).is_ok(),
                "the endpoint sent a frame it cannot decode"
            );
            assert!(
                t.frame.len() <= 1400 - HEADER_LEN,
                "a frame larger than the MTU allows"
            );
        }
        assert!(
            b.connections() <= cfg.max_connections,
            "{} connections",
            b.connections()
        );
        while let Some(ev) = b.poll_event() {
            if let SEvent::Readable(c) | SEvent::Accepted { conn: c, .. } = ev {
                // Read half of the time, so windows both fill and drain.
                if rest.len() % 2 == 0 {
                    while let Ok(Read::Data(_)) = b.read(c, 4096) {}
                }
            }
        }
    }
}

fn seed_stream(rng: &mut Rng) -> Vec<u8> {
    use nextmini_core::stream::frame::{Frame as SFrame, ACK, FIN, PING, RST, SYN};
    let mut out = Vec::new();
    for _ in 0..1 + rng.below(6) {
        let flags = [SYN, ACK, ACK | FIN, RST, PING | ACK, SYN | ACK][rng.below(6)];
        let seq = if rng.chance(2) {
            rng.next_u64() % 100_000
        } else {
            rng.next_u64()
        };
        let n = rng.below(3);
        let sacks = (0..n)
            .map(|i| {
                let s = seq + 100 + i as u64 * 1000;
                (s, s + 1 + rng.below(900) as u64)
            })
            .collect();
        let payload_len = rng.below(200);
        let f = SFrame {
            flags,
            src_port: if rng.chance(2) {
                5000
            } else {
                rng.next_u32() as u16
            },
            dst_port: if rng.chance(2) {
                80
            } else {
                rng.next_u32() as u16
            },
            seq,
            ack: rng.next_u64() % 100_000,
            window: rng.next_u32(),
            sacks,
            payload: rng.bytes(payload_len),
        };
        let bytes = f.encode();
        out.push(rng.below(50) as u8);
        out.extend_from_slice(&(bytes.len() as u16).to_be_bytes());
        out.extend_from_slice(&bytes);
    }
    out
}

// ---------------------------------------------------------------------------------------
// route and multicast tables

pub fn route_table(data: &[u8]) {
    if let Ok(t) = RouteTable::decode(data) {
        assert_eq!(
            t.encode(),
            data,
            "a decoded route table re-encodes to its bytes"
        );
        let wildcard = t
            .runs()
            .filter_map(|(first, hops)| Some((None, first, hops?)));
        let exact = t.exact_entries().map(|(s, d, h)| (Some(s), d, h));
        for (src, dst, hops) in exact.chain(wildcard) {
            assert!(!hops.is_empty() && dst != 0 && src != Some(0) && !hops.contains(&0));
            assert!(hops.windows(2).all(|w| w[0] < w[1]), "hops ascending");
            let flow = FlowKey::new(src.unwrap_or(u32::MAX), dst, 7, 9);
            let hop = t.select(&flow).expect("an entry routes its own flow");
            assert!(t.next_hops(flow.src, dst).is_some_and(|h| h.contains(&hop)));
        }
    }
}

fn seed_route_table(rng: &mut Rng) -> Vec<u8> {
    let mut t = RouteTable::new();
    for _ in 0..rng.below(12) {
        let src = if rng.chance(3) {
            Some(1 + rng.below(20) as u32)
        } else {
            None
        };
        let hops: Vec<u32> = (0..1 + rng.below(4))
            .map(|_| 1 + rng.below(30) as u32)
            .collect();
        let _ = t.set(src, 1 + rng.below(40) as u32, hops);
    }
    t.encode()
}

pub fn mcast_table(data: &[u8]) {
    if let Ok(t) = MulticastTable::decode(data) {
        assert_eq!(
            t.encode(),
            data,
            "a decoded multicast table re-encodes to its bytes"
        );
        for ((group, tree), e) in t.entries() {
            assert!(group != 0 && e.source != 0 && (e.local || !e.next_hops.is_empty()));
            assert!(
                e.next_hops.windows(2).all(|w| w[0] < w[1]),
                "hops ascending"
            );
            assert_eq!(t.lookup(group, tree), Some(e));
            let flow = FlowKey::new(e.source, group, 5, 6);
            if let Some(chosen) = t.choose_tree(&flow) {
                assert!(
                    t.lookup(group, chosen).is_some(),
                    "chose a tree the group has"
                );
            }
        }
    }
}

fn seed_mcast_table(rng: &mut Rng) -> Vec<u8> {
    let mut entries = BTreeMap::new();
    for _ in 0..rng.below(10) {
        let e = McEntry {
            source: 1 + rng.below(10) as u32,
            next_hops: (0..rng.below(4))
                .map(|_| 1 + rng.below(30) as u32)
                .collect(),
            local: rng.chance(2),
            weight: rng.below(5) as u32,
        };
        entries.insert((1 + rng.below(5) as u32, rng.below(4) as u16), e);
    }
    MulticastTable::from_entries(entries)
        .map(|t| t.encode())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------
// session: nodes 1 and 2, neighbours, exchanging unicast messages (and optionally one
// lossless session 1 -> 2) through a channel the input controls: each datagram in flight is
// passed, dropped, duplicated, delayed, mutated or truncated, and forged datagrams can be
// injected. Checks: no panic; every delivery has its declared length, comes from the other
// node and, when the run had no mutation or authentication is on, equals a message that was
// sent; a lossless session that completes delivers exactly the bytes sent.

/// Reads the input as a script; past its end, every read is 0 (pass everything).
struct Script<'a>(&'a [u8]);

impl Script<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
    fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.u8(), self.u8()])
    }
    fn done(&self) -> bool {
        self.0.is_empty()
    }
}

/// Bound on channel steps (datagrams moved plus timer firings) of one session run.
const STEPS: usize = 20_000;

fn session_node(id: u32, peer: u32, mtu: usize) -> Node {
    let mut n = Node::new(NodeConfig {
        node_id: id,
        mtu,
        ..NodeConfig::default()
    })
    .expect("valid node config");
    let mut t = RouteTable::new();
    t.set(None, peer, [peer]).expect("valid route");
    n.set_routes(t);
    n.set_neighbors([peer]);
    n.set_peers([peer]);
    n
}

pub fn session(data: &[u8]) {
    let mut s = Script(data);
    let flags = s.u8();
    let auth = flags & 1 != 0;
    let with_lossless = flags & 2 != 0;
    let mtu = 160 + usize::from(s.u16() % 1300);
    let mut nodes = [session_node(1, 2, mtu), session_node(2, 1, mtu)];
    if auth {
        let key = [0x5a; 32];
        for (i, n) in nodes.iter_mut().enumerate() {
            n.set_link_key(2 - i as u32, key);
            n.set_auth(true).expect("mtu leaves room for the trailer");
        }
    }
    let content_seed = u64::from(s.u16());
    let mut content = Rng::new(content_seed);
    // Messages sent, by (source, message id).
    let mut sent: BTreeMap<(u32, u32), Vec<u8>> = BTreeMap::new();
    let mut now = 0u64;
    let n_msgs = 1 + s.u8() % 6;
    for _ in 0..n_msgs {
        let from = 1 + usize::from(s.u8() & 1);
        let len = usize::from(s.u16()) % 6000;
        let payload = content.bytes(len);
        let to = 3 - from as u32;
        let args = SendArgs {
            dst_node: to,
            src_port: 1000,
            dst_port: 2000,
            payload: &payload,
        };
        if let Ok(id) = nodes[from - 1].send(now, args) {
            sent.insert((from as u32, id), payload);
        }
    }
    let mut lossless = None;
    if with_lossless {
        let len = 1 + usize::from(s.u16()) % 20_000;
        let data = Arc::new(content.bytes(len));
        let ports = Ports { src: 7, dst: 8 };
        let c = s.u8();
        let chunk = (c >= 128).then(|| 16 + u32::from(c - 128) * 8);
        let r = nodes[1].open_receiver(now, 1, Dest::Node(2), len as u64, chunk, ports);
        let snd = nodes[0].open_sender(now, Dest::Node(2), vec![2], data.clone(), chunk, ports);
        if let (Ok(r), Ok(snd)) = (r, snd) {
            lossless = Some((r, snd, data));
        }
    }

    // The channel: datagrams in flight, (to node index, bytes).
    let mut wire: VecDeque<(usize, Vec<u8>)> = VecDeque::new();
    let mut mutated = false;
    // Anything lost, cut or mutated: a clean run must deliver everything.
    let mut lossy = false;
    let mut delivered: BTreeMap<(u32, u32), usize> = BTreeMap::new();
    let mut receiver_done = false;
    let mut cut_short = true;
    for _step in 0..STEPS {
        for (i, n) in nodes.iter_mut().enumerate() {
            while let Some(t) = n.poll_transmit() {
                assert!(
                    t.datagram.len() <= mtu,
                    "datagram of {} bytes over the {mtu}-byte MTU",
                    t.datagram.len()
                );
                assert_eq!(t.next_hop, 2 - i as u32, "sent to the only neighbour");
                wire.push_back((1 - i, t.datagram));
            }
            while let Some(ev) = n.poll_event() {
                match ev {
                    Event::Delivery(d) => {
                        assert_eq!(
                            d.payload.len(),
                            d.total_len as usize,
                            "delivery has its declared length"
                        );
                        assert_eq!(d.dst, i as u32 + 1, "delivered here");
                        if !mutated || auth {
                            let want = sent.get(&(d.src_node, d.message_id));
                            assert_eq!(want, Some(&d.payload), "delivered payload is one that was sent (auth {auth}, mutated {mutated})");
                        }
                        *delivered.entry((d.src_node, d.message_id)).or_default() += 1;
                    }
                    Event::Lossless(nextmini_core::lossless::Event::Completed { id }) if i == 1 => {
                        if let Some((r, _, sent_data)) = &lossless {
                            if *r == id {
                                let got = n.take_session_data(id).expect("completed data");
                                assert!(
                                    got == **sent_data,
                                    "lossless session completed with other bytes than sent"
                                );
                                receiver_done = true;
                            }
                        }
                    }
                    Event::Lossless(_) => {}
                }
            }
        }
        if let Some((dst, mut dg)) = wire.pop_front() {
            let action = if s.done() { 0 } else { s.u8() };
            match action {
                0..=199 => nodes[dst].handle_datagram(now, 2 - dst as u32, &dg),
                200..=209 => lossy = true, // lost
                210..=219 => {
                    nodes[dst].handle_datagram(now, 2 - dst as u32, &dg);
                    nodes[dst].handle_datagram(now, 2 - dst as u32, &dg);
                }
                220..=229 => wire.push_back((dst, dg)), // reordered
                230..=247 => {
                    mutated = true;
                    lossy = true;
                    for _ in 0..1 + (action - 230) / 6 {
                        let p = usize::from(s.u16()) % dg.len().max(1);
                        let v = s.u8();
                        if let Some(b) = dg.get_mut(p) {
                            *b = if action & 1 == 0 {
                                v
                            } else {
                                *b ^ (1 << (v & 7))
                            };
                        }
                    }
                    nodes[dst].handle_datagram(now, 2 - dst as u32, &dg);
                }
                248..=251 => {
                    mutated = true;
                    lossy = true;
                    let keep = usize::from(s.u16()) % (dg.len() + 1);
                    dg.truncate(keep);
                    nodes[dst].handle_datagram(now, 2 - dst as u32, &dg);
                }
                252 => {
                    // From an unknown sender: must be dropped whatever it holds.
                    nodes[dst].handle_datagram(now, 77, &dg);
                    nodes[dst].handle_datagram(now, 2 - dst as u32, &dg);
                }
                _ => {
                    // Forged: a header built from the script, then script bytes as payload.
                    // With authentication on it is refused and disturbs nothing.
                    mutated = true;
                    lossy |= !auth;
                    let mut forged = dg[..dg.len().min(HEADER_LEN)].to_vec();
                    for b in forged
                        .iter_mut()
                        .skip(usize::from(s.u8()) % HEADER_LEN)
                        .take(4)
                    {
                        *b = s.u8();
                    }
                    let extra = usize::from(s.u8());
                    forged.extend((0..extra).map(|_| s.u8()));
                    nodes[dst].handle_datagram(now, 2 - dst as u32, &forged);
                    wire.push_back((dst, dg));
                }
            }
            continue;
        }
        // Quiet: advance virtual time to the next timer, or stop.
        let lossless_open = lossless
            .as_ref()
            .is_some_and(|(_, snd, _)| nodes[0].lossless().outcome(*snd).is_none());
        let next = nodes.iter().filter_map(Node::poll_timeout).min();
        match next {
            Some(t) if lossless_open || t <= now + 6_000_000 => {
                now = now.max(t);
                if now > 600_000_000 {
                    break;
                }
                for n in nodes.iter_mut() {
                    n.handle_timeout(now);
                }
            }
            _ => {
                cut_short = false;
                break;
            }
        }
    }
    // A run that lost nothing (reordering, duplicates and forgeries aside) and was not cut
    // short delivered every message, and its lossless session completed.
    if !lossy && !cut_short {
        for key in sent.keys() {
            assert!(
                delivered.contains_key(key),
                "message {key:?} was never delivered on a clean channel"
            );
        }
        if lossless.is_some() {
            assert!(
                receiver_done,
                "lossless session did not complete on a clean channel"
            );
        }
    }
}

fn seed_session(rng: &mut Rng) -> Vec<u8> {
    // The set-up bytes `session` reads, then the channel's bytes: none (a clean channel), rare
    // faults, or many.
    let mut v = vec![rng.below(4) as u8];
    v.extend_from_slice(&(rng.below(1300) as u16).to_be_bytes());
    v.extend(rng.bytes(2));
    let n_msgs = rng.below(6);
    v.push(n_msgs as u8);
    for _ in 0..=n_msgs {
        v.push(rng.below(2) as u8);
        let len = if rng.chance(2) {
            rng.below(1500)
        } else {
            rng.below(6000)
        };
        v.extend_from_slice(&(len as u16).to_be_bytes());
    }
    if v[0] & 2 != 0 {
        let len = if rng.chance(2) {
            rng.below(3000)
        } else {
            rng.below(20_000)
        };
        v.extend_from_slice(&(len as u16).to_be_bytes());
        v.push(rng.next_u64() as u8);
    }
    let fault_one_in = [0, 50, 8][rng.below(3)];
    if fault_one_in > 0 {
        for _ in 0..rng.below(300) {
            v.push(if rng.chance(fault_one_in) {
                200 + rng.below(56) as u8
            } else {
                rng.below(200) as u8
            });
        }
    }
    v
}
