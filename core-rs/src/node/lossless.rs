//! Lossless sessions on the node engine: the node owns one `lossless::Endpoint`, wraps its
//! frames in dataplane headers and routes them (unicast by the route table, group frames
//! along the group's tree), and hands arriving frames back to it.

use super::{DropReason, Event, Node};
use crate::lossless::{
    Congestion, Dest, Endpoint, LosslessError, Ports, ReceiverConfig, SenderConfig, SessionId,
};
use crate::topology::FlowKey;
use crate::wire::{Header, PacketKind, HEADER_LEN};
use std::sync::Arc;

impl Node {
    pub fn lossless(&self) -> &Endpoint {
        &self.lossless
    }

    /// [`Node::open_sender_with_id`] with the lowest wire session id no sender here uses.
    /// Predictable: for tests and harnesses only; a host draws the id from its CSPRNG.
    pub fn open_sender(
        &mut self,
        now_us: u64,
        dest: Dest,
        receivers: Vec<u32>,
        data: Arc<Vec<u8>>,
        chunk_size: Option<u32>,
        ports: Ports,
    ) -> Result<SessionId, LosslessError> {
        let id = self.lossless.unused_session_id();
        self.open_sender_with_id(
            now_us,
            id,
            dest,
            receivers,
            data,
            chunk_size,
            ports,
            Congestion::Rate,
        )
    }

    /// Starts sending `data` to `dest` (a group or one node) for `receivers`. `session_id` is
    /// the wire session id, drawn by the host from its CSPRNG (non-zero, unused here).
    #[allow(clippy::too_many_arguments)]
    pub fn open_sender_with_id(
        &mut self,
        now_us: u64,
        session_id: u32,
        dest: Dest,
        receivers: Vec<u32>,
        data: Arc<Vec<u8>>,
        chunk_size: Option<u32>,
        ports: Ports,
        congestion: Congestion,
    ) -> Result<SessionId, LosslessError> {
        let cfg = SenderConfig {
            local_node: self.cfg.node_id,
            session_id,
            group_or_dest: dest,
            receivers,
            data,
            chunk_size,
            ports,
            congestion,
        };
        let id = self.lossless.open_sender(now_us, cfg)?;
        self.pump_lossless(now_us);
        Ok(id)
    }

    /// Starts waiting for a session from `source` to `dest` of exactly `expected_bytes`.
    pub fn open_receiver(
        &mut self,
        now_us: u64,
        source: u32,
        dest: Dest,
        expected_bytes: u64,
        chunk_size: Option<u32>,
        ports: Ports,
    ) -> Result<SessionId, LosslessError> {
        let cfg = ReceiverConfig {
            local_node: self.cfg.node_id,
            source_node: source,
            dest,
            expected_bytes,
            chunk_size,
            ports,
        };
        let id = self.lossless.open_receiver(now_us, cfg)?;
        self.pump_lossless(now_us);
        Ok(id)
    }

    pub fn cancel_session(&mut self, now_us: u64, id: SessionId) -> Result<(), LosslessError> {
        self.lossless.cancel(id)?;
        self.pump_lossless(now_us);
        Ok(())
    }

    pub fn take_session_data(&mut self, id: SessionId) -> Result<Vec<u8>, LosslessError> {
        self.lossless.take_data(id)
    }

    /// A lossless frame addressed to this node (or to a group it is a member of).
    pub(super) fn deliver_lossless(&mut self, now_us: u64, h: &Header, frame: &[u8]) {
        let dest = if h.kind == PacketKind::LosslessGroup {
            Dest::Group(h.dst)
        } else {
            Dest::Node(h.dst)
        };
        self.lossless
            .handle_frame(now_us, h.src_node, dest, h.session_id, frame);
        self.pump_lossless(now_us);
    }

    /// Moves the endpoint's frames onto links and its events into the node's event queue.
    pub(super) fn pump_lossless(&mut self, now_us: u64) {
        while let Some(t) = self.lossless.poll_transmit() {
            self.route_lossless(now_us, t.dest, t.session_id, t.frame);
        }
        while let Some(ev) = self.lossless.poll_event() {
            self.events.push_back(Event::Lossless(ev));
        }
    }

    fn route_lossless(&mut self, now_us: u64, dest: Dest, session_id: u32, frame: Vec<u8>) {
        let me = self.cfg.node_id;
        let (kind, dst) = match dest {
            Dest::Group(g) => (PacketKind::LosslessGroup, g),
            Dest::Node(n) => (PacketKind::Lossless, n),
        };
        let Ok(len) = u16::try_from(frame.len()) else {
            return self.stats.drop(DropReason::TooLarge);
        };
        let mut h = Header {
            total_len: u32::from(len),
            session_id,
            payload_len: len,
            ..Header::originate(kind, me, dst, 0, 0)
        };
        self.stats.packets_sent += 1;
        match dest {
            Dest::Node(n) => {
                let flow = FlowKey::new(me, n, 0, 0);
                match self.next_hop(&flow) {
                    Some(hop) => {
                        let _ = self.transmit(now_us, hop, h.datagram(&frame));
                    }
                    None => self.stats.drop(DropReason::NoRoute),
                }
            }
            Dest::Group(g) => {
                let flow = FlowKey::new(me, g, 0, 0);
                let tree = self.mcast.choose_tree(&flow).unwrap_or(0);
                match self
                    .mcast
                    .lookup(g, tree)
                    .filter(|e| e.source == me)
                    .cloned()
                {
                    Some(entry) => {
                        h.tree_id = tree;
                        let datagram = h.datagram(&frame);
                        let _ = self.fan_out(now_us, &entry.next_hops, datagram);
                    }
                    None => self.stats.drop(DropReason::UnknownGroup),
                }
            }
        }
    }
}

/// Payload of a lossless datagram (a single datagram: frames always fit the MTU).
pub(super) fn frame_of(datagram: &[u8]) -> &[u8] {
    &datagram[HEADER_LEN..]
}
