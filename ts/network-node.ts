// startNetwork on Node, Deno and Bun: the controller (state in memory) also serves WebSockets
// on 127.0.0.1 at a free port, so relay nodes, admin clients and GET /metrics reach it.
import { startController } from './controller/start.js';
import { networkProtocol, openNetwork, type Network, type StartNetworkOptions } from './network.js';
import type { ControllerConfig } from './config/controller-config.js';

/**
 * Starts a controller and every node of its topology in this realm. Nodes join over the
 * in-realm control channel (the relay, which needs a WebSocket, over the controller's URL).
 * Resolves once every node has joined; `ready()` waits for the topology.
 */
export async function startNetwork(controllerConfig: string | ControllerConfig, options: StartNetworkOptions = {}): Promise<Network> {
  const protocol = networkProtocol(options, ['memory', 'udp', 'tcp', 'relay'], 'this runtime');
  const controller = await startController(controllerConfig, { db: false, listen: { host: '127.0.0.1', port: 0 } });
  return openNetwork(controller, protocol === 'relay' ? controller.url : controller.realmUrl, protocol, options);
}
