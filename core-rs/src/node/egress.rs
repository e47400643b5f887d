//! The node's egress: one optional link model per neighbour between the engine and the
//! host's sockets. A neighbour without a model (the default) costs nothing: its datagrams go
//! straight to the ready queue.
//!
//! The egress also holds the node's flow weights, which every link with `scheduler = Wrr`
//! applies: one table per node rather than per link, because a flow's weight is the same on
//! every hop it takes.

use super::event::Transmit;
use crate::error::{CoreError, ErrorCode};
use crate::link::scheduler::MAX_FLOW_WEIGHT;
use crate::link::{Enqueue, FlowId, LinkModel, LinkParamError, LinkParams, LinkStats, Scheduler};
use crate::wire::HEADER_LEN;
use std::collections::{BTreeMap, VecDeque};
use std::fmt;

pub use crate::link::DropReason as LinkDrop;

/// Flow weights a node keeps; the controller sets one per configured flow, so this is far
/// more than any config needs while bounding what a buggy caller can make it hold.
pub const MAX_FLOW_WEIGHTS: usize = 65_536;

/// Why a flow weight was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowWeightError {
    /// 0, or above [`MAX_FLOW_WEIGHT`].
    Weight { src: u32, dst: u32, got: u32 },
    /// [`MAX_FLOW_WEIGHTS`] flows already have a weight other than 1.
    TooMany,
}

impl fmt::Display for FlowWeightError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlowWeightError::Weight { src, dst, got } => write!(
                f,
                "flow_weight of flow {src} -> {dst} must be an integer within 1..={MAX_FLOW_WEIGHT}, got {got}"
            ),
            FlowWeightError::TooMany => write!(
                f,
                "flow_weight: at most {MAX_FLOW_WEIGHTS} flows may have a weight other than 1 on a node"
            ),
        }
    }
}

impl std::error::Error for FlowWeightError {}

impl CoreError for FlowWeightError {
    fn code(&self) -> ErrorCode {
        ErrorCode::InvalidArgument
    }
}

/// The (source node, destination) of a datagram, read straight from the header fields
/// (bytes 4..8 and 8..12) rather than decoding it: the datagram may carry an authentication
/// trailer after the payload, and it was built or checked by this node already.
fn flow_of(datagram: &[u8]) -> FlowId {
    if datagram.len() < HEADER_LEN {
        return FlowId::default();
    }
    let u32_at = |o: usize| {
        u32::from_be_bytes([
            datagram[o],
            datagram[o + 1],
            datagram[o + 2],
            datagram[o + 3],
        ])
    };
    FlowId {
        src: u32_at(4),
        dst: u32_at(8),
    }
}

#[derive(Default)]
pub struct Egress {
    models: BTreeMap<u32, LinkModel<Vec<u8>>>,
    ready: VecDeque<Transmit>,
    /// WRR weights other than the default 1, by (source node, destination).
    weights: BTreeMap<FlowId, u32>,
}

impl Egress {
    /// Sets the WRR weight of one flow; 1 (the default) forgets it.
    pub fn set_flow_weight(
        &mut self,
        src: u32,
        dst: u32,
        weight: u32,
    ) -> Result<(), FlowWeightError> {
        if weight == 0 || weight > MAX_FLOW_WEIGHT {
            return Err(FlowWeightError::Weight {
                src,
                dst,
                got: weight,
            });
        }
        let flow = FlowId { src, dst };
        if weight == 1 {
            self.weights.remove(&flow);
        } else {
            if !self.weights.contains_key(&flow) && self.weights.len() >= MAX_FLOW_WEIGHTS {
                return Err(FlowWeightError::TooMany);
            }
            self.weights.insert(flow, weight);
        }
        Ok(())
    }

    /// Offers a datagram to the link towards `next_hop`. Emulated loss or a full emulated
    /// queue drops it (counted in that link's stats) and says why.
    pub fn push(&mut self, now_us: u64, next_hop: u32, datagram: Vec<u8>) -> Result<(), LinkDrop> {
        let Some(model) = self.models.get_mut(&next_hop) else {
            self.ready.push_back(Transmit { next_hop, datagram });
            return Ok(());
        };
        let size = datagram.len();
        // Only WRR tells flows apart; a datagram too short for a header is flow 0 -> 0.
        let (flow, weight) = if model.params().scheduler == Scheduler::Wrr {
            let flow = flow_of(&datagram);
            (flow, self.weights.get(&flow).copied().unwrap_or(1))
        } else {
            (FlowId::default(), 1)
        };
        match model.enqueue_flow(now_us, datagram, size, flow, weight) {
            Enqueue::Accepted => {
                while let Some(d) = model.poll(now_us) {
                    self.ready.push_back(Transmit {
                        next_hop,
                        datagram: d,
                    });
                }
                Ok(())
            }
            Enqueue::Dropped(reason) => Err(reason),
        }
    }

    /// Installs, changes (`Some`) or removes (`None`) the emulation towards `neighbor`.
    /// Changing keeps every queued packet; removing releases them at once.
    pub fn set_link(
        &mut self,
        now_us: u64,
        neighbor: u32,
        params: Option<LinkParams>,
    ) -> Result<(), LinkParamError> {
        match (params, self.models.get_mut(&neighbor)) {
            (Some(p), Some(model)) => model.set_params(now_us, p),
            (Some(p), None) => {
                self.models.insert(neighbor, LinkModel::new(p)?);
                Ok(())
            }
            (None, Some(_)) => {
                if let Some(mut model) = self.models.remove(&neighbor) {
                    // Going unlimited releases the queue now rather than dropping it.
                    let _ = model.set_params(now_us, LinkParams::default());
                    while let Some(d) = model.poll(u64::MAX) {
                        self.ready.push_back(Transmit {
                            next_hop: neighbor,
                            datagram: d,
                        });
                    }
                }
                Ok(())
            }
            (None, None) => Ok(()),
        }
    }

    /// Moves every datagram whose emulated departure time has come to the ready queue.
    pub fn pump(&mut self, now_us: u64) {
        for (&hop, model) in self.models.iter_mut() {
            while let Some(d) = model.poll(now_us) {
                self.ready.push_back(Transmit {
                    next_hop: hop,
                    datagram: d,
                });
            }
        }
    }

    pub fn poll_timeout(&self) -> Option<u64> {
        self.models.values().filter_map(|m| m.poll_timeout()).min()
    }

    pub fn pop(&mut self) -> Option<Transmit> {
        self.ready.pop_front()
    }

    /// Datagrams held anywhere in the egress: ready, queued at a rate limiter, or in delay.
    pub fn queued(&self) -> usize {
        self.ready.len() + self.models.values().map(LinkModel::held).sum::<usize>()
    }

    pub fn link_stats(&self) -> impl Iterator<Item = (u32, LinkStats)> + '_ {
        self.models.iter().map(|(&n, m)| (n, m.stats()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::{DropPolicy, RedParams};
    use crate::wire::{Header, PacketKind};

    #[test]
    fn flow_weights_refuse_zero_and_too_large_by_key() {
        let mut e = Egress::default();
        let err = e.set_flow_weight(1, 2, 0).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidArgument);
        assert!(
            err.to_string().starts_with("flow_weight of flow 1 -> 2"),
            "{err}"
        );
        assert!(e.set_flow_weight(1, 2, MAX_FLOW_WEIGHT + 1).is_err());
        e.set_flow_weight(1, 2, 3).unwrap();
        assert_eq!(e.weights.get(&FlowId { src: 1, dst: 2 }), Some(&3));
        e.set_flow_weight(1, 2, 1).unwrap();
        assert!(
            e.weights.is_empty(),
            "weight 1 is the default and is not stored"
        );
    }

    /// A WRR link reads each datagram's flow from its header and applies the node's weights:
    /// with flow 1 -> 9 at weight 3 and flow 2 -> 9 at 1, of the first 8 datagrams leaving a
    /// backlogged link 6 are flow 1's.
    #[test]
    fn wrr_link_uses_header_flows_and_node_weights() {
        let mut e = Egress::default();
        let params = LinkParams {
            rate: Some(1_000_000),
            bucket_size: 1,
            queue_limit_packets: Some(64),
            scheduler: Scheduler::Wrr,
            drop: DropPolicy::Red(RedParams::with_defaults(None, None, None, Some(64))),
            ..LinkParams::default()
        };
        e.set_link(0, 7, Some(params)).unwrap();
        e.set_flow_weight(1, 9, 3).unwrap();
        let dgram =
            |src: u32| Header::originate(PacketKind::Unicast, src, 9, 1, 1).datagram(&[0u8; 1460]);
        for _ in 0..16 {
            e.push(0, 7, dgram(1)).unwrap();
            e.push(0, 7, dgram(2)).unwrap();
        }
        let mut first = vec![];
        let mut t = 0;
        while first.len() < 8 {
            t += 100;
            e.pump(t);
            while let Some(tx) = e.pop() {
                first.push(u32::from_be_bytes(tx.datagram[4..8].try_into().unwrap()));
            }
        }
        let ones = first[..8].iter().filter(|&&s| s == 1).count();
        assert_eq!(ones, 6, "{first:?}");
    }
}
