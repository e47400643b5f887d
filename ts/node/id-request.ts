// node_id = 0: before a node binds anything under an id, it asks the controller for one. A
// short connection of its own: challenge, hello with id 0 (and node_id_offset), the
// controller's welcome (its proof, when nodes authenticate), then `assigned`; the node then
// joins as usual under that id (README "Node ids").
import { NextminiError } from '../errors.js';
import type { Endpoint, Protocol } from '../control/messages.js';
import type { ResolvedNodeConfig } from '../config/node-config.js';
import { ControlClient } from './control-client.js';

const noop = (): void => {};

/**
 * The data addresses the node will announce, as far as its config says before binding: the
 * controller matches them against `[[nodes]] public_network_addr` and against the address:port
 * of ids it handed out before (a port of 0 is not known yet, and matches nothing).
 */
export function configuredEndpoints(cfg: ResolvedNodeConfig, protocols: Protocol[]): Endpoint[] {
  return protocols
    .filter((p) => p === 'udp' || p === 'tcp')
    .map((protocol) => ({ protocol, host: cfg.public_network_addr ?? cfg.private_network_addr, port: cfg.public_network_port ?? cfg.private_network_port }));
}

export async function requestNodeId(o: { url: string; cfg: ResolvedNodeConfig; protocols: Protocol[]; authToken: string | undefined; ca: string | undefined; timeoutMs: number }): Promise<number> {
  let assigned: number | undefined;
  const client = new ControlClient({
    url: o.url,
    hello: { nodeId: 0, endpoints: configuredEndpoints(o.cfg, o.protocols), idOffset: o.cfg.node_id_offset },
    ...(o.authToken !== undefined ? { authToken: o.authToken } : {}),
    ...(o.ca !== undefined ? { socket: { ca: o.ca } } : {}),
    reconnect: false,
    onAssigned: (id) => (assigned = id),
    onAuth: noop,
    onKeys: noop,
    onSnapshot: noop,
    onTopologyReady: noop,
    onLinks: noop,
    onMcastTable: noop,
    onGroups: noop,
    onRoutes: noop,
    onPeers: noop,
    onPresence: noop,
    onFlowStart: noop,
    onFlowStop: noop,
    onFlowWeights: noop,
  });
  try {
    await client.start(o.timeoutMs);
  } finally {
    client.close();
  }
  if (assigned === undefined || assigned < 1 || assigned > 0xffff_fffe || assigned <= o.cfg.node_id_offset) {
    throw new NextminiError('CONTROLLER_REJECTED', `the controller at ${o.url} assigned node id ${String(assigned)}, which is not an id above node_id_offset ${o.cfg.node_id_offset}`);
  }
  return assigned;
}
