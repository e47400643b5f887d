//! Counters a node keeps; the host shows them as `dp.stats()`.

/// Why a datagram or message was dropped. Every drop is counted under exactly one reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// Did not decode as a dataplane datagram.
    Malformed,
    /// Hop limit reached zero: a loop or a too-long path.
    HopLimit,
    /// No route to the destination when forwarding.
    NoRoute,
    /// The engine's transmit queue was full when forwarding.
    QueueFull,
    /// A fragment disagreed with the rest of its message.
    ReassemblyInconsistent,
    /// Reassembly memory budget or message count was exhausted.
    ReassemblyNoMemory,
    /// A message larger than `max_payload_bytes` arrived.
    TooLarge,
    /// An incomplete message timed out.
    ReassemblyExpired,
    /// A packet kind this node does not handle yet.
    UnsupportedKind,
    /// Emulated random loss on an egress link.
    LinkLoss,
    /// Emulated queue limit on an egress link.
    LinkQueue,
    /// A multicast packet for a group or tree this node has no entry for.
    UnknownGroup,
    /// The link-level sender is unknown (0), or not a neighbour (a peer that is not a
    /// neighbour may only send datagrams that end here, as max mode does).
    NotAPeer,
    /// Authentication on: the tag verifies under none of the sender's keys (or it has none).
    Auth,
    /// Authentication on: a valid tag on a counter already seen or older than the window.
    Replay,
    /// Authentication on: no key for the next hop, so the datagram was not sent.
    NoKey,
    /// A unicast or lossless datagram whose source node is not in this node's view of the
    /// network (its peers, neighbours, route table and multicast trees): never delivered nor
    /// forwarded.
    UnknownSource,
    /// A unicast or lossless datagram to forward whose destination is no node this node
    /// knows of (as for `UnknownSource`); a known destination without a route is `NoRoute`.
    UnknownDestination,
    /// A hop limit no sender produces: 0, or above the limit every node originates with
    /// ([`crate::wire::DEFAULT_HOP_LIMIT`]).
    HopLimitRange,
    /// An incomplete message evicted early to make room for other senders' messages (the
    /// heaviest sender's stalest message goes first).
    ReassemblyEvicted,
    /// Random early detection on an egress link (`drop = "red"`).
    LinkRed,
}

impl DropReason {
    pub const ALL: [DropReason; 21] = [
        DropReason::Malformed,
        DropReason::HopLimit,
        DropReason::NoRoute,
        DropReason::QueueFull,
        DropReason::ReassemblyInconsistent,
        DropReason::ReassemblyNoMemory,
        DropReason::TooLarge,
        DropReason::ReassemblyExpired,
        DropReason::UnsupportedKind,
        DropReason::LinkLoss,
        DropReason::LinkQueue,
        DropReason::UnknownGroup,
        DropReason::NotAPeer,
        DropReason::Auth,
        DropReason::Replay,
        DropReason::NoKey,
        DropReason::UnknownSource,
        DropReason::UnknownDestination,
        DropReason::HopLimitRange,
        DropReason::ReassemblyEvicted,
        DropReason::LinkRed,
    ];

    /// Stable snake_case name used as the key in `stats().drops`.
    pub fn name(self) -> &'static str {
        match self {
            DropReason::Malformed => "malformed",
            DropReason::HopLimit => "hop_limit",
            DropReason::NoRoute => "no_route",
            DropReason::QueueFull => "queue_full",
            DropReason::ReassemblyInconsistent => "reassembly_inconsistent",
            DropReason::ReassemblyNoMemory => "reassembly_no_memory",
            DropReason::TooLarge => "too_large",
            DropReason::ReassemblyExpired => "reassembly_expired",
            DropReason::UnsupportedKind => "unsupported_kind",
            DropReason::LinkLoss => "link_loss",
            DropReason::LinkQueue => "link_queue",
            DropReason::UnknownGroup => "unknown_group",
            DropReason::NotAPeer => "not_a_peer",
            DropReason::Auth => "auth",
            DropReason::Replay => "replay",
            DropReason::NoKey => "no_key",
            DropReason::UnknownSource => "unknown_source",
            DropReason::UnknownDestination => "unknown_destination",
            DropReason::HopLimitRange => "hop_limit_range",
            DropReason::ReassemblyEvicted => "reassembly_evicted",
            DropReason::LinkRed => "link_red",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeStats {
    /// Messages this node originated.
    pub messages_sent: u64,
    /// Datagrams this node originated (fragments count one each).
    pub packets_sent: u64,
    /// Valid datagrams received from links.
    pub packets_received: u64,
    /// Datagrams (copies, for multicast) passed on towards another node. One dropped on the
    /// way out (link emulation, no key) counts only under its drop reason.
    pub packets_forwarded: u64,
    /// Messages delivered to this node's application.
    pub messages_delivered: u64,
    pub bytes_delivered: u64,
    drops: [u64; DropReason::ALL.len()],
}

impl NodeStats {
    pub fn drop(&mut self, reason: DropReason) {
        self.drops[reason as usize] += 1;
    }

    pub fn drop_n(&mut self, reason: DropReason, n: u64) {
        self.drops[reason as usize] += n;
    }

    pub fn drops(&self, reason: DropReason) -> u64 {
        self.drops[reason as usize]
    }

    pub fn total_drops(&self) -> u64 {
        self.drops.iter().sum()
    }
}
