//! Congestion control: NewReno (RFC 5681, RFC 6582) driven by SACK loss recovery, with
//! pacing.
//!
//! Why NewReno rather than CUBIC: the emulated networks are small (links of MB/s, RTTs of
//! milliseconds to a few hundred), where CUBIC's advantage (fast window regrowth on large
//! bandwidth-delay products) hardly shows and its TCP-friendly region makes it behave like
//! Reno anyway; NewReno is a few lines of integer arithmetic that behave identically on every
//! runtime, and AIMD with equal RTTs converges to equal shares, which is what fairness on a
//! shared bottleneck needs. One window reduction per loss episode: losses detected before the
//! episode's recovery point (the highest sequence sent when it began) do not reduce again.
//!
//! Pacing spreads a window over the RTT instead of bursting it into the bottleneck queue:
//! rate = gain · cwnd / SRTT with gain 2 in slow start (so the window can still double each
//! RTT) and 1.25 in congestion avoidance, as Linux does.

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
