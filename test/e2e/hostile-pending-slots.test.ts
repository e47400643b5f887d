// Found by a hostile review of issue 11, fixed since (a relay connection stays pending until its
// token is accepted; admin connections must prove the token within 10 s; refused sockets are
// terminated after 1 s): max_pending_per_address, the cap on connections that have not
// authenticated yet. What used to go wrong:
//
// 1. /relay releases a connection's pending slot (and lifts its max_hello_bytes cap) on its FIRST
//    frame, whatever that frame holds (ts/controller/controller.ts: `ws.once('message', proven)`
//    registered before RelayHub.accept checks the token). A wrong token gets ws.close(4003), but
//    a client that never answers the close frame keeps the socket for ws's 30 s close timeout,
//    outside the cap: one address holds as many unauthenticated connections as it likes.
// 2. /admin has no authentication deadline at all (ts/controller/admin.ts has no timer), so
//    max_pending_per_address idle admin sockets hold every pending slot of their address for
//    ever; every node connecting from that address (all of them, on a loopback testbed or
//    behind one NAT) is refused with HTTP 429 and cannot join.
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { Dataplane, startController, type Controller } from 'nextmini';
import { codeOf } from './harness.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});

const SECRET = 'node-secret-0123456789abcdef';
const ADMIN = 'admin-secret-0123456789abcdef';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function controller(cfg: Record<string, unknown>): Promise<Controller> {
  const c = await startController({ port: 0, topology: { n_nodes: 2, edges: [[1, 2]] }, auth_token: SECRET, admin_token: ADMIN, ...cfg } as never);
  cleanup.push(() => c.close());
  return c;
}

/**
 * A hand-made WebSocket client that never answers a close frame. Resolves with the socket and the
 * HTTP status line once the handshake answer arrives.
 */
function rawWs(url: string, path: string): Promise<{ socket: Socket; status: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port), u.hostname);
    socket.on('error', () => {});
    let head = '';
    socket.once('connect', () =>
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    );
    const onData = (b: Buffer) => {
      head += b.toString('latin1');
      if (head.includes('\r\n')) {
        socket.off('data', onData);
        socket.on('data', () => {}); // read and ignore everything, never reply
        resolve({ socket, status: head.split('\r\n')[0]! });
      }
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error('closed before answering')));
  });
}

/** One masked binary frame (client to server). */
function frame(payload: Uint8Array): Buffer {
  const mask = randomBytes(4);
  const len = payload.length;
  const hdr = len < 126 ? Buffer.from([0x82, 0x80 | len]) : Buffer.from([0x82, 0x80 | 126, len >> 8, len & 0xff]);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i]! ^= mask[i % 4]!;
  return Buffer.concat([hdr, mask, body]);
}

describe('the pending-connection cap holds', () => {
  it('/relay: a junk first frame no longer frees the pending slot; one address holds at most max_pending_per_address unauthenticated sockets', async () => {
    const c = await controller({ max_pending_per_address: 2 });
    const sockets: Socket[] = [];
    cleanup.push(async () => sockets.forEach((s) => s.destroy()));
    const statuses: string[] = [];
    for (let i = 0; i < 40; i++) {
      const r = await rawWs(c.url, '/relay?node=1').catch(() => undefined);
      if (!r) continue;
      sockets.push(r.socket);
      statuses.push(r.status);
      r.socket.write(frame(new Uint8Array([1]))); // a wrong relay token
      await sleep(5);
    }
    await sleep(1000);
    const open = sockets.filter((s) => !s.destroyed && s.readyState === 'open').length;
    console.log(`101 answers: ${statuses.filter((s) => s.includes('101')).length} of 40; sockets still open after 1 s: ${open}; refused: ${c.status().refusedConnections}`);
    // Expected: at most max_pending_per_address (2) unauthenticated connections from 127.0.0.1.
    expect(open).toBeLessThanOrEqual(2);
  });

  it('/admin: idle unauthenticated admin sockets are closed after 10 s, so they cannot lock nodes on the same address out', async () => {
    const c = await controller({ max_pending_per_address: 4 });
    const idle: WebSocket[] = [];
    cleanup.push(async () => idle.forEach((w) => w.terminate()));
    for (let i = 0; i < 4; i++) {
      const w = new WebSocket(`${c.url}/admin`);
      w.on('error', () => {});
      await new Promise((r) => w.once('message', r)); // the greeting; then say nothing
      idle.push(w);
    }
    await sleep(11_000); // longer than the control protocol's 10 s hello deadline
    const stillOpen = idle.filter((w) => w.readyState === w.OPEN).length;
    const got = await codeOf(
      Dataplane.open({ node_id: 1, controller_addr: c.url, auth_token: SECRET } as never, { connectTimeoutMs: 3000 }).then((dp) => {
        cleanup.push(() => dp.close());
      }),
    );
    console.log(`idle admin sockets still open after 11 s: ${stillOpen}; the real node 1 with the right secret: ${got}`);
    expect(got).toBe('resolved');
  }, 30_000);
});
