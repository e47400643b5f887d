// Nodes in different runtimes, each configured with a single transport or its runtime's
// default list, in one network under a controller this test starts (authentication on). All
// nodes run the packed tarball: Node, Deno and Bun in child processes (mixed-node.mjs), Chromium
// in a page (mixed-page.mjs), all through the same driver (mixed-driver.mjs). A UDP-only node
// and a relay-only node have no transport in common: the controller's UDP bridge joins them.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { startController, type Controller } from 'nextmini';
import type { Browser } from 'playwright-core';
import { payloadFor } from '../e2e/payload.mjs';
import { bin, chromiumPath, CHROMIUM_ARGS, packedProject, serveStatic } from './project.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const SECRET = 'mixed-runtimes-secret-0123456789';
const MiB = 1024 * 1024;
let project = '';
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(() => {
  project = packedProject(['e2e/payload.mjs', 'cross-runtime/mixed-driver.mjs', 'cross-runtime/mixed-node.mjs', 'cross-runtime/mixed-page.mjs', 'cross-runtime/mixed.html']);
});
afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});
/** Set by each test: what to print if it fails, read before anything is cleaned up. */
let diagnose: (() => Promise<string>) | undefined;
afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail' && diagnose) console.log(`${ctx.task.name}\ndiagnostics:\n${await diagnose().catch((e: Error) => `diagnostics failed: ${e.message}`)}`);
  diagnose = undefined;
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});

/** Rejects after `ms` with `what` (every wait in this file is bounded). */
function within<T>(p: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms: ${what()}`)), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** A node in another runtime, driven by commands (see mixed-driver.mjs). */
interface Peer {
  name: string;
  call<T = unknown>(cmd: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  /** What it printed (stdout, stderr, the page's console and errors). */
  log(): string;
}

/** Node, Deno or Bun running mixed-node.mjs from the scratch project. */
function childPeer(name: string, cmd: string, args: string[]): Peer {
  const child: ChildProcessWithoutNullStreams = spawn(cmd, args, { cwd: project, env: { ...process.env, NO_COLOR: '1' }, stdio: 'pipe' });
  let out = '';
  let buf = '';
  let next = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString();
    buf += b.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (!line.startsWith('R ')) continue;
      const m = JSON.parse(line.slice(2)) as { id: number; ok: boolean; value?: unknown; error?: string };
      const w = pending.get(m.id);
      pending.delete(m.id);
      if (m.ok) w?.resolve(m.value);
      else w?.reject(new Error(`${name}: ${m.error}`));
    }
  });
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<void>((r) =>
    child.once('exit', (code, signal) => {
      out += `[${name} exited: ${code ?? signal}]\n`;
      for (const w of pending.values()) w.reject(new Error(`${name} exited (${code ?? signal}):\n${out}`));
      pending.clear();
      r();
    }),
  );
  child.stdin.on('error', () => {});
  cleanup.push(async () => {
    child.stdin.end(); // mixed-node.mjs closes its node and exits
    await within(exited, 3000, () => name).catch(() => (console.log(`${name} did not exit; killing it`), child.kill('SIGKILL')));
  });
  return {
    name,
    call: <T>(cmd: string, args: Record<string, unknown> = {}, timeoutMs = 20_000) => {
      const id = next++;
      const p = new Promise<T>((resolve, reject) => pending.set(id, { resolve: resolve as (v: unknown) => void, reject }));
      child.stdin.write(`${JSON.stringify({ id, cmd, args })}\n`);
      return within(p, timeoutMs, () => `${name} ${cmd}(${JSON.stringify(args)}); it printed:\n${out}`).finally(() => pending.delete(id));
    },
    log: () => out,
  };
}

let browser: Browser | undefined;
/** A headless Chromium page running mixed-page.mjs (dist/browser.js from the tarball). */
async function pagePeer(name: string): Promise<Peer> {
  const { server, port } = await serveStatic(project);
  cleanup.push(async () => server.close());
  if (!browser) {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
  }
  const page = await browser.newPage();
  cleanup.push(() => page.close());
  let out = '';
  page.on('console', (m) => (out += `[console.${m.type()}] ${m.text()}\n`));
  page.on('pageerror', (e) => (out += `[pageerror] ${String(e)}\n`));
  await page.goto(`http://127.0.0.1:${port}/mixed.html`, { timeout: 10_000 });
  await page.waitForFunction('window.mixedLoaded === true', undefined, { timeout: 10_000 });
  return {
    name,
    call: <T>(cmd: string, args: Record<string, unknown> = {}, timeoutMs = 20_000) =>
      within(page.evaluate(`window.mixed.call(${JSON.stringify(cmd)}, ${JSON.stringify(args)})`) as Promise<T>, timeoutMs, () => `${name} ${cmd}(${JSON.stringify(args)}); page log:\n${out}`),
    log: () => out,
  };
}
afterAll(async () => {
  await browser?.close().catch(() => {});
});

const node = (id: number) => childPeer(`node ${id} (Node)`, process.execPath, ['mixed-node.mjs']);
const deno = (id: number) => childPeer(`node ${id} (Deno)`, bin('deno'), ['run', '--allow-net', '--allow-read', '--allow-env', 'mixed-node.mjs']);
const bun = (id: number) => childPeer(`node ${id} (Bun)`, bin('bun'), ['mixed-node.mjs']);

interface Stats {
  drops: Record<string, number>;
  links: Record<string, string | undefined>;
  packetsSent: number;
  packetsReceived: number;
  packetsForwarded: number;
}
interface Info {
  nodeId: number;
  protocols: string[];
  userSpaceAddr: string;
}

/** Everything worth reading when a test failed: each node's counters and output, the relay and bridge. */
async function diagnostics(c: Controller | undefined, peers: Map<number, Peer>): Promise<string> {
  const parts: string[] = [];
  if (c) parts.push(`controller relay: ${JSON.stringify(c.status().relay)}`);
  for (const [id, p] of peers) {
    const s = await p
      .call<Stats>('stats', {}, 2000)
      .then(({ drops, ...rest }) => JSON.stringify({ ...rest, drops: Object.fromEntries(Object.entries(drops).filter(([, v]) => v !== 0)) }))
      .catch((e: Error) => `stats failed: ${e.message.split('\n')[0]}`);
    const log = p.log().split('\n').map((l) => (l.length > 400 ? `${l.slice(0, 400)}...` : l));
    parts.push(`--- ${p.name} (id ${id}) stats (non-zero drops only): ${s}\n${log.slice(-80).join('\n')}`);
  }
  return parts.join('\n');
}

async function controller(edges: [number, number][]): Promise<Controller> {
  const ids = new Set(edges.flat());
  const c = await startController({ port: 0, auth_token: SECRET, topology: { n_nodes: ids.size, edges } });
  cleanup.push(() => c.close());
  return c;
}

/** Opens every node (concurrently) and waits until each one sees the topology ready. */
async function openAll(c: Controller, peers: Map<number, Peer>, protocols: Map<number, string | undefined>): Promise<Map<number, Info>> {
  const infos = await Promise.all([...peers].map(([id, p]) => p.call<Info>('open', { url: c.url, id, protocol: protocols.get(id), token: SECRET })));
  const ready = await Promise.all([...peers.values()].map((p) => p.call<boolean>('ready', { timeoutMs: 15_000 })));
  expect(ready).toEqual([...peers.keys()].map(() => true));
  return new Map(infos.map((i) => [i.nodeId, i]));
}

/** Unicast from a to b for each pair and size: each payload arrives whole (sha256), from a. */
async function unicast(peers: Map<number, Peer>, pairs: [number, number][], sizes: number[]): Promise<void> {
  let seed = 100;
  for (const [a, b] of pairs) {
    const [from, to] = [peers.get(a)!, peers.get(b)!];
    const port = 7000 + 10 * a + b;
    await to.call('listen', { from: a, port });
    for (const size of sizes) {
      const s = seed++;
      const got = to.call('recv', { from: a, port, timeoutMs: 15_000 });
      const sent = await from.call<string>('send', { to: b, port, size, seed: s });
      expect(sent).toBe(sha(payloadFor(size, s)));
      expect(await got, `${size} B from ${from.name} to ${to.name}`).toEqual({ length: size, sha256: sent, srcNodeId: a });
    }
  }
}

/** A lossless session from `src` to `receivers` (a multicast group over `edges`, or unicast with one receiver and no edges). */
async function lossless(peers: Map<number, Peer>, infos: Map<number, Info>, src: number, receivers: number[], edges: [number, number][] | null, size: number, seed: number): Promise<void> {
  const source = peers.get(src)!;
  let target: { groupId?: number; destIp: string };
  if (edges) {
    const g = await source.call<{ groupId: number; groupIp: string }>('createGroup', { label: `from-${src}`, edges });
    for (const r of receivers) expect(await peers.get(r)!.call('join', { groupId: g.groupId, timeoutMs: 10_000 }), `${peers.get(r)!.name} joins`).toBe(true);
    target = { groupId: g.groupId, destIp: g.groupIp };
  } else {
    target = { destIp: infos.get(receivers[0]!)!.userSpaceAddr };
  }
  const rids = await Promise.all(receivers.map((r) => peers.get(r)!.call<number>('receiveData', { ...target, sourceNodeId: src, expectedBytes: size })));
  const sent = await source.call<{ sessionId: number; sha256: string }>('sendData', { ...target, receiverIds: receivers, size, seed });
  expect(sent.sha256).toBe(sha(payloadFor(size, seed)));
  const w = await source.call<{ ok: boolean; outcome: unknown; progress: unknown }>('losslessWait', { sessionId: sent.sessionId, timeoutMs: 20_000 }, 25_000);
  expect(w, `lossless from ${source.name} to ${receivers}`).toMatchObject({ ok: true, outcome: { status: 'completed' } });
  for (const [i, r] of receivers.entries()) {
    const peer = peers.get(r)!;
    expect(await peer.call('losslessWait', { sessionId: rids[i], timeoutMs: 5000 }), `${peer.name} completes`).toMatchObject({ ok: true });
    expect(await peer.call('dataSha', { sessionId: rids[i] }), `${peer.name}'s copy`).toEqual({ length: size, sha256: sent.sha256 });
  }
}

/** No datagram was refused anywhere: every MAC verified, every sender known, nothing lost at the relay or the bridge. */
async function expectClean(c: Controller, peers: Map<number, Peer>): Promise<Map<number, Stats>> {
  const stats = new Map<number, Stats>();
  for (const [id, p] of peers) {
    const s = await p.call<Stats>('stats');
    stats.set(id, s);
    expect(s.drops, `${p.name}'s drops`).toMatchObject({ auth: 0, replay: 0, no_key: 0, not_a_peer: 0, unknown_peer: 0, send_error: 0 });
  }
  const r = c.status().relay;
  expect({ unknownNode: r.dropsUnknownNode, backpressure: r.dropsBackpressure, unknownSource: r.bridge.dropsUnknownSource, sendErrors: r.bridge.sendErrors }).toEqual({ unknownNode: 0, backpressure: 0, unknownSource: 0, sendErrors: 0 });
  expect(c.status().authRequired).toBe(true);
  return stats;
}

describe('one network of several runtimes (packed tarball, authentication on)', () => {
  it('Chromium (default list) - Node (udp) - Deno (relay) in a line: unicast every way through the bridge and forwarding, lossless multicast from each', async () => {
    // 1 Chromium  -- 2 Node (udp) -- 3 Deno (relay); 1 and 3 are reached only through node 2.
    const c = await controller([
      [1, 2],
      [2, 3],
    ]);
    const peers = new Map<number, Peer>();
    diagnose = () => diagnostics(c, peers);
    peers.set(2, node(2));
    peers.set(3, deno(3));
    peers.set(1, await pagePeer('node 1 (Chromium)'));
    const started = Date.now();
    const infos = await openAll(
      c,
      peers,
      new Map([
        [1, undefined],
        [2, 'udp'],
        [3, 'relay'],
      ]),
    );
    expect(infos.get(1)!.protocols).toEqual(['memory', 'relay']);
    expect(infos.get(2)!.protocols).toEqual(['udp']);
    expect(infos.get(3)!.protocols).toEqual(['relay']);
    const ready = Date.now() - started;

    // The design: the UDP node sends to the relay nodes' faces on the controller (so it
    // sees UDP links), they send to it over the relay; both relay nodes are bridged.
    expect((await peers.get(2)!.call<Stats>('stats')).links).toEqual({ 1: 'udp', 3: 'udp' });
    expect((await peers.get(1)!.call<Stats>('stats')).links).toEqual({ 2: 'relay' });
    expect((await peers.get(3)!.call<Stats>('stats')).links).toEqual({ 2: 'relay' });
    expect(c.status().relay.bridge.faces.map((f) => f.nodeId)).toEqual([1, 3]);
    expect(c.status().relay.bound).toEqual([1, 3]);

    const t0 = Date.now();
    await unicast(
      peers,
      [
        [1, 2],
        [2, 1],
        [2, 3],
        [3, 2],
        [1, 3],
        [3, 1],
      ],
      [10, 64 * 1024, MiB + 7],
    );
    const tUnicast = Date.now() - t0;
    // 1 <-> 3 crossed the bridge twice each way, forwarded by the Node node over UDP.
    expect((await peers.get(2)!.call<Stats>('stats')).packetsForwarded).toBeGreaterThan(1500);

    const t1 = Date.now();
    // Chromium to Node and Deno, Deno to Chromium and Node, Node to both.
    await lossless(peers, infos, 1, [2, 3], [[1, 2], [2, 3]], 2 * MiB + 3, 31);
    await lossless(peers, infos, 3, [1, 2], [[3, 2], [2, 1]], 2 * MiB + 5, 32);
    await lossless(peers, infos, 2, [1, 3], [[2, 1], [2, 3]], MiB + 1, 33);
    const tLossless = Date.now() - t1;

    await expectClean(c, peers);
    const bridge = c.status().relay.bridge;
    expect(bridge.toRelay).toBeGreaterThan(3000);
    expect(bridge.toUdp).toBeGreaterThan(3000);
    console.log(`mixed runtimes (Chromium, Node udp, Deno relay): ready in ${ready} ms, unicast ${tUnicast} ms, 3 lossless multicasts ${tLossless} ms; bridge ${JSON.stringify(bridge)}`);
  }, 50_000);

  it('Bun (udp) and Deno (relay): unicast both ways and lossless sessions both ways, through the bridge', async () => {
    const c = await controller([[1, 2]]);
    const peers = new Map<number, Peer>([
      [1, bun(1)],
      [2, deno(2)],
    ]);
    diagnose = () => diagnostics(c, peers);
    const started = Date.now();
    const infos = await openAll(
      c,
      peers,
      new Map([
        [1, 'udp'],
        [2, 'relay'],
      ]),
    );
    const ready = Date.now() - started;
    expect((await peers.get(1)!.call<Stats>('stats')).links).toEqual({ 2: 'udp' });
    expect((await peers.get(2)!.call<Stats>('stats')).links).toEqual({ 1: 'relay' });
    expect(c.status().relay.bridge.faces.map((f) => f.nodeId)).toEqual([2]);

    const t0 = Date.now();
    await unicast(
      peers,
      [
        [1, 2],
        [2, 1],
      ],
      [10, 64 * 1024, MiB + 7],
    );
    await lossless(peers, infos, 1, [2], null, 2 * MiB + 3, 41);
    await lossless(peers, infos, 2, [1], null, 2 * MiB + 5, 42);
    const t = Date.now() - t0;

    await expectClean(c, peers);
    const bridge = c.status().relay.bridge;
    expect(bridge.toRelay).toBeGreaterThan(2000);
    expect(bridge.toUdp).toBeGreaterThan(2000);
    console.log(`Bun udp / Deno relay: ready in ${ready} ms, unicast and lossless ${t} ms; bridge ${JSON.stringify(bridge)}`);
  }, 40_000);
});
