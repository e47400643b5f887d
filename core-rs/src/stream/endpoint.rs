//! [`StreamEndpoint`]: one per node, holding its listeners and every connection, keyed by
//! (remote node, remote port, local port). It demultiplexes incoming frames, answers frames
//! that belong to nobody with an RST, and serves the connections' frames round robin.

use super::conn::{Conn, Fate, State};
use super::frame::{Frame, Geometry, ACK, FIXED_LEN, MIN_MSS, RST, SYN};
use super::{
    ConnId, ConnInfo, ConnStats, EndpointStats, Event, Read, StreamConfig, StreamError, Transmit,
};
use crate::wire::HEADER_LEN;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

/// Ports handed out to `connect` without a source port (IANA's dynamic range).
const EPHEMERAL: std::ops::RangeInclusive<u16> = 49152..=65535;

type Key = (u32, u16, u16);

pub struct StreamEndpoint {
    node: u32,
    cfg: StreamConfig,
    geo: Geometry,
    rng: u64,
    listeners: BTreeSet<u16>,
    conns: BTreeMap<ConnId, Conn>,
    by_key: HashMap<Key, ConnId>,
    next_id: u32,
    next_ephemeral: u16,
    /// RSTs for frames that belong to no connection.
    control: VecDeque<Transmit>,
    events: VecDeque<Event>,
    /// Round-robin cursor: the connection served last.
    last_served: ConnId,
    stats: EndpointStats,
}

impl StreamEndpoint {
    /// `mtu` is the largest dataplane datagram; `seed` drives initial sequence numbers (the
    /// core has no randomness of its own: the host passes one from its CSPRNG).
    pub fn new(node: u32, mtu: usize, cfg: StreamConfig, seed: u64) -> Result<Self, StreamError> {
        cfg.validate()?;
        let geo = Self::geometry(mtu)?;
        Ok(StreamEndpoint {
            node,
            cfg,
            geo,
            rng: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            listeners: BTreeSet::new(),
            conns: BTreeMap::new(),
            by_key: HashMap::new(),
            next_id: 1,
            next_ephemeral: *EPHEMERAL.start(),
            control: VecDeque::new(),
            events: VecDeque::new(),
            last_served: ConnId(0),
            stats: EndpointStats::default(),
        })
    }

    fn geometry(mtu: usize) -> Result<Geometry, StreamError> {
        Geometry::for_mtu(mtu).ok_or_else(|| StreamError::Config {
            key: "mtu",
            reason: format!(
                "{mtu} leaves no room for stream data: at least {} bytes are needed",
                HEADER_LEN + FIXED_LEN + MIN_MSS
            ),
        })
    }

    /// Changes the datagram size (e.g. when per-hop authentication adds a trailer). Applies to
    /// connections opened from now on.
    pub fn set_mtu(&mut self, mtu: usize) -> Result<(), StreamError> {
        self.geo = Self::geometry(mtu)?;
        Ok(())
    }

    /// Replaces the tunables (checked first; on an error nothing changes). Buffers, windows
    /// and timeouts apply to connections opened from now on; limits at once.
    pub fn set_config(&mut self, cfg: StreamConfig) -> Result<(), StreamError> {
        cfg.validate()?;
        self.cfg = cfg;
        Ok(())
    }

    pub fn node_id(&self) -> u32 {
        self.node
    }

    /// Payload bytes per segment.
    pub fn mss(&self) -> u64 {
        self.geo.mss
    }

    pub fn config(&self) -> &StreamConfig {
        &self.cfg
    }

    pub fn endpoint_stats(&self) -> EndpointStats {
        self.stats
    }

    /// Replaces the seed of initial sequence numbers, e.g. with one from the host's CSPRNG
    /// (the node engine seeds from its node id, which keeps runs repeatable but lets anyone
    /// guess them).
    pub fn reseed(&mut self, seed: u64) {
        self.rng = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    }

    fn isn(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        // 32 random bits: distinct incarnations start far apart, and 64-bit sequence
        // numbers starting there never wrap.
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) + 1
    }

    pub fn listen(&mut self, port: u16) -> Result<(), StreamError> {
        if port == 0 {
            return Err(StreamError::InvalidArgument(
                "port 0 cannot be listened on: use 1..=65535".into(),
            ));
        }
        if !self.listeners.insert(port) {
            return Err(StreamError::PortInUse { port });
        }
        Ok(())
    }

    /// Stops accepting on `port`: connections accepted before stay, half-open ones (never
    /// handed to the application) are reset. False if it was not listening.
    pub fn unlisten(&mut self, port: u16) -> bool {
        let half_open: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(_, c)| c.state == State::SynRcvd && c.listener == Some(port))
            .map(|(&id, _)| id)
            .collect();
        for id in half_open {
            self.apply(id, Fate::Remove { rst: true }, Vec::new());
        }
        self.listeners.remove(&port)
    }

    fn alloc_id(&mut self) -> ConnId {
        loop {
            let id = ConnId(self.next_id);
            self.next_id = self.next_id.wrapping_add(1).max(1);
            if !self.conns.contains_key(&id) {
                return id;
            }
        }
    }

    /// Opens a connection to `dst_port` on `dst_node`, from `src_port` or a free ephemeral
    /// port. `Event::Connected` follows, or `Event::Error` (refused, timeout).
    pub fn connect(
        &mut self,
        now: u64,
        dst_node: u32,
        dst_port: u16,
        src_port: Option<u16>,
    ) -> Result<ConnId, StreamError> {
        if dst_port == 0 {
            return Err(StreamError::InvalidArgument(
                "dstPort 0 is not a port: use 1..=65535".into(),
            ));
        }
        if self.conns.len() >= self.cfg.max_connections {
            return Err(StreamError::TooManyConnections {
                max: self.cfg.max_connections,
            });
        }
        let local = match src_port {
            Some(0) => {
                return Err(StreamError::InvalidArgument(
                    "srcPort 0 is not a port: use 1..=65535, or leave it out".into(),
                ))
            }
            Some(p)
                if self.by_key.contains_key(&(dst_node, dst_port, p))
                    || self.listeners.contains(&p) =>
            {
                return Err(StreamError::PortInUse { port: p })
            }
            Some(p) => p,
            None => self.ephemeral(dst_node, dst_port)?,
        };
        let id = self.alloc_id();
        let isn = self.isn();
        let conn = Conn::new(
            id,
            now,
            dst_node,
            dst_port,
            local,
            isn,
            self.geo,
            &self.cfg,
            State::SynSent,
        );
        self.by_key.insert((dst_node, dst_port, local), id);
        self.conns.insert(id, conn);
        Ok(id)
    }

    fn ephemeral(&mut self, node: u32, port: u16) -> Result<u16, StreamError> {
        let span = u32::from(EPHEMERAL.end() - EPHEMERAL.start()) + 1;
        for _ in 0..span {
            let p = self.next_ephemeral;
            self.next_ephemeral = if p == *EPHEMERAL.end() {
                *EPHEMERAL.start()
            } else {
                p + 1
            };
            if !self.listeners.contains(&p) && !self.by_key.contains_key(&(node, port, p)) {
                return Ok(p);
            }
        }
        Err(StreamError::NoFreePort { node, port })
    }

    fn conn(&mut self, id: ConnId) -> Result<&mut Conn, StreamError> {
        self.conns
            .get_mut(&id)
            .ok_or(StreamError::Closed { conn: id })
    }

    pub fn info(&self, id: ConnId) -> Result<ConnInfo, StreamError> {
        let c = self
            .conns
            .get(&id)
            .ok_or(StreamError::Closed { conn: id })?;
        Ok(ConnInfo {
            remote_node: c.remote_node,
            remote_port: c.remote_port,
            local_port: c.local_port,
            listener: c.listener,
        })
    }

    pub fn stats(&self, id: ConnId) -> Result<ConnStats, StreamError> {
        Ok(self
            .conns
            .get(&id)
            .ok_or(StreamError::Closed { conn: id })?
            .stats())
    }

    /// Connections currently held (any state).
    pub fn connections(&self) -> usize {
        self.conns.len()
    }

    /// Queues what fits in the send buffer and returns how many bytes were taken; 0 means
    /// full: wait for `Event::Writable`. Writing after `close` is `Closed`.
    pub fn write(&mut self, now: u64, id: ConnId, data: &[u8]) -> Result<usize, StreamError> {
        let c = self.conn(id)?;
        if c.send.fin_queued() {
            return Err(StreamError::Closed { conn: id });
        }
        let n = c.send.write(data);
        c.after_write(now);
        if n < data.len() {
            c.writable_wanted = true;
        }
        Ok(n)
    }

    /// Takes up to `max` bytes in order.
    pub fn read(&mut self, id: ConnId, max: usize) -> Result<Read, StreamError> {
        let c = self.conn(id)?;
        let Some(recv) = c.recv.as_mut() else {
            return Ok(Read::WouldBlock);
        };
        if recv.readable() == 0 {
            return Ok(if c.at_eof() {
                Read::Eof
            } else {
                Read::WouldBlock
            });
        }
        let data = recv.read(max);
        c.after_read();
        Ok(Read::Data(data))
    }

    /// Closes the writing side gracefully: a FIN follows the buffered data. Reading goes on
    /// until the peer closes too.
    pub fn close(&mut self, now: u64, id: ConnId) -> Result<(), StreamError> {
        let mut events = Vec::new();
        self.conn(id)?.close(now, &mut events);
        self.events.extend(events);
        Ok(())
    }

    /// Ends the connection at once: buffered data is dropped and the peer gets an RST (it
    /// sees `CONNECTION_RESET`).
    pub fn abort(&mut self, _now: u64, id: ConnId) -> Result<(), StreamError> {
        let c = self
            .conns
            .get(&id)
            .ok_or(StreamError::Closed { conn: id })?;
        let rst = c.rst_frame();
        let dst = c.remote_node;
        self.control.push_back(Transmit::of(dst, &rst));
        self.remove(id);
        Ok(())
    }

    fn remove(&mut self, id: ConnId) {
        if let Some(c) = self.conns.remove(&id) {
            self.by_key
                .remove(&(c.remote_node, c.remote_port, c.local_port));
        }
    }

    fn apply(&mut self, id: ConnId, fate: Fate, events: Vec<Event>) {
        self.events.extend(events);
        if let Fate::Remove { rst } = fate {
            if rst {
                if let Some(c) = self.conns.get(&id) {
                    self.control
                        .push_back(Transmit::of(c.remote_node, &c.rst_frame()));
                }
            }
            self.remove(id);
        }
    }

    /// A stream frame (the payload after the dataplane header) from `from_node`. Malformed
    /// frames are counted, never fatal.
    pub fn handle_frame(&mut self, now: u64, from_node: u32, bytes: &[u8]) {
        let f = match Frame::decode(bytes) {
            Ok(f) => f,
            Err(_) => {
                self.stats.malformed += 1;
                return;
            }
        };
        let key = (from_node, f.src_port, f.dst_port);
        if let Some(&id) = self.by_key.get(&key) {
            let mut events = Vec::new();
            let c = self.conns.get_mut(&id).expect("keyed connections exist");
            let fate = c.handle_frame(now, &f, &mut events);
            self.apply(id, fate, events);
            return;
        }
        if f.has(RST) {
            self.stats.stray_rst += 1;
            return;
        }
        let wants = f.has(SYN) && !f.has(ACK);
        if wants && self.listeners.contains(&f.dst_port) {
            let pending = self
                .conns
                .values()
                .filter(|c| c.state == State::SynRcvd && c.listener == Some(f.dst_port))
                .count();
            if pending < self.cfg.backlog && self.conns.len() < self.cfg.max_connections {
                let id = self.alloc_id();
                let isn = self.isn();
                let mut c = Conn::new(
                    id,
                    now,
                    from_node,
                    f.src_port,
                    f.dst_port,
                    isn,
                    self.geo,
                    &self.cfg,
                    State::SynRcvd,
                );
                c.listener = Some(f.dst_port);
                c.accept_syn(f.seq, f.window);
                self.by_key.insert(key, id);
                self.conns.insert(id, c);
                return;
            }
            self.stats.refused_full += 1;
        }
        // Nobody here: refuse (a SYN) or reset (anything else), as TCP does.
        self.stats.rst_sent += 1;
        let rst = if wants {
            Frame {
                flags: RST | ACK,
                src_port: f.dst_port,
                dst_port: f.src_port,
                seq: 0,
                ack: f.seq + 1,
                ..Frame::default()
            }
        } else {
            Frame {
                flags: RST,
                src_port: f.dst_port,
                dst_port: f.src_port,
                seq: f.ack,
                ..Frame::default()
            }
        };
        self.control.push_back(Transmit::of(from_node, &rst));
    }

    pub fn handle_timeout(&mut self, now: u64) {
        let due: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(_, c)| c.poll_timeout().is_some_and(|t| t <= now))
            .map(|(&id, _)| id)
            .collect();
        for id in due {
            let mut events = Vec::new();
            let fate = self
                .conns
                .get_mut(&id)
                .expect("listed")
                .handle_timeout(now, &mut events);
            self.apply(id, fate, events);
        }
    }

    /// The next frame to send, if any is allowed at `now` (congestion window, peer's window,
    /// pacing). Connections take turns.
    pub fn poll_transmit(&mut self, now: u64) -> Option<Transmit> {
        if let Some(t) = self.control.pop_front() {
            return Some(t);
        }
        let after: Vec<ConnId> = self
            .conns
            .range(ConnId(self.last_served.0.saturating_add(1))..)
            .map(|(&id, _)| id)
            .chain(self.conns.range(..=self.last_served).map(|(&id, _)| id))
            .collect();
        for id in after {
            let c = self.conns.get_mut(&id).expect("listed");
            if let Some(f) = c.poll_frame(now) {
                self.last_served = id;
                return Some(Transmit::of(c.remote_node, &f));
            }
        }
        None
    }

    #[cfg(test)]
    pub fn debug_state(&self) -> Vec<String> {
        self.conns.values().map(|c| c.debug_timers()).collect()
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The earliest time `handle_timeout` (or `poll_transmit`) has work; a time not after
    /// the latest `now` means at once.
    pub fn poll_timeout(&self) -> Option<u64> {
        if !self.control.is_empty() {
            return Some(0);
        }
        self.conns.values().filter_map(|c| c.poll_timeout()).min()
    }
}
