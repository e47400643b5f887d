//! The model-based congestion controller (the default; see [`super::cc`] for why), in the
//! spirit of BBR: our own simplified design, integer arithmetic only so that every runtime
//! computes the same thing.
//!
//! The model is two numbers: the bottleneck bandwidth `bw` (the max of the delivery-rate
//! samples of the last [`BW_WINDOW_ROUNDS`] round trips) and the propagation delay
//! `min_rtt` (the min RTT of the last [`MIN_RTT_WINDOW_US`]). Their product is the
//! bandwidth-delay product (BDP). The sender paces at `gain · bw` and keeps at most
//! `cwnd_gain · BDP` (plus a few segments) in flight. States:
//!
//! - **Startup**: gain 2.885 (the rate doubles each round trip) until `bw` stopped growing
//!   by 25% for three rounds: the pipe is full.
//! - **Drain**: gain 1/2.885, to empty the queue Startup built, until what is in flight is
//!   at most one BDP.
//! - **ProbeBw**, the steady state: gains cycle through 1.25 (probe for more bandwidth),
//!   0.75 (drain what the probe queued), then six rounds of 1, one min RTT each. A flow that
//!   gets less than its share sees its samples rise when others drain, which is what makes
//!   flows sharing a bottleneck converge.
//! - **ProbeRtt**: when `min_rtt` was not refreshed for 10 s, in flight drops to four
//!   segments for 200 ms and a round trip, so the queue empties and the true delay shows.
//!
//! Random loss leaves the model alone: a lost segment is retransmitted, but the rate stays.
//! Only a round trip that loses more than [`HEAVY_LOSS_PER_MILLE`] of its segments (far
//! beyond the random loss of emulated links, the mark of a queue overflowing) is taken as
//! congestion: the bandwidth estimate is cut by 15% (and Startup ends).
//!
//! A queue that overflows while it is full is the other signal: when a round trip both lost
//! segments (2% or more) and saw its RTT well above `min_rtt` (the queue was long), the
//! amount in flight is capped at 80% of that round's peak, and the cap grows back by four
//! segments per round trip (additive increase, multiplicative decrease: flows sharing the
//! queue converge to equal shares, and the queue does not stay full). Random loss on a path
//! without a standing queue never raises the RTT, so it never sets the cap. Without this,
//! several model-driven flows on a bottleneck whose queue is shorter than the BDP keep it
//! full (their summed estimates exceed the link while probing) and drop ~8% of packets.
//!
//! Known limit: a queue much shorter than the path's delay (its full length adds less than
//! a quarter of the min RTT) does not raise the RTT enough to tell its drops from random
//! loss. Five flows on a 40 MB/s link with a 64-packet queue and 40 ms RTT then lose ~10% of
//! their packets at the queue; they still carry 86% of the link and share it within 10%.

use super::cc::{AckInfo, INITIAL_WINDOW_SEGMENTS};
use std::collections::VecDeque;

/// Gains are in thousandths.
const UNIT: u64 = 1_000;
const STARTUP_GAIN: u64 = 2_885;
const DRAIN_GAIN: u64 = UNIT * UNIT / STARTUP_GAIN;
/// Cap on what is in flight in ProbeBw, in BDPs: room for delayed and stretched ACKs.
const CWND_GAIN: u64 = 2_000;
const CYCLE: [u64; 8] = [1_250, 750, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000];
/// Pace slightly below the estimate, so that a flow alone does not keep a standing queue.
const PACING_MARGIN_PER_MILLE: u64 = 10;
pub const BW_WINDOW_ROUNDS: u64 = 10;
pub const MIN_RTT_WINDOW_US: u64 = 10_000_000;
const PROBE_RTT_US: u64 = 200_000;
const MIN_CWND_SEGMENTS: u64 = 4;
/// The shortest round trip the window is sized for. Real hosts run the ACK clock through an
/// event loop whose timers and batches add about a millisecond: on loopback (min RTT 0.3 ms)
/// a window of two true BDPs (~9 KB at 20 MB/s) left the sender idle between wake-ups, and a
/// stream over UDP at 1% loss ran at 20 MB/s of a 40 MB/s link (NewReno: 26). Sizing for
/// 2 ms costs at most that much queue at the bottleneck.
const HOST_RTT_FLOOR_US: u64 = 2_000;
/// Segments beyond the BDP target: ACKs and pacing come in small bursts.
const EXTRA_SEGMENTS: u64 = 3;
/// Startup ends when `bw` grew less than this (per mille of the previous) for three rounds.
const FULL_BW_GROWTH: u64 = 1_250;
const FULL_BW_ROUNDS: u32 = 3;
/// Share of a round's segments lost (per mille) above which loss means congestion.
pub const HEAVY_LOSS_PER_MILLE: u64 = 200;
/// ... counted only when the round lost at least this many segments (small rounds are noisy).
const HEAVY_LOSS_MIN_SEGMENTS: u64 = 5;
/// What the bandwidth estimate keeps after heavy loss (per mille).
const HEAVY_LOSS_CUT: u64 = 850;
/// A round with at least this loss (per mille, and two segments) while its RTT rose well
/// above the min RTT saw the bottleneck queue overflow.
const QUEUE_LOSS_PER_MILLE: u64 = 20;
/// The RTT counts as raised above `min_rtt` by more than `min_rtt / 4` and this.
const QUEUE_DELAY_MIN_US: u64 = 2_000;
/// After an overflow, in flight is capped at this share (per mille) of the round's peak...
const OVERFLOW_CUT: u64 = 800;
/// ... and the cap grows back by this many segments per round without one.
const CAP_GROWTH_SEGMENTS: u64 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Startup,
    Drain,
    ProbeBw,
    ProbeRtt,
}

#[derive(Debug, Clone)]
pub struct Bbr {
    mss: u64,
    cwnd: u64,
    mode: Mode,
    /// Windowed max of bandwidth samples: (round, bytes/s), bandwidths decreasing from the
    /// front (the max) so that expiring the front leaves the max of the rest.
    bw: VecDeque<(u64, u64)>,
    min_rtt: Option<u64>,
    min_rtt_at: u64,
    round: u64,
    next_round_delivered: u64,
    round_start: bool,
    /// Totals at the start of this round, for its loss rate.
    round_delivered_from: u64,
    round_lost_from: u64,
    last_total_lost: u64,
    full_bw: u64,
    full_bw_rounds: u32,
    filled: bool,
    cycle: usize,
    cycle_at: u64,
    probe_rtt_until: Option<u64>,
    probe_rtt_round_done: bool,
    prior_cwnd: u64,
    pacing: Option<u64>,
    /// Cap on what is in flight after the queue overflowed (see the module docs).
    inflight_cap: Option<u64>,
    /// The smallest RTT sample of this round (`u64::MAX`: none yet).
    round_min_rtt: u64,
    round_max_inflight: u64,
}

impl Bbr {
    pub fn new(mss: u64, seed: u64) -> Bbr {
        Bbr {
            mss,
            cwnd: INITIAL_WINDOW_SEGMENTS * mss,
            mode: Mode::Startup,
            bw: VecDeque::new(),
            min_rtt: None,
            min_rtt_at: 0,
            round: 0,
            next_round_delivered: 0,
            round_start: false,
            round_delivered_from: 0,
            round_lost_from: 0,
            last_total_lost: 0,
            full_bw: 0,
            full_bw_rounds: 0,
            filled: false,
            // One of the gain-1 phases: flows started together probe at different times.
            cycle: 2 + (seed % 6) as usize,
            cycle_at: 0,
            probe_rtt_until: None,
            probe_rtt_round_done: false,
            prior_cwnd: 0,
            pacing: None,
            inflight_cap: None,
            round_min_rtt: u64::MAX,
            round_max_inflight: 0,
        }
    }

    pub fn cwnd(&self) -> u64 {
        self.cwnd
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The bottleneck bandwidth estimate, bytes per second.
    pub fn bw(&self) -> Option<u64> {
        self.bw.front().map(|&(_, b)| b)
    }

    fn min_cwnd(&self) -> u64 {
        MIN_CWND_SEGMENTS * self.mss
    }

    /// `gain` (thousandths) times the BDP, or `None` before the model has both numbers. The
    /// RTT in it is at least [`HOST_RTT_FLOOR_US`].
    fn bdp(&self, gain: u64) -> Option<u64> {
        let (bw, rtt) = (self.bw()?, self.min_rtt?.max(HOST_RTT_FLOOR_US));
        Some((u128::from(bw) * u128::from(rtt) * u128::from(gain) / 1_000_000_000) as u64)
    }

    fn pacing_gain(&self) -> u64 {
        match self.mode {
            Mode::Startup => STARTUP_GAIN,
            Mode::Drain => DRAIN_GAIN,
            Mode::ProbeBw => CYCLE[self.cycle],
            Mode::ProbeRtt => UNIT,
        }
    }

    fn cwnd_gain(&self) -> u64 {
        match self.mode {
            Mode::Startup | Mode::Drain => STARTUP_GAIN,
            _ => CWND_GAIN,
        }
    }

    fn add_bw_sample(&mut self, bw: u64) {
        while self.bw.back().is_some_and(|&(_, b)| b <= bw) {
            self.bw.pop_back();
        }
        self.bw.push_back((self.round, bw));
    }

    fn expire_bw(&mut self) {
        while self.bw.len() > 1
            && self
                .bw
                .front()
                .is_some_and(|&(r, _)| r + BW_WINDOW_ROUNDS <= self.round)
        {
            self.bw.pop_front();
        }
    }

    pub fn on_ack(&mut self, a: &AckInfo) {
        let lost_now = a.total_lost > self.last_total_lost;
        self.last_total_lost = a.total_lost;
        self.round_start = false;
        if let Some(r) = a.rtt {
            self.round_min_rtt = self.round_min_rtt.min(r);
        }
        self.round_max_inflight = self.round_max_inflight.max(a.pipe + a.delivered);
        if let Some(rs) = a.rate {
            if rs.prior_delivered >= self.next_round_delivered {
                self.next_round_delivered = a.total_delivered;
                self.round += 1;
                self.round_start = true;
                self.on_round_end(a);
            }
            // A sample over less than the min RTT measures a burst, not the path.
            let valid = self.min_rtt.is_none_or(|m| rs.interval_us >= m);
            let bw = rs.bw();
            if valid && (!rs.app_limited || self.bw().is_none_or(|b| bw >= b)) {
                self.add_bw_sample(bw);
            }
        }
        self.expire_bw();
        self.update_min_rtt(a);
        self.update_mode(a, lost_now);
        self.update_pacing();
        self.update_cwnd(a);
    }

    fn on_round_end(&mut self, a: &AckInfo) {
        let lost = a.total_lost - self.round_lost_from;
        let delivered = a.total_delivered - self.round_delivered_from;
        self.round_lost_from = a.total_lost;
        self.round_delivered_from = a.total_delivered;
        let heavy = lost >= HEAVY_LOSS_MIN_SEGMENTS * self.mss
            && lost * UNIT > (lost + delivered) * HEAVY_LOSS_PER_MILLE;
        if heavy {
            for e in self.bw.iter_mut() {
                e.1 = e.1 * HEAVY_LOSS_CUT / UNIT;
            }
            self.filled = true;
        }
        // A standing queue raises every RTT of the round; a host's scheduling hiccup (an
        // event loop busy for a few ms) only some. So the round's smallest RTT is the evidence:
        // with its largest, random loss at 1% plus loopback jitter read as queue overflow and
        // held the window at ~10 KB (20 MB/s of a 40 MB/s link).
        let queued = self.round_min_rtt != u64::MAX
            && self
                .min_rtt
                .is_some_and(|m| self.round_min_rtt > m + (m / 4).max(QUEUE_DELAY_MIN_US));
        let overflow = queued
            && lost >= 2 * self.mss
            && lost * UNIT > (lost + delivered) * QUEUE_LOSS_PER_MILLE;
        if overflow {
            let peak = self
                .inflight_cap
                .map_or(self.round_max_inflight, |c| c.min(self.round_max_inflight));
            self.inflight_cap = Some((peak * OVERFLOW_CUT / UNIT).max(self.min_cwnd()));
            self.filled = true;
        } else if let Some(c) = &mut self.inflight_cap {
            *c += CAP_GROWTH_SEGMENTS * self.mss;
        }
        self.round_min_rtt = u64::MAX;
        self.round_max_inflight = 0;
        // Startup: has the bandwidth stopped growing?
        if !self.filled && a.rate.is_some_and(|r| !r.app_limited) {
            let bw = self.bw().unwrap_or(0);
            if bw * UNIT >= self.full_bw * FULL_BW_GROWTH {
                self.full_bw = bw;
                self.full_bw_rounds = 0;
            } else {
                self.full_bw_rounds += 1;
                self.filled = self.full_bw_rounds >= FULL_BW_ROUNDS;
            }
        }
    }

    fn update_min_rtt(&mut self, a: &AckInfo) {
        let expired = a.now > self.min_rtt_at + MIN_RTT_WINDOW_US;
        if let Some(rtt) = a.rtt {
            if self.min_rtt.is_none_or(|m| rtt <= m) || expired {
                self.min_rtt = Some(rtt);
                self.min_rtt_at = a.now;
            }
        }
        // An application-limited sender keeps little in flight: its samples already show
        // the path without a queue, and shrinking its window would only delay its next burst.
        let app_limited = a.rate.is_some_and(|r| r.app_limited);
        if expired && !app_limited && self.mode != Mode::ProbeRtt && self.min_rtt.is_some() {
            self.mode = Mode::ProbeRtt;
            self.prior_cwnd = self.cwnd;
            self.probe_rtt_until = None;
        }
    }

    fn enter_probe_bw(&mut self, now: u64) {
        self.mode = Mode::ProbeBw;
        self.cycle_at = now;
    }

    fn update_mode(&mut self, a: &AckInfo, lost_now: bool) {
        let now = a.now;
        if self.mode == Mode::Startup && self.filled {
            self.mode = Mode::Drain;
        }
        if self.mode == Mode::Drain && self.bdp(UNIT).is_some_and(|b| a.pipe <= b) {
            self.enter_probe_bw(now);
        }
        if self.mode == Mode::ProbeBw {
            let rtt = self.min_rtt.unwrap_or(0);
            let elapsed = now.saturating_sub(self.cycle_at);
            let full = elapsed > rtt;
            let gain = CYCLE[self.cycle];
            let next = if gain > UNIT {
                // Probe until the extra is in flight (or losses say it is too much); a
                // sender that cannot fill it (peer window) moves on after two round trips.
                full && (lost_now || self.bdp(gain).is_some_and(|b| a.pipe >= b))
                    || elapsed > 2 * rtt
            } else if gain < UNIT {
                full || self.bdp(UNIT).is_some_and(|b| a.pipe <= b)
            } else {
                full
            };
            if next {
                self.cycle = (self.cycle + 1) % CYCLE.len();
                self.cycle_at = now;
            }
        }
        if self.mode == Mode::ProbeRtt {
            match self.probe_rtt_until {
                None if a.pipe <= self.min_cwnd() => {
                    self.probe_rtt_until = Some(now + PROBE_RTT_US);
                    self.probe_rtt_round_done = false;
                    self.next_round_delivered = a.total_delivered;
                }
                Some(until) => {
                    self.probe_rtt_round_done |= self.round_start;
                    if self.probe_rtt_round_done && now >= until {
                        self.min_rtt_at = now;
                        self.cwnd = self.cwnd.max(self.prior_cwnd);
                        if self.filled {
                            self.enter_probe_bw(now);
                        } else {
                            self.mode = Mode::Startup;
                        }
                    }
                }
                None => {}
            }
        }
    }

    fn update_pacing(&mut self) {
        let Some(bw) = self.bw() else {
            return;
        };
        let rate = (u128::from(bw)
            * u128::from(self.pacing_gain())
            * u128::from(UNIT - PACING_MARGIN_PER_MILLE)
            / u128::from(UNIT * UNIT))
        .max(1) as u64;
        // In Startup the estimate only grows: an early low sample must not slow it down.
        if self.filled || self.pacing.is_none_or(|p| rate > p) {
            self.pacing = Some(rate);
        }
    }

    fn update_cwnd(&mut self, a: &AckInfo) {
        if self.mode == Mode::ProbeRtt {
            self.cwnd = self.min_cwnd();
            return;
        }
        let target = match self.bdp(self.cwnd_gain()) {
            Some(b) => b + EXTRA_SEGMENTS * self.mss,
            None => INITIAL_WINDOW_SEGMENTS * self.mss,
        };
        if self.filled {
            self.cwnd = (self.cwnd + a.delivered).min(target);
        } else if self.cwnd < target || a.total_delivered < INITIAL_WINDOW_SEGMENTS * self.mss {
            self.cwnd += a.delivered;
        }
        if let Some(cap) = self.inflight_cap {
            self.cwnd = self.cwnd.min(cap);
        }
        self.cwnd = self.cwnd.max(self.min_cwnd());
    }

    /// The retransmission timer fired: whatever was in flight is presumed gone. Restart from
    /// a small window; ACKs grow it back to the model's target within a few round trips.
    pub fn on_rto(&mut self) {
        self.prior_cwnd = self.cwnd;
        self.cwnd = self.min_cwnd();
    }

    /// Bytes per second to pace at; before any bandwidth sample, the initial window per
    /// SRTT at the Startup gain (`None`, send at once, before an RTT sample too).
    pub fn pacing_rate(&self, srtt_us: Option<u64>) -> Option<u64> {
        if let Some(p) = self.pacing {
            return Some(p);
        }
        let srtt = srtt_us?.max(1);
        let w = INITIAL_WINDOW_SEGMENTS * self.mss;
        Some((u128::from(w) * u128::from(STARTUP_GAIN) * 1_000 / u128::from(srtt)).max(1) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::send::RateSample;

    const MSS: u64 = 1_200;

    /// A steady path for the controller: every millisecond an ACK delivers `bw` / 1000 bytes
    /// (and loses `loss_pm` per mille of what was sent), with an RTT sample of `rtt_us` and a
    /// rate sample of `bw` over one RTT; in flight is what the window allows, up to `pipe`
    /// (default: what the path holds, `bw · rtt`).
    struct Path {
        now: u64,
        delivered: u64,
        lost: u64,
    }

    impl Path {
        #[allow(clippy::too_many_arguments)]
        fn run(
            &mut self,
            c: &mut Bbr,
            ms: u64,
            bw: u64,
            rtt_us: u64,
            loss_pm: u64,
            app: bool,
            pipe: Option<u64>,
        ) {
            for _ in 0..ms {
                self.now += 1_000;
                let d = bw / 1_000;
                self.delivered += d;
                self.lost += d * loss_pm / (UNIT - loss_pm);
                let per_rtt = bw * rtt_us / 1_000_000;
                c.on_ack(&AckInfo {
                    now: self.now,
                    delivered: d,
                    una: self.delivered,
                    cwnd_limited: !app,
                    rate: Some(RateSample {
                        delivered: per_rtt,
                        interval_us: rtt_us,
                        prior_delivered: self.delivered.saturating_sub(per_rtt),
                        app_limited: app,
                    }),
                    total_delivered: self.delivered,
                    total_lost: self.lost,
                    pipe: c.cwnd().min(pipe.unwrap_or(per_rtt)),
                    rtt: Some(rtt_us),
                });
            }
        }
    }

    fn path() -> Path {
        Path {
            now: 0,
            delivered: 0,
            lost: 0,
        }
    }

    #[test]
    fn random_loss_leaves_the_rate_alone() {
        let mut c = Bbr::new(MSS, 0);
        let mut p = path();
        // 10% of what is sent is lost, every round trip, with no queue (RTT at its min).
        p.run(&mut c, 5_000, 5_000_000, 40_000, 100, false, None);
        assert_eq!(c.mode(), Mode::ProbeBw);
        let rate = c.pacing_rate(None).unwrap();
        assert!(rate >= 4_500_000, "pacing at {rate} B/s for a 5 MB/s path");
        assert!(c.inflight_cap.is_none());
        // A BDP is 200 kB: the window holds about two.
        assert!(c.cwnd() >= 300_000, "cwnd {}", c.cwnd());
    }

    #[test]
    fn loss_with_a_long_queue_caps_what_is_in_flight() {
        let mut c = Bbr::new(MSS, 0);
        let mut p = path();
        p.run(&mut c, 2_000, 5_000_000, 40_000, 0, false, None);
        let before = c.cwnd();
        // The RTT doubles (a full queue) and 3% is lost: the queue overflows.
        p.run(&mut c, 200, 5_000_000, 80_000, 30, false, None);
        let cap = c.inflight_cap.expect("a cap after the overflow");
        assert!(
            c.cwnd() <= cap && cap < before,
            "cap {cap}, cwnd {} (before {before})",
            c.cwnd()
        );
    }

    #[test]
    fn probe_rtt_after_ten_seconds_without_a_lower_rtt() {
        let mut c = Bbr::new(MSS, 0);
        let mut p = path();
        p.run(&mut c, 1_000, 5_000_000, 40_000, 0, false, None);
        let cwnd = c.cwnd();
        // A standing queue: every sample is 50 ms, above the 40 ms min.
        p.run(&mut c, 10_050, 5_000_000, 50_000, 0, false, None);
        assert_eq!(c.mode(), Mode::ProbeRtt);
        assert_eq!(c.cwnd(), MIN_CWND_SEGMENTS * MSS);
        // In flight drains to four segments; 200 ms and a round trip later it is over.
        p.run(&mut c, 300, 5_000_000, 40_000, 0, false, Some(4 * MSS));
        assert_eq!(c.mode(), Mode::ProbeBw);
        assert!(c.cwnd() >= cwnd, "cwnd {} not restored to {cwnd}", c.cwnd());
    }

    #[test]
    fn an_application_limited_sender_skips_probe_rtt() {
        let mut c = Bbr::new(MSS, 0);
        let mut p = path();
        p.run(&mut c, 1_000, 5_000_000, 40_000, 0, false, None);
        // Past the 10 s window of the min RTT, sending little: never a ProbeRtt.
        for _ in 0..11_000 {
            p.run(&mut c, 1, 1_000_000, 50_000, 0, true, Some(50_000));
            assert_ne!(c.mode(), Mode::ProbeRtt, "at {} ms", p.now / 1_000);
        }
        assert!(c.cwnd() > MIN_CWND_SEGMENTS * MSS);
    }
}
