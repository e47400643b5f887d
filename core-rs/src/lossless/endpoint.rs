//! One [`Endpoint`] per node: owns every lossless session of the node, demultiplexes
//! incoming frames, and queues outgoing frames and events.
//!
//! Demultiplexing: sender→receiver frames (MANIFEST, DATA, STATUS_REQUEST, ABORT) are keyed
//! by `(from_node, wire session id)`; an unknown key with a MANIFEST binds the oldest waiting
//! receiver whose `(source node, dest, ports)` match. Receiver→sender frames (READY, NACK,
//! DONE, QUIT) are keyed by the sender's own wire session id. Everything else is dropped and
//! counted in [`Counters`].
//!
//! Integrity: every frame leaves [`Endpoint::poll_transmit`] sealed with a CRC-32 trailer over
//! (source node, wire session id, frame), and [`Endpoint::handle_frame`] drops a frame whose
//! trailer does not verify before decoding it (`Counters::corrupt`). A corrupted DATA or
//! repair frame is then simply missing, and the NACK rounds repair it like a lost one.

use super::config::LosslessConfig;
use super::frame::{
    seal, unseal, Frame, DATA_HEADER_LEN, MANIFEST_LEN, NACK_HEADER_LEN, NEED_ENTRY_LEN,
    TRAILER_LEN,
};
use super::manifest::{Manifest, MAX_SYMBOLS_PER_BLOCK};
use super::pacing::{Congestion, Pacer, UNPACED_BUCKET};
use super::receiver::Receiver;
use super::sender::{Sender, SenderParams};
use super::{
    invalid, Dest, Event, LosslessError, Outcome, Progress, ReceiverConfig, ReceiverProgress,
    SenderConfig, SessionId, Transmit,
};
use crate::wire::HEADER_LEN;
use std::collections::{BTreeMap, VecDeque};

/// Frames dropped or noticed, by reason. Never reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counters {
    pub frames_in: u64,
    pub frames_out: u64,
    /// Failed strict decoding.
    pub malformed: u64,
    /// The CRC-32 trailer did not verify (corrupted in flight, or truncated): dropped like a
    /// lost frame.
    pub corrupt: u64,
    /// No session for the wire id (and no waiting receiver for a manifest).
    pub unknown_session: u64,
    /// The session has ended.
    pub inactive_session: u64,
    /// Block, chunk or range outside the transfer.
    pub out_of_range: u64,
    /// A symbol whose length disagrees with the geometry.
    pub bad_length: u64,
    pub duplicates: u64,
    /// A report for a round that is already closed.
    pub stale: u64,
    /// Upstream frame from a node that is not a listed receiver.
    pub foreign_receiver: u64,
    /// Well-formed but not expected here (wrong direction, wrong report kind, conflicting
    /// manifest, repair symbol without FEC).
    pub unexpected: u64,
}

/// What a session call may push to.
pub(crate) struct Io<'a> {
    pub out: &'a mut VecDeque<Transmit>,
    pub events: &'a mut VecDeque<Event>,
    pub counters: &'a mut Counters,
}

enum Session {
    Sender(Box<Sender>),
    Receiver(Box<Receiver>),
}

impl Session {
    fn next_deadline(&self) -> Option<u64> {
        match self {
            Session::Sender(s) => s.next_deadline(),
            Session::Receiver(r) => r.next_deadline(),
        }
    }
}

pub struct Endpoint {
    node: u32,
    mtu: usize,
    config: LosslessConfig,
    next_local: u32,
    sessions: BTreeMap<SessionId, Session>,
    senders_by_wire: BTreeMap<u32, SessionId>,
    receivers_by_wire: BTreeMap<(u32, u32), SessionId>,
    out: VecDeque<Transmit>,
    events: VecDeque<Event>,
    counters: Counters,
}

/// The smallest MTU that leaves room for a useful chunk and a NACK entry.
pub const MIN_MTU: usize = HEADER_LEN + DATA_HEADER_LEN + 64;

impl Endpoint {
    /// `mtu` is the dataplane datagram size (header included). `_seed` is unused: wire
    /// session ids now come from the host ([`SenderConfig::session_id`], drawn from its
    /// CSPRNG); the parameter stays until its callers drop it.
    pub fn new(
        local_node: u32,
        mtu: usize,
        config: LosslessConfig,
        _seed: u64,
    ) -> Result<Endpoint, LosslessError> {
        config.validate()?;
        if !(MIN_MTU..=HEADER_LEN + usize::from(u16::MAX)).contains(&mtu) {
            return Err(invalid(format!(
                "mtu {mtu} outside {MIN_MTU}..={}",
                HEADER_LEN + 65535
            )));
        }
        debug_assert!(MANIFEST_LEN.max(NACK_HEADER_LEN + NEED_ENTRY_LEN) < mtu - HEADER_LEN);
        Ok(Endpoint {
            node: local_node,
            mtu,
            config,
            next_local: 1,
            sessions: BTreeMap::new(),
            senders_by_wire: BTreeMap::new(),
            receivers_by_wire: BTreeMap::new(),
            out: VecDeque::new(),
            events: VecDeque::new(),
            counters: Counters::default(),
        })
    }

    /// Changes the datagram size for sessions opened from now on (running sessions keep the
    /// chunk size of their manifest). Same bounds as [`Endpoint::new`].
    pub fn set_mtu(&mut self, mtu: usize) -> Result<(), LosslessError> {
        if !(MIN_MTU..=HEADER_LEN + usize::from(u16::MAX)).contains(&mtu) {
            return Err(invalid(format!(
                "mtu {mtu} outside {MIN_MTU}..={}",
                HEADER_LEN + 65535
            )));
        }
        self.mtu = mtu;
        Ok(())
    }

    /// The largest frame this endpoint emits, trailer included: `mtu - 40`.
    pub fn max_frame_len(&self) -> usize {
        self.mtu - HEADER_LEN
    }

    /// The largest frame before its trailer.
    fn max_body_len(&self) -> usize {
        self.max_frame_len() - TRAILER_LEN
    }

    pub fn counters(&self) -> Counters {
        self.counters
    }

    fn alloc_local(&mut self) -> SessionId {
        let id = SessionId(self.next_local);
        self.next_local = self.next_local.wrapping_add(1).max(1);
        id
    }

    /// The lowest wire session id no sender of this endpoint uses. Predictable: for tests and
    /// harnesses; hosts pass ids drawn from their CSPRNG.
    pub fn unused_session_id(&self) -> u32 {
        (1..=u32::MAX)
            .find(|w| !self.senders_by_wire.contains_key(w))
            .unwrap_or(0)
    }

    /// Starts sending `cfg.data` to `cfg.receivers`. Returns the local session handle.
    pub fn open_sender(&mut self, now: u64, cfg: SenderConfig) -> Result<SessionId, LosslessError> {
        if cfg.local_node != self.node {
            return Err(invalid(format!(
                "local_node {} is not this node {}",
                cfg.local_node, self.node
            )));
        }
        if cfg.receivers.is_empty() {
            return Err(invalid("receivers is empty"));
        }
        let mut sorted = cfg.receivers.clone();
        sorted.sort_unstable();
        sorted.dedup();
        if sorted.len() != cfg.receivers.len() {
            return Err(invalid("receivers lists a node twice"));
        }
        if let Dest::Node(n) = cfg.group_or_dest {
            if cfg.receivers != [n] {
                return Err(invalid(
                    "a unicast session has exactly its destination as receiver",
                ));
            }
        }
        if cfg.data.is_empty() {
            return Err(invalid("data is empty"));
        }
        let requested = cfg.chunk_size.unwrap_or(self.config.default_chunk_size);
        if requested == 0 {
            return Err(invalid("chunk_size is 0"));
        }
        let fec = self.config.fec_enabled;
        // With FEC the chunks are the symbols: the symbol-size bounds apply, then one datagram.
        let (smin, smax) = self.config.fec_symbol_size_bounds;
        let requested = if fec {
            requested.clamp(smin, smax)
        } else {
            requested
        };
        let chunk = requested.min((self.max_body_len() - DATA_HEADER_LEN) as u32) as u16;
        let k = if fec {
            self.config.symbols_per_block()
        } else {
            // Without FEC blocks only group chunk ids; keep them large.
            MAX_SYMBOLS_PER_BLOCK as u16
        };
        let manifest = Manifest {
            total_len: cfg.data.len() as u64,
            chunk_size: chunk,
            symbols_per_block: k,
            fec: self.config.fec_enabled,
            checksum: crc32fast::hash(&cfg.data),
            ports: cfg.ports,
        };
        if manifest.validate().is_err() {
            return Err(invalid("data has more than 2^32-1 chunks"));
        }
        let wire = cfg.session_id;
        if wire == 0 {
            return Err(invalid("session_id is 0"));
        }
        if self.senders_by_wire.contains_key(&wire) {
            return Err(invalid(format!(
                "session id {wire} is already used by a sender here"
            )));
        }
        let id = self.alloc_local();
        let params = SenderParams {
            ready_grace_us: self.config.ready_grace_ms * 1000,
            max_silent_rounds: self.config.max_silent_rounds,
            unreachable_timeout_us: self.config.unreachable_timeout_ms * 1000,
        };
        // `off` without a configured bucket is unpaced; every other case starts from the
        // configured bucket (or the default one), which also caps what feedback may raise.
        let bucket = match (cfg.congestion, self.config.data_bucket) {
            (Congestion::Off, None) => UNPACED_BUCKET,
            _ => self.config.data_bucket(),
        };
        let pacer = Pacer::with_mode(now, bucket, self.max_frame_len(), cfg.congestion);
        let s = Sender::new(
            now,
            id,
            wire,
            cfg.group_or_dest,
            &cfg.receivers,
            cfg.data,
            manifest,
            pacer,
            params,
        );
        self.sessions.insert(id, Session::Sender(Box::new(s)));
        self.senders_by_wire.insert(wire, id);
        self.drive(now, id);
        Ok(id)
    }

    /// Registers a receiver; it adopts the first matching manifest that arrives.
    pub fn open_receiver(
        &mut self,
        now: u64,
        cfg: ReceiverConfig,
    ) -> Result<SessionId, LosslessError> {
        if cfg.local_node != self.node {
            return Err(invalid(format!(
                "local_node {} is not this node {}",
                cfg.local_node, self.node
            )));
        }
        if cfg.expected_bytes == 0 {
            return Err(invalid("expected_bytes is 0"));
        }
        if usize::try_from(cfg.expected_bytes).is_err() {
            return Err(invalid("expected_bytes does not fit in memory"));
        }
        if cfg.chunk_size == Some(0) {
            return Err(invalid("chunk_size is 0"));
        }
        if let Dest::Node(n) = cfg.dest {
            if n != self.node {
                return Err(invalid("a unicast receiver's dest is its own node"));
            }
        }
        let id = self.alloc_local();
        let r = Receiver::new(
            now,
            id,
            cfg.source_node,
            cfg.dest,
            cfg.ports,
            cfg.expected_bytes,
            self.config.idle_timeout_ms * 1000,
            self.max_body_len(),
        );
        self.sessions.insert(id, Session::Receiver(Box::new(r)));
        Ok(id)
    }

    /// A lossless frame (the payload after the dataplane header) from `from_node`, sent
    /// to `dst`, with the header's `session_id`. Malformed or unmatched frames are dropped
    /// and counted; this never panics on hostile input.
    pub fn handle_frame(
        &mut self,
        now: u64,
        from_node: u32,
        dst: Dest,
        wire_session_id: u32,
        payload: &[u8],
    ) {
        self.counters.frames_in += 1;
        let Some(payload) = unseal(from_node, wire_session_id, payload) else {
            self.counters.corrupt += 1;
            return;
        };
        let frame = match Frame::decode(payload) {
            Ok(f) => f,
            Err(_) => {
                self.counters.malformed += 1;
                return;
            }
        };
        let mut io = Io {
            out: &mut self.out,
            events: &mut self.events,
            counters: &mut self.counters,
        };
        match frame {
            Frame::Ready
            | Frame::Nack(_)
            | Frame::Done { .. }
            | Frame::Quit { .. }
            | Frame::Rate(_) => {
                let Some(&id) = self.senders_by_wire.get(&wire_session_id) else {
                    io.counters.unknown_session += 1;
                    return;
                };
                if let Some(Session::Sender(s)) = self.sessions.get_mut(&id) {
                    s.on_frame(now, from_node, frame, &mut io);
                }
            }
            _ => {
                let key = (from_node, wire_session_id);
                if let Some(&id) = self.receivers_by_wire.get(&key) {
                    if let Some(Session::Receiver(r)) = self.sessions.get_mut(&id) {
                        r.on_frame(now, frame, &mut io);
                    }
                    return;
                }
                let Frame::Manifest(m) = frame else {
                    io.counters.unknown_session += 1;
                    return;
                };
                let waiting = self.sessions.values_mut().find_map(|s| match s {
                    Session::Receiver(r) if r.matches(from_node, dst, &m) => Some(r),
                    _ => None,
                });
                match waiting {
                    Some(r) => {
                        r.bind(now, wire_session_id, m, &mut io);
                        self.receivers_by_wire.insert(key, r.id);
                    }
                    None => io.counters.unknown_session += 1,
                }
            }
        }
    }

    fn drive(&mut self, now: u64, id: SessionId) {
        let mut io = Io {
            out: &mut self.out,
            events: &mut self.events,
            counters: &mut self.counters,
        };
        match self.sessions.get_mut(&id) {
            Some(Session::Sender(s)) => s.on_timeout(now, &mut io),
            Some(Session::Receiver(r)) => r.on_timeout(now, &mut io),
            None => {}
        }
    }

    /// Runs every timer due at `now`. Calling it early (spuriously) does nothing harmful.
    pub fn handle_timeout(&mut self, now: u64) {
        let due: Vec<SessionId> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.next_deadline().is_some_and(|d| d <= now))
            .map(|(&id, _)| id)
            .collect();
        for id in due {
            self.drive(now, id);
        }
    }

    /// The next frame to send, sealed with its CRC-32 trailer.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        let mut t = self.out.pop_front()?;
        seal(self.node, t.session_id, &mut t.frame);
        self.counters.frames_out += 1;
        Some(t)
    }

    /// The earliest time `handle_timeout` has work to do.
    pub fn poll_timeout(&self) -> Option<u64> {
        self.sessions
            .values()
            .filter_map(Session::next_deadline)
            .min()
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    pub fn progress(&self, id: SessionId) -> Result<Progress, LosslessError> {
        match self.sessions.get(&id) {
            Some(Session::Sender(s)) => Ok(s.progress()),
            Some(Session::Receiver(r)) => Ok(r.progress()),
            None => Err(LosslessError::UnknownSession(id)),
        }
    }

    /// A sender's view of each listed receiver (node order); empty for a receiver session.
    pub fn receiver_progress(&self, id: SessionId) -> Result<Vec<ReceiverProgress>, LosslessError> {
        match self.sessions.get(&id) {
            Some(Session::Sender(s)) => Ok(s.receiver_progress()),
            Some(Session::Receiver(_)) => Ok(Vec::new()),
            None => Err(LosslessError::UnknownSession(id)),
        }
    }

    /// How the session ended; `None` while it runs (or for unknown ids).
    pub fn outcome(&self, id: SessionId) -> Option<Outcome> {
        match self.sessions.get(&id)? {
            Session::Sender(s) => s.outcome.clone(),
            Session::Receiver(r) => r.outcome.clone(),
        }
    }

    /// Ends a session locally. A sender tells its receivers (ABORT, best effort). Ending an
    /// ended session is a no-op.
    pub fn cancel(&mut self, id: SessionId) -> Result<(), LosslessError> {
        let mut io = Io {
            out: &mut self.out,
            events: &mut self.events,
            counters: &mut self.counters,
        };
        match self.sessions.get_mut(&id) {
            Some(Session::Sender(s)) => s.cancel(&mut io),
            Some(Session::Receiver(r)) => r.cancel(&mut io),
            None => return Err(LosslessError::UnknownSession(id)),
        }
        Ok(())
    }

    /// Moves a completed receiver's buffer out. The session keeps answering its sender's
    /// status requests with DONE afterwards.
    pub fn take_data(&mut self, id: SessionId) -> Result<Vec<u8>, LosslessError> {
        match self.sessions.get_mut(&id) {
            Some(Session::Receiver(r)) => {
                if r.taken {
                    Err(LosslessError::AlreadyTaken(id))
                } else if r.is_complete() {
                    Ok(r.take_data())
                } else {
                    Err(LosslessError::NotComplete {
                        id,
                        outcome: r.outcome.clone(),
                    })
                }
            }
            Some(Session::Sender(_)) => Err(invalid("take_data on a sender session")),
            None => Err(LosslessError::UnknownSession(id)),
        }
    }

    /// The manifest a sender announces (its geometry and FEC choice).
    pub fn sender_manifest(&self, id: SessionId) -> Option<Manifest> {
        match self.sessions.get(&id)? {
            Session::Sender(s) => Some(s.manifest),
            Session::Receiver(_) => None,
        }
    }

    /// A sender's congestion mode and current pacing rate (bytes/s; `u64::MAX` = unpaced).
    pub fn sender_pacing(&self, id: SessionId) -> Option<(Congestion, u64)> {
        match self.sessions.get(&id)? {
            Session::Sender(s) => Some((s.congestion(), s.rate())),
            Session::Receiver(_) => None,
        }
    }

    /// Test/diagnostic hooks on a sender: RaptorQ encoders built and the current pacing rate.
    pub fn sender_stats(&self, id: SessionId) -> Option<(u64, u64)> {
        match self.sessions.get(&id)? {
            Session::Sender(s) => Some((s.encoders_built(), s.rate())),
            Session::Receiver(_) => None,
        }
    }
}
