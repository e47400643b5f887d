//! The wasm-bindgen boundary. Rules kept here:
//! - few, coarse calls; bytes cross as `Uint8Array` (`&[u8]` in, `Vec<u8>` out);
//! - every typed core error is converted exactly once, by [`js_error`], into an `Error` whose
//!   message is `"<CODE>|<readable message>"`; the TypeScript boundary turns that into a
//!   `NextminiError` with `code` set;
//! - nothing here calls into JS while core state is being mutated (events are queued in the
//!   core and drained by the host after the call returns).

use crate::error::CoreError;
use crate::wire::{Header, PacketKind, HEADER_LEN};
use wasm_bindgen::prelude::*;

/// Converts a typed core error into the boundary's error format.
pub fn js_error<E: CoreError>(e: E) -> JsError {
    JsError::new(&format!("{}|{}", e.code().as_str(), e))
}

/// A decoded dataplane header, as plain fields for JS.
#[wasm_bindgen]
#[derive(Clone, Copy)]
pub struct WireHeader {
    pub kind: u8,
    #[wasm_bindgen(js_name = hopLimit)]
    pub hop_limit: u8,
    #[wasm_bindgen(js_name = srcNode)]
    pub src_node: u32,
    pub dst: u32,
    #[wasm_bindgen(js_name = srcPort)]
    pub src_port: u16,
    #[wasm_bindgen(js_name = dstPort)]
    pub dst_port: u16,
    #[wasm_bindgen(js_name = messageId)]
    pub message_id: u32,
    #[wasm_bindgen(js_name = fragIndex)]
    pub frag_index: u32,
    #[wasm_bindgen(js_name = fragCount)]
    pub frag_count: u32,
    #[wasm_bindgen(js_name = totalLen)]
    pub total_len: u32,
    #[wasm_bindgen(js_name = sessionId)]
    pub session_id: u32,
    #[wasm_bindgen(js_name = treeId)]
    pub tree_id: u16,
    #[wasm_bindgen(js_name = payloadLen)]
    pub payload_len: u16,
}

impl From<Header> for WireHeader {
    fn from(h: Header) -> Self {
        WireHeader {
            kind: h.kind as u8,
            hop_limit: h.hop_limit,
            src_node: h.src_node,
            dst: h.dst,
            src_port: h.src_port,
            dst_port: h.dst_port,
            message_id: h.message_id,
            frag_index: h.frag_index,
            frag_count: h.frag_count,
            total_len: h.total_len,
            session_id: h.session_id,
            tree_id: h.tree_id,
            payload_len: h.payload_len,
        }
    }
}

/// Size of the dataplane header in bytes.
#[wasm_bindgen(js_name = wireHeaderLen)]
pub fn wire_header_len() -> usize {
    HEADER_LEN
}

/// Wire protocol version this core speaks.
#[wasm_bindgen(js_name = wireVersion)]
pub fn wire_version() -> u8 {
    crate::wire::VERSION
}

/// Encodes a datagram (header + payload); `payload_len` and, for a single fragment,
/// `total_len` are taken from the payload. Fails on an unknown kind.
#[wasm_bindgen(js_name = encodeDatagram)]
pub fn encode_datagram(h: &WireHeader, payload: &[u8]) -> Result<Vec<u8>, JsError> {
    let kind = PacketKind::from_u8(h.kind)
        .ok_or_else(|| js_error(crate::wire::WireError::BadKind { found: h.kind }))?;
    let payload_len = u16::try_from(payload.len()).map_err(|_| {
        js_error(crate::wire::WireError::BadLength {
            payload_len: u16::MAX,
            available: payload.len(),
            total_len: h.total_len,
        })
    })?;
    let header = Header {
        kind,
        hop_limit: h.hop_limit,
        src_node: h.src_node,
        dst: h.dst,
        src_port: h.src_port,
        dst_port: h.dst_port,
        message_id: h.message_id,
        frag_index: h.frag_index,
        frag_count: h.frag_count.max(1),
        total_len: if h.frag_count <= 1 {
            u32::from(payload_len)
        } else {
            h.total_len
        },
        session_id: h.session_id,
        tree_id: h.tree_id,
        payload_len,
    };
    // Validate by decoding what we built: one source of truth for consistency rules.
    let dg = header.datagram(payload);
    Header::decode(&dg).map_err(js_error)?;
    Ok(dg)
}

/// Decodes and validates a datagram's header.
#[wasm_bindgen(js_name = decodeHeader)]
pub fn decode_header(datagram: &[u8]) -> Result<WireHeader, JsError> {
    Header::decode(datagram)
        .map(WireHeader::from)
        .map_err(js_error)
}
