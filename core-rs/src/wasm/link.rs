//! Link parameters across the boundary as one `Float64Array`, so the host passes a whole
//! parameter set in one call. Layout (index: meaning; a negative value means "not set"):
//! 0 rate (bytes/s), 1 bucket_size, 2 delay_ms, 3 jitter_ms, 4 reorder (0/1), 5 loss,
//! 6 p_good_to_bad, 7 p_bad_to_good, 8 loss_in_bad, 9 queue_limit_packets, 10 seed,
//! 11 scheduler (0 fifo, 1 wrr), 12 drop (0 tail, 1 red), 13 min_th, 14 max_th, 15 max_p
//! (13–15 only read with red; unset ones take RED's defaults, see `link::red`).

use super::js_error;
use crate::link::{
    DropPolicy, GilbertElliott, LinkParamError, LinkParams, LinkParamsMs, RedParams, Scheduler,
};
use wasm_bindgen::prelude::*;

pub const LINK_PARAMS_LEN: usize = 16;

pub fn link_params(v: &[f64]) -> Result<LinkParams, LinkParamError> {
    let at = |i: usize| v.get(i).copied().unwrap_or(-1.0);
    let opt = |i: usize| (at(i) >= 0.0).then(|| at(i));
    let ms = LinkParamsMs {
        rate: opt(0).map(|r| r as u64),
        bucket_size: opt(1).map_or(0, |b| b as u64),
        delay_ms: opt(2).unwrap_or(0.0),
        jitter_ms: opt(3).unwrap_or(0.0),
        reorder: at(4) > 0.0,
        loss: opt(5).unwrap_or(0.0),
        loss_burst: opt(6).map(|p_good_to_bad| GilbertElliott {
            p_good_to_bad,
            p_bad_to_good: at(7),
            loss_in_bad: at(8),
        }),
        queue_limit_packets: opt(9).map(|q| q as usize),
        seed: opt(10).map_or(0, |s| s as u64),
        scheduler: if at(11) > 0.0 {
            Scheduler::Wrr
        } else {
            Scheduler::Fifo
        },
        drop: DropPolicy::Tail,
    };
    let ms = LinkParamsMs {
        drop: if at(12) > 0.0 {
            DropPolicy::Red(RedParams::with_defaults(
                opt(13).map(|v| v.min(f64::from(u32::MAX)) as u32),
                opt(14).map(|v| v.min(f64::from(u32::MAX)) as u32),
                opt(15),
                ms.queue_limit_packets,
            ))
        } else {
            DropPolicy::Tail
        },
        ..ms
    };
    LinkParams::from_ms(&ms)
}

/// Validates a parameter set with the core's rules; the error names the offending key.
#[wasm_bindgen(js_name = validateLinkParams)]
pub fn validate_link_params(params: &[f64]) -> Result<(), JsError> {
    if params.len() != LINK_PARAMS_LEN {
        return Err(JsError::new(&format!(
            "INVALID_ARGUMENT|link parameters need {LINK_PARAMS_LEN} values"
        )));
    }
    link_params(params).map(|_| ()).map_err(js_error)
}
