// Installs what a browser offers a dataplane: the relay transport (no sockets), the default,
// and the memory transport for networks started in this tab (startNetwork); no config files
// (configs are objects).
import { installHost } from './host.js';
import { MemoryTransport } from './transport-memory.js';
import { RelayTransport } from './transport-relay.js';

installHost({
  runtime: 'the browser',
  defaultProtocol: 'relay',
  transports: { relay: (c) => RelayTransport.open(c), memory: (c) => MemoryTransport.open(c) },
});
