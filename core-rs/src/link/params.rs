//! Link parameters, their validation, and the conversion from the controller's TOML units.
//!
//! Field names follow the keys of a link table in the controller TOML:
//! `rate, bucket_size, delay_ms, jitter_ms, loss, loss_burst = { p_good_to_bad,
//! p_bad_to_good, loss_in_bad }, queue_limit_packets, reorder, seed, scheduler, drop, min_th,
//! max_th, max_p`. The TOML gives delays in
//! (fractional) milliseconds; [`LinkParams`] stores whole microseconds, the unit of the core's
//! timeline, and [`LinkParamsMs`] mirrors the TOML for the config loader.

use super::red::{DropPolicy, RedParams};
use super::scheduler::Scheduler;
use crate::error::{CoreError, ErrorCode};
use std::fmt;

/// Two-state Gilbert–Elliott loss chain, for bursty loss.
///
/// Each packet is first lost or kept according to the current state (the Good state loses
/// with [`LinkParams::loss`], the Bad state with `loss_in_bad`), then the chain moves: Good to
/// Bad with `p_good_to_bad`, Bad to Good with `p_bad_to_good`. The chain starts in Good. A
/// Bad spell lasts `1 / p_bad_to_good` packets on average, which is what makes losses
/// cluster. Reusing `loss` as the Good-state loss gives the full four-parameter model from
/// the existing keys; with the usual `loss = 0` it is the classic Gilbert model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GilbertElliott {
    pub p_good_to_bad: f64,
    pub p_bad_to_good: f64,
    pub loss_in_bad: f64,
}

impl GilbertElliott {
    /// Long-run fraction of packets spent in the Bad state: `p / (p + r)`. When both
    /// transition probabilities are 0 the chain never leaves Good.
    pub fn bad_fraction(&self) -> f64 {
        let sum = self.p_good_to_bad + self.p_bad_to_good;
        if sum > 0.0 {
            self.p_good_to_bad / sum
        } else {
            0.0
        }
    }
}

/// Emulation applied to the egress towards one neighbour. `Default` shapes nothing: no rate
/// limit, no delay, no loss, no queue limit; packets pass through in zero time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkParams {
    /// Token refill rate in bytes per second; `None` = unlimited.
    pub rate: Option<u64>,
    /// Token bucket capacity in bytes (the largest burst sent at once). Must be > 0 when
    /// `rate` is set; ignored otherwise.
    pub bucket_size: u64,
    /// Propagation delay added to every packet after the rate limiter, in microseconds.
    pub delay_us: u64,
    /// Extra delay drawn uniformly in `[0, jitter_us]` per packet, in microseconds.
    pub jitter_us: u64,
    /// If false, jitter never lets a packet arrive before one sent ahead of it.
    pub reorder: bool,
    /// Independent loss probability per packet in `0.0..=1.0` (the Good-state loss when
    /// `loss_burst` is set).
    pub loss: f64,
    /// Bursty loss instead of independent loss.
    pub loss_burst: Option<GilbertElliott>,
    /// Packets allowed to wait for the rate limiter; more are tail-dropped. `None` = the
    /// host bounds the queue (the node has its own queue capacity).
    pub queue_limit_packets: Option<usize>,
    /// Seed of the loss and jitter draws: the same seed and packet sequence give the same
    /// drops and delays.
    pub seed: u64,
    /// Order in which the rate limiter's queue is served.
    pub scheduler: Scheduler,
    /// Which arrivals the rate limiter's queue drops before it is full.
    pub drop: DropPolicy,
}

impl Default for LinkParams {
    fn default() -> Self {
        LinkParams {
            rate: None,
            bucket_size: 0,
            delay_us: 0,
            jitter_us: 0,
            reorder: false,
            loss: 0.0,
            loss_burst: None,
            queue_limit_packets: None,
            seed: 0,
            scheduler: Scheduler::Fifo,
            drop: DropPolicy::Tail,
        }
    }
}

/// Why a [`LinkParams`] was rejected. Each message names the TOML key and what it expects.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkParamError {
    /// `rate` is `Some(0)`: nothing could ever be sent.
    ZeroRate,
    /// `rate` is set and `bucket_size` is 0: no packet could ever be admitted.
    ZeroBucket,
    /// A probability (`loss` or a `loss_burst` field) is outside `0.0..=1.0` or NaN.
    Probability { key: &'static str, got: f64 },
    /// `queue_limit_packets` is `Some(0)`: every packet would be dropped.
    ZeroQueueLimit,
    /// A millisecond value (`delay_ms`, `jitter_ms`) is negative, not finite, or too large.
    Milliseconds { key: &'static str, got: f64 },
    /// RED's `min_th` is not below its `max_th`.
    RedThresholds { min_th: u32, max_th: u32 },
    /// RED's `max_p` is outside `(0, 1]` or NaN.
    RedMaxP { got: f64 },
}

impl LinkParamError {
    /// The TOML key at fault, for pointing at the offending line of a config.
    pub fn key(&self) -> &'static str {
        match self {
            LinkParamError::ZeroRate => "rate",
            LinkParamError::ZeroBucket => "bucket_size",
            LinkParamError::Probability { key, .. } => key,
            LinkParamError::ZeroQueueLimit => "queue_limit_packets",
            LinkParamError::Milliseconds { key, .. } => key,
            LinkParamError::RedThresholds { .. } => "min_th",
            LinkParamError::RedMaxP { .. } => "max_p",
        }
    }
}

impl fmt::Display for LinkParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkParamError::ZeroRate => write!(
                f,
                "rate must be > 0 bytes/s when set (leave it unset for an unlimited link), got 0"
            ),
            LinkParamError::ZeroBucket => {
                write!(f, "bucket_size must be > 0 when rate is set, got 0")
            }
            LinkParamError::Probability { key, got } => {
                write!(f, "{key} must be within 0.0..=1.0, got {got}")
            }
            LinkParamError::ZeroQueueLimit => write!(
                f,
                "queue_limit_packets must be >= 1 when set (leave it unset for no limit), got 0"
            ),
            LinkParamError::Milliseconds { key, got } => write!(
                f,
                "{key} must be a finite number of milliseconds within 0..={MAX_MS}, got {got}"
            ),
            LinkParamError::RedThresholds { min_th, max_th } => write!(
                f,
                "min_th must be below max_th (packets of average queue), got min_th = {min_th}, max_th = {max_th}"
            ),
            LinkParamError::RedMaxP { got } => {
                write!(f, "max_p must be within (0, 1] (0 excluded), got {got}")
            }
        }
    }
}

impl std::error::Error for LinkParamError {}

impl CoreError for LinkParamError {
    fn code(&self) -> ErrorCode {
        ErrorCode::ConfigInvalid
    }
}

/// Largest accepted millisecond value: 2^53 microseconds (about 285 years), the range in
/// which an f64 still holds every whole microsecond exactly.
pub const MAX_MS: f64 = (1u64 << 53) as f64 / 1000.0;

fn check_probability(key: &'static str, p: f64) -> Result<(), LinkParamError> {
    // Written so NaN fails too.
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(LinkParamError::Probability { key, got: p })
    }
}

/// Converts a TOML millisecond value to whole microseconds, rounding to nearest.
pub fn ms_to_us(key: &'static str, ms: f64) -> Result<u64, LinkParamError> {
    if !(0.0..=MAX_MS).contains(&ms) {
        return Err(LinkParamError::Milliseconds { key, got: ms });
    }
    // In range by the check above, so the cast neither saturates nor truncates a fraction
    // we meant to keep.
    Ok((ms * 1000.0).round() as u64)
}

impl LinkParams {
    /// Checks every key; the first problem found is returned.
    pub fn validate(&self) -> Result<(), LinkParamError> {
        if let Some(rate) = self.rate {
            if rate == 0 {
                return Err(LinkParamError::ZeroRate);
            }
            if self.bucket_size == 0 {
                return Err(LinkParamError::ZeroBucket);
            }
        }
        check_probability("loss", self.loss)?;
        if let Some(ge) = &self.loss_burst {
            check_probability("loss_burst.p_good_to_bad", ge.p_good_to_bad)?;
            check_probability("loss_burst.p_bad_to_good", ge.p_bad_to_good)?;
            check_probability("loss_burst.loss_in_bad", ge.loss_in_bad)?;
        }
        if self.queue_limit_packets == Some(0) {
            return Err(LinkParamError::ZeroQueueLimit);
        }
        if let DropPolicy::Red(RedParams {
            min_th,
            max_th,
            max_p,
        }) = self.drop
        {
            if min_th >= max_th {
                return Err(LinkParamError::RedThresholds { min_th, max_th });
            }
            // Written so NaN fails too.
            if !(max_p > 0.0 && max_p <= 1.0) {
                return Err(LinkParamError::RedMaxP { got: max_p });
            }
        }
        Ok(())
    }

    /// Builds validated parameters from the controller's TOML units.
    pub fn from_ms(cfg: &LinkParamsMs) -> Result<LinkParams, LinkParamError> {
        let params = LinkParams {
            rate: cfg.rate,
            bucket_size: cfg.bucket_size,
            delay_us: ms_to_us("delay_ms", cfg.delay_ms)?,
            jitter_us: ms_to_us("jitter_ms", cfg.jitter_ms)?,
            reorder: cfg.reorder,
            loss: cfg.loss,
            loss_burst: cfg.loss_burst,
            queue_limit_packets: cfg.queue_limit_packets,
            seed: cfg.seed,
            scheduler: cfg.scheduler,
            drop: cfg.drop,
        };
        params.validate()?;
        Ok(params)
    }

    /// Long-run fraction of packets lost: `loss`, or for a Gilbert–Elliott chain the
    /// stationary mix of its Good (`loss`) and Bad (`loss_in_bad`) states.
    pub fn mean_loss(&self) -> f64 {
        match &self.loss_burst {
            None => self.loss,
            Some(ge) => {
                let bad = ge.bad_fraction();
                (1.0 - bad) * self.loss + bad * ge.loss_in_bad
            }
        }
    }
}

/// A link table exactly as the controller TOML spells it (delays in milliseconds). Turn it
/// into [`LinkParams`] with [`LinkParams::from_ms`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LinkParamsMs {
    pub rate: Option<u64>,
    pub bucket_size: u64,
    pub delay_ms: f64,
    pub jitter_ms: f64,
    pub loss: f64,
    pub loss_burst: Option<GilbertElliott>,
    pub queue_limit_packets: Option<usize>,
    pub reorder: bool,
    pub seed: u64,
    pub scheduler: Scheduler,
    pub drop: DropPolicy,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ge() -> GilbertElliott {
        GilbertElliott {
            p_good_to_bad: 0.01,
            p_bad_to_good: 0.25,
            loss_in_bad: 0.5,
        }
    }

    fn rejects(p: LinkParams, key: &str, fragment: &str) {
        let err = p.validate().expect_err("must be rejected");
        let msg = err.to_string();
        assert_eq!(err.key(), key);
        assert!(
            msg.starts_with(key),
            "message {msg:?} must start with the key {key:?}"
        );
        assert!(
            msg.contains(fragment),
            "message {msg:?} must contain {fragment:?}"
        );
        assert_eq!(err.code(), ErrorCode::ConfigInvalid);
    }

    #[test]
    fn default_is_valid_and_shapes_nothing() {
        let p = LinkParams::default();
        assert_eq!(p.validate(), Ok(()));
        assert_eq!(p.rate, None);
        assert_eq!((p.delay_us, p.jitter_us), (0, 0));
        assert_eq!(p.mean_loss(), 0.0);
        assert_eq!(p.queue_limit_packets, None);
    }

    #[test]
    fn validate_rejects_each_bad_key_by_name() {
        let d = LinkParams::default();
        rejects(
            LinkParams {
                rate: Some(0),
                bucket_size: 10,
                ..d
            },
            "rate",
            "> 0",
        );
        rejects(
            LinkParams {
                rate: Some(1000),
                ..d
            },
            "bucket_size",
            "bucket_size must be > 0 when rate is set",
        );
        rejects(
            LinkParams { loss: 1.5, ..d },
            "loss",
            "loss must be within 0.0..=1.0, got 1.5",
        );
        rejects(LinkParams { loss: -0.1, ..d }, "loss", "got -0.1");
        rejects(
            LinkParams {
                loss: f64::NAN,
                ..d
            },
            "loss",
            "got NaN",
        );
        let bad = |g: GilbertElliott| LinkParams {
            loss_burst: Some(g),
            ..d
        };
        rejects(
            bad(GilbertElliott {
                p_good_to_bad: 2.0,
                ..ge()
            }),
            "loss_burst.p_good_to_bad",
            "within 0.0..=1.0, got 2",
        );
        rejects(
            bad(GilbertElliott {
                p_bad_to_good: -1.0,
                ..ge()
            }),
            "loss_burst.p_bad_to_good",
            "got -1",
        );
        rejects(
            bad(GilbertElliott {
                loss_in_bad: f64::INFINITY,
                ..ge()
            }),
            "loss_burst.loss_in_bad",
            "got inf",
        );
        rejects(
            LinkParams {
                queue_limit_packets: Some(0),
                ..d
            },
            "queue_limit_packets",
            ">= 1",
        );
    }

    #[test]
    fn validate_rejects_bad_red_settings_by_key() {
        let red = |min_th, max_th, max_p| LinkParams {
            drop: DropPolicy::Red(RedParams {
                min_th,
                max_th,
                max_p,
            }),
            ..LinkParams::default()
        };
        rejects(red(10, 10, 0.1), "min_th", "min_th = 10, max_th = 10");
        rejects(red(20, 10, 0.1), "min_th", "below max_th");
        rejects(red(5, 15, 0.0), "max_p", "(0, 1]");
        rejects(red(5, 15, 1.5), "max_p", "got 1.5");
        rejects(red(5, 15, f64::NAN), "max_p", "got NaN");
        assert_eq!(red(0, 1, 1.0).validate(), Ok(()));
    }

    #[test]
    fn validate_accepts_edges() {
        let d = LinkParams::default();
        for p in [
            LinkParams { loss: 0.0, ..d },
            LinkParams { loss: 1.0, ..d },
            LinkParams {
                rate: Some(1),
                bucket_size: 1,
                ..d
            },
            // bucket_size without rate is ignored, not an error.
            LinkParams {
                bucket_size: 0,
                rate: None,
                ..d
            },
            LinkParams {
                queue_limit_packets: Some(1),
                ..d
            },
            LinkParams {
                loss_burst: Some(GilbertElliott {
                    p_good_to_bad: 0.0,
                    p_bad_to_good: 1.0,
                    loss_in_bad: 1.0,
                }),
                ..d
            },
            LinkParams {
                delay_us: u64::MAX,
                jitter_us: u64::MAX,
                ..d
            },
        ] {
            assert_eq!(p.validate(), Ok(()), "{p:?}");
        }
    }

    #[test]
    fn from_ms_converts_and_validates() {
        let cfg = LinkParamsMs {
            rate: Some(1_000_000),
            bucket_size: 100_000,
            delay_ms: 40.0,
            jitter_ms: 2.5,
            loss: 0.01,
            loss_burst: Some(ge()),
            queue_limit_packets: Some(64),
            reorder: true,
            seed: 7,
            scheduler: Scheduler::Wrr,
            drop: DropPolicy::Tail,
        };
        let p = LinkParams::from_ms(&cfg).unwrap();
        assert_eq!(p.delay_us, 40_000);
        assert_eq!(p.jitter_us, 2_500);
        assert_eq!(p.rate, Some(1_000_000));
        assert_eq!(p.bucket_size, 100_000);
        assert_eq!(p.loss_burst, Some(ge()));
        assert_eq!(p.queue_limit_packets, Some(64));
        assert!(p.reorder);
        assert_eq!(p.seed, 7);
        // Sub-microsecond fractions round to nearest.
        assert_eq!(ms_to_us("delay_ms", 0.0004), Ok(0));
        assert_eq!(ms_to_us("delay_ms", 0.0006), Ok(1));
        assert_eq!(
            LinkParams::from_ms(&LinkParamsMs::default()),
            Ok(LinkParams::default())
        );
    }

    #[test]
    fn from_ms_rejects_bad_milliseconds_by_key() {
        let d = LinkParamsMs::default();
        for (cfg, key) in [
            (
                LinkParamsMs {
                    delay_ms: -1.0,
                    ..d
                },
                "delay_ms",
            ),
            (
                LinkParamsMs {
                    delay_ms: f64::NAN,
                    ..d
                },
                "delay_ms",
            ),
            (
                LinkParamsMs {
                    jitter_ms: f64::INFINITY,
                    ..d
                },
                "jitter_ms",
            ),
            (
                LinkParamsMs {
                    jitter_ms: 1e30,
                    ..d
                },
                "jitter_ms",
            ),
        ] {
            let err = LinkParams::from_ms(&cfg).unwrap_err();
            assert_eq!(err.key(), key);
            assert!(err.to_string().starts_with(key), "{err}");
            assert!(err.to_string().contains("milliseconds"), "{err}");
        }
        // Validation of the other keys still runs.
        let err = LinkParams::from_ms(&LinkParamsMs { loss: 3.0, ..d }).unwrap_err();
        assert_eq!(err.key(), "loss");
    }

    #[test]
    fn mean_loss_of_gilbert_elliott() {
        let p = LinkParams {
            loss: 0.0,
            loss_burst: Some(ge()),
            ..LinkParams::default()
        };
        let expected = 0.01 / 0.26 * 0.5;
        assert!((p.mean_loss() - expected).abs() < 1e-12);
        let still = GilbertElliott {
            p_good_to_bad: 0.0,
            p_bad_to_good: 0.0,
            loss_in_bad: 1.0,
        };
        assert_eq!(still.bad_fraction(), 0.0);
    }
}
