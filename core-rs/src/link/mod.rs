//! Link emulation: what a node applies on its egress towards each neighbour, so emulated
//! links behave the same whether datagrams travel over UDP, TCP or a WebSocket relay.
//!
//! Sans-IO like the rest of the crate: time is an argument (microseconds on the caller's
//! monotonic timeline) and randomness comes from [`LinkParams::seed`], so a run is
//! reproducible packet for packet.
//!
//! - [`params`]: [`LinkParams`], validation, conversion from the controller's TOML units.
//! - [`model`]: [`LinkModel`], the emulator the host drives with enqueue / poll /
//!   poll_timeout.
//! - [`token_bucket`]: the exact-integer rate limiter.
//! - [`scheduler`]: the limiter's queue, FIFO or weighted round robin between flows.
//! - [`red`]: random early detection on that queue.
//! - [`loss`]: Bernoulli and Gilbert–Elliott loss decisions.
//! - [`stats`]: [`LinkStats`] and the sliding-window rate meter.
//! - [`rng`]: the seeded xoshiro256** generator.

pub mod loss;
pub mod model;
pub mod params;
pub mod red;
pub mod rng;
pub mod scheduler;
pub mod stats;
pub mod token_bucket;

#[cfg(test)]
mod qdisc_tests;
#[cfg(test)]
mod tests;

pub use model::{DropReason, Enqueue, LinkModel};
pub use params::{GilbertElliott, LinkParamError, LinkParams, LinkParamsMs};
pub use red::{DropPolicy, RedParams};
pub use scheduler::{FlowId, Scheduler};
pub use stats::LinkStats;
