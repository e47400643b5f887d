//! Round-trip time estimation and the retransmission timeout, as in RFC 6298: smoothed RTT
//! and variance with gains 1/8 and 1/4, RTO = SRTT + max(G, 4 · RTTVAR) clamped to
//! `[min_rto, max_rto]`, doubled on every timeout (exponential backoff) until a new sample.
//! Samples only come from segments sent once (Karn's rule), so a retransmission never
//! produces an ambiguous sample.
//!
//! The connection arms the timer when it sends into an idle pipe, restarts it when the
//! cumulative ack moves or when the oldest unacknowledged segment is sent again, and lets
//! the tail-loss probe (two SRTTs) go first, so under random loss it seldom fires.

/// Clock granularity G of RFC 6298: the host's timers are ~1 ms.
const GRANULARITY_US: u64 = 1_000;

#[derive(Debug, Clone)]
pub struct RttEstimator {
    srtt: Option<u64>,
    rttvar: u64,
    min_rtt: Option<u64>,
    latest: Option<u64>,
    backoff: u32,
    initial_rto: u64,
    min_rto: u64,
    max_rto: u64,
}

impl RttEstimator {
    pub fn new(initial_rto: u64, min_rto: u64, max_rto: u64) -> RttEstimator {
        RttEstimator {
            srtt: None,
            rttvar: 0,
            min_rtt: None,
            latest: None,
            backoff: 0,
            initial_rto,
            min_rto,
            max_rto,
        }
    }

    pub fn sample(&mut self, rtt: u64) {
        match self.srtt {
            None => {
                self.srtt = Some(rtt);
                self.rttvar = rtt / 2;
            }
            Some(srtt) => {
                self.rttvar = (3 * self.rttvar + srtt.abs_diff(rtt)) / 4;
                self.srtt = Some((7 * srtt + rtt) / 8);
            }
        }
        self.min_rtt = Some(self.min_rtt.map_or(rtt, |m| m.min(rtt)));
        self.latest = Some(rtt);
        self.backoff = 0;
    }

    pub fn srtt(&self) -> Option<u64> {
        self.srtt
    }

    pub fn min_rtt(&self) -> Option<u64> {
        self.min_rtt
    }

    pub fn latest(&self) -> Option<u64> {
        self.latest
    }

    /// The current timeout, backoff included.
    pub fn rto(&self) -> u64 {
        let base = match self.srtt {
            None => self.initial_rto,
            Some(srtt) => {
                (srtt + GRANULARITY_US.max(4 * self.rttvar)).clamp(self.min_rto, self.max_rto)
            }
        };
        base.saturating_mul(1u64 << self.backoff.min(16))
            .min(self.max_rto)
    }

    /// A timeout fired: the next one waits twice as long.
    pub fn back_off(&mut self) {
        self.backoff = (self.backoff + 1).min(16);
    }
}
