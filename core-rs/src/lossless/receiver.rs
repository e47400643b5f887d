//! The receiving side of one session: wait for a matching manifest, hold chunks in one
//! buffer of `expected_bytes`, answer status requests with what is missing, decode blocks
//! from repair symbols, verify the checksum, confirm with DONE.

use super::delivery::RateMeter;
use super::endpoint::Io;
use super::fec::decode_block;
use super::frame::{
    BlockNeed, Frame, MissingRange, Nack, NackBody, QuitReason, DATA_HEADER_LEN, MAX_NACK_PARTS,
    NACK_HEADER_LEN, NEED_ENTRY_LEN, RANGE_ENTRY_LEN,
};
use super::manifest::Manifest;
use super::{bitmap::Bits, Dest, Event, Outcome, Ports, Progress, SessionId, Transmit};
use std::collections::BTreeMap;

/// Repair symbols kept per block beyond what it lacks, in case K symbols do not decode.
const REPAIR_SLACK: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Waiting,
    Active,
    Done,
    Ended,
}

pub(crate) struct Receiver {
    pub id: SessionId,
    pub source_node: u32,
    pub dest: Dest,
    pub ports: Ports,
    pub expected: u64,
    pub wire: Option<u32>,
    state: State,
    manifest: Option<Manifest>,
    buf: Vec<u8>,
    have: Bits,
    /// Source symbols held per block (FEC only).
    block_have: Vec<u32>,
    repairs: BTreeMap<u32, Vec<(u32, Vec<u8>)>>,
    last_activity: u64,
    idle_timeout_us: u64,
    max_payload: usize,
    progress: Progress,
    /// Delivery-rate intervals for the sender's pacing.
    meter: RateMeter,
    /// What this receiver told its sender when it ended (repeated on each status request).
    quit: Option<(QuitReason, u64)>,
    pub outcome: Option<Outcome>,
    pub taken: bool,
}

impl Receiver {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        now: u64,
        id: SessionId,
        source_node: u32,
        dest: Dest,
        ports: Ports,
        expected: u64,
        idle_timeout_us: u64,
        max_payload: usize,
    ) -> Receiver {
        Receiver {
            id,
            source_node,
            dest,
            ports,
            expected,
            wire: None,
            state: State::Waiting,
            manifest: None,
            buf: Vec::new(),
            have: Bits::new(0),
            block_have: Vec::new(),
            repairs: BTreeMap::new(),
            last_activity: now,
            idle_timeout_us,
            max_payload,
            progress: Progress {
                bytes_total: expected,
                ..Progress::default()
            },
            meter: RateMeter::default(),
            quit: None,
            outcome: None,
            taken: false,
        }
    }

    pub fn progress(&self) -> Progress {
        self.progress
    }

    pub fn is_complete(&self) -> bool {
        self.state == State::Done
    }

    /// Would this (unbound) receiver adopt a manifest from `from` sent to `dst`?
    pub fn matches(&self, from: u32, dst: Dest, m: &Manifest) -> bool {
        self.state == State::Waiting
            && self.source_node == from
            && self.dest == dst
            && self.ports == m.ports
    }

    pub fn take_data(&mut self) -> Vec<u8> {
        self.taken = true;
        std::mem::take(&mut self.buf)
    }

    fn reply(&self, io: &mut Io<'_>, frame: Frame<'_>) {
        if let Some(wire) = self.wire {
            io.out.push_back(Transmit {
                dest: Dest::Node(self.source_node),
                session_id: wire,
                frame: frame.encode(),
            });
        }
    }

    /// Adopts the sender's session: checks the size, allocates the buffer once.
    pub fn bind(&mut self, now: u64, wire: u32, m: Manifest, io: &mut Io<'_>) {
        self.wire = Some(wire);
        self.manifest = Some(m);
        self.last_activity = now;
        if m.total_len != self.expected {
            let o = Outcome::SizeMismatch {
                expected: self.expected,
                announced: m.total_len,
            };
            self.end(o, io);
            return;
        }
        // `expected` was checked to fit in memory when the session was opened.
        self.buf = vec![0; self.expected as usize];
        self.have = Bits::new(m.chunk_count());
        if m.fec {
            self.block_have = vec![0; m.block_count() as usize];
        }
        self.state = State::Active;
        self.reply(io, Frame::Ready);
    }

    pub fn next_deadline(&self) -> Option<u64> {
        match self.state {
            State::Waiting | State::Active => {
                Some(self.last_activity.saturating_add(self.idle_timeout_us))
            }
            State::Done | State::Ended => None,
        }
    }

    pub fn on_timeout(&mut self, now: u64, io: &mut Io<'_>) {
        if self.next_deadline().is_some_and(|d| now >= d) {
            self.end(Outcome::Timeout, io);
        }
    }

    pub fn cancel(&mut self, io: &mut Io<'_>) {
        if matches!(self.state, State::Waiting | State::Active) {
            self.end(Outcome::Cancelled, io);
        }
    }

    /// A frame from the sender (MANIFEST, DATA, STATUS_REQUEST or ABORT).
    pub fn on_frame(&mut self, now: u64, frame: Frame<'_>, io: &mut Io<'_>) {
        if self.state == State::Ended {
            // The sender still asks: tell it again why this side ended (the first QUIT
            // may have been lost).
            match (frame, self.quit) {
                (Frame::StatusRequest { .. } | Frame::Manifest(_), Some((reason, detail))) => {
                    self.reply(io, Frame::Quit { reason, detail })
                }
                _ => io.counters.inactive_session += 1,
            }
            return;
        }
        let m = self.manifest.expect("bound receivers have a manifest");
        self.last_activity = now;
        match frame {
            Frame::Manifest(m2) if m2 == m => match self.state {
                State::Active => self.reply(io, Frame::Ready),
                State::Done => self.reply(
                    io,
                    Frame::Done {
                        checksum: m.checksum,
                    },
                ),
                _ => {}
            },
            Frame::Manifest(_) => io.counters.unexpected += 1,
            Frame::Data {
                block,
                esi,
                seq,
                symbol,
            } => {
                if self.state == State::Done {
                    io.counters.duplicates += 1;
                } else {
                    if let Some(sample) =
                        self.meter.on_data(now, seq, DATA_HEADER_LEN + symbol.len())
                    {
                        self.reply(io, Frame::Rate(sample));
                    }
                    self.on_data(&m, block, esi, symbol, io);
                }
            }
            Frame::StatusRequest { round } => match self.state {
                State::Active => {
                    // A pass ended: the next interval starts with the next pass, or it would
                    // measure the pause between them as a slow path.
                    self.meter = RateMeter::default();
                    self.report(&m, round, io);
                    io.events.push_back(Event::Progress {
                        id: self.id,
                        progress: self.progress,
                    });
                }
                State::Done => self.reply(
                    io,
                    Frame::Done {
                        checksum: m.checksum,
                    },
                ),
                _ => {}
            },
            // The sender ended the session: nothing to tell it.
            Frame::Abort => self.close(Outcome::Cancelled, io),
            _ => io.counters.unexpected += 1,
        }
    }

    fn on_data(&mut self, m: &Manifest, block: u32, esi: u32, symbol: &[u8], io: &mut Io<'_>) {
        if block >= m.block_count() {
            io.counters.out_of_range += 1;
            return;
        }
        let k = m.symbols_in_block(block);
        if esi < k {
            let chunk = m.first_chunk(block) + esi;
            if symbol.len() != m.chunk_len(chunk) {
                io.counters.bad_length += 1;
                return;
            }
            if !self.store_source(m, chunk, symbol) {
                io.counters.duplicates += 1;
                return;
            }
            self.progress.data_frames += 1;
            if m.fec && self.repairs.contains_key(&block) {
                self.try_decode(m, block);
            }
        } else {
            if !m.fec {
                io.counters.unexpected += 1;
                return;
            }
            if symbol.len() != usize::from(m.chunk_size) {
                io.counters.bad_length += 1;
                return;
            }
            let held = self.block_have[block as usize];
            if held == k {
                io.counters.duplicates += 1;
                return;
            }
            let stored = self.repairs.entry(block).or_default();
            let lacking = (k - held) as usize;
            if stored.iter().any(|(e, _)| *e == esi) {
                io.counters.duplicates += 1;
                return;
            }
            if stored.len() >= lacking + REPAIR_SLACK {
                // These symbols failed to decode even with slack: start the block over.
                stored.clear();
            }
            stored.push((esi, symbol.to_vec()));
            self.progress.repair_symbols += 1;
            self.progress.data_frames += 1;
            if stored.len() >= lacking {
                self.try_decode(m, block);
            }
        }
        if self.have.ones() == m.chunk_count() {
            self.complete(m, io);
        }
    }

    /// Copies a source chunk into the buffer; false if already held.
    fn store_source(&mut self, m: &Manifest, chunk: u32, bytes: &[u8]) -> bool {
        if !self.have.set(chunk) {
            return false;
        }
        let off = m.chunk_offset(chunk) as usize;
        self.buf[off..off + bytes.len()].copy_from_slice(bytes);
        self.progress.bytes_done += bytes.len() as u64;
        if m.fec {
            self.block_have[(chunk / m.k()) as usize] += 1;
        }
        true
    }

    fn try_decode(&mut self, m: &Manifest, block: u32) {
        let k = m.symbols_in_block(block);
        let first = m.first_chunk(block);
        let Some(reps) = self.repairs.get(&block) else {
            return;
        };
        if self.block_have[block as usize] == k {
            self.repairs.remove(&block);
            return;
        }
        if self.block_have[block as usize] as usize + reps.len() < k as usize {
            return;
        }
        let sources = (0..k).filter(|&e| self.have.get(first + e)).map(|e| {
            let c = first + e;
            let off = m.chunk_offset(c) as usize;
            (e, &self.buf[off..off + m.chunk_len(c)])
        });
        let Some(decoded) = decode_block(m, block, sources, reps) else {
            return;
        };
        let t = usize::from(m.chunk_size);
        for e in 0..k {
            let c = first + e;
            if !self.have.get(c) {
                let len = m.chunk_len(c);
                let at = e as usize * t;
                self.store_source(m, c, &decoded[at..at + len]);
            }
        }
        self.repairs.remove(&block);
    }

    fn complete(&mut self, m: &Manifest, io: &mut Io<'_>) {
        let computed = crc32fast::hash(&self.buf);
        self.repairs.clear();
        self.block_have = Vec::new();
        if computed != m.checksum {
            self.end(
                Outcome::ChecksumMismatch {
                    expected: m.checksum,
                    computed,
                },
                io,
            );
            return;
        }
        self.state = State::Done;
        self.progress.receivers_done = 1;
        self.outcome = Some(Outcome::Completed);
        self.reply(
            io,
            Frame::Done {
                checksum: m.checksum,
            },
        );
        io.events.push_back(Event::Completed { id: self.id });
    }

    /// Symbols block `b` still lacks (FEC): 1 when it holds enough that failed to decode.
    fn block_need(&self, m: &Manifest, b: u32) -> u32 {
        let k = m.symbols_in_block(b);
        let held = self.block_have[b as usize];
        if held == k {
            return 0;
        }
        let total = held as usize + self.repairs.get(&b).map_or(0, Vec::len);
        (k as usize).saturating_sub(total).max(1) as u32
    }

    /// Answers a status request: the missing chunks (plain) or per-block needs (FEC),
    /// split across as many NACK frames as needed, up to [`MAX_NACK_PARTS`].
    fn report(&mut self, m: &Manifest, round: u32, io: &mut Io<'_>) {
        let room = self.max_payload - NACK_HEADER_LEN;
        let max_parts = usize::from(MAX_NACK_PARTS);
        let (per_part, body_parts, truncated) = if m.fec {
            let per_part = room / NEED_ENTRY_LEN;
            let cap = per_part * max_parts;
            let mut needs: Vec<BlockNeed> = Vec::new();
            let mut truncated = false;
            for b in 0..m.block_count() {
                let need = self.block_need(m, b);
                if need == 0 {
                    continue;
                }
                let full = needs.len() == cap;
                match needs.last_mut() {
                    Some(l) if l.first_block + l.blocks == b && u32::from(l.need) == need => {
                        l.blocks += 1
                    }
                    _ if full => {
                        truncated = true;
                        break;
                    }
                    _ => needs.push(BlockNeed {
                        first_block: b,
                        blocks: 1,
                        need: need as u16,
                    }),
                }
            }
            let parts: Vec<NackBody> = needs
                .chunks(per_part)
                .map(|c| NackBody::Needs(c.to_vec()))
                .collect();
            (per_part, parts, truncated)
        } else {
            let per_part = room / RANGE_ENTRY_LEN;
            let cap = per_part * max_parts;
            let mut ranges = Vec::new();
            let mut from = 0;
            let mut truncated = false;
            while let Some((s, e)) = self.have.next_run(from, false) {
                if ranges.len() == cap {
                    truncated = true;
                    break;
                }
                ranges.push(MissingRange {
                    start: s,
                    len: e - s,
                });
                from = e;
            }
            let parts: Vec<NackBody> = ranges
                .chunks(per_part)
                .map(|c| NackBody::Ranges(c.to_vec()))
                .collect();
            (per_part, parts, truncated)
        };
        debug_assert!(per_part > 0);
        let parts = body_parts.len().max(1) as u16;
        if body_parts.is_empty() {
            let body = if m.fec {
                NackBody::Needs(vec![])
            } else {
                NackBody::Ranges(vec![])
            };
            self.reply(
                io,
                Frame::Nack(Nack {
                    round,
                    part: 0,
                    parts,
                    truncated,
                    body,
                }),
            );
        }
        for (i, body) in body_parts.into_iter().enumerate() {
            let nack = Nack {
                round,
                part: i as u16,
                parts,
                truncated,
                body,
            };
            self.reply(io, Frame::Nack(nack));
        }
    }

    /// Ends this side, telling the sender why (QUIT, best effort, repeated when asked).
    fn end(&mut self, outcome: Outcome, io: &mut Io<'_>) {
        self.quit = match &outcome {
            Outcome::ChecksumMismatch { computed, .. } => {
                Some((QuitReason::ChecksumMismatch, u64::from(*computed)))
            }
            Outcome::SizeMismatch { expected, .. } => Some((QuitReason::SizeMismatch, *expected)),
            Outcome::Cancelled => Some((QuitReason::Cancelled, 0)),
            Outcome::Timeout => Some((QuitReason::Timeout, 0)),
            _ => None,
        };
        if let Some((reason, detail)) = self.quit {
            self.reply(io, Frame::Quit { reason, detail });
        }
        self.close(outcome, io);
    }

    fn close(&mut self, outcome: Outcome, io: &mut Io<'_>) {
        self.state = State::Ended;
        self.buf = Vec::new();
        self.repairs.clear();
        self.block_have = Vec::new();
        io.events.push_back(Event::Failed {
            id: self.id,
            outcome: outcome.clone(),
        });
        self.outcome = Some(outcome);
    }
}
