//! Configuration of one node's engine (the host validates the TOML; this re-checks what the
//! engine relies on, so a wrong value can never turn into a panic or unbounded memory).

use crate::error::{CoreError, ErrorCode};
use crate::frag::ReassemblyConfig;
use crate::lossless::LosslessConfig;
use crate::wire::HEADER_LEN;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatingMode {
    /// Hop by hop along the installed routes.
    Normal,
    /// Straight to the destination's data address, bypassing intermediate hops.
    Max,
}

#[derive(Debug, Clone)]
pub struct NodeConfig {
    pub node_id: u32,
    pub mtu: usize,
    pub max_payload_bytes: usize,
    /// Datagrams the engine may hold for the host to transmit.
    pub queue_capacity: usize,
    pub operating_mode: OperatingMode,
    pub reassembly_timeout_us: u64,
    /// `[lossless_runtime_config]`.
    pub lossless: LosslessConfig,
}

impl Default for NodeConfig {
    fn default() -> Self {
        NodeConfig {
            node_id: 1,
            mtu: 1400,
            max_payload_bytes: 16 * 1024 * 1024,
            queue_capacity: 65_536,
            operating_mode: OperatingMode::Normal,
            reassembly_timeout_us: 5_000_000,
            lossless: LosslessConfig::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeConfigError {
    pub key: &'static str,
    pub reason: String,
}

impl fmt::Display for NodeConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "node config.{} {}", self.key, self.reason)
    }
}

impl CoreError for NodeConfigError {
    fn code(&self) -> ErrorCode {
        ErrorCode::ConfigInvalid
    }
}

impl NodeConfig {
    pub fn validate(&self) -> Result<(), NodeConfigError> {
        let bad = |key, reason: String| Err(NodeConfigError { key, reason });
        if self.node_id == 0 {
            return bad("node_id", "must be >= 1".into());
        }
        if self.mtu <= HEADER_LEN || self.mtu > 65_535 {
            return bad(
                "mtu",
                format!(
                    "must be within {}..=65535, got {}",
                    HEADER_LEN + 1,
                    self.mtu
                ),
            );
        }
        if self.max_payload_bytes == 0 || self.max_payload_bytes > u32::MAX as usize {
            return bad(
                "max_payload_bytes",
                format!(
                    "must be within 1..=4294967295, got {}",
                    self.max_payload_bytes
                ),
            );
        }
        if self.queue_capacity == 0 {
            return bad("queue_capacity", "must be >= 1".into());
        }
        if self.reassembly_timeout_us == 0 {
            return bad("reassembly_timeout_ms", "must be > 0".into());
        }
        Ok(())
    }

    pub(crate) fn reassembly(&self) -> ReassemblyConfig {
        ReassemblyConfig {
            max_payload_bytes: self.max_payload_bytes,
            // Room for a few maximum-size messages in flight at once, with their bitmaps.
            max_buffered_bytes: self
                .max_payload_bytes
                .saturating_mul(4)
                .max(64 * 1024 * 1024),
            timeout_us: self.reassembly_timeout_us,
            ..ReassemblyConfig::default()
        }
    }
}
