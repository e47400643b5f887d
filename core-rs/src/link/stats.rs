//! Link counters and the sliding-window rate meter.

/// A snapshot of a link's counters, as of the latest call into the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LinkStats {
    /// Bytes that have left the rate limiter (on the wire or already delivered).
    pub bytes_sent: u64,
    /// Packets that have left the rate limiter.
    pub packets_sent: u64,
    /// Packets dropped by random loss (Bernoulli or Gilbert–Elliott).
    pub drops_loss: u64,
    /// Packets tail-dropped because `queue_limit_packets` were already waiting (under WRR,
    /// also because their flow already held its weighted share of that limit).
    pub drops_queue: u64,
    /// Packets dropped early by RED (`drop = Red`), before the queue was full.
    pub drops_red: u64,
    /// Packets that WRR put in the shared fallback class because
    /// [`super::scheduler::MAX_FLOW_CLASSES`] flows were already backlogged.
    pub flow_overflow: u64,
    /// Packets waiting for the rate limiter (what `queue_limit_packets` bounds).
    pub queue_depth: usize,
    /// Packets past the rate limiter that are still in propagation delay or jitter, i.e.
    /// not yet returned by `poll`. Not bounded by `queue_limit_packets`: it is the
    /// bandwidth-delay product of whatever the host offers.
    pub in_flight: usize,
    /// Bytes per second (despite the `bps` suffix, which the SDK's field name keeps) that
    /// left the rate limiter over the last [`RATE_WINDOW_US`], measured at
    /// [`RATE_SLOT_US`] granularity. See [`RateMeter`].
    pub measured_rate_bps: u64,
}

/// Length of the window `measured_rate_bps` averages over: 1 s. Long enough to smooth out
/// a token bucket's bursts, short enough to show a rate change within a second.
pub const RATE_WINDOW_US: u64 = 1_000_000;
/// The window is kept as this many fixed slots, so memory is constant whatever the rate.
pub const RATE_SLOTS: usize = 10;
/// Width of one slot: 100 ms.
pub const RATE_SLOT_US: u64 = RATE_WINDOW_US / RATE_SLOTS as u64;

/// Bytes per time slot in a ring of [`RATE_SLOTS`] slots.
///
/// The rate at time `now` is the bytes of the slot containing `now` and the nine before it,
/// divided by the time they cover: from the start of the oldest slot (or the meter's first
/// timestamp, if later) to `now`. So the window slides in 100 ms steps and spans
/// 0.9–1.0 s once the link has run for a second; dividing by the covered time rather than
/// the full second keeps the figure right while the current slot is only partly over.
#[derive(Debug, Clone)]
pub struct RateMeter {
    slots: [u64; RATE_SLOTS],
    /// Absolute index (time / slot width) of the newest slot.
    current: u64,
    /// Time of the first observation; the window never reaches before it.
    origin_us: Option<u64>,
    /// Latest time seen.
    now_us: u64,
}

impl Default for RateMeter {
    fn default() -> Self {
        RateMeter {
            slots: [0; RATE_SLOTS],
            current: 0,
            origin_us: None,
            now_us: 0,
        }
    }
}

impl RateMeter {
    /// Moves the window forward to `now_us`, clearing slots that fell out. Earlier times
    /// are ignored.
    pub fn advance(&mut self, now_us: u64) {
        if self.origin_us.is_none() {
            self.origin_us = Some(now_us);
            self.current = now_us / RATE_SLOT_US;
            self.now_us = now_us;
        }
        if now_us <= self.now_us {
            return;
        }
        self.now_us = now_us;
        let slot = now_us / RATE_SLOT_US;
        // Clear at most one full ring, however long the gap was.
        let stale = (slot - self.current).min(RATE_SLOTS as u64);
        for k in 1..=stale {
            let idx = (self.current + k) % RATE_SLOTS as u64;
            self.slots[idx as usize] = 0;
        }
        self.current = slot;
    }

    /// Counts `bytes` sent at `at_us`, which may be a little before the latest time seen
    /// (departures are computed exactly but materialised at the next call). Bytes older
    /// than the window are not counted.
    pub fn record(&mut self, at_us: u64, bytes: u64) {
        self.advance(at_us);
        let slot = at_us / RATE_SLOT_US;
        if self.current - slot < RATE_SLOTS as u64 {
            let idx = (slot % RATE_SLOTS as u64) as usize;
            self.slots[idx] = self.slots[idx].saturating_add(bytes);
        }
    }

    /// Bytes per second over the window ending at the latest time seen; 0 until some time
    /// has passed.
    pub fn rate(&self) -> u64 {
        let Some(origin) = self.origin_us else {
            return 0;
        };
        let oldest_slot = self.current.saturating_sub(RATE_SLOTS as u64 - 1);
        let start = (oldest_slot * RATE_SLOT_US).max(origin);
        let span = self.now_us.saturating_sub(start);
        if span == 0 {
            return 0;
        }
        let bytes: u128 = self.slots.iter().map(|&b| u128::from(b)).sum();
        u64::try_from(bytes * 1_000_000 / u128::from(span)).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steady_stream_measures_its_rate() {
        let mut m = RateMeter::default();
        // 1000 bytes every 1 ms = 1 MB/s, for 3 s.
        for i in 0..3000u64 {
            m.record(i * 1000, 1000);
        }
        m.advance(3_000_000);
        let r = m.rate();
        assert!((990_000..=1_010_000).contains(&r), "rate {r}");
    }

    #[test]
    fn rate_falls_to_zero_after_a_silent_window() {
        let mut m = RateMeter::default();
        for i in 0..100u64 {
            m.record(i * 1000, 1000);
        }
        m.advance(50_000_000);
        assert_eq!(m.rate(), 0);
    }

    #[test]
    fn window_is_short_at_start_and_ignores_stale_records() {
        let mut m = RateMeter::default();
        assert_eq!(m.rate(), 0);
        m.record(10_000_000, 500);
        assert_eq!(m.rate(), 0, "no time has passed yet");
        m.advance(10_500_000);
        // 500 bytes over the 0.5 s since the first observation.
        assert_eq!(m.rate(), 1000);
        m.advance(20_000_000);
        m.record(5_000_000, 1_000_000); // far older than the window: ignored
        assert_eq!(m.rate(), 0);
        m.record(0, 1); // earlier than the origin: harmless
    }
}
