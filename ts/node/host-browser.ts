// Installs what a browser offers a dataplane: the relay transport only (no sockets), and no
// config files (configs are objects).
import { installHost } from './host.js';
import { RelayTransport } from './transport-relay.js';

installHost({
  runtime: 'the browser',
  defaultProtocol: 'relay',
  transports: { relay: (c) => RelayTransport.open(c) },
});
