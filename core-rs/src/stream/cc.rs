//! Congestion control. Two controllers, chosen by
//! [`StreamConfig::congestion`](super::StreamConfig::congestion):
//!
//! - [`Congestion::Model`] (the default, [`super::bbr`]): a model-based controller in the
//!   spirit of BBR. It measures the path's bottleneck bandwidth (windowed max of per-ACK
//!   delivery-rate samples over ~10 round trips) and its propagation delay (windowed min
//!   RTT over 10 s), paces at a gain times that bandwidth and caps what is in flight at about
//!   two bandwidth-delay products. A loss by itself does not lower the rate.
//! - [`Congestion::NewReno`]: NewReno (RFC 5681, RFC 6582) driven by SACK loss recovery,
//!   with pacing; every loss episode halves the window.
//!
//! Why not NewReno by default: the links of emulated networks drop packets *at random*
//! (`loss = 0.05` per link is a common setting), and NewReno reads every loss as
//! congestion. Its throughput then follows Mathis' bound, MSS / (RTT · sqrt(2p/3)): at
//! ~10% path loss (two hops of 5% each) and 80 ms RTT that is ~70 kB/s whatever the links
//! carry. Measured in the virtual-time tests (`tests.rs`):
//!
//! - 10 MiB over a path with 10% loss and 40 ms delay each way, no rate limit: NewReno
//!   ~45 kB/s (2.7 MB in 60 s), the model controller 2.7 MB/s (3.9 s);
//! - 10 MiB through a relay, two hops of 5% loss and 20 ms each way: 4.5 s;
//! - a 40 MB/s link with 1% loss: 33 MB/s; a 10 MB/s link (100-packet queue): 9.1 MB/s
//!   (payload: a datagram's headers and room for SACK blocks take ~5% of the link);
//! - three streams on a 10 MB/s link with a 100-packet queue and 40 ms RTT: shares within
//!   11% of each other after 10 s, 1.6% of packets dropped at the queue (NewReno, over 20 s:
//!   within 30%, 0.25% dropped).
//!
//! The model controller still respects a bottleneck: it paces at the measured bandwidth, so
//! a shared queue stays short, and flows sharing a bottleneck converge to equal shares (each
//! probes for more with gain 1.25 for one round trip in eight, and drains with 0.75 after).
//! Loss is a congestion signal only where random loss cannot explain it: a round trip that
//! loses more than 20% of its segments, or that loses some while its RTT shows a long queue
//! (see [`super::bbr`]).
//!
//! Pacing spreads the window over the RTT instead of bursting it into the bottleneck queue.
//! NewReno paces at gain · cwnd / SRTT with gain 2 in slow start (so the window can still
//! double each RTT) and 1.25 in congestion avoidance, as Linux does.

use super::bbr::Bbr;
use super::send::RateSample;

/// Which congestion controller a connection uses (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Congestion {
    /// Model-based (bandwidth and min RTT), tolerant of random loss. The default.
    #[default]
    Model,
    /// Loss-based NewReno: halves its window on every loss episode.
    NewReno,
}

/// What an ACK told the sender, for the controller.
#[derive(Debug, Clone, Copy)]
pub struct AckInfo {
    pub now: u64,
    /// Sequence space newly delivered by this ACK.
    pub delivered: u64,
    /// Cumulative ack after this ACK.
    pub una: u64,
    /// The window limited the sender before this ACK.
    pub cwnd_limited: bool,
    pub rate: Option<RateSample>,
    /// Totals since the start: delivered, and deemed lost by RACK.
    pub total_delivered: u64,
    pub total_lost: u64,
    /// Bytes in flight after this ACK.
    pub pipe: u64,
    /// RTT sample of this ACK (segments sent once).
    pub rtt: Option<u64>,
}

#[derive(Debug, Clone)]
pub enum Controller {
    Model(Bbr),
    NewReno(NewReno),
}

impl Controller {
    /// `seed` varies where the model controller starts its gain cycle, so flows started
    /// together do not probe in lockstep.
    pub fn new(kind: Congestion, mss: u64, seed: u64) -> Controller {
        match kind {
            Congestion::Model => Controller::Model(Bbr::new(mss, seed)),
            Congestion::NewReno => Controller::NewReno(NewReno::new(mss)),
        }
    }

    pub fn cwnd(&self) -> u64 {
        match self {
            Controller::Model(c) => c.cwnd(),
            Controller::NewReno(c) => c.cwnd(),
        }
    }

    pub fn on_ack(&mut self, a: &AckInfo) {
        match self {
            Controller::Model(c) => c.on_ack(a),
            Controller::NewReno(c) => {
                if a.delivered > 0 {
                    c.on_ack(a.delivered, a.una, a.cwnd_limited)
                }
            }
        }
    }

    /// RACK found losses; `snd_nxt` is the next new sequence number.
    pub fn on_loss(&mut self, snd_nxt: u64) {
        match self {
            // Loss alone is no congestion signal for the model (see `Bbr::on_ack`).
            Controller::Model(_) => {}
            Controller::NewReno(c) => c.on_loss(snd_nxt),
        }
    }

    pub fn on_rto(&mut self, in_flight: u64, snd_nxt: u64) {
        match self {
            Controller::Model(c) => c.on_rto(),
            Controller::NewReno(c) => c.on_rto(in_flight, snd_nxt),
        }
    }

    /// Bytes per second to pace at, or `None` (send at once).
    pub fn pacing_rate(&self, srtt_us: Option<u64>) -> Option<u64> {
        match self {
            Controller::Model(c) => c.pacing_rate(srtt_us),
            Controller::NewReno(c) => c.pacing_rate(srtt_us),
        }
    }
}

/// Initial window of RFC 6928: 10 segments.
pub const INITIAL_WINDOW_SEGMENTS: u64 = 10;

#[derive(Debug, Clone)]
pub struct NewReno {
    mss: u64,
    cwnd: u64,
    ssthresh: u64,
    /// Bytes acknowledged towards the next congestion-avoidance increase.
    acked: u64,
    /// Loss recovery lasts until everything sent before it began is acknowledged.
    recovery_until: Option<u64>,
}

impl NewReno {
    pub fn new(mss: u64) -> NewReno {
        NewReno {
            mss,
            cwnd: INITIAL_WINDOW_SEGMENTS * mss,
            ssthresh: u64::MAX,
            acked: 0,
            recovery_until: None,
        }
    }

    pub fn cwnd(&self) -> u64 {
        self.cwnd
    }

    pub fn in_slow_start(&self) -> bool {
        self.cwnd < self.ssthresh
    }

    pub fn in_recovery(&self) -> bool {
        self.recovery_until.is_some()
    }

    /// `bytes` newly delivered (cumulatively or selectively acknowledged); `una` is the
    /// cumulative ack after this ACK. `cwnd_limited`: the sender had filled the window, so the
    /// window is what limited it (growing an unused window would only store a burst).
    pub fn on_ack(&mut self, bytes: u64, una: u64, cwnd_limited: bool) {
        if let Some(until) = self.recovery_until {
            if una >= until {
                self.recovery_until = None;
            } else {
                return;
            }
        }
        if !cwnd_limited {
            return;
        }
        if self.in_slow_start() {
            // Appropriate byte counting (RFC 3465) with no limit per ACK but the threshold.
            self.cwnd = (self.cwnd + bytes).min(self.ssthresh.max(self.cwnd));
        } else {
            self.acked += bytes;
            if self.acked >= self.cwnd {
                self.acked -= self.cwnd;
                self.cwnd += self.mss;
            }
        }
    }

    /// Loss detected by SACK/RACK. `snd_nxt` becomes the recovery point.
    pub fn on_loss(&mut self, snd_nxt: u64) {
        if self.recovery_until.is_some() {
            return;
        }
        self.ssthresh = (self.cwnd / 2).max(2 * self.mss);
        self.cwnd = self.ssthresh;
        self.acked = 0;
        self.recovery_until = Some(snd_nxt);
    }

    /// The retransmission timer fired: back to one segment and slow start.
    pub fn on_rto(&mut self, in_flight: u64, snd_nxt: u64) {
        self.ssthresh = (in_flight.max(self.cwnd) / 2).max(2 * self.mss);
        self.cwnd = self.mss;
        self.acked = 0;
        self.recovery_until = Some(snd_nxt);
    }

    /// Bytes per second to pace at, or `None` (send at once) before the first RTT sample.
    pub fn pacing_rate(&self, srtt_us: Option<u64>) -> Option<u64> {
        let srtt = srtt_us?.max(1);
        let (num, den) = if self.in_slow_start() { (2, 1) } else { (5, 4) };
        Some((self.cwnd as u128 * num * 1_000_000 / (den * srtt as u128)).max(1) as u64)
    }
}
