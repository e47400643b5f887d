// A controller and every node of its topology in this JavaScript realm: the Network that
// startNetwork returns, and how its nodes are opened. Nodes reach the controller through the
// in-realm control channel (Controller.realmUrl, no sockets) and exchange datagrams over the
// memory transport by default. How the controller starts differs by runtime: with a
// WebSocket server on Node, Deno and Bun (network-node.ts), without one in browsers
// (network-browser.ts); nothing here imports a node-only module.
import { NextminiError } from './errors.js';
import { checkOptions } from './options.js';
import type { Controller } from './controller/controller.js';
import { Dataplane } from './node/dataplane.js';
import type { NodeConfig } from './config/node-config.js';

export interface StartNetworkOptions {
  /** The nodes' link protocol: "memory" (default), "udp" or "tcp" on 127.0.0.1, or "relay" (Node, Deno, Bun; browsers: memory only). */
  protocol?: 'memory' | 'udp' | 'tcp' | 'relay';
  /** Per-node config on top of what startNetwork sets (node_id, controller_addr, protocol, auth_token). */
  node?: (id: number) => Partial<NodeConfig>;
}

export type NetworkProtocol = NonNullable<StartNetworkOptions['protocol']>;

export class Network {
  readonly controller: Controller;
  /** Every node, in the order of their ids. */
  readonly nodes: Dataplane[];
  readonly #byId: Map<number, Dataplane>;
  #closing: Promise<void> | undefined;

  /** @internal use startNetwork() */
  constructor(controller: Controller, nodes: Dataplane[]) {
    this.controller = controller;
    this.nodes = nodes;
    this.#byId = new Map(nodes.map((n) => [n.nodeId, n]));
  }

  /** The node with this id; INVALID_ARGUMENT if the topology has none. */
  node(id: number): Dataplane {
    const n = this.#byId.get(id);
    if (!n) throw new NextminiError('INVALID_ARGUMENT', `network: no node ${id} (nodes are ${this.nodes.length ? `${this.nodes[0]!.nodeId}..${this.nodes[this.nodes.length - 1]!.nodeId}` : 'none'})`);
    return n;
  }

  /** Resolves true once every node has heard the topology is ready, false after `timeoutMs` (default 30 s). */
  async ready(options: { timeoutMs?: number } = {}): Promise<boolean> {
    checkOptions('Network.ready', options, ['timeoutMs']);
    const timeoutMs = options.timeoutMs ?? 30_000;
    const oks = await Promise.all(this.nodes.map((n) => n.waitForTopologyReady({ timeoutMs })));
    return oks.every(Boolean);
  }

  /** Closes every node, then the controller. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled(this.nodes.map((n) => n.close()));
      await this.controller.close();
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Checks startNetwork's options against the protocols this runtime offers; returns the protocol
 * (default memory).
 */
export function networkProtocol(options: StartNetworkOptions, protocols: readonly NetworkProtocol[], runtime: string): NetworkProtocol {
  checkOptions('startNetwork', options, ['protocol', 'node']);
  const protocol = options.protocol ?? 'memory';
  if (!(protocols as readonly string[]).includes(protocol)) {
    throw new NextminiError('INVALID_ARGUMENT', `startNetwork: protocol must be one of ${protocols.join(', ')} in ${runtime}, got ${JSON.stringify(protocol)}`);
  }
  if (options.node !== undefined && typeof options.node !== 'function') throw new NextminiError('INVALID_ARGUMENT', 'startNetwork: node must be a function (id) => node config');
  return protocol;
}

/**
 * Opens every node of `controller`'s topology in this realm, joining at `controllerAddr`.
 * Resolves once every node has joined; if one cannot, closes the others and the controller.
 */
export async function openNetwork(controller: Controller, controllerAddr: string, protocol: NetworkProtocol, options: StartNetworkOptions): Promise<Network> {
  const ids = [...controller.status().expected].sort((a, b) => a - b);
  // Every node reports its counters to the controller every metrics_interval_ms (1 s by
  // default): 10,000 nodes in one process would spend most of a core on reports alone. Unless a
  // node's config says otherwise, the network as a whole sends about 100 reports a second.
  const metricsIntervalMs = Math.max(1000, ids.length * 10);
  const opened: (Dataplane | undefined)[] = [];
  try {
    const results = await Promise.allSettled(
      ids.map(async (id, i) => {
        const extra = options.node?.(id) ?? {};
        const secret = extra.auth_token === undefined && extra.auth_token_file === undefined ? controller.nodeSecret(id) : undefined;
        const cfg: NodeConfig = { node_id: id, controller_addr: controllerAddr, protocol, private_network_addr: '127.0.0.1', private_network_port: 0, metrics_interval_ms: metricsIntervalMs, ...(secret !== undefined ? { auth_token: secret } : {}), ...extra };
        opened[i] = await Dataplane.open(cfg);
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (err) {
    await Promise.allSettled(opened.map((n) => n?.close()));
    await controller.close();
    throw err;
  }
  return new Network(controller, opened as Dataplane[]);
}
