//! Random early detection (Floyd & Jacobson, 1993) on the rate limiter's queue.
//!
//! On every arrival the average queue length (packets) is updated as an exponentially
//! weighted moving average with weight [`RED_AVG_WEIGHT`]. Below `min_th` nothing is dropped;
//! from `min_th` to `max_th` the drop probability rises linearly from 0 to `max_p`; at
//! `max_th` and above every arrival is dropped. Between the thresholds the probability is
//! spread by the count of packets since the last drop (`p / (1 - count * p)`), so drops come
//! at roughly even intervals instead of in clusters. After the queue was empty the average
//! decays as if the link had sent packets of the last seen size during the idle time.

use super::rng::Rng;

/// Weight of the newest sample in the average queue length: 0.002, the value Floyd and
/// Jacobson recommend. The average then follows a change of the queue over ~500 arrivals,
/// so short bursts pass while a standing queue is pushed back.
pub const RED_AVG_WEIGHT: f64 = 0.002;
/// `max_p` when the config leaves it out.
pub const RED_DEFAULT_MAX_P: f64 = 0.1;
/// Thresholds when the config leaves them out and the link has no `queue_limit_packets`
/// (Floyd's suggested 5 and 15 packets).
pub const RED_DEFAULT_MIN_TH: u32 = 5;
pub const RED_DEFAULT_MAX_TH: u32 = 15;

/// RED's settings (TOML `min_th`, `max_th` in packets, `max_p`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RedParams {
    pub min_th: u32,
    pub max_th: u32,
    pub max_p: f64,
}

impl RedParams {
    /// Fills what the config left out. With a queue limit `q` the thresholds are `q / 4` and
    /// `3q / 4` (so RED acts well before tail drop would), else 5 and 15 packets.
    pub fn with_defaults(
        min_th: Option<u32>,
        max_th: Option<u32>,
        max_p: Option<f64>,
        queue_limit: Option<usize>,
    ) -> RedParams {
        let (dmin, dmax) = match queue_limit {
            Some(q) => {
                let q = u32::try_from(q).unwrap_or(u32::MAX);
                (q / 4, (q / 4 * 3).max(q / 4 + 1))
            }
            None => (RED_DEFAULT_MIN_TH, RED_DEFAULT_MAX_TH),
        };
        // A given max_th below the default min_th pulls the default under it.
        let min_th =
            min_th.unwrap_or_else(|| max_th.map_or(dmin, |m| dmin.min(m.saturating_sub(1))));
        RedParams {
            min_th,
            // A given min_th above the default max_th keeps a band one packet wide.
            max_th: max_th.unwrap_or(dmax.max(min_th.saturating_add(1))),
            max_p: max_p.unwrap_or(RED_DEFAULT_MAX_P),
        }
    }
}

/// What the queue does with an arrival when it is not full.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum DropPolicy {
    /// Drop only at `queue_limit_packets`.
    #[default]
    Tail,
    /// Random early detection, with `queue_limit_packets` still the hard limit.
    Red(RedParams),
}

/// RED's running state.
#[derive(Debug, Clone)]
pub(crate) struct Red {
    avg: f64,
    /// Arrivals since the last drop while between the thresholds; -1 = not counting.
    count: i64,
    /// When the queue last became empty, for the idle-time decay.
    idle_since: Option<u64>,
}

impl Default for Red {
    fn default() -> Self {
        Red {
            avg: 0.0,
            count: -1,
            idle_since: Some(0),
        }
    }
}

impl Red {
    /// State for RED switched on while `queue_len` packets wait: the average starts there.
    pub fn starting_at(queue_len: usize, now_us: u64) -> Self {
        Red {
            avg: queue_len as f64,
            count: -1,
            idle_since: (queue_len == 0).then_some(now_us),
        }
    }

    pub fn average(&self) -> f64 {
        self.avg
    }

    /// The queue has just become empty at `now_us`.
    pub fn queue_emptied(&mut self, now_us: u64) {
        self.idle_since = Some(now_us);
    }

    /// Updates the average for an arrival that finds `queue_len` packets waiting and decides
    /// whether RED drops it. `tx_us` is how long one packet takes to send at the link's rate
    /// (0 when unlimited), for the idle decay.
    pub fn on_arrival(
        &mut self,
        p: &RedParams,
        queue_len: usize,
        now_us: u64,
        tx_us: u64,
        rng: &mut Rng,
    ) -> bool {
        match (queue_len, self.idle_since.take()) {
            (0, Some(since)) => {
                // As if `m` packets had left an empty queue during the idle time.
                let m = match tx_us {
                    0 => f64::INFINITY,
                    t => now_us.saturating_sub(since) as f64 / t as f64,
                };
                self.avg *= (1.0 - RED_AVG_WEIGHT).powf(m);
            }
            _ => self.avg += RED_AVG_WEIGHT * (queue_len as f64 - self.avg),
        }
        let (min, max) = (f64::from(p.min_th), f64::from(p.max_th));
        if self.avg < min {
            self.count = -1;
            return false;
        }
        if self.avg >= max {
            self.count = 0;
            return true;
        }
        self.count += 1;
        let pb = p.max_p * (self.avg - min) / (max - min);
        let spread = 1.0 - self.count as f64 * pb;
        let pa = if spread <= 0.0 { 1.0 } else { pb / spread };
        if rng.chance(pa) {
            self.count = 0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: RedParams = RedParams {
        min_th: 10,
        max_th: 30,
        max_p: 0.1,
    };

    #[test]
    fn below_min_never_drops_and_above_max_always_drops() {
        let mut rng = Rng::new(1);
        let mut red = Red::default();
        for i in 0..10_000 {
            assert!(!red.on_arrival(&P, 5, i, 10, &mut rng));
        }
        assert!((red.average() - 5.0).abs() < 0.01);
        for i in 0..10_000 {
            red.on_arrival(&P, 100, i, 10, &mut rng);
        }
        assert!(red.average() > 30.0);
        assert!((0..100).all(|i| red.on_arrival(&P, 100, i, 10, &mut rng)));
    }

    #[test]
    fn drop_rate_between_thresholds_follows_max_p() {
        // Average held at the midpoint: p_b = 0.05, spread over counts gives ~2 p_b.
        let mut rng = Rng::new(2);
        let mut red = Red {
            avg: 20.0,
            ..Red::default()
        };
        red.idle_since = None;
        let drops = (0..100_000)
            .filter(|&i| red.on_arrival(&P, 20, i, 10, &mut rng))
            .count();
        let rate = drops as f64 / 100_000.0;
        assert!((0.07..0.13).contains(&rate), "drop rate {rate}");
    }

    #[test]
    fn idle_time_decays_the_average() {
        let mut rng = Rng::new(3);
        let mut red = Red {
            avg: 20.0,
            ..Red::default()
        };
        red.queue_emptied(0);
        // 1000 packet times idle: 20 * 0.998^1000 ~ 2.7.
        red.on_arrival(&P, 0, 10_000, 10, &mut rng);
        assert!((2.0..3.5).contains(&red.average()), "{}", red.average());
    }

    #[test]
    fn defaults_follow_the_queue_limit() {
        let d = RedParams::with_defaults(None, None, None, Some(100));
        assert_eq!((d.min_th, d.max_th, d.max_p), (25, 75, RED_DEFAULT_MAX_P));
        let d = RedParams::with_defaults(None, None, None, None);
        assert_eq!((d.min_th, d.max_th), (5, 15));
        let d = RedParams::with_defaults(None, None, None, Some(2));
        assert!(d.min_th < d.max_th, "{d:?}");
        let d = RedParams::with_defaults(Some(40), None, Some(0.5), None);
        assert_eq!((d.min_th, d.max_th, d.max_p), (40, 41, 0.5));
        let d = RedParams::with_defaults(None, Some(10), None, Some(100));
        assert_eq!((d.min_th, d.max_th), (9, 10));
    }
}
