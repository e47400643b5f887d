// Issue 11, control plane: each attack replayed end to end on loopback, and refused.
// Hello without or with a wrong secret, an id claimed before the real node, a controller that
// cannot prove the secret, data addresses nobody vouches for, admin calls without the admin
// token, oversize labels and frames, floods of connections that never authenticate, and wss://.
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { WebSocket } from 'ws';
import { connectController, Dataplane, PacketView, startController, type Controller } from 'nextmini';
import { codeOf, runCli, stopChild, tempToml } from './harness.js';
import { selfSignedCert } from '../helpers/tls.js';
import { helloBytes } from '../helpers/raw-wire.js';
import { expectLoggedErrors } from '../helpers/quiet-log.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});

const SECRET = 'node-secret-0123456789abcdef';
const ADMIN = 'admin-secret-0123456789abcdef';
const LINE = { n_nodes: 3, edges: [[1, 2], [2, 3]] };

async function controller(cfg: Record<string, unknown> = {}): Promise<Controller> {
  const c = await startController({ port: 0, topology: LINE, ...cfg } as never);
  cleanup.push(() => c.close());
  return c;
}

async function open(cfg: Record<string, unknown>, timeoutMs = 10_000): Promise<Dataplane> {
  const dp = await Dataplane.open({ protocol: 'udp', ...cfg } as never, { connectTimeoutMs: timeoutMs });
  cleanup.push(() => dp.close());
  return dp;
}

describe('control-plane authentication', () => {
  it('a hello without the secret, or with a wrong one, is refused UNAUTHORIZED; the real node then joins', async () => {
    const logged = expectLoggedErrors(); // a refusal reaches the caller once, as the rejection: it must not be logged as well
    const c = await controller({ auth_token: SECRET, admin_token: ADMIN });
    expect(await codeOf(open({ node_id: 1, controller_addr: c.url }))).toMatch(/^CONTROLLER_REJECTED: .*requires authentication.*\(UNAUTHORIZED\)/);
    expect(await codeOf(open({ node_id: 1, controller_addr: c.url, auth_token: 'guess-guess-guess-guess' }))).toMatch(
      /^CONTROLLER_REJECTED: .*did not prove the right secret.*\(UNAUTHORIZED\)/,
    );
    // The attacker claimed id 1 first and failed; the real node is not locked out.
    const real = await open({ node_id: 1, controller_addr: c.url, auth_token: SECRET });
    expect(real.nodeId).toBe(1);
    expect(c.status()).toMatchObject({ authRequired: true, connected: [1] });
    expect(c.status().refusedConnections).toBeGreaterThanOrEqual(1);
    expect(logged.join('\n')).not.toContain('UNAUTHORIZED');
  });

  it('per-node tokens: a node cannot join as another with its own token', async () => {
    const logged = expectLoggedErrors(); // a refusal reaches the caller once, as the rejection: it must not be logged as well
    const c = await controller({
      nodes: [
        { node_id: 1, token: 'token-of-node-1-aaaaaaaa' },
        { node_id: 2, token: 'token-of-node-2-bbbbbbbb' },
      ],
    });
    expect(await codeOf(open({ node_id: 2, controller_addr: c.url, auth_token: 'token-of-node-1-aaaaaaaa' }))).toMatch(/UNAUTHORIZED/);
    expect(await codeOf(open({ node_id: 3, controller_addr: c.url, auth_token: 'token-of-node-1-aaaaaaaa' }))).toMatch(/node 3 has no token.*UNAUTHORIZED/);
    await open({ node_id: 1, controller_addr: c.url, auth_token: 'token-of-node-1-aaaaaaaa' });
    await open({ node_id: 2, controller_addr: c.url, auth_token: 'token-of-node-2-bbbbbbbb' });
    expect(c.status().connected).toEqual([1, 2]);
    expect(logged.join('\n')).not.toContain('UNAUTHORIZED');
  });

  it('a node with a secret refuses a controller that does not authenticate (it could be anyone)', async () => {
    const logged = expectLoggedErrors(); // a refusal reaches the caller once, as the rejection: it must not be logged as well
    const c = await controller();
    expect(await codeOf(open({ node_id: 1, controller_addr: c.url, auth_token: SECRET }))).toMatch(/does not authenticate nodes.*\(UNAUTHORIZED\)/);
    expect(logged.join('\n')).not.toContain('does not authenticate');
  });

  it('a node refuses a controller that cannot prove the secret back', async () => {
    const logged = expectLoggedErrors(); // a refusal reaches the caller once, as the rejection: it must not be logged as well
    // A fake controller: challenges, accepts any hello, welcomes with a made-up proof.
    const { WebSocketServer } = await import('ws');
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    cleanup.push(() => new Promise((r) => wss.close(r)));
    await new Promise((r) => wss.once('listening', r));
    const { encode } = await import('../../ts/control/messages.js');
    wss.on('connection', (ws) => {
      ws.send(encode({ t: 'challenge', nonce: new Uint8Array(32).fill(7), authRequired: true }));
      ws.on('message', () => ws.send(encode({ t: 'welcome', proof: new Uint8Array(32).fill(9), maxFrameBytes: 1 << 20, maxLabelBytes: 256, endpoints: [] })));
    });
    const port = (wss.address() as { port: number }).port;
    expect(await codeOf(open({ node_id: 1, controller_addr: `127.0.0.1:${port}`, auth_token: SECRET }))).toMatch(/could not prove it knows.*\(UNAUTHORIZED\)/);
    expect(logged.join('\n')).not.toContain('could not prove');
  });

  it('a data address the controller cannot vouch for is refused; [[nodes]] public_network_addr allows it', async () => {
    const logged = expectLoggedErrors(); // a refusal reaches the caller once, as the rejection: it must not be logged as well
    const c = await controller({ auth_token: SECRET, nodes: [{ node_id: 2, public_network_addr: '127.0.0.2' }] });
    expect(await codeOf(open({ node_id: 1, controller_addr: c.url, auth_token: SECRET, public_network_addr: '10.9.9.9' }))).toMatch(
      /announces the data address 10\.9\.9\.9, but connected from 127\.0\.0\.1.*\(UNAUTHORIZED\)/,
    );
    // 127.0.0.2 is vouched for by the config (and is loopback, so traffic still flows).
    const two = await open({ node_id: 2, controller_addr: c.url, auth_token: SECRET, private_network_addr: '127.0.0.2' });
    expect(two.nodeId).toBe(2);
    // A wildcard bind address becomes the connection's address.
    const one = await open({ node_id: 1, controller_addr: c.url, auth_token: SECRET, private_network_addr: '0.0.0.0' });
    const three = await open({ node_id: 3, controller_addr: c.url, auth_token: SECRET });
    expect(await three.waitForTopologyReady({ timeoutMs: 10_000 })).toBe(true);
    const rx = one.registerReceiverFromNode({ srcNodeId: 3, srcPort: 1, dstPort: 2 });
    await three.sendToNode({ dstNodeId: 1, frozen: new PacketView(new TextEncoder().encode('vouched')), srcPort: 1, dstPort: 2 });
    expect(new TextDecoder().decode((await rx.recv({ timeoutMs: 5000 }))?.payload)).toBe('vouched');
    expect(logged.join('\n')).not.toContain('public_network_addr');
  });
});

describe('security settings in configs', () => {
  it('secrets from files (trailing newline trimmed), for the controller and for nodes', async () => {
    const nodeSecret = tempToml('node.secret', `${SECRET}\n`);
    const adminSecret = tempToml('admin.secret', `${ADMIN}\n`);
    const c = await controller({ auth_token_file: nodeSecret, admin_token_file: adminSecret });
    const one = await open({ node_id: 1, controller_addr: c.url, auth_token_file: nodeSecret });
    expect(one.nodeId).toBe(1);
    expect(await codeOf(open({ node_id: 2, controller_addr: c.url, auth_token_file: '/nonexistent/secret' }))).toMatch(/^CONFIG_INVALID: node config\.auth_token_file: cannot read/);
    const admin = await connectController(c.url, { adminToken: ADMIN });
    await admin.close();
  });

  it('a misspelt security key is an error, not a warning; [[nodes]] keys are checked; addresses must be IPs', async () => {
    const topology = LINE;
    expect(await codeOf(startController({ port: 0, topology, auth_tokn: SECRET } as never))).toMatch(/^CONFIG_INVALID: controller config: unknown key "auth_tokn"/);
    expect(await codeOf(startController({ port: 0, topology, nodes: [{ node_id: 1, tokne: SECRET }] } as never))).toMatch(/^CONFIG_INVALID: controller config\.nodes\[0\]: unknown key "tokne" \(did you mean `token`\?\)/);
    expect(await codeOf(startController({ port: 0, topology, nodes: [{ node_id: 1, public_network_addr: '10.0.0.1:4000' }] } as never))).toMatch(/public_network_addr must be an IP address without a port/);
    expect(await codeOf(Dataplane.open({ node_id: 1, controller_addr: '127.0.0.1:1', auth_tokn: SECRET } as never))).toMatch(/^CONFIG_INVALID: node config: unknown key "auth_tokn"/);
    expect(await codeOf(Dataplane.open({ node_id: 1, controller_addr: '127.0.0.1:1', public_network_addr: 'not an address' } as never))).toMatch(/public_network_addr must be an IP address/);
  });

  it("a node with its own [[nodes]] token is told that the shared auth_token does not work for it", async () => {
    const logged = expectLoggedErrors(); // a refusal reaches the caller once, as the rejection: it must not be logged as well
    const c = await controller({ auth_token: SECRET, nodes: [{ node_id: 2, token: 'own-token-of-node-2-xxxxxxx' }] });
    expect(await codeOf(open({ node_id: 2, controller_addr: c.url, auth_token: SECRET }))).toMatch(/did not prove its own secret: .*\[\[nodes\]\] token.*not auth_token/);
    expect(logged.join('\n')).not.toContain('only that one works');
  });
});

describe('admin operations need the admin token', () => {
  it('connectController without it, or with a wrong one, is CONTROLLER_REJECTED; with it every call works', async () => {
    const c = await controller({ auth_token: SECRET, admin_token: ADMIN });
    expect(await codeOf(connectController(c.url))).toMatch(/^CONTROLLER_REJECTED: .*requires the admin token.*\(UNAUTHORIZED\)/);
    expect(await codeOf(connectController(c.url, { adminToken: 'wrong-wrong-wrong-wrong' }))).toMatch(/^CONTROLLER_REJECTED: .*admin token is wrong.*UNAUTHORIZED/);
    // A node's secret is not an admin secret.
    expect(await codeOf(connectController(c.url, { adminToken: SECRET }))).toMatch(/UNAUTHORIZED/);
    const admin = await connectController(c.url, { adminToken: ADMIN });
    cleanup.push(() => admin.close());
    await admin.setLink({ srcNodeId: 1, dstNodeId: 2, delayMs: 5 });
    expect((await admin.getLink(1, 2)).delay_ms).toBe(5);
    expect((await admin.status()).authRequired).toBe(true);
  });

  it('a raw client that skips the proof gets no answer but CONTROLLER_REJECTED', async () => {
    const c = await controller({ auth_token: SECRET, admin_token: ADMIN });
    const ws = new WebSocket(`${c.url}/admin`);
    cleanup.push(async () => ws.terminate());
    const frames: unknown[] = [];
    ws.on('message', (d: Buffer) => frames.push(JSON.parse(d.toString())));
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ id: 1, method: 'setRoutes', args: { srcNodeId: 1, dstNodeId: 3, route: [1, 2, 3] } }));
    ws.send(JSON.stringify({ id: 2, method: 'auth', args: { proof: '00'.repeat(32) } }));
    await new Promise((r) => ws.once('close', r));
    expect(frames[0]).toMatchObject({ greeting: 'nextmini-admin', auth: 'required' });
    expect(frames[1]).toMatchObject({ id: 1, error: { code: 'CONTROLLER_REJECTED' } });
    expect(frames[2]).toMatchObject({ id: 2, error: { code: 'CONTROLLER_REJECTED' } });
    expect(c.status().routes).toEqual([]);
  });

  it('with node authentication on and no admin_token, the admin endpoint and GET /metrics are off', async () => {
    const c = await controller({ auth_token: SECRET });
    expect(await codeOf(connectController(c.url))).toMatch(/admin endpoint is off.*no admin_token.*\(UNAUTHORIZED\)/);
    const r = await fetch(c.url.replace(/^ws/, 'http') + '/metrics');
    expect(r.status).toBe(401);
    expect(await r.text()).toMatch(/GET \/metrics is off: nodes authenticate .* no admin_token/);
  });

  it('GET /metrics needs "Authorization: Bearer <admin_token>" when one is set', async () => {
    const c = await controller({ auth_token: SECRET, admin_token: ADMIN });
    const url = c.url.replace(/^ws/, 'http') + '/metrics';
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: `Bearer ${SECRET}` } })).status).toBe(401);
    const ok = await fetch(url, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/# TYPE nextmini_/);
  });

  it('the admin CLI takes the token from $NEXTMINI_ADMIN_TOKEN or --token-file, never argv', async () => {
    const c = await controller({ auth_token: SECRET, admin_token: ADMIN });
    const noToken = await runCliOnce(['admin', '--controller', c.url, 'status'], {});
    expect(noToken.code).toBe(1);
    expect(noToken.err).toMatch(/CONTROLLER_REJECTED: .*UNAUTHORIZED/);
    const withEnv = await runCliOnce(['admin', '--controller', c.url, 'status', '--json'], { NEXTMINI_ADMIN_TOKEN: ADMIN });
    expect(withEnv.code).toBe(0);
    expect(JSON.parse(withEnv.out)).toMatchObject({ authRequired: true });
    const file = tempToml('admin.token', `${ADMIN}\n`);
    const withFile = await runCliOnce(['admin', '--controller', c.url, '--token-file', file, 'status'], {});
    expect(withFile.code).toBe(0);
  });
});

async function runCliOnce(args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  const { spawn } = await import('node:child_process');
  const { cliPath } = await import('./harness.js');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, NEXTMINI_ADMIN_TOKEN: '', ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b));
    child.stderr.on('data', (b: Buffer) => (err += b));
    child.on('exit', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

describe('limits', () => {
  it('a group label over max_label_bytes is INVALID_ARGUMENT; a node may own at most max_groups_per_node groups', async () => {
    const c = await controller({ max_groups_per_node: 2 });
    const one = await open({ node_id: 1, controller_addr: c.url });
    // 16 MiB was accepted before; now 257 bytes is refused (by the SDK itself, from the limits in
    // welcome; the controller checks again, see the raw client below).
    expect(await codeOf(one.createGroup('x'.repeat(257)))).toMatch(/^INVALID_ARGUMENT: a group label is at most 256 bytes.*this one is 257/);
    expect(await codeOf(one.createGroup('é'.repeat(129)))).toMatch(/this one is 258/);
    await one.createGroup('y'.repeat(256));
    const second = await one.createGroup('second');
    expect(await codeOf(one.createGroup('third'))).toMatch(/^POOL_EXHAUSTED: node 1 owns 2 groups.*max_groups_per_node/);
    await one.deleteGroup(second.groupId);
    await one.createGroup('third');
    expect(c.status().groups).toBe(2);
  });

  it('connections that never authenticate are capped per address (429); the real node still joins', async () => {
    const c = await controller({ max_pending_per_address: 4, auth_token: SECRET });
    const idle: WebSocket[] = [];
    for (let i = 0; i < 4; i++) {
      const ws = new WebSocket(c.url);
      ws.on('error', () => {});
      idle.push(ws);
      await new Promise((r) => ws.once('open', r));
    }
    cleanup.push(async () => idle.forEach((w) => w.terminate()));
    const refused = new WebSocket(c.url);
    const why = await new Promise<string>((resolve) => refused.once('error', (e) => resolve(e.message)));
    expect(why).toMatch(/429/);
    expect(await codeOf(open({ node_id: 1, controller_addr: c.url, auth_token: SECRET }, 1500))).toMatch(/^CONTROLLER_UNREACHABLE/);
    idle[0]!.terminate();
    await new Promise((r) => setTimeout(r, 100));
    await open({ node_id: 1, controller_addr: c.url, auth_token: SECRET });
    // Authenticated connections no longer count: three more idle ones fit again.
    expect(c.status().refusedConnections).toBeGreaterThanOrEqual(2);
  });

  it('oversize frames before hello are cut off after max_hello_bytes; the controller stays small (RSS measured)', async () => {
    const toml = tempToml('controller.toml', `port = 0\n[topology]\nn_nodes = 3\nedges = [[1, 2], [2, 3]]\n[routing]\nprotocol = "shortest_path"\n`);
    const { child, output } = await runCli(['controller', '--config', toml, '--in-memory'], /listening on ws:\/\/[^\s]+/);
    cleanup.push(() => stopChild(child));
    const url = /listening on (ws:\/\/[^\s;]+)/.exec(output())![1]!;
    const port = Number(new URL(url).port);
    const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) * 1024;
    const before = rss();
    // 24 attackers, each announcing a 16 MiB binary frame and trying to send all of it. The
    // controller reads 64 KiB and closes: no attacker gets its frame out. (They tried 4 MiB
    // before; loopback's socket buffers can swallow that much while a loaded controller has
    // not yet read its first 64 KiB, so "sent < 4 MiB" was a race, not a property.)
    const results = await Promise.all(Array.from({ length: 24 }, () => oversizeFrame(port, 16 << 20, 16 << 20)));
    for (const r of results) {
      expect(r.closedByServer).toBe(true);
      expect(r.sent).toBeLessThan(16 << 20);
    }
    // An admitted node sending a 16 MiB label: refused at the frame header, never buffered.
    const admitted = new WebSocket(url);
    const closedCode = new Promise<number>((r) => admitted.once('close', (code) => r(code)));
    admitted.on('error', () => {});
    admitted.on('message', (d: Buffer) => {
      if (d[3] === 13) admitted.send(helloBytes(3, { protocol: 0, host: '127.0.0.1', port: 9 }));
      if (d[3] === 3) admitted.send(createFrame(1, 'L'.repeat(16 << 20)));
    });
    expect(await closedCode).toBe(1009);
    const after = rss();
    // Buffered whole, 24 x 4 MiB would be ~100 MiB (and the label 16 MiB, pushed to every node
    // in every directory); cut off at 64 KiB it is ~1.5 MiB. Generous bound.
    expect(after - before).toBeLessThan(48 << 20);
    // The controller still serves.
    const dp = await open({ node_id: 1, controller_addr: url });
    expect(dp.nodeId).toBe(1);
  });

  it('a frame under max_frame_bytes but over max_hello_bytes is cut off before hello, not buffered and read', async () => {
    const c = await controller();
    // 900 KiB of garbage in one frame: read whole, it would be answered with a MALFORMED reject.
    const r = await oversizeFrame(Number(new URL(c.url).port), 900 * 1024, 900 * 1024);
    await new Promise((res) => setTimeout(res, 200));
    const body = r.received.toString('latin1');
    expect(body).toMatch(/^HTTP\/1\.1 101/);
    expect(body).not.toMatch(/NM\x02\x02/); // no reject frame: the socket was destroyed unread
    expect(c.status().refusedConnections).toBe(1);
  });

  it('a control frame over max_frame_bytes after hello closes that connection only', async () => {
    const c = await controller({ max_frame_bytes: 64 * 1024 });
    const one = await open({ node_id: 1, controller_addr: c.url });
    expect(await codeOf(one.createGroup('z'.repeat(200)))).toBe('resolved');
    // A raw client admitted as node 3 then sends a 100 KiB frame.
    const ws = new WebSocket(c.url);
    cleanup.push(async () => ws.terminate());
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    let reply = '';
    ws.on('message', (d: Buffer) => {
      if (d[3] === 13) ws.send(helloBytes(3, { protocol: 0, host: '127.0.0.1', port: 9 }));
      // Admitted: a label over max_label_bytes (sent raw, past the SDK's own check) is refused ...
      if (d[3] === 3) ws.send(createFrame(1, 'q'.repeat(300)));
      // ... and answered; then a frame over max_frame_bytes.
      if (d[3] === 8) {
        reply = d.toString('latin1');
        ws.send(new Uint8Array(100 * 1024));
      }
    });
    expect(await closed).toBe(1009);
    expect(reply).toMatch(/INVALID_ARGUMENT.*a group label is at most 256 bytes \(max_label_bytes\); this one is 300/);
    expect(c.status().groups).toBe(1);
    expect(c.status().connected).toEqual([1]);
  });
});

/** A group-op "create" frame: u32 reqId, u8 op 0, label as u32 length + UTF-8. */
function createFrame(reqId: number, label: string): Uint8Array {
  const l = new TextEncoder().encode(label);
  const b = new Uint8Array(4 + 4 + 1 + 4 + l.length);
  const v = new DataView(b.buffer);
  b.set([0x4e, 0x4d, 6, 7]); // "NM", control protocol version 6, group-op
  v.setUint32(4, reqId);
  v.setUint8(8, 0);
  v.setUint32(9, l.length);
  b.set(l, 13);
  return b;
}


/** Opens a WebSocket by hand and streams one huge masked binary frame into it. */
function oversizeFrame(port: number, announced: number, toSend: number): Promise<{ sent: number; closedByServer: boolean; received: Buffer }> {
  return new Promise((resolve) => {
    const s: Socket = connect(port, '127.0.0.1');
    let sent = 0;
    let upgraded = false;
    let received = Buffer.alloc(0);
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    const finish = (closedByServer: boolean) => {
      s.destroy();
      resolve({ sent, closedByServer, received });
    };
    const timer = setTimeout(() => finish(false), 10_000);
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ sent, closedByServer: sent < toSend || toSend < 1 << 20, received });
    });
    s.on('error', () => {});
    s.on('data', (d) => {
      received = Buffer.concat([received, d]);
      if (upgraded || !d.toString('latin1').startsWith('HTTP/1.1 101')) return;
      upgraded = true;
      const header = Buffer.alloc(14);
      header[0] = 0x82;
      header[1] = 0x80 | 127;
      header.writeBigUInt64BE(BigInt(announced), 2);
      header.writeUInt32BE(0x01020304, 10); // mask key
      s.write(header);
      const pump = () => {
        while (sent < toSend && !s.destroyed) {
          sent += chunk.length;
          if (!s.write(chunk)) return s.once('drain', pump);
        }
      };
      pump();
    });
    s.write(
      `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${Buffer.from('0123456789abcdef').toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
  });
}

describe('wss:// with a CA file', () => {
  it('nodes that trust the CA join over TLS; one that does not cannot', async () => {
    const logged = expectLoggedErrors(); // a refusal reaches the caller once, as the rejection: it must not be logged as well
    const tls = selfSignedCert();
    const c = await controller({ auth_token: SECRET, admin_token: ADMIN, tls: { cert: tls.cert, key: tls.key } });
    expect(c.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/);
    expect(c.status().tls).toBe(true);
    // Without the CA the node fails at once, naming the cause, instead of retrying until its timeout.
    const t0 = performance.now();
    expect(await codeOf(open({ node_id: 1, controller_addr: c.url, auth_token: SECRET }, 20_000))).toMatch(/^CONTROLLER_UNREACHABLE: TLS to the controller .*certificate.*set ca = /);
    expect(performance.now() - t0).toBeLessThan(5000);
    // ws:// against a TLS controller: the error says what is probably wrong.
    expect(await codeOf(open({ node_id: 1, controller_addr: c.url.replace('wss://', 'ws://'), auth_token: SECRET }, 1500))).toMatch(/^CONTROLLER_UNREACHABLE: .*last error: .*is it a wss:\/\/ controller\?/);
    expect(await codeOf(connectController(c.url, { adminToken: ADMIN, ca: tls.cert }))).toMatch(/^INVALID_ARGUMENT: .*PEM text.*not a path/);
    const nodes = await Promise.all([1, 2, 3].map((id) => open({ node_id: id, controller_addr: c.url, auth_token: SECRET, ca: tls.cert })));
    expect(await nodes[0]!.waitForTopologyReady({ timeoutMs: 10_000 })).toBe(true);
    // The seed's unicast example, over the authenticated network.
    const rx = nodes[1]!.registerReceiverFromNode({ srcNodeId: 1, srcPort: 40000, dstPort: 50000 });
    await nodes[0]!.sendToNode({ dstNodeId: 2, frozen: new PacketView(new TextEncoder().encode('hello')), srcPort: 40000, dstPort: 50000 });
    const d = await rx.recv({ timeoutMs: 5000 });
    expect(d).toMatchObject({ srcIp: '192.168.0.1', srcPort: 40000 });
    expect(new TextDecoder().decode(d!.payload)).toBe('hello');
    // The admin client over wss:// too.
    const admin = await connectController(c.url, { adminToken: ADMIN, ca: readFileSync(tls.cert, 'utf8') });
    cleanup.push(() => admin.close());
    expect((await admin.status()).tls).toBe(true);
    expect(logged.join('\n')).not.toContain('TLS to the controller');
  });
});

describe('a controller connection lost mid-request', () => {
  it('rejects the request at once with CONTROLLER_UNREACHABLE, not after the 15 s request timeout', async () => {
    // A controller that admits the node, then drops the connection when a group operation comes.
    const { encode } = await import('../../ts/control/messages.js');
    const { WebSocketServer } = await import('ws');
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    cleanup.push(() => new Promise((r) => wss.close(r)));
    await new Promise((r) => wss.once('listening', r));
    wss.on('connection', (ws) => {
      ws.send(encode({ t: 'challenge', nonce: new Uint8Array(32), authRequired: false }));
      ws.on('message', (d: Buffer) => {
        if (d[3] === 1) {
          ws.send(encode({ t: 'welcome', proof: new Uint8Array(0), maxFrameBytes: 1 << 20, maxLabelBytes: 256, endpoints: [] }));
          ws.send(
            encode({ t: 'snapshot', generation: 1, userSpaceBase: 0xc0a80000, operatingMode: 'normal', peers: [], neighbors: [], routeTable: Uint8Array.from([1, 1, 0, 0, 0, 0]), topologyReady: true, links: [], mcastTable: Uint8Array.from([1, 2, 0, 0, 0, 0]), groups: [] }),
          );
        } else if (d[3] === 7) ws.terminate();
      });
    });
    const port = (wss.address() as { port: number }).port;
    const dp = await open({ node_id: 1, controller_addr: `127.0.0.1:${port}` });
    const t0 = performance.now();
    expect(await codeOf(dp.createGroup('lost'))).toMatch(/^CONTROLLER_UNREACHABLE: the connection to the controller was lost before it answered/);
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});
