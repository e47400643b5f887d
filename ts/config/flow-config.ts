// Controller-driven traffic flows: upstream nextmini's `[[flows]]` and `flow_transport`, read into
// one checked shape (FlowSpec) that the controller's startFlow() produces too. Node ids are
// checked against the topology by the controller, which knows it; everything else is checked here.
import { NextminiError } from '../errors.js';
import { logger } from '../log.js';
import type { TableReader } from './reader.js';
import { MAX_FLOW_WEIGHT } from './link-config.js';

const log = logger('config');

/** How a flow's bytes travel: paced datagrams with counted loss, one lossless session, or one reliable stream. */
export type FlowTransport = 'datagram' | 'lossless' | 'stream';

/** Every name `transport` and `flow_transport` take: ours, then upstream's. */
export const FLOW_TRANSPORT_NAMES = ['datagram', 'lossless', 'stream', 'lossless_unicast', 'tcp'] as const;
export type FlowTransportName = (typeof FLOW_TRANSPORT_NAMES)[number];

/** A flow as the controller runs it, whichever way it came (config or startFlow). */
export interface FlowSpec {
  src: number;
  dst: number;
  /** Exactly one of bytes and durationMs. */
  bytes?: number;
  durationMs?: number;
  /** Bytes per second; required for datagram flows and for lossless Duration flows. */
  rate?: number;
  /** WRR weight, >= 1. */
  weight: number;
  transport: FlowTransport;
}

/** A Duration at or below this many ms may have been written in seconds (upstream's docs say seconds). */
const DURATION_SECONDS_HINT = 60;

/** Upstream's names mapped onto ours: `lossless_unicast` is a lossless session, `tcp` (a reliable byte stream) a stream. */
export function flowTransport(name: FlowTransportName): FlowTransport {
  if (name === 'lossless_unicast' || name === 'lossless') return 'lossless';
  if (name === 'tcp' || name === 'stream') return 'stream';
  return 'datagram';
}

/**
 * Checks a flow whose fields are known to have the right types: exactly one length, a rate
 * where the flow needs one, src != dst. `field(name)` says where the named field was written.
 */
export function checkFlow(f: FlowSpec, fail: (field: string, message: string) => NextminiError, field: (name: 'length' | 'rate' | 'dst') => string): FlowSpec {
  if ((f.bytes === undefined) === (f.durationMs === undefined)) throw fail(field('length'), 'needs exactly one length: Bytes (a byte count) or Duration (milliseconds)');
  // A stream Duration flow without a rate goes as fast as its stream allows; a lossless session
  // must know its size up front, so its Duration flow needs a rate to compute one.
  if (f.rate === undefined && (f.transport === 'datagram' || (f.transport === 'lossless' && f.durationMs !== undefined))) {
    const why = f.transport === 'datagram' ? 'a datagram flow is sent at its rate' : 'a Duration flow needs a rate to know how much to send';
    throw fail(field('rate'), `is required (bytes per second): ${why}`);
  }
  if (f.src === f.dst) throw fail(field('dst'), `is node ${f.dst}, the flow's source too; a flow goes from one node to another`);
  if (f.transport === 'lossless' && f.bytes !== undefined && f.rate !== undefined) {
    // Said, not silently dropped: a lossless session paces itself (its congestion control and
    // the node's [lossless_runtime_config.data_bucket]); per-session pacing does not exist yet.
    log.warn(`${field('rate')}: a lossless flow of a given size goes at its session's own pace; its rate (${f.rate} bytes/s) is not enforced (it sizes Duration flows only)`);
  }
  return f;
}

/** `[[flows]]` of a controller config, with the top-level `flow_transport` as their default. */
export function readFlows(r: TableReader, source: string): FlowSpec[] {
  const deflt: FlowTransport = r.has('flow_transport') ? flowTransport(r.oneOf('flow_transport', FLOW_TRANSPORT_NAMES)) : 'lossless';
  return r.tables('flows').map((t, i) => {
    const where = `${source}.flows[${i}]`;
    t.checkKeys(['src_node_id', 'dst_node_id', 'flow_spec']);
    const src = t.int('src_node_id', { min: 1, max: 0xffff_fffe });
    const dst = t.int('dst_node_id', { min: 1, max: 0xffff_fffe });
    const spec = t.table('flow_spec');
    if (!spec) throw t.fail('flow_spec', 'is required: { flow_len = { Bytes = n } | { Duration = ms }, flow_rate, flow_weight, transport }');
    spec.checkKeys(['flow_len', 'flow_rate', 'flow_weight', 'transport']);
    const len = spec.table('flow_len');
    if (!len) throw spec.fail('flow_len', 'is required: { Bytes = n } or { Duration = ms }');
    len.checkKeys(['Bytes', 'Duration']);
    const f: FlowSpec = {
      src,
      dst,
      weight: spec.int('flow_weight', { min: 1, max: MAX_FLOW_WEIGHT, default: 1 }),
      transport: spec.has('transport') ? flowTransport(spec.oneOf('transport', FLOW_TRANSPORT_NAMES)) : deflt,
    };
    if (len.has('Bytes')) f.bytes = len.int('Bytes', { min: 1, max: 2 ** 40 });
    if (len.has('Duration')) {
      f.durationMs = len.int('Duration', { min: 1, max: 86_400_000 });
      if (f.durationMs <= DURATION_SECONDS_HINT) {
        log.warn(`${where}.flow_spec.flow_len.Duration = ${f.durationMs} is read as milliseconds (upstream's docs give seconds); write ${f.durationMs * 1000} for ${f.durationMs} s`);
      }
    }
    if (spec.has('flow_rate')) f.rate = spec.num('flow_rate', { min: 1, max: 1e12 });
    return checkFlow(
      f,
      (key, message) => new NextminiError('CONFIG_INVALID', `${key} ${message}`),
      (name) => (name === 'length' ? `${where}.flow_spec.flow_len` : name === 'rate' ? `${where}.flow_spec.flow_rate` : `${where}.dst_node_id`),
    );
  });
}
