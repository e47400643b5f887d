// What a runtime entry injects into the dataplane: the link transports it can offer, how a
// config given as a path is loaded, and the transports a node speaks when its config names
// none. The Node/Deno/Bun entry installs memory, UDP, TCP and the relay plus TOML loading;
// the browser entry installs memory and the relay, so node-only modules never reach the
// browser bundle.
import { NextminiError } from '../errors.js';
import type { Table } from '../config/reader.js';
import type { Protocol } from '../control/messages.js';
import type { DatagramHandler, TcpLimits, Transport } from './transport.js';

export interface TransportContext {
  /** private_network_addr / private_network_port (socket transports). */
  host: string;
  port: number;
  nodeId: number;
  /** The controller's WebSocket URL (the relay transport connects beside it). */
  controllerUrl: string;
  onDatagram: DatagramHandler;
  /** TCP links: connection caps and timeouts (node config tcp_*). */
  tcpLimits: TcpLimits;
}

export type TransportFactory = (ctx: TransportContext) => Promise<Transport>;

export interface DataplaneHost {
  /** Which runtime this is, for error messages. */
  runtime: string;
  transports: Partial<Record<Protocol, TransportFactory>>;
  /** Loads a config file; absent where there are no files (browsers). */
  loadConfig?: (what: string, path: string) => Promise<Table>;
  /** The transports a node speaks when its config names none: what this runtime does well. */
  defaultProtocols: Protocol[];
  /** Reads a text file (a CA certificate), relative to `baseDir` unless absolute; absent in browsers. */
  readTextFile?: (path: string, baseDir: string | undefined) => Promise<string>;
}

let host: DataplaneHost = { runtime: 'this runtime', transports: {}, defaultProtocols: [] };

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

/** Reads the node config's `ca` file; the config's own directory anchors a relative path. */
export async function readCaFile(path: string, config: unknown): Promise<string> {
  if (!host.readTextFile) {
    throw new NextminiError('CONFIG_INVALID', `node config.ca: ${runtimeName()} cannot read files; add the CA to the browser's trust store and leave ca out`);
  }
  try {
    return await host.readTextFile(path, typeof config === 'string' ? config : undefined);
  } catch (err) {
    throw new NextminiError('CONFIG_INVALID', `node config.ca: cannot read ${JSON.stringify(path)}: ${(err as Error).message}`, { cause: err });
  }
}

/** Reads a secret from a file (auth_token_file); trailing whitespace (a final newline) is not part of it. */
export async function readSecretFile(key: string, path: string, config: unknown): Promise<string> {
  if (!host.readTextFile) throw new NextminiError('CONFIG_INVALID', `node config.${key}: ${runtimeName()} cannot read files; pass auth_token instead`);
  let text: string;
  try {
    text = await host.readTextFile(path, typeof config === 'string' ? config : undefined);
  } catch (err) {
    throw new NextminiError('CONFIG_INVALID', `node config.${key}: cannot read ${JSON.stringify(path)}: ${(err as Error).message}`, { cause: err });
  }
  const v = text.replace(/\s+$/, '');
  if (!v) throw new NextminiError('CONFIG_INVALID', `node config.${key}: ${JSON.stringify(path)} is empty`);
  return v;
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
