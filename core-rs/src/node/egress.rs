//! The node's egress: one optional link model per neighbour between the engine and the
//! host's sockets. A neighbour without a model (the default) costs nothing: its datagrams go
//! straight to the ready queue.

use super::event::Transmit;
use crate::link::{Enqueue, LinkModel, LinkParamError, LinkParams, LinkStats};
use std::collections::{BTreeMap, VecDeque};

pub use crate::link::DropReason as LinkDrop;

#[derive(Default)]
pub struct Egress {
    models: BTreeMap<u32, LinkModel<Vec<u8>>>,
    ready: VecDeque<Transmit>,
}

impl Egress {
    /// Offers a datagram to the link towards `next_hop`. Emulated loss or a full emulated
    /// queue drops it (counted in that link's stats) and says why.
    pub fn push(&mut self, now_us: u64, next_hop: u32, datagram: Vec<u8>) -> Result<(), LinkDrop> {
        let Some(model) = self.models.get_mut(&next_hop) else {
            self.ready.push_back(Transmit { next_hop, datagram });
            return Ok(());
        };
        let size = datagram.len();
        match model.enqueue(now_us, datagram, size) {
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
