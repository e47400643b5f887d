//! The node engine: one per dataplane node, sans-IO.
//!
//! # Drive loop
//!
//! The host (TypeScript) owns the sockets and the clock and drives the engine like this:
//!
//! ```text
//! loop {
//!     on datagram(s) from a link:   node.handle_datagram(now, from, bytes)
//!     on an application send:       node.send(now, args)?
//!     on the timer firing:          node.handle_timeout(now)
//!     then, after every call:
//!         while let Some(t) = node.poll_transmit() { send t.datagram to t.next_hop's address }
//!         while let Some(e) = node.poll_event()    { dispatch e to the application }
//!         arm the single timer at node.poll_timeout()   // None = no timer needed
//! }
//! ```
//!
//! Calls never reach out to the host; everything they produce is queued and drained by the
//! `poll_*` calls afterwards. A timeout that fires early or twice does nothing.
//!
//! # Who may send to this node
//!
//! `from` is the link-level sender as the host's transport identified it (0 = unknown). A
//! datagram is taken only from a neighbour (`set_neighbors`: topology neighbours; in max mode
//! every peer), or from a peer (`set_peers`) when it ends here (unicast or lossless to this
//! node: what a max-mode node sends straight to its destination). Everything else is counted
//! as `not_a_peer` and neither delivered nor forwarded. With authentication on
//! (`set_auth`, `set_link_key`; see [`crate::auth`]) every datagram also carries a per-hop tag
//! under the key of its link, checked before anything else looks at it.
//!
//! # What is forwarded or delivered
//!
//! Only what could be legitimate: a hop limit in `1..=`[`DEFAULT_HOP_LIMIT`] (what every node
//! originates with; anything else is `hop_limit_range`); for unicast and lossless datagrams a
//! source node this node knows of (its peers, neighbours, route table and multicast trees:
//! else `unknown_source`) and, to forward, a destination it knows of (else
//! `unknown_destination`; known but unroutable is `no_route`); for group datagrams a group
//! and tree it holds whose source is the packet's source (else `unknown_group`). Fragments
//! that end here go to the reassembler with the link-level sender, which shares its slots and
//! bytes fairly between senders and their sources (see [`crate::frag`]).

mod config;
mod egress;
mod event;
mod lossless;
mod multicast;
mod stats;
mod stream;

pub use config::{NodeConfig, NodeConfigError, OperatingMode};
pub use event::{Delivery, Event, Transmit};
pub use multicast::GroupSendArgs;
pub use stats::{DropReason, NodeStats};

use crate::auth::{AuthDrop, LinkAuth, KEY_LEN, TRAILER_LEN};
use crate::error::{CoreError, ErrorCode};
use crate::frag::{fragment, FragError, Fragments, Reassembler, ReassemblyDrop};
use crate::link::{LinkParamError, LinkParams, LinkStats};
use crate::lossless::Endpoint;
use crate::stream::{StreamConfig, StreamEndpoint};
use crate::topology::{FlowKey, MulticastTable, RouteTable};
use crate::wire::{Header, PacketKind, DEFAULT_HOP_LIMIT, HEADER_LEN};
pub use egress::FlowWeightError;
use egress::{Egress, LinkDrop};
use std::collections::{BTreeSet, VecDeque};
use std::fmt;

/// What the application asks to send.
#[derive(Debug, Clone, Copy)]
pub struct SendArgs<'a> {
    pub dst_node: u32,
    pub src_port: u16,
    pub dst_port: u16,
    pub payload: &'a [u8],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    NoRoute {
        dst: u32,
    },
    /// This node holds no tree of the group as its source.
    NoGroupRoute {
        group: u32,
    },
    QueueFull {
        needed: usize,
        free: usize,
    },
    Fragment(FragError),
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::NoRoute { dst } => write!(f, "no route to node {dst}"),
            SendError::NoGroupRoute { group } => write!(
                f,
                "this node has no routes for group {group} as its source (create the group here and set its routes first)"
            ),
            SendError::QueueFull { needed, free } => {
                write!(
                    f,
                    "transmit queue full: message needs {needed} datagrams, {free} free"
                )
            }
            SendError::Fragment(e) => e.fmt(f),
        }
    }
}

impl CoreError for SendError {
    fn code(&self) -> ErrorCode {
        match self {
            SendError::NoRoute { .. } | SendError::NoGroupRoute { .. } => ErrorCode::NoRoute,
            SendError::QueueFull { .. } => ErrorCode::QueueFull,
            SendError::Fragment(e) => e.code(),
        }
    }
}

pub struct Node {
    cfg: NodeConfig,
    routes: RouteTable,
    mcast: MulticastTable,
    /// Nodes whose data address the host knows (all of them in max mode).
    peers: BTreeSet<u32>,
    /// Nodes this node takes any datagram from (topology neighbours; max mode: all peers).
    neighbors: BTreeSet<u32>,
    /// Every node id this node knows of: itself, peers, neighbours, and the nodes named in its
    /// route table (but its wildcard destinations) and multicast trees. Datagrams from or to anyone else are not legitimate.
    known: BTreeSet<u32>,
    auth: LinkAuth,
    next_message_id: u32,
    egress: Egress,
    events: VecDeque<Event>,
    reassembler: Reassembler,
    lossless: Endpoint,
    stream: StreamEndpoint,
    /// Inside `handle_datagram_batch`: stream frames are handled as they come, but the
    /// endpoint's answers wait for the end of the batch (see there).
    stream_batching: bool,
    stats: NodeStats,
    /// Last expiry count seen from the reassembler, to count new expiries as drops.
    expired_seen: u64,
    /// Last eviction count seen from the reassembler, likewise.
    evicted_seen: u64,
}

impl Node {
    pub fn new(cfg: NodeConfig) -> Result<Node, NodeConfigError> {
        cfg.validate()?;
        // Seeded from the node id: wire session ids differ between nodes, runs stay repeatable.
        let seed = 0x6e65_7874_6d69_6e69 ^ u64::from(cfg.node_id);
        let lossless =
            Endpoint::new(cfg.node_id, cfg.mtu, cfg.lossless.clone(), seed).map_err(|e| {
                NodeConfigError {
                    key: "lossless_runtime_config",
                    reason: e.to_string(),
                }
            })?;
        // Initial sequence numbers only tell connection incarnations apart: a seed from the
        // node id keeps runs repeatable.
        let stream = StreamEndpoint::new(cfg.node_id, cfg.mtu, StreamConfig::default(), seed)
            .map_err(|e| NodeConfigError {
                key: "mtu",
                reason: e.to_string(),
            })?;
        let reassembler = Reassembler::new(cfg.reassembly()).map_err(|e| NodeConfigError {
            key: "max_payload_bytes",
            reason: e.to_string(),
        })?;
        let auth = LinkAuth::new(cfg.node_id);
        let known = BTreeSet::from([cfg.node_id]);
        Ok(Node {
            cfg,
            routes: RouteTable::new(),
            mcast: MulticastTable::new(),
            peers: BTreeSet::new(),
            neighbors: BTreeSet::new(),
            known,
            auth,
            next_message_id: 1,
            egress: Egress::default(),
            events: VecDeque::new(),
            reassembler,
            lossless,
            stream,
            stream_batching: false,
            stats: NodeStats::default(),
            expired_seen: 0,
            evicted_seen: 0,
        })
    }

    pub fn node_id(&self) -> u32 {
        self.cfg.node_id
    }

    pub fn config(&self) -> &NodeConfig {
        &self.cfg
    }

    /// Replaces the unicast route table (as computed by the controller).
    pub fn set_routes(&mut self, routes: RouteTable) {
        self.routes = routes;
        self.refresh_known();
    }

    /// Sets the nodes the host can reach directly (their data addresses are known).
    pub fn set_peers(&mut self, peers: impl IntoIterator<Item = u32>) {
        self.peers = peers.into_iter().collect();
        self.refresh_known();
    }

    /// Sets the nodes this node takes any datagram from: its topology neighbours (in max mode,
    /// every peer). See the module docs for what a peer that is not a neighbour may send.
    pub fn set_neighbors(&mut self, neighbors: impl IntoIterator<Item = u32>) {
        self.neighbors = neighbors.into_iter().collect();
        self.refresh_known();
    }

    /// Recomputes [`Self::is_known`]'s set after the view of the network changed.
    fn refresh_known(&mut self) {
        let mut known = BTreeSet::from([self.cfg.node_id]);
        known.extend(&self.peers);
        known.extend(&self.neighbors);
        // Route destinations are asked of the table itself (`is_known`): copying them here
        // would cost every node a set of all N ids.
        known.extend(self.routes.named_nodes());
        for (_, e) in self.mcast.entries() {
            known.insert(e.source);
            known.extend(&e.next_hops);
        }
        self.known = known;
    }

    /// Whether `node` is part of the network as this node sees it.
    pub fn is_known(&self, node: u32) -> bool {
        self.known.contains(&node) || self.routes.reaches(node)
    }

    /// Turns per-hop authentication on or off. On, every datagram carries a
    /// [`TRAILER_LEN`]-byte trailer, so messages are fragmented (and lossless sessions opened
    /// from now on are chunked) to `mtu - TRAILER_LEN`, and the wire stays within `mtu`.
    /// Fails, changing nothing, when that leaves too little room.
    pub fn set_auth(&mut self, on: bool) -> Result<(), NodeConfigError> {
        let mtu = if on {
            self.cfg.mtu.saturating_sub(TRAILER_LEN)
        } else {
            self.cfg.mtu
        };
        let before = self.datagram_mtu();
        let room = |e: String| NodeConfigError {
            key: "mtu",
            reason: format!(
                "leaves no room for the {TRAILER_LEN}-byte authentication trailer: {e}"
            ),
        };
        self.stream.set_mtu(mtu).map_err(|e| room(e.to_string()))?;
        if let Err(e) = self.lossless.set_mtu(mtu) {
            // Change nothing: the stream endpoint goes back to the size it had.
            let _ = self.stream.set_mtu(before);
            return Err(room(e.to_string()));
        }
        self.auth.set_on(on);
        Ok(())
    }

    pub fn auth_on(&self) -> bool {
        self.auth.is_on()
    }

    /// Installs the key of the link to `neighbor`; its key before becomes the previous one,
    /// still accepted on receipt until the next change. The key in use changes nothing.
    pub fn set_link_key(&mut self, neighbor: u32, key: [u8; KEY_LEN]) {
        self.auth.set_key(neighbor, key);
    }

    /// The largest datagram this node builds before any trailer.
    fn datagram_mtu(&self) -> usize {
        if self.auth.is_on() {
            self.cfg.mtu - TRAILER_LEN
        } else {
            self.cfg.mtu
        }
    }

    pub fn set_operating_mode(&mut self, mode: OperatingMode) {
        self.cfg.operating_mode = mode;
    }

    pub fn stats(&self) -> &NodeStats {
        &self.stats
    }

    /// Datagrams held in the engine: ready for the host, or inside an emulated link.
    pub fn queued(&self) -> usize {
        self.egress.queued()
    }

    /// Installs, changes (`Some`) or removes (`None`) link emulation towards `neighbor`.
    /// Packets already queued on that link are kept.
    pub fn set_link(
        &mut self,
        now_us: u64,
        neighbor: u32,
        params: Option<LinkParams>,
    ) -> Result<(), LinkParamError> {
        self.egress.set_link(now_us, neighbor, params)
    }

    /// Sets the WRR weight of the flow from node `src` to destination `dst` on every
    /// emulated link of this node (links with `scheduler = Wrr` use it). Weight 1 is the
    /// default and forgets the entry; 0 is refused.
    pub fn set_flow_weight(
        &mut self,
        src: u32,
        dst: u32,
        weight: u32,
    ) -> Result<(), FlowWeightError> {
        self.egress.set_flow_weight(src, dst, weight)
    }

    /// Counters of every emulated link, by neighbour.
    pub fn link_stats(&self) -> impl Iterator<Item = (u32, LinkStats)> + '_ {
        self.egress.link_stats()
    }

    /// Hands a datagram to the egress (tagged for `next_hop` when authentication is on),
    /// counting an emulated drop. True when it was queued for the host, so a forwarder counts
    /// only what it really passed on (a datagram has one outcome: forwarded or dropped).
    fn transmit(&mut self, now_us: u64, next_hop: u32, mut datagram: Vec<u8>) -> bool {
        if self.auth.is_on() && self.auth.seal(next_hop, &mut datagram).is_err() {
            self.stats.drop(DropReason::NoKey);
            return false;
        }
        match self.egress.push(now_us, next_hop, datagram) {
            Ok(()) => return true,
            Err(LinkDrop::Loss) => self.stats.drop(DropReason::LinkLoss),
            Err(LinkDrop::Queue) => self.stats.drop(DropReason::LinkQueue),
            Err(LinkDrop::Red) => self.stats.drop(DropReason::LinkRed),
        }
        false
    }

    fn next_hop(&self, flow: &FlowKey) -> Option<u32> {
        if self.cfg.operating_mode == OperatingMode::Max && self.peers.contains(&flow.dst) {
            return Some(flow.dst);
        }
        self.routes.next_hop(flow).ok()
    }

    /// Sends a message; returns its message id once every fragment is queued.
    pub fn send(&mut self, now_us: u64, args: SendArgs<'_>) -> Result<u32, SendError> {
        let me = self.cfg.node_id;
        let message_id = self.next_message_id;
        let template = Header {
            message_id,
            ..Header::originate(
                PacketKind::Unicast,
                me,
                args.dst_node,
                args.src_port,
                args.dst_port,
            )
        };
        let frags = self.fragments(&template, args.payload)?;
        if args.dst_node == me {
            // Loopback: no link involved, deliver the whole payload at once.
            self.advance_message_id();
            self.stats.messages_sent += 1;
            self.deliver(template_delivery(
                &template,
                frags.frag_count(),
                args.payload.to_vec(),
            ));
            let _ = now_us;
            return Ok(message_id);
        }
        let flow = FlowKey::new(me, args.dst_node, args.src_port, args.dst_port);
        let next_hop = self
            .next_hop(&flow)
            .ok_or(SendError::NoRoute { dst: args.dst_node })?;
        let free = self.cfg.queue_capacity.saturating_sub(self.egress.queued());
        if frags.len() > free {
            return Err(SendError::QueueFull {
                needed: frags.len(),
                free,
            });
        }
        self.advance_message_id();
        self.stats.messages_sent += 1;
        for datagram in frags {
            self.stats.packets_sent += 1;
            let _ = self.transmit(now_us, next_hop, datagram);
        }
        Ok(message_id)
    }

    /// Splits a message into datagrams that fit this node's MTU.
    fn fragments<'p>(
        &self,
        template: &Header,
        payload: &'p [u8],
    ) -> Result<Fragments<'p>, SendError> {
        fragment(
            template,
            payload,
            self.datagram_mtu(),
            self.cfg.max_payload_bytes,
        )
        .map_err(SendError::Fragment)
    }

    fn advance_message_id(&mut self) {
        self.next_message_id = self.next_message_id.wrapping_add(1).max(1);
    }

    /// Takes one datagram from a link, sent by `from` as the host's transport identified it
    /// (0 = unknown). Malformed, unauthenticated or undeliverable input is counted, never fatal.
    pub fn handle_datagram(&mut self, now_us: u64, from: u32, wire: &[u8]) {
        let neighbor = self.neighbors.contains(&from);
        if from == 0 || !(neighbor || self.peers.contains(&from)) {
            return self.stats.drop(DropReason::NotAPeer);
        }
        // Authenticate before parsing anything: a datagram without a valid MAC counts as
        // `auth` (or `replay`) whatever its bytes look like, and its header is never read.
        let datagram = if self.auth.is_on() {
            match self.auth.open(from, wire) {
                Ok(body_len) => &wire[..body_len],
                Err(AuthDrop::Replay) => return self.stats.drop(DropReason::Replay),
                Err(AuthDrop::BadTag | AuthDrop::Short) => {
                    return self.stats.drop(DropReason::Auth)
                }
            }
        } else {
            wire
        };
        let header = match Header::decode(datagram) {
            Ok(h) => h,
            Err(_) => return self.stats.drop(DropReason::Malformed),
        };
        if !neighbor {
            // A peer that is not a neighbour may only send what ends here (max mode).
            let ends_here = matches!(
                header.kind,
                PacketKind::Unicast | PacketKind::Lossless | PacketKind::Stream
            ) && header.dst == self.cfg.node_id;
            if !ends_here {
                return self.stats.drop(DropReason::NotAPeer);
            }
        }
        if header.hop_limit == 0 || header.hop_limit > DEFAULT_HOP_LIMIT {
            return self.stats.drop(DropReason::HopLimitRange);
        }
        if matches!(
            header.kind,
            PacketKind::Unicast | PacketKind::Lossless | PacketKind::Stream
        ) {
            // Group datagrams are checked against the tree's own source instead.
            if !self.is_known(header.src_node) {
                return self.stats.drop(DropReason::UnknownSource);
            }
            if !self.is_known(header.dst) {
                return self.stats.drop(DropReason::UnknownDestination);
            }
        }
        self.stats.packets_received += 1;
        match header.kind {
            PacketKind::Unicast if header.dst == self.cfg.node_id => {
                self.reassemble(now_us, from, &header, &datagram[HEADER_LEN..])
            }
            PacketKind::Unicast => self.forward(now_us, &header, datagram),
            PacketKind::Multicast => self.handle_group_datagram(now_us, from, &header, datagram),
            PacketKind::Lossless if header.dst == self.cfg.node_id => {
                self.deliver_lossless(now_us, &header, lossless::frame_of(datagram))
            }
            PacketKind::Lossless => self.forward(now_us, &header, datagram),
            PacketKind::Stream if header.dst == self.cfg.node_id => {
                self.deliver_stream(now_us, &header, &datagram[HEADER_LEN..])
            }
            PacketKind::Stream => self.forward(now_us, &header, datagram),
            PacketKind::LosslessGroup => {
                self.handle_group_datagram(now_us, from, &header, datagram)
            }
        }
    }

    fn forward(&mut self, now_us: u64, h: &Header, datagram: &[u8]) {
        if h.hop_limit <= 1 {
            return self.stats.drop(DropReason::HopLimit);
        }
        let flow = FlowKey::new(h.src_node, h.dst, h.src_port, h.dst_port);
        let Some(next_hop) = self.next_hop(&flow) else {
            return self.stats.drop(DropReason::NoRoute);
        };
        if self.egress.queued() >= self.cfg.queue_capacity {
            return self.stats.drop(DropReason::QueueFull);
        }
        let mut out = datagram.to_vec();
        out[3] = h.hop_limit - 1; // hop_limit byte; see wire.rs layout
        if self.transmit(now_us, next_hop, out) {
            self.stats.packets_forwarded += 1;
        }
    }

    /// Hands a fragment that ends here to the reassembler, charged to the link-level sender.
    fn reassemble(&mut self, now_us: u64, from: u32, h: &Header, payload: &[u8]) {
        let result = self.reassembler.handle_from(now_us, from, h, payload);
        let evicted = self.reassembler.stats().evicted;
        self.stats
            .drop_n(DropReason::ReassemblyEvicted, evicted - self.evicted_seen);
        self.evicted_seen = evicted;
        match result {
            Ok(Some(m)) => self.deliver(m.into()),
            Ok(None) => {}
            Err(ReassemblyDrop::TooLarge { .. }) => self.stats.drop(DropReason::TooLarge),
            Err(ReassemblyDrop::Inconsistent(_)) => {
                self.stats.drop(DropReason::ReassemblyInconsistent)
            }
            Err(
                ReassemblyDrop::BudgetExhausted { .. } | ReassemblyDrop::TooManyIncomplete { .. },
            ) => self.stats.drop(DropReason::ReassemblyNoMemory),
        }
    }

    fn deliver(&mut self, d: Delivery) {
        self.stats.messages_delivered += 1;
        self.stats.bytes_delivered += d.payload.len() as u64;
        self.events.push_back(Event::Delivery(d));
    }

    pub fn handle_timeout(&mut self, now_us: u64) {
        self.lossless.handle_timeout(now_us);
        self.pump_lossless(now_us);
        self.stream.handle_timeout(now_us);
        self.pump_stream(now_us);
        self.egress.pump(now_us);
        self.reassembler.handle_timeout(now_us);
        let expired = self.reassembler.stats().expired;
        for _ in self.expired_seen..expired {
            self.stats.drop(DropReason::ReassemblyExpired);
        }
        self.expired_seen = expired;
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.egress.pop()
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The earliest time `handle_timeout` has work to do.
    pub fn poll_timeout(&self) -> Option<u64> {
        let egress = self.egress.poll_timeout();
        // While the transmit queue is full the stream cannot send: its "send now" waits for
        // the egress to free a slot (the host drains what is ready after every call, so a
        // full queue means datagrams held in emulated links, which `egress` wakes us for).
        let stream = match self.stream.poll_timeout() {
            Some(t) if self.egress.queued() >= self.cfg.queue_capacity => {
                Some(egress.map_or(t, |e| t.max(e)))
            }
            t => t,
        };
        [
            self.reassembler.poll_timeout(),
            egress,
            self.lossless.poll_timeout(),
            stream,
        ]
        .into_iter()
        .flatten()
        .min()
    }
}

fn template_delivery(h: &Header, frag_count: u32, payload: Vec<u8>) -> Delivery {
    Delivery {
        kind: h.kind,
        src_node: h.src_node,
        dst: h.dst,
        src_port: h.src_port,
        dst_port: h.dst_port,
        message_id: h.message_id,
        total_len: payload.len() as u32,
        frag_count,
        tree_id: h.tree_id,
        payload,
    }
}

#[cfg(test)]
mod tests;
