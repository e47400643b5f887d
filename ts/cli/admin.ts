// `nextmini admin --controller ws://host:port <subcommand> [flags]`: a running controller's
// admin operations from the shell, through connectController (the `/admin` endpoint).
// Exit status: 0 done, 1 the controller (or the connection) failed, 2 a usage error.
import { readFileSync } from 'node:fs';
import { connectController, isNextminiError, type ControllerClient, type LinkParamsConfig, type MetricRow, type MetricsQuery } from '../index.node.js';
import type { ControllerStatus, FlowResult, SetLinkArgs, StartFlowArgs } from '../controller/api.js';
import { adminUrl } from '../controller/admin-protocol.js';
import { UsageError, flagHelp, parseFlags, repeatedFlag, wantsHelp, type Flags, type Values } from './args.js';

type Action = (c: ControllerClient) => Promise<void>;

interface Subcommand {
  synopsis: string;
  summary: string;
  flags: Flags;
  /** Checks the flags and returns what to do once connected (usage errors before connecting). */
  prepare(v: Values): Action;
}

const GLOBAL: Flags = {
  controller: { type: 'string', value: 'URL', help: 'the controller: ws://host:port, wss://host:port or host:port (default: $NEXTMINI_CONTROLLER)' },
  'timeout-ms': { type: 'string', value: 'MS', help: 'give up connecting after MS milliseconds (default 5000)' },
  'token-file': { type: 'string', value: 'FILE', help: "a file holding the controller's admin_token (default: $NEXTMINI_ADMIN_TOKEN; never on the command line, where ps shows it)" },
  ca: { type: 'string', value: 'FILE', help: 'PEM file of a CA to trust for a wss:// controller' },
  help: { type: 'boolean', short: 'h', help: 'show help' },
};

const PAIR: Flags = {
  src: { type: 'string', value: 'N', help: 'source node id' },
  dst: { type: 'string', value: 'N', help: 'destination node id' },
};

const JSON_FLAG: Flags = { json: { type: 'boolean', help: 'print JSON instead of text' } };

const LINK_FLAGS: Flags = {
  bidirectional: { type: 'boolean', help: 'apply to both directions (src→dst and dst→src)' },
  replace: { type: 'boolean', help: 'start from no shaping instead of the link’s current settings' },
  rate: { type: 'string', value: 'BYTES_PER_S', help: 'rate limit in bytes per second (125000 = 1 Mbit/s)' },
  'bucket-size': { type: 'string', value: 'BYTES', help: 'token bucket depth in bytes (default max(rate/20, 16 KiB))' },
  'delay-ms': { type: 'string', value: 'MS', help: 'one-way delay in milliseconds' },
  'jitter-ms': { type: 'string', value: 'MS', help: 'extra uniform delay in [0, MS] milliseconds' },
  reorder: { type: 'boolean', help: 'let jitter reorder packets' },
  'no-reorder': { type: 'boolean', help: 'keep packets in order despite jitter' },
  loss: { type: 'string', value: 'FRACTION', help: 'random loss probability, 0 to 1' },
  'loss-burst': { type: 'string', value: 'G2B,B2G,LOSS', help: 'bursty (Gilbert–Elliott) loss: p(good→bad), p(bad→good), loss in bad' },
  'queue-limit-packets': { type: 'string', value: 'N', help: 'tail-drop beyond N packets waiting for the rate limiter' },
  seed: { type: 'string', value: 'N', help: 'seed of the link’s loss, jitter and RED' },
  scheduler: { type: 'string', value: 'fifo|wrr', help: 'serve the queue in arrival order, or by weighted round robin between flows' },
  drop: { type: 'string', value: 'tail|red', help: 'drop only at the queue limit, or early by random early detection' },
  'min-th': { type: 'string', value: 'N', help: 'RED: average queue (packets) below which nothing is dropped early' },
  'max-th': { type: 'string', value: 'N', help: 'RED: average queue (packets) from which every arrival is dropped' },
  'max-p': { type: 'string', value: 'FRACTION', help: 'RED: drop probability just below max-th, in (0, 1]' },
};

const SUBCOMMANDS: Record<string, Subcommand> = {
  status: {
    synopsis: 'status [--json]',
    summary: 'nodes, relay, store, groups and run-time routes',
    flags: JSON_FLAG,
    prepare: (v) => async (c) => {
      const s = await c.status();
      console.log(v.json ? JSON.stringify(s, null, 2) : formatStatus(c.url, s));
    },
  },
  'set-link': {
    synopsis: 'set-link --src N --dst N [--bidirectional] [--replace] [--rate BYTES_PER_S] [--delay-ms MS] [--jitter-ms MS] [--loss FRACTION] [--reorder | --no-reorder] [--queue-limit-packets N] [--bucket-size BYTES] [--loss-burst G2B,B2G,LOSS] [--seed N] [--scheduler fifo|wrr] [--drop tail|red] [--min-th N] [--max-th N] [--max-p FRACTION]',
    summary: "change a link's emulation (omitted settings stay as they are, unless --replace)",
    flags: { ...PAIR, ...LINK_FLAGS },
    prepare: (v) => {
      const where = 'set-link';
      const args: SetLinkArgs = { srcNodeId: nodeFlag(where, v, 'src'), dstNodeId: nodeFlag(where, v, 'dst') };
      if (v.bidirectional) args.bidirectional = true;
      if (v.replace) args.replace = true;
      if (v.rate !== undefined) args.rate = intFlag(where, 'rate', v.rate, 1);
      if (v['bucket-size'] !== undefined) args.bucketSize = intFlag(where, 'bucket-size', v['bucket-size'], 1);
      if (v['delay-ms'] !== undefined) args.delayMs = numFlag(where, 'delay-ms', v['delay-ms'], 0, 3_600_000);
      if (v['jitter-ms'] !== undefined) args.jitterMs = numFlag(where, 'jitter-ms', v['jitter-ms'], 0, 3_600_000);
      if (v.reorder && v['no-reorder']) throw new UsageError(where, '--reorder and --no-reorder exclude each other');
      if (v.reorder) args.reorder = true;
      if (v['no-reorder']) args.reorder = false;
      if (v.loss !== undefined) args.loss = numFlag(where, 'loss', v.loss, 0, 1);
      if (v['loss-burst'] !== undefined) {
        const parts = String(v['loss-burst']).split(',');
        if (parts.length !== 3) throw new UsageError(where, `--loss-burst takes three fractions G2B,B2G,LOSS, got '${String(v['loss-burst'])}'`);
        const [g, b, l] = parts.map((p) => numFlag(where, 'loss-burst', p, 0, 1)) as [number, number, number];
        args.lossBurst = { pGoodToBad: g, pBadToGood: b, lossInBad: l };
      }
      if (v['queue-limit-packets'] !== undefined) args.queueLimitPackets = intFlag(where, 'queue-limit-packets', v['queue-limit-packets'], 1);
      if (v.seed !== undefined) args.seed = intFlag(where, 'seed', v.seed, 0);
      // Values are checked by setLink itself (INVALID_ARGUMENT naming the key and the choices).
      if (v.scheduler !== undefined) args.scheduler = String(v.scheduler) as SetLinkArgs['scheduler'];
      if (v.drop !== undefined) args.drop = String(v.drop) as SetLinkArgs['drop'];
      if (v['min-th'] !== undefined) args.minTh = intFlag(where, 'min-th', v['min-th'], 0);
      if (v['max-th'] !== undefined) args.maxTh = intFlag(where, 'max-th', v['max-th'], 1);
      if (v['max-p'] !== undefined) args.maxP = numFlag(where, 'max-p', v['max-p'], 0, 1);
      return async (c) => {
        await c.setLink(args);
        const dirs = args.bidirectional ? `${args.srcNodeId}↔${args.dstNodeId}` : `${args.srcNodeId}→${args.dstNodeId}`;
        console.log(`link ${dirs} updated`);
      };
    },
  },
  'get-link': {
    synopsis: 'get-link --src N --dst N [--json]',
    summary: "a link's emulation as configured",
    flags: { ...PAIR, ...JSON_FLAG },
    prepare: (v) => {
      const src = nodeFlag('get-link', v, 'src');
      const dst = nodeFlag('get-link', v, 'dst');
      return async (c) => {
        const p = await c.getLink(src, dst);
        console.log(v.json ? JSON.stringify(p, null, 2) : `link ${src}→${dst}: ${formatLink(p)}`);
      };
    },
  },
  'set-routes': {
    synopsis: 'set-routes --src N --dst N (--path 1,2,3 | --dag 1-2,2-3,1-4,4-3)',
    summary: 'install a run-time route from src to dst: one path, or the edges of a DAG',
    flags: {
      ...PAIR,
      path: { type: 'string', value: 'A,B,C', help: 'the nodes of the path, src first and dst last' },
      dag: { type: 'string', value: 'A-B,B-C', help: 'the directed edges of a DAG from src to dst' },
    },
    prepare: (v) => {
      const where = 'set-routes';
      const srcNodeId = nodeFlag(where, v, 'src');
      const dstNodeId = nodeFlag(where, v, 'dst');
      if ((v.path === undefined) === (v.dag === undefined)) throw new UsageError(where, 'give exactly one of --path A,B,C or --dag A-B,B-C');
      let route: number[] | [number, number][];
      let shown: string;
      if (v.path !== undefined) {
        route = listFlag(where, 'path', String(v.path)).map((n) => idValue(where, 'path', n));
        shown = route.join(',');
      } else {
        route = listFlag(where, 'dag', String(v.dag)).map((e) => {
          const m = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(e);
          if (!m) throw new UsageError(where, `--dag takes edges A-B separated by commas, got '${e}'`);
          return [idValue(where, 'dag', m[1]!), idValue(where, 'dag', m[2]!)] as [number, number];
        });
        shown = route.map(([a, b]) => `${a}-${b}`).join(',');
      }
      return async (c) => {
        await c.setRoutes({ srcNodeId, dstNodeId, route });
        console.log(`route ${srcNodeId}→${dstNodeId} set: ${shown}`);
      };
    },
  },
  'clear-routes': {
    synopsis: 'clear-routes --src N --dst N',
    summary: 'drop the run-time route: back to [[routes]] or shortest paths',
    flags: PAIR,
    prepare: (v) => {
      const srcNodeId = nodeFlag('clear-routes', v, 'src');
      const dstNodeId = nodeFlag('clear-routes', v, 'dst');
      return async (c) => {
        await c.clearRoutes({ srcNodeId, dstNodeId });
        console.log(`route ${srcNodeId}→${dstNodeId} cleared`);
      };
    },
  },
  metrics: {
    synopsis: 'metrics [--node N] [--name NAME] [--since-ms MS | --last-ms MS] [--limit N] [--json]',
    summary: 'stored metric samples, oldest first (a table by default)',
    flags: {
      node: { type: 'string', value: 'N', help: 'only this node' },
      name: { type: 'string', value: 'NAME', help: 'only this metric' },
      'since-ms': { type: 'string', value: 'MS', help: 'only samples at or after this time (Unix epoch milliseconds)' },
      'last-ms': { type: 'string', value: 'MS', help: 'only samples from the last MS milliseconds' },
      limit: { type: 'string', value: 'N', help: 'at most N samples, the newest (default 10000)' },
      ...JSON_FLAG,
    },
    prepare: (v) => {
      const where = 'metrics';
      const q: MetricsQuery = {};
      if (v.node !== undefined) q.nodeId = intFlag(where, 'node', v.node, 1);
      if (v.name !== undefined) q.name = String(v.name);
      if (v['since-ms'] !== undefined && v['last-ms'] !== undefined) throw new UsageError(where, '--since-ms and --last-ms exclude each other');
      if (v['since-ms'] !== undefined) q.sinceMs = intFlag(where, 'since-ms', v['since-ms'], 0);
      const last = v['last-ms'] !== undefined ? intFlag(where, 'last-ms', v['last-ms'], 0) : undefined;
      if (v.limit !== undefined) q.limit = intFlag(where, 'limit', v.limit, 1);
      return async (c) => {
        if (last !== undefined) q.sinceMs = Date.now() - last;
        const rows = await c.metrics(q);
        console.log(v.json ? JSON.stringify(rows, null, 2) : formatMetrics(rows));
      };
    },
  },
  flows: {
    synopsis: 'flows [--json]',
    summary: 'traffic flows ([[flows]], startFlow) with their state and results',
    flags: JSON_FLAG,
    prepare: (v) => async (c) => {
      const flows = await c.flows();
      console.log(v.json ? JSON.stringify(flows, null, 2) : formatFlows(flows));
    },
  },
  'start-flow': {
    synopsis: 'start-flow --src N --dst N (--bytes N | --duration-ms MS) [--rate BYTES_PER_S] [--weight N] [--transport T]',
    summary: 'start a traffic flow from src to dst; prints its id',
    flags: {
      ...PAIR,
      bytes: { type: 'string', value: 'N', help: 'send N bytes' },
      'duration-ms': { type: 'string', value: 'MS', help: 'send for MS milliseconds (needs --rate)' },
      rate: { type: 'string', value: 'BYTES_PER_S', help: 'bytes per second (required for datagram flows and --duration-ms)' },
      weight: { type: 'string', value: 'N', help: 'weight for weighted round robin between flows (default 1)' },
      transport: { type: 'string', value: 'T', help: 'datagram, lossless (default), stream, or upstream\'s lossless_unicast (= lossless) and tcp (= stream)' },
    },
    prepare: (v) => {
      const where = 'start-flow';
      const spec: StartFlowArgs = { src: nodeFlag(where, v, 'src'), dst: nodeFlag(where, v, 'dst') };
      if ((v.bytes === undefined) === (v['duration-ms'] === undefined)) throw new UsageError(where, 'give exactly one of --bytes N or --duration-ms MS');
      if (v.bytes !== undefined) spec.bytes = intFlag(where, 'bytes', v.bytes, 1);
      if (v['duration-ms'] !== undefined) spec.durationMs = intFlag(where, 'duration-ms', v['duration-ms'], 1);
      if (v.rate !== undefined) spec.rate = numFlag(where, 'rate', v.rate, 1, 1e12);
      if (v.weight !== undefined) spec.weight = intFlag(where, 'weight', v.weight, 1);
      if (v.transport !== undefined) spec.transport = String(v.transport) as StartFlowArgs['transport'];
      return async (c) => {
        const id = await c.startFlow(spec);
        console.log(`flow ${id} started: ${spec.src}→${spec.dst}`);
      };
    },
  },
  'stop-flow': {
    synopsis: 'stop-flow --flow ID',
    summary: 'stop a traffic flow (it ends stopped, with what was delivered)',
    flags: { flow: { type: 'string', value: 'ID', help: 'the flow id (start-flow printed it; see flows)' } },
    prepare: (v) => {
      if (v.flow === undefined) throw new UsageError('stop-flow', '--flow ID is required');
      const id = intFlag('stop-flow', 'flow', v.flow, 1);
      return async (c) => {
        await c.stopFlow(id);
        console.log(`flow ${id} stopped`);
      };
    },
  },
};

export const ADMIN_USAGE = `usage: nextmini admin --controller ws[s]://HOST:PORT <subcommand> [flags]

Talks to a running controller through its /admin endpoint.

subcommands:
${Object.entries(SUBCOMMANDS)
  .map(([name, s]) => `  ${name.padEnd(13)} ${s.summary}`)
  .join('\n')}

flags for every subcommand:
${flagHelp(GLOBAL)}

Run \`nextmini admin <subcommand> --help\` for a subcommand's flags.
Exit status: 0 done, 1 the controller answered with an error (e.g. CONTROLLER_REJECTED (UNAUTHORIZED) without the admin token) or cannot be reached, 2 usage error.`;

function subcommandUsage(name: string): string {
  const s = SUBCOMMANDS[name]!;
  const flags = Object.keys(s.flags).length ? `\n\nflags:\n${flagHelp(s.flags)}` : '';
  return `usage: nextmini admin --controller ws://HOST:PORT ${s.synopsis}\n\n${s.summary}${flags}\n\nflags for every subcommand:\n${flagHelp(GLOBAL)}`;
}

/** `nextmini help admin [SUBCOMMAND]`: the overview, or one subcommand's flags. */
export function adminHelp(topic: string | undefined): string {
  if (topic === undefined) return ADMIN_USAGE;
  if (!SUBCOMMANDS[topic]) throw new UsageError('', `unknown admin subcommand '${topic}' (valid: ${Object.keys(SUBCOMMANDS).join(', ')})`);
  return subcommandUsage(topic);
}

/** Index of the subcommand: the first argument that is neither a flag nor a global flag's value. */
function subcommandIndex(args: string[]): number {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return i + 1 < args.length ? i + 1 : -1;
    if (!a.startsWith('-')) return i;
    const name = a.replace(/^-+/, '');
    if (GLOBAL[name]?.type === 'string') i++;
  }
  return -1;
}

function intFlag(where: string, name: string, raw: string | boolean, min: number): number {
  const s = String(raw);
  const n = Number(s);
  if (s.trim() === '' || !Number.isSafeInteger(n) || n < min) throw new UsageError(where, `--${name} must be a whole number >= ${min}, got '${s}'`);
  return n;
}

function numFlag(where: string, name: string, raw: string | boolean, min: number, max: number): number {
  const s = String(raw);
  const n = Number(s);
  if (s.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new UsageError(where, `--${name} must be a number from ${min} to ${max}, got '${s}'`);
  return n;
}

function idValue(where: string, name: string, s: string): number {
  const n = Number(s.trim());
  if (s.trim() === '' || !Number.isSafeInteger(n) || n < 1) throw new UsageError(where, `--${name}: '${s}' is not a node id (a whole number >= 1)`);
  return n;
}

function nodeFlag(where: string, v: Values, name: 'src' | 'dst'): number {
  const raw = v[name];
  if (raw === undefined) throw new UsageError(where, `--${name} N is required`);
  return intFlag(where, name, raw, 1);
}

function listFlag(where: string, name: string, s: string): string[] {
  const items = s.split(',');
  if (items.length < 2 || items.some((x) => x.trim() === '')) {
    throw new UsageError(where, `--${name} takes at least two comma-separated items, got '${s}'`);
  }
  return items;
}

function ids(list: number[]): string {
  return list.length ? list.join(', ') : 'none';
}

function formatStatus(url: string, s: ControllerStatus): string {
  const r = s.relay;
  const missing = s.expected.filter((n) => !s.connected.includes(n));
  return [
    `controller ${url.replace(/\/admin$/, '')}`,
    `nodes:    ${s.connected.length} of ${s.expected.length} connected (${ids(s.connected)})${missing.length ? `; waiting for ${ids(missing)}` : ''}`,
    `topology: ${s.topologyReady ? 'ready' : 'not ready'}`,
    `relay:    ${r.bound.length} bound (${ids(r.bound)}); ${r.framesForwarded} frames / ${r.bytesForwarded} bytes forwarded; ` +
      `drops: ${r.dropsUnknownNode} unknown node, ${r.dropsBackpressure} backpressure, ${r.dropsMalformed} malformed; ${r.bindsRejected} binds rejected`,
    `store:    ${s.store} (${s.storeLocation})`,
    `groups:   ${s.groups}`,
    `routes:   ${s.routes.length ? s.routes.map((x) => `${x.srcNodeId}→${x.dstNodeId}`).join(', ') : 'none set at run time'}`,
    `security: ${s.authRequired ? 'nodes authenticate, datagrams carry MACs' : 'NO authentication (anyone who reaches the controller can join)'}; ${s.tls ? 'TLS (wss://)' : 'no TLS'}; ${s.refusedConnections} connections refused`,
  ].join('\n');
}

function formatLink(p: LinkParamsConfig): string {
  const parts: string[] = [];
  if (p.rate !== undefined) parts.push(`rate ${p.rate} B/s`);
  if (p.bucket_size !== undefined) parts.push(`bucket ${p.bucket_size} B`);
  if (p.delay_ms) parts.push(`delay ${p.delay_ms} ms`);
  if (p.jitter_ms) parts.push(`jitter ${p.jitter_ms} ms${p.reorder ? ' (reordering)' : ''}`);
  else if (p.reorder) parts.push('reorder');
  if (p.loss) parts.push(`loss ${p.loss}`);
  if (p.loss_burst) parts.push(`burst loss ${p.loss_burst.p_good_to_bad}/${p.loss_burst.p_bad_to_good}/${p.loss_burst.loss_in_bad}`);
  if (p.queue_limit_packets !== undefined) parts.push(`queue limit ${p.queue_limit_packets} packets`);
  if (p.seed !== undefined) parts.push(`seed ${p.seed}`);
  if (p.scheduler === 'wrr') parts.push('weighted round robin');
  if (p.drop === 'red') parts.push(`RED${p.min_th !== undefined ? ` min_th ${p.min_th}` : ''}${p.max_th !== undefined ? ` max_th ${p.max_th}` : ''}${p.max_p !== undefined ? ` max_p ${p.max_p}` : ''}`);
  return parts.length ? parts.join(', ') : 'no emulation';
}

function formatFlows(flows: FlowResult[]): string {
  if (!flows.length) return 'no flows';
  const head = ['flow', 'src→dst', 'transport', 'state', 'sent', 'received', 'loss', 'completion'];
  const body = flows.map((f) => [
    String(f.flowId),
    `${f.spec.src}→${f.spec.dst}`,
    f.spec.transport,
    f.state + (f.reason ? ` (${f.reason})` : ''),
    String(f.bytesSent),
    String(f.bytesReceived),
    f.loss === null ? '' : `${(f.loss * 100).toFixed(2)}%`,
    f.completionMs === null ? '' : `${Math.round(f.completionMs)} ms`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  return [head, ...body].map((cells) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

function formatMetrics(rows: MetricRow[]): string {
  if (!rows.length) return 'no samples';
  const head = ['time', 'node', 'name', 'neighbor', 'value'];
  const body = rows.map((r) => [new Date(r.atMs).toISOString(), String(r.nodeId), r.name, r.neighbor === undefined || r.neighbor === null ? '' : String(r.neighbor), String(r.value)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 1 || i === 3 || i === 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), ...body.map(line)].join('\n');
}

/** `nextmini admin ...`: returns the exit status. */
export async function runAdmin(args: string[]): Promise<number> {
  let where = '';
  try {
    const at = subcommandIndex(args);
    const before = at < 0 ? args : args.slice(0, at);
    const name = at < 0 ? undefined : args[at]!;
    const after = at < 0 ? [] : args.slice(at + 1);
    if (name === undefined || name === 'help') {
      const topic = after.find((a) => !a.startsWith('-'));
      if (name === 'help' && topic && SUBCOMMANDS[topic]) {
        console.log(subcommandUsage(topic));
        return 0;
      }
      if (name === 'help' || wantsHelp(before)) {
        console.log(ADMIN_USAGE);
        return 0;
      }
      parseFlags('', before, GLOBAL);
      throw new UsageError('', `a subcommand is required (valid: ${Object.keys(SUBCOMMANDS).join(', ')})`);
    }
    const sub = SUBCOMMANDS[name];
    if (!sub) {
      parseFlags('', before, GLOBAL);
      throw new UsageError('', `unknown subcommand '${name}' (valid: ${Object.keys(SUBCOMMANDS).join(', ')})`);
    }
    where = name;
    if (wantsHelp(before) || wantsHelp(after)) {
      console.log(subcommandUsage(name));
      return 0;
    }
    const global = parseFlags('', before, GLOBAL);
    const own = parseFlags(name, after, { ...sub.flags, ...GLOBAL });
    // A global flag both before and after the subcommand is given twice, like one repeated on either side.
    for (const [k, v] of Object.entries(own)) {
      if (GLOBAL[k]?.type === 'string' && v !== undefined && global[k] !== undefined) throw repeatedFlag(name, k, [global[k], v]);
    }
    const values = { ...global, ...own };
    const action = sub.prepare(values);
    const given = typeof values.controller === 'string' ? values.controller : process.env.NEXTMINI_CONTROLLER;
    if (!given) throw new UsageError(name, '--controller URL is required (or set NEXTMINI_CONTROLLER)');
    if (!adminUrl(given)) throw new UsageError(name, `--controller must be ws://host:port or host:port, got '${given}'`);
    const timeoutMs = values['timeout-ms'] !== undefined ? intFlag(name, 'timeout-ms', values['timeout-ms'], 1) : undefined;
    const readFlagFile = (flag: string, path: string): string => {
      try {
        return readFileSync(path, 'utf8');
      } catch (err) {
        throw new UsageError(name, `--${flag}: cannot read '${path}': ${(err as Error).message}`);
      }
    };
    const tokenFile = values['token-file'];
    const adminToken = typeof tokenFile === 'string' ? readFlagFile('token-file', tokenFile).trim() : process.env.NEXTMINI_ADMIN_TOKEN?.trim() || undefined;
    if (typeof tokenFile === 'string' && !adminToken) throw new UsageError(name, `--token-file: '${tokenFile}' is empty`);
    const ca = typeof values.ca === 'string' ? readFlagFile('ca', values.ca) : undefined;
    const client = await connectController(given, {
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(adminToken ? { adminToken } : {}),
      ...(ca ? { ca } : {}),
    });
    try {
      await action(client);
    } finally {
      await client.close();
    }
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      const w = err.where ? ` ${err.where}` : '';
      console.error(`nextmini admin${w}: ${err.message}\nRun 'nextmini admin${w} --help' for usage.`);
      return 2;
    }
    if (isNextminiError(err)) {
      console.error(`nextmini admin: ${err.code}: ${err.message}`);
      return 1;
    }
    console.error(`nextmini admin${where ? ` ${where}` : ''}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
