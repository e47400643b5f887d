//! One connection's state machine: set-up, data transfer, teardown, keepalive and idle
//! timeout. The endpoint owns the connections and feeds each its frames and timeouts.
//!
//! States: `SynSent` (we connected, SYN out) and `SynRcvd` (a listener got a SYN, SYN|ACK
//! out) both retransmit on the RTO; either becomes `Open` on the peer's answer. Closing is
//! per direction: `close` queues a FIN after the buffered data; once our FIN is acknowledged
//! and the peer's FIN reached, the connection is done and lingers in `TimeWait` to re-ACK a
//! retransmitted FIN, then leaves (after the application read what is left). An RST ends it
//! at once: refused while connecting, reset after.

use super::cc::{AckInfo, Controller};
use super::frame::{Frame, Geometry, ACK, FIN, PING, RST, SYN};
use super::recv::Recv;
use super::rtt::RttEstimator;
use super::send::Send;
use super::{ConnId, ConnStats, Event, StreamConfig, StreamError};

/// Pacing may run this far behind before the lost time is forgiven: hosts wake ~1 ms late,
/// and a sender that never catches up would run below its pacing rate.
const PACING_CREDIT_US: u64 = 1_000;
/// Lower bound of RACK's reordering window.
const MIN_REORDER_US: u64 = 1_000;
/// Slack added to the tail-loss probe's two SRTTs (timers fire ~1 ms late on real hosts).
const PROBE_SLACK_US: u64 = 2_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    SynSent,
    SynRcvd,
    Open,
    TimeWait { until: u64 },
}

/// What the endpoint must do with a connection after a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fate {
    Keep,
    /// Remove it; if `rst`, tell the peer with an RST first.
    Remove {
        rst: bool,
    },
}

#[derive(Debug)]
pub(super) struct Conn {
    pub id: ConnId,
    pub remote_node: u32,
    pub remote_port: u16,
    pub local_port: u16,
    pub listener: Option<u16>,
    pub state: State,
    isn: u64,
    mss: u64,
    max_sacks: usize,
    pub send: Send,
    pub recv: Option<Recv>,
    recv_window: usize,
    rtt: RttEstimator,
    cc: Controller,
    /// The peer's window edge: the highest `ack + window` heard.
    peer_edge: u64,
    syn_due: bool,
    syn_sent_at: Option<u64>,
    syn_retransmitted: bool,
    ack_due: bool,
    ping_due: bool,
    /// An RST to send with this sequence number (see `SynSent`).
    rst_due: Option<u64>,
    rto_at: Option<u64>,
    reorder_at: Option<u64>,
    /// Tail-loss probe: when to send one (two SRTTs after the last send or delivery), and
    /// that one is due.
    probe_at: Option<u64>,
    probe_due: bool,
    pace_at: u64,
    last_heard: u64,
    last_ping: u64,
    idle_timeout: u64,
    keepalive: u64,
    time_wait: u64,
    /// The right edge last advertised, to send a window update when reading opens it.
    advertised_edge: u64,
    pub writable_wanted: bool,
    eof_signalled: bool,
    timeouts: u64,
}

impl Conn {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: ConnId,
        now: u64,
        remote_node: u32,
        remote_port: u16,
        local_port: u16,
        isn: u64,
        geo: Geometry,
        cfg: &StreamConfig,
        state: State,
    ) -> Conn {
        Conn {
            id,
            remote_node,
            remote_port,
            local_port,
            listener: None,
            state,
            isn,
            mss: geo.mss,
            max_sacks: geo.max_sacks,
            send: Send::new(cfg.send_buffer, isn + 1),
            recv: None,
            recv_window: cfg.recv_window,
            rtt: RttEstimator::new(cfg.initial_rto_us, cfg.min_rto_us, cfg.max_rto_us),
            cc: Controller::new(cfg.congestion, geo.mss, isn),
            peer_edge: isn + 1,
            syn_due: true,
            syn_sent_at: None,
            syn_retransmitted: false,
            ack_due: false,
            ping_due: false,
            rst_due: None,
            rto_at: None,
            reorder_at: None,
            probe_at: None,
            probe_due: false,
            pace_at: 0,
            last_heard: now,
            last_ping: now,
            idle_timeout: cfg.idle_timeout_us,
            keepalive: cfg.keepalive_us,
            time_wait: cfg.time_wait_us,
            advertised_edge: 0,
            writable_wanted: false,
            eof_signalled: false,
            timeouts: 0,
        }
    }

    /// A listener's side: the peer's SYN carried `peer_isn` and `window`.
    pub fn accept_syn(&mut self, peer_isn: u64, window: u32) {
        self.recv = Some(Recv::new(self.recv_window, peer_isn + 1));
        self.peer_edge = self.isn + 1 + u64::from(window);
    }

    pub fn stats(&self) -> ConnStats {
        ConnStats {
            rtt_us: self.rtt.srtt(),
            cwnd_bytes: self.cc.cwnd(),
            bytes_sent: self.send.bytes_sent,
            bytes_received: self.recv.as_ref().map_or(0, |r| r.bytes_received),
            retransmits: self.send.retransmits,
            timeouts: self.timeouts,
            bytes_in_flight: self.send.pipe(),
        }
    }

    fn established(&self) -> bool {
        matches!(self.state, State::Open | State::TimeWait { .. })
    }

    /// An RST for this connection: does it belong to it (and not to an old incarnation)?
    fn rst_acceptable(&self, f: &Frame) -> bool {
        match (&self.state, &self.recv) {
            (State::SynSent, _) => f.has(ACK) && f.ack == self.isn + 1,
            (_, Some(r)) => f.seq >= r.ack() && f.seq <= r.ack() + u64::from(r.window()) + 1,
            _ => false,
        }
    }

    pub fn handle_frame(&mut self, now: u64, f: &Frame, events: &mut Vec<Event>) -> Fate {
        if f.has(RST) {
            if !self.rst_acceptable(f) {
                return Fate::Keep;
            }
            if self.state == State::SynRcvd {
                // Never handed to the application: it goes quietly.
                return Fate::Remove { rst: false };
            }
            let error = if self.state == State::SynSent {
                StreamError::Refused {
                    node: self.remote_node,
                    port: self.remote_port,
                }
            } else {
                StreamError::Reset {
                    node: self.remote_node,
                    port: self.remote_port,
                }
            };
            events.push(Event::Error {
                conn: self.id,
                error,
            });
            return Fate::Remove { rst: false };
        }
        self.last_heard = now;
        match self.state {
            State::SynSent => {
                if !(f.has(SYN) && f.has(ACK) && f.ack == self.isn + 1) {
                    if f.has(ACK) {
                        // The peer still holds an older connection on these ports (it
                        // answered our SYN with a plain ACK): reset it, as TCP does, so our
                        // next SYN finds the ports free.
                        self.rst_due = Some(f.ack);
                    }
                    return Fate::Keep;
                }
                if let (Some(at), false) = (self.syn_sent_at, self.syn_retransmitted) {
                    self.rtt.sample(now - at);
                }
                self.recv = Some(Recv::new(self.recv_window, f.seq + 1));
                self.peer_edge = f.ack + u64::from(f.window);
                self.state = State::Open;
                self.rto_at = None;
                self.ack_due = true;
                events.push(Event::Connected(self.id));
                return Fate::Keep;
            }
            State::SynRcvd => {
                if f.has(SYN) {
                    // Our SYN|ACK was lost: answer the retransmitted SYN again.
                    self.syn_due = true;
                    return Fate::Keep;
                }
                if !(f.has(ACK) && f.ack == self.isn + 1) {
                    return Fate::Keep;
                }
                if let (Some(at), false) = (self.syn_sent_at, self.syn_retransmitted) {
                    self.rtt.sample(now - at);
                }
                self.state = State::Open;
                self.rto_at = None;
                events.push(Event::Accepted {
                    listener: self.listener.unwrap_or(self.local_port),
                    conn: self.id,
                });
            }
            State::Open | State::TimeWait { .. } => {
                if f.has(SYN) {
                    // A retransmitted SYN|ACK: our ACK of it was lost.
                    self.ack_due = true;
                }
            }
        }
        if f.has(ACK) {
            self.on_ack(now, f, events);
        }
        if !f.payload.is_empty() || f.has(FIN) {
            let recv = self
                .recv
                .as_mut()
                .expect("established connections have a receiver");
            let was_empty = recv.readable() == 0;
            let progressed = recv.on_segment(f.seq, &f.payload, f.has(FIN));
            let eof = recv.fin_reached() && !self.eof_signalled;
            if (progressed && was_empty && recv.readable() > 0) || eof {
                self.eof_signalled |= eof;
                events.push(Event::Readable(self.id));
            }
            self.ack_due = true;
        }
        if f.has(PING) {
            self.ack_due = true;
        }
        self.check_done(now, events);
        Fate::Keep
    }

    fn on_ack(&mut self, now: u64, f: &Frame, events: &mut Vec<Event>) {
        let pipe_before = self.send.pipe();
        let free_before = self.send.free();
        let min_rtt = self.rtt.min_rtt().unwrap_or(0);
        let out = self.send.on_ack(now, f.ack, &f.sacks, min_rtt);
        if f.ack >= self.send.una {
            self.peer_edge = self.peer_edge.max(f.ack + u64::from(f.window));
        }
        if let Some(r) = out.rtt_sample {
            self.rtt.sample(r);
        }
        self.cc.on_ack(&AckInfo {
            now,
            delivered: out.delivered,
            una: self.send.una,
            cwnd_limited: pipe_before * 2 >= self.cc.cwnd(),
            rate: out.rate,
            total_delivered: self.send.delivered,
            total_lost: self.send.bytes_lost,
            pipe: self.send.pipe(),
            rtt: out.rtt_sample,
        });
        if out.advanced {
            // Restarted on progress (RFC 6298 5.3), or stopped (`arm_timer` decides).
            self.rto_at = None;
        }
        self.arm_timer(now);
        self.detect_losses(now);
        if out.delivered > 0 || !self.send.in_flight() {
            self.arm_probe(now);
        }
        if self.writable_wanted && self.send.free() > free_before {
            self.writable_wanted = false;
            events.push(Event::Writable(self.id));
        }
    }

    /// Starts the retransmission timer if something needs it: data in flight, or data held
    /// back by a closed peer window (the timer then sends window probes, so a lost window
    /// update cannot stall the connection).
    fn arm_timer(&mut self, now: u64) {
        let needed = self.send.in_flight() || self.send.window_blocked(self.peer_edge);
        if self.rto_at.is_none() && needed && self.established() {
            self.rto_at = Some(now + self.rtt.rto());
        }
    }

    /// Arms the tail-loss probe while something in flight is presumed on its way: if
    /// neither a send nor a delivery happens for two SRTTs, the newest such segment goes out
    /// again (see `Send::probe_segment`). Lost segments need no probe: they are resent.
    fn arm_probe(&mut self, now: u64) {
        self.probe_at = match self.rtt.srtt() {
            Some(srtt) if self.established() && self.send.pipe() > 0 => {
                Some(now + 2 * srtt + PROBE_SLACK_US)
            }
            _ => None,
        };
    }

    /// The application wrote: data may now wait for a closed window.
    pub fn after_write(&mut self, now: u64) {
        self.arm_timer(now);
    }

    fn detect_losses(&mut self, now: u64) {
        let reo = (self.rtt.min_rtt().unwrap_or(0) / 4).max(MIN_REORDER_US);
        let (lost, next) = self.send.detect_losses(now, reo);
        if lost > 0 {
            self.cc.on_loss(self.send.nxt);
        }
        self.reorder_at = next;
    }

    fn check_done(&mut self, now: u64, events: &mut Vec<Event>) {
        let recv_done = self.recv.as_ref().is_some_and(|r| r.fin_reached());
        if self.state == State::Open && recv_done && self.send.fin_acked() {
            self.state = State::TimeWait {
                until: now + self.time_wait,
            };
            events.push(Event::Closed(self.id));
        }
    }

    pub fn handle_timeout(&mut self, now: u64, events: &mut Vec<Event>) -> Fate {
        if let State::TimeWait { until } = self.state {
            let drained = self.recv.as_ref().is_none_or(|r| r.readable() == 0);
            if now >= until && drained {
                return Fate::Remove { rst: false };
            }
        } else if now >= self.last_heard + self.idle_timeout {
            if self.state == State::SynRcvd {
                return Fate::Remove { rst: true };
            }
            events.push(Event::Error {
                conn: self.id,
                error: StreamError::Timeout {
                    idle_us: self.idle_timeout,
                },
            });
            return Fate::Remove { rst: true };
        }
        if self.rto_at.is_some_and(|t| now >= t) {
            let needed = match self.state {
                State::SynSent | State::SynRcvd => {
                    self.syn_due = true;
                    self.syn_retransmitted = true;
                    true
                }
                _ if self.send.in_flight() => {
                    self.timeouts += 1;
                    self.cc.on_rto(self.send.pipe(), self.send.nxt);
                    self.send.on_rto();
                    self.reorder_at = None;
                    self.probe_at = None;
                    true
                }
                _ if self.send.window_blocked(self.peer_edge) => {
                    self.ping_due = true;
                    true
                }
                _ => false,
            };
            if needed {
                self.rtt.back_off();
            }
            self.rto_at = needed.then(|| now + self.rtt.rto());
        }
        if self.reorder_at.is_some_and(|t| now >= t) {
            self.detect_losses(now);
        }
        if self.probe_at.is_some_and(|t| now >= t) {
            self.probe_at = None;
            self.probe_due = self.established() && self.send.pipe() > 0;
        }
        if self.state == State::Open
            && now >= self.last_heard + self.keepalive
            && now >= self.last_ping + self.keepalive
        {
            self.ping_due = true;
            self.last_ping = now;
        }
        Fate::Keep
    }

    /// Whether data (or a FIN) could leave now if pacing allowed.
    fn sendable(&self) -> bool {
        self.established() && self.send.can_send(self.mss, self.cc.cwnd(), self.peer_edge)
    }

    #[cfg(test)]
    pub fn debug_timers(&self) -> String {
        format!(
            "{:?} rto {:?} reo {:?} pace {} sendable {} due syn {} ack {} ping {} heard {} pipe {} cwnd {} unsent {} nxt {} edge {} una {} ",
            self.state, self.rto_at, self.reorder_at, self.pace_at, self.sendable(), self.syn_due, self.ack_due,
            self.ping_due, self.last_heard, self.send.pipe(), self.cc.cwnd(), self.send.unsent(), self.send.nxt,
            self.peer_edge, self.send.una
        )
    }

    pub fn poll_timeout(&self) -> Option<u64> {
        let mut t = [self.rto_at, self.reorder_at, self.probe_at]
            .into_iter()
            .flatten()
            .min();
        let mut at = |d: u64| t = Some(t.map_or(d, |x| x.min(d)));
        match self.state {
            State::TimeWait { until } => {
                if self.recv.as_ref().is_none_or(|r| r.readable() == 0) {
                    at(until);
                }
            }
            _ => at(self.last_heard + self.idle_timeout),
        }
        if self.state == State::Open {
            at((self.last_heard + self.keepalive).max(self.last_ping + self.keepalive));
        }
        if self.syn_due || self.ack_due || self.ping_due || self.probe_due || self.rst_due.is_some()
        {
            at(0);
        }
        if self.sendable() {
            at(self.pace_at);
        }
        t
    }

    fn frame(&self, flags: u8, seq: u64) -> Frame {
        let (ack, window, sacks) = match &self.recv {
            Some(r) => (r.ack(), r.window(), r.sack_blocks(self.max_sacks)),
            None => (
                0,
                self.recv_window.min(u32::MAX as usize) as u32,
                Vec::new(),
            ),
        };
        Frame {
            flags: flags | if self.recv.is_some() { ACK } else { 0 },
            src_port: self.local_port,
            dst_port: self.remote_port,
            seq,
            ack,
            window,
            sacks,
            payload: Vec::new(),
        }
    }

    /// The RST that aborts this connection.
    pub fn rst_frame(&self) -> Frame {
        self.frame(RST, self.send.nxt)
    }

    fn sent(&mut self, f: &Frame) {
        self.ack_due = false;
        self.ping_due = false;
        if let Some(r) = &self.recv {
            self.advertised_edge = r.ack() + u64::from(r.window());
        }
        let _ = f;
    }

    /// The next frame this connection wants on the wire at `now`.
    pub fn poll_frame(&mut self, now: u64) -> Option<Frame> {
        if let Some(seq) = self.rst_due.take() {
            return Some(Frame {
                flags: RST,
                src_port: self.local_port,
                dst_port: self.remote_port,
                seq,
                ..Frame::default()
            });
        }
        if self.syn_due && matches!(self.state, State::SynSent | State::SynRcvd) {
            self.syn_due = false;
            if self.syn_sent_at.is_none() {
                self.syn_sent_at = Some(now);
            }
            if self.rto_at.is_none() {
                self.rto_at = Some(now + self.rtt.rto());
            }
            let f = self.frame(SYN, self.isn);
            self.sent(&f);
            return Some(f);
        }
        if !self.established() {
            return None;
        }
        if self.probe_due {
            self.probe_due = false;
            if let Some(seg) = self.send.probe_segment(now) {
                let mut f = self.frame(if seg.fin { FIN } else { 0 }, seg.seq);
                f.payload = seg.payload;
                self.sent(&f);
                return Some(f);
            }
        }
        if self.state == State::Open
            && !self.send.has_work(self.peer_edge)
            && self.send.pipe() < self.cc.cwnd()
        {
            // Nothing to send with room in the window: rate samples now measure the
            // application.
            self.send.mark_app_limited();
        }
        if self.sendable() && now >= self.pace_at {
            if let Some(seg) = self
                .send
                .next_segment(now, self.mss, self.cc.cwnd(), self.peer_edge)
            {
                let len = seg.payload.len().max(1) as u64;
                if let Some(rate) = self.cc.pacing_rate(self.rtt.srtt()) {
                    self.pace_at = self.pace_at.max(now.saturating_sub(PACING_CREDIT_US))
                        + (len * 1_000_000).div_ceil(rate);
                }
                // The timer counts from the oldest segment's latest transmission (as Linux
                // does): when RACK resends the head again (its retransmission was lost too,
                // likely at 10% loss), the timeout restarts rather than firing meanwhile and
                // resending the whole window.
                if self.rto_at.is_none() || (seg.retransmission && seg.seq == self.send.una) {
                    self.rto_at = Some(now + self.rtt.rto());
                }
                let mut f = self.frame(if seg.fin { FIN } else { 0 }, seg.seq);
                f.payload = seg.payload;
                self.sent(&f);
                self.arm_probe(now);
                return Some(f);
            }
        }
        if self.ack_due || self.ping_due {
            let flags = if self.ping_due { PING } else { 0 };
            let f = self.frame(flags, self.send.nxt);
            self.sent(&f);
            return Some(f);
        }
        None
    }

    /// The application read: tell the peer when that opened the window noticeably.
    pub fn after_read(&mut self) {
        if let Some(r) = &self.recv {
            let edge = r.ack() + u64::from(r.window());
            let opened = edge.saturating_sub(self.advertised_edge);
            let small_before = self.advertised_edge.saturating_sub(r.ack()) < self.mss;
            if opened >= (self.recv_window as u64 / 4).max(self.mss)
                || (small_before && opened >= self.mss)
            {
                self.ack_due = true;
            }
        }
    }

    /// Whether the peer's FIN was read past: the reading side is at its end.
    pub fn at_eof(&self) -> bool {
        self.recv
            .as_ref()
            .is_some_and(|r| r.fin_reached() && r.readable() == 0)
    }

    pub fn close(&mut self, now: u64, events: &mut Vec<Event>) {
        self.send.queue_fin();
        self.check_done(now, events);
    }
}
