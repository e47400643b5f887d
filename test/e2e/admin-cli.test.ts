// `nextmini admin`: usage errors, output against an in-process admin server with a fake
// ControllerApi, and a real controller in another process.
import { afterEach, describe, expect, it } from 'vitest';
import { execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { connectController, type ControllerApi, type SetLinkArgs } from 'nextmini';
import { ADMIN_MAX_FRAME, serveAdmin } from '../../ts/controller/admin.js';
import { cliPath, runCli, runCliToEnd, stopChild, tempToml } from './harness.js';

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** Runs `node dist/cli.js admin <args>`, with no NEXTMINI_CONTROLLER from the environment. */
const admin = (args: string[], env: Record<string, string> = {}) => runCliToEnd(['admin', ...args], { NEXTMINI_CONTROLLER: '', ...env });

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const C = ['--controller', 'ws://127.0.0.1:1'];

describe('nextmini admin: usage', () => {
  it('an unknown flag exits 2 and names it, listing the valid ones', async () => {
    const r = await admin([...C, '--bogus', 'status']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown flag --bogus \(valid: --controller URL, --timeout-ms MS, --token-file FILE, --ca FILE, --help\)/);
    const s = await admin([...C, 'status', '--bogus']);
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/nextmini admin status: unknown flag --bogus \(valid: --json, --controller URL/);
  });

  it('set-link without --src exits 2 and names it', async () => {
    const r = await admin([...C, 'set-link', '--dst', '2', '--delay-ms', '10']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nextmini admin set-link: --src N is required/);
  });

  it.each([
    [['set-link', '--src'], /--src needs a value: --src N/],
    [['set-link', '--src', '--dst', '2'], /--src needs a value/],
    [['set-link', '--src', '1', '--dst', '2', '--loss', '2'], /--loss must be a number from 0 to 1, got '2'/],
    [['set-link', '--src', '1', '--dst', '2', '--rate', 'fast'], /--rate must be a whole number >= 1, got 'fast'/],
    [['set-link', '--src', '0', '--dst', '2'], /--src must be a whole number >= 1/],
    [['set-link', '--src', '1', '--dst', '2', '--reorder', '--no-reorder'], /--reorder and --no-reorder exclude each other/],
    [['set-link', '--src', '1', '--dst', '2', '--bidirectional=yes'], /--bidirectional takes no value/],
    [['set-link', '--src', '1', '--dst', '2', 'extra'], /unexpected argument 'extra'/],
    [['set-routes', '--src', '1', '--dst', '3'], /exactly one of --path A,B,C or --dag A-B,B-C/],
    [['set-routes', '--src', '1', '--dst', '3', '--path', '1,x,3'], /--path: 'x' is not a node id/],
    [['set-routes', '--src', '1', '--dst', '3', '--dag', '1-2,2+3'], /--dag takes edges A-B/],
    [['metrics', '--node', 'two'], /--node must be a whole number/],
    [['stop-flow'], /--flow ID is required/],
    [['start-flow', '--src', '1', '--dst', '2', '--bytes', '0'], /--bytes must be a whole number >= 1/],
    [['frobnicate'], /unknown subcommand 'frobnicate' \(valid: status, set-link, get-link, set-routes, clear-routes, metrics, flows, start-flow, stop-flow\)/],
    [[], /a subcommand is required/],
  ])('nextmini admin --controller … %j exits 2', async (args, message) => {
    const r = await admin([...C, ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('--controller is required and checked', async () => {
    let r = await admin(['status']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--controller URL is required/);
    r = await admin(['--controller', 'nowhere', 'status']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--controller must be ws:\/\/host:port or host:port, got 'nowhere'/);
  });

  it('--help for the command and for each subcommand', async () => {
    const top = await admin(['--help']);
    expect(top.code).toBe(0);
    for (const sub of ['status', 'set-link', 'get-link', 'set-routes', 'clear-routes', 'metrics']) expect(top.stdout).toContain(sub);
    expect((await admin(['help'])).stdout).toBe(top.stdout);

    const sl = await admin(['set-link', '--help']);
    expect(sl.code).toBe(0);
    for (const f of ['--src N', '--dst N', '--bidirectional', '--replace', '--rate BYTES_PER_S', '--delay-ms MS', '--jitter-ms MS', '--loss FRACTION', '--reorder', '--queue-limit-packets N', '--bucket-size BYTES', '--controller URL']) {
      expect(sl.stdout).toContain(f);
    }
    // --help wins over other flags, even bad ones, and needs no controller.
    expect((await admin(['set-link', '--bogus', '-h'])).code).toBe(0);
    const m = await admin(['help', 'metrics']);
    expect(m.code).toBe(0);
    expect(m.stdout).toMatch(/--since-ms MS/);

    const main = await new Promise<string>((resolve) => execFile(process.execPath, [cliPath, '--help'], (_e, stdout) => resolve(stdout)));
    expect(main).toMatch(/admin --controller ws:\/\/HOST:PORT <subcommand>/);
  });

  it('an unreachable controller exits 1 with CONTROLLER_UNREACHABLE', async () => {
    const port = await freePort();
    const r = await admin(['--controller', `127.0.0.1:${port}`, 'status']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^nextmini admin: CONTROLLER_UNREACHABLE: cannot reach the controller at 127\\.0\\.0\\.1:${port}: `));
  });
});

describe('nextmini admin against an admin server (fake controller)', () => {
  async function fake(): Promise<{ url: string; calls: unknown[][] }> {
    const calls: unknown[][] = [];
    const api: ControllerApi = {
      setLink: async (a) => void calls.push(['setLink', a]),
      getLink: (s, d) => (calls.push(['getLink', s, d]), s === 9 ? Promise.reject(Object.assign(new Error('no node 9'), { name: 'NextminiError', code: 'UNKNOWN_NODE' })) : { rate: 125000, delay_ms: 10, loss: 0.01 }),
      setRoutes: async (a) => void calls.push(['setRoutes', a]),
      clearRoutes: async (a) => void calls.push(['clearRoutes', a]),
      status: () => ({
        expected: [1, 2, 3],
        connected: [1, 2],
        topologyReady: false,
        relay: { bound: [], framesForwarded: 0, bytesForwarded: 0, dropsUnknownNode: 0, dropsBackpressure: 0, dropsMalformed: 0, bindsRejected: 0, bridge: { faces: [], toRelay: 0, toUdp: 0, dropsUnknownSource: 0, sendErrors: 0 } },
        store: 'memory',
        storeLocation: 'memory',
        groups: 0,
        routes: [{ srcNodeId: 1, dstNodeId: 3 }],
        metricsDropped: 0,
        authRequired: false,
        tls: false,
        refusedConnections: 0,
      }),
      metrics: async (q) => (
        calls.push(['metrics', q]),
        Object.assign(
          [
            { atMs: Date.UTC(2030, 0, 1), nodeId: 1, name: 'packets_forwarded', value: 12 },
            { atMs: Date.UTC(2030, 0, 1, 0, 0, 1), nodeId: 2, name: 'link_tx_bytes', value: 123456, neighbor: 3 },
          ],
          { flows: [] },
        )
      ),
      flows: () => (
        calls.push(['flows']),
        [
          {
            flowId: 4,
            spec: { src: 1, dst: 2, bytes: 1000, rate: 500, weight: 1, transport: 'datagram' as const },
            state: 'done' as const,
            reason: '',
            bytesSent: 1000,
            bytesReceived: 976,
            packetsSent: 2,
            packetsReceived: 1,
            duplicates: 0,
            framesResent: 0,
            loss: 0.5,
            startedAtMs: 1,
            endedAtMs: 2001,
            durationMs: 2000,
            completionMs: 1990.4,
          },
        ]
      ),
      startFlow: async (a) => (calls.push(['startFlow', a]), 4),
      stopFlow: async (id) => void calls.push(['stopFlow', id]),
    };
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: ADMIN_MAX_FRAME });
    await once(wss, 'listening');
    wss.on('connection', (ws) => serveAdmin(ws, api));
    cleanup.push(() => new Promise<void>((r) => (wss.clients.forEach((c) => c.terminate()), wss.close(() => r()))));
    return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, calls };
  }

  it('maps every flag and prints results', async () => {
    const { url, calls } = await fake();
    const run = async (...args: string[]) => {
      const r = await admin(['--controller', url, ...args]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      return r.stdout;
    };
    const status = await run('status');
    expect(status).toMatch(/nodes: +2 of 3 connected \(1, 2\); waiting for 3/);
    expect(status).toMatch(/routes: +1→3/);
    expect(JSON.parse(await run('status', '--json'))).toMatchObject({ expected: [1, 2, 3], store: 'memory' });

    await run(
      'set-link', '--src', '1', '--dst', '2', '--bidirectional', '--replace', '--rate', '125000', '--bucket-size', '20000', '--delay-ms', '12.5', '--jitter-ms', '2',
      '--loss', '0.01', '--reorder', '--queue-limit-packets', '50', '--loss-burst', '0.1,0.5,1', '--seed', '7',
    );
    // Global flags also work after the subcommand (given once: twice is a usage error).
    const after = await admin(['set-link', '--src', '2', '--dst', '1', '--no-reorder', '--controller', url]);
    expect([after.code, after.stderr]).toEqual([0, '']);
    expect(calls.splice(0)).toEqual([
      ['setLink', { srcNodeId: 1, dstNodeId: 2, bidirectional: true, replace: true, rate: 125000, bucketSize: 20000, delayMs: 12.5, jitterMs: 2, loss: 0.01, reorder: true, queueLimitPackets: 50, lossBurst: { pGoodToBad: 0.1, pBadToGood: 0.5, lossInBad: 1 }, seed: 7 } satisfies SetLinkArgs],
      ['setLink', { srcNodeId: 2, dstNodeId: 1, reorder: false }],
    ]);

    expect(await run('get-link', '--src', '1', '--dst', '2')).toBe('link 1→2: rate 125000 B/s, delay 10 ms, loss 0.01\n');
    expect(JSON.parse(await run('get-link', '--src', '1', '--dst', '2', '--json'))).toEqual({ rate: 125000, delay_ms: 10, loss: 0.01 });
    await run('set-routes', '--src', '1', '--dst', '3', '--path', '1,2,3');
    await run('set-routes', '--src', '1', '--dst', '3', '--dag', '1-2,2-3,1-4,4-3');
    await run('clear-routes', '--src', '1', '--dst', '3');
    expect(calls.splice(0)).toEqual([
      ['getLink', 1, 2],
      ['getLink', 1, 2],
      ['setRoutes', { srcNodeId: 1, dstNodeId: 3, route: [1, 2, 3] }],
      ['setRoutes', { srcNodeId: 1, dstNodeId: 3, route: [[1, 2], [2, 3], [1, 4], [4, 3]] }],
      ['clearRoutes', { srcNodeId: 1, dstNodeId: 3 }],
    ]);

    const table = await run('metrics', '--node', '2', '--name', 'link_tx_bytes', '--since-ms', '1000', '--limit', '5');
    expect(table.split('\n')[0]).toMatch(/^time +node +name +neighbor +value$/);
    expect(table).toMatch(/2030-01-01T00:00:01\.000Z +2 +link_tx_bytes +3 +123456/);
    expect(JSON.parse(await run('metrics', '--json'))).toHaveLength(2);
    expect(calls.splice(0)).toEqual([
      ['metrics', { nodeId: 2, name: 'link_tx_bytes', sinceMs: 1000, limit: 5 }],
      ['flows'],
      ['metrics', {}],
      ['flows'],
    ]);

    expect(await run('start-flow', '--src', '1', '--dst', '2', '--bytes', '1000', '--rate', '500', '--weight', '3', '--transport', 'datagram')).toBe('flow 4 started: 1→2\n');
    await run('start-flow', '--src', '2', '--dst', '1', '--duration-ms', '1500', '--rate', '1e6');
    expect(await run('stop-flow', '--flow', '4')).toBe('flow 4 stopped\n');
    const flows = await run('flows');
    expect(flows.split('\n')[0]).toMatch(/^flow +src→dst +transport +state +sent +received +loss +completion$/);
    expect(flows).toMatch(/^4 +1→2 +datagram +done +1000 +976 +50\.00% +1990 ms$/m);
    expect(JSON.parse(await run('flows', '--json'))[0]).toMatchObject({ flowId: 4, loss: 0.5 });
    expect(calls.splice(0)).toEqual([
      ['startFlow', { src: 1, dst: 2, bytes: 1000, rate: 500, weight: 3, transport: 'datagram' }],
      ['startFlow', { src: 2, dst: 1, durationMs: 1500, rate: 1e6 }],
      ['stopFlow', 4],
      ['flows'],
      ['flows'],
    ]);
    const both = await admin(['--controller', url, 'start-flow', '--src', '1', '--dst', '2', '--bytes', '5', '--duration-ms', '5']);
    expect([both.code, both.stderr]).toEqual([2, expect.stringMatching(/give exactly one of --bytes N or --duration-ms MS/)]);
  });

  it("the controller's errors exit 1 as CODE: message", async () => {
    const { url } = await fake();
    const r = await admin(['--controller', url, 'get-link', '--src', '9', '--dst', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('nextmini admin: UNKNOWN_NODE: no node 9\n');
  });
});

describe('nextmini admin against `nextmini controller` in another process', () => {
  async function controller(): Promise<{ url: string; child: ChildProcess }> {
    const port = await freePort();
    const config = tempToml('controller.toml', `host = "127.0.0.1"\nport = ${port}\n\n[topology]\nn_nodes = 3\nedges = [[1, 2], [2, 3]]\n[routing]\nprotocol = "shortest_path"\n`);
    const { child } = await runCli(['controller', '--config', config, '--in-memory'], /controller listening on/);
    cleanup.push(() => stopChild(child));
    return { url: `ws://127.0.0.1:${port}`, child };
  }

  it('connectController: status, setLink and getLink', async () => {
    const { url } = await controller();
    const c = await connectController(url);
    cleanup.push(() => c.close());
    const s = await c.status();
    expect(s.expected).toEqual([1, 2, 3]);
    expect(s.connected).toEqual([]);
    expect(s.store).toBe('memory');
    await c.setLink({ srcNodeId: 1, dstNodeId: 2, rate: 125_000, delayMs: 10 });
    expect(await c.getLink(1, 2)).toMatchObject({ rate: 125_000, delay_ms: 10 });
    expect((await c.getLink(2, 1)).delay_ms ?? 0).toBe(0);
    await expect(c.setLink({ srcNodeId: 1, dstNodeId: 3, delayMs: 1 })).rejects.toMatchObject({ name: 'NextminiError' });
  });

  it('the CLI: status --json, set-link, get-link', async () => {
    const { url } = await controller();
    const status = await admin(['--controller', url, 'status', '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ expected: [1, 2, 3], connected: [] });
    const set = await admin(['--controller', url, 'set-link', '--src', '2', '--dst', '3', '--bidirectional', '--loss', '0.25', '--delay-ms', '5']);
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    const get = await admin(['--controller', url, 'get-link', '--src', '3', '--dst', '2', '--json']);
    expect(get.code).toBe(0);
    expect(JSON.parse(get.stdout)).toMatchObject({ loss: 0.25, delay_ms: 5 });
    const bad = await admin(['--controller', url, 'set-link', '--src', '1', '--dst', '3', '--delay-ms', '1']); // 1-3 is no link
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^nextmini admin: [A-Z_]+: /);
  });
});
