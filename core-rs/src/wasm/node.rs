//! `WasmNode`: the node engine for the TypeScript host. See `crate::node` for the drive loop.

use super::batch::{put_u16, put_u32, split};
use super::link::link_params;
use super::{js_error, micros};
use crate::auth::KEY_LEN;
use crate::link::scheduler::MAX_FLOW_WEIGHT;
use crate::lossless::{
    Congestion, DataBucket, Dest, Event as LosslessEvent, LosslessConfig, Outcome, Ports,
    ReceiverState, SessionId,
};
use crate::node::{DropReason, Event, GroupSendArgs, Node, NodeConfig, OperatingMode, SendArgs};
use crate::topology::{MulticastTable, RouteTable};
use std::sync::Arc;
use wasm_bindgen::prelude::*;

/// Event type tags in the events part of `pollAll()` output.
const EVENT_DELIVERY: u8 = 1;
/// `{ u8 2, u8 what (1 progress, 2 completed, 3 failed), u32 session }`.
const EVENT_SESSION: u8 = 2;
/// A stream event; format at `super::stream::write_stream_event`.
const EVENT_STREAM: u8 = 3;

/// `[lossless_runtime_config]` as a Float64Array: default_chunk_size, ready_grace_ms,
/// fec_enabled (0/1), fec_default_symbols_per_block, data_bucket rate (< 0: none),
/// data_bucket bucket_size, unreachable_timeout_ms, idle_timeout_ms,
/// fec_symbols_per_block_min, _max, fec_symbol_size_min, _max. Negative = default.
fn lossless_config(v: &[f64]) -> LosslessConfig {
    let d = LosslessConfig::default();
    let at = |i: usize| v.get(i).copied().unwrap_or(-1.0);
    let or = |i: usize, dflt: f64| if at(i) >= 0.0 { at(i) } else { dflt };
    LosslessConfig {
        default_chunk_size: or(0, f64::from(d.default_chunk_size)) as u32,
        ready_grace_ms: or(1, d.ready_grace_ms as f64) as u64,
        fec_enabled: if at(2) >= 0.0 {
            at(2) > 0.0
        } else {
            d.fec_enabled
        },
        fec_default_symbols_per_block: or(3, f64::from(d.fec_default_symbols_per_block)) as u16,
        data_bucket: (at(4) >= 0.0).then(|| DataBucket {
            rate: at(4) as u64,
            bucket_size: or(5, 65_536.0) as u64,
        }),
        unreachable_timeout_ms: or(6, d.unreachable_timeout_ms as f64) as u64,
        idle_timeout_ms: or(7, d.idle_timeout_ms as f64) as u64,
        fec_symbols_per_block_bounds: (
            or(8, f64::from(d.fec_symbols_per_block_bounds.0)) as u16,
            or(9, f64::from(d.fec_symbols_per_block_bounds.1)) as u16,
        ),
        fec_symbol_size_bounds: (
            or(10, f64::from(d.fec_symbol_size_bounds.0)) as u32,
            or(11, f64::from(d.fec_symbol_size_bounds.1)) as u32,
        ),
        ..d
    }
}

fn dest(group: bool, id: u32) -> Dest {
    if group {
        Dest::Group(id)
    } else {
        Dest::Node(id)
    }
}

/// A session's end as a stable string: "" while running, else `completed`, `timeout`,
/// `cancelled`, `receiver_unreachable:<ids comma-separated>`, `receiver_aborted:<ids>`,
/// `size_mismatch:<expected>:<announced>`, `checksum_mismatch:<expected>:<computed>`.
fn outcome_string(o: Option<Outcome>) -> String {
    match o {
        None => String::new(),
        Some(Outcome::Completed) => "completed".into(),
        Some(Outcome::Timeout) => "timeout".into(),
        Some(Outcome::Cancelled) => "cancelled".into(),
        Some(Outcome::ReceiverUnreachable(ids)) => {
            let ids: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
            format!("receiver_unreachable:{}", ids.join(","))
        }
        Some(Outcome::ReceiverAborted(ids)) => {
            let ids: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
            format!("receiver_aborted:{}", ids.join(","))
        }
        Some(Outcome::SizeMismatch {
            expected,
            announced,
        }) => format!("size_mismatch:{expected}:{announced}"),
        Some(Outcome::ChecksumMismatch { expected, computed }) => {
            format!("checksum_mismatch:{expected}:{computed}")
        }
    }
}

#[wasm_bindgen]
pub struct WasmNode {
    pub(super) inner: Node,
}

#[wasm_bindgen]
impl WasmNode {
    #[wasm_bindgen(constructor)]
    pub fn new(
        node_id: u32,
        mtu: u32,
        max_payload_bytes: u32,
        queue_capacity: u32,
        max_mode: bool,
        reassembly_timeout_ms: f64,
        lossless: &[f64],
    ) -> Result<WasmNode, JsError> {
        let cfg = NodeConfig {
            node_id,
            mtu: mtu as usize,
            max_payload_bytes: max_payload_bytes as usize,
            queue_capacity: queue_capacity as usize,
            operating_mode: if max_mode {
                OperatingMode::Max
            } else {
                OperatingMode::Normal
            },
            reassembly_timeout_us: micros(reassembly_timeout_ms),
            lossless: lossless_config(lossless),
        };
        Node::new(cfg)
            .map(|inner| WasmNode { inner })
            .map_err(js_error)
    }

    /// Installs a route table encoded by the controller's core.
    #[wasm_bindgen(js_name = installRoutes)]
    pub fn install_routes(&mut self, encoded: &[u8]) -> Result<(), JsError> {
        let table = RouteTable::decode(encoded).map_err(js_error)?;
        self.inner.set_routes(table);
        Ok(())
    }

    /// Installs this node's multicast table, encoded by the controller's core.
    #[wasm_bindgen(js_name = installMulticast)]
    pub fn install_multicast(&mut self, encoded: &[u8]) -> Result<(), JsError> {
        let table = MulticastTable::decode(encoded).map_err(js_error)?;
        self.inner.set_multicast(table);
        Ok(())
    }

    /// Entries this node holds for `group` (one per tree).
    #[wasm_bindgen(js_name = groupRouteCount)]
    pub fn group_route_count(&self, group: u32) -> u32 {
        self.inner.group_route_count(group) as u32
    }

    /// True when local delivery of `group` is installed here.
    #[wasm_bindgen(js_name = isLocalMember)]
    pub fn is_local_member(&self, group: u32) -> bool {
        self.inner.is_local_member(group)
    }

    /// Sends one message to a group along its tree (`tree` < 0: chosen per flow).
    #[wasm_bindgen(js_name = sendGroup)]
    pub fn send_group(
        &mut self,
        now_ms: f64,
        group: u32,
        tree: i32,
        src_port: u16,
        dst_port: u16,
        payload: &[u8],
    ) -> Result<u32, JsError> {
        let tree = u16::try_from(tree).ok();
        self.inner
            .send_group(
                micros(now_ms),
                GroupSendArgs {
                    group,
                    tree,
                    src_port,
                    dst_port,
                    payload,
                },
            )
            .map_err(js_error)
    }

    /// Starts a lossless send to a group (`group`) or one node; returns the session id.
    /// `chunk_size` 0 = the configured default. `session_id` is the wire session id, drawn by
    /// the host from its CSPRNG (non-zero; INVALID_ARGUMENT if a sender here already uses it).
    /// `congestion`: 0 rate, 1 loss, 2 off (see `lossless::Congestion`).
    #[wasm_bindgen(js_name = openSender)]
    #[allow(clippy::too_many_arguments)]
    pub fn open_sender(
        &mut self,
        now_ms: f64,
        session_id: u32,
        group: bool,
        dst: u32,
        receivers: &[u32],
        data: Vec<u8>,
        chunk_size: u32,
        src_port: u16,
        dst_port: u16,
        congestion: u8,
    ) -> Result<u32, JsError> {
        let chunk = (chunk_size > 0).then_some(chunk_size);
        let Some(congestion) = Congestion::from_code(congestion) else {
            return Err(JsError::new(&format!(
                "INVALID_ARGUMENT|congestion code {congestion} is not 0 (rate), 1 (loss) or 2 (off)"
            )));
        };
        self.inner
            .open_sender_with_id(
                micros(now_ms),
                session_id,
                dest(group, dst),
                receivers.to_vec(),
                Arc::new(data),
                chunk,
                Ports {
                    src: src_port,
                    dst: dst_port,
                },
                congestion,
            )
            .map(|id| id.0)
            .map_err(js_error)
    }

    /// A sender session's `[congestion code, pacing rate in bytes/s (-1 = unpaced), chunk
    /// size, symbols per block, fec (0/1)]` (the last three from its manifest); empty for a
    /// receiver session. UNKNOWN_SESSION for an id this node never issued.
    #[wasm_bindgen(js_name = senderSetup)]
    pub fn sender_setup(&self, id: u32) -> Result<Vec<f64>, JsError> {
        let ep = self.inner.lossless();
        ep.progress(SessionId(id)).map_err(js_error)?;
        let (Some((mode, rate)), Some(m)) = (
            ep.sender_pacing(SessionId(id)),
            ep.sender_manifest(SessionId(id)),
        ) else {
            return Ok(Vec::new());
        };
        let rate = if rate == u64::MAX { -1.0 } else { rate as f64 };
        Ok(vec![
            f64::from(mode.code()),
            rate,
            f64::from(m.chunk_size),
            f64::from(m.symbols_per_block),
            f64::from(u8::from(m.fec)),
        ])
    }

    /// Starts a lossless receive of exactly `expected_bytes` from `source`.
    #[wasm_bindgen(js_name = openReceiver)]
    #[allow(clippy::too_many_arguments)]
    pub fn open_receiver(
        &mut self,
        now_ms: f64,
        source: u32,
        group: bool,
        dst: u32,
        expected_bytes: f64,
        chunk_size: u32,
        src_port: u16,
        dst_port: u16,
    ) -> Result<u32, JsError> {
        let chunk = (chunk_size > 0).then_some(chunk_size);
        if !(expected_bytes.is_finite() && expected_bytes >= 0.0) {
            return Err(JsError::new(
                "INVALID_ARGUMENT|expectedBytes must be a whole number >= 1",
            ));
        }
        self.inner
            .open_receiver(
                micros(now_ms),
                source,
                dest(group, dst),
                expected_bytes as u64,
                chunk,
                Ports {
                    src: src_port,
                    dst: dst_port,
                },
            )
            .map(|id| id.0)
            .map_err(js_error)
    }

    /// `[bytes_total, bytes_done, receivers_done, retransmitted, repair_symbols, data_frames,
    /// bytes_sent]`,
    /// then for a sender three numbers per listed receiver: node id, bytes done, state (0
    /// active, 1 completed, 2 unreachable, 3 checksum_mismatch, 4 size_mismatch, 5 cancelled,
    /// 6 timeout).
    #[wasm_bindgen(js_name = sessionProgress)]
    pub fn session_progress(&self, id: u32) -> Result<Vec<f64>, JsError> {
        let ep = self.inner.lossless();
        let p = ep.progress(SessionId(id)).map_err(js_error)?;
        let mut v = vec![
            p.bytes_total as f64,
            p.bytes_done as f64,
            f64::from(p.receivers_done),
            p.retransmitted as f64,
            p.repair_symbols as f64,
            p.data_frames as f64,
            p.bytes_sent as f64,
        ];
        for r in ep.receiver_progress(SessionId(id)).map_err(js_error)? {
            let state = match r.state {
                ReceiverState::Active => 0.0,
                ReceiverState::Completed => 1.0,
                ReceiverState::Unreachable => 2.0,
                ReceiverState::ChecksumMismatch { .. } => 3.0,
                ReceiverState::SizeMismatch { .. } => 4.0,
                ReceiverState::Cancelled => 5.0,
                ReceiverState::Timeout => 6.0,
            };
            v.extend([f64::from(r.node), r.bytes_done as f64, state]);
        }
        Ok(v)
    }

    /// How the session ended ("" while it runs); see `outcome_string`.
    #[wasm_bindgen(js_name = sessionOutcome)]
    pub fn session_outcome(&self, id: u32) -> Result<String, JsError> {
        self.inner
            .lossless()
            .progress(SessionId(id))
            .map_err(js_error)?;
        Ok(outcome_string(self.inner.lossless().outcome(SessionId(id))))
    }

    #[wasm_bindgen(js_name = cancelSession)]
    pub fn cancel_session(&mut self, now_ms: f64, id: u32) -> Result<(), JsError> {
        self.inner
            .cancel_session(micros(now_ms), SessionId(id))
            .map_err(js_error)
    }

    /// A completed receiver's bytes (moved out: a second call fails).
    #[wasm_bindgen(js_name = takeSessionData)]
    pub fn take_session_data(&mut self, id: u32) -> Result<Vec<u8>, JsError> {
        self.inner
            .take_session_data(SessionId(id))
            .map_err(js_error)
    }

    /// Nodes whose data addresses the host knows.
    #[wasm_bindgen(js_name = setPeers)]
    pub fn set_peers(&mut self, peers: &[u32]) {
        self.inner.set_peers(peers.iter().copied());
    }

    #[wasm_bindgen(js_name = setMaxMode)]
    pub fn set_max_mode(&mut self, max_mode: bool) {
        self.inner.set_operating_mode(if max_mode {
            OperatingMode::Max
        } else {
            OperatingMode::Normal
        });
    }

    /// Installs or changes the emulation of the link towards `neighbor` (see `link.rs` for
    /// the parameter layout). Queued packets are kept.
    #[wasm_bindgen(js_name = setLink)]
    pub fn set_link(&mut self, now_ms: f64, neighbor: u32, params: &[f64]) -> Result<(), JsError> {
        let p = link_params(params).map_err(js_error)?;
        self.inner
            .set_link(micros(now_ms), neighbor, Some(p))
            .map_err(js_error)
    }

    /// Removes the emulation towards `neighbor`; its queued packets leave at once.
    #[wasm_bindgen(js_name = clearLink)]
    pub fn clear_link(&mut self, now_ms: f64, neighbor: u32) -> Result<(), JsError> {
        self.inner
            .set_link(micros(now_ms), neighbor, None)
            .map_err(js_error)
    }

    /// WRR flow weights, as `(src, dst, weight)` triples; weight 1 restores the default.
    /// Checked whole before any is applied, so a bad triple changes nothing.
    #[wasm_bindgen(js_name = setFlowWeights)]
    pub fn set_flow_weights(&mut self, triples: &[f64]) -> Result<(), JsError> {
        if triples.len() % 3 != 0 {
            return Err(JsError::new(&format!(
                "INVALID_ARGUMENT|flow weights must be (src, dst, weight) triples, got {} values",
                triples.len()
            )));
        }
        let as_u32 = |v: f64| {
            (v.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&v)).then_some(v as u32)
        };
        let mut parsed = Vec::with_capacity(triples.len() / 3);
        for t in triples.chunks_exact(3) {
            match (as_u32(t[0]), as_u32(t[1]), as_u32(t[2])) {
                (Some(src), Some(dst), Some(w)) if (1..=MAX_FLOW_WEIGHT).contains(&w) => parsed.push((src, dst, w)),
                _ => {
                    return Err(JsError::new(&format!(
                        "INVALID_ARGUMENT|flow_weight of flow {} -> {} must be an integer within 1..={MAX_FLOW_WEIGHT} (src and dst node ids), got {}",
                        t[0], t[1], t[2]
                    )))
                }
            }
        }
        for (src, dst, w) in parsed {
            self.inner.set_flow_weight(src, dst, w).map_err(js_error)?;
        }
        Ok(())
    }

    /// Per-link counters, 10 values per emulated link: neighbor, bytes_sent, packets_sent,
    /// drops_loss, drops_queue, queue_depth, in_flight, measured_rate (bytes/s), drops_red,
    /// flow_overflow.
    #[wasm_bindgen(js_name = linkStats)]
    pub fn link_stats(&self) -> Vec<f64> {
        self.inner
            .link_stats()
            .flat_map(|(n, s)| {
                [
                    n as f64,
                    s.bytes_sent as f64,
                    s.packets_sent as f64,
                    s.drops_loss as f64,
                    s.drops_queue as f64,
                    s.queue_depth as f64,
                    s.in_flight as f64,
                    s.measured_rate_bps as f64,
                    s.drops_red as f64,
                    s.flow_overflow as f64,
                ]
            })
            .collect()
    }

    /// Sends one message; returns its message id.
    pub fn send(
        &mut self,
        now_ms: f64,
        dst_node: u32,
        src_port: u16,
        dst_port: u16,
        payload: &[u8],
    ) -> Result<u32, JsError> {
        self.inner
            .send(
                micros(now_ms),
                SendArgs {
                    dst_node,
                    src_port,
                    dst_port,
                    payload,
                },
            )
            .map_err(js_error)
    }

    /// Feeds a batch of datagrams received from links, each with its link-level sender (see
    /// `batch` for the format).
    #[wasm_bindgen(js_name = handleDatagrams)]
    pub fn handle_datagrams(&mut self, now_ms: f64, batch: &[u8]) -> Result<(), JsError> {
        let now = micros(now_ms);
        let items = split(batch)
            .collect::<Result<Vec<_>, _>>()
            .map_err(js_error)?;
        self.inner.handle_datagram_batch(now, items);
        Ok(())
    }

    /// The nodes this node takes any datagram from (topology neighbours; max mode: all peers).
    #[wasm_bindgen(js_name = setNeighbors)]
    pub fn set_neighbors(&mut self, ids: &[u32]) {
        self.inner.set_neighbors(ids.iter().copied());
    }

    /// Per-hop authentication on or off (CONFIG_INVALID when the MTU leaves no room).
    #[wasm_bindgen(js_name = setAuth)]
    pub fn set_auth(&mut self, on: bool) -> Result<(), JsError> {
        self.inner.set_auth(on).map_err(js_error)
    }

    /// Link keys, repeated `{ u32 neighbor, 32 bytes key }`; each makes that neighbour's key
    /// before it the previous one.
    #[wasm_bindgen(js_name = setLinkKeys)]
    pub fn set_link_keys(&mut self, entries: &[u8]) -> Result<(), JsError> {
        const ENTRY: usize = 4 + KEY_LEN;
        if entries.len() % ENTRY != 0 {
            return Err(JsError::new(&format!(
                "INVALID_ARGUMENT|link keys must be {ENTRY}-byte entries, got {} bytes",
                entries.len()
            )));
        }
        for e in entries.chunks_exact(ENTRY) {
            let neighbor = u32::from_be_bytes([e[0], e[1], e[2], e[3]]);
            let mut key = [0u8; KEY_LEN];
            key.copy_from_slice(&e[4..]);
            self.inner.set_link_key(neighbor, key);
        }
        Ok(())
    }

    #[wasm_bindgen(js_name = handleTimeout)]
    pub fn handle_timeout(&mut self, now_ms: f64) {
        self.inner.handle_timeout(micros(now_ms));
    }

    /// Everything the host must do after a call, in one crossing: `{ f64 deadline_ms (-1 =
    /// none), u32 transmit_bytes, transmits, events }` (formats at `write_transmits` and
    /// `write_events`).
    #[wasm_bindgen(js_name = pollAll)]
    pub fn poll_all(&mut self) -> Vec<u8> {
        let mut out = vec![0u8; 12];
        self.write_transmits(&mut out);
        let tx_len = (out.len() - 12) as u32;
        self.write_events(&mut out);
        // The deadline after draining: events never move it, transmits may have.
        out[0..8].copy_from_slice(&self.deadline_ms().to_be_bytes());
        out[8..12].copy_from_slice(&tx_len.to_be_bytes());
        out
    }
}

impl WasmNode {
    /// Next deadline in host milliseconds, or -1 when no timer is needed.
    fn deadline_ms(&self) -> f64 {
        self.inner
            .poll_timeout()
            .map_or(-1.0, |us| us as f64 / 1000.0)
    }

    /// All queued transmits: repeated `{ u32 next_hop, u32 len, bytes }`.
    fn write_transmits(&mut self, out: &mut Vec<u8>) {
        while let Some(t) = self.inner.poll_transmit() {
            put_u32(out, t.next_hop);
            put_u32(out, t.datagram.len() as u32);
            out.extend_from_slice(&t.datagram);
        }
    }

    /// All queued events. A delivery is `{ u8 1, u8 kind, u32 src, u32 dst, u16 src_port,
    /// u16 dst_port, u32 message_id, u32 total_len, u32 frag_count, u16 tree_id, u32 len,
    /// bytes }`; a session event `{ u8 2, u8 what, u32 session }`.
    fn write_events(&mut self, out: &mut Vec<u8>) {
        while let Some(ev) = self.inner.poll_event() {
            match ev {
                Event::Lossless(ev) => {
                    let (what, id) = match ev {
                        LosslessEvent::Progress { id, .. } => (1u8, id),
                        LosslessEvent::Completed { id } => (2, id),
                        LosslessEvent::Failed { id, .. } => (3, id),
                    };
                    out.push(EVENT_SESSION);
                    out.push(what);
                    put_u32(out, id.0);
                }
                Event::Delivery(d) => {
                    out.push(EVENT_DELIVERY);
                    out.push(d.kind as u8);
                    put_u32(out, d.src_node);
                    put_u32(out, d.dst);
                    put_u16(out, d.src_port);
                    put_u16(out, d.dst_port);
                    put_u32(out, d.message_id);
                    put_u32(out, d.total_len);
                    put_u32(out, d.frag_count);
                    put_u16(out, d.tree_id);
                    put_u32(out, d.payload.len() as u32);
                    out.extend_from_slice(&d.payload);
                }
            }
        }
        while let Some(ev) = self.inner.stream_mut().poll_event() {
            out.push(EVENT_STREAM);
            super::stream::write_stream_event(out, &ev);
        }
    }
}

#[wasm_bindgen]
impl WasmNode {
    /// Counter values in the order of `statNames()`.
    pub fn stats(&self) -> Vec<f64> {
        let s = self.inner.stats();
        let mut v = vec![
            s.messages_sent as f64,
            s.packets_sent as f64,
            s.packets_received as f64,
            s.packets_forwarded as f64,
            s.messages_delivered as f64,
            s.bytes_delivered as f64,
            self.inner.queued() as f64,
        ];
        v.extend(DropReason::ALL.iter().map(|r| s.drops(*r) as f64));
        v
    }

    /// Names for `stats()`; drop reasons are prefixed `drop.`.
    #[wasm_bindgen(js_name = statNames)]
    pub fn stat_names() -> Vec<String> {
        let mut v: Vec<String> = [
            "messagesSent",
            "packetsSent",
            "packetsReceived",
            "packetsForwarded",
            "messagesDelivered",
            "bytesDelivered",
            "queued",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v.extend(DropReason::ALL.iter().map(|r| format!("drop.{}", r.name())));
        v
    }
}
