// The control codec (ts/control) under malformed input: every way a frame can be wrong is
// MALFORMED_PACKET, and a seeded fuzz campaign over mutations of valid messages of every type
// plus random bytes finds nothing else: each input either throws MALFORMED_PACKET or decodes
// to a message whose re-encoding decodes equal.
//
// Scale with NEXTMINI_FUZZ_CONTROL_INPUTS (default 300,000) and NEXTMINI_FUZZ_SEED (default 1);
// `npm run fuzz` runs it long. A failing input is saved to NEXTMINI_FUZZ_CRASH_DIR
// (default build/fuzz-crashes) and its path printed.
import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { decode, encode, MAX_METRIC_SAMPLES, type ControlMessage } from '../../ts/control/messages.js';
import { NextminiError } from '../../ts/errors.js';

const INPUTS = Number(process.env.NEXTMINI_FUZZ_CONTROL_INPUTS ?? 300_000);
const SEED = Number(process.env.NEXTMINI_FUZZ_SEED ?? 1);
const CRASH_DIR = resolve(process.env.NEXTMINI_FUZZ_CRASH_DIR ?? 'build/fuzz-crashes');

const bytes = (...v: number[]) => new Uint8Array(v);
const utf8 = (s: string) => new TextEncoder().encode(s);

/** Valid messages of every type, with empty and non-empty fields and non-ASCII strings. */
function samples(): ControlMessage[] {
  const group = { groupId: 7, groupIp: 0xe0000107, srcNodeId: 1, label: 'vidéo-😀' };
  const links = [
    { neighbor: 2, params: Float64Array.from([125_000, 5, 0.01, -0, 1e300]) },
    { neighbor: 3, params: new Float64Array(0) },
  ];
  return [
    { t: 'hello', nodeId: 1, endpoints: [{ protocol: 'udp', host: '127.0.0.1', port: 4000 }], clientNonce: new Uint8Array(16).fill(9), proof: new Uint8Array(0) },
    { t: 'hello', nodeId: 0xffffffff, endpoints: [{ protocol: 'relay', host: 'höst', port: 65535 }], relayToken: 'tok', clientNonce: bytes(1, 2), proof: new Uint8Array(32).fill(3) },
    { t: 'hello', nodeId: 2, endpoints: [{ protocol: 'tcp', host: '', port: 0 }], clientNonce: bytes(), proof: bytes(7) },
    { t: 'hello', nodeId: 3, endpoints: [{ protocol: 'memory', host: 'r/t', port: 0 }, { protocol: 'udp', host: '0.0.0.0', port: 1 }, { protocol: 'tcp', host: '::', port: 2 }, { protocol: 'relay', host: '', port: 0 }], relayToken: 'x', clientNonce: bytes(), proof: bytes() },
    { t: 'challenge', nonce: new Uint8Array(16).fill(5), authRequired: true },
    { t: 'challenge', nonce: bytes(), authRequired: false },
    { t: 'welcome', proof: bytes(1, 2, 3), maxFrameBytes: 1 << 20, maxLabelBytes: 256, endpoints: [{ protocol: 'udp', host: '10.0.0.1', port: 9000 }, { protocol: 'relay', host: '', port: 0 }] },
    { t: 'welcome', proof: bytes(), maxFrameBytes: 0, maxLabelBytes: 0, endpoints: [] },
    { t: 'hello', nodeId: 0, endpoints: [{ protocol: 'udp', host: '127.0.0.1', port: 4000 }], clientNonce: bytes(), proof: bytes(), idOffset: 10 },
    { t: 'assigned', nodeId: 7 },
    { t: 'keys', seq: 3, entries: [{ neighbor: 2, key: new Uint8Array(32).fill(1) }, { neighbor: 9, key: bytes() }] },
    { t: 'keys', seq: 0, entries: [] },
    { t: 'reject', code: 'VERSION_MISMATCH', message: 'speak 2' },
    { t: 'reject', code: 'LIMIT', message: '' },
    {
      t: 'snapshot', generation: 4, userSpaceBase: 0xe0000100, operatingMode: 'max',
      peers: [{ nodeId: 1, protocol: 'udp', host: '10.0.0.1', port: 9000 }, { nodeId: 2, protocol: 'relay', host: '', port: 0 }, { nodeId: 3, protocol: 'memory', host: 'a/b', port: 0 }],
      neighbors: [2, 3], routeTable: bytes(1, 1, 0, 0, 0, 0), topologyReady: true,
      links, mcastTable: bytes(1, 2, 0, 0, 0, 0), groups: [group],
    },
    {
      t: 'snapshot', generation: 0, userSpaceBase: 0, operatingMode: 'normal', peers: [], neighbors: [],
      routeTable: bytes(), topologyReady: false, links: [], mcastTable: bytes(), groups: [],
    },
    { t: 'links-up', generation: 12 },
    { t: 'topology-ready' },
    { t: 'links', links },
    { t: 'group-op', reqId: 1, op: 'create', label: 'a label' },
    { t: 'group-op', reqId: 2, op: 'routes', groupId: 7, trees: [{ treeId: 0, weight: 1, edges: [[1, 2], [2, 3]] }, { treeId: 1, weight: 3, edges: [] }] },
    { t: 'group-op', reqId: 3, op: 'join', groupId: 7 },
    { t: 'group-op', reqId: 4, op: 'leave', groupId: 7 },
    { t: 'group-op', reqId: 5, op: 'delete', groupId: 7 },
    { t: 'group-reply', reqId: 1, code: '', message: '', group },
    { t: 'group-reply', reqId: 2, code: 'UNKNOWN_GROUP', message: 'no group 9', group: null },
    { t: 'mcast', table: bytes(1, 2, 0, 0, 0, 1, 9) },
    { t: 'groups', groups: [group, { ...group, groupId: 8, label: '' }] },
    { t: 'routes', routeTable: bytes(1, 1, 0, 0, 0, 0) },
    { t: 'metrics', samples: [{ name: 'packetsSent', neighbor: 0, value: 12 }, { name: 'link.queueBytes', neighbor: 2, value: 0.5 }] },
    { t: 'metrics', samples: [] },
    { t: 'presence', down: [3, 0xffffffff], up: [], reporter: 2 },
    { t: 'presence', down: [], up: [5], reporter: 0 },
    { t: 'undeliverable', pairs: [[1, 3], [4, 3]] },
    { t: 'undeliverable', pairs: [] },
    { t: 'flow-start', flowId: 1, role: 'source', peer: 2, transport: 'datagram', bytes: 1_000_000, durationMs: 0, rate: 2e6 },
    { t: 'flow-start', flowId: 0xffffffff, role: 'sink', peer: 1, transport: 'lossless', bytes: 0, durationMs: 1500, rate: 0.5 },
    { t: 'flow-start', flowId: 7, role: 'source', peer: 3, transport: 'stream', bytes: 0, durationMs: 2000, rate: 0 },
    { t: 'flow-stop', flowId: 7 },
    { t: 'flow-report', flowId: 3, role: 'sink', state: 'failed', bytes: 10, packets: 1, extra: 0, startAgoMs: -1, endAgoMs: 12.5, reason: 'session timeout' },
    { t: 'flow-report', flowId: 3, role: 'source', state: 'running', bytes: 0, packets: 0, extra: 0, startAgoMs: 0, endAgoMs: -1, reason: '' },
    { t: 'flow-weights', list: [{ src: 1, dst: 2, weight: 3 }] },
    { t: 'flow-weights', list: [] },
  ];
}

/** The code a decode throws, or 'ok', or a description of a foreign error. */
function outcome(input: Uint8Array): string {
  try {
    decode(input);
    return 'ok';
  } catch (err) {
    return err instanceof NextminiError ? err.code : `foreign ${String(err)}`;
  }
}

/** A frame of the given type whose body is `body` (version 6, magic "NM"). */
const framed = (type: number, ...body: number[]) => bytes(0x4e, 0x4d, 6, type, ...body);
const u32 = (v: number) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];

describe('control codec: malformed input is MALFORMED_PACKET', () => {
  it('every sample round-trips, byte for byte', () => {
    for (const m of samples()) {
      const b = encode(m);
      expect(decode(b)).toEqual(m);
      expect(encode(decode(b))).toEqual(b);
    }
  });

  it('invalid UTF-8 in a string (was a plain TypeError from TextDecoder)', () => {
    // reject, code LIMIT, message of 2 bytes: a lone continuation byte and an overlong form.
    expect(outcome(framed(2, 6, ...u32(1), 0x80))).toBe('MALFORMED_PACKET');
    expect(outcome(framed(2, 6, ...u32(2), 0xc0, 0x80))).toBe('MALFORMED_PACKET');
    // An encoded surrogate half (ED A0 80) in a hello's host.
    expect(outcome(framed(1, ...u32(1), 0, ...u32(3), 0xed, 0xa0, 0x80, 0, 1, ...u32(0), ...u32(0)))).toBe('MALFORMED_PACKET');
    const metrics = encode({ t: 'metrics', samples: [{ name: 'ab', neighbor: 0, value: 1 }] });
    metrics[12] = 0xff; // inside the name
    expect(outcome(metrics)).toBe('MALFORMED_PACKET');
  });

  it('a string keeps a leading byte-order mark (it was stripped, so decode changed the label)', () => {
    const m: ControlMessage = { t: 'group-op', reqId: 1, op: 'create', label: '\uFEFFlabel' };
    expect(decode(encode(m))).toEqual(m);
  });

  it('booleans are 0 or 1 (any other byte was read as true)', () => {
    const c = encode({ t: 'challenge', nonce: bytes(), authRequired: true });
    c[c.length - 1] = 2;
    expect(outcome(c)).toBe('MALFORMED_PACKET');
    const r = encode({ t: 'group-reply', reqId: 1, code: '', message: '', group: null });
    r[r.length - 1] = 0xff;
    expect(outcome(r)).toBe('MALFORMED_PACKET');
  });

  it('enums out of range: operating mode (any byte but 1 was read as normal), protocol, reject code, group op, type', () => {
    const s = encode(samples().find((m) => m.t === 'snapshot')!);
    s[12] = 2; // operating mode, after magic, version, type, generation, userSpaceBase
    expect(outcome(s)).toBe('MALFORMED_PACKET');
    expect(outcome(framed(1, ...u32(1), ...u32(1), 4))).toBe('MALFORMED_PACKET'); // protocol 4
    const twice = { t: 'hello', nodeId: 1, endpoints: [{ protocol: 'udp', host: 'a', port: 1 }, { protocol: 'udp', host: 'b', port: 2 }], clientNonce: bytes(), proof: bytes() } as const;
    expect(outcome(encode({ ...twice, endpoints: [...twice.endpoints] }))).toBe('MALFORMED_PACKET'); // a protocol listed twice
    expect(outcome(framed(1, ...u32(1), ...u32(5)))).toBe('MALFORMED_PACKET'); // more endpoints than protocols
    expect(outcome(framed(2, 8, ...u32(0)))).toBe('MALFORMED_PACKET'); // reject code 8
    expect(outcome(framed(7, ...u32(1), 5, ...u32(1)))).toBe('MALFORMED_PACKET'); // group op 5
    expect(outcome(framed(0))).toBe('MALFORMED_PACKET');
    expect(outcome(framed(16))).toBe('MALFORMED_PACKET');
    expect(outcome(framed(18, ...u32(4097)))).toBe('MALFORMED_PACKET'); // more undeliverable pairs than one report may carry
    expect(outcome(framed(19))).toBe('MALFORMED_PACKET'); // assigned without its id
    expect(outcome(framed(20))).toBe('MALFORMED_PACKET');
  });

  it('group-reply error codes have the shape of a code (any string became a NextminiError code)', () => {
    const reply = (code: string) => encode({ t: 'group-reply', reqId: 1, code, message: 'm', group: null });
    expect(outcome(reply('UNKNOWN_GROUP'))).toBe('ok');
    expect(outcome(reply('unknown group'))).toBe('MALFORMED_PACKET');
    expect(outcome(reply('X'.repeat(65)))).toBe('MALFORMED_PACKET');
  });

  it('framing, lengths, counts and trailing bytes', () => {
    expect(outcome(bytes())).toBe('MALFORMED_PACKET');
    expect(outcome(bytes(0x4e, 0x4d, 4))).toBe('MALFORMED_PACKET');
    expect(outcome(bytes(0x4e, 0x4e, 2, 5))).toBe('MALFORMED_PACKET');
    expect(outcome(bytes(0x4e, 0x4d, 1, 5))).toBe('MALFORMED_PACKET'); // another version
    expect(outcome(framed(5, 0))).toBe('MALFORMED_PACKET'); // topology-ready + trailing byte
    expect(outcome(framed(4, 0, 0, 0))).toBe('MALFORMED_PACKET'); // links-up truncated
    expect(outcome(framed(9, ...u32(0xffffffff)))).toBe('MALFORMED_PACKET'); // 4 GiB table
    expect(outcome(framed(9, ...u32(10), 1))).toBe('MALFORMED_PACKET'); // table truncated
    expect(outcome(framed(10, ...u32(1_000_000)))).toBe('MALFORMED_PACKET'); // count > bytes left
    const many = new Uint8Array(8 + (MAX_METRIC_SAMPLES + 1) * 16);
    many.set(framed(12, ...u32(MAX_METRIC_SAMPLES + 1)));
    expect(outcome(many)).toBe('MALFORMED_PACKET');
    for (const m of samples()) {
      const b = encode(m);
      for (let cut = 0; cut < b.length; cut++) expect(outcome(b.subarray(0, cut))).toBe('MALFORMED_PACKET');
      expect(outcome(Uint8Array.from([...b, 0]))).toBe('MALFORMED_PACKET');
    }
  });
});

/** xorshift32, seeded (never 0). */
class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ 0xc2b2ae35) >>> 0 || 1;
  }
  next(): number {
    let x = this.#s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#s = x >>> 0;
    return this.#s;
  }
  below(n: number): number {
    return this.next() % n;
  }
}

const INTERESTING = [0, 1, 2, 3, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0x4000000, 0x4000001];

/** 1 to 6 stacked mutations: bit flips, bytes, big-endian interesting values, inserts, deletes, truncation, splices. */
function mutate(rng: Rng, input: Uint8Array, other: Uint8Array): Uint8Array {
  let b = Array.from(input);
  const rounds = 1 + Math.min(rng.below(6), rng.below(6));
  for (let i = 0; i < rounds; i++) {
    const len = b.length;
    const p = len ? rng.below(len) : 0;
    switch (rng.below(10)) {
      case 0:
      case 1:
        if (len) b[p]! ^= 1 << rng.below(8);
        break;
      case 2:
      case 3:
        if (len) b[p] = rng.below(256);
        break;
      case 4: {
        // A big-endian interesting value (a length, a count), 1, 2 or 4 bytes wide.
        const v = INTERESTING[rng.below(INTERESTING.length)]! + (rng.below(2) ? rng.below(5) - 2 : 0);
        const w = [1, 2, 4][rng.below(3)]!;
        for (let k = 0; k < w && p + k < len; k++) b[p + k] = (v >>> (8 * (w - 1 - k))) & 255;
        break;
      }
      case 5: {
        const ins = Array.from({ length: 1 + rng.below(8) }, () => (rng.below(4) ? rng.below(256) : [0x80, 0xc0, 0xed, 0xef, 0xf4, 0xff][rng.below(6)]!));
        b.splice(rng.below(len + 1), 0, ...ins);
        break;
      }
      case 6:
        if (len) b.splice(p, 1 + rng.below(Math.min(16, len - p)));
        break;
      case 7:
        if (len) b = b.slice(0, rng.below(len));
        break;
      case 8: {
        const q = rng.below(other.length);
        b = [...b.slice(0, rng.below(len + 1)), ...other.subarray(q, q + 64)];
        break;
      }
      default:
        if (len) {
          const q = rng.below(len);
          [b[p], b[q]] = [b[q]!, b[p]!];
        }
    }
  }
  return Uint8Array.from(b);
}

class Finding extends Error {}

/** Decodes `input`: MALFORMED_PACKET, or a message whose re-encoding decodes equal. Throws a Finding otherwise. */
function check(input: Uint8Array): boolean {
  let m: ControlMessage;
  try {
    m = decode(input);
  } catch (err) {
    if (err instanceof NextminiError && err.code === 'MALFORMED_PACKET') return false;
    throw new Finding(`decode threw ${err instanceof NextminiError ? err.code : 'a foreign error'}: ${String(err)}`);
  }
  let again: ControlMessage;
  try {
    again = decode(encode(m));
  } catch (err) {
    throw new Finding(`re-encoding a decoded ${m.t} does not decode: ${String(err)}`);
  }
  if (!isDeepStrictEqual(again, m)) throw new Finding(`a decoded ${m.t} re-encodes to a different message`);
  return true;
}

describe('control codec fuzz', () => {
  it(`${INPUTS} seeded inputs (seed ${SEED}): mutated messages of every type and random bytes`, () => {
    const rng = new Rng(SEED);
    const pool = samples().map(encode);
    let ok = 0;
    // Most inputs throw: skip capturing a stack trace for each (restored below).
    const stackLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    const t0 = performance.now();
    for (let n = 1; n <= INPUTS; n++) {
      let input: Uint8Array;
      if (rng.below(16) === 0) {
        // Random bytes, usually behind a valid head so the body decoders see them.
        input = Uint8Array.from({ length: rng.below(64) }, () => rng.below(256));
        if (rng.below(2)) input = Uint8Array.from([0x4e, 0x4d, 6, 1 + rng.below(23), ...input]);
      } else {
        input = mutate(rng, pool[rng.below(pool.length)]!, pool[rng.below(pool.length)]!);
      }
      try {
        if (check(input)) ok++;
      } catch (err) {
        Error.stackTraceLimit = stackLimit;
        if (!(err instanceof Finding)) throw err;
        mkdirSync(CRASH_DIR, { recursive: true });
        const file = join(CRASH_DIR, `control-seed${SEED}-${n}.bin`);
        writeFileSync(file, input);
        throw new Error(`${err.message}\n  input ${n} saved to ${file}`);
      }
    }
    Error.stackTraceLimit = stackLimit;
    const s = (performance.now() - t0) / 1000;
    console.log(`control codec fuzz: ${INPUTS} inputs (${ok} decoded, ${INPUTS - ok} MALFORMED_PACKET) in ${s.toFixed(2)} s, ${Math.round(INPUTS / s)} inputs/s, seed ${SEED}`);
    // The campaign reaches deep: a fair share of the mutations still decode.
    expect(ok).toBeGreaterThan(INPUTS / 50);
  });
});
