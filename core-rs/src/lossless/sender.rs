//! The sending side of one session: announce, first pass, then status rounds until every
//! listed receiver confirmed the whole buffer or was given up on.
//!
//! Phases: `Announcing` (repeat the manifest until all receivers are READY or the grace
//! period ends) → `Sending` (a paced pass over the plan) → `Awaiting` (status requested;
//! collect NACK reports until every live receiver answered or the deadline) → either a new
//! pass over the repair plan or, when nothing is reported missing but someone is still
//! silent, `Backoff` before asking again. DONE from every receiver ends it at any point.
//! An answer to any round asked since the last pass began counts, however late it comes (a
//! request queues behind the pass's data on a slow link): while backing off, one that asks
//! for data starts the repair pass at once.
//!
//! Liveness: any frame from a receiver (READY, a NACK part even of a closed round, DONE,
//! QUIT) is a sign of life and ends its silent streak. A receiver is declared unreachable only
//! after `unreachable_timeout_ms` of silence *and* a streak of unanswered rounds so long that
//! a live receiver would produce it with probability below [`FALSE_ALARM_PPM`] given the
//! answer rate observed (its own history of answered rounds, and the data loss the
//! receivers report: a round trip needs the request and the answer through). At 5% loss that
//! is `max_silent_rounds` (8); at 40% loss about 31 rounds.

use super::delivery::PathEstimate;
use super::endpoint::Io;
use super::fec::RepairEncoder;
use super::frame::{
    encode_data_seq, BlockNeed, Frame, MissingRange, Nack, NackBody, QuitReason, DATA_HEADER_LEN,
};
use super::manifest::Manifest;
use super::pacing::Pacer;
use super::{
    bitmap::Bits, Dest, Event, Outcome, Progress, ReceiverProgress, ReceiverState, SessionId,
    Transmit,
};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

const MS: u64 = 1000;
/// Status wait before any RTT sample.
const INITIAL_STATUS_WAIT: u64 = 100 * MS;
const MIN_STATUS_WAIT: u64 = 10 * MS;
const MAX_STATUS_WAIT: u64 = 2000 * MS;
const MAX_BACKOFF: u64 = 1000 * MS;
/// Rounds with nothing to send but a receiver silent that are followed by the next request
/// right away, before the pause between them starts doubling.
const QUICK_IDLE_ROUNDS: u32 = 2;
/// Accepted chance (parts per million) that a live receiver stays silent through the whole
/// streak that gets it declared unreachable.
pub(crate) const FALSE_ALARM_PPM: u64 = 1;
/// Never require more than this many silent rounds (an answer rate near 0 would need
/// thousands); the time condition still applies.
const MAX_SILENT_ROUNDS_ADAPTED: u32 = 400;
/// Answer rates are clamped to at least this (ppm) when sizing the silent streak.
const MIN_ANSWER_PPM: u64 = 30_000;

pub(crate) struct SenderParams {
    pub ready_grace_us: u64,
    pub max_silent_rounds: u32,
    pub unreachable_timeout_us: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Announcing { grace_end: u64, next_manifest: u64 },
    Sending,
    Awaiting { deadline: u64 },
    Backoff { until: u64 },
    Finished,
}

#[derive(Debug)]
enum PlanItem {
    /// Source chunks `[next, end)`.
    Sources { next: u32, end: u32 },
    /// `count` fresh repair symbols of `block`.
    Repair { block: u32, count: u32 },
}

/// One receiver's answer to the current status round, possibly still missing parts.
#[derive(Debug, Default)]
struct Report {
    /// The status round it answers.
    round: u32,
    parts: u16,
    seen: u64,
    ranges: Vec<MissingRange>,
    needs: Vec<BlockNeed>,
}

impl Report {
    fn complete(&self) -> bool {
        let all = if self.parts >= 64 {
            u64::MAX
        } else {
            (1u64 << self.parts) - 1
        };
        self.parts > 0 && self.seen == all
    }
}

#[derive(Debug, Default)]
struct Peer {
    done: bool,
    unreachable: bool,
    /// The receiver ended its side and said why (QUIT).
    quit: Option<ReceiverState>,
    first_heard: Option<u64>,
    last_heard: Option<u64>,
    silent_rounds: u32,
    /// Rounds closed before the current silent streak, and how many of them it answered.
    rounds_asked: u32,
    rounds_answered: u32,
    report: Option<Report>,
    missing_bytes: Option<u64>,
    /// Its delivery-rate feedback.
    path: PathEstimate,
}

impl Peer {
    fn pending(&self) -> bool {
        !self.done && !self.unreachable && self.quit.is_none()
    }

    /// A sign of life: the silent streak ends (its rounds count as asked, not answered).
    fn heard(&mut self, now: u64) {
        self.first_heard.get_or_insert(now);
        self.last_heard = Some(now);
        self.rounds_asked = self.rounds_asked.saturating_add(self.silent_rounds);
        self.silent_rounds = 0;
    }

    fn state(&self) -> ReceiverState {
        if self.done {
            ReceiverState::Completed
        } else if let Some(q) = self.quit {
            q
        } else if self.unreachable {
            ReceiverState::Unreachable
        } else {
            ReceiverState::Active
        }
    }
}

/// The shortest silent streak a live receiver, answering a round with probability
/// `answer_ppm`, produces with probability below [`FALSE_ALARM_PPM`]: the least `k` with
/// `(1 - answer)^k < FALSE_ALARM`. Integer arithmetic, so every host computes the same.
pub(crate) fn silent_rounds_needed(answer_ppm: u64) -> u32 {
    let miss = 1_000_000 - answer_ppm.clamp(MIN_ANSWER_PPM, 1_000_000);
    let mut p: u128 = 1_000_000_000_000; // probability 1 in units of 1e-12
    let target = u128::from(FALSE_ALARM_PPM) * 1_000_000;
    let mut k = 0;
    while p >= target && k < MAX_SILENT_ROUNDS_ADAPTED {
        p = p * u128::from(miss) / 1_000_000;
        k += 1;
    }
    k
}

pub(crate) struct Sender {
    pub id: SessionId,
    pub wire: u32,
    dest: Dest,
    pub manifest: Manifest,
    data: Option<Arc<Vec<u8>>>,
    fec: Option<RepairEncoder>,
    peers: BTreeMap<u32, Peer>,
    phase: Phase,
    round: u32,
    /// The round whose request went out just before the current (or last) pass began: an
    /// answer to any later round describes what the receiver holds after that pass, however
    /// late it arrives (a request queues behind the pass's data on a slow link).
    pass_round: u32,
    passes: u32,
    plan: VecDeque<PlanItem>,
    repair_queue: VecDeque<(u32, u32, Vec<u8>)>,
    pacer: Pacer,
    /// The wrapping number of the next DATA frame (for the receivers' rate feedback).
    seq: u8,
    srtt: Option<u64>,
    status_sent_at: u64,
    /// When recent rounds' status requests went out, so a late answer still measures the
    /// round trip (without it, a path slower than the initial wait never yields a sample).
    round_sent: VecDeque<(u32, u64)>,
    /// Doublings of the status wait after rounds in which a receiver that had answered
    /// before stayed silent and an answer was seen arriving late: the wait grows until
    /// answers fit in it. (Silence alone is no reason: at high loss most rounds have a
    /// silent receiver, and a longer wait only slows every round down.)
    wait_shift: u32,
    /// An answer to an already closed round arrived since the last round closed.
    late_answer: bool,
    idle_rounds: u32,
    pass_started_at: u64,
    pass_symbols: u64,
    started_at: u64,
    params: SenderParams,
    progress: Progress,
    /// The data loss the receivers last reported (ppm, smoothed), for liveness.
    loss_ppm: Option<u64>,
    pub outcome: Option<Outcome>,
}

impl Sender {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        now: u64,
        id: SessionId,
        wire: u32,
        dest: Dest,
        receivers: &[u32],
        data: Arc<Vec<u8>>,
        manifest: Manifest,
        pacer: Pacer,
        params: SenderParams,
    ) -> Sender {
        Sender {
            id,
            wire,
            dest,
            manifest,
            data: Some(data),
            fec: None,
            peers: receivers.iter().map(|&r| (r, Peer::default())).collect(),
            phase: Phase::Announcing {
                grace_end: now + params.ready_grace_us,
                next_manifest: now,
            },
            round: 0,
            pass_round: 0,
            passes: 0,
            plan: VecDeque::new(),
            repair_queue: VecDeque::new(),
            pacer,
            seq: 0,
            srtt: None,
            status_sent_at: now,
            round_sent: VecDeque::new(),
            wait_shift: 0,
            late_answer: false,
            idle_rounds: 0,
            pass_started_at: now,
            pass_symbols: 0,
            started_at: now,
            params,
            progress: Progress {
                bytes_total: manifest.total_len,
                ..Progress::default()
            },
            loss_ppm: None,
            outcome: None,
        }
    }

    pub fn progress(&self) -> Progress {
        self.progress
    }

    pub fn receiver_progress(&self) -> Vec<ReceiverProgress> {
        self.peers
            .iter()
            .map(|(&node, p)| ReceiverProgress {
                node,
                bytes_done: self.peer_bytes(p),
                state: p.state(),
            })
            .collect()
    }

    fn peer_bytes(&self, p: &Peer) -> u64 {
        let total = self.manifest.total_len;
        if p.done {
            total
        } else {
            p.missing_bytes.map_or(0, |m| total - m.min(total))
        }
    }

    fn update_progress(&mut self) {
        let least = self.peers.values().map(|p| self.peer_bytes(p)).min();
        self.progress.bytes_done = least.unwrap_or(0);
        self.progress.bytes_sent = self.progress.bytes_sent.max(self.progress.bytes_done);
        self.progress.receivers_done = self.peers.values().filter(|p| p.done).count() as u32;
    }

    /// Silent rounds after which receiver `p` may be declared unreachable (see the module
    /// doc): at least `max_silent_rounds`, more when answers are observed to get lost.
    fn silent_limit(&self, p: &Peer) -> u32 {
        // A round is answered when the request and the answer both get through: (1 - loss)^2
        // by the data loss reported. The receiver's own record of answered rounds refines
        // that, starting from it as a prior worth PRIOR_ROUNDS rounds.
        const PRIOR_ROUNDS: u64 = 4;
        let through = self.loss_ppm.map_or(1_000_000, |l| {
            let ok = 1_000_000 - l.min(1_000_000);
            ok * ok / 1_000_000
        });
        let history = (u64::from(p.rounds_answered) * 1_000_000 + PRIOR_ROUNDS * through)
            / (u64::from(p.rounds_asked) + PRIOR_ROUNDS);
        silent_rounds_needed(history.min(through)).max(self.params.max_silent_rounds)
    }

    /// Repair encoders built so far (for tests and diagnostics).
    pub fn encoders_built(&self) -> u64 {
        self.fec.as_ref().map_or(0, |f| f.encoders_built)
    }

    pub fn rate(&self) -> u64 {
        self.pacer.rate()
    }

    pub fn congestion(&self) -> super::Congestion {
        self.pacer.mode()
    }

    fn emit(&self, io: &mut Io<'_>, frame: Vec<u8>) {
        io.out.push_back(Transmit {
            dest: self.dest,
            session_id: self.wire,
            frame,
        });
    }

    fn status_wait(&self) -> u64 {
        let base = match self.srtt {
            None => INITIAL_STATUS_WAIT,
            Some(s) => 3 * s + 5 * MS,
        };
        (base << self.wait_shift).clamp(MIN_STATUS_WAIT, MAX_STATUS_WAIT)
    }

    /// A round every live receiver answered in `took`: the status wait need not be longer.
    /// Round trips measured behind a long pass's queued data (seconds on a slow link) would
    /// otherwise keep the smoothed estimate, and every wait after, long for many rounds, and
    /// each lost request or answer then cost up to the 2 s cap.
    fn round_took(&mut self, took: u64) {
        self.srtt = Some(self.srtt.map_or(took, |s| s.min(took)));
    }

    /// Rises slowly, falls fast: a long sample is mostly a pass's data queued ahead of the
    /// request, gone by the next round.
    fn sample_rtt(&mut self, sample: u64) {
        self.srtt = Some(match self.srtt {
            None => sample,
            Some(s) if sample < s => (s + sample) / 2,
            Some(s) => (7 * s + sample) / 8,
        });
    }

    pub fn next_deadline(&self) -> Option<u64> {
        match self.phase {
            Phase::Announcing {
                grace_end,
                next_manifest,
            } => Some(grace_end.min(next_manifest)),
            Phase::Sending => Some(self.pacer.ready_at(self.peek_len().unwrap_or(0))),
            Phase::Awaiting { deadline } => Some(deadline),
            Phase::Backoff { until } => Some(until),
            Phase::Finished => None,
        }
    }

    /// A frame from receiver `from` (READY, NACK or DONE).
    pub fn on_frame(&mut self, now: u64, from: u32, frame: Frame<'_>, io: &mut Io<'_>) {
        if self.phase == Phase::Finished {
            io.counters.inactive_session += 1;
            return;
        }
        let Some(peer) = self.peers.get_mut(&from) else {
            io.counters.foreign_receiver += 1;
            return;
        };
        if peer.quit.is_some() {
            // It ended its side and said so; nothing it says changes that.
            io.counters.inactive_session += 1;
            return;
        }
        // Any frame is a sign of life, even from a receiver given up on while the session
        // still runs: it is back.
        peer.unreachable = false;
        peer.heard(now);
        match frame {
            Frame::Ready => {}
            Frame::Done { checksum } if checksum == self.manifest.checksum => {
                peer.done = true;
                peer.missing_bytes = Some(0);
            }
            Frame::Quit { .. } if peer.done => io.counters.unexpected += 1,
            Frame::Quit { reason, detail } => {
                peer.quit = Some(match reason {
                    QuitReason::ChecksumMismatch => ReceiverState::ChecksumMismatch {
                        computed: detail as u32,
                    },
                    QuitReason::SizeMismatch => ReceiverState::SizeMismatch { expected: detail },
                    QuitReason::Cancelled => ReceiverState::Cancelled,
                    QuitReason::Timeout => ReceiverState::Timeout,
                });
            }
            Frame::Nack(n) => self.on_nack(now, from, n, io),
            Frame::Rate(sample) => {
                let congested = peer.path.on_sample(sample);
                self.on_path_update(now, congested);
            }
            _ => {
                io.counters.unexpected += 1;
                return;
            }
        }
        self.after_update(now, io);
    }

    fn on_nack(&mut self, now: u64, from: u32, n: Nack, io: &mut Io<'_>) {
        let kind_ok = matches!(
            (&n.body, self.manifest.fec),
            (NackBody::Ranges(_), false) | (NackBody::Needs(_), true)
        );
        if !kind_ok {
            io.counters.unexpected += 1;
            return;
        }
        let waiting = matches!(self.phase, Phase::Awaiting { .. } | Phase::Backoff { .. });
        let on_time = n.round == self.round && matches!(self.phase, Phase::Awaiting { .. });
        if !on_time && n.part == 0 {
            // Late for its round, but it still tells how long a round trip takes.
            if let Some(&(_, sent)) = self.round_sent.iter().find(|(r, _)| *r == n.round) {
                self.sample_rtt(now.saturating_sub(sent));
                self.late_answer = true;
            }
        }
        // An answer to a round asked since the last pass is as good as one to the current
        // round: nothing was sent since that changes it. Dropping it (and backing off before
        // asking again) left the link idle for seconds after each pass on a slow link.
        let current = waiting && n.round > self.pass_round && n.round <= self.round;
        let newer = |r: &Report| r.round < n.round || (r.round == n.round && r.parts != n.parts);
        let peer = self.peers.get_mut(&from).expect("checked by caller");
        if !current || peer.report.as_ref().is_some_and(|r| r.round > n.round) {
            io.counters.stale += 1;
            return;
        }
        if on_time && peer.report.is_none() {
            self.sample_rtt(now.saturating_sub(self.status_sent_at));
            // The others' answers are due about as soon: a wait set from an estimate that was
            // too long (and a lost answer waited out in full) shrinks with it.
            if let Phase::Awaiting { deadline } = self.phase {
                let sooner = self.status_sent_at + self.status_wait();
                self.phase = Phase::Awaiting {
                    deadline: deadline.min(sooner),
                };
            }
        }
        let peer = self.peers.get_mut(&from).expect("checked by caller");
        let report = peer.report.get_or_insert_with(Report::default);
        if report.parts == 0 || newer(report) {
            *report = Report {
                round: n.round,
                parts: n.parts,
                ..Report::default()
            };
        }
        let bit = 1u64 << n.part;
        if report.seen & bit != 0 {
            io.counters.duplicates += 1;
            return;
        }
        report.seen |= bit;
        match n.body {
            NackBody::Ranges(r) => report.ranges.extend(r),
            NackBody::Needs(r) => report.needs.extend(r),
        }
    }

    /// The session goes as fast as its slowest receiver still receiving takes data. After
    /// congestion the measured rate stands as it is; otherwise, while the sender itself was
    /// the limit, it may only raise the pacer.
    fn on_path_update(&mut self, now: u64, congested: bool) {
        let slowest = self
            .peers
            .values()
            .filter(|p| p.pending())
            .filter_map(|p| p.path.send_rate())
            .min();
        let Some(rate) = slowest else { return };
        if !congested && self.pacer.sender_limited(now) {
            self.pacer.on_path_rate_at_least(now, rate);
        } else {
            self.pacer.on_path_rate(now, rate);
        }
        if congested {
            self.pacer.on_congestion(now);
        }
    }

    fn after_update(&mut self, now: u64, io: &mut Io<'_>) {
        if self.peers.values().all(|p| !p.pending()) {
            self.finish(io);
            return;
        }
        if matches!(self.phase, Phase::Awaiting { .. }) && self.round_answered() {
            self.round_took(now.saturating_sub(self.status_sent_at));
            self.close_round(now, io);
        } else if matches!(self.phase, Phase::Backoff { .. }) && self.late_report_wants_data() {
            // The round closed before this answer came; it asks for data: send it now.
            self.plan_next(now, io, true);
        }
        self.drive(now, io);
    }

    /// A live receiver's complete answer reports something missing (seen while backing off,
    /// so it came after its round closed).
    fn late_report_wants_data(&self) -> bool {
        self.peers.values().filter(|p| p.pending()).any(|p| {
            p.report
                .as_ref()
                .is_some_and(|r| r.complete() && !(r.ranges.is_empty() && r.needs.is_empty()))
        })
    }

    /// Every live receiver that has ever spoken has answered this round completely.
    fn round_answered(&self) -> bool {
        self.peers
            .values()
            .filter(|p| p.pending() && p.first_heard.is_some())
            .all(|p| p.report.as_ref().is_some_and(Report::complete))
    }

    pub fn on_timeout(&mut self, now: u64, io: &mut Io<'_>) {
        self.drive(now, io);
    }

    pub fn cancel(&mut self, io: &mut Io<'_>) {
        if self.phase == Phase::Finished {
            return;
        }
        self.emit(io, Frame::Abort.encode());
        self.end(Outcome::Cancelled, io);
    }

    fn drive(&mut self, now: u64, io: &mut Io<'_>) {
        // Each iteration either changes phase or breaks; the bound is a safety net.
        for _ in 0..16 {
            match self.phase {
                Phase::Announcing {
                    grace_end,
                    next_manifest,
                } => {
                    let all_ready = self
                        .peers
                        .values()
                        .all(|p| p.first_heard.is_some() || p.done);
                    if all_ready || now >= grace_end {
                        let n = self.manifest.chunk_count();
                        self.start_pass(
                            now,
                            VecDeque::from([PlanItem::Sources { next: 0, end: n }]),
                        );
                        continue;
                    }
                    if now >= next_manifest {
                        self.emit(io, Frame::Manifest(self.manifest).encode());
                        let interval = (self.params.ready_grace_us / 5).max(MS);
                        self.phase = Phase::Announcing {
                            grace_end,
                            next_manifest: now + interval,
                        };
                    }
                    break;
                }
                Phase::Sending => {
                    self.pacer.tick(now);
                    while let Some(len) = self.peek_len() {
                        if !self.pacer.try_take(now, len) {
                            return;
                        }
                        self.emit_next(io);
                    }
                    self.send_status_request(now, io);
                }
                Phase::Awaiting { deadline } => {
                    if now < deadline {
                        break;
                    }
                    self.close_round(now, io);
                }
                Phase::Backoff { until } => {
                    if now < until {
                        break;
                    }
                    self.send_status_request(now, io);
                }
                Phase::Finished => break,
            }
        }
    }

    fn start_pass(&mut self, now: u64, plan: VecDeque<PlanItem>) {
        self.plan = plan;
        self.pass_started_at = now;
        self.pass_symbols = 0;
        self.pass_round = self.round;
        self.phase = Phase::Sending;
    }

    /// Length of the next data frame of the pass, generating repair symbols when a repair
    /// item reaches the front. `None` when the pass is over.
    fn peek_len(&self) -> Option<usize> {
        if let Some((_, _, b)) = self.repair_queue.front() {
            return Some(DATA_HEADER_LEN + b.len());
        }
        match self.plan.front()? {
            PlanItem::Sources { next, .. } => {
                Some(DATA_HEADER_LEN + self.manifest.chunk_len(*next))
            }
            PlanItem::Repair { .. } => {
                Some(DATA_HEADER_LEN + usize::from(self.manifest.chunk_size))
            }
        }
    }

    fn emit_next(&mut self, io: &mut Io<'_>) {
        let Some(data) = self.data.clone() else {
            return;
        };
        if self.repair_queue.is_empty() {
            if let Some(&PlanItem::Repair { block, count }) = self.plan.front() {
                self.plan.pop_front();
                let m = self.manifest;
                let fec = self.fec.get_or_insert_with(|| RepairEncoder::new(&m));
                for (esi, bytes) in fec.repair(&m, &data, block, count) {
                    self.repair_queue.push_back((block, esi, bytes));
                }
            }
        }
        let frame = if let Some((block, esi, bytes)) = self.repair_queue.pop_front() {
            self.progress.repair_symbols += 1;
            encode_data_seq(block, esi, self.seq, &bytes)
        } else if let Some(PlanItem::Sources { next, end }) = self.plan.front_mut() {
            let chunk = *next;
            *next += 1;
            if *next >= *end {
                self.plan.pop_front();
            }
            let (block, esi) = self.manifest.locate(chunk);
            let off = self.manifest.chunk_offset(chunk) as usize;
            let len = self.manifest.chunk_len(chunk);
            if self.passes > 0 {
                self.progress.retransmitted += 1;
            } else {
                self.first_pass_sent(len as u64, io);
            }
            encode_data_seq(block, esi, self.seq, &data[off..off + len])
        } else {
            return; // a repair item whose symbol ids ran out: nothing to send
        };
        self.seq = self.seq.wrapping_add(1);
        self.pass_symbols += 1;
        self.progress.data_frames += 1;
        self.emit(io, frame);
    }

    /// Counts first-pass bytes, with a progress event each time another 1% of the buffer has
    /// gone out: status rounds, which bring the other events, start only after the pass,
    /// and on a long path the pass alone takes seconds.
    fn first_pass_sent(&mut self, len: u64, io: &mut Io<'_>) {
        let total = self.progress.bytes_total.max(1);
        let before = self.progress.bytes_sent * 100 / total;
        self.progress.bytes_sent = (self.progress.bytes_sent + len).min(total);
        if self.progress.bytes_sent * 100 / total > before {
            io.events.push_back(Event::Progress {
                id: self.id,
                progress: self.progress,
            });
        }
    }

    fn send_status_request(&mut self, now: u64, io: &mut Io<'_>) {
        self.round += 1;
        for p in self.peers.values_mut() {
            p.report = None;
        }
        // Receivers that registered late missed the manifest: announce it again.
        if self
            .peers
            .values()
            .any(|p| p.pending() && p.first_heard.is_none())
        {
            self.emit(io, Frame::Manifest(self.manifest).encode());
        }
        self.emit(io, Frame::StatusRequest { round: self.round }.encode());
        self.status_sent_at = now;
        if self.round_sent.len() == 8 {
            self.round_sent.pop_front();
        }
        self.round_sent.push_back((self.round, now));
        self.phase = Phase::Awaiting {
            deadline: now + self.status_wait(),
        };
    }

    fn close_round(&mut self, now: u64, io: &mut Io<'_>) {
        let timeout = self.params.unreachable_timeout_us;
        let started = self.started_at;
        let known_silent = self
            .peers
            .values()
            .any(|p| p.pending() && p.first_heard.is_some() && p.report.is_none());
        self.wait_shift = match (known_silent, self.late_answer) {
            (false, _) => 0,
            (true, true) => (self.wait_shift + 1).min(6),
            (true, false) => self.wait_shift,
        };
        self.late_answer = false;
        let limits: Vec<u32> = self.peers.values().map(|p| self.silent_limit(p)).collect();
        for (p, limit) in self.peers.values_mut().zip(limits) {
            if !p.pending() {
                continue;
            }
            if p.report.is_some() {
                p.rounds_asked = p.rounds_asked.saturating_add(p.silent_rounds + 1);
                p.rounds_answered = p.rounds_answered.saturating_add(1);
                p.silent_rounds = 0;
            } else {
                p.silent_rounds += 1;
                let silent_since = p.last_heard.unwrap_or(started);
                if p.silent_rounds >= limit && now.saturating_sub(silent_since) >= timeout {
                    p.unreachable = true;
                }
            }
        }
        self.plan_next(now, io, false);
    }

    /// After a round closed, or a late answer came while backing off: a pass over what the
    /// answers so far report missing, or (nothing reported) a pause before asking again.
    /// `late`: called for a late answer while backing off; an empty plan then leaves the
    /// pause as it was.
    fn plan_next(&mut self, now: u64, io: &mut Io<'_>, late: bool) {
        if self.peers.values().all(|p| !p.pending()) {
            self.finish(io);
            return;
        }
        let plan = self.build_plan(io);
        if plan.is_empty() && late {
            return;
        }
        // Loss of the passes since the last estimate, as the worst receiver that was
        // listening all along saw it; rounds without such a report estimate nothing.
        let pass_start = self.pass_started_at;
        let chunk = u64::from(self.manifest.chunk_size);
        let worst_missing = self
            .peers
            .values()
            .filter(|p| p.pending() && p.first_heard.is_some_and(|t| t < pass_start))
            .filter(|p| p.report.as_ref().is_some_and(Report::complete))
            .filter_map(|p| p.missing_bytes)
            .max();
        if let Some(worst_missing) = worst_missing {
            let missing_symbols = worst_missing.div_ceil(chunk);
            if let Some(loss) = (missing_symbols * 1000).checked_div(self.pass_symbols) {
                self.pacer.on_loss_report(now, loss.min(1000));
                let ppm = (missing_symbols * 1_000_000 / self.pass_symbols).min(1_000_000);
                self.loss_ppm = Some(self.loss_ppm.map_or(ppm, |l| (3 * l + ppm) / 4));
                self.pass_symbols = 0;
            }
        }
        self.update_progress();
        io.events.push_back(Event::Progress {
            id: self.id,
            progress: self.progress,
        });
        if plan.is_empty() {
            self.idle_rounds += 1;
            // A request or its answer lost is common on a lossy path: ask again at once the
            // first times, and back off only as the silence goes on (a receiver gone).
            let backoff = match self.idle_rounds.saturating_sub(QUICK_IDLE_ROUNDS) {
                0 => 0,
                n => (self.status_wait() << n.min(6)).min(MAX_BACKOFF),
            };
            self.phase = Phase::Backoff {
                until: now + backoff,
            };
        } else {
            self.idle_rounds = 0;
            self.passes += 1;
            self.start_pass(now, plan);
        }
    }

    /// The union of what the receivers reported missing this round, as a pass plan.
    fn build_plan(&mut self, io: &mut Io<'_>) -> VecDeque<PlanItem> {
        let m = self.manifest;
        let mut plan = VecDeque::new();
        let all_complete = self
            .peers
            .values()
            .filter(|p| p.pending())
            .all(|p| p.report.as_ref().is_some_and(Report::complete));
        if !m.fec {
            let n = m.chunk_count();
            let mut union = Bits::new(n);
            for p in self.peers.values_mut().filter(|p| p.pending()) {
                let Some(r) = &mut p.report else { continue };
                io.counters.unexpected += disjoint(&mut r.ranges, |e| (e.start, e.len));
                let mut missing = 0u64;
                for e in &r.ranges {
                    let end = e.start.saturating_add(e.len).min(n);
                    if e.start >= n {
                        io.counters.out_of_range += 1;
                        continue;
                    }
                    union.set_range(e.start, end);
                    missing += (end - e.start) as u64 * u64::from(m.chunk_size);
                }
                p.missing_bytes = Some(missing.min(m.total_len));
            }
            let mut from = 0;
            while let Some((s, e)) = union.next_run(from, true) {
                plan.push_back(PlanItem::Sources { next: s, end: e });
                from = e;
            }
        } else {
            let nb = m.block_count();
            let mut max_need = vec![0u32; nb as usize];
            for p in self.peers.values_mut().filter(|p| p.pending()) {
                let Some(r) = &mut p.report else { continue };
                io.counters.unexpected += disjoint(&mut r.needs, |e| (e.first_block, e.blocks));
                let mut missing = 0u64;
                for e in &r.needs {
                    if e.first_block >= nb {
                        io.counters.out_of_range += 1;
                        continue;
                    }
                    for b in e.first_block..e.first_block.saturating_add(e.blocks).min(nb) {
                        let need = u32::from(e.need).min(m.symbols_in_block(b));
                        max_need[b as usize] = max_need[b as usize].max(need);
                        missing += u64::from(need) * u64::from(m.chunk_size);
                    }
                }
                p.missing_bytes = Some(missing.min(m.total_len));
            }
            for (b, &need) in max_need.iter().enumerate() {
                let b = b as u32;
                let k = m.symbols_in_block(b);
                if need >= k {
                    // Someone holds nothing of this block: the source symbols serve everyone
                    // and cost no encoding.
                    let (s, e) = (m.first_chunk(b), m.first_chunk(b) + k);
                    match plan.back_mut() {
                        Some(PlanItem::Sources { end, .. }) if *end == s => *end = e,
                        _ => plan.push_back(PlanItem::Sources { next: s, end: e }),
                    }
                } else if need > 0 {
                    plan.push_back(PlanItem::Repair {
                        block: b,
                        count: need,
                    });
                }
            }
            if all_complete {
                if let Some(fec) = &mut self.fec {
                    fec.retain(|b| max_need.get(b as usize).is_some_and(|&n| n > 0));
                }
            }
        }
        plan
    }

    /// Every receiver completed, ended or was given up on: the outcome is the most specific
    /// cause, in the order documented on [`Outcome`].
    fn finish(&mut self, io: &mut Io<'_>) {
        self.update_progress();
        let ids = |f: &dyn Fn(&Peer) -> bool| -> Vec<u32> {
            self.peers
                .iter()
                .filter(|(_, p)| f(p))
                .map(|(&id, _)| id)
                .collect()
        };
        let checksum = self.peers.values().find_map(|p| match p.quit {
            Some(ReceiverState::ChecksumMismatch { computed }) => Some(computed),
            _ => None,
        });
        let size = self.peers.values().find_map(|p| match p.quit {
            Some(ReceiverState::SizeMismatch { expected }) => Some(expected),
            _ => None,
        });
        let aborted = ids(&|p| {
            matches!(
                p.quit,
                Some(ReceiverState::Cancelled | ReceiverState::Timeout)
            )
        });
        let unreachable = ids(&|p| p.unreachable && p.quit.is_none() && !p.done);
        let outcome = if let Some(computed) = checksum {
            Outcome::ChecksumMismatch {
                expected: self.manifest.checksum,
                computed,
            }
        } else if let Some(expected) = size {
            Outcome::SizeMismatch {
                expected,
                announced: self.manifest.total_len,
            }
        } else if !aborted.is_empty() {
            Outcome::ReceiverAborted(aborted)
        } else if !unreachable.is_empty() {
            Outcome::ReceiverUnreachable(unreachable)
        } else {
            Outcome::Completed
        };
        self.end(outcome, io);
    }

    fn end(&mut self, outcome: Outcome, io: &mut Io<'_>) {
        self.phase = Phase::Finished;
        self.data = None;
        self.fec = self.fec.take().map(|mut f| {
            f.retain(|_| false);
            f
        });
        self.plan.clear();
        self.repair_queue.clear();
        io.events.push_back(match &outcome {
            Outcome::Completed => Event::Completed { id: self.id },
            o => Event::Failed {
                id: self.id,
                outcome: o.clone(),
            },
        });
        self.outcome = Some(outcome);
    }
}

/// Sorts one receiver's report entries (`span` = start, length) and drops any that overlap
/// an earlier one, so even a hostile report costs at most one visit per chunk or block.
/// Returns how many were dropped.
fn disjoint<T>(entries: &mut Vec<T>, span: impl Fn(&T) -> (u32, u32)) -> u64 {
    entries.sort_by_key(|e| span(e).0);
    let before = entries.len();
    let mut covered_to = 0u64;
    entries.retain(|e| {
        let (start, len) = span(e);
        let keep = u64::from(start) >= covered_to;
        if keep {
            covered_to = u64::from(start) + u64::from(len);
        }
        keep
    });
    (before - entries.len()) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_report_entries_are_dropped() {
        let r = |start, len| MissingRange { start, len };
        let mut v = vec![r(10, 5), r(0, 3), r(12, 100), r(15, 1), r(2, 1)];
        assert_eq!(disjoint(&mut v, |e| (e.start, e.len)), 2);
        assert_eq!(v, vec![r(0, 3), r(10, 5), r(15, 1)]);
    }
}
