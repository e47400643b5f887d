// The admin protocol: serveAdmin (server side, from the sources) against a fake ControllerApi
// on a real `ws` server, and connectController (the built bundle) talking to it.
import { afterEach, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { connectController, isNextminiError, NextminiError, type ControllerApi, type ControllerClient } from 'nextmini';
import { ADMIN_MAX_FRAME, ADMIN_MAX_IN_FLIGHT, serveAdmin } from '../../ts/controller/admin.js';
import type { ControllerStatus } from '../../ts/controller/api.js';

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

const STATUS: ControllerStatus = {
  expected: [1, 2, 3],
  connected: [1, 3],
  topologyReady: false,
  relay: { bound: [3], framesForwarded: 10, bytesForwarded: 1000, dropsUnknownNode: 1, dropsBackpressure: 0, dropsMalformed: 2, bindsRejected: 0, bridge: { faces: [{ nodeId: 3, port: 40000 }], toRelay: 4, toUdp: 5, dropsUnknownSource: 1, sendErrors: 0 } },
  store: 'memory',
  storeLocation: 'memory',
  groups: 2,
  routes: [{ srcNodeId: 1, dstNodeId: 3 }],
  metricsDropped: 0,
  authRequired: false,
  tls: false,
  refusedConnections: 0,
};

type Call = [string, ...unknown[]];

/** A ControllerApi that records its calls; `impl` overrides single methods. */
function fakeApi(impl: Partial<ControllerApi> = {}): ControllerApi & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    setLink: async (a) => void calls.push(['setLink', a]),
    getLink: (s, d) => (calls.push(['getLink', s, d]), { rate: 125_000, delay_ms: 5, loss_burst: { p_good_to_bad: 0.1, p_bad_to_good: 0.5, loss_in_bad: 1 } }),
    setRoutes: async (a) => void calls.push(['setRoutes', a]),
    clearRoutes: async (a) => void calls.push(['clearRoutes', a]),
    status: () => (calls.push(['status']), STATUS),
    metrics: async (q) => (calls.push(['metrics', q]), Object.assign([{ atMs: 1_700_000_000_000, nodeId: 2, name: 'link_tx_bytes', value: 42, neighbor: 3 }], { flows: [] })),
    flows: () => (calls.push(['flows']), []),
    startFlow: async (a) => (calls.push(['startFlow', a]), 1),
    stopFlow: async (id) => void calls.push(['stopFlow', id]),
    ...impl,
  };
}

async function adminServer(api: ControllerApi): Promise<{ url: string; port: number; wss: WebSocketServer }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: ADMIN_MAX_FRAME });
  await once(wss, 'listening');
  wss.on('connection', (ws, req) => {
    if (req.url !== '/admin') ws.close(1008, `no endpoint ${req.url}`);
    else serveAdmin(ws, api);
  });
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  );
  const port = (wss.address() as AddressInfo).port;
  return { url: `ws://127.0.0.1:${port}`, port, wss };
}

async function client(url: string, options?: Parameters<typeof connectController>[1]): Promise<ControllerClient> {
  const c = await connectController(url, options);
  cleanup.push(() => c.close());
  return c;
}

/** A raw WebSocket on /admin that collects replies. */
async function raw(url: string): Promise<{ ws: WebSocket; next(): Promise<{ data: unknown; binary: boolean }>; closed: Promise<{ code: number; reason: string }> }> {
  const ws = new WebSocket(`${url}/admin`);
  cleanup.push(() => ws.terminate());
  const queue: { data: unknown; binary: boolean }[] = [];
  const waiting: ((m: { data: unknown; binary: boolean }) => void)[] = [];
  ws.on('message', (data, binary) => {
    const m = { data: JSON.parse(data.toString()), binary };
    const w = waiting.shift();
    if (w) w(m);
    else queue.push(m);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on('error', () => {});
  await once(ws, 'open');
  const next = (): Promise<{ data: unknown; binary: boolean }> => (queue.length ? Promise.resolve(queue.shift()!) : new Promise((r) => waiting.push(r)));
  // The server greets first; with no admin_token requests are served at once.
  const greeting = await next();
  expect(greeting.data).toMatchObject({ greeting: 'nextmini-admin', auth: 'none' });
  return { ws, closed, next };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    return isNextminiError(err) ? `${err.code}: ${err.message}` : `foreign: ${String(err)}`;
  }
}

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('admin protocol round trips', () => {
  it('every method carries its arguments and its result', async () => {
    const api = fakeApi();
    const { url } = await adminServer(api);
    const c = await client(url);
    expect(c.url).toBe(`${url}/admin`);

    const link = { srcNodeId: 1, dstNodeId: 2, bidirectional: true, replace: true, rate: 1e6, bucketSize: 65536, delayMs: 12.5, jitterMs: 3, reorder: true, loss: 0.01, lossBurst: { pGoodToBad: 0.1, pBadToGood: 0.5, lossInBad: 0.9 }, queueLimitPackets: 100, seed: 7 };
    expect(await c.setLink(link)).toBeUndefined();
    expect(await c.getLink(2, 3)).toEqual({ rate: 125_000, delay_ms: 5, loss_burst: { p_good_to_bad: 0.1, p_bad_to_good: 0.5, loss_in_bad: 1 } });
    expect(await c.setRoutes({ srcNodeId: 1, dstNodeId: 3, route: [1, 2, 3] })).toBeUndefined();
    await c.setRoutes({ srcNodeId: 1, dstNodeId: 3, route: [[1, 2], [2, 3], [1, 3]] });
    expect(await c.clearRoutes({ srcNodeId: 1, dstNodeId: 3 })).toBeUndefined();
    expect(await c.status()).toEqual(STATUS);
    // The samples, with the flows beside them as on Controller.metrics().
    expect(await c.metrics({ nodeId: 2, name: 'link_tx_bytes', sinceMs: 5, limit: 10 })).toEqual(Object.assign([{ atMs: 1_700_000_000_000, nodeId: 2, name: 'link_tx_bytes', value: 42, neighbor: 3 }], { flows: [] }));
    await c.metrics();
    expect(await c.startFlow({ src: 1, dst: 2, bytes: 1000, transport: 'datagram', rate: 5e5 })).toBe(1);
    expect(await c.stopFlow(1)).toBeUndefined();
    expect(await c.flows()).toEqual([]);

    expect(api.calls).toEqual([
      ['setLink', link],
      ['getLink', 2, 3],
      ['setRoutes', { srcNodeId: 1, dstNodeId: 3, route: [1, 2, 3] }],
      ['setRoutes', { srcNodeId: 1, dstNodeId: 3, route: [[1, 2], [2, 3], [1, 3]] }],
      ['clearRoutes', { srcNodeId: 1, dstNodeId: 3 }],
      ['status'],
      ['metrics', { nodeId: 2, name: 'link_tx_bytes', sinceMs: 5, limit: 10 }],
      ['flows'],
      ['metrics', undefined],
      ['flows'],
      ['startFlow', { src: 1, dst: 2, bytes: 1000, transport: 'datagram', rate: 5e5 }],
      ['stopFlow', 1],
      ['flows'],
    ]);
  });

  it('accepts host:port and a trailing slash, and appends /admin once', async () => {
    const { port, url } = await adminServer(fakeApi());
    expect((await client(`127.0.0.1:${port}`)).url).toBe(`${url}/admin`);
    expect((await client(`${url}/`)).url).toBe(`${url}/admin`);
    expect((await client(`${url}/admin`)).url).toBe(`${url}/admin`);
  });

  it('errors keep their codes; anything else is INTERNAL', async () => {
    const api = fakeApi({
      setLink: async () => {
        throw new NextminiError('UNKNOWN_NODE', 'setLink: no node 9');
      },
      getLink: () => {
        throw new NextminiError('INVALID_ARGUMENT', 'getLink: 1→3 is not a topology link');
      },
      setRoutes: () => Promise.reject(new NextminiError('INVALID_ROUTES', 'hop (1,3) is not a topology link')),
      clearRoutes: async () => {
        throw new Error('disk on fire');
      },
      status: () => {
        throw new TypeError('oops');
      },
      metrics: () => Promise.reject('a string'),
    });
    const { url } = await adminServer(api);
    const c = await client(url);
    expect(await codeOf(c.setLink({ srcNodeId: 9, dstNodeId: 1 }))).toBe('UNKNOWN_NODE: setLink: no node 9');
    expect(await codeOf(c.getLink(1, 3))).toBe('INVALID_ARGUMENT: getLink: 1→3 is not a topology link');
    expect(await codeOf(c.setRoutes({ srcNodeId: 1, dstNodeId: 3, route: [1, 3] }))).toBe('INVALID_ROUTES: hop (1,3) is not a topology link');
    expect(await codeOf(c.clearRoutes({ srcNodeId: 1, dstNodeId: 3 }))).toMatch(/^INTERNAL: .*disk on fire/);
    expect(await codeOf(c.status())).toMatch(/^INTERNAL: .*oops/);
    expect(await codeOf(c.metrics())).toMatch(/^INTERNAL: .*a string/);
    // The connection is still good.
    expect(await codeOf(c.getLink(1, 3))).toMatch(/^INVALID_ARGUMENT/);
  });

  it('more calls than the in-flight bound wait in the client instead of failing', async () => {
    let active = 0;
    let peak = 0;
    const api = fakeApi({
      setLink: async () => {
        peak = Math.max(peak, ++active);
        await new Promise((r) => setTimeout(r, 5));
        active--;
      },
    });
    const { url } = await adminServer(api);
    const c = await client(url);
    await Promise.all(Array.from({ length: 3 * ADMIN_MAX_IN_FLIGHT }, (_, i) => c.setLink({ srcNodeId: 1, dstNodeId: 2, seed: i })));
    expect(peak).toBeLessThanOrEqual(ADMIN_MAX_IN_FLIGHT);
    expect(peak).toBeGreaterThan(1);
  });

  it('a request over 1 MiB is refused before it is sent', async () => {
    const { url } = await adminServer(fakeApi());
    const c = await client(url);
    expect(await codeOf(c.metrics({ name: 'x'.repeat(ADMIN_MAX_FRAME) }))).toMatch(/^PAYLOAD_TOO_LARGE: /);
    expect(await c.status()).toEqual(STATUS);
  });
});

describe('admin protocol: hostile frames', () => {
  it('garbage, non-JSON, missing ids and unknown methods get INVALID_ARGUMENT replies', async () => {
    const { url } = await adminServer(fakeApi());
    const r = await raw(url);

    r.ws.send(Buffer.from([0xff, 0xfe, 0x00, 0x80]), { binary: true });
    let m = await r.next();
    expect(m.binary).toBe(true);
    expect(m.data).toMatchObject({ id: null, error: { code: 'INVALID_ARGUMENT' } });

    r.ws.send('not json');
    m = await r.next();
    expect(m.binary).toBe(false);
    expect(m.data).toMatchObject({ id: null, error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/JSON/) } });

    for (const bad of ['[1,2]', 'null', '42', '{"method":"status"}', '{"id":"7","method":"status"}', '{"id":1.5,"method":"status"}']) {
      r.ws.send(bad);
      expect((await r.next()).data).toMatchObject({ id: null, error: { code: 'INVALID_ARGUMENT' } });
    }

    r.ws.send(JSON.stringify({ id: 1, method: 'explode' }));
    expect((await r.next()).data).toEqual({ id: 1, error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/unknown admin method "explode".*setLink/) } });
    r.ws.send(JSON.stringify({ id: 2, method: 'toString' }));
    expect((await r.next()).data).toMatchObject({ id: 2, error: { code: 'INVALID_ARGUMENT' } });
    r.ws.send(JSON.stringify({ id: 3, method: 'setLink', args: 'fast' }));
    expect((await r.next()).data).toMatchObject({ id: 3, error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/args/) } });
    r.ws.send(JSON.stringify({ id: 4, method: 'getLink', args: { srcNodeId: '1', dstNodeId: 2 } }));
    expect((await r.next()).data).toMatchObject({ id: 4, error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/srcNodeId/) } });

    // Binary UTF-8 JSON is a request like text; its reply is binary too.
    r.ws.send(Buffer.from(JSON.stringify({ id: 5, method: 'status' })), { binary: true });
    m = await r.next();
    expect(m).toEqual({ binary: true, data: { id: 5, result: STATUS } });
  });

  it('a 2 MiB frame closes the connection with a reason; the server keeps serving others', async () => {
    const { url } = await adminServer(fakeApi());
    const r = await raw(url);
    r.ws.send(Buffer.alloc(2 * 1024 * 1024, 0x20));
    const closed = await r.closed;
    expect(closed.code).toBe(1009);
    expect(closed.reason).not.toBe('');

    const r2 = await raw(url);
    r2.ws.send(Buffer.from([0xc3, 0x28]), { binary: false }); // invalid UTF-8 in a text frame
    const closed2 = await r2.closed;
    expect(closed2.code).toBe(1007);
    expect(closed2.reason).not.toBe('');

    const c = await client(url);
    expect(await c.status()).toEqual(STATUS);
  });

  it('a serveAdmin without maxPayload still refuses frames over 1 MiB, with a reason', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    wss.on('connection', (ws) => serveAdmin(ws, fakeApi()));
    cleanup.push(() => new Promise<void>((r) => (wss.clients.forEach((c) => c.terminate()), wss.close(() => r()))));
    const r = await raw(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
    r.ws.send(Buffer.alloc(ADMIN_MAX_FRAME + 1, 0x20));
    expect(await r.closed).toEqual({ code: 1009, reason: expect.stringMatching(/1048576/) });
  });

  it(`more than ${ADMIN_MAX_IN_FLIGHT} requests in flight on one connection get QUEUE_FULL`, async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { url } = await adminServer(fakeApi({ setLink: () => gate }));
    const r = await raw(url);
    for (let id = 1; id <= ADMIN_MAX_IN_FLIGHT + 2; id++) r.ws.send(JSON.stringify({ id, method: 'setLink', args: { srcNodeId: 1, dstNodeId: 2 } }));
    expect((await r.next()).data).toMatchObject({ id: ADMIN_MAX_IN_FLIGHT + 1, error: { code: 'QUEUE_FULL' } });
    expect((await r.next()).data).toMatchObject({ id: ADMIN_MAX_IN_FLIGHT + 2, error: { code: 'QUEUE_FULL' } });
    release();
    const ids = new Set<number>();
    for (let i = 0; i < ADMIN_MAX_IN_FLIGHT; i++) {
      const m = (await r.next()).data as { id: number; result: unknown };
      expect(m.result).toBeNull();
      ids.add(m.id);
    }
    expect(ids.size).toBe(ADMIN_MAX_IN_FLIGHT);
    // Slots are free again.
    r.ws.send(JSON.stringify({ id: 999, method: 'status' }));
    expect((await r.next()).data).toEqual({ id: 999, result: STATUS });
  });

  it('a reply for a client that left is dropped quietly', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const { url } = await adminServer(
      fakeApi({
        setLink: async () => {
          await gate;
          setTimeout(done, 20);
        },
      }),
    );
    const r = await raw(url);
    r.ws.send(JSON.stringify({ id: 1, method: 'setLink', args: { srcNodeId: 1, dstNodeId: 2 } }));
    await new Promise((res) => setTimeout(res, 20));
    r.ws.terminate();
    await r.closed;
    release();
    await finished;
    const c = await client(url);
    expect(await c.status()).toEqual(STATUS);
  });
});

describe('connectController', () => {
  it('a closed port is CONTROLLER_UNREACHABLE, quickly', async () => {
    const port = await closedPort();
    const t0 = Date.now();
    const r = await codeOf(connectController(`ws://127.0.0.1:${port}`));
    expect(r).toMatch(new RegExp(`^CONTROLLER_UNREACHABLE: cannot reach the controller at ws://127\\.0\\.0\\.1:${port}: `));
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('a server that never answers is CONTROLLER_UNREACHABLE after timeoutMs', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), silent.close(() => r()))));
    const port = (silent.address() as AddressInfo).port;
    const t0 = Date.now();
    expect(await codeOf(connectController(`127.0.0.1:${port}`, { timeoutMs: 300 }))).toMatch(/^CONTROLLER_UNREACHABLE: cannot reach the controller at 127\.0\.0\.1:\d+: no connection within 300 ms/);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('an endpoint that is not /admin is CONTROLLER_UNREACHABLE', async () => {
    const { port } = await adminServer(fakeApi());
    // The test server closes anything but /admin at once; this URL already names another path.
    const c = await codeOf(connectController(`ws://127.0.0.1:${port}/elsewhere/`).then((x) => x.status().finally(() => x.close())));
    expect(c).toMatch(/^CONTROLLER_UNREACHABLE: /);
  });

  it('options are checked like the rest of the SDK', async () => {
    expect(await codeOf(connectController('127.0.0.1:1', { timeout: 5 } as never))).toMatch(/^INVALID_ARGUMENT: connectController: unknown option timeout \(known: timeoutMs, signal/);
    expect(await codeOf(connectController('127.0.0.1:1', { timeoutMs: -1 }))).toMatch(/^INVALID_ARGUMENT: .*timeoutMs/);
    expect(await codeOf(connectController('127.0.0.1:1', 'fast' as never))).toMatch(/^INVALID_ARGUMENT: /);
    expect(await codeOf(connectController('not a url'))).toMatch(/^INVALID_ARGUMENT: connectController: url must be/);
    expect(await codeOf(connectController('ftp://127.0.0.1:1'))).toMatch(/^INVALID_ARGUMENT: /);
    expect(await codeOf(connectController('127.0.0.1:1', { signal: AbortSignal.abort() }))).toMatch(/^ABORTED: /);
  });

  it('abort while connecting is ABORTED', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), silent.close(() => r()))));
    const ac = new AbortController();
    const p = codeOf(connectController(`127.0.0.1:${(silent.address() as AddressInfo).port}`, { signal: ac.signal }));
    setTimeout(() => ac.abort(), 50);
    expect(await p).toMatch(/^ABORTED: /);
  });

  it('pending calls reject with CONTROLLER_UNREACHABLE when the connection drops; later calls too', async () => {
    const { url, wss } = await adminServer(fakeApi({ status: () => new Promise<never>(() => {}) }));
    const c = await client(url);
    const pending = codeOf(c.status());
    await new Promise((r) => setTimeout(r, 50));
    for (const ws of wss.clients) ws.terminate();
    expect(await pending).toMatch(/^CONTROLLER_UNREACHABLE: status: the connection to the controller at ws:.* was lost/);
    expect(await codeOf(c.getLink(1, 2))).toMatch(/^CONTROLLER_UNREACHABLE: /);
  });

  it('close() rejects pending calls with CLOSED; calls after close are CLOSED; close is idempotent', async () => {
    const { url } = await adminServer(fakeApi({ status: () => new Promise<never>(() => {}) }));
    const c = await connectController(url);
    const pending = codeOf(c.status());
    await new Promise((r) => setTimeout(r, 20));
    await c.close();
    expect(await pending).toMatch(/^CLOSED: /);
    expect(await codeOf(c.metrics())).toMatch(/^CLOSED: /);
    await c.close();
    const d = await connectController(url);
    await d[Symbol.asyncDispose]();
    expect(await codeOf(d.status())).toMatch(/^CLOSED: /);
  });

  it('a call with no answer is TIMEOUT after requestTimeoutMs, and the client stays usable', async () => {
    let n = 0;
    const { url } = await adminServer(fakeApi({ status: () => (n++ === 0 ? new Promise<never>(() => {}) : STATUS) }));
    const c = await client(url, { requestTimeoutMs: 200 });
    expect(await codeOf(c.status())).toBe('TIMEOUT: the controller did not answer status within 200 ms');
    expect(await c.status()).toEqual(STATUS);
  });
});
