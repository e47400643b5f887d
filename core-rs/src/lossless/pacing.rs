//! Pacing of data frames: a token bucket whose rate an AIMD controller adjusts from the
//! loss the receivers report after each pass.
//!
//! The controller cannot tell random loss from congestion; it backs off only above
//! [`LOSS_THRESHOLD_PERMILLE`], never below `max_rate / MIN_RATE_DIVISOR`, and climbs back
//! additively, so a lossy-but-idle path costs speed, not completion.

use super::DataBucket;

/// Reported loss above this (per mille of the frames of a pass) counts as congestion.
pub const LOSS_THRESHOLD_PERMILLE: u64 = 20;
/// The rate never drops below `max_rate / MIN_RATE_DIVISOR`.
pub const MIN_RATE_DIVISOR: u64 = 64;
/// Additive increase per clean round: `max_rate / INCREASE_DIVISOR`.
pub const INCREASE_DIVISOR: u64 = 8;

const US_PER_S: u128 = 1_000_000;

/// Tokens are bytes, kept scaled by 10^6 so refill (bytes/s × µs) stays exact.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: u64,
    capacity_scaled: u128,
    tokens_scaled: u128,
    last: u64,
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
        }
    }

    pub fn rate(&self) -> u64 {
        self.rate
    }

    fn refill(&mut self, now: u64) {
        if now > self.last {
            let add = u128::from(now - self.last) * u128::from(self.rate);
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
}

impl Pacer {
    pub fn new(now: u64, cfg: DataBucket, max_frame: usize) -> Pacer {
        Pacer {
            bucket: TokenBucket::new(now, cfg.rate, cfg.bucket_size, max_frame as u64),
            max_rate: cfg.rate.max(1),
            max_burst: cfg.bucket_size,
            min_burst: max_frame as u64,
        }
    }

    pub fn rate(&self) -> u64 {
        self.bucket.rate()
    }

    pub fn try_take(&mut self, now: u64, bytes: usize) -> bool {
        self.bucket.try_take(now, bytes)
    }

    pub fn ready_at(&self, bytes: usize) -> u64 {
        self.bucket.ready_at(bytes)
    }

    /// Feeds the worst loss (per mille) a pass suffered: multiplicative decrease by the
    /// loss fraction (at most halving) above the threshold, additive increase otherwise.
    pub fn on_loss_report(&mut self, now: u64, loss_permille: u64) {
        let rate = self.bucket.rate();
        let min_rate = (self.max_rate / MIN_RATE_DIVISOR).max(1);
        let next = if loss_permille > LOSS_THRESHOLD_PERMILLE {
            let keep = 1000 - loss_permille.min(500);
            (u128::from(rate) * u128::from(keep) / 1000) as u64
        } else {
            rate.saturating_add((self.max_rate / INCREASE_DIVISOR).max(1))
        };
        let next = next.clamp(min_rate, self.max_rate);
        self.bucket.set_rate(now, next);
        let burst = u128::from(self.max_burst) * u128::from(next) / u128::from(self.max_rate);
        self.bucket.set_capacity((burst as u64).max(self.min_burst));
    }

    pub fn burst(&self) -> u64 {
        (self.bucket.capacity_scaled / US_PER_S) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
