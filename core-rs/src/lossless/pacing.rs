//! Pacing of data frames: a token bucket whose rate follows the receivers' delivery-rate
//! feedback (see [`super::delivery`]) times a cycling gain, once any has arrived.
//!
//! Until then (and for peers too slow to close a feedback interval), an AIMD controller
//! adjusts it from the loss the receivers report after each pass. That controller cannot
//! tell random loss from congestion; it backs off only above [`LOSS_THRESHOLD_PERMILLE`],
//! never below `max_rate / MIN_RATE_DIVISOR`, and climbs back additively, so a
//! lossy-but-idle path costs speed, not completion.
//!
//! Each session picks what its pacer listens to ([`Congestion`]): both signals (`Rate`, the
//! default), the AIMD alone (`Loss`), or neither (`Off`).

use super::delivery::{gain_permille, PHASE_US};
use super::DataBucket;

/// Reported loss above this (per mille of the frames of a pass) counts as congestion.
pub const LOSS_THRESHOLD_PERMILLE: u64 = 20;
/// The rate never drops below `max_rate / MIN_RATE_DIVISOR`.
pub const MIN_RATE_DIVISOR: u64 = 64;
/// Additive increase per clean round: `max_rate / INCREASE_DIVISOR`.
pub const INCREASE_DIVISOR: u64 = 8;
/// The start-up drain never lasts longer than this.
const MAX_DRAIN_US: u64 = 200_000;

const US_PER_S: u128 = 1_000_000;

/// How a session's sender adapts its rate (`sendData({ congestion })`), chosen per session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Congestion {
    /// Delivery-rate pacing from the receivers' RATE reports; the end-of-pass AIMD only until
    /// the first report (and for peers too slow to close a feedback interval).
    #[default]
    Rate,
    /// Loss-based: only the end-of-pass AIMD; RATE reports are ignored.
    Loss,
    /// No adaptation: the configured bucket, or [`UNPACED_BUCKET`] without one.
    Off,
}

impl Congestion {
    /// The wasm API's number for a mode: 0 rate, 1 loss, 2 off.
    pub fn from_code(code: u8) -> Option<Congestion> {
        match code {
            0 => Some(Congestion::Rate),
            1 => Some(Congestion::Loss),
            2 => Some(Congestion::Off),
            _ => None,
        }
    }

    pub fn code(self) -> u8 {
        match self {
            Congestion::Rate => 0,
            Congestion::Loss => 1,
            Congestion::Off => 2,
        }
    }
}

/// `Congestion::Off` with no `data_bucket` configured: no rate limit. The sender still hands
/// the host at most this many bytes per wake-up, so one call never queues a whole buffer;
/// how often the host wakes it is then the only limit.
pub const UNPACED_BUCKET: DataBucket = DataBucket {
    rate: u64::MAX,
    bucket_size: 256 * 1024,
};

/// Tokens are bytes, kept scaled by 10^6 so refill (bytes/s × µs) stays exact.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: u64,
    capacity_scaled: u128,
    tokens_scaled: u128,
    last: u64,
    /// When tokens last overflowed the bucket: the sender did not use all the rate it had.
    wasted_at: Option<u64>,
}

impl TokenBucket {
    /// A full bucket at `now`. `capacity` is raised to `min_capacity` (one frame) if smaller.
    pub fn new(now: u64, rate: u64, capacity: u64, min_capacity: u64) -> TokenBucket {
        let capacity_scaled = u128::from(capacity.max(min_capacity).max(1)) * US_PER_S;
        TokenBucket {
            rate: rate.max(1),
            capacity_scaled,
            tokens_scaled: capacity_scaled,
            last: now,
            wasted_at: None,
        }
    }

    pub fn rate(&self) -> u64 {
        self.rate
    }

    fn refill(&mut self, now: u64) {
        if now > self.last {
            let add = u128::from(now - self.last) * u128::from(self.rate);
            if self.tokens_scaled + add > self.capacity_scaled {
                self.wasted_at = Some(now);
            }
            self.tokens_scaled = (self.tokens_scaled + add).min(self.capacity_scaled);
            self.last = now;
        }
    }

    /// Sets a new rate from `now` on (tokens earned so far are kept).
    pub fn set_rate(&mut self, now: u64, rate: u64) {
        self.refill(now);
        self.rate = rate.max(1);
    }

    pub fn set_capacity(&mut self, capacity: u64) {
        self.capacity_scaled = u128::from(capacity.max(1)) * US_PER_S;
        self.tokens_scaled = self.tokens_scaled.min(self.capacity_scaled);
    }

    /// Takes `bytes` tokens if available at `now`.
    pub fn try_take(&mut self, now: u64, bytes: usize) -> bool {
        self.refill(now);
        let need = bytes as u128 * US_PER_S;
        if self.tokens_scaled >= need {
            self.tokens_scaled -= need;
            true
        } else {
            false
        }
    }

    /// The earliest time at which `bytes` tokens will be available.
    pub fn ready_at(&self, bytes: usize) -> u64 {
        let need = (bytes as u128 * US_PER_S).min(self.capacity_scaled);
        if self.tokens_scaled >= need {
            return self.last;
        }
        let wait = (need - self.tokens_scaled).div_ceil(u128::from(self.rate));
        self.last
            .saturating_add(u64::try_from(wait).unwrap_or(u64::MAX))
    }
}

/// Token bucket + AIMD on reported loss. The burst shrinks with the rate (same burst
/// duration), or a pass shorter than the configured bucket would still arrive as one
/// unpaced burst after every status round.
#[derive(Debug, Clone)]
pub struct Pacer {
    bucket: TokenBucket,
    max_rate: u64,
    max_burst: u64,
    min_burst: u64,
    /// The rate the path was last measured to take (bytes/s), once feedback arrived.
    measured: Option<u64>,
    cycle_start: u64,
    /// Bytes taken since `created`, to tell how much the start rate queued before the first
    /// feedback.
    taken: u64,
    created: u64,
    /// Until then the rate is half the measured one, to let that queue out.
    drain_until: u64,
    mode: Congestion,
}

impl Pacer {
    pub fn new(now: u64, cfg: DataBucket, max_frame: usize) -> Pacer {
        Pacer::with_mode(now, cfg, max_frame, Congestion::Rate)
    }

    pub fn with_mode(now: u64, cfg: DataBucket, max_frame: usize, mode: Congestion) -> Pacer {
        Pacer {
            bucket: TokenBucket::new(now, cfg.rate, cfg.bucket_size, max_frame as u64),
            max_rate: cfg.rate.max(1),
            max_burst: cfg.bucket_size,
            min_burst: max_frame as u64,
            measured: None,
            cycle_start: now,
            taken: 0,
            created: now,
            drain_until: 0,
            mode,
        }
    }

    pub fn mode(&self) -> Congestion {
        self.mode
    }

    /// The path takes `rate` bytes/s (the slowest receiver's). On the first such word, what
    /// the start rate sent beyond it (queued somewhere, or still in flight) is let out at half
    /// the rate before the gain cycle starts.
    pub fn on_path_rate(&mut self, now: u64, rate: u64) {
        if self.mode != Congestion::Rate {
            return;
        }
        if self.measured.is_none() {
            let carried = u128::from(rate) * u128::from(now - self.created.min(now)) / 1_000_000;
            let excess = u128::from(self.taken).saturating_sub(carried);
            let drain = excess * 1_000_000 / u128::from((rate / 2).max(1));
            self.drain_until =
                now.saturating_add(u64::try_from(drain).unwrap_or(u64::MAX).min(MAX_DRAIN_US));
            self.cycle_start = self.drain_until;
        }
        self.measured = Some(rate);
        self.apply(now);
    }

    /// The path takes at least `rate`: said while the sender itself was the limit (it left
    /// tokens unused: late timers, a busy CPU, an idle gap), when what arrived says how fast
    /// the sender went, not how fast the path could go. Such a rate may raise the pacer, never
    /// lower it.
    pub fn on_path_rate_at_least(&mut self, now: u64, rate: u64) {
        match self.measured {
            Some(m) if m >= rate => {}
            _ => self.on_path_rate(now, rate),
        }
    }

    /// Whether the sender left tokens unused within the last two gain phases.
    pub fn sender_limited(&self, now: u64) -> bool {
        self.bucket
            .wasted_at
            .is_some_and(|t| now.saturating_sub(t) <= 2 * PHASE_US)
    }

    /// A receiver saw congestion: drain at half the rate for two phases, then cruise.
    pub fn on_congestion(&mut self, now: u64) {
        if self.mode != Congestion::Rate || self.measured.is_none() || now < self.drain_until {
            return;
        }
        self.drain_until = now + 2 * PHASE_US;
        self.cycle_start = self.drain_until - 2 * PHASE_US;
        self.apply(now);
    }

    /// Moves the gain cycle on to `now` (call before taking tokens).
    pub fn tick(&mut self, now: u64) {
        if self.measured.is_some() {
            self.apply(now);
        }
    }

    /// Whether delivery-rate feedback governs the rate (the AIMD fallback then stays out).
    pub fn is_measured(&self) -> bool {
        self.measured.is_some()
    }

    fn apply(&mut self, now: u64) {
        let Some(m) = self.measured else { return };
        let gain = if now < self.drain_until {
            500
        } else {
            gain_permille(self.cycle_start, now)
        };
        let gained = u128::from(m) * u128::from(gain) / 1000;
        self.set(now, u64::try_from(gained).unwrap_or(u64::MAX));
    }

    fn set(&mut self, now: u64, rate: u64) {
        let min_rate = (self.max_rate / MIN_RATE_DIVISOR).max(1);
        let next = rate.clamp(min_rate, self.max_rate);
        if next == self.bucket.rate() {
            return;
        }
        self.bucket.set_rate(now, next);
        // Under AIMD the burst shrinks with the rate. Under measured pacing it stays the
        // configured one: hosts wake the sender on timers that fire a millisecond or more late
        // (JavaScript's do), and a bucket holding less than a late wake-up's worth caps the
        // rate below the one set; the receivers would measure that lower rate, and the pacer,
        // following them, spiral down.
        let burst = if self.measured.is_some() {
            u128::from(self.max_burst)
        } else {
            u128::from(self.max_burst) * u128::from(next) / u128::from(self.max_rate)
        };
        self.bucket.set_capacity((burst as u64).max(self.min_burst));
    }

    pub fn rate(&self) -> u64 {
        self.bucket.rate()
    }

    pub fn try_take(&mut self, now: u64, bytes: usize) -> bool {
        let ok = self.bucket.try_take(now, bytes);
        if ok && self.measured.is_none() {
            self.taken = self.taken.saturating_add(bytes as u64);
        }
        ok
    }

    pub fn ready_at(&self, bytes: usize) -> u64 {
        self.bucket.ready_at(bytes)
    }

    /// Feeds the worst loss (per mille) a pass suffered: multiplicative decrease by the
    /// loss fraction (at most halving) above the threshold, additive increase otherwise.
    /// Ignored once delivery-rate feedback governs the rate, and with [`Congestion::Off`].
    pub fn on_loss_report(&mut self, now: u64, loss_permille: u64) {
        if self.measured.is_some() || self.mode == Congestion::Off {
            return;
        }
        let rate = self.bucket.rate();
        let next = if loss_permille > LOSS_THRESHOLD_PERMILLE {
            let keep = 1000 - loss_permille.min(500);
            (u128::from(rate) * u128::from(keep) / 1000) as u64
        } else {
            rate.saturating_add((self.max_rate / INCREASE_DIVISOR).max(1))
        };
        self.set(now, next);
    }

    pub fn burst(&self) -> u64 {
        (self.bucket.capacity_scaled / US_PER_S) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pacer(mode: Congestion) -> Pacer {
        let cfg = DataBucket {
            rate: 64_000,
            bucket_size: 2000,
        };
        Pacer::with_mode(0, cfg, 1000, mode)
    }

    #[test]
    fn each_congestion_mode_listens_to_its_own_signals() {
        // rate: a RATE report sets the pace (its gain cycle opens with a 1.25x probe).
        let mut p = pacer(Congestion::Rate);
        p.on_path_rate(0, 10_000);
        assert_eq!(p.rate(), 12_500);
        // loss: RATE reports and congestion marks change nothing; loss reports do.
        let mut p = pacer(Congestion::Loss);
        p.on_path_rate(0, 10_000);
        p.on_path_rate_at_least(0, 10_000);
        p.on_congestion(0);
        p.tick(1_000_000);
        assert!(!p.is_measured());
        assert_eq!(p.rate(), 64_000);
        p.on_loss_report(0, 300);
        assert_eq!(p.rate(), 44_800);
        // off: nothing moves it.
        let mut p = pacer(Congestion::Off);
        p.on_path_rate(0, 10_000);
        p.on_congestion(0);
        p.on_loss_report(0, 900);
        assert_eq!(p.rate(), 64_000);
        assert_eq!(p.burst(), 2000);
        for code in 0..=2 {
            assert_eq!(Congestion::from_code(code).unwrap().code(), code);
        }
        assert_eq!(Congestion::from_code(3), None);
    }

    #[test]
    fn unpaced_bucket_hands_out_one_burst_per_wake_up() {
        let mut p = Pacer::with_mode(0, UNPACED_BUCKET, 1400, Congestion::Off);
        let mut sent = 0;
        while p.try_take(0, 1400) {
            sent += 1400;
        }
        assert!(sent <= 256 * 1024 && sent > 250 * 1024, "{sent}");
        assert_eq!(p.ready_at(1400), 1);
        assert!(p.try_take(1, 1400));
    }

    #[test]
    fn bucket_paces_to_rate() {
        // 1 MB/s, 10 kB burst: after the burst, 1000 bytes every 1000 µs.
        let mut b = TokenBucket::new(0, 1_000_000, 10_000, 1000);
        for _ in 0..10 {
            assert!(b.try_take(0, 1000));
        }
        assert!(!b.try_take(0, 1000));
        assert_eq!(b.ready_at(1000), 1000);
        assert!(!b.try_take(999, 1000));
        assert!(b.try_take(1000, 1000));
        // Idle time refills at most a bucket.
        assert!(b.try_take(1_000_000, 10_000));
        assert!(!b.try_take(1_000_000, 1));
    }

    #[test]
    fn bucket_never_smaller_than_a_frame() {
        let mut b = TokenBucket::new(0, 10, 1, 1400);
        assert!(b.try_take(0, 1400));
        assert_eq!(b.ready_at(1400), 140_000_000);
    }

    #[test]
    fn aimd_backs_off_and_recovers_within_bounds() {
        let mut p = Pacer::new(
            0,
            DataBucket {
                rate: 64_000,
                bucket_size: 2000,
            },
            1000,
        );
        p.on_loss_report(0, 10);
        assert_eq!(p.rate(), 64_000); // capped at max
        p.on_loss_report(0, 300);
        assert_eq!(p.rate(), 44_800);
        assert_eq!(p.burst(), 1400);
        for _ in 0..20 {
            p.on_loss_report(0, 900);
        }
        assert_eq!(p.rate(), 1000); // floor = max / 64
        assert_eq!(p.burst(), 1000); // never below one frame
        p.on_loss_report(0, 0);
        assert_eq!(p.rate(), 9000);
    }

    #[test]
    fn measured_rate_cycles_its_gain_and_silences_aimd() {
        let mut p = Pacer::new(
            0,
            DataBucket {
                rate: 125_000_000,
                bucket_size: 64 * 1024,
            },
            1400,
        );
        // 50 ms at 125 MB/s (6.25 MB) where the path took 40 MB/s (2 MB): the 4.25 MB it
        // queued drains at 20 MB/s for 200 ms (the cap) before the cycle starts.
        let mut t = 0;
        while t < 50_000 {
            if p.try_take(t, 1250) {
                continue;
            }
            t += 10;
        }
        p.on_path_rate(50_000, 40_000_000);
        assert!(p.is_measured());
        assert_eq!(p.rate(), 20_000_000); // drain first
        p.tick(249_000);
        assert_eq!(p.rate(), 20_000_000);
        p.tick(250_000);
        assert_eq!(p.rate(), 50_000_000); // probe
        p.tick(250_000 + PHASE_US);
        assert_eq!(p.rate(), 30_000_000);
        p.tick(250_000 + 7 * PHASE_US);
        assert_eq!(p.rate(), 40_000_000);
        p.tick(250_000 + 8 * PHASE_US);
        assert_eq!(p.rate(), 50_000_000); // probe
        p.on_loss_report(250_000 + 8 * PHASE_US, 900);
        assert_eq!(p.rate(), 50_000_000);
        p.on_path_rate(250_000 + 8 * PHASE_US, 1e9 as u64);
        assert_eq!(p.rate(), 125_000_000); // never above the configured rate
        assert_eq!(p.burst(), 64 * 1024);
    }
}
