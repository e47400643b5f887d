//! The rate limiter's queue and the order it is served in: first in first out, or weighted
//! round robin between flows.
//!
//! WRR is deficit round robin (Shreedhar & Varghese, 1995): each backlogged flow class gets
//! `weight * QUANTUM_BYTES` bytes of credit per round and sends packets while its credit
//! covers the packet at its head. Counting bytes rather than packets is what keeps the shares
//! by weight when flows send packets of different sizes.
//!
//! A class exists only while it has packets queued, so memory follows the backlog: the
//! classes share the link's one `queue_limit_packets`, and at most [`MAX_FLOW_CLASSES`] are
//! backlogged at once; packets of further flows share one fallback class (weight 1) and are
//! counted in [`Queue::overflow`].
//!
//! Sharing one limit by plain tail drop would undo the weights: once the buffer is full each
//! freed slot goes to whichever flow arrives next, so a light flow's backlog grows until it
//! holds the buffer and a heavy flow, its class often empty, gets only what it manages to
//! slip in. So under WRR a class may hold at most its weighted share of the limit,
//! `ceil(limit * weight / sum of backlogged weights)` (at least one packet); an arrival
//! beyond it is tail-dropped like one beyond the limit.

use std::collections::{BTreeMap, VecDeque};

/// How the rate limiter picks the next packet to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scheduler {
    /// Arrival order.
    #[default]
    Fifo,
    /// Byte-fair weighted round robin between flows (deficit round robin).
    Wrr,
}

/// A flow as WRR tells flows apart: the wire header's source node and destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FlowId {
    pub src: u32,
    pub dst: u32,
}

/// Bytes of credit per round for weight 1: about one full-size datagram, so a weight-1 flow
/// sends roughly one packet per round and the round stays short.
pub const QUANTUM_BYTES: u64 = 1500;
/// Backlogged flow classes a link keeps apart; beyond this they share the fallback class.
pub const MAX_FLOW_CLASSES: usize = 1024;
/// Largest flow weight: keeps `weight * QUANTUM_BYTES` and the deficits far from overflow.
pub const MAX_FLOW_WEIGHT: u32 = 1_000_000;

/// A packet waiting for the rate limiter.
#[derive(Debug)]
pub(crate) struct Waiting<T> {
    pub pkt: T,
    pub size: usize,
    pub arrived_us: u64,
    pub flow: FlowId,
    pub weight: u32,
}

/// `None` is the fallback class.
type ClassKey = Option<FlowId>;

#[derive(Debug)]
struct Class<T> {
    pkts: VecDeque<Waiting<T>>,
    deficit: u64,
    weight: u32,
}

/// The rate limiter's queue under either scheduler.
#[derive(Debug)]
pub(crate) struct Queue<T> {
    mode: Scheduler,
    fifo: VecDeque<Waiting<T>>,
    classes: BTreeMap<ClassKey, Class<T>>,
    /// Backlogged classes in round-robin order; the front one is being served.
    active: VecDeque<ClassKey>,
    /// The front class has had its quantum for this visit.
    front_credited: bool,
    /// Sum of the weights of the backlogged classes.
    weight_sum: u64,
    len: usize,
    overflow: u64,
}

impl<T> Queue<T> {
    pub fn new(mode: Scheduler) -> Self {
        Queue {
            mode,
            fifo: VecDeque::new(),
            classes: BTreeMap::new(),
            active: VecDeque::new(),
            front_credited: false,
            weight_sum: 0,
            len: 0,
            overflow: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Packets that went to the fallback class because [`MAX_FLOW_CLASSES`] were backlogged.
    pub fn overflow(&self) -> u64 {
        self.overflow
    }

    /// Under WRR, whether the class `flow` would join already holds its weighted share of
    /// `limit` packets (see the module notes). Always false under FIFO.
    pub fn class_full(&self, flow: FlowId, weight: u32, limit: usize) -> bool {
        if self.mode == Scheduler::Fifo {
            return false;
        }
        let key = self.key_for(flow);
        let (held, sum, weight) = match self.classes.get(&key) {
            Some(c) => (c.pkts.len(), self.weight_sum, c.weight),
            None => {
                let w = Self::class_weight(key, weight);
                (0, self.weight_sum + u64::from(w), w)
            }
        };
        let share = (limit as u128 * u128::from(weight)).div_ceil(u128::from(sum.max(1)));
        held as u128 >= share.max(1)
    }

    /// The class a packet of `flow` goes to now.
    fn key_for(&self, flow: FlowId) -> ClassKey {
        let key = Some(flow);
        if self.classes.contains_key(&key) {
            return key;
        }
        // The fallback class does not count towards the bound.
        let flows = self.classes.len() - usize::from(self.classes.contains_key(&None));
        if flows >= MAX_FLOW_CLASSES {
            None
        } else {
            key
        }
    }

    /// The fallback class mixes flows, so it gets the default weight whatever they ask.
    fn class_weight(key: ClassKey, weight: u32) -> u32 {
        if key.is_some() {
            weight.clamp(1, MAX_FLOW_WEIGHT)
        } else {
            1
        }
    }

    pub fn push(&mut self, w: Waiting<T>) {
        self.len += 1;
        match self.mode {
            Scheduler::Fifo => self.fifo.push_back(w),
            Scheduler::Wrr => self.push_wrr(w),
        }
    }

    /// The packet the limiter sends next.
    pub fn front(&self) -> Option<&Waiting<T>> {
        match self.mode {
            Scheduler::Fifo => self.fifo.front(),
            Scheduler::Wrr => {
                let key = self.active.front()?;
                self.classes.get(key)?.pkts.front()
            }
        }
    }

    /// Removes and returns what [`front`](Self::front) showed.
    pub fn pop(&mut self) -> Option<Waiting<T>> {
        let w = match self.mode {
            Scheduler::Fifo => self.fifo.pop_front(),
            Scheduler::Wrr => self.pop_wrr(),
        }?;
        self.len -= 1;
        Some(w)
    }

    /// Switches scheduler keeping every packet, in the order the old one would have sent them.
    pub fn set_mode(&mut self, mode: Scheduler) {
        if mode == self.mode {
            return;
        }
        let mut next = Queue::new(mode);
        next.overflow = self.overflow;
        while let Some(w) = self.pop() {
            next.push(w);
        }
        *self = next;
    }

    fn push_wrr(&mut self, w: Waiting<T>) {
        let key = self.key_for(w.flow);
        if key.is_none() {
            self.overflow += 1;
        }
        let weight = Self::class_weight(key, w.weight);
        let class = self.classes.entry(key).or_insert_with(|| Class {
            pkts: VecDeque::new(),
            deficit: 0,
            weight: 0,
        });
        // A weight changed while the class is backlogged applies from its next round.
        self.weight_sum = self.weight_sum - u64::from(class.weight) + u64::from(weight);
        class.weight = weight;
        let was_idle = class.pkts.is_empty();
        class.pkts.push_back(w);
        if was_idle {
            self.active.push_back(key);
            if self.active.len() == 1 {
                self.front_credited = false;
            }
            self.settle();
        }
    }

    fn pop_wrr(&mut self) -> Option<Waiting<T>> {
        let key = *self.active.front()?;
        let class = self.classes.get_mut(&key)?;
        let w = class.pkts.pop_front()?;
        class.deficit = class.deficit.saturating_sub(w.size as u64);
        if class.pkts.is_empty() {
            // An idle class keeps no credit (DRR) and no memory.
            self.weight_sum -= u64::from(class.weight);
            self.classes.remove(&key);
            self.active.pop_front();
            self.front_credited = false;
        }
        self.settle();
        Some(w)
    }

    /// Restores the invariant that the front class's credit covers its head packet, so
    /// `front` (called through `&self` by `poll_timeout`) names the packet DRR sends next.
    fn settle(&mut self) {
        while let Some(&key) = self.active.front() {
            let Some(class) = self.classes.get_mut(&key) else {
                self.active.pop_front();
                continue;
            };
            if !self.front_credited {
                let quantum = u64::from(class.weight) * QUANTUM_BYTES;
                class.deficit = class.deficit.saturating_add(quantum);
                self.front_credited = true;
            }
            let head = class.pkts.front().map_or(0, |w| w.size as u64);
            if class.deficit >= head {
                return;
            }
            // Not enough credit: the next class's turn; this one keeps its credit.
            self.active.rotate_left(1);
            self.front_credited = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkt(src: u32, size: usize, weight: u32) -> Waiting<u32> {
        Waiting {
            pkt: src,
            size,
            arrived_us: 0,
            flow: FlowId { src, dst: 9 },
            weight,
        }
    }

    fn order(q: &mut Queue<u32>) -> Vec<u32> {
        std::iter::from_fn(|| q.pop().map(|w| w.pkt)).collect()
    }

    #[test]
    fn fifo_keeps_arrival_order() {
        let mut q = Queue::new(Scheduler::Fifo);
        for s in [1, 1, 2, 2, 1] {
            q.push(pkt(s, 100, 1));
        }
        assert_eq!(order(&mut q), [1, 1, 2, 2, 1]);
        assert_eq!(q.len(), 0);
    }

    #[test]
    fn wrr_alternates_equal_weights_and_follows_weight() {
        let mut q = Queue::new(Scheduler::Wrr);
        for _ in 0..4 {
            q.push(pkt(1, 1500, 1));
        }
        for _ in 0..4 {
            q.push(pkt(2, 1500, 1));
        }
        assert_eq!(order(&mut q), [1, 2, 1, 2, 1, 2, 1, 2]);
        for _ in 0..6 {
            q.push(pkt(1, 1500, 1));
            q.push(pkt(2, 1500, 2));
        }
        let first: Vec<u32> = order(&mut q).into_iter().take(6).collect();
        assert_eq!(first, [1, 2, 2, 1, 2, 2]);
    }

    #[test]
    fn wrr_is_byte_fair_not_packet_fair() {
        // Flow 1 sends 300-byte packets, flow 2 1500-byte ones, equal weights: per round each
        // gets 1500 bytes, so five small packets for each large one.
        let mut q = Queue::new(Scheduler::Wrr);
        for _ in 0..50 {
            q.push(pkt(1, 300, 1));
        }
        for _ in 0..10 {
            q.push(pkt(2, 1500, 1));
        }
        let (mut b1, mut b2) = (0, 0);
        for _ in 0..30 {
            let w = q.pop().unwrap();
            if w.pkt == 1 {
                b1 += w.size
            } else {
                b2 += w.size
            }
        }
        assert!(b1.abs_diff(b2) <= 1500, "{b1} vs {b2}");
    }

    #[test]
    fn a_packet_larger_than_the_quantum_still_leaves() {
        let mut q = Queue::new(Scheduler::Wrr);
        q.push(pkt(1, 9000, 1));
        q.push(pkt(2, 100, 1));
        let mut got = order(&mut q);
        got.sort();
        assert_eq!(got, [1, 2]);
    }

    #[test]
    fn classes_are_bounded_and_freed_when_idle() {
        let mut q = Queue::new(Scheduler::Wrr);
        for s in 0..(MAX_FLOW_CLASSES as u32 + 10) {
            q.push(pkt(s, 100, 1));
        }
        assert_eq!(q.overflow(), 10);
        assert_eq!(q.classes.len(), MAX_FLOW_CLASSES + 1);
        assert_eq!(order(&mut q).len(), MAX_FLOW_CLASSES + 10);
        assert!(q.classes.is_empty() && q.active.is_empty());
    }

    #[test]
    fn each_class_holds_at_most_its_weighted_share_of_the_limit() {
        let mut q = Queue::new(Scheduler::Wrr);
        let f = |src| FlowId { src, dst: 9 };
        // Alone, a class may take the whole limit.
        for _ in 0..10 {
            assert!(!q.class_full(f(1), 1, 10));
            q.push(pkt(1, 100, 1));
        }
        assert!(q.class_full(f(1), 1, 10));
        // A newcomer of weight 3 is entitled to ceil(10 * 3 / 4) = 8 packets; flow 1 is then
        // over its 3 until it drains.
        assert!(!q.class_full(f(2), 3, 10));
        q.push(pkt(2, 100, 3));
        assert!(q.class_full(f(1), 1, 10));
        assert!(!Queue::<u32>::new(Scheduler::Fifo).class_full(f(1), 1, 0));
    }

    #[test]
    fn switching_scheduler_keeps_every_packet() {
        let mut q = Queue::new(Scheduler::Fifo);
        for s in [1, 1, 1, 2] {
            q.push(pkt(s, 1500, 1));
        }
        q.set_mode(Scheduler::Wrr);
        assert_eq!(q.len(), 4);
        assert_eq!(order(&mut q), [1, 2, 1, 1]);
        q.push(pkt(3, 100, 1));
        q.set_mode(Scheduler::Fifo);
        assert_eq!(order(&mut q), [3]);
    }
}
