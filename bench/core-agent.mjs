// Scenario 4's measuring process: our core's wasm (wasm/, loaded directly, not through the
// SDK) and the npm `raptorq` package, each a wasm instance of its own. Loops over our core run
// inside wasm, one coarse call timed from here (the core never reads a clock); the npm
// package's API is per packet, so its loops run here, as a user of it would write them.
import { readFileSync } from 'node:fs';
import * as core from '../wasm/nextmini_core.js';
import * as npmRq from 'raptorq/raptorq.js';
import { serve } from './lib/proc.mjs';

core.initSync({ module: readFileSync(new URL('../wasm/nextmini_core_bg.wasm', import.meta.url)) });
npmRq.initSync(readFileSync(new URL('../node_modules/raptorq/raptorq_bg.wasm', import.meta.url)));

/** Seconds for one call of `f`, which must return a non-zero checksum. */
function timed(f) {
  const t0 = performance.now();
  const c = f();
  const s = (performance.now() - t0) / 1000;
  if (!c) throw new Error('a benchmark loop returned 0: it did no work or failed');
  return s;
}

// The RaptorQ geometry: one block of K symbols of T bytes (our lossless sessions' default
// K = 128; T = 1344 is the largest multiple of 8 below 1350, the chunk a 1400-byte MTU
// carries, so the npm package's with_defaults(…, T) makes exactly the same block).
let geo;
function geometry({ k, t, repair, lost }) {
  const key = `${k}/${t}/${repair}/${lost}`;
  if (geo?.key === key) return geo;
  const block = new Uint8Array(k * t);
  for (let i = 0; i < block.length; i++) block[i] = Math.imul(i, 2654435761) >>> 13;
  // Lost source symbols, spread over the block (the same rule as examples/corebench.rs).
  const step = Math.floor(k / lost);
  const isLost = (esi) => esi % step === 3 && Math.floor(esi / step) < lost;
  const repairBytes = core.raptorqRepairSymbols(block, t, 0, repair);
  const esis = [];
  const parts = [];
  for (let esi = 0; esi < k; esi++) {
    if (isLost(esi)) continue;
    esis.push(esi);
    parts.push(block.subarray(esi * t, (esi + 1) * t));
  }
  for (let r = 0; r < repair; r++) {
    esis.push(k + r);
    parts.push(repairBytes.subarray(r * t, (r + 1) * t));
  }
  const symbols = new Uint8Array(parts.length * t);
  parts.forEach((p, i) => symbols.set(p, i * t));
  // The npm package's packets: 4-byte payload id (SBN, 24-bit ESI) + symbol, from its own encoder.
  const enc = npmRq.Encoder.with_defaults(block, t);
  const all = enc.encode(repair);
  enc.free();
  if (all.length !== k + repair || all.some((p) => p.length !== t + 4)) throw new Error(`npm raptorq made ${all.length} packets of ${all[0]?.length} B, expected ${k + repair} of ${t + 4}`);
  const esiOf = (p) => (p[1] << 16) | (p[2] << 8) | p[3];
  const npmPackets = all.filter((p) => !(esiOf(p) < k && isLost(esiOf(p))));
  // Both encoders are RFC 6330: their first repair symbols must agree byte for byte (the
  // npm 1.7 build numbers repair packets from K', the padded count, 2.0 from K).
  const npmRepair0 = all.find((p) => esiOf(p) >= k);
  if (!npmRepair0 || Buffer.compare(npmRepair0.subarray(4), repairBytes.subarray(0, t)) !== 0) throw new Error('npm raptorq and our core disagree on repair symbol K');
  geo = { key, block, symbols, esis: Uint32Array.from(esis), npmPackets, k, t, repair };
  return geo;
}

const handlers = {
  /** Seconds per operation of each core loop in our wasm. */
  async coreOps({ headerN, routeN, dests, ecmp, messageBytes, mtu, messages }) {
    const header = timed(() => core.benchHeader(headerN)) / headerN;
    const route = timed(() => core.benchRoute(dests, ecmp, routeN)) / routeN;
    let frags = 0;
    const reasm = timed(() => {
      const [c, f] = core.benchReassembly(messageBytes, mtu, messages);
      frags = f;
      return c;
    });
    return { header, route, reassemblyPerFragment: reasm / (messages * frags), fragmentsPerMessage: frags };
  },

  /** Seconds per block for encode and decode: ours (inside wasm, and with symbols returned to JS) and npm's. */
  async raptorq({ k, t, repair, lost, iterations }) {
    const g = geometry({ k, t, repair, lost });
    const ours = timed(() => core.benchRaptorqEncode(g.block, t, repair, iterations)) / iterations;
    const oursToJs = timed(() => {
      let c = 0;
      for (let i = 0; i < iterations; i++) c += core.raptorqRepairSymbols(g.block, t, i % 4, repair)[0] + 1;
      return c;
    }) / iterations;
    const npmEnc = timed(() => {
      let c = 0;
      for (let i = 0; i < iterations; i++) {
        const e = npmRq.Encoder.with_defaults(g.block, t);
        const pk = e.encode(repair);
        e.free();
        c += pk.length + pk[pk.length - 1][5];
      }
      return c;
    }) / iterations;
    const oursDec = timed(() => core.benchRaptorqDecode(g.symbols, g.esis, k, t, iterations)) / iterations;
    let checked = false;
    const npmDec = timed(() => {
      let c = 0;
      for (let i = 0; i < iterations; i++) {
        const d = npmRq.Decoder.with_defaults(BigInt(k * t), t);
        let out;
        for (const p of g.npmPackets) {
          out = d.decode(p);
          if (out) break;
        }
        d.free();
        if (!out) return 0;
        if (!checked) {
          if (Buffer.compare(out, g.block) !== 0) throw new Error('npm raptorq decoded a different block');
          checked = true;
        }
        c += out.length;
      }
      return c;
    }) / iterations;
    return { blockBytes: k * t, receivedSymbols: g.esis.length, encode: { ours, oursToJs, npm: npmEnc }, decode: { ours: oursDec, npm: npmDec } };
  },
};

serve(handlers);
