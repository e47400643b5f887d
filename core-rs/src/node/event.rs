//! What a node engine hands to its host: datagrams to transmit and events to dispatch.

use crate::wire::PacketKind;

/// One datagram for the host to put on the link towards `next_hop`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    pub next_hop: u32,
    pub datagram: Vec<u8>,
}

/// A complete message for this node's application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub kind: PacketKind,
    pub src_node: u32,
    /// This node's id (unicast) or the group id (multicast).
    pub dst: u32,
    pub src_port: u16,
    pub dst_port: u16,
    pub message_id: u32,
    pub total_len: u32,
    pub frag_count: u32,
    pub tree_id: u16,
    pub payload: Vec<u8>,
}

impl From<crate::frag::Reassembled> for Delivery {
    fn from(m: crate::frag::Reassembled) -> Self {
        Delivery {
            kind: m.kind,
            src_node: m.src_node,
            dst: m.dst,
            src_port: m.src_port,
            dst_port: m.dst_port,
            message_id: m.message_id,
            total_len: m.total_len,
            frag_count: m.frag_count,
            tree_id: m.tree_id,
            payload: m.data,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Delivery(Delivery),
    /// Progress, completion or failure of a lossless session.
    Lossless(crate::lossless::Event),
}
