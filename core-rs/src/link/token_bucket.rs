//! Token bucket rate limiter in exact integer arithmetic.
//!
//! Tokens are kept in micro-bytes (bytes x 10^6), so one microsecond at `rate` bytes/s adds
//! exactly `rate` units: refill never rounds, and a long transfer keeps the configured rate
//! to the microsecond instead of drifting with accumulated rounding.
//!
//! A packet may leave when the level reaches its size. A packet larger than the whole bucket
//! could never meet that, so it leaves when the bucket is full and the level goes negative
//! (debt); later packets wait until the debt is refilled. The long-run rate therefore stays
//! exactly `rate` even for oversized packets, while a single such packet is never stuck.
//! (The alternatives, dropping oversized packets or letting them pass free, would make a
//! misconfigured small bucket either a black hole or no limit at all.)
//!
//! The bucket is lazy: it stores the level at its last update and computes later levels on
//! demand, so it needs no timer of its own.

const MICROS_PER_SEC: u128 = 1_000_000;

#[derive(Debug, Clone)]
pub struct TokenBucket {
    /// Refill rate in bytes/s, > 0 (validated by `LinkParams`).
    rate: u64,
    /// Capacity in bytes, > 0.
    capacity: u64,
    /// Level in micro-bytes at `updated_us`; `<= capacity` always, negative while in debt.
    level: i128,
    updated_us: u64,
}

/// `bytes` in micro-bytes. Fits easily: 2^64 * 10^6 < 2^84.
fn micro(bytes: u128) -> i128 {
    (bytes * MICROS_PER_SEC) as i128
}

impl TokenBucket {
    /// A full bucket at time `now_us`, so the first `capacity` bytes go out at once.
    pub fn new_full(rate: u64, capacity: u64, now_us: u64) -> Self {
        TokenBucket {
            rate,
            capacity,
            level: micro(capacity.into()),
            updated_us: now_us,
        }
    }

    fn capacity_micro(&self) -> i128 {
        micro(self.capacity.into())
    }

    /// Level at time `t` (micro-bytes). Times before the last update return the level at
    /// the last update: the bucket never runs backwards.
    pub fn level_at(&self, t: u64) -> i128 {
        if t <= self.updated_us {
            return self.level;
        }
        let room = self.capacity_micro() - self.level; // >= 0 by the invariant
                                                       // rate and dt are both u64, so the product fits u128 and cannot overflow.
        let refill = u128::from(self.rate) * u128::from(t - self.updated_us);
        if refill >= room as u128 {
            self.capacity_micro()
        } else {
            self.level + refill as i128
        }
    }

    /// Level in whole bytes at time `t`, rounded down (for inspection and tests).
    pub fn bytes_at(&self, t: u64) -> i128 {
        self.level_at(t).div_euclid(MICROS_PER_SEC as i128)
    }

    fn advance(&mut self, t: u64) {
        if t > self.updated_us {
            self.level = self.level_at(t);
            self.updated_us = t;
        }
    }

    /// Level a packet of `size` bytes must wait for: its size, or a full bucket if larger.
    fn threshold(&self, size: usize) -> i128 {
        micro((size as u128).min(self.capacity.into()))
    }

    /// Earliest time, not before `from_us` nor the last update, at which a packet of `size`
    /// bytes may leave. Saturates at `u64::MAX` rather than overflowing.
    pub fn ready_at(&self, from_us: u64, size: usize) -> u64 {
        let start = from_us.max(self.updated_us);
        let missing = self.threshold(size) - self.level_at(start);
        if missing <= 0 {
            return start;
        }
        // Round up: leaving one microsecond early would exceed the rate.
        let wait = (missing as u128).div_ceil(u128::from(self.rate));
        start.saturating_add(u64::try_from(wait).unwrap_or(u64::MAX))
    }

    /// Sends `size` bytes at time `t` (which the caller got from [`Self::ready_at`]).
    pub fn take(&mut self, t: u64, size: usize) {
        self.advance(t);
        self.level -= micro(size as u128);
    }

    /// Switches to a new rate and capacity from `now_us` on. Tokens earned until now at the
    /// old rate are kept (clipped to the new capacity); a debt is kept too.
    pub fn reconfigure(&mut self, now_us: u64, rate: u64, capacity: u64) {
        self.advance(now_us);
        self.rate = rate;
        self.capacity = capacity;
        self.level = self.level.min(self.capacity_micro());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_bucket_sends_burst_then_paces() {
        // 1000 B/s, 3000 B bucket: three 1000 B packets at t=0, then one per second.
        let mut b = TokenBucket::new_full(1000, 3000, 0);
        let mut t = 0;
        let mut times = vec![];
        for _ in 0..5 {
            t = b.ready_at(t, 1000);
            b.take(t, 1000);
            times.push(t);
        }
        assert_eq!(times, [0, 0, 0, 1_000_000, 2_000_000]);
    }

    #[test]
    fn refill_is_exact_and_capped() {
        let mut b = TokenBucket::new_full(3, 10, 0);
        b.take(0, 10);
        assert_eq!(b.bytes_at(0), 0);
        // 3 B/s: 1 byte takes 333 333.3 us, so 1 byte is available at 333 334 us, not before.
        assert_eq!(b.ready_at(0, 1), 333_334);
        assert_eq!(b.bytes_at(333_333), 0);
        assert_eq!(b.bytes_at(333_334), 1);
        assert_eq!(b.bytes_at(100_000_000), 10, "never above capacity");
    }

    #[test]
    fn oversized_packet_waits_for_full_bucket_then_goes_into_debt() {
        let mut b = TokenBucket::new_full(1000, 500, 0);
        b.take(0, 100);
        // Needs a full bucket (500), i.e. 100 ms of refill.
        let t = b.ready_at(0, 2000);
        assert_eq!(t, 100_000);
        b.take(t, 2000);
        assert_eq!(b.bytes_at(t), -1500);
        // A 1-byte packet waits for the debt to be repaid: 1.501 s later.
        assert_eq!(b.ready_at(t, 1), t + 1_501_000);
    }

    #[test]
    fn never_runs_backwards_and_saturates() {
        let mut b = TokenBucket::new_full(1, 1, 1_000);
        b.take(1_000, 1);
        assert_eq!(
            b.level_at(0),
            0,
            "a time before the last update changes nothing"
        );
        assert_eq!(b.ready_at(0, 1), 1_000 + 1_000_000);
        let late = TokenBucket::new_full(1, 1, u64::MAX - 5);
        let mut late2 = late.clone();
        late2.take(u64::MAX - 5, 1);
        assert_eq!(late2.ready_at(0, 1), u64::MAX);
        // Huge rate and time span do not overflow.
        let huge = TokenBucket::new_full(u64::MAX, u64::MAX, 0);
        assert_eq!(huge.level_at(u64::MAX), micro(u64::MAX.into()));
    }

    #[test]
    fn reconfigure_keeps_earned_tokens_and_debt() {
        let mut b = TokenBucket::new_full(1000, 1000, 0);
        b.take(0, 1000);
        b.reconfigure(500_000, 10_000, 1000); // 500 bytes earned at the old rate
        assert_eq!(b.bytes_at(500_000), 500);
        // Now 10 B/ms: the missing 500 bytes take 50 ms.
        assert_eq!(b.ready_at(500_000, 1000), 550_000);
        b.reconfigure(550_000, 10_000, 100); // shrinking clips the level
        assert_eq!(b.bytes_at(550_000), 100);
        b.take(550_000, 300);
        b.reconfigure(550_000, 1, 100);
        assert_eq!(b.bytes_at(550_000), -200, "debt survives a reconfiguration");
    }
}
