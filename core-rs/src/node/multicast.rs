//! Multicast on the node engine: sending along a group's tree, forwarding at branching nodes
//! (one copy per next hop), and local delivery where this node is a member.

use super::{DropReason, Node, SendError};
use crate::topology::{FlowKey, McEntry, MulticastTable};
use crate::wire::{Header, PacketKind, HEADER_LEN};

/// What the application asks to send to a group.
#[derive(Debug, Clone, Copy)]
pub struct GroupSendArgs<'a> {
    pub group: u32,
    /// A tree to use; `None` lets the weighted hash pick one per flow.
    pub tree: Option<u16>,
    pub src_port: u16,
    pub dst_port: u16,
    pub payload: &'a [u8],
}

impl Node {
    /// Replaces this node's multicast table (pushed by the controller).
    pub fn set_multicast(&mut self, table: MulticastTable) {
        self.mcast = table;
        self.refresh_known();
    }

    pub fn multicast(&self) -> &MulticastTable {
        &self.mcast
    }

    /// Entries this node holds for `group` (one per tree).
    pub fn group_route_count(&self, group: u32) -> usize {
        self.mcast
            .entries()
            .filter(|((g, _), _)| *g == group)
            .count()
    }

    /// True when some tree of `group` delivers locally here.
    pub fn is_local_member(&self, group: u32) -> bool {
        self.mcast
            .entries()
            .any(|((g, _), e)| g == group && e.local)
    }

    fn group_entry(&self, group: u32, tree: Option<u16>, flow: &FlowKey) -> Option<(u16, McEntry)> {
        let tree = match tree {
            Some(t) => t,
            None => self.mcast.choose_tree(flow).unwrap_or(0),
        };
        self.mcast.lookup(group, tree).map(|e| (tree, e.clone()))
    }

    /// Sends a message down this node's tree for `group`: one copy per next hop, plus local
    /// delivery when this node is itself a member. Only the group's source holds such an entry.
    pub fn send_group(&mut self, now_us: u64, args: GroupSendArgs<'_>) -> Result<u32, SendError> {
        let me = self.cfg.node_id;
        let flow = FlowKey::new(me, args.group, args.src_port, args.dst_port);
        let (tree_id, entry) = self
            .group_entry(args.group, args.tree, &flow)
            .filter(|(_, e)| e.source == me)
            .ok_or(SendError::NoGroupRoute { group: args.group })?;
        let message_id = self.next_message_id;
        let template = Header {
            message_id,
            tree_id,
            ..Header::originate(
                PacketKind::Multicast,
                me,
                args.group,
                args.src_port,
                args.dst_port,
            )
        };
        let frags = self.fragments(&template, args.payload)?;
        let needed = frags.len() * entry.next_hops.len();
        let free = self.cfg.queue_capacity.saturating_sub(self.egress.queued());
        if needed > free {
            return Err(SendError::QueueFull { needed, free });
        }
        self.advance_message_id();
        self.stats.messages_sent += 1;
        if entry.local {
            self.deliver(super::template_delivery(
                &template,
                frags.frag_count(),
                args.payload.to_vec(),
            ));
        }
        for datagram in frags {
            self.stats.packets_sent += 1;
            let _ = self.fan_out(now_us, &entry.next_hops, datagram);
        }
        Ok(message_id)
    }

    /// One copy per next hop; the last hop takes the original buffer. Returns how many
    /// copies were queued (the others were dropped and counted).
    pub(super) fn fan_out(&mut self, now_us: u64, hops: &[u32], datagram: Vec<u8>) -> u64 {
        let mut queued = 0;
        if let Some((&last, rest)) = hops.split_last() {
            for &hop in rest {
                queued += u64::from(self.transmit(now_us, hop, datagram.clone()));
            }
            queued += u64::from(self.transmit(now_us, last, datagram));
        }
        queued
    }

    /// A multicast datagram from a link: forward along the tree, deliver if a member.
    pub(super) fn handle_group_datagram(
        &mut self,
        now_us: u64,
        from: u32,
        h: &Header,
        datagram: &[u8],
    ) {
        let Some(entry) = self.mcast.lookup(h.dst, h.tree_id).cloned() else {
            return self.stats.drop(DropReason::UnknownGroup);
        };
        if entry.source != h.src_node {
            // A packet claiming a source the tree does not belong to: never fan it out.
            return self.stats.drop(DropReason::UnknownGroup);
        }
        if !entry.next_hops.is_empty() {
            if h.hop_limit <= 1 {
                self.stats.drop(DropReason::HopLimit);
            } else if self.egress.queued() + entry.next_hops.len() > self.cfg.queue_capacity {
                self.stats.drop(DropReason::QueueFull);
            } else {
                let mut out = datagram.to_vec();
                out[3] = h.hop_limit - 1; // hop_limit byte; see wire.rs layout
                self.stats.packets_forwarded += self.fan_out(now_us, &entry.next_hops, out);
            }
        }
        if entry.local {
            if h.kind == PacketKind::LosslessGroup {
                self.deliver_lossless(now_us, h, &datagram[HEADER_LEN..]);
            } else {
                self.reassemble(now_us, from, h, &datagram[HEADER_LEN..]);
            }
        }
    }
}
