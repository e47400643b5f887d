//! Receiver side: bounded, strict, fair reassembly of fragmented messages.
//!
//! Memory policy. Nothing is reserved for what a header merely claims: a message's bytes are
//! kept in blocks of [`BLOCK_LEN`] bytes allocated as fragments land in them, and its record
//! of received fragments is a sparse bitmap grown the same way. Every allocation is charged
//! (with a fixed overhead per block, bitmap word and message) against `max_buffered_bytes`,
//! and the number of messages in progress is bounded by `max_incomplete_messages`. So a first
//! fragment of a message claiming 16 MiB costs one or two blocks, not 16 MiB.
//!
//! Fairness. Every message in progress is charged to the link-level sender its first
//! fragment came from (`from`, as the host identified it) and, within that sender, to the
//! source node its header names. When a new message needs a slot, or a fragment needs bytes,
//! and the limit is reached, room is made by evicting a message of the *heaviest* sender
//! (by slots or bytes, whichever is short), and within it of its heaviest source; the
//! requester's own sender and source count as the heaviest when they hold at least as much.
//! Within the chosen source the message that has gone longest without a new fragment goes
//! first, and of those the least complete. So one sender, or one (forged) source id, can
//! hold the whole budget only while nobody else needs it, and a flood only ever evicts the
//! flood: everyone else keeps the max-min fair share. Evictions are counted in `evicted`.
//! A fragment is refused (`dropped_no_memory`) only when no other message is left to make
//! room.
//!
//! Determinism. Keys live in ordered maps (no randomly seeded hashing), and time is only
//! what the caller passes in, so the same inputs always give the same outputs.

use super::error::{FragError, Inconsistency, ReassemblyDrop};
use crate::wire::{Header, PacketKind};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// How many recently completed messages are remembered, so that late duplicates of their
/// fragments are recognised instead of starting a new reassembly that could only expire.
/// About 40 bytes each; oldest forgotten first.
const REMEMBERED_COMPLETIONS: usize = 4096;

/// Size of the blocks a message's bytes are stored in, allocated as fragments arrive.
pub const BLOCK_LEN: usize = 2048;
/// Bytes charged per block on top of its data (map node, pointer, allocator slack).
const BLOCK_OVERHEAD: usize = 64;
/// Bytes charged per 64-fragment word of the sparse bitmap.
const WORD_CHARGE: usize = 32;
/// Bytes charged per message in progress (its record and index entries).
const ENTRY_CHARGE: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReassemblyConfig {
    /// Largest message accepted (its `total_len`). Default 16 MiB.
    pub max_payload_bytes: usize,
    /// Memory charged across all incomplete messages (data blocks, bitmaps, records).
    /// Default 64 MiB.
    pub max_buffered_bytes: usize,
    /// Incomplete messages in progress at once. Default 1024.
    pub max_incomplete_messages: usize,
    /// An incomplete message is expired this long after its first fragment arrived.
    /// Default 5 s.
    pub timeout_us: u64,
}

impl Default for ReassemblyConfig {
    fn default() -> Self {
        ReassemblyConfig {
            max_payload_bytes: 16 << 20,
            max_buffered_bytes: 64 << 20,
            max_incomplete_messages: 1024,
            timeout_us: 5_000_000,
        }
    }
}

/// A complete message, with the header fields that identify and route it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reassembled {
    pub kind: PacketKind,
    pub src_node: u32,
    pub dst: u32,
    pub src_port: u16,
    pub dst_port: u16,
    pub message_id: u32,
    pub total_len: u32,
    pub frag_count: u32,
    pub session_id: u32,
    pub tree_id: u16,
    pub data: Vec<u8>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReassemblyStats {
    /// Messages delivered, including single-fragment ones that were passed straight through.
    pub completed: u64,
    /// Incomplete messages discarded by [`Reassembler::handle_timeout`].
    pub expired: u64,
    /// Incomplete messages discarded early to make room (see the module docs).
    pub evicted: u64,
    /// Fragments already received (or belonging to a recently completed message), ignored.
    pub duplicates: u64,
    /// Fragments dropped as [`ReassemblyDrop::Inconsistent`].
    pub dropped_inconsistent: u64,
    /// Fragments dropped as [`ReassemblyDrop::TooLarge`].
    pub dropped_too_large: u64,
    /// Fragments dropped for lack of budget or of message slots, when no other message could
    /// fairly make room.
    pub dropped_no_memory: u64,
    /// Bytes currently charged to incomplete messages.
    pub buffered_bytes: usize,
    /// Messages currently being reassembled.
    pub incomplete_messages: usize,
}

/// Identity of a message: fragments with the same key belong together.
/// The kind is kept as its wire byte so the key is ordered without extra derives.
type Key = (u8, u32, u32, u16, u16, u32);

fn key_of(h: &Header) -> Key {
    (
        h.kind as u8,
        h.src_node,
        h.dst,
        h.src_port,
        h.dst_port,
        h.message_id,
    )
}

/// Position in the eviction order: (from, source, last progress, fragments received, seq).
/// The first entry of a (from, source) range is the one evicted first.
type Rank = (u32, u32, u64, u32, u64);

/// A message in progress.
#[derive(Debug)]
struct Partial {
    total_len: u32,
    frag_count: u32,
    /// Size of every fragment but the last; fixed by the first fragment seen.
    piece_len: u32,
    session_id: u32,
    tree_id: u16,
    /// Data blocks by index (`BLOCK_LEN` bytes each, the last one shorter).
    blocks: BTreeMap<u32, Box<[u8]>>,
    /// Sparse bitmap of received fragment indices: word index -> bits.
    received: BTreeMap<u32, u64>,
    missing: u32,
    /// Bytes charged against the budget for this message.
    charge: usize,
    /// Entry in `Reassembler::deadlines`.
    deadline: (u64, u64),
    /// Entry in `Reassembler::order`.
    rank: Rank,
}

/// The bytes a complete message would be charged: the most its partial can ever hold.
fn full_charge(total_len: u32, frag_count: u32) -> usize {
    let t = total_len as usize;
    t.saturating_add(t.div_ceil(BLOCK_LEN).saturating_mul(BLOCK_OVERHEAD))
        .saturating_add(
            (frag_count as usize)
                .div_ceil(64)
                .saturating_mul(WORD_CHARGE),
        )
        .saturating_add(ENTRY_CHARGE)
}

/// The piece size implied by one fragment of a multi-fragment message, if any
/// fragmentation of `total_len` into `frag_count` pieces could have produced it.
fn implied_piece_len(h: &Header) -> Option<u32> {
    let (t, n, len) = (
        u64::from(h.total_len),
        u64::from(h.frag_count),
        u64::from(h.payload_len),
    );
    let piece = if h.frag_index + 1 < h.frag_count {
        len
    } else {
        // The last fragment carries what the n-1 equal pieces leave over.
        let rest = t.checked_sub(len)?;
        if rest % (n - 1) != 0 {
            return None;
        }
        rest / (n - 1)
    };
    // n <= 2^32 and piece < 2^32 (checked below first), so the product cannot overflow.
    if piece == 0 || piece > u64::from(u16::MAX) {
        return None;
    }
    let last = t.checked_sub((n - 1) * piece)?;
    // A non-empty remainder no larger than a piece: exactly what the fragmenter produces.
    // It also implies frag_count <= total_len, which bounds the bitmap.
    if last == 0 || last > piece {
        return None;
    }
    Some(piece as u32)
}

/// Slots and bytes held by one sender or one (sender, source), with orderings to find the
/// heaviest quickly. Members are grouped: senders under group 0, sources under their sender.
#[derive(Debug, Default)]
struct Ledger {
    usage: BTreeMap<(u32, u32), (usize, usize)>,
    by_slots: BTreeSet<(u32, usize, u32)>,
    by_bytes: BTreeSet<(u32, usize, u32)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Metric {
    Slots,
    Bytes,
}

impl Ledger {
    fn get(&self, group: u32, member: u32) -> (usize, usize) {
        self.usage.get(&(group, member)).copied().unwrap_or((0, 0))
    }

    fn value(&self, metric: Metric, group: u32, member: u32) -> usize {
        let (s, b) = self.get(group, member);
        match metric {
            Metric::Slots => s,
            Metric::Bytes => b,
        }
    }

    /// Adds (or, negative, removes) slots and bytes.
    fn add(&mut self, group: u32, member: u32, slots: isize, bytes: isize) {
        let (s, b) = self.get(group, member);
        self.by_slots.remove(&(group, s, member));
        self.by_bytes.remove(&(group, b, member));
        let (s, b) = (s.wrapping_add_signed(slots), b.wrapping_add_signed(bytes));
        if s == 0 && b == 0 {
            self.usage.remove(&(group, member));
        } else {
            self.usage.insert((group, member), (s, b));
            self.by_slots.insert((group, s, member));
            self.by_bytes.insert((group, b, member));
        }
    }

    /// The member of `group` holding the most (ties: the highest id), with its amount.
    fn heaviest(&self, metric: Metric, group: u32) -> Option<(u32, usize)> {
        let set = match metric {
            Metric::Slots => &self.by_slots,
            Metric::Bytes => &self.by_bytes,
        };
        set.range((group, 0, 0)..=(group, usize::MAX, u32::MAX))
            .next_back()
            .map(|&(_, v, m)| (m, v))
    }
}

/// Group of the sender level in the ledger.
const SENDERS: u32 = 0;

/// Collects fragments into messages. See the module docs for the memory policy.
#[derive(Debug)]
pub struct Reassembler {
    config: ReassemblyConfig,
    partials: BTreeMap<Key, Partial>,
    /// (deadline, sequence) -> key, so the next expiry is the first entry.
    deadlines: BTreeMap<(u64, u64), Key>,
    /// Eviction order (see [`Rank`]).
    order: BTreeMap<Rank, Key>,
    /// Slots and bytes per sender (group 0) and per (sender, source).
    ledger: Ledger,
    next_seq: u64,
    /// Recently completed keys with the time until which they are remembered, oldest first.
    completed_order: VecDeque<(u64, Key)>,
    completed_keys: BTreeMap<Key, u64>,
    stats: ReassemblyStats,
}

impl Reassembler {
    /// Fails with `ConfigInvalid` when no message of `max_payload_bytes` could ever be
    /// reassembled within the limits, or when `timeout_us` is zero.
    pub fn new(config: ReassemblyConfig) -> Result<Self, FragError> {
        let invalid = |field, reason: String| Err(FragError::InvalidConfig { field, reason });
        if config.max_incomplete_messages == 0 {
            return invalid("max_incomplete_messages", "must be at least 1".into());
        }
        if config.timeout_us == 0 {
            return invalid("timeout_us", "must be at least 1".into());
        }
        // Worst case for a maximal message: one-byte pieces, so one bitmap bit per byte.
        let max_len = config.max_payload_bytes.min(u32::MAX as usize) as u32;
        let worst = full_charge(max_len, max_len);
        if config.max_buffered_bytes < worst {
            return invalid(
                "max_buffered_bytes",
                format!(
                    "of {} cannot hold one message of max_payload_bytes {} (needs {worst} with its fragment bitmap)",
                    config.max_buffered_bytes, config.max_payload_bytes
                ),
            );
        }
        Ok(Reassembler {
            config,
            partials: BTreeMap::new(),
            deadlines: BTreeMap::new(),
            order: BTreeMap::new(),
            ledger: Ledger::default(),
            next_seq: 0,
            completed_order: VecDeque::new(),
            completed_keys: BTreeMap::new(),
            stats: ReassemblyStats::default(),
        })
    }

    pub fn config(&self) -> &ReassemblyConfig {
        &self.config
    }

    pub fn stats(&self) -> ReassemblyStats {
        ReassemblyStats {
            buffered_bytes: self.stats.buffered_bytes,
            incomplete_messages: self.partials.len(),
            ..self.stats
        }
    }

    /// Messages in progress and bytes charged for those whose first fragment came from the
    /// link-level sender `from`.
    pub fn sender_usage(&self, from: u32) -> (usize, usize) {
        self.ledger.get(SENDERS, from)
    }

    /// Like [`Self::handle_from`] with the sender unknown (0): every caller shares one share.
    pub fn handle(
        &mut self,
        now_us: u64,
        header: &Header,
        payload: &[u8],
    ) -> Result<Option<Reassembled>, ReassemblyDrop> {
        self.handle_from(now_us, 0, header, payload)
    }

    /// Accepts one fragment (`payload` is the datagram's bytes after the header) that the
    /// link-level sender `from` handed over. Returns the message when this fragment completes
    /// it, `Ok(None)` when more are needed or the fragment was a harmless duplicate, and the
    /// reason when it was dropped.
    ///
    /// Single-fragment messages are returned at once and never buffered (so a duplicated
    /// single-fragment datagram is delivered twice: there is nothing to compare it with).
    /// Expiry is not run here; drive it with [`Self::poll_timeout`]/[`Self::handle_timeout`].
    pub fn handle_from(
        &mut self,
        now_us: u64,
        from: u32,
        header: &Header,
        payload: &[u8],
    ) -> Result<Option<Reassembled>, ReassemblyDrop> {
        self.forget_completed(now_us);
        let result = self.accept(now_us, from, header, payload);
        match &result {
            Ok(Some(_)) => self.stats.completed += 1,
            Ok(None) => {}
            Err(ReassemblyDrop::TooLarge { .. }) => self.stats.dropped_too_large += 1,
            Err(ReassemblyDrop::Inconsistent(_)) => self.stats.dropped_inconsistent += 1,
            Err(ReassemblyDrop::BudgetExhausted { .. })
            | Err(ReassemblyDrop::TooManyIncomplete { .. }) => self.stats.dropped_no_memory += 1,
        }
        result
    }

    fn accept(
        &mut self,
        now_us: u64,
        from: u32,
        h: &Header,
        payload: &[u8],
    ) -> Result<Option<Reassembled>, ReassemblyDrop> {
        use Inconsistency as I;
        let bad = |why| Err(ReassemblyDrop::Inconsistent(why));
        // Header::decode already guarantees these, but a Header can be built by hand.
        if usize::from(h.payload_len) != payload.len() {
            return bad(I::PayloadLen {
                payload_len: h.payload_len,
                available: payload.len(),
            });
        }
        if h.frag_count == 0 || h.frag_index >= h.frag_count {
            return bad(I::Index {
                index: h.frag_index,
                count: h.frag_count,
            });
        }
        if h.total_len as usize > self.config.max_payload_bytes {
            return Err(ReassemblyDrop::TooLarge {
                total_len: h.total_len,
                max: self.config.max_payload_bytes,
            });
        }
        if h.frag_count == 1 {
            if u32::from(h.payload_len) != h.total_len {
                return bad(I::SingleLength {
                    payload_len: h.payload_len,
                    total_len: h.total_len,
                });
            }
            return Ok(Some(message(h, payload.to_vec())));
        }

        let key = key_of(h);
        if self.completed_keys.contains_key(&key) {
            self.stats.duplicates += 1;
            return Ok(None);
        }
        let fresh = !self.partials.contains_key(&key);
        if fresh {
            self.start(now_us, from, key, h)?;
        }
        // Present: either found or just inserted by `start`.
        let Some(p) = self.partials.get(&key) else {
            return Ok(None);
        };

        let offset = match check(p, h) {
            Ok(offset) => offset,
            Err(why) => {
                // `start` derived the message from this very fragment, so a fresh one always
                // passes; removing it anyway keeps a logic slip from holding a slot.
                if fresh {
                    self.remove(&key);
                }
                return bad(why);
            }
        };
        let (word, bit) = (h.frag_index / 64, h.frag_index % 64);
        if p.received.get(&word).is_some_and(|w| w & (1 << bit) != 0) {
            self.stats.duplicates += 1;
            return Ok(None);
        }

        // What storing this piece costs: any block or bitmap word not there yet.
        let start = offset as usize;
        let end = start + payload.len();
        let total = p.total_len as usize;
        let (first_block, last_block) = (start / BLOCK_LEN, (end - 1) / BLOCK_LEN);
        let mut needed = 0;
        for b in first_block..=last_block {
            if !p.blocks.contains_key(&(b as u32)) {
                needed += block_len(total, b) + BLOCK_OVERHEAD;
            }
        }
        if !p.received.contains_key(&word) {
            needed += WORD_CHARGE;
        }
        let (rank_from, src) = (p.rank.0, p.rank.1);
        if let Err(e) = self.make_room_bytes(needed, rank_from, src, key) {
            if fresh {
                self.remove(&key);
            }
            return Err(e);
        }

        let p = self.partials.get_mut(&key).expect("partial present");
        for b in first_block..=last_block {
            let block = p
                .blocks
                .entry(b as u32)
                .or_insert_with(|| vec![0; block_len(total, b)].into_boxed_slice());
            let b_start = b * BLOCK_LEN;
            let lo = start.max(b_start);
            let hi = end.min(b_start + block.len());
            block[lo - b_start..hi - b_start].copy_from_slice(&payload[lo - start..hi - start]);
        }
        *p.received.entry(word).or_insert(0) |= 1 << bit;
        p.missing -= 1;
        p.charge += needed;
        self.stats.buffered_bytes += needed;
        let grow = needed as isize;
        self.ledger.add(SENDERS, rank_from, 0, grow);
        self.ledger.add(rank_from, src, 0, grow);
        if p.missing > 0 {
            // Progress: this message moves to the back of its source's eviction order.
            let old = p.rank;
            let rank = (old.0, old.1, now_us, p.frag_count - p.missing, old.4);
            p.rank = rank;
            self.order.remove(&old);
            self.order.insert(rank, key);
            return Ok(None);
        }

        let p = self.remove(&key).expect("partial present");
        self.remember_completed(now_us, key);
        let mut data = Vec::with_capacity(total);
        for (_, block) in p.blocks {
            data.extend_from_slice(&block);
        }
        Ok(Some(message(h, data)))
    }

    /// Registers a new, still empty partial message for `h`'s key (evicting one if every
    /// slot is taken), or says why not.
    fn start(
        &mut self,
        now_us: u64,
        from: u32,
        key: Key,
        h: &Header,
    ) -> Result<(), ReassemblyDrop> {
        let piece_len = implied_piece_len(h).ok_or(ReassemblyDrop::Inconsistent(
            Inconsistency::Impossible {
                index: h.frag_index,
                count: h.frag_count,
                total_len: h.total_len,
                payload_len: h.payload_len,
            },
        ))?;
        while self.partials.len() >= self.config.max_incomplete_messages {
            let victim = self.victim(Metric::Slots, from, h.src_node, None).ok_or(
                ReassemblyDrop::TooManyIncomplete {
                    max: self.config.max_incomplete_messages,
                },
            )?;
            self.evict(&victim);
        }
        if self
            .make_room_bytes(ENTRY_CHARGE, from, h.src_node, key)
            .is_err()
        {
            return Err(ReassemblyDrop::BudgetExhausted {
                needed: ENTRY_CHARGE,
                buffered: self.stats.buffered_bytes,
                max: self.config.max_buffered_bytes,
            });
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let deadline = (now_us.saturating_add(self.config.timeout_us), seq);
        let rank = (from, h.src_node, now_us, 0, seq);
        self.deadlines.insert(deadline, key);
        self.order.insert(rank, key);
        self.stats.buffered_bytes += ENTRY_CHARGE;
        self.ledger.add(SENDERS, from, 1, ENTRY_CHARGE as isize);
        self.ledger.add(from, h.src_node, 1, ENTRY_CHARGE as isize);
        self.partials.insert(
            key,
            Partial {
                total_len: h.total_len,
                frag_count: h.frag_count,
                piece_len,
                session_id: h.session_id,
                tree_id: h.tree_id,
                blocks: BTreeMap::new(),
                received: BTreeMap::new(),
                missing: h.frag_count,
                charge: ENTRY_CHARGE,
                deadline,
                rank,
            },
        );
        Ok(())
    }

    /// Evicts messages until `needed` more bytes fit, never `keep` itself.
    fn make_room_bytes(
        &mut self,
        needed: usize,
        from: u32,
        src: u32,
        keep: Key,
    ) -> Result<(), ReassemblyDrop> {
        while needed > self.config.max_buffered_bytes - self.stats.buffered_bytes {
            let Some(victim) = self.victim(Metric::Bytes, from, src, Some(keep)) else {
                return Err(ReassemblyDrop::BudgetExhausted {
                    needed,
                    buffered: self.stats.buffered_bytes,
                    max: self.config.max_buffered_bytes,
                });
            };
            self.evict(&victim);
        }
        Ok(())
    }

    /// The message to evict so that `(from, src)` gets room: the first in the eviction order
    /// of the heaviest source of the heaviest sender, where the requester's own sender and
    /// source win ties. `None` when only `keep` could go.
    fn victim(&self, metric: Metric, from: u32, src: u32, keep: Option<Key>) -> Option<Key> {
        let l = &self.ledger;
        let sender = match l.heaviest(metric, SENDERS) {
            Some((f, v)) if v > l.value(metric, SENDERS, from) => f,
            _ => from,
        };
        let source = match l.heaviest(metric, sender) {
            Some((s, v)) if sender != from || v > l.value(metric, from, src) => s,
            _ => src,
        };
        let first = |f: u32, s: u32| {
            self.order
                .range((f, s, 0, 0, 0)..=(f, s, u64::MAX, u32::MAX, u64::MAX))
                .map(|(_, k)| *k)
                .find(|k| Some(*k) != keep)
        };
        first(sender, source)
            .or_else(|| {
                // The requester's own share holds nothing but `keep`: the heaviest overall.
                let (f, _) = l.heaviest(metric, SENDERS)?;
                let (s, _) = l.heaviest(metric, f)?;
                first(f, s)
            })
            .or_else(|| self.order.values().copied().find(|k| Some(*k) != keep))
    }

    fn evict(&mut self, key: &Key) {
        if self.remove(key).is_some() {
            self.stats.evicted += 1;
        }
    }

    /// Takes a partial out of every index and releases its charge.
    fn remove(&mut self, key: &Key) -> Option<Partial> {
        let p = self.partials.remove(key)?;
        self.deadlines.remove(&p.deadline);
        self.order.remove(&p.rank);
        self.stats.buffered_bytes -= p.charge;
        let (from, src) = (p.rank.0, p.rank.1);
        let charge = -(p.charge as isize);
        self.ledger.add(SENDERS, from, -1, charge);
        self.ledger.add(from, src, -1, charge);
        Some(p)
    }

    /// When the next incomplete message expires, if any.
    pub fn poll_timeout(&self) -> Option<u64> {
        self.deadlines.keys().next().map(|&(at, _)| at)
    }

    /// Expires every incomplete message whose deadline is at or before `now_us`, freeing its
    /// memory. Calling it early, late or repeatedly is harmless.
    pub fn handle_timeout(&mut self, now_us: u64) {
        while let Some((&(at, _), &key)) = self.deadlines.first_key_value() {
            if at > now_us {
                break;
            }
            if self.remove(&key).is_some() {
                self.stats.expired += 1;
            }
        }
        self.forget_completed(now_us);
    }

    fn remember_completed(&mut self, now_us: u64, key: Key) {
        if self.completed_order.len() >= REMEMBERED_COMPLETIONS {
            if let Some((_, old)) = self.completed_order.pop_front() {
                self.completed_keys.remove(&old);
            }
        }
        // Long enough for any straggler that could still have joined the message.
        let until = now_us.saturating_add(self.config.timeout_us);
        self.completed_order.push_back((until, key));
        self.completed_keys.insert(key, until);
    }

    fn forget_completed(&mut self, now_us: u64) {
        while let Some(&(until, key)) = self.completed_order.front() {
            if until > now_us {
                break;
            }
            self.completed_order.pop_front();
            self.completed_keys.remove(&key);
        }
    }
}

/// Length of block `b` of a `total`-byte message.
fn block_len(total: usize, b: usize) -> usize {
    (total - b * BLOCK_LEN).min(BLOCK_LEN)
}

/// Checks a fragment against its message; returns the fragment's byte offset.
fn check(p: &Partial, h: &Header) -> Result<u64, Inconsistency> {
    use Inconsistency as I;
    if h.total_len != p.total_len {
        return Err(I::TotalLen {
            expected: p.total_len,
            found: h.total_len,
        });
    }
    if h.frag_count != p.frag_count {
        return Err(I::FragCount {
            expected: p.frag_count,
            found: h.frag_count,
        });
    }
    if h.session_id != p.session_id || h.tree_id != p.tree_id {
        return Err(I::Metadata);
    }
    let full = u64::from(p.piece_len);
    let offset = u64::from(h.frag_index) * full;
    let expected = if h.frag_index + 1 < p.frag_count {
        full
    } else {
        u64::from(p.total_len) - u64::from(p.frag_count - 1) * full
    };
    if u64::from(h.payload_len) != expected {
        return Err(I::PieceLen {
            index: h.frag_index,
            expected: expected as u32,
            found: h.payload_len,
        });
    }
    if offset + expected > u64::from(p.total_len) {
        // Unreachable given the checks above; kept so a logic slip cannot panic a slice.
        return Err(I::OutOfBounds {
            offset,
            payload_len: h.payload_len,
            total_len: p.total_len,
        });
    }
    Ok(offset)
}

fn message(h: &Header, data: Vec<u8>) -> Reassembled {
    Reassembled {
        kind: h.kind,
        src_node: h.src_node,
        dst: h.dst,
        src_port: h.src_port,
        dst_port: h.dst_port,
        message_id: h.message_id,
        total_len: h.total_len,
        frag_count: h.frag_count,
        session_id: h.session_id,
        tree_id: h.tree_id,
        data,
    }
}
