// 4. Core cost: ns per header encode+decode, route lookup and reassembled fragment, and
// RaptorQ encode/decode MB/s — our core in wasm (bench/core-agent.mjs) vs the same Rust
// natively (core-rs/examples/corebench.rs) and, for RaptorQ, vs the npm `raptorq` package.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Child } from '../lib/proc.mjs';
import { summarize } from '../lib/stats.mjs';

const coreDir = fileURLToPath(new URL('../../core-rs/', import.meta.url));
const coreAgent = fileURLToPath(new URL('../core-agent.mjs', import.meta.url));
const nativeBin = `${coreDir}target/release/examples/corebench`;
// Shared with examples/corebench.rs.
const RQ = { k: 128, t: 1344, repair: 16, lost: 14 };
const MIB = 1 << 20;

const run = (cmd, args, opts) =>
  new Promise((resolve, reject) =>
    execFile(cmd, args, { maxBuffer: 4 << 20, ...opts }, (err, stdout, stderr) => (err ? reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`)) : resolve(stdout))),
  );

/** Builds the native example (incremental: instant when up to date); null if cargo is missing or fails. */
async function buildNative(ctx) {
  try {
    await run('cargo', ['build', '--release', '--quiet', '--example', 'corebench'], { cwd: coreDir, timeout: 300_000 });
    return existsSync(nativeBin);
  } catch (err) {
    ctx.log(`  native corebench not built (${String(err.message).split('\n')[0]}): native series left out`);
    return false;
  }
}

const series = (name, kind, values) => ({ name, kind, ...summarize(values) });

export default {
  id: 'core-microbench',
  number: 4,
  title: 'Core ns/op and RaptorQ',
  hosting:
    'one measuring process (bench/core-agent.mjs) loading our core\'s wasm directly and the npm raptorq package; every core loop runs inside wasm and is timed from JS around one call (the core reads no clock). Native: `cargo run --release --example corebench -- --json --quick` (the same Rust loops, std::time::Instant, median of 3 runs) once per repetition, interleaved with the wasm repetitions',
  async run(ctx) {
    const haveNative = await buildNative(ctx);
    const agent = new Child(coreAgent, { name: 'core-bench' });
    try {
      const ops = { headerN: ctx.quick ? 200_000 : 1_000_000, routeN: ctx.quick ? 100_000 : 500_000, dests: 64, ecmp: 4, messageBytes: MIB, mtu: 1400, messages: ctx.quick ? 4 : 16 };
      const iterations = ctx.quick ? 5 : 20;
      // Warm-up (JIT of the JS loops, wasm tier-up), not counted.
      await agent.call('coreOps', { ...ops, headerN: 10_000, routeN: 10_000, messages: 2 });
      await agent.call('raptorq', { ...RQ, iterations: 3 });
      const w = [];
      const n = [];
      for (let i = 0; i < ctx.reps; i++) {
        w.push({ ...(await agent.call('coreOps', ops, 120_000)), rq: await agent.call('raptorq', { ...RQ, iterations }, 120_000) });
        if (haveNative) n.push(JSON.parse(await run(nativeBin, ['--json', '--quick'], { timeout: 120_000 })));
      }
      const blockMB = w[0].rq.blockBytes / 1e6;
      const ns = (k) => w.map((r) => 1e9 * r[k]);
      const nativeName = 'native (same Rust, --release)';
      const nat = (k) => (haveNative ? [series(nativeName, 'baseline', n.map((r) => r[k]))] : []);
      const params = { native: haveNative ? 'yes' : 'not built' };
      const rqParams = { symbolsPerBlock: RQ.k, symbolBytes: RQ.t, blockBytes: w[0].rq.blockBytes, repairSymbols: RQ.repair, lostSourceSymbols: RQ.lost, symbolsGivenToDecoder: w[0].rq.receivedSymbols, blocksPerRep: iterations };
      const cases = [
        {
          id: 'header',
          label: 'header encode + decode (40 B)',
          unit: 'ns/op',
          better: 'lower',
          params: { opsPerRep: ops.headerN, ...params },
          series: [series('nextmini wasm', 'nextmini', ns('header')), ...nat('headerNs')],
        },
        {
          id: 'route',
          label: `route lookup, ${ops.dests} destinations × ${ops.ecmp} ECMP hops, rendezvous-hash pick`,
          unit: 'ns/op',
          better: 'lower',
          params: { opsPerRep: ops.routeN, ...params },
          series: [series('nextmini wasm', 'nextmini', ns('route')), ...nat('routeNs')],
        },
        {
          id: 'reassembly',
          label: `reassembly, 1 MiB messages at MTU ${ops.mtu} (${w[0].fragmentsPerMessage} fragments)`,
          unit: 'ns/fragment',
          better: 'lower',
          params: { messagesPerRep: ops.messages, fragmentsPerMessage: w[0].fragmentsPerMessage, ...params },
          series: [series('nextmini wasm', 'nextmini', ns('reassemblyPerFragment')), ...nat('reassemblyNsPerFragment')],
        },
        {
          id: 'raptorq-encode',
          label: `RaptorQ encode: build block encoder + ${RQ.repair} repair symbols (K = ${RQ.k}, T = ${RQ.t})`,
          unit: 'MB/s',
          better: 'higher',
          params: rqParams,
          series: [
            series('nextmini wasm (pre-built plan, symbols stay in wasm)', 'nextmini', w.map((r) => blockMB / r.rq.encode.ours)),
            series('npm raptorq 1.7.24 (Encoder.with_defaults + encode(), packets to JS)', 'baseline', w.map((r) => blockMB / r.rq.encode.npm)),
            ...nat('raptorqEncodeMBs'),
            series('nextmini wasm, repair symbols returned to JS', 'variant', w.map((r) => blockMB / r.rq.encode.oursToJs)),
          ],
          goal: { text: 'RaptorQ in our wasm ≥ 1.5× the npm raptorq package', minRatio: 1.5 },
        },
        {
          id: 'raptorq-decode',
          label: `RaptorQ decode: ${RQ.k - RQ.lost} source + ${RQ.repair} repair symbols (K = ${RQ.k}, ${RQ.lost} lost)`,
          unit: 'MB/s',
          better: 'higher',
          params: rqParams,
          series: [
            series('nextmini wasm (symbols passed in once)', 'nextmini', w.map((r) => blockMB / r.rq.decode.ours)),
            series('npm raptorq 1.7.24 (Decoder.decode() per packet)', 'baseline', w.map((r) => blockMB / r.rq.decode.npm)),
            ...nat('raptorqDecodeMBs'),
          ],
          goal: { text: 'RaptorQ in our wasm ≥ 1.5× the npm raptorq package', minRatio: 1.5 },
        },
      ];
      return { cases };
    } finally {
      await agent.stop();
    }
  },
};
