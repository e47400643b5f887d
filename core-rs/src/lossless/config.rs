//! `[lossless_runtime_config]` of a node. Session calls never carry these knobs: a node's
//! operator sets them once, and [`LosslessConfig::validate`] rejects nonsense up front.

use super::LosslessError;
use crate::lossless::manifest::MAX_SYMBOLS_PER_BLOCK;

/// Token-bucket pacing of data frames: `rate` in bytes per second, `bucket_size` in bytes
/// (the largest burst). The bucket is never smaller than one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataBucket {
    pub rate: u64,
    pub bucket_size: u64,
}

/// 1 Gbit/s with a 64 KiB burst: fast enough for a LAN, gentle enough that a default-sized
/// receiver socket buffer (~200 KiB on Linux) does not overflow on one burst.
pub const DEFAULT_DATA_BUCKET: DataBucket = DataBucket {
    rate: 125_000_000,
    bucket_size: 64 * 1024,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LosslessConfig {
    /// Chunk size when a sender does not name one; clamped to what one datagram carries.
    pub default_chunk_size: u32,
    /// How long the sender repeats its manifest waiting for every receiver's READY before
    /// it starts the first data pass anyway.
    pub ready_grace_ms: u64,
    /// Systematic RaptorQ repair instead of plain retransmission.
    pub fec_enabled: bool,
    /// Source symbols (chunks) per RaptorQ source block.
    pub fec_default_symbols_per_block: u16,
    /// Pacing; `None` means [`DEFAULT_DATA_BUCKET`].
    pub data_bucket: Option<DataBucket>,
    /// Consecutive status rounds a receiver may stay silent before it can be declared
    /// unreachable (it must also be silent for `unreachable_timeout_ms`).
    pub max_silent_rounds: u32,
    pub unreachable_timeout_ms: u64,
    /// A receiver that hears nothing valid from its sender this long ends with `Timeout`.
    pub idle_timeout_ms: u64,
    /// Upstream's `fec_symbols_per_block_min` / `_max`: a FEC session's block size is
    /// `fec_default_symbols_per_block` clamped into them.
    pub fec_symbols_per_block_bounds: (u16, u16),
    /// Upstream's `fec_symbol_size_min` / `_max`. Symbols are the chunks here, so they clamp a
    /// FEC session's chunk size; the clamp to one datagram comes after and wins.
    pub fec_symbol_size_bounds: (u32, u32),
}

impl Default for LosslessConfig {
    fn default() -> Self {
        LosslessConfig {
            default_chunk_size: 8500,
            ready_grace_ms: 200,
            fec_enabled: true,
            fec_default_symbols_per_block: 128,
            data_bucket: None,
            // Conservative: a busy receiver process at 5% loss was seen silent for several
            // rounds and ~3 s while still healthy; giving up on it is worse than waiting.
            max_silent_rounds: 8,
            unreachable_timeout_ms: 10_000,
            idle_timeout_ms: 30_000,
            fec_symbols_per_block_bounds: (1, MAX_SYMBOLS_PER_BLOCK as u16),
            fec_symbol_size_bounds: (1, u32::from(u16::MAX)),
        }
    }
}

impl LosslessConfig {
    pub fn validate(&self) -> Result<(), LosslessError> {
        let bad = |m: String| Err(LosslessError::Config(m));
        if self.default_chunk_size == 0 {
            return bad("default_chunk_size must be positive".into());
        }
        let k = u32::from(self.fec_default_symbols_per_block);
        if k == 0 || k > MAX_SYMBOLS_PER_BLOCK {
            return bad(format!(
                "fec_default_symbols_per_block must be in 1..={MAX_SYMBOLS_PER_BLOCK}, got {k}"
            ));
        }
        let (kmin, kmax) = self.fec_symbols_per_block_bounds;
        if kmin == 0 || kmin > kmax || u32::from(kmax) > MAX_SYMBOLS_PER_BLOCK {
            return bad(format!(
                "fec_symbols_per_block_min ({kmin}) and _max ({kmax}) must satisfy 1 <= min <= max <= {MAX_SYMBOLS_PER_BLOCK}"
            ));
        }
        let (smin, smax) = self.fec_symbol_size_bounds;
        if smin == 0 || smin > smax || smax > u32::from(u16::MAX) {
            return bad(format!(
                "fec_symbol_size_min ({smin}) and _max ({smax}) must satisfy 1 <= min <= max <= 65535"
            ));
        }
        if let Some(b) = self.data_bucket {
            if b.rate == 0 || b.bucket_size == 0 {
                return bad("data_bucket rate and bucket_size must be positive".into());
            }
        }
        if self.max_silent_rounds == 0 {
            return bad("max_silent_rounds must be positive".into());
        }
        if self.idle_timeout_ms == 0 {
            return bad("idle_timeout_ms must be positive".into());
        }
        // Keep microsecond arithmetic far from overflow.
        const MAX_MS: u64 = 365 * 24 * 3600 * 1000;
        for (name, v) in [
            ("ready_grace_ms", self.ready_grace_ms),
            ("unreachable_timeout_ms", self.unreachable_timeout_ms),
            ("idle_timeout_ms", self.idle_timeout_ms),
        ] {
            if v > MAX_MS {
                return bad(format!("{name} = {v} exceeds one year"));
            }
        }
        Ok(())
    }

    pub fn data_bucket(&self) -> DataBucket {
        self.data_bucket.unwrap_or(DEFAULT_DATA_BUCKET)
    }

    /// Source symbols per block of a FEC session: the default, within the bounds.
    pub fn symbols_per_block(&self) -> u16 {
        let (lo, hi) = self.fec_symbols_per_block_bounds;
        self.fec_default_symbols_per_block.clamp(lo, hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid_and_each_bad_value_is_rejected() {
        assert_eq!(LosslessConfig::default().validate(), Ok(()));
        let cases: Vec<fn(&mut LosslessConfig)> = vec![
            |c| c.default_chunk_size = 0,
            |c| c.fec_default_symbols_per_block = 0,
            |c| c.fec_default_symbols_per_block = u16::MAX,
            |c| {
                c.data_bucket = Some(DataBucket {
                    rate: 0,
                    bucket_size: 10,
                })
            },
            |c| {
                c.data_bucket = Some(DataBucket {
                    rate: 10,
                    bucket_size: 0,
                })
            },
            |c| c.max_silent_rounds = 0,
            |c| c.idle_timeout_ms = 0,
            |c| c.ready_grace_ms = u64::MAX,
            |c| c.fec_symbols_per_block_bounds = (0, 10),
            |c| c.fec_symbols_per_block_bounds = (20, 10),
            |c| c.fec_symbols_per_block_bounds = (1, u16::MAX),
            |c| c.fec_symbol_size_bounds = (0, 10),
            |c| c.fec_symbol_size_bounds = (20, 10),
            |c| c.fec_symbol_size_bounds = (1, 70_000),
        ];
        for f in cases {
            let mut c = LosslessConfig::default();
            f(&mut c);
            assert!(
                matches!(c.validate(), Err(LosslessError::Config(_))),
                "{c:?}"
            );
        }
    }
}
