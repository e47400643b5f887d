//! [`LinkModel`]: the per-neighbour egress emulator (loss, queue, rate, delay, jitter).
//!
//! A packet goes through these stages, in this order:
//!
//! 1. **Loss**, decided at [`LinkModel::enqueue`] from the seeded RNG. Lost packets never
//!    take queue space or bandwidth (like netem, unlike a real lossy wire). Deciding first
//!    keeps packet `i`'s fate a function of the seed and `i` alone.
//! 2. **Early drop** with `drop = Red` (see [`super::red`]), decided from the average queue.
//! 3. **Tail drop** if `queue_limit_packets` packets are already waiting for the limiter.
//! 4. **Rate limiter**: a queue in front of a token bucket (see [`super::token_bucket`]),
//!    served in arrival order or, with `scheduler = Wrr`, by weighted round robin between
//!    flows (see [`super::scheduler`]).
//!    The departure time of each packet is computed exactly, not rounded to the times the
//!    host happens to call in, so host timer slack never changes the emulated rate.
//! 5. **Propagation**: `delay_us` plus a jitter drawn uniformly in `[0, jitter_us]`.
//!    Without `reorder` a packet is never delivered before one that left ahead of it (its
//!    delivery time is raised to the latest one scheduled so far); with `reorder` it may be.
//! 6. **Delivery** through [`LinkModel::poll`], earliest delivery time first, ties in
//!    departure order.
//!
//! Time handling: every call takes `now_us`; a time earlier than one already seen is
//! treated as that latest time, so out-of-order or stale timer calls are harmless and the
//! model's clock never runs backwards.
//!
//! Memory: the rate limiter's queue never holds more than `queue_limit_packets` packets
//! (it only drains if a smaller limit is set while it is longer). Without a limit the host
//! bounds it: the node admits packets from its own bounded queue. Packets in propagation
//! are not covered by the limit; there are at most as many as the host offers during one
//! `delay_us + jitter_us`.

use super::loss::LossModel;
use super::params::{LinkParamError, LinkParams};
use super::red::{DropPolicy, Red};
use super::rng::Rng;
use super::scheduler::{FlowId, Queue, Waiting};
use super::stats::{LinkStats, RateMeter};
use super::token_bucket::TokenBucket;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// RNG stream numbers within one seed (see [`Rng::stream`]).
const LOSS_STREAM: u32 = 0;
const JITTER_STREAM: u32 = 1;
const RED_STREAM: u32 = 2;

/// Why [`LinkModel::enqueue`] dropped a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// Random loss (`loss` or `loss_burst`).
    Loss,
    /// `queue_limit_packets` packets were already waiting for the rate limiter.
    Queue,
    /// Random early detection dropped it (`drop = Red`).
    Red,
}

/// Outcome of [`LinkModel::enqueue`]. A dropped packet has been consumed and counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[must_use]
pub enum Enqueue {
    Accepted,
    Dropped(DropReason),
}

/// A packet past the rate limiter. Ordered by delivery time, then departure order, reversed
/// so that `BinaryHeap` (a max-heap) yields the earliest first. The packet itself takes no
/// part in the order, so `T` needs no trait bounds.
#[derive(Debug)]
struct InFlight<T> {
    deliver_us: u64,
    seq: u64,
    pkt: T,
}

impl<T> InFlight<T> {
    fn key(&self) -> (u64, u64) {
        (self.deliver_us, self.seq)
    }
}

impl<T> PartialEq for InFlight<T> {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl<T> Eq for InFlight<T> {}

impl<T> PartialOrd for InFlight<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> Ord for InFlight<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        other.key().cmp(&self.key())
    }
}

/// Sans-IO emulation of one directed link, generic over the host's packet type.
///
/// The host drives it with [`enqueue`](Self::enqueue), [`poll`](Self::poll) and
/// [`poll_timeout`](Self::poll_timeout):
///
/// ```
/// use nextmini_core::link::{Enqueue, LinkModel, LinkParams};
/// let params = LinkParams { delay_us: 40_000, ..LinkParams::default() };
/// let mut link = LinkModel::new(params).unwrap();
/// assert_eq!(link.enqueue(0, "hello", 5), Enqueue::Accepted);
/// assert_eq!(link.poll(0), None);
/// assert_eq!(link.poll_timeout(), Some(40_000));
/// assert_eq!(link.poll(40_000), Some("hello"));
/// ```
#[derive(Debug)]
pub struct LinkModel<T> {
    params: LinkParams,
    /// `None` when the rate is unlimited.
    bucket: Option<TokenBucket>,
    loss: LossModel,
    loss_rng: Rng,
    jitter_rng: Rng,
    red_rng: Rng,
    red: Red,
    waiting: Queue<T>,
    in_flight: BinaryHeap<InFlight<T>>,
    /// Departure order of the next packet to leave the limiter.
    next_seq: u64,
    /// No packet leaves the limiter before this: the last departure or parameter change.
    /// Keeps packets that waited under an old rate from departing in the past.
    limiter_floor_us: u64,
    /// Latest delivery time scheduled so far (the bound used when `reorder` is off).
    last_delivery_us: u64,
    /// Latest time seen in any call.
    now_us: u64,
    bytes_sent: u64,
    packets_sent: u64,
    drops_loss: u64,
    drops_queue: u64,
    drops_red: u64,
    meter: RateMeter,
}

impl<T> LinkModel<T> {
    /// A link with validated `params`. Its bucket starts full.
    pub fn new(params: LinkParams) -> Result<Self, LinkParamError> {
        params.validate()?;
        Ok(LinkModel {
            params,
            bucket: params
                .rate
                .map(|r| TokenBucket::new_full(r, params.bucket_size, 0)),
            loss: LossModel::new(&params),
            loss_rng: Rng::stream(params.seed, LOSS_STREAM),
            jitter_rng: Rng::stream(params.seed, JITTER_STREAM),
            red_rng: Rng::stream(params.seed, RED_STREAM),
            red: Red::default(),
            waiting: Queue::new(params.scheduler),
            in_flight: BinaryHeap::new(),
            next_seq: 0,
            limiter_floor_us: 0,
            last_delivery_us: 0,
            now_us: 0,
            bytes_sent: 0,
            packets_sent: 0,
            drops_loss: 0,
            drops_queue: 0,
            drops_red: 0,
            meter: RateMeter::default(),
        })
    }

    pub fn params(&self) -> &LinkParams {
        &self.params
    }

    /// Offers a packet of `size_bytes` (the size the rate limiter charges) at `now_us`, as
    /// part of one default flow (weight 1).
    pub fn enqueue(&mut self, now_us: u64, pkt: T, size_bytes: usize) -> Enqueue {
        self.enqueue_flow(now_us, pkt, size_bytes, FlowId::default(), 1)
    }

    /// Offers a packet of flow `flow` with WRR weight `weight` (only `scheduler = Wrr`
    /// looks at either; a weight of 0 counts as 1).
    pub fn enqueue_flow(
        &mut self,
        now_us: u64,
        pkt: T,
        size_bytes: usize,
        flow: FlowId,
        weight: u32,
    ) -> Enqueue {
        let now = self.tick(now_us);
        // Packets due to leave by now free their queue slots before the limit is checked.
        self.release(now);
        if self.loss.is_lost(&mut self.loss_rng) {
            self.drops_loss += 1;
            return Enqueue::Dropped(DropReason::Loss);
        }
        if let DropPolicy::Red(red) = &self.params.drop {
            // One packet's transmission time at the link's rate, for the idle decay.
            let tx_us = self
                .params
                .rate
                .map_or(0, |r| (size_bytes as u64).saturating_mul(1_000_000) / r);
            if self
                .red
                .on_arrival(red, self.waiting.len(), now, tx_us, &mut self.red_rng)
            {
                self.drops_red += 1;
                return Enqueue::Dropped(DropReason::Red);
            }
        }
        if let Some(limit) = self.params.queue_limit_packets {
            // Under WRR each flow also stops at its weighted share of the limit.
            if self.waiting.len() >= limit || self.waiting.class_full(flow, weight, limit) {
                self.drops_queue += 1;
                return Enqueue::Dropped(DropReason::Queue);
            }
        }
        self.waiting.push(Waiting {
            pkt,
            size: size_bytes,
            arrived_us: now,
            flow,
            weight,
        });
        // With tokens to spare (or no rate limit) it leaves at once, so an unshaped link
        // hands it back from a `poll` at this same `now`.
        self.release(now);
        Enqueue::Accepted
    }

    /// The next packet whose delivery time is `<= now_us`, if any. Call until `None`.
    pub fn poll(&mut self, now_us: u64) -> Option<T> {
        let now = self.tick(now_us);
        self.release(now);
        if self.in_flight.peek()?.deliver_us <= now {
            self.in_flight.pop().map(|f| f.pkt)
        } else {
            None
        }
    }

    /// The earliest time at which `poll` may have something new: the next delivery, or the
    /// time tokens suffice for the packet at the head of the queue. `None` when the link is
    /// empty. A time not after the latest `now` passed in means "poll now". Waking up early
    /// or late is harmless: `poll` works from the time it is given.
    pub fn poll_timeout(&self) -> Option<u64> {
        let delivery = self.in_flight.peek().map(|f| f.deliver_us);
        let departure = self.waiting.front().map(|w| self.departure_time(w));
        match (delivery, departure) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Applies new parameters from `now_us` on, keeping every queued and in-flight packet.
    ///
    /// Packets due to leave the limiter by `now_us` leave under the old parameters; the
    /// rest continue under the new rate from `now_us`, with the tokens earned so far (a
    /// link that was unlimited starts with a full bucket). Packets already in propagation
    /// keep their delivery times; the new delay and jitter apply to later departures, and
    /// without `reorder` they still never overtake earlier packets. A lower
    /// `queue_limit_packets` drops nothing; new packets are refused until the queue is below
    /// it. The Gilbert–Elliott state carries over if the chain stays enabled. The RNG
    /// streams are reseeded only if `seed` changes, so an unrelated change does not replay
    /// the same random sequence. Invalid parameters are rejected and change nothing.
    pub fn set_params(&mut self, now_us: u64, params: LinkParams) -> Result<(), LinkParamError> {
        params.validate()?;
        let now = self.tick(now_us);
        self.release(now);
        self.bucket = match (self.bucket.take(), params.rate) {
            (_, None) => None,
            (Some(mut b), Some(rate)) => {
                b.reconfigure(now, rate, params.bucket_size);
                Some(b)
            }
            (None, Some(rate)) => Some(TokenBucket::new_full(rate, params.bucket_size, now)),
        };
        self.limiter_floor_us = self.limiter_floor_us.max(now);
        self.loss.reconfigure(&params);
        if params.seed != self.params.seed {
            self.loss_rng = Rng::stream(params.seed, LOSS_STREAM);
            self.jitter_rng = Rng::stream(params.seed, JITTER_STREAM);
            self.red_rng = Rng::stream(params.seed, RED_STREAM);
        }
        self.waiting.set_mode(params.scheduler);
        if matches!(self.params.drop, DropPolicy::Tail) && matches!(params.drop, DropPolicy::Red(_))
        {
            // RED turned on: its average starts from the queue as it is now.
            self.red = Red::starting_at(self.waiting.len(), now);
        }
        self.params = params;
        self.release(now);
        Ok(())
    }

    /// Counters as of the latest call.
    /// Packets held by the link: waiting for the rate limiter or in delay. Cheap (no rate
    /// computation), for hot paths that only need the count.
    pub fn held(&self) -> usize {
        self.waiting.len() + self.in_flight.len()
    }

    pub fn stats(&self) -> LinkStats {
        LinkStats {
            bytes_sent: self.bytes_sent,
            packets_sent: self.packets_sent,
            drops_loss: self.drops_loss,
            drops_queue: self.drops_queue,
            drops_red: self.drops_red,
            flow_overflow: self.waiting.overflow(),
            queue_depth: self.waiting.len(),
            in_flight: self.in_flight.len(),
            measured_rate_bps: self.meter.rate(),
        }
    }

    /// RED's average queue length (packets) as of the last arrival; `None` without RED.
    pub fn red_average(&self) -> Option<f64> {
        matches!(self.params.drop, DropPolicy::Red(_)).then(|| self.red.average())
    }

    /// Clamps `now_us` to the latest time seen, so the model's clock is monotonic.
    fn tick(&mut self, now_us: u64) -> u64 {
        self.now_us = self.now_us.max(now_us);
        self.meter.advance(self.now_us);
        self.now_us
    }

    /// When `w` (the head of the queue) may leave the limiter.
    fn departure_time(&self, w: &Waiting<T>) -> u64 {
        let earliest = w.arrived_us.max(self.limiter_floor_us);
        match &self.bucket {
            None => earliest,
            Some(b) => b.ready_at(earliest, w.size),
        }
    }

    /// Moves every packet whose departure time is `<= now` from the limiter's queue into
    /// propagation, each at its exact departure time.
    fn release(&mut self, now: u64) {
        while let Some(head) = self.waiting.front() {
            let departure = self.departure_time(head);
            if departure > now {
                break;
            }
            let Some(w) = self.waiting.pop() else {
                break;
            };
            if self.waiting.len() == 0 {
                self.red.queue_emptied(departure);
            }
            if let Some(b) = &mut self.bucket {
                b.take(departure, w.size);
            }
            self.limiter_floor_us = departure;
            self.launch(departure, w);
        }
    }

    /// Counts a departure and schedules its delivery.
    fn launch(&mut self, departure: u64, w: Waiting<T>) {
        let size = w.size as u64;
        self.bytes_sent = self.bytes_sent.saturating_add(size);
        self.packets_sent += 1;
        self.meter.record(departure, size);
        let jitter = match self.params.jitter_us {
            0 => 0,
            j => self.jitter_rng.below_or_eq(j),
        };
        let mut deliver_us = departure
            .saturating_add(self.params.delay_us)
            .saturating_add(jitter);
        if !self.params.reorder {
            deliver_us = deliver_us.max(self.last_delivery_us);
        }
        self.last_delivery_us = self.last_delivery_us.max(deliver_us);
        let seq = self.next_seq;
        self.next_seq += 1;
        self.in_flight.push(InFlight {
            deliver_us,
            seq,
            pkt: w.pkt,
        });
    }
}
