// What a runtime entry injects into the dataplane: the link transports it can offer, how a
// config given as a path is loaded, and the protocol used when a config names none. The
// Node/Deno/Bun entry installs UDP, TCP and the relay plus TOML loading; the browser entry
// installs the relay only, so node-only modules never reach the browser bundle.
import { NextminiError } from '../errors.js';
import type { Table } from '../config/reader.js';
import type { Protocol } from '../control/messages.js';
import type { DatagramHandler, Transport } from './transport.js';

export interface TransportContext {
  /** private_network_addr / private_network_port (socket transports). */
  host: string;
  port: number;
  nodeId: number;
  /** The controller's WebSocket URL (the relay transport connects beside it). */
  controllerUrl: string;
  onDatagram: DatagramHandler;
}

export type TransportFactory = (ctx: TransportContext) => Promise<Transport>;

export interface DataplaneHost {
  /** Which runtime this is, for error messages. */
  runtime: string;
  transports: Partial<Record<Protocol, TransportFactory>>;
  /** Loads a config file; absent where there are no files (browsers). */
  loadConfig?: (what: string, path: string) => Promise<Table>;
  /** The protocol when the config names none. */
  defaultProtocol: Protocol;
}

let host: DataplaneHost = { runtime: 'this runtime', transports: {}, defaultProtocol: 'udp' };

export function installHost(h: DataplaneHost): void {
  host = h;
}

export function currentHost(): DataplaneHost {
  return host;
}

export async function loadNodeTable(config: unknown): Promise<Table> {
  if (typeof config !== 'string') return config as Table;
  if (!host.loadConfig) {
    throw new NextminiError('CONFIG_INVALID', `node config: ${runtimeName()} cannot read config files (got the path ${JSON.stringify(config)}); pass the config as an object`);
  }
  return host.loadConfig('node config', config);
}

export function transportFor(protocol: Protocol): TransportFactory {
  const f = host.transports[protocol];
  if (!f) {
    const available = Object.keys(host.transports).map((p) => JSON.stringify(p)).join(', ');
    throw new NextminiError('CONFIG_INVALID', `node config.protocol ${JSON.stringify(protocol)} is not available in ${runtimeName()}; use one of ${available || '(none)'}`);
  }
  return f;
}

const runtimeName = (): string => host.runtime;
