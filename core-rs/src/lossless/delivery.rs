//! Delivery-rate feedback during a pass, so the sender paces at what the path delivers
//! instead of learning it from the loss of a whole pass.
//!
//! Why: with feedback only at the end of a pass, a sender starting at its configured rate
//! over a slower link loses most of its first pass (a 64 MiB pass at 125 MB/s over a
//! 40 MB/s link loses about two thirds), backs off, and loses again; and the end-of-pass
//! controller cannot tell random loss from congestion, so 5% emulated loss slows it down.
//!
//! How:
//! - The sender numbers its DATA frames with a wrapping 8-bit sequence (the top byte of the
//!   ESI field, which RaptorQ leaves free).
//! - Each receiver measures intervals of at least [`SAMPLE_MIN_US`] and [`SAMPLE_MIN_FRAMES`]:
//!   the bytes that arrived after the interval's first frame, the time between its first and
//!   last frame, the frames received and the frames the sequence says were sent meanwhile. It
//!   sends each interval to the sender as a RATE frame (16 bytes). A gap longer than
//!   [`IDLE_GAP_US`] (between passes) starts a new interval rather than stretching one.
//! - The sender keeps, per receiver, the largest delivery rate of the last
//!   [`FILTER_SAMPLES`] intervals and the path's usual loss (over all its intervals). Usual loss is
//!   random loss, so the rate the sender may send at is the delivery rate divided by
//!   `1 - usual loss` (counted at most up to [`MAX_LOSS_CREDIT_PERMILLE`]). An interval
//!   that loses much more than usual is congestion: the maximum restarts from that interval
//!   (a token-bucket link delivers a burst far above its rate, and the maximum would keep
//!   it), and the pacer drains for a while. The session's rate is the slowest receiver's.
//! - The pacer multiplies it by a gain that cycles through 5/4 (probe for more), 3/4 (drain
//!   what the probe queued) and six phases of 1 (see [`gain_permille`]).

use std::collections::VecDeque;

/// A receiver closes an interval no sooner than this after its first frame...
pub const SAMPLE_MIN_US: u64 = 4_000;
/// ...and not before it holds this many frames (fewer would be noise at low rates).
pub const SAMPLE_MIN_FRAMES: u32 = 32;
/// A gap this long between two data frames starts a new interval (a pass ended).
pub const IDLE_GAP_US: u64 = 20_000;
/// Intervals the windowed maximum spans: about 200 ms of sending at one interval per 4 ms.
/// Counted in intervals, not time: a pause (status rounds, a sender busy encoding repair
/// symbols for a second) must not expire what the path was measured to take.
pub const FILTER_SAMPLES: usize = 48;
/// Loss up to this (per mille) is credited back as random loss.
pub const MAX_LOSS_CREDIT_PERMILLE: u64 = 150;
/// Frames a path must have reported before an interval's loss can count as congestion.
const MIN_HISTORY_FRAMES: u64 = 200;
/// Intervals with fewer frames are never judged congested (too noisy).
const MIN_JUDGED_FRAMES: u64 = 64;
/// Margin of the congestion test above the path's usual loss (see `congestion_threshold`).
const CONGESTION_MARGIN_PERMILLE: u64 = 20;
/// Length of one gain phase.
pub const PHASE_US: u64 = 10_000;
/// The gain cycle, per mille: probe, drain, cruise.
const GAINS: [u64; 8] = [1250, 750, 1000, 1000, 1000, 1000, 1000, 1000];

/// One receiver interval, as carried by a RATE frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateSample {
    /// Bytes of the frames after the interval's first.
    pub bytes: u32,
    /// Microseconds from the interval's first frame to its last.
    pub span_us: u32,
    /// Frames received in the interval, the first included.
    pub received: u32,
    /// Frames the sender numbered in the interval (by the sequence), the first included.
    pub expected: u32,
}

impl RateSample {
    /// Bytes per second, or `None` for an interval too short to measure.
    pub fn rate(&self) -> Option<u64> {
        (self.span_us > 0).then(|| u64::from(self.bytes) * 1_000_000 / u64::from(self.span_us))
    }
}

/// The receiver's side: folds arriving DATA frames into intervals.
#[derive(Debug, Clone, Default)]
pub struct RateMeter {
    start: Option<u64>,
    last_at: u64,
    last_seq: u8,
    cur: RateSample,
}

impl RateMeter {
    /// A DATA frame of `len` bytes with sequence `seq` arrived at `now`; returns an interval
    /// to report when one closes.
    pub fn on_data(&mut self, now: u64, seq: u8, len: usize) -> Option<RateSample> {
        let Some(start) = self
            .start
            .filter(|_| now.saturating_sub(self.last_at) <= IDLE_GAP_US)
        else {
            self.begin(now, seq);
            return None;
        };
        let step = seq.wrapping_sub(self.last_seq);
        // A step of 0 or of more than half the sequence space is a duplicate or a frame
        // overtaken by later ones: it arrived, but it says nothing about frames sent since.
        if step != 0 && step < 128 {
            self.cur.expected = self.cur.expected.saturating_add(u32::from(step));
            self.last_seq = seq;
        }
        self.cur.received = self.cur.received.saturating_add(1);
        self.cur.bytes = self.cur.bytes.saturating_add(len as u32);
        self.last_at = now;
        let span = now.saturating_sub(start);
        if span >= SAMPLE_MIN_US && self.cur.received >= SAMPLE_MIN_FRAMES {
            let sample = RateSample {
                span_us: u32::try_from(span).unwrap_or(u32::MAX),
                ..self.cur
            };
            self.begin(now, seq);
            return Some(sample);
        }
        None
    }

    fn begin(&mut self, now: u64, seq: u8) {
        self.start = Some(now);
        self.last_at = now;
        self.last_seq = seq;
        self.cur = RateSample {
            bytes: 0,
            span_us: 0,
            received: 1,
            expected: 1,
        };
    }
}

/// The sender's view of one receiver's path.
#[derive(Debug, Clone, Default)]
pub struct PathEstimate {
    /// (delivery rate, bytes, span in µs)
    samples: VecDeque<(u64, u64, u64)>,
    /// Frames lost and frames sent over the intervals without congestion: the path's usual
    /// loss.
    lost: u64,
    sent: u64,
}

impl PathEstimate {
    /// Folds in one interval; true when it shows congestion: loss well above the path's
    /// usual loss. The windowed maximum is then reset to this interval's rate, since what the
    /// path delivered before (a token bucket's burst, say) is not what it takes now.
    pub fn on_sample(&mut self, s: RateSample) -> bool {
        let Some(rate) = s.rate() else { return false };
        if s.received == 0 || s.expected < s.received {
            return false;
        }
        let lost = u64::from(s.expected - s.received);
        let sent = u64::from(s.expected);
        let congested = self.sent >= MIN_HISTORY_FRAMES
            && sent >= MIN_JUDGED_FRAMES
            && lost as f64 > self.congestion_threshold(sent);
        let mut entry = (rate, u64::from(s.bytes), u64::from(s.span_us));
        if congested {
            // The maximum restarts from what the path delivered on average over the window,
            // this interval included: one short interval through a bursty link says little.
            let (bytes, span) = self
                .samples
                .iter()
                .fold((entry.1, entry.2), |(b, t), &(_, sb, st)| (b + sb, t + st));
            entry.0 = bytes * 1_000_000 / span.max(1);
            self.samples.clear();
        } else {
            // Congestion loss is not the path's usual loss: crediting it would have the
            // sender overrun the queue all the more.
            self.lost += lost;
            self.sent += sent;
        }
        if self.samples.len() == FILTER_SAMPLES {
            self.samples.pop_front();
        }
        self.samples.push_back(entry);
        congested
    }

    /// Lost frames out of `sent` that random loss at the usual rate would exceed with a
    /// chance of about one in 30,000 (four standard deviations), plus 2% of `sent`: a
    /// random-loss path must not be taken for a congested one, since each time the maximum
    /// restarts lower.
    fn congestion_threshold(&self, sent: u64) -> f64 {
        let p = self.lost as f64 / self.sent.max(1) as f64;
        let n = sent as f64;
        n * p + 4.0 * (n * p * (1.0 - p)).sqrt() + n * CONGESTION_MARGIN_PERMILLE as f64 / 1000.0
    }

    fn usual_loss_permille(&self) -> u64 {
        self.lost * 1000 / self.sent.max(1)
    }

    /// The rate the sender may send at for this path, or `None` before any sample.
    pub fn send_rate(&self) -> Option<u64> {
        let delivered = self.samples.iter().map(|&(r, ..)| r).max()?;
        let keep = 1000 - self.usual_loss_permille().min(MAX_LOSS_CREDIT_PERMILLE);
        Some(delivered * 1000 / keep)
    }
}

/// The pacing gain (per mille) at `now` for a cycle that started at `cycle_start`.
pub fn gain_permille(cycle_start: u64, now: u64) -> u64 {
    let phase = now.saturating_sub(cycle_start) / PHASE_US;
    GAINS[(phase % GAINS.len() as u64) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Frames of `len` bytes every `gap_us`, the sequence skipping the ones in `lost`.
    fn feed(
        m: &mut RateMeter,
        n: u32,
        gap_us: u64,
        len: usize,
        lost: impl Fn(u32) -> bool,
    ) -> Vec<RateSample> {
        (0..n)
            .filter(|&i| !lost(i))
            .filter_map(|i| m.on_data(u64::from(i) * gap_us, i as u8, len))
            .collect()
    }

    #[test]
    fn meter_measures_rate_and_loss() {
        let mut m = RateMeter::default();
        // 1000 B every 100 µs = 10 MB/s; every 20th frame lost = 5%.
        let s = feed(&mut m, 2000, 100, 1000, |i| i % 20 == 7);
        assert!(s.len() >= 40, "{}", s.len());
        for x in &s {
            let r = x.rate().unwrap();
            assert!((9_400_000..=10_100_000).contains(&r), "{r}");
            let loss = 1000 - u64::from(x.received) * 1000 / u64::from(x.expected);
            assert!(loss <= 80, "{x:?}");
        }
        let (got, sent) = s
            .iter()
            .fold((0, 0), |(g, e), x| (g + x.received, e + x.expected));
        let loss = 1000 - got * 1000 / sent;
        assert!((40..=60).contains(&loss), "{loss}");
    }

    #[test]
    fn meter_restarts_after_an_idle_gap() {
        let mut m = RateMeter::default();
        assert!(feed(&mut m, 20, 100, 1000, |_| false).is_empty());
        // 30 ms later a new pass: the gap is not counted as a slow interval.
        let later: Vec<_> = (0..100u32)
            .filter_map(|i| m.on_data(32_000 + u64::from(i) * 100, (i + 40) as u8, 1000))
            .collect();
        assert_eq!(later.len(), 2);
        for x in later {
            assert!(x.rate().unwrap() >= 9_000_000, "{x:?}");
        }
    }

    #[test]
    fn reordered_and_duplicate_frames_do_not_count_as_sent() {
        let mut m = RateMeter::default();
        let mut out = vec![];
        for i in 0..400u32 {
            let seq = if i % 10 == 5 { (i - 2) as u8 } else { i as u8 }; // a late frame
            out.extend(m.on_data(u64::from(i) * 50, seq, 100));
        }
        for x in out {
            assert!(x.expected <= x.received + 1, "{x:?}");
        }
    }

    fn sample(bytes: u32, received: u32, expected: u32) -> RateSample {
        RateSample {
            bytes,
            span_us: 1000,
            received,
            expected,
        }
    }

    #[test]
    fn path_credits_usual_loss() {
        let mut p = PathEstimate::default();
        assert_eq!(p.send_rate(), None);
        for _ in 0..4 {
            assert!(!p.on_sample(sample(40_000, 95, 100))); // 40 MB/s at 5% loss
        }
        assert_eq!(p.send_rate(), Some(42_105_263));
        // 12% in one interval: within the path's usual spread, not congestion.
        assert!(!p.on_sample(sample(40_000, 88, 100)));
        // 25%: congestion.
        assert!(p.on_sample(sample(40_000, 75, 100)));
    }

    #[test]
    fn congestion_resets_the_maximum() {
        let mut p = PathEstimate::default();
        p.on_sample(sample(200_000, 100, 100)); // a burst through a token bucket
        p.on_sample(sample(40_000, 100, 100));
        assert_eq!(p.send_rate(), Some(200_000_000));
        // The queue behind the bucket overflows: 60% lost in one interval. The maximum
        // restarts from the mean over the window: 280 kB in 3 ms.
        assert!(p.on_sample(sample(40_000, 40, 100)));
        assert_eq!(p.send_rate(), Some(93_333_333));
    }

    #[test]
    fn path_keeps_the_recent_maximum() {
        let mut p = PathEstimate::default();
        p.on_sample(sample(50_000, 10, 10));
        p.on_sample(sample(20_000, 10, 10));
        assert_eq!(p.send_rate(), Some(50_000_000));
        for _ in 0..FILTER_SAMPLES - 2 {
            p.on_sample(sample(30_000, 10, 10));
        }
        assert_eq!(p.send_rate(), Some(50_000_000));
        p.on_sample(sample(30_000, 10, 10));
        assert_eq!(p.send_rate(), Some(30_000_000));
    }

    #[test]
    fn gain_cycle_probes_then_drains() {
        assert_eq!(gain_permille(0, 0), 1250);
        assert_eq!(gain_permille(0, PHASE_US), 750);
        assert_eq!(gain_permille(0, 2 * PHASE_US), 1000);
        assert_eq!(gain_permille(0, 8 * PHASE_US + 1), 1250);
        let mean: u64 = (0..8).map(|i| gain_permille(0, i * PHASE_US)).sum::<u64>() / 8;
        assert_eq!(mean, 1000);
    }
}
