// Reliable streams between runtimes over the WebSocket relay, authentication on: a Node node
// and a headless Chromium page (dist/browser.js from the packed tarball) open a stream each way
// and exchange 1 MiB in both directions of each, with half-close, and see refusals and resets;
// a Deno node connects to the Node node. Every side runs the same exchange (stream-exchange.mjs)
// and hashes what it read.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { Dataplane, startController, type Controller } from 'nextmini';
import { payloadFor } from '../e2e/payload.mjs';
import { exchange, type ExchangeResult } from './stream-exchange.mjs';
import { bin, chromiumPath, CHROMIUM_ARGS, packedProject, serveStatic } from './project.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
let project = '';
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(() => {
  project = packedProject(['e2e/payload.mjs', 'cross-runtime/stream-exchange.mjs', 'cross-runtime/stream-node.mjs', 'cross-runtime/streams.html', 'cross-runtime/streams-page.mjs']);
});
afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});

const SECRET = 'cross-runtime-stream-secret-0123';
/** Bytes each side writes on each stream: over 1 MiB, not a multiple of any chunk size. */
const SIZE = 1024 * 1024 + 4321;

/** A controller for nodes 1 and 2, and the Node node 1 (relay, in this process). */
async function controllerAndNodeOne(): Promise<{ c: Controller; n1: Dataplane }> {
  const c = await startController({ port: 0, auth_token: SECRET, topology: { n_nodes: 2, edges: [[1, 2]] } });
  cleanup.push(() => c.close());
  const n1 = await Dataplane.open({ node_id: 1, controller_addr: c.url, protocol: 'relay', auth_token: SECRET });
  cleanup.push(() => n1.close());
  return { c, n1 };
}

/** What one side read must be exactly what the other wrote. */
function expectReceived(r: ExchangeResult | { error: string }, sent: Uint8Array): void {
  expect('error' in r ? r.error : '').toBe('');
  expect(r).toMatchObject({ length: sent.length, sha256: sha(sent) });
}

describe('streams across runtimes over the relay', () => {
  it('Node and Chromium: a stream each way, 1 MiB in both directions of each, half-closed; CONNECTION_REFUSED and CONNECTION_RESET reach the page', async () => {
    const { c, n1 } = await controllerAndNodeOne();
    const { chromium } = await import('playwright-core');
    const { server, port } = await serveStatic(project);
    cleanup.push(async () => server.close());
    const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
    cleanup.push(() => browser.close());
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${port}/streams.html`);
    await page.waitForFunction('window.streamsLoaded === true');
    expect(await page.evaluate(`window.streams.open(${JSON.stringify(c.url)}, 2, ${JSON.stringify(SECRET)})`)).toBe(true);
    expect(await n1.waitForTopologyReady({ timeoutMs: 10_000 })).toBe(true);

    // Node connects to a listener in the page.
    await page.evaluate(`window.streams.serve(7000, ${SIZE}, 22)`);
    const fromNode = payloadFor(SIZE, 11);
    const s = await n1.connect({ dstNodeId: 2, dstPort: 7000 });
    expect([s.remoteNodeId, s.remotePort]).toEqual([2, 7000]);
    const [nodeRead, pageRead] = await Promise.all([exchange(s, fromNode), page.evaluate('window.streams.served()') as Promise<ExchangeResult>]);
    expectReceived(nodeRead, payloadFor(SIZE, 22));
    expectReceived(pageRead, fromNode);
    expect(pageRead).toMatchObject({ remoteNodeId: 1, remotePort: s.localPort });
    expect(s.stats()).toMatchObject({ bytesSent: SIZE, bytesReceived: SIZE });


    // The page connects to a listener in the Node node.
    const listener = n1.listen({ port: 7001 });
    cleanup.push(async () => listener.close());
    const served = (async () => {
      const a = await listener.accept();
      if (!a) throw new Error('listener closed before a stream arrived');
      return exchange(a, payloadFor(SIZE, 13));
    })();
    const pageSide = (await page.evaluate(`window.streams.connect(1, 7001, ${SIZE}, 24)`)) as ExchangeResult | { error: string };
    expectReceived(pageSide, payloadFor(SIZE, 13));
    expectReceived(await served, payloadFor(SIZE, 24));
    expect(pageSide).toMatchObject({ remoteNodeId: 1, remotePort: 7001 });

    // Nobody listens on port 7999 at node 1: the page's connect fails with the code, in the page.
    expect(await page.evaluate('window.streams.refused(1, 7999)')).toMatch(/^CONNECTION_REFUSED: /);

    // The Node side aborts: the page's stream fails with CONNECTION_RESET.
    await page.evaluate(`window.streams.serve(7002, ${SIZE}, 25)`);
    const doomed = await n1.connect({ dstNodeId: 2, dstPort: 7002 });
    doomed.abort(new Error('test'));
    expect(await page.evaluate('window.streams.served()')).toEqual({ error: expect.stringMatching(/^CONNECTION_RESET: /) });

    const drops = (await page.evaluate('window.streams.close()')) as Record<string, number>;
    expect(drops).toMatchObject({ auth: 0, replay: 0, no_key: 0 });
    expect(n1.stats().drops).toMatchObject({ auth: 0, replay: 0, no_key: 0 });
    expect(c.status().authRequired).toBe(true);
    expect(errors).toEqual([]);
  });

  it('Deno connects to a listener in the Node node: 1 MiB each way, half-closed', async () => {
    const { c, n1 } = await controllerAndNodeOne();
    const listener = n1.listen({ port: 7002 });
    cleanup.push(async () => listener.close());
    const deno = spawn(bin('deno'), ['run', '--allow-net', '--allow-read', '--allow-env', 'stream-node.mjs', c.url, '2', '1', '7002', String(SIZE), SECRET], {
      cwd: project,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanup.push(async () => deno.kill());
    let out = '';
    deno.stdout.on('data', (b: Buffer) => (out += b.toString()));
    deno.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => deno.once('exit', r));

    const a = await Promise.race([listener.accept(), exited.then(() => null)]);
    expect(a, out).not.toBeNull();
    expect(a!.remoteNodeId).toBe(2);
    const nodeRead = await exchange(a!, payloadFor(SIZE, 1));
    expectReceived(nodeRead, payloadFor(SIZE, 2));
    expect(await exited, out).toBe(0);
    const line = out.split('\n').find((l) => l.startsWith('RESULT '));
    expect(line, out).toBeDefined();
    const denoRead = JSON.parse(line!.slice(7)) as ExchangeResult & { drops: Record<string, number> };
    expectReceived(denoRead, payloadFor(SIZE, 1));
    expect(denoRead).toMatchObject({ remoteNodeId: 1, remotePort: 7002, drops: { auth: 0, replay: 0, no_key: 0 } });
  });
});
