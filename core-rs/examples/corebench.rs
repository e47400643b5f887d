//! Native timings of the core's micro-benchmark loops (`src/wasm/bench.rs`), the same code
//! the wasm build exports for `bench/` scenario 4. Examples are not part of the wasm, so the
//! clock is read here, around each loop.
//!
//!   cargo run --release --example corebench -- [--json] [--quick]
//!
//! Prints one measurement per line, or with --json one JSON object:
//! { "headerNs": .., "routeNs": .., "reassemblyNsPerFragment": .., "raptorqEncodeMBs": ..,
//!   "raptorqDecodeMBs": .., ... } where every value is the median of several runs.
use nextmini_core::wasm::bench;
use std::time::Instant;

/// Geometry shared with bench/scenarios/core-microbench.mjs.
const SYMBOL: u16 = 1344;
const K: u32 = 128;
const REPAIR: u32 = 16;
const LOST: u32 = 14;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Runs `f` (which does `ops` operations and returns a checksum) `runs` times; returns the
/// median seconds per operation.
fn time(runs: usize, ops: f64, mut f: impl FnMut() -> u32) -> f64 {
    assert_ne!(f(), 0, "warm-up run did no work"); // warm-up
    let mut v = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let c = f();
        let s = t.elapsed().as_secs_f64();
        assert_ne!(c, 0, "a run did no work");
        v.push(s / ops);
    }
    median(v)
}

fn block() -> Vec<u8> {
    (0..K * u32::from(SYMBOL))
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let json = args.iter().any(|a| a == "--json");
    let quick = args.iter().any(|a| a == "--quick");
    let runs = if quick { 3 } else { 7 };
    let scale = if quick { 1 } else { 2 };

    let n = 250_000 * scale;
    let header_ns = 1e9 * time(runs, f64::from(n), || bench::header_loop(n));

    let (dests, ecmp) = (64, 4);
    let table = bench::route_table(dests, ecmp);
    let route_ns = 1e9 * time(runs, f64::from(n), || bench::route_loop(&table, dests, n));

    let frags = bench::message_fragments(1 << 20, 1400);
    let msgs = 8 * scale;
    let reasm_ns = 1e9
        * time(runs, f64::from(msgs) * frags.len() as f64, || {
            bench::reassembly_loop(&frags, msgs)
        });

    let b = block();
    let plan = bench::encoding_plan(K as u16);
    let iters = 10 * scale;
    let enc_s = time(runs, f64::from(iters), || {
        bench::raptorq_encode_loop(&b, SYMBOL, REPAIR, iters, &plan)
    });

    // Decode input: every source symbol but LOST of them (spread over the block), plus REPAIR repair symbols.
    let t = usize::from(SYMBOL);
    let mut symbols = Vec::new();
    let mut esis = Vec::new();
    for esi in 0..K {
        if esi % (K / LOST) == 3 && esi / (K / LOST) < LOST {
            continue;
        }
        symbols.extend_from_slice(&b[esi as usize * t..(esi as usize + 1) * t]);
        esis.push(esi);
    }
    symbols.extend_from_slice(&bench::raptorq_repair(&b, SYMBOL, 0, REPAIR));
    esis.extend(K..K + REPAIR);
    let dec_s = time(runs, f64::from(iters), || {
        bench::raptorq_decode_loop(&symbols, &esis, K, SYMBOL, iters)
    });

    let block_mb = b.len() as f64 / 1e6;
    let out = [
        ("headerNs", header_ns),
        ("routeNs", route_ns),
        ("reassemblyNsPerFragment", reasm_ns),
        ("raptorqEncodeMBs", block_mb / enc_s),
        ("raptorqDecodeMBs", block_mb / dec_s),
        ("fragmentsPerMessage", frags.len() as f64),
        ("blockBytes", b.len() as f64),
        ("receivedSymbols", esis.len() as f64),
    ];
    if json {
        let body: Vec<String> = out.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
        println!("{{{}}}", body.join(","));
    } else {
        for (k, v) in out {
            println!("{k:>26} {v:.3}");
        }
    }
}
