//! Micro-benchmark loops over the core's hot paths, for `bench/` (scenario 4).
//!
//! The core never reads a clock, so every loop here runs a fixed number of iterations and
//! returns a checksum derived from the work (so the optimiser cannot drop it); the host
//! times one coarse call from outside. The same functions are timed natively by
//! `examples/corebench.rs` with `std::time::Instant`, so wasm and native run identical code.
//!
//! Nothing here is used by the dataplane itself.

use crate::frag::{fragment, Reassembler, ReassemblyConfig};
use crate::topology::{FlowKey, RouteTable};
use crate::wire::{Header, PacketKind, HEADER_LEN};
use raptorq::{
    EncodingPacket, ObjectTransmissionInformation, PayloadId, SourceBlockDecoder,
    SourceBlockEncoder, SourceBlockEncodingPlan,
};
use std::hint::black_box;
use wasm_bindgen::prelude::*;

/// Header encode + decode, `iterations` times, with fields that change every iteration.
pub fn header_loop(iterations: u32) -> u32 {
    let mut buf = [0u8; HEADER_LEN + 8];
    let mut acc = 0u32;
    for i in 0..iterations {
        let h = Header {
            kind: PacketKind::Unicast,
            hop_limit: 32,
            src_node: i & 0xff,
            dst: (i >> 3) | 1,
            src_port: i as u16,
            dst_port: 8888,
            message_id: i,
            frag_index: 0,
            frag_count: 1,
            total_len: 8,
            session_id: 0,
            tree_id: 0,
            payload_len: 8,
        };
        // black_box: keeps the optimiser from folding encode-then-decode into nothing.
        if black_box(&h).encode_into(black_box(&mut buf)).is_err() {
            return 0;
        }
        match Header::decode(black_box(&buf)) {
            Ok(d) => acc = acc.wrapping_mul(31).wrapping_add(d.message_id ^ d.dst),
            Err(_) => return 0,
        }
    }
    acc | 1
}

/// A route table of `destinations` destinations, each with `ecmp` equal-cost next hops.
pub fn route_table(destinations: u32, ecmp: u32) -> RouteTable {
    let mut t = RouteTable::new();
    for d in 1..=destinations {
        let hops = (0..ecmp).map(|j| 1 + (d + j * 7) % 64);
        let _ = t.set(None, d, hops);
    }
    t
}

/// Route lookup with consistent-hash (rendezvous) selection among ECMP next hops.
pub fn route_loop(table: &RouteTable, destinations: u32, iterations: u32) -> u32 {
    let mut acc = 0u32;
    for i in 0..iterations {
        let flow = FlowKey::new(
            1000 + (i & 7),
            1 + i % destinations,
            i as u16,
            (i >> 16) as u16,
        );
        match table.select(black_box(&flow)) {
            Some(h) => acc = acc.wrapping_mul(31).wrapping_add(h),
            None => return 0,
        }
    }
    acc | 1
}

/// The datagrams of one message of `message_bytes` at `mtu`, headers pre-decoded.
pub fn message_fragments(message_bytes: u32, mtu: u32) -> Vec<(Header, Vec<u8>)> {
    let payload: Vec<u8> = (0..message_bytes).map(|i| (i * 31 + 7) as u8).collect();
    let template = Header {
        kind: PacketKind::Unicast,
        hop_limit: 32,
        src_node: 1,
        dst: 2,
        src_port: 45535,
        dst_port: 8888,
        message_id: 0,
        frag_index: 0,
        frag_count: 1,
        total_len: 0,
        session_id: 0,
        tree_id: 0,
        payload_len: 0,
    };
    match fragment(&template, &payload, mtu as usize, usize::MAX) {
        Ok(frags) => frags
            .filter_map(|d| {
                Header::decode(&d)
                    .ok()
                    .map(|h| (h, d[HEADER_LEN..].to_vec()))
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Reassembles `messages` messages from `frags` (one message's fragments, message id
/// rewritten per message). Returns a checksum; 0 if a message did not complete.
pub fn reassembly_loop(frags: &[(Header, Vec<u8>)], messages: u32) -> u32 {
    let Ok(mut r) = Reassembler::new(ReassemblyConfig::default()) else {
        return 0;
    };
    let mut acc = 0u32;
    for m in 0..messages {
        let mut done = false;
        for (h, piece) in frags {
            let mut h = *h;
            h.message_id = m + 1;
            match r.handle(u64::from(m), &h, piece) {
                Ok(Some(msg)) => {
                    acc = acc.wrapping_mul(31).wrapping_add(
                        msg.data.len() as u32 ^ u32::from(msg.data[msg.data.len() / 2]),
                    );
                    done = true;
                }
                Ok(None) => {}
                Err(_) => return 0,
            }
        }
        if !done {
            return 0;
        }
    }
    acc | 1
}

/// One source block of `block.len() / symbol_size` symbols (no sub-blocks), as our
/// lossless sessions configure it.
pub fn block_oti(block_len: usize, symbol_size: u16) -> ObjectTransmissionInformation {
    ObjectTransmissionInformation::new(block_len as u64, symbol_size, 1, 1, 1)
}

/// The encoding plan for a block of `k` symbols (depends on K only).
pub fn encoding_plan(k: u16) -> SourceBlockEncodingPlan {
    SourceBlockEncodingPlan::generate(k)
}

/// Builds the block's encoder (with `plan`) and makes `repair` repair symbols,
/// `iterations` times. `block.len()` must be a multiple of `symbol_size`.
pub fn raptorq_encode_loop(
    block: &[u8],
    symbol_size: u16,
    repair: u32,
    iterations: u32,
    plan: &SourceBlockEncodingPlan,
) -> u32 {
    let oti = block_oti(block.len(), symbol_size);
    let mut acc = 0u32;
    for i in 0..iterations {
        let enc = SourceBlockEncoder::with_encoding_plan(0, &oti, block, plan);
        for p in enc.repair_packets(i % 4, repair) {
            let d = p.data();
            acc = acc
                .wrapping_mul(31)
                .wrapping_add(u32::from(d[0]) ^ u32::from(d[d.len() - 1]));
        }
    }
    acc | 1
}

/// Repair symbols `first..first + count` of the block, concatenated.
pub fn raptorq_repair(block: &[u8], symbol_size: u16, first: u32, count: u32) -> Vec<u8> {
    let oti = block_oti(block.len(), symbol_size);
    let enc = SourceBlockEncoder::new(0, &oti, block);
    let mut out = Vec::with_capacity(count as usize * usize::from(symbol_size));
    for p in enc.repair_packets(first, count) {
        out.extend_from_slice(p.data());
    }
    out
}

/// Decodes a block of `k` symbols from `symbols` (concatenated, `symbol_size` each, with
/// encoding symbol ids `esis`: the source symbols that arrived plus repair symbols),
/// `iterations` times. Returns a checksum of the decoded block; 0 if it did not decode.
pub fn raptorq_decode_loop(
    symbols: &[u8],
    esis: &[u32],
    k: u32,
    symbol_size: u16,
    iterations: u32,
) -> u32 {
    let t = usize::from(symbol_size);
    if symbols.len() != esis.len() * t {
        return 0;
    }
    let block_len = u64::from(k) * t as u64;
    let oti = block_oti(block_len as usize, symbol_size);
    let mut acc = 0u32;
    for _ in 0..iterations {
        let mut dec = SourceBlockDecoder::new(0, &oti, block_len);
        let packets = esis
            .iter()
            .zip(symbols.chunks_exact(t))
            .map(|(&esi, s)| EncodingPacket::new(PayloadId::new(0, esi), s.to_vec()));
        match dec.decode(packets) {
            Some(b) => {
                acc = acc
                    .wrapping_mul(31)
                    .wrapping_add(u32::from(b[0]) ^ u32::from(b[b.len() / 2]) ^ b.len() as u32)
            }
            None => return 0,
        }
    }
    acc | 1
}

// ---- wasm exports: one coarse call per measurement ----

#[wasm_bindgen(js_name = benchHeader)]
pub fn bench_header(iterations: u32) -> u32 {
    header_loop(iterations)
}

#[wasm_bindgen(js_name = benchRoute)]
pub fn bench_route(destinations: u32, ecmp: u32, iterations: u32) -> u32 {
    let t = route_table(destinations.max(1), ecmp.max(1));
    route_loop(&t, destinations.max(1), iterations)
}

/// Returns `[checksum, fragments per message]`.
#[wasm_bindgen(js_name = benchReassembly)]
pub fn bench_reassembly(message_bytes: u32, mtu: u32, messages: u32) -> Vec<u32> {
    let frags = message_fragments(message_bytes, mtu);
    vec![reassembly_loop(&frags, messages), frags.len() as u32]
}

/// Encoder construction (with a pre-built plan, made outside the loop) plus `repair`
/// repair symbols, `iterations` times; the block crosses the boundary once.
#[wasm_bindgen(js_name = benchRaptorqEncode)]
pub fn bench_raptorq_encode(block: &[u8], symbol_size: u16, repair: u32, iterations: u32) -> u32 {
    if symbol_size == 0 || block.is_empty() || block.len() % usize::from(symbol_size) != 0 {
        return 0;
    }
    let plan = encoding_plan((block.len() / usize::from(symbol_size)) as u16);
    raptorq_encode_loop(block, symbol_size, repair, iterations, &plan)
}

/// Repair symbols of a block, concatenated (to build decode inputs, or to measure the cost
/// of handing repair symbols to JS).
#[wasm_bindgen(js_name = raptorqRepairSymbols)]
pub fn raptorq_repair_symbols(block: &[u8], symbol_size: u16, first: u32, count: u32) -> Vec<u8> {
    if symbol_size == 0 || block.len() % usize::from(symbol_size) != 0 {
        return Vec::new();
    }
    raptorq_repair(block, symbol_size, first, count)
}

#[wasm_bindgen(js_name = benchRaptorqDecode)]
pub fn bench_raptorq_decode(
    symbols: &[u8],
    esis: &[u32],
    k: u32,
    symbol_size: u16,
    iterations: u32,
) -> u32 {
    raptorq_decode_loop(symbols, esis, k, symbol_size, iterations)
}
