//! A deterministic virtual-time network for stream tests. Each directed pair of nodes has a
//! [`LinkModel`] (the same link emulation the node engine applies: rate, queue limit, delay,
//! jitter with reordering, seeded loss); the sim adds seeded duplication. Every frame is
//! wrapped in a real dataplane [`Header`] of kind `Stream`, checked against the MTU, and
//! decoded again on delivery. A pair may be routed through a relay ([`Sim::route_via`]): a
//! node without an endpoint that forwards each datagram onto its own link, as a forwarding
//! node of the dataplane does, so paths of several emulated hops can be tested.
//!
//! The application side is simple: writers push a prepared buffer as fast as the endpoint
//! takes it (then close), readers drain every connection of their node unless paused.

use super::{ConnId, Event, Read, StreamConfig, StreamEndpoint, Transmit};
use crate::link::rng::Rng;
use crate::link::{Enqueue, LinkModel, LinkParams};
use crate::wire::{Header, PacketKind, HEADER_LEN};
use std::collections::BTreeMap;

pub const MTU: usize = 1400;

pub struct Writer {
    pub node: u32,
    pub conn: ConnId,
    pub data: Vec<u8>,
    pub written: usize,
    pub close_when_done: bool,
    closed: bool,
}

#[derive(Default)]
pub struct Received {
    pub bytes: Vec<u8>,
    pub eof: bool,
    pub last_at: u64,
    pub first_at: Option<u64>,
}

pub struct Sim {
    pub now: u64,
    /// Datagram size of nodes added from now on (default [`MTU`]).
    pub mtu: usize,
    pub nodes: BTreeMap<u32, StreamEndpoint>,
    links: BTreeMap<(u32, u32), LinkModel<Vec<u8>>>,
    /// Next hop from a node towards a destination, where it is not the destination itself.
    via: BTreeMap<(u32, u32), u32>,
    default_link: LinkParams,
    dup_p: f64,
    rng: Rng,
    pub events: BTreeMap<u32, Vec<(u64, Event)>>,
    pub writers: Vec<Writer>,
    pub received: BTreeMap<(u32, ConnId), Received>,
    pub paused: BTreeMap<u32, bool>,
    /// Connections each node's application reads from.
    open: BTreeMap<u32, Vec<ConnId>>,
    pub dropped: u64,
    pub duplicated: u64,
    pub frames: u64,
    /// Nodes whose frames vanish (a crashed or unplugged peer).
    pub silent: Vec<u32>,
    /// Per node, the longest time between two frames it sent (idle senders show here).
    pub max_send_gap: BTreeMap<u32, u64>,
    last_send: BTreeMap<u32, u64>,
}

impl Sim {
    pub fn new(seed: u64, link: LinkParams, dup_p: f64) -> Sim {
        Sim {
            now: 0,
            mtu: MTU,
            nodes: BTreeMap::new(),
            links: BTreeMap::new(),
            via: BTreeMap::new(),
            default_link: LinkParams { seed, ..link },
            dup_p,
            rng: Rng::new(seed ^ 0xd0b1e),
            events: BTreeMap::new(),
            writers: Vec::new(),
            received: BTreeMap::new(),
            paused: BTreeMap::new(),
            open: BTreeMap::new(),
            dropped: 0,
            duplicated: 0,
            frames: 0,
            silent: Vec::new(),
            max_send_gap: BTreeMap::new(),
            last_send: BTreeMap::new(),
        }
    }

    pub fn add_node(&mut self, id: u32, cfg: StreamConfig) {
        let ep =
            StreamEndpoint::new(id, self.mtu, cfg, 0x5eed ^ u64::from(id)).expect("valid config");
        self.nodes.insert(id, ep);
    }

    /// Replaces `node`'s endpoint by a fresh one, as a restarted process would have: its
    /// connections are forgotten without telling anyone.
    pub fn restart(&mut self, node: u32, cfg: StreamConfig, seed: u64) {
        let ep = StreamEndpoint::new(node, self.mtu, cfg, seed).expect("valid config");
        self.nodes.insert(node, ep);
        self.open.remove(&node);
        self.received.retain(|(n, _), _| *n != node);
        self.writers.retain(|w| w.node != node);
        self.events.remove(&node);
    }

    /// Sets the link from `a` to `b` (each direction is its own link).
    pub fn set_link(&mut self, a: u32, b: u32, params: LinkParams) {
        let seed = self.default_link.seed ^ (u64::from(a) << 32 | u64::from(b));
        self.links.insert(
            (a, b),
            LinkModel::new(LinkParams { seed, ..params }).expect("valid link"),
        );
    }

    /// Frames between `a` and `b` (both ways) travel through `relay`: `a → relay → b`,
    /// each hop its own link (see [`Self::set_link`]).
    pub fn route_via(&mut self, a: u32, b: u32, relay: u32) {
        self.via.insert((a, b), relay);
        self.via.insert((b, a), relay);
    }

    fn next_hop(&self, at: u32, dst: u32) -> u32 {
        self.via.get(&(at, dst)).copied().unwrap_or(dst)
    }

    /// Puts a datagram for `dst` on the link from `at` to its next hop.
    fn forward(&mut self, at: u32, dst: u32, dg: Vec<u8>) {
        let hop = self.next_hop(at, dst);
        let (now, size) = (self.now, dg.len());
        if let Enqueue::Dropped(_) = self.link(at, hop).enqueue(now, dg, size) {
            self.dropped += 1;
        }
    }

    fn link(&mut self, a: u32, b: u32) -> &mut LinkModel<Vec<u8>> {
        let params = self.default_link;
        self.links.entry((a, b)).or_insert_with(|| {
            let seed = params.seed ^ (u64::from(a) << 32 | u64::from(b));
            LinkModel::new(LinkParams { seed, ..params }).expect("valid link")
        })
    }

    pub fn ep(&mut self, node: u32) -> &mut StreamEndpoint {
        self.nodes.get_mut(&node).expect("node exists")
    }

    pub fn write_all(&mut self, node: u32, conn: ConnId, data: Vec<u8>, close_when_done: bool) {
        self.writers.push(Writer {
            node,
            conn,
            data,
            written: 0,
            close_when_done,
            closed: false,
        });
    }

    fn send(&mut self, from: u32, t: Transmit) {
        self.frames += 1;
        if let Some(last) = self.last_send.insert(from, self.now) {
            let gap = self.max_send_gap.entry(from).or_default();
            *gap = (*gap).max(self.now - last);
        }
        if self.silent.contains(&from) {
            return;
        }
        let len = u16::try_from(t.frame.len()).expect("frame fits a datagram");
        let h = Header {
            total_len: u32::from(len),
            payload_len: len,
            ..Header::originate(PacketKind::Stream, from, t.dst_node, t.src_port, t.dst_port)
        };
        let dg = h.datagram(&t.frame);
        assert!(
            dg.len() <= MTU,
            "datagram of {} bytes exceeds the MTU {MTU}",
            dg.len()
        );
        let copies = if self.dup_p > 0.0 && self.rng.chance(self.dup_p) {
            2
        } else {
            1
        };
        self.duplicated += copies - 1;
        for _ in 0..copies {
            self.forward(from, t.dst_node, dg.clone());
        }
    }

    /// Lets applications act, then drains every endpoint's transmits and events.
    fn pump(&mut self) {
        let now = self.now;
        for w in &mut self.writers {
            let ep = self.nodes.get_mut(&w.node).expect("node exists");
            while w.written < w.data.len() {
                match ep.write(now, w.conn, &w.data[w.written..]) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => w.written += n,
                }
            }
            if w.written == w.data.len() && w.close_when_done && !w.closed {
                w.closed = true;
                let _ = ep.close(now, w.conn);
            }
        }
        let ids: Vec<u32> = self.nodes.keys().copied().collect();
        for id in ids {
            if !self.paused.get(&id).copied().unwrap_or(false) {
                self.read_all(id);
            }
            loop {
                let ep = self.nodes.get_mut(&id).expect("node exists");
                let Some(t) = ep.poll_transmit(now) else {
                    break;
                };
                self.send(id, t);
            }
            let ep = self.nodes.get_mut(&id).expect("node exists");
            while let Some(e) = ep.poll_event() {
                if let Event::Connected(c) | Event::Accepted { conn: c, .. } = e {
                    self.open.entry(id).or_default().push(c);
                }
                self.events.entry(id).or_default().push((now, e));
            }
        }
    }

    /// Reads everything readable on every connection of `node`.
    pub fn read_all(&mut self, node: u32) {
        let now = self.now;
        let ep = self.nodes.get_mut(&node).expect("node exists");
        let conns: Vec<ConnId> = self
            .open
            .get(&node)
            .into_iter()
            .flatten()
            .copied()
            .collect();
        for c in conns {
            loop {
                match ep.read(c, 64 * 1024) {
                    Ok(Read::Data(d)) => {
                        let r = self.received.entry((node, c)).or_default();
                        r.first_at.get_or_insert(now);
                        r.last_at = now;
                        r.bytes.extend_from_slice(&d);
                    }
                    Ok(Read::Eof) => {
                        self.received.entry((node, c)).or_default().eof = true;
                        break;
                    }
                    _ => break,
                }
            }
        }
    }

    fn next_time(&self) -> Option<u64> {
        let links = self.links.values().filter_map(|l| l.poll_timeout());
        let eps = self.nodes.values().filter_map(|e| e.poll_timeout());
        links.chain(eps).min()
    }

    /// Advances to the next event; false when nothing is left before `limit`.
    pub fn step(&mut self, limit: u64) -> bool {
        self.pump();
        let Some(t) = self.next_time() else {
            return false;
        };
        if t > limit {
            return false;
        }
        self.now = self.now.max(t);
        let now = self.now;
        let keys: Vec<(u32, u32)> = self.links.keys().copied().collect();
        for (a, b) in keys {
            while let Some(dg) = self.links.get_mut(&(a, b)).expect("listed").poll(now) {
                let h = Header::decode(&dg).expect("the sim builds valid datagrams");
                assert_eq!(h.kind, PacketKind::Stream);
                if h.dst != b {
                    // `b` relays it.
                    self.forward(b, h.dst, dg);
                    continue;
                }
                assert!(h.src_node == a || self.via.get(&(h.src_node, b)) == Some(&a));
                if let Some(ep) = self.nodes.get_mut(&b) {
                    ep.handle_frame(now, h.src_node, &dg[HEADER_LEN..]);
                }
            }
        }
        for ep in self.nodes.values_mut() {
            if ep.poll_timeout().is_some_and(|t| t <= now) {
                ep.handle_timeout(now);
            }
        }
        self.pump();
        true
    }

    /// Runs until `done` holds or nothing is left before `limit`. Panics if time stops.
    pub fn run_until(&mut self, limit: u64, mut done: impl FnMut(&Sim) -> bool) -> bool {
        let (mut same, mut last) = (0u32, self.now);
        loop {
            if done(self) {
                return true;
            }
            if !self.step(limit) {
                return done(self);
            }
            if self.now == last {
                same += 1;
                if same > 99_990 {
                    let links: Vec<_> = self
                        .links
                        .iter()
                        .map(|(k, l)| (*k, l.poll_timeout()))
                        .collect();
                    let eps: Vec<_> = self
                        .nodes
                        .iter()
                        .map(|(k, e)| (*k, e.poll_timeout(), e.debug_state()))
                        .collect();
                    eprintln!("stuck: links {links:?} eps {eps:?}");
                }
                assert!(same < 100_000, "simulation stuck at t = {} µs", self.now);
            } else {
                (same, last) = (0, self.now);
            }
        }
    }

    pub fn events_of(&self, node: u32) -> Vec<Event> {
        self.events
            .get(&node)
            .into_iter()
            .flatten()
            .map(|(_, e)| e.clone())
            .collect()
    }

    /// The connection `node` accepted on `port` (the first one).
    pub fn accepted(&self, node: u32) -> Vec<ConnId> {
        self.events_of(node)
            .into_iter()
            .filter_map(|e| match e {
                Event::Accepted { conn, .. } => Some(conn),
                _ => None,
            })
            .collect()
    }
}

/// Pseudo-random test bytes.
pub fn bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut r = Rng::new(seed);
    let mut out = Vec::with_capacity(n + 8);
    while out.len() < n {
        out.extend_from_slice(&r.next_u64().to_le_bytes());
    }
    out.truncate(n);
    out
}
