//! Reliable streams on the node engine: the node owns one [`StreamEndpoint`], wraps its
//! frames in dataplane headers of kind `Stream` and routes them like unicast datagrams (next
//! hop by the route table, through the emulated link), and hands frames addressed to it back
//! to the endpoint. A stream to this node itself loops back without a link.
//!
//! The endpoint's events stay in it: the host drains them with `stream_mut().poll_event()`
//! after each call, next to the node's own events.

use super::{DropReason, Node};
use crate::stream::{StreamEndpoint, Transmit};
use crate::topology::FlowKey;
use crate::wire::{Header, PacketKind};

impl Node {
    pub fn stream(&self) -> &StreamEndpoint {
        &self.stream
    }

    /// The endpoint, for calls that take no time (`read`, `stats`, `poll_event`, `listen`).
    pub fn stream_mut(&mut self) -> &mut StreamEndpoint {
        &mut self.stream
    }

    /// Runs `f` on the endpoint (`connect`, `write`, `close`, `abort`…) and moves the frames
    /// it produced onto links.
    pub fn with_stream<R>(
        &mut self,
        now_us: u64,
        f: impl FnOnce(&mut StreamEndpoint, u64) -> R,
    ) -> R {
        let r = f(&mut self.stream, now_us);
        self.pump_stream(now_us);
        r
    }

    /// Whether frames to `dst` have a next hop (or stay here): a connect to a node without a
    /// route would otherwise only time out.
    pub fn stream_route_known(&self, dst: u32) -> bool {
        let me = self.cfg.node_id;
        dst == me || self.next_hop(&FlowKey::new(me, dst, 0, 0)).is_some()
    }

    /// A stream frame addressed to this node.
    pub(super) fn deliver_stream(&mut self, now_us: u64, h: &Header, frame: &[u8]) {
        self.stream.handle_frame(now_us, h.src_node, frame);
        if !self.stream_batching {
            self.pump_stream(now_us);
        }
    }

    /// `handle_datagram` for each of a batch of datagrams that arrived together (one socket
    /// read), with the stream endpoint's frames built once, after the batch: a receiver then
    /// sends one ACK (with SACK blocks) for all the data frames of the batch instead of one
    /// each, which halves the datagrams a bulk stream costs both hosts, as receive offload
    /// does for TCP. The ACK is not delayed beyond the batch, so no timer is needed.
    pub fn handle_datagram_batch<'a>(
        &mut self,
        now_us: u64,
        batch: impl IntoIterator<Item = (u32, &'a [u8])>,
    ) {
        self.stream_batching = true;
        for (from, datagram) in batch {
            self.handle_datagram(now_us, from, datagram);
        }
        self.stream_batching = false;
        self.pump_stream(now_us);
    }

    /// Moves the endpoint's frames onto links while the transmit queue has room: frames are
    /// built only when taken, so a full queue holds them back in the endpoint (its pacing
    /// and windows resume once the host drained the queue).
    pub(super) fn pump_stream(&mut self, now_us: u64) {
        let me = self.cfg.node_id;
        while self.egress.queued() < self.cfg.queue_capacity {
            let Some(t) = self.stream.poll_transmit(now_us) else {
                break;
            };
            if t.dst_node == me {
                self.stream.handle_frame(now_us, me, &t.frame);
                continue;
            }
            self.route_stream(now_us, t);
        }
    }

    fn route_stream(&mut self, now_us: u64, t: Transmit) {
        let me = self.cfg.node_id;
        let Ok(len) = u16::try_from(t.frame.len()) else {
            return self.stats.drop(DropReason::TooLarge);
        };
        let h = Header {
            total_len: u32::from(len),
            payload_len: len,
            message_id: self.next_message_id,
            ..Header::originate(PacketKind::Stream, me, t.dst_node, t.src_port, t.dst_port)
        };
        self.advance_message_id();
        self.stats.packets_sent += 1;
        let flow = FlowKey::new(me, t.dst_node, t.src_port, t.dst_port);
        match self.next_hop(&flow) {
            Some(hop) => {
                let _ = self.transmit(now_us, hop, h.datagram(&t.frame));
            }
            // Counted; the stream's own retransmission and idle timeout report it upwards.
            None => self.stats.drop(DropReason::NoRoute),
        }
    }
}
