//! Reliable streams at the boundary: one call per application action (`listen`, `connect`,
//! `write` of a whole chunk, `read` of up to `max` bytes, `close`, `abort`), events in the
//! node's `pollAll()` batch. Connections cross as opaque `u32` ids.
//!
//! Reads are pulled by the host (when its `ReadableStream` wants more) rather than pushed with
//! the events: bytes the application has not asked for stay in the core, where they count
//! against the receive window, so a slow reader slows the writer instead of filling JS memory.

use super::batch::{put_u16, put_u32};
use super::{js_error, micros, WasmNode};
use crate::stream::cc::Congestion;
use crate::stream::{ConnId, Event, Read, StreamConfig, StreamError};
use wasm_bindgen::prelude::*;

/// `what` of a stream event.
const CONNECTED: u8 = 1;
const ACCEPTED: u8 = 2;
const READABLE: u8 = 3;
const WRITABLE: u8 = 4;
const CLOSED: u8 = 5;
const ERROR: u8 = 6;

/// After the event tag: `{ u8 what, u32 conn, u16 listener (accepted; else 0), u16 len,
/// len bytes of "CODE|message" (errors; else none) }`.
pub(super) fn write_stream_event(out: &mut Vec<u8>, ev: &Event) {
    let (what, conn, listener, error) = match ev {
        Event::Connected(c) => (CONNECTED, *c, 0, None),
        Event::Accepted { listener, conn } => (ACCEPTED, *conn, *listener, None),
        Event::Readable(c) => (READABLE, *c, 0, None),
        Event::Writable(c) => (WRITABLE, *c, 0, None),
        Event::Closed(c) => (CLOSED, *c, 0, None),
        Event::Error { conn, error } => (ERROR, *conn, 0, Some(error)),
    };
    out.push(what);
    put_u32(out, conn.0);
    put_u16(out, listener);
    let text = error.map(coded).unwrap_or_default();
    // Messages are short; a (never expected) long one is cut rather than corrupt the batch.
    let bytes = &text.as_bytes()[..text.len().min(u16::MAX as usize)];
    put_u16(out, bytes.len() as u16);
    out.extend_from_slice(bytes);
}

fn coded(e: &StreamError) -> String {
    use crate::error::CoreError;
    format!("{}|{}", e.code().as_str(), e)
}

fn port(name: &str, v: u32) -> Result<u16, JsError> {
    u16::try_from(v).ok().filter(|&p| p != 0).ok_or_else(|| {
        JsError::new(&format!(
            "INVALID_ARGUMENT|{name} must be a port in 1..=65535, got {v}"
        ))
    })
}

#[wasm_bindgen]
impl WasmNode {
    /// Seeds initial sequence numbers from the host's CSPRNG (the node seeds from its id).
    #[wasm_bindgen(js_name = streamReseed)]
    pub fn stream_reseed(&mut self, hi: u32, lo: u32) {
        self.inner
            .stream_mut()
            .reseed((u64::from(hi) << 32) | u64::from(lo));
    }

    /// The node config's `[stream]` table, flat: send_buffer, recv_window, keepalive_ms,
    /// idle_timeout_ms, max_connections, backlog, congestion (0 model, 1 NewReno) (negative =
    /// default). CONFIG_INVALID names a
    /// bad combination (e.g. a keepalive not below the idle timeout).
    #[wasm_bindgen(js_name = streamConfigure)]
    pub fn stream_configure(&mut self, v: &[f64]) -> Result<(), JsError> {
        let d = StreamConfig::default();
        let at = |i: usize| v.get(i).copied().filter(|x| *x >= 0.0);
        let cfg = StreamConfig {
            send_buffer: at(0).map_or(d.send_buffer, |x| x as usize),
            recv_window: at(1).map_or(d.recv_window, |x| x as usize),
            keepalive_us: at(2).map_or(d.keepalive_us, |x| (x * 1000.0) as u64),
            idle_timeout_us: at(3).map_or(d.idle_timeout_us, |x| (x * 1000.0) as u64),
            max_connections: at(4).map_or(d.max_connections, |x| x as usize),
            backlog: at(5).map_or(d.backlog, |x| x as usize),
            congestion: match at(6) {
                Some(x) if x >= 1.0 => Congestion::NewReno,
                Some(_) => Congestion::Model,
                None => d.congestion,
            },
            ..d
        };
        self.inner.stream_mut().set_config(cfg).map_err(js_error)
    }

    /// Whether stream frames to `dst` have a route from here.
    #[wasm_bindgen(js_name = streamRouteKnown)]
    pub fn stream_route_known(&self, dst: u32) -> bool {
        self.inner.stream_route_known(dst)
    }

    #[wasm_bindgen(js_name = streamListen)]
    pub fn stream_listen(&mut self, port_no: u32) -> Result<(), JsError> {
        let p = port("port", port_no)?;
        self.inner.stream_mut().listen(p).map_err(js_error)
    }

    /// False when nothing listened there.
    #[wasm_bindgen(js_name = streamUnlisten)]
    pub fn stream_unlisten(&mut self, now_ms: f64, port_no: u32) -> bool {
        let Ok(p) = u16::try_from(port_no) else {
            return false;
        };
        self.inner.with_stream(micros(now_ms), |s, _| s.unlisten(p))
    }

    /// Opens a connection (`src_port` 0: an ephemeral port); returns its id. `Connected` or
    /// an error event follows.
    #[wasm_bindgen(js_name = streamConnect)]
    pub fn stream_connect(
        &mut self,
        now_ms: f64,
        dst_node: u32,
        dst_port: u32,
        src_port: u32,
    ) -> Result<u32, JsError> {
        let dp = port("dstPort", dst_port)?;
        let sp = if src_port == 0 {
            None
        } else {
            Some(port("srcPort", src_port)?)
        };
        self.inner
            .with_stream(micros(now_ms), |s, now| s.connect(now, dst_node, dp, sp))
            .map(|c| c.0)
            .map_err(js_error)
    }

    /// Buffers what fits; returns the bytes taken (fewer than given: wait for `Writable`).
    #[wasm_bindgen(js_name = streamWrite)]
    pub fn stream_write(&mut self, now_ms: f64, conn: u32, data: &[u8]) -> Result<u32, JsError> {
        self.inner
            .with_stream(micros(now_ms), |s, now| s.write(now, ConnId(conn), data))
            .map(|n| n as u32)
            .map_err(js_error)
    }

    /// Up to `max` bytes. An empty result means "nothing yet" (wait for `Readable`);
    /// `undefined` means the end of the stream. Reading opens the receive window, so the
    /// frames that announce it go out here.
    #[wasm_bindgen(js_name = streamRead)]
    pub fn stream_read(
        &mut self,
        now_ms: f64,
        conn: u32,
        max: u32,
    ) -> Result<Option<Vec<u8>>, JsError> {
        let r = self
            .inner
            .with_stream(micros(now_ms), |s, _| s.read(ConnId(conn), max as usize))
            .map_err(js_error)?;
        Ok(match r {
            Read::Data(d) => Some(d),
            Read::WouldBlock => Some(Vec::new()),
            Read::Eof => None,
        })
    }

    /// Half-close: a FIN follows the buffered data.
    #[wasm_bindgen(js_name = streamClose)]
    pub fn stream_close(&mut self, now_ms: f64, conn: u32) -> Result<(), JsError> {
        self.inner
            .with_stream(micros(now_ms), |s, now| s.close(now, ConnId(conn)))
            .map_err(js_error)
    }

    /// Drops the connection and resets the peer's.
    #[wasm_bindgen(js_name = streamAbort)]
    pub fn stream_abort(&mut self, now_ms: f64, conn: u32) -> Result<(), JsError> {
        self.inner
            .with_stream(micros(now_ms), |s, now| s.abort(now, ConnId(conn)))
            .map_err(js_error)
    }

    /// `[remote_node, remote_port, local_port, listener (0: opened here)]`.
    #[wasm_bindgen(js_name = streamInfo)]
    pub fn stream_info(&self, conn: u32) -> Result<Vec<f64>, JsError> {
        let i = self.inner.stream().info(ConnId(conn)).map_err(js_error)?;
        Ok(vec![
            f64::from(i.remote_node),
            f64::from(i.remote_port),
            f64::from(i.local_port),
            f64::from(i.listener.unwrap_or(0)),
        ])
    }

    /// `[rtt_us (-1: not measured yet), cwnd_bytes, bytes_sent, bytes_received, retransmits,
    /// bytes_in_flight, timeouts]`.
    #[wasm_bindgen(js_name = streamStats)]
    pub fn stream_stats(&self, conn: u32) -> Result<Vec<f64>, JsError> {
        let s = self.inner.stream().stats(ConnId(conn)).map_err(js_error)?;
        Ok(vec![
            s.rtt_us.map_or(-1.0, |r| r as f64),
            s.cwnd_bytes as f64,
            s.bytes_sent as f64,
            s.bytes_received as f64,
            s.retransmits as f64,
            s.bytes_in_flight as f64,
            s.timeouts as f64,
        ])
    }

    /// `[connections, malformed, rst_sent, refused_full, stray_rst, mss]`.
    #[wasm_bindgen(js_name = streamEndpointStats)]
    pub fn stream_endpoint_stats(&self) -> Vec<f64> {
        let e = self.inner.stream();
        let s = e.endpoint_stats();
        vec![
            e.connections() as f64,
            s.malformed as f64,
            s.rst_sent as f64,
            s.refused_full as f64,
            s.stray_rst as f64,
            e.mss() as f64,
        ]
    }
}
