// The controller's security settings: secrets, TLS files and the limits that bound what an
// unauthenticated or misbehaving client can make the controller hold.
import { logger } from '../log.js';
import type { TableReader } from './reader.js';

export interface SecurityConfig {
  /** Shared secret every node proves in hello (challenge-response); absent = no authentication. */
  authToken: string | undefined;
  /** Per-node secrets from `[[nodes]] node_id, token`; they take precedence over authToken. */
  nodeTokens: Map<number, string>;
  /** Secret of the admin endpoint and of GET /metrics (bearer); never a node's token. */
  adminToken: string | undefined;
  /** `[[nodes]] public_network_addr`: a data address the controller vouches for besides the connection's own. */
  publicAddrs: Map<number, string>;
  /** Accept any data address a (authenticated) node announces. Default false. */
  allowAnyDataHost: boolean;
  /** PEM files; set = the controller serves wss:// (and https:// for /metrics). */
  tls: { cert: string; key: string } | undefined;
  limits: Limits;
}

export interface Limits {
  /** Bytes of a group label (UTF-8). Default 256. */
  maxLabelBytes: number;
  /** Groups one node may own at once. Default 1024. */
  maxGroupsPerNode: number;
  /** A control frame after hello, in bytes. Default 1 MiB. */
  maxFrameBytes: number;
  /** Bytes a connection may send before its hello is accepted. Default 64 KiB. */
  maxHelloBytes: number;
  /** Connections from one address that have not authenticated yet. Default 32. */
  maxPendingPerAddress: number;
  /** Connections that have not authenticated yet, from all addresses. Default 1024. */
  maxPendingTotal: number;
}

export const LIMIT_DEFAULTS: Limits = {
  maxLabelBytes: 256,
  maxGroupsPerNode: 1024,
  maxFrameBytes: 1024 * 1024,
  maxHelloBytes: 64 * 1024,
  maxPendingPerAddress: 32,
  maxPendingTotal: 1024,
};

/** The keys of a controller config that this module reads (snake_case, as in TOML). */
export interface SecurityConfigInput {
  /** Shared node secret (challenge-response; never sent). */
  auth_token?: string;
  /** A file holding auth_token (trailing whitespace trimmed), relative to the config file. */
  auth_token_file?: string;
  /** Secret for the admin endpoint (connectController, `nextmini admin`) and GET /metrics. */
  admin_token?: string;
  /** A file holding admin_token. */
  admin_token_file?: string;
  /** Serve wss:// with these PEM files (paths relative to the config file). */
  tls?: { cert: string; key: string };
  /** Accept data addresses in hello that the controller cannot vouch for. Default false. */
  allow_any_data_host?: boolean;
  max_label_bytes?: number;
  max_groups_per_node?: number;
  max_frame_bytes?: number;
  max_hello_bytes?: number;
  max_pending_per_address?: number;
  max_pending_total?: number;
}

const log = logger('config');

/** An IPv4 or IPv6 literal without a port (what a data address must be to be matched to datagrams). */
export function isIpLiteral(v: string): boolean {
  if (/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(v)) return true;
  return /^[0-9a-fA-F:.]+$/.test(v) && v.includes('::') ? v.split('::').length === 2 : /^([0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}$/.test(v);
}

/** A secret given as `<key>` or `<key>_file` (a file whose content, trailing whitespace trimmed, is the secret). */
function secretOrFile(r: TableReader, key: string, readFile: (path: string) => string): string | undefined {
  if (r.has(`${key}_file`)) {
    if (r.has(key)) throw r.fail(key, `and ${key}_file are both set; use one`);
    const path = r.str(`${key}_file`);
    let text: string;
    try {
      text = readFile(path);
    } catch (err) {
      throw r.fail(`${key}_file`, `cannot be read (${path}): ${(err as Error).message}`);
    }
    const v = text.replace(/\s+$/, '');
    if (!v) throw r.fail(`${key}_file`, `is empty (${path})`);
    return v;
  }
  return secret(r, key);
}

function secret(r: TableReader, key: string): string | undefined {
  if (!r.has(key)) return undefined;
  const v = r.str(key);
  if (v.length === 0) throw r.fail(key, 'must not be empty (leave it out to turn authentication off)');
  if (new TextEncoder().encode(v).length < 16) log.warn(`${r.what}.${key} is shorter than 16 bytes; a long random secret (e.g. \`openssl rand -hex 32\`) resists guessing`);
  return v;
}

/** Reads the security keys of the controller table `r` and of its `[[nodes]]` tables. */
export function readSecurityConfig(r: TableReader, nodes: TableReader[], resolvePath: (p: string) => string, readFile: (p: string) => string): SecurityConfig {
  const tlsTable = r.table('tls');
  let tls: SecurityConfig['tls'];
  if (tlsTable) {
    tlsTable.checkKeys(['cert', 'key']);
    tls = { cert: resolvePath(tlsTable.str('cert')), key: resolvePath(tlsTable.str('key')) };
  }
  const cfg: SecurityConfig = {
    authToken: secretOrFile(r, 'auth_token', (p) => readFile(resolvePath(p))),
    adminToken: secretOrFile(r, 'admin_token', (p) => readFile(resolvePath(p))),
    nodeTokens: new Map(),
    publicAddrs: new Map(),
    allowAnyDataHost: r.bool('allow_any_data_host', { default: false }),
    tls,
    limits: {
      maxLabelBytes: r.int('max_label_bytes', { min: 1, max: 65_536, default: LIMIT_DEFAULTS.maxLabelBytes }),
      maxGroupsPerNode: r.int('max_groups_per_node', { min: 1, max: 1 << 24, default: LIMIT_DEFAULTS.maxGroupsPerNode }),
      maxFrameBytes: r.int('max_frame_bytes', { min: 4096, max: 1 << 30, default: LIMIT_DEFAULTS.maxFrameBytes }),
      maxHelloBytes: r.int('max_hello_bytes', { min: 1024, max: 1 << 24, default: LIMIT_DEFAULTS.maxHelloBytes }),
      maxPendingPerAddress: r.int('max_pending_per_address', { min: 1, max: 1 << 20, default: LIMIT_DEFAULTS.maxPendingPerAddress }),
      maxPendingTotal: r.int('max_pending_total', { min: 1, max: 1 << 20, default: LIMIT_DEFAULTS.maxPendingTotal }),
    },
  };
  for (const n of nodes) {
    const id = n.int('node_id', { min: 1 });
    const token = secretOrFile(n, 'token', (p) => readFile(resolvePath(p)));
    if (token !== undefined) cfg.nodeTokens.set(id, token);
    if (n.has('public_network_addr')) {
      const a = n.str('public_network_addr');
      if (!isIpLiteral(a)) throw n.fail('public_network_addr', `must be an IP address without a port (datagrams are matched to it by their source IP), got ${JSON.stringify(a)}`);
      cfg.publicAddrs.set(id, a);
    }
  }
  if (cfg.allowAnyDataHost) log.warn(`${r.what}.allow_any_data_host = true: nodes may announce any data address, so one node can point the others' traffic at a third address`);
  const nodeSecrets = [cfg.authToken, ...cfg.nodeTokens.values()];
  if (cfg.adminToken !== undefined && nodeSecrets.includes(cfg.adminToken)) {
    throw r.fail('admin_token', 'must differ from auth_token and from every node token: a node must not be able to reconfigure the network');
  }
  return cfg;
}

/** Authentication is on when any node secret is configured. */
export const authRequired = (s: SecurityConfig): boolean => s.authToken !== undefined || s.nodeTokens.size > 0;
