//! Receiver side: bounded, strict reassembly of fragmented messages.
//!
//! Memory policy. A message's buffer (`total_len` bytes plus a bitmap of received
//! fragments) is reserved in full when its first fragment arrives, and only if the whole
//! reservation fits in `max_buffered_bytes`; otherwise the fragment is dropped and counted
//! in `dropped_no_memory`. Messages already in progress are never evicted to make room:
//! they are the ones closest to completing, and evicting them would let a flood of fresh
//! first fragments starve every message. The flip side is that a flood can fill the budget
//! until its messages expire; the budget and `timeout_us` bound how long that lasts.
//! Because `frag_count <= total_len` is enforced before anything is allocated, a header
//! that claims a huge message cannot make us allocate more than the budget.
//!
//! Determinism. Keys live in ordered maps (no randomly seeded hashing), and time is only
//! what the caller passes in, so the same inputs always give the same outputs.

use super::error::{FragError, Inconsistency, ReassemblyDrop};
use crate::wire::{Header, PacketKind};
use std::collections::{BTreeMap, VecDeque};

/// How many recently completed messages are remembered, so that late duplicates of their
/// fragments are recognised instead of starting a new reassembly that could only expire.
/// About 40 bytes each; oldest forgotten first.
const REMEMBERED_COMPLETIONS: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReassemblyConfig {
    /// Largest message accepted (its `total_len`). Default 16 MiB.
    pub max_payload_bytes: usize,
    /// Memory reserved across all incomplete messages (data plus fragment bitmaps).
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
    /// Fragments already received (or belonging to a recently completed message), ignored.
    pub duplicates: u64,
    /// Fragments dropped as [`ReassemblyDrop::Inconsistent`].
    pub dropped_inconsistent: u64,
    /// Fragments dropped as [`ReassemblyDrop::TooLarge`].
    pub dropped_too_large: u64,
    /// Fragments dropped for lack of budget or of message slots. Counted per fragment: every
    /// fragment of a refused message is refused again (and may succeed once memory frees up).
    pub dropped_no_memory: u64,
    /// Bytes currently reserved by incomplete messages.
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

/// A message in progress.
#[derive(Debug)]
struct Partial {
    total_len: u32,
    frag_count: u32,
    /// Size of every fragment but the last; fixed by the first fragment seen.
    piece_len: u32,
    session_id: u32,
    tree_id: u16,
    data: Vec<u8>,
    /// One bit per fragment index.
    received: Vec<u64>,
    missing: u32,
    /// Bytes charged against the budget for this message.
    charge: usize,
    /// Entry in `Reassembler::deadlines`.
    deadline: (u64, u64),
}

/// Bytes reserved for a message of `total_len` bytes in `frag_count` fragments.
/// Saturating: on wasm32 `usize` is 32 bits, and a 4 GiB claim plus its bitmap would wrap.
fn charge_for(total_len: u32, frag_count: u32) -> usize {
    (total_len as usize).saturating_add(bitmap_words(frag_count).saturating_mul(8))
}

fn bitmap_words(frag_count: u32) -> usize {
    (frag_count as usize).div_ceil(64)
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

/// Collects fragments into messages. See the module docs for the memory policy.
#[derive(Debug)]
pub struct Reassembler {
    config: ReassemblyConfig,
    partials: BTreeMap<Key, Partial>,
    /// (deadline, sequence) -> key, so the next expiry is the first entry.
    deadlines: BTreeMap<(u64, u64), Key>,
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
        let worst = charge_for(max_len, max_len);
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

    /// Accepts one fragment (`payload` is the datagram's bytes after the header). Returns
    /// the message when this fragment completes it, `Ok(None)` when more are needed or the
    /// fragment was a harmless duplicate, and the reason when it was dropped.
    ///
    /// Single-fragment messages are returned at once and never buffered (so a duplicated
    /// single-fragment datagram is delivered twice: there is nothing to compare it with).
    /// Expiry is not run here; drive it with [`Self::poll_timeout`]/[`Self::handle_timeout`].
    pub fn handle(
        &mut self,
        now_us: u64,
        header: &Header,
        payload: &[u8],
    ) -> Result<Option<Reassembled>, ReassemblyDrop> {
        self.forget_completed(now_us);
        let result = self.accept(now_us, header, payload);
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
        if !self.partials.contains_key(&key) {
            self.start(now_us, key, h)?;
        }
        // Present: either found or just inserted by `start`.
        let Some(p) = self.partials.get_mut(&key) else {
            return Ok(None);
        };

        if h.total_len != p.total_len {
            return bad(I::TotalLen {
                expected: p.total_len,
                found: h.total_len,
            });
        }
        if h.frag_count != p.frag_count {
            return bad(I::FragCount {
                expected: p.frag_count,
                found: h.frag_count,
            });
        }
        if h.session_id != p.session_id || h.tree_id != p.tree_id {
            return bad(I::Metadata);
        }
        let full = u64::from(p.piece_len);
        let offset = u64::from(h.frag_index) * full;
        let expected = if h.frag_index + 1 < p.frag_count {
            full
        } else {
            u64::from(p.total_len) - u64::from(p.frag_count - 1) * full
        };
        if u64::from(h.payload_len) != expected {
            return bad(I::PieceLen {
                index: h.frag_index,
                expected: expected as u32,
                found: h.payload_len,
            });
        }
        if offset + expected > u64::from(p.total_len) {
            // Unreachable given the checks above; kept so a logic slip cannot panic a slice.
            return bad(I::OutOfBounds {
                offset,
                payload_len: h.payload_len,
                total_len: p.total_len,
            });
        }
        let (word, bit) = ((h.frag_index / 64) as usize, h.frag_index % 64);
        if p.received[word] & (1 << bit) != 0 {
            self.stats.duplicates += 1;
            return Ok(None);
        }
        p.received[word] |= 1 << bit;
        let start = offset as usize;
        p.data[start..start + payload.len()].copy_from_slice(payload);
        p.missing -= 1;
        if p.missing > 0 {
            return Ok(None);
        }

        let p = self.partials.remove(&key).expect("partial present");
        self.deadlines.remove(&p.deadline);
        self.stats.buffered_bytes -= p.charge;
        self.remember_completed(now_us, key);
        Ok(Some(message(h, p.data)))
    }

    /// Reserves and registers a new partial message for `h`'s key, or says why not.
    fn start(&mut self, now_us: u64, key: Key, h: &Header) -> Result<(), ReassemblyDrop> {
        let piece_len = implied_piece_len(h).ok_or(ReassemblyDrop::Inconsistent(
            Inconsistency::Impossible {
                index: h.frag_index,
                count: h.frag_count,
                total_len: h.total_len,
                payload_len: h.payload_len,
            },
        ))?;
        if self.partials.len() >= self.config.max_incomplete_messages {
            return Err(ReassemblyDrop::TooManyIncomplete {
                max: self.config.max_incomplete_messages,
            });
        }
        let charge = charge_for(h.total_len, h.frag_count);
        let buffered = self.stats.buffered_bytes;
        if charge > self.config.max_buffered_bytes - buffered {
            return Err(ReassemblyDrop::BudgetExhausted {
                needed: charge,
                buffered,
                max: self.config.max_buffered_bytes,
            });
        }
        let deadline = (now_us.saturating_add(self.config.timeout_us), self.next_seq);
        self.next_seq += 1;
        self.deadlines.insert(deadline, key);
        self.stats.buffered_bytes += charge;
        self.partials.insert(
            key,
            Partial {
                total_len: h.total_len,
                frag_count: h.frag_count,
                piece_len,
                session_id: h.session_id,
                tree_id: h.tree_id,
                data: vec![0; h.total_len as usize],
                received: vec![0; bitmap_words(h.frag_count)],
                missing: h.frag_count,
                charge,
                deadline,
            },
        );
        Ok(())
    }

    /// When the next incomplete message expires, if any.
    pub fn poll_timeout(&self) -> Option<u64> {
        self.deadlines.keys().next().map(|&(at, _)| at)
    }

    /// Expires every incomplete message whose deadline is at or before `now_us`, freeing its
    /// memory. Calling it early, late or repeatedly is harmless.
    pub fn handle_timeout(&mut self, now_us: u64) {
        while let Some(entry) = self.deadlines.first_entry() {
            if entry.key().0 > now_us {
                break;
            }
            let key = entry.remove();
            if let Some(p) = self.partials.remove(&key) {
                self.stats.buffered_bytes -= p.charge;
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
