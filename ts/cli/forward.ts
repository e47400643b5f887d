// `nextmini forward` and `nextmini expose`: a node (from its config file) that carries TCP
// connections over streams, and the same as `--forward`/`--expose` on `nextmini node`.
import { Dataplane, forward, expose, type Forwarder, type Exposer, type HostPort } from '../index.node.js';
import { UsageError, untilSignal } from './args.js';

export interface ForwardSpec {
  listen: HostPort;
  to: { nodeId: number; port: number };
}
export interface ExposeSpec {
  port: number;
  target: HostPort;
}

export function parsePort(where: string, flag: string, text: string, min = 1): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > 65535) throw new UsageError(where, `${flag}: '${text}' is not a port (${min}..65535)`);
  return n;
}

/** `[HOST:]PORT` (a bare number is a port on 127.0.0.1). */
export function parseHostPort(where: string, flag: string, text: string, min = 1): HostPort {
  const i = text.lastIndexOf(':');
  if (i < 0) return { host: '127.0.0.1', port: parsePort(where, flag, text, min) };
  const raw = text.slice(0, i);
  // An IPv6 address without brackets would be cut at its last colon (::1 as host ':' port 1).
  if (raw.includes(':') && !/^\[.*\]$/.test(raw)) {
    const example = /^\d+$/.test(text.slice(i + 1)) && raw.includes('::') ? `[${raw}]:${text.slice(i + 1)}` : `[${text}]:PORT`;
    throw new UsageError(where, `${flag}: '${text}' is an IPv6 address without brackets; write ${example}`);
  }
  const host = raw.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new UsageError(where, `${flag}: '${text}' has an empty host; write PORT or HOST:PORT`);
  return { host, port: parsePort(where, flag, text.slice(i + 1), min) };
}

/** `NODE:PORT`: a node id and a stream port there. */
export function parseNodePort(where: string, flag: string, text: string): { nodeId: number; port: number } {
  const m = /^(\d+):(\d+)$/.exec(text);
  if (!m || Number(m[1]) < 1) throw new UsageError(where, `${flag}: '${text}' is not NODE:PORT (a node id >= 1 and a port, e.g. 3:80)`);
  return { nodeId: Number(m[1]), port: parsePort(where, flag, m[2]!) };
}

/** `--forward [HOST:]PORT=NODE:PORT[,...]` of `nextmini node`. */
export function parseForwardList(where: string, text: string): ForwardSpec[] {
  const specs = text.split(',').map((item) => {
    const [l, t, extra] = item.split('=');
    if (!l || !t || extra !== undefined) throw new UsageError(where, `--forward: '${item}' is not [HOST:]PORT=NODE:PORT (e.g. 8080=3:80)`);
    return { listen: parseHostPort(where, '--forward', l, 0), to: parseNodePort(where, '--forward', t) };
  });
  // Found here, not when the second listen fails after the first one started.
  const seen = new Set<string>();
  for (const { listen } of specs) {
    const key = `${listen.host}:${listen.port}`;
    if (listen.port !== 0 && seen.has(key)) throw new UsageError(where, `--forward: ${key} is given twice`);
    seen.add(key);
  }
  return specs;
}

/** `--expose PORT=[HOST:]PORT[,...]` of `nextmini node`. */
export function parseExposeList(where: string, text: string): ExposeSpec[] {
  const specs = text.split(',').map((item) => {
    const [p, t, extra] = item.split('=');
    if (!p || !t || extra !== undefined) throw new UsageError(where, `--expose: '${item}' is not PORT=[HOST:]PORT (e.g. 80=127.0.0.1:8000)`);
    return { port: parsePort(where, '--expose', p), target: parseHostPort(where, '--expose', t) };
  });
  const seen = new Set<number>();
  for (const { port } of specs) {
    if (seen.has(port)) throw new UsageError(where, `--expose: stream port ${port} is given twice`);
    seen.add(port);
  }
  return specs;
}

const fmtBytes = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${n} B`);

/** Opens the node, sets up the forwarders and exposers, runs until Ctrl-C, prints what they carried. */
export async function runSplices(config: string, fwd: ForwardSpec[], exp: ExposeSpec[]): Promise<number> {
  const dp = await Dataplane.open(config);
  const id = dp.nodeId;
  const forwarders: [ForwardSpec, Forwarder][] = [];
  const exposers: [ExposeSpec, Exposer][] = [];
  try {
    for (const e of exp) {
      // Each failure said as it happens: a client whose connection just closed sees why here.
      const onError = (err: Error) => console.warn(`node ${id}: expose ${e.port} -> ${e.target.host}:${e.target.port}: connection failed: ${err.message}`);
      exposers.push([e, expose({ dataplane: dp, port: e.port, target: e.target, onError })]);
      console.log(`node ${id}: stream port ${e.port} -> tcp ${e.target.host}:${e.target.port}`);
    }
    for (const f of fwd) {
      let port = f.listen.port;
      const onError = (err: Error) => console.warn(`node ${id}: forward ${port} -> ${f.to.nodeId}:${f.to.port}: connection failed: ${err.message}`);
      const fw = await forward({ dataplane: dp, listen: f.listen, to: f.to, onError });
      port = fw.address.port;
      forwarders.push([f, fw]);
      console.log(`node ${id}: tcp ${fw.address.host}:${fw.address.port} -> node ${f.to.nodeId} stream port ${f.to.port}`);
    }
    void dp.waitForTopologyReady().then((ok) => ok && console.log(`node ${id}: topology ready`));
    await untilSignal();
  } finally {
    for (const [f, fw] of forwarders) {
      const s = fw.stats();
      console.log(`node ${id}: forward ${fw.address.port} -> ${f.to.nodeId}:${f.to.port}: ${s.connections} connections (${s.failed} failed${s.lastError ? `, last: ${s.lastError}` : ''}), ${fmtBytes(s.bytesToNetwork)} out, ${fmtBytes(s.bytesFromNetwork)} in`);
      await fw.close();
    }
    for (const [e, ex] of exposers) {
      const s = ex.stats();
      console.log(`node ${id}: expose ${e.port} -> ${e.target.host}:${e.target.port}: ${s.connections} connections (${s.failed} failed${s.lastError ? `, last: ${s.lastError}` : ''}), ${fmtBytes(s.bytesFromNetwork)} in, ${fmtBytes(s.bytesToNetwork)} out`);
      await ex.close();
    }
    await dp.close();
  }
  return 0;
}
