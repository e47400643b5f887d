//! A deterministic simulated network for lossless tests: virtual time, a seeded PRNG,
//! per-receiver independent loss, duplication, reordering jitter, and optionally a
//! bandwidth-limited ingress queue per node (tail drop) to model a receiver socket,
//! corruption (a byte of the frame or its trailer flipped), and tampering (a DATA frame to one
//! node changed and sealed again, which the per-frame trailer cannot catch).
//!
//! Every frame an endpoint emits is wrapped in a real dataplane [`Header`] and decoded again
//! on delivery, and the sim asserts each one fits the MTU.

use super::frame::{seal, unseal, Frame, TRAILER_LEN};
use super::{Dest, Endpoint, Event, LosslessConfig, Transmit};
use crate::wire::{Header, PacketKind, DEFAULT_HOP_LIMIT, HEADER_LEN};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

/// xorshift64*: small, seedable, good enough for loss decisions.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }
    /// True with probability `ppm / 10^6`.
    pub fn chance(&mut self, ppm: u32) -> bool {
        self.below(1_000_000) < u64::from(ppm)
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| (self.next_u64() >> 56) as u8).collect()
    }
}

#[derive(Debug, Clone, Copy)]
pub struct NetConfig {
    pub loss_ppm: u32,
    pub dup_ppm: u32,
    pub latency_us: u64,
    /// Extra uniform delay in `[0, jitter_us)`; reorders frames.
    pub jitter_us: u64,
    /// Per-node ingress rate (bytes/s) with a `queue_bytes` tail-drop queue.
    pub bandwidth: Option<u64>,
    pub queue_bytes: u64,
    /// Chance per delivered copy that one byte of the lossless frame (trailer included) is
    /// flipped in flight.
    pub corrupt_ppm: u32,
    /// `(node, n)`: the n-th DATA frame (from 0) delivered to `node` gets its first symbol
    /// byte flipped and is sealed again, as a faulty hop that recomputes checksums would.
    pub tamper: Option<(u32, u64)>,
    /// Timers fire this long after their deadline, as a host's event loop wakes late.
    pub timer_late_us: u64,
    /// `(node, ppm)`: extra loss on every copy to or from `node`, as one lossy link on that
    /// receiver's path of a tree (the other receivers see only `loss_ppm`).
    pub node_loss: Option<(u32, u32)>,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            loss_ppm: 0,
            dup_ppm: 0,
            latency_us: 500,
            jitter_us: 0,
            bandwidth: None,
            queue_bytes: 256 * 1024,
            corrupt_ppm: 0,
            tamper: None,
            timer_late_us: 0,
            node_loss: None,
        }
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub struct NetStats {
    pub sent: u64,
    pub lost: u64,
    pub overflowed: u64,
    pub duplicated: u64,
    pub corrupted: u64,
    pub tampered: u64,
    pub delivered: u64,
    pub largest_frame: usize,
}

pub struct SimNode {
    pub ep: Endpoint,
    pub alive: bool,
    pub events: Vec<Event>,
    link_free_at: u64,
}

struct InFlight {
    from: u32,
    to: u32,
    dest: Dest,
    datagram: Vec<u8>,
}

pub struct Sim {
    pub now: u64,
    pub mtu: usize,
    pub net: NetConfig,
    rng: Rng,
    pub nodes: BTreeMap<u32, SimNode>,
    groups: BTreeMap<u32, Vec<u32>>,
    queue: BinaryHeap<Reverse<(u64, u64)>>,
    in_flight: BTreeMap<u64, InFlight>,
    seq: u64,
    data_frames_to: BTreeMap<u32, u64>,
    pub stats: NetStats,
}

impl Sim {
    pub fn new(seed: u64, mtu: usize, net: NetConfig) -> Sim {
        Sim {
            now: 0,
            mtu,
            net,
            rng: Rng::new(seed),
            nodes: BTreeMap::new(),
            groups: BTreeMap::new(),
            queue: BinaryHeap::new(),
            in_flight: BTreeMap::new(),
            seq: 0,
            data_frames_to: BTreeMap::new(),
            stats: NetStats::default(),
        }
    }

    pub fn add_node(&mut self, id: u32, config: LosslessConfig) {
        let seed = self.rng.next_u64();
        let ep = Endpoint::new(id, self.mtu, config, seed).expect("valid endpoint");
        self.nodes.insert(
            id,
            SimNode {
                ep,
                alive: true,
                events: Vec::new(),
                link_free_at: 0,
            },
        );
    }

    pub fn join(&mut self, group: u32, node: u32) {
        self.groups.entry(group).or_default().push(node);
    }

    pub fn ep(&mut self, node: u32) -> &mut Endpoint {
        &mut self.nodes.get_mut(&node).expect("node exists").ep
    }

    /// Drains a node's transmits onto the network and its events into its log.
    pub fn pump(&mut self, node: u32) {
        let mut out: Vec<Transmit> = Vec::new();
        {
            let n = self.nodes.get_mut(&node).expect("node exists");
            while let Some(t) = n.ep.poll_transmit() {
                out.push(t);
            }
            while let Some(e) = n.ep.poll_event() {
                n.events.push(e);
            }
        }
        for t in out {
            self.send(node, t);
        }
    }

    fn send(&mut self, from: u32, t: Transmit) {
        let max = self.mtu - HEADER_LEN;
        assert!(
            t.frame.len() <= max,
            "frame of {} bytes exceeds mtu - 40 = {max}",
            t.frame.len()
        );
        self.stats.largest_frame = self.stats.largest_frame.max(t.frame.len());
        let len = t.frame.len() as u16;
        let dst = match t.dest {
            Dest::Group(g) | Dest::Node(g) => g,
        };
        let header = Header {
            kind: PacketKind::Lossless,
            hop_limit: DEFAULT_HOP_LIMIT,
            src_node: from,
            dst,
            src_port: 0,
            dst_port: 0,
            message_id: 0,
            frag_index: 0,
            frag_count: 1,
            total_len: u32::from(len),
            session_id: t.session_id,
            tree_id: 0,
            payload_len: len,
        };
        let datagram = header.datagram(&t.frame);
        assert!(datagram.len() <= self.mtu);
        let targets: Vec<u32> = match t.dest {
            Dest::Group(g) => self
                .groups
                .get(&g)
                .into_iter()
                .flatten()
                .copied()
                .filter(|&n| n != from)
                .collect(),
            Dest::Node(n) => vec![n],
        };
        self.stats.sent += 1;
        for to in targets {
            if self.rng.chance(self.net.loss_ppm) {
                self.stats.lost += 1;
                continue;
            }
            if let Some((node, ppm)) = self.net.node_loss {
                if (node == to || node == from) && self.rng.chance(ppm) {
                    self.stats.lost += 1;
                    continue;
                }
            }
            let copies = if self.rng.chance(self.net.dup_ppm) {
                2
            } else {
                1
            };
            self.stats.duplicated += copies - 1;
            for _ in 0..copies {
                let mut at = self.now + self.net.latency_us + self.rng.below(self.net.jitter_us);
                if let (Some(bw), Some(node)) = (self.net.bandwidth, self.nodes.get_mut(&to)) {
                    let start = at.max(node.link_free_at);
                    let backlog = (start - at) as u128 * u128::from(bw) / 1_000_000;
                    if backlog > u128::from(self.net.queue_bytes) {
                        self.stats.overflowed += 1;
                        continue;
                    }
                    node.link_free_at = start + (datagram.len() as u64 * 1_000_000).div_ceil(bw);
                    at = node.link_free_at;
                }
                self.seq += 1;
                self.queue.push(Reverse((at, self.seq)));
                let mut dg = datagram.clone();
                if self.net.corrupt_ppm > 0 && self.rng.chance(self.net.corrupt_ppm) {
                    let i = HEADER_LEN + self.rng.below((dg.len() - HEADER_LEN) as u64) as usize;
                    dg[i] ^= 1 + self.rng.below(255) as u8;
                    self.stats.corrupted += 1;
                }
                self.tamper(from, to, t.session_id, &mut dg);
                self.in_flight.insert(
                    self.seq,
                    InFlight {
                        from,
                        to,
                        dest: t.dest,
                        datagram: dg,
                    },
                );
            }
        }
    }

    fn tamper(&mut self, from: u32, to: u32, session_id: u32, dg: &mut Vec<u8>) {
        let Some((node, nth)) = self.net.tamper else {
            return;
        };
        if node != to {
            return;
        }
        let is_data = unseal(from, session_id, &dg[HEADER_LEN..])
            .is_some_and(|f| matches!(Frame::decode(f), Ok(Frame::Data { .. })));
        if !is_data {
            return;
        }
        let count = self.data_frames_to.entry(to).or_insert(0);
        *count += 1;
        if *count - 1 != nth {
            return;
        }
        let mut frame = dg[HEADER_LEN..dg.len() - TRAILER_LEN].to_vec();
        frame[super::frame::DATA_HEADER_LEN] ^= 0xff;
        seal(from, session_id, &mut frame);
        dg.truncate(HEADER_LEN);
        dg.extend_from_slice(&frame);
        self.stats.tampered += 1;
    }

    fn next_time(&self) -> Option<u64> {
        let pkt = self.queue.peek().map(|Reverse((t, _))| *t);
        let timer = self
            .nodes
            .values()
            .filter(|n| n.alive)
            .filter_map(|n| n.ep.poll_timeout())
            .min()
            .map(|d| d + self.net.timer_late_us);
        match (pkt, timer) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Advances to the next event; false when nothing is left to do before `limit`.
    pub fn step(&mut self, limit: u64) -> bool {
        let Some(t) = self.next_time() else {
            return false;
        };
        if t > limit {
            return false;
        }
        self.now = self.now.max(t);
        while let Some(Reverse((at, seq))) = self.queue.peek().copied() {
            if at > self.now {
                break;
            }
            self.queue.pop();
            let p = self.in_flight.remove(&seq).expect("queued");
            let Some(node) = self.nodes.get_mut(&p.to) else {
                continue;
            };
            if !node.alive {
                continue;
            }
            self.stats.delivered += 1;
            let h = Header::decode(&p.datagram).expect("sim builds valid headers");
            assert_eq!(h.src_node, p.from);
            node.ep.handle_frame(
                self.now,
                p.from,
                p.dest,
                h.session_id,
                &p.datagram[HEADER_LEN..],
            );
            self.pump(p.to);
        }
        let due: Vec<u32> = self
            .nodes
            .iter()
            .filter(|(_, n)| {
                n.alive
                    && n.ep
                        .poll_timeout()
                        .is_some_and(|d| d + self.net.timer_late_us <= self.now)
            })
            .map(|(&id, _)| id)
            .collect();
        for id in due {
            let now = self.now;
            self.ep(id).handle_timeout(now);
            self.pump(id);
        }
        true
    }

    /// Runs until `done` holds or nothing is left before `limit` (virtual µs). Panics if
    /// time stops advancing (a timer that never clears).
    pub fn run_until(&mut self, limit: u64, mut done: impl FnMut(&mut Sim) -> bool) -> bool {
        let mut same_time_steps = 0u32;
        let mut last = self.now;
        loop {
            if done(self) {
                return true;
            }
            if !self.step(limit) {
                return done(self);
            }
            if self.now == last {
                same_time_steps += 1;
                assert!(
                    same_time_steps < 100_000,
                    "simulation stuck at t = {} µs",
                    self.now
                );
            } else {
                same_time_steps = 0;
                last = self.now;
            }
        }
    }

    /// When `node`'s ingress link has sent everything queued for it so far (bandwidth only).
    pub fn link_free_at(&self, node: u32) -> u64 {
        self.nodes[&node].link_free_at
    }

    pub fn events(&self, node: u32) -> &[Event] {
        &self.nodes[&node].events
    }
}
