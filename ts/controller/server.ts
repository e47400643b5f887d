// The controller's WebSocket server (Node, Deno, Bun): one HTTP(S) port, four endpoints.
// `/relay` carries relay nodes' datagrams, `/admin` the admin protocol, GET /metrics is
// Prometheus text, anything else is the control protocol; each has its own frame size bound.
// It owns everything socket-shaped (TLS, the pending-connection and pre-hello byte limits on
// the raw socket) and hands each connection to the controller's logic (controller.ts)
// through its hooks, so the same logic also runs without a server, in a browser tab.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { NextminiError } from '../errors.js';
import { logger } from '../log.js';
import { authRequired } from '../config/security-config.js';
import type { ResolvedControllerConfig } from '../config/controller-config.js';
import { serveAdmin, ADMIN_MAX_FRAME } from './admin.js';
import { RELAY_MAX_FRAME } from './relay.js';
import { capBytes, PendingLimiter, plainAddress, remoteAddress } from './guard.js';
import type { ControlConnection, RelaySocket } from './connection.js';
import type { ControllerHooks, ControllerServer } from './controller.js';
import { UdpBridge } from './udp-bridge.js';

const log = logger('controller');
/** A connection must say hello within this time (and an admin client prove its token). */
const HELLO_TIMEOUT_MS = 10_000;

/** Creates the HTTP or HTTPS server (`tls` in the config); CONFIG_INVALID for unreadable or unusable certificates. */
function createHttpServer(cfg: ResolvedControllerConfig): Server {
  const tls = cfg.security.tls;
  if (!tls) return createServer();
  const read = (what: string, path: string) => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new NextminiError('CONFIG_INVALID', `controller config.tls.${what}: cannot read ${path}: ${(err as Error).message}`, { cause: err });
    }
  };
  const opts = { cert: read('cert', tls.cert), key: read('key', tls.key) };
  try {
    return createTlsServer(opts) as unknown as Server;
  } catch (err) {
    throw new NextminiError('CONFIG_INVALID', `controller config.tls: the certificate and key cannot be used: ${(err as Error).message}`, { cause: err });
  }
}

/** Listens on the config's host and port and serves the controller behind `hooks`. */
export async function listenController(cfg: ResolvedControllerConfig, hooks: ControllerHooks): Promise<ControllerServer> {
  const http = createHttpServer(cfg);
  await new Promise<void>((resolve, reject) => {
    http.once('listening', () => resolve());
    http.once('error', (err) => reject(new NextminiError('CONFIG_INVALID', `controller cannot listen on ${cfg.host}:${cfg.port}: ${err.message}`, { cause: err })));
    http.listen(cfg.port, cfg.host);
  });
  const addr = http.address();
  const port = typeof addr === 'object' && addr ? addr.port : cfg.port;
  const url = `${cfg.security.tls ? 'wss' : 'ws'}://${cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host}:${port}`;
  const sec = cfg.security;
  const pending = new PendingLimiter(sec.limits.maxPendingPerAddress, sec.limits.maxPendingTotal);
  const control = new WebSocketServer({ noServer: true, maxPayload: sec.limits.maxFrameBytes });
  const relay = new WebSocketServer({ noServer: true, maxPayload: RELAY_MAX_FRAME });
  const admin = new WebSocketServer({ noServer: true, maxPayload: ADMIN_MAX_FRAME });
  http.on('request', (req, res) => httpRequest(hooks, req, res));
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'ws://controller');
    const path = url.pathname.replace(/\/+$/, '');
    // Until a connection has proven itself it holds a pending slot of its address, and may
    // send only max_hello_bytes; both end once it has (or when it closes).
    const addr = remoteAddress(socket as Socket);
    const release = pending.take(addr);
    if (!release) {
      hooks.refused();
      if (pending.refused === 1 || pending.refused % 1000 === 0) {
        log.warn(`refusing connections: ${addr} has ${sec.limits.maxPendingPerAddress} that have not authenticated yet (max_pending_per_address), or ${pending.pending} in all (max_pending_total); ${pending.refused} refused so far`);
      }
      socket.end('HTTP/1.1 429 Too Many Requests\r\nconnection: close\r\ncontent-type: text/plain\r\n\r\ntoo many unauthenticated connections from this address\n');
      // Read and discard whatever else comes (a paused socket never sees the peer's FIN), and
      // do not wait for a peer that never closes its side.
      socket.resume();
      setTimeout(() => socket.destroy(), 1000).unref?.();
      return;
    }
    const uncap = capBytes(socket, sec.limits.maxHelloBytes, () => {
      hooks.refused();
      log.warn(`closed a connection from ${addr} that sent more than ${sec.limits.maxHelloBytes} bytes before authenticating (max_hello_bytes)`);
    });
    socket.once('close', release);
    const proven = () => {
      release();
      uncap();
    };
    // `ws` delivers binary messages as Buffers (binaryType "nodebuffer", the default), which
    // is what ControlConnection and RelaySocket describe.
    if (path.endsWith('/relay')) {
      // A relay connection stays pending until its binding token (checked against the
      // hello) is accepted.
      relay.handleUpgrade(req, socket, head, (ws) => hooks.acceptRelay(ws as unknown as RelaySocket, url.searchParams.get('node'), proven));
    } else if (path.endsWith('/admin')) {
      admin.handleUpgrade(req, socket, head, (ws) =>
        serveAdmin(ws, hooks.api, { token: sec.adminToken, disabled: hooks.adminDisabled(), onAuthenticated: proven, onRefused: () => hooks.refused(), timeoutMs: HELLO_TIMEOUT_MS }),
      );
    } else {
      const local = (socket as Socket).localAddress ?? '127.0.0.1';
      control.handleUpgrade(req, socket, head, (ws) => hooks.acceptControl(ws as unknown as ControlConnection, addr, plainAddress(local), proven));
    }
  });
  return {
    url,
    bridge: (bridgeHooks) => new UdpBridge(cfg.host, bridgeHooks),
    async close() {
      for (const server of [relay, admin, control]) {
        for (const ws of server.clients) ws.terminate();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      http.closeAllConnections?.();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/**
 * GET /metrics needs `Authorization: Bearer <admin_token>` when an admin_token is set; with
 * node authentication on and no admin_token it is off, like the admin endpoint.
 */
function metricsAllowed(hooks: ControllerHooks, req: IncomingMessage): boolean {
  const token = hooks.security.adminToken;
  if (token === undefined) return !authRequired(hooks.security);
  const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (!m) return false;
  const a = createHmac('sha256', 'metrics').update(m[1]!.trim()).digest();
  const b = createHmac('sha256', 'metrics').update(token).digest();
  return timingSafeEqual(a, b);
}

function httpRequest(hooks: ControllerHooks, req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? '/', 'http://controller').pathname.replace(/\/+$/, '');
  if (req.method === 'GET' && path === '/metrics') {
    if (!metricsAllowed(hooks, req)) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer realm="nextmini"' });
      res.end(
        hooks.security.adminToken === undefined
          ? 'GET /metrics is off: nodes authenticate (auth_token) but no admin_token is set in the controller config\n'
          : 'GET /metrics needs the header "Authorization: Bearer <admin_token>"\n',
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(hooks.prometheus());
    return;
  }
  res.writeHead(426, { 'content-type': 'text/plain' });
  res.end('nextmini controller: connect with a WebSocket (GET /metrics for Prometheus)\n');
}
