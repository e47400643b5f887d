// Installs what Node, Deno and Bun offer a dataplane: UDP, TCP, relay and in-realm memory links, TOML config
// files, and the `ws` package as the WebSocket where the runtime has none (Node 20).
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { WebSocket as WsWebSocket } from 'ws';
import { loadTomlOrObject } from '../config/load.js';
import { setWebSocketFallback } from '../control/socket.js';
import { installHost } from './host.js';
import { MemoryTransport } from './transport-memory.js';
import { RelayTransport } from './transport-relay.js';
import { TcpTransport } from './transport-tcp.js';
import { UdpTransport } from './transport-udp.js';

setWebSocketFallback(WsWebSocket);
// Deno's node:dgram manages about 1,000 datagrams/s, so Deno nodes default to the relay
// (which the controller bridges to UDP nodes).
const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined';
installHost({
  runtime: isDeno ? 'Deno' : 'this runtime',
  defaultProtocols: isDeno ? ['memory', 'relay'] : ['memory', 'udp', 'relay'],
  transports: {
    udp: (c) => UdpTransport.bind(c.host, c.port, c.onDatagram),
    tcp: (c) => TcpTransport.bind(c.host, c.port, c.nodeId, c.onDatagram, c.tcpLimits),
    relay: (c) => RelayTransport.open(c),
    memory: (c) => MemoryTransport.open(c),
  },
  loadConfig: (what, path) => loadTomlOrObject(what, path),
  readTextFile: (path, configFile) => readFile(isAbsolute(path) || !configFile ? path : resolve(dirname(configFile), path), 'utf8'),
});
