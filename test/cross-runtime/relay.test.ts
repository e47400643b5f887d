// Nodes without usable sockets join through the WebSocket relay: a Deno node and a headless
// Chromium page (dist/browser.js), both from the packed tarball, exchange payloads both ways
// with a Node node through a controller this test starts.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { Dataplane, PacketView, startController, type Controller } from 'nextmini';
import { payloadFor } from '../e2e/payload.mjs';
import { bin, chromiumPath, CHROMIUM_ARGS, packedProject, serveStatic } from './project.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
let project = '';
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(() => {
  project = packedProject(['e2e/payload.mjs', 'cross-runtime/relay-node.mjs', 'cross-runtime/relay.html', 'cross-runtime/relay-page.mjs']);
});
afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});

// Authentication on: the Deno node and the page prove the secret with their runtime's WebCrypto,
// and every datagram carries a per-hop MAC computed by the same wasm core.
const SECRET = 'cross-runtime-secret-0123456789';

/** A controller for nodes 1 and 2 and the Node node 1 (relay, in this process). */
async function controllerAndNodeOne(): Promise<{ c: Controller; n1: Dataplane }> {
  const c = await startController({ port: 0, auth_token: SECRET, topology: { n_nodes: 2, edges: [[1, 2]] } });
  cleanup.push(() => c.close());
  const n1 = await Dataplane.open({ node_id: 1, controller_addr: c.url, protocol: 'relay', auth_token: SECRET });
  cleanup.push(() => n1.close());
  return { c, n1 };
}

/** Lines a child prints, awaitable by prefix. */
function lines(child: ReturnType<typeof spawn>): { next(prefix: string, timeoutMs?: number): Promise<string>; all(): string } {
  let out = '';
  const waiters: { prefix: string; resolve(l: string): void }[] = [];
  const scan = () => {
    for (const w of [...waiters]) {
      const l = out.split('\n').find((x) => x.startsWith(w.prefix) && out.includes(`${x}\n`));
      if (l) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(l);
      }
    }
  };
  child.stdout!.on('data', (b: Buffer) => {
    out += b.toString();
    scan();
  });
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  return {
    next: (prefix, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "${prefix}" line within ${timeoutMs} ms:\n${out}`)), timeoutMs);
        waiters.push({ prefix, resolve: (l) => (clearTimeout(timer), resolve(l)) });
        scan();
      }),
    all: () => out,
  };
}

describe('relay nodes in other runtimes', () => {
  it('a Deno node (relay, from the tarball) and a Node node exchange payloads both ways', async () => {
    const { c, n1 } = await controllerAndNodeOne();
    const rx = n1.registerReceiverFromNode({ srcNodeId: 2 });
    const size = 300_000;
    const deno = spawn(bin('deno'), ['run', '--allow-net', '--allow-read', '--allow-env', 'relay-node.mjs', c.url, '2', '1', String(size), SECRET], {
      cwd: project,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanup.push(async () => deno.kill());
    const out = lines(deno);
    // Deno -> Node
    const sent = await out.next('SENT ');
    const d = await rx.recv({ timeoutMs: 20_000 });
    expect(d, out.all()).not.toBeNull();
    expect(d!.payload.length).toBe(size);
    expect(sha(d!.payload)).toBe(sent.slice(5));
    expect(sha(d!.payload)).toBe(sha(payloadFor(size, 2)));
    // Node -> Deno (its receiver was registered before it sent)
    const back = payloadFor(200_000, 1);
    await n1.sendToNode({ dstNodeId: 2, frozen: PacketView.fromBuffer(back, { copy: false }) });
    expect(await out.next('GOT ')).toBe(`GOT ${back.length} ${sha(back)}`);
    const exit = await new Promise<number | null>((r) => (deno.exitCode !== null ? r(deno.exitCode) : deno.once('exit', r)));
    expect(exit, out.all()).toBe(0);
    expect(c.status().relay.framesForwarded).toBeGreaterThan(350);
    expect(c.status().authRequired).toBe(true);
    expect(n1.stats().drops).toMatchObject({ auth: 0, replay: 0, no_key: 0 });
  });

  it('headless Chromium opens a Dataplane via the relay (dist/browser.js) and exchanges payloads with a Node node', async () => {
    const { c, n1 } = await controllerAndNodeOne();
    const { chromium } = await import('playwright-core');
    const { server, port } = await serveStatic(project);
    cleanup.push(async () => server.close());
    const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
    cleanup.push(() => browser.close());
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${port}/relay.html`);
    await page.waitForFunction('window.relayLoaded === true');
    const opened = (await page.evaluate(`window.relay.open(${JSON.stringify(c.url)}, 2, 1, ${JSON.stringify(SECRET)})`)) as {
      info: { nodeId: number; protocol: string; protocols: string[]; userSpaceAddr: string };
      stringConfig: string;
      udp: string;
      beforeInit: string;
    };
    expect(opened.beforeInit).toBe('NOT_INITIALIZED');
    // A browser speaks memory (other nodes in its tab) and the relay by default.
    expect(opened.info).toMatchObject({ nodeId: 2, protocol: 'memory', protocols: ['memory', 'relay'], userSpaceAddr: '192.168.0.2' });
    expect(opened.stringConfig).toMatch(/^CONFIG_INVALID: .*cannot read config files.*pass the config as an object/);
    expect(opened.udp).toMatch(/^CONFIG_INVALID: .*"udp" is not available in the browser; use one of "memory", "relay"/);

    // As a user would: traffic starts once the topology is ready (both ends hold this link's
    // keys by then: links-up follows the keys message on each node's control channel). The
    // page speaks memory too, so it binds its relay connection when its peer is reached over
    // the relay, before it reports links up.
    expect(await n1.waitForTopologyReady({ timeoutMs: 10_000 })).toBe(true);
    expect(c.status().relay.bound).toEqual([1, 2]);
    // Node -> browser
    const toPage = payloadFor(1024 * 1024 + 7, 11);
    const received = page.evaluate('window.relay.recv()');
    await n1.sendToNode({ dstNodeId: 2, frozen: PacketView.fromBuffer(toPage, { copy: false }) });
    const got = await received;
    if (!got) console.log('node 1 drops', JSON.stringify(n1.stats().drops), 'relay', JSON.stringify(c.status().relay));
    expect(got).toEqual({ length: toPage.length, sha256: sha(toPage), srcIp: '192.168.0.1' });

    // browser -> Node
    const rx = n1.registerReceiverFromNode({ srcNodeId: 2 });
    const sent = await page.evaluate('window.relay.send(1, 500000, 12)');
    const d = await rx.recv({ timeoutMs: 20_000 });
    expect(d && sha(d.payload)).toBe(sent);
    expect(sent).toBe(sha(payloadFor(500_000, 12)));

    const drops = (await page.evaluate('window.relay.close()')) as Record<string, number>;
    expect(Object.values(drops).reduce((a, b) => a + b, 0)).toBe(0);
    expect(errors).toEqual([]);
  });
});
