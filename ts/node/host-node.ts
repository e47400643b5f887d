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
installHost({
  runtime: 'this runtime',
  defaultProtocol: 'udp',
  transports: {
    udp: (c) => UdpTransport.bind(c.host, c.port, c.onDatagram),
    tcp: (c) => TcpTransport.bind(c.host, c.port, c.nodeId, c.onDatagram, c.tcpLimits),
    relay: (c) => RelayTransport.open(c),
    memory: (c) => MemoryTransport.open(c),
  },
  loadConfig: (what, path) => loadTomlOrObject(what, path),
  readTextFile: (path, configFile) => readFile(isAbsolute(path) || !configFile ? path : resolve(dirname(configFile), path), 'utf8'),
});
