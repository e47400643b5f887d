// Installs what a browser offers a dataplane: in-realm memory links (other nodes in this tab,
// e.g. startNetwork's) and the relay (no sockets), and no config files (configs are objects).
import { installHost } from './host.js';
import { MemoryTransport } from './transport-memory.js';
import { RelayTransport } from './transport-relay.js';

installHost({
  runtime: 'the browser',
  defaultProtocols: ['memory', 'relay'],
  transports: { memory: (c) => MemoryTransport.open(c), relay: (c) => RelayTransport.open(c) },
});
