// The messages of the control protocol and their encodings (see codec.ts for the framing).
import { NextminiError } from '../errors.js';
import { frame, openFrame, CONTROL_VERSION, type Reader, type Writer } from './codec.js';

export type Protocol = 'udp' | 'tcp' | 'relay' | 'memory';
const PROTOCOLS: Protocol[] = ['udp', 'tcp', 'relay', 'memory'];
export type OperatingMode = 'normal' | 'max';

/**
 * One transport a node speaks and where it listens on it: a socket address (udp, tcp), nothing
 * (relay: addressed by node id through the controller), or the node's memory transport id
 * ("<realm id>/<transport id>": only nodes in the same JavaScript realm reach it).
 */
export interface Endpoint {
  protocol: Protocol;
  host: string;
  port: number;
}

/**
 * How the recipient reaches one peer: the transport the controller chose for the pair (the
 * best both speak, or a bridge) and the peer's address on it.
 */
export interface PeerAddress {
  nodeId: number;
  protocol: Protocol;
  host: string;
  port: number;
}

/** Node -> controller: first message on a connection. */
export interface Hello {
  t: 'hello';
  nodeId: number;
  /** Every transport the node speaks, at most one per protocol, in the node's order of preference. */
  endpoints: Endpoint[];
  /**
   * Nodes that speak the relay: a secret the node proves on its relay connection, so that no
   * other connection can bind this node id (empty on the wire = none).
   */
  relayToken?: string;
  /** Fresh random bytes of the node's (NONCE_BYTES), bound into both proofs. */
  clientNonce: Uint8Array;
  /** HMAC proof of the node's token over the controller's challenge (empty: the node has no token). */
  proof: Uint8Array;
  /**
   * With nodeId 0 (the controller assigns one): assign only ids above this (node_id_offset).
   * Absent = 0.
   */
  idOffset?: number;
}

/**
 * Controller -> node, answering a hello with node id 0: the id this node is to use. The
 * controller then closes the connection; the node says hello again with that id (it is kept
 * for the node's data address while the controller runs).
 */
export interface Assigned {
  t: 'assigned';
  nodeId: number;
}

/** Controller -> node: the first message on a connection, before the node's hello. */
export interface Challenge {
  t: 'challenge';
  nonce: Uint8Array;
  /** The controller requires a proof in hello (auth_token or per-node tokens are set). */
  authRequired: boolean;
}

/**
 * Controller -> node: the hello was accepted. With authentication, `proof` shows the controller
 * knows the node's token too (empty without authentication).
 */
export interface Welcome {
  t: 'welcome';
  proof: Uint8Array;
  /** The controller's max_frame_bytes and max_label_bytes, so a node refuses oversize requests itself. */
  maxFrameBytes: number;
  maxLabelBytes: number;
  /**
   * The node's endpoints as the controller hands them to peers: a wildcard bind address
   * (0.0.0.0, ::) replaced by the address the node connected from (getNetworkInfo's publicNetworkAddr).
   */
  endpoints: Endpoint[];
}

/**
 * Controller -> node (authentication on): link keys for some of the node's neighbours, each
 * wrapped for this connection (see control/auth.ts). Entries replace those neighbours' keys;
 * others are kept.
 */
export interface Keys {
  t: 'keys';
  /** Increases with every keys message on a connection; part of each key's wrapping pad. */
  seq: number;
  entries: { neighbor: number; key: Uint8Array }[];
}

/** Controller -> node: refusal, then the controller closes the connection. */
export interface Reject {
  t: 'reject';
  code: 'UNKNOWN_NODE' | 'DUPLICATE_NODE' | 'VERSION_MISMATCH' | 'PROTOCOL_MISMATCH' | 'MALFORMED' | 'UNAUTHORIZED' | 'LIMIT' | 'NO_FREE_ID';
  message: string;
}

/**
 * Controller -> node: everything a node needs, as a full snapshot (sent on connect, on
 * reconnect, and whenever a peer's data address changes).
 */
export interface Snapshot {
  t: 'snapshot';
  /** Increases with every snapshot the controller sends this node. */
  generation: number;
  userSpaceBase: number;
  operatingMode: OperatingMode;
  /** Data addresses of every node known to the controller: connected now, or last seen (after a controller restart, before it said hello again). */
  peers: PeerAddress[];
  /** Ids of this node's topology neighbours. */
  neighbors: number[];
  /** This node's route table, encoded by the core. */
  routeTable: Uint8Array;
  topologyReady: boolean;
  /** Emulation of this node's egress links (absent neighbours: none). */
  links: LinkEntry[];
  /** This node's multicast table, encoded by the core. */
  mcastTable: Uint8Array;
  groups: GroupDirEntry[];
}

/** A multicast group as the directory lists it. */
export interface GroupDirEntry {
  groupId: number;
  /** Group address as a 32-bit number. */
  groupIp: number;
  srcNodeId: number;
  label: string;
}

export interface TreeSpec {
  treeId: number;
  weight: number;
  edges: [number, number][];
}

/** Node -> controller: a group operation; answered by a GroupReply with the same reqId. */
export type GroupOp = { t: 'group-op'; reqId: number } & (
  | { op: 'create'; label: string }
  | { op: 'routes'; groupId: number; trees: TreeSpec[] }
  | { op: 'join'; groupId: number }
  | { op: 'leave'; groupId: number }
  | { op: 'delete'; groupId: number }
);

export interface GroupReply {
  t: 'group-reply';
  reqId: number;
  /** Empty on success, else a NextminiError code. */
  code: string;
  message: string;
  group: GroupDirEntry | null;
}

/** Controller -> node: this node's multicast table (encoded by the core), replacing the last. */
export interface McastTable {
  t: 'mcast';
  table: Uint8Array;
}

/** Controller -> all nodes: every group. */
export interface GroupDirectory {
  t: 'groups';
  groups: GroupDirEntry[];
}

/** One egress link's emulation in the core's flat form (see config/link-config.ts). */
export interface LinkEntry {
  neighbor: number;
  params: Float64Array;
}

/** Controller -> node: the complete set of this node's link emulations, replacing the last. */
export interface Links {
  t: 'links';
  links: LinkEntry[];
}

/** Node -> controller: all neighbours' addresses known (and links connected) and routes installed. */
export interface LinksUp {
  t: 'links-up';
  /** The snapshot generation this report refers to; stale reports are ignored. */
  generation: number;
}

/**
 * Controller -> node: data addresses of peers that joined or moved (upserts into the snapshot's
 * peers), with a new generation for links-up. A join costs its peers this, not a snapshot.
 */
export interface PeersUpdate {
  t: 'peers';
  generation: number;
  peers: PeerAddress[];
}

/**
 * Controller -> node: nodes of the topology that are not connected to the controller (`down`:
 * they never joined, or left) or are again (`up`). Sent to a node about its direct peers, and
 * about any destination a forwarder reported its datagrams undeliverable for; `reporter` is
 * that forwarder (0: none), so the node can say where its messages were dropped.
 */
export interface Presence {
  t: 'presence';
  down: number[];
  up: number[];
  reporter: number;
}

/**
 * Node -> controller: unicast datagrams this node could not pass on, as [source, destination]
 * pairs (the next hop had no address here). The controller tells each source about
 * destinations that are not connected (Presence).
 */
export interface Undeliverable {
  t: 'undeliverable';
  pairs: [number, number][];
}

/** Most pairs in one Undeliverable report (a node reports each pair at most once a second). */
export const MAX_UNDELIVERABLE_PAIRS = 4096;

/** Controller -> node: this node's route table (encoded by the core), replacing the last. */
export interface RoutesUpdate {
  t: 'routes';
  routeTable: Uint8Array;
}

/**
 * One counter a node reports: `name` as in stats() (`packetsSent`, `drops.no_receiver`,
 * `link.packetsSent`…), `neighbor` for per-link counters (0 = none).
 */
export interface MetricSample {
  name: string;
  neighbor: number;
  value: number;
}

/**
 * The most samples one report may carry, checked before decoding: a node's stats() give ~40
 * plus 10 per emulated link, so this leaves room for ~6,000 links.
 */
export const MAX_METRIC_SAMPLES = 65_536;

/** Node -> controller: its counters, every `metrics_interval_ms`. */
export interface MetricsReport {
  t: 'metrics';
  samples: MetricSample[];
}

/** Controller -> node: every expected node is connected with links up. */
export interface TopologyReady {
  t: 'topology-ready';
}

/** How a flow's traffic travels (config/flow-config.ts). */
export type FlowTransportKind = 'datagram' | 'lossless' | 'stream';
const FLOW_TRANSPORTS: readonly FlowTransportKind[] = ['datagram', 'lossless', 'stream'];
/** A node's part in a flow. */
export type FlowRole = 'source' | 'sink';
const FLOW_ROLES: readonly FlowRole[] = ['source', 'sink'];
/** Where a node's side of a flow stands. */
export type FlowSideState = 'running' | 'done' | 'stopped' | 'failed';
const FLOW_SIDE_STATES: readonly FlowSideState[] = ['running', 'done', 'stopped', 'failed'];

/**
 * Controller -> node: take part in flow `flowId` with node `peer`: the source generates its
 * traffic, the sink counts it (datagram) or accepts its lossless session. 0 = not given for
 * bytes, durationMs and rate.
 */
export interface FlowStart {
  t: 'flow-start';
  flowId: number;
  role: FlowRole;
  peer: number;
  transport: FlowTransportKind;
  bytes: number;
  durationMs: number;
  rate: number;
}

/** Controller -> node: stop flow `flowId` (the source stops generating; a lossless sink cancels). */
export interface FlowStop {
  t: 'flow-stop';
  flowId: number;
}

/**
 * Node -> controller: one side of a flow so far. Times are ages at the moment of sending
 * (ms before now; -1 = not yet), so that the controller places them on its own clock.
 * Source: `bytes`/`packets` sent, `extra` = frames resent or FEC repair symbols (lossless), start = first send,
 * end = generator finished. Sink: received, `extra` = duplicates (datagram), start = first
 * byte, end = last byte (lossless: session complete).
 */
export interface FlowReport {
  t: 'flow-report';
  flowId: number;
  role: FlowRole;
  state: FlowSideState;
  bytes: number;
  packets: number;
  extra: number;
  startAgoMs: number;
  endAgoMs: number;
  reason: string;
}

/** One flow's weight for weighted round robin between flows. */
export interface FlowWeight {
  src: number;
  dst: number;
  weight: number;
}

/** Controller -> every node: the weights of all flows that are pending or running, replacing the last list. */
export interface FlowWeights {
  t: 'flow-weights';
  list: FlowWeight[];
}

export type ControlMessage = Assigned | FlowStart | FlowStop | FlowReport | FlowWeights | Presence | Undeliverable | PeersUpdate | Challenge | Welcome | Keys | Hello | Reject | Snapshot | LinksUp | TopologyReady | Links | GroupOp | GroupReply | McastTable | GroupDirectory | RoutesUpdate | MetricsReport;

const TYPE = { hello: 1, reject: 2, snapshot: 3, 'links-up': 4, 'topology-ready': 5, links: 6, 'group-op': 7, 'group-reply': 8, mcast: 9, groups: 10, routes: 11, metrics: 12, challenge: 13, welcome: 14, keys: 15, peers: 16, presence: 17, undeliverable: 18, 'flow-start': 19, 'flow-stop': 20, 'flow-report': 21, 'flow-weights': 22, assigned: 23 } as const;
const GROUP_OPS = ['create', 'routes', 'join', 'leave', 'delete'] as const;
const OPERATING_MODES: readonly OperatingMode[] = ['normal', 'max'];
const ERROR_CODE_SHAPE = /^[A-Z][A-Z_]{0,63}$/;
const REJECT_CODES: Reject['code'][] = ['UNKNOWN_NODE', 'DUPLICATE_NODE', 'VERSION_MISMATCH', 'PROTOCOL_MISMATCH', 'MALFORMED', 'UNAUTHORIZED', 'LIMIT', 'NO_FREE_ID'];

const writePeer = (w: Writer, p: PeerAddress) => w.u32(p.nodeId).u8(PROTOCOLS.indexOf(p.protocol)).str(p.host).u16(p.port);
const readPeer = (r: Reader): PeerAddress => ({ nodeId: r.u32(), protocol: r.enumU8(PROTOCOLS, 'link protocol'), host: r.str(), port: r.u16() });
const writeEndpoint = (w: Writer, e: Endpoint) => w.u8(PROTOCOLS.indexOf(e.protocol)).str(e.host).u16(e.port);
const readEndpoint = (r: Reader): Endpoint => ({ protocol: r.enumU8(PROTOCOLS, 'link protocol'), host: r.str(), port: r.u16() });
/** A node speaks each protocol at most once; four protocols exist. */
const MAX_ENDPOINTS = PROTOCOLS.length;
const writeGroup = (w: Writer, g: GroupDirEntry) => w.u32(g.groupId).u32(g.groupIp).u32(g.srcNodeId).str(g.label);
const readGroup = (r: Reader): GroupDirEntry => ({ groupId: r.u32(), groupIp: r.u32(), srcNodeId: r.u32(), label: r.str() });
const writeTree = (w: Writer, t: TreeSpec) => w.u16(t.treeId).u32(t.weight).array(t.edges, (w2, [a, b]) => w2.u32(a).u32(b));
const readTree = (r: Reader): TreeSpec => ({ treeId: r.u16(), weight: r.u32(), edges: r.array((x) => [x.u32(), x.u32()] as [number, number]) });
const writeLink = (w: Writer, l: LinkEntry) => w.u32(l.neighbor).array([...l.params], (w2, v) => w2.f64(v));
const readLink = (r: Reader): LinkEntry => ({ neighbor: r.u32(), params: Float64Array.from(r.array((x) => x.f64())) });

export function encode(m: ControlMessage): Uint8Array {
  const w = frame(TYPE[m.t]);
  switch (m.t) {
    case 'hello':
      w.u32(m.nodeId).array(m.endpoints, writeEndpoint).str(m.relayToken ?? '');
      w.bytes(m.clientNonce).bytes(m.proof).u32(m.idOffset ?? 0);
      break;
    case 'assigned':
      w.u32(m.nodeId);
      break;
    case 'challenge':
      w.bytes(m.nonce).bool(m.authRequired);
      break;
    case 'welcome':
      w.bytes(m.proof).u32(m.maxFrameBytes).u32(m.maxLabelBytes).array(m.endpoints, writeEndpoint);
      break;
    case 'keys':
      w.u32(m.seq).array(m.entries, (w2, e) => w2.u32(e.neighbor).bytes(e.key));
      break;
    case 'peers':
      w.u32(m.generation).array(m.peers, writePeer);
      break;
    case 'presence':
      w.array(m.down, (w2, n) => w2.u32(n)).array(m.up, (w2, n) => w2.u32(n)).u32(m.reporter);
      break;
    case 'undeliverable':
      w.array(m.pairs, (w2, [s, d]) => w2.u32(s).u32(d));
      break;
    case 'reject':
      w.u8(REJECT_CODES.indexOf(m.code)).str(m.message);
      break;
    case 'snapshot':
      w.u32(m.generation).u32(m.userSpaceBase).u8(OPERATING_MODES.indexOf(m.operatingMode)).array(m.peers, writePeer);
      w.array(m.neighbors, (w2, n) => w2.u32(n));
      w.bytes(m.routeTable).bool(m.topologyReady).array(m.links, writeLink);
      w.bytes(m.mcastTable).array(m.groups, writeGroup);
      break;
    case 'group-op':
      w.u32(m.reqId).u8(GROUP_OPS.indexOf(m.op));
      if (m.op === 'create') w.str(m.label);
      else w.u32(m.groupId);
      if (m.op === 'routes') w.array(m.trees, writeTree);
      break;
    case 'group-reply':
      w.u32(m.reqId).str(m.code).str(m.message).bool(m.group !== null);
      if (m.group) writeGroup(w, m.group);
      break;
    case 'mcast':
      w.bytes(m.table);
      break;
    case 'groups':
      w.array(m.groups, writeGroup);
      break;
    case 'links':
      w.array(m.links, writeLink);
      break;
    case 'links-up':
      w.u32(m.generation);
      break;
    case 'routes':
      w.bytes(m.routeTable);
      break;
    case 'metrics':
      w.array(m.samples, (w2, x) => w2.str(x.name).u32(x.neighbor).f64(x.value));
      break;
    case 'topology-ready':
      break;
    case 'flow-start':
      w.u32(m.flowId).u8(FLOW_ROLES.indexOf(m.role)).u32(m.peer).u8(FLOW_TRANSPORTS.indexOf(m.transport)).f64(m.bytes).f64(m.durationMs).f64(m.rate);
      break;
    case 'flow-stop':
      w.u32(m.flowId);
      break;
    case 'flow-report':
      w.u32(m.flowId).u8(FLOW_ROLES.indexOf(m.role)).u8(FLOW_SIDE_STATES.indexOf(m.state)).f64(m.bytes).f64(m.packets).f64(m.extra).f64(m.startAgoMs).f64(m.endAgoMs).str(m.reason);
      break;
    case 'flow-weights':
      w.array(m.list, (w2, f) => w2.u32(f.src).u32(f.dst).u32(f.weight));
      break;
  }
  return w.finish();
}

/** Decodes one message; throws MALFORMED_PACKET, or CONTROLLER_REJECTED-style version errors. */
export function decode(bytes: Uint8Array): ControlMessage {
  const { version, type, body: r } = openFrame(bytes);
  if (version !== CONTROL_VERSION) {
    throw new NextminiError('MALFORMED_PACKET', `control protocol version ${version} is not supported (this side speaks ${CONTROL_VERSION})`);
  }
  let m: ControlMessage;
  switch (type) {
    case TYPE.hello: {
      const nodeId = r.u32();
      const endpoints = r.array(readEndpoint, MAX_ENDPOINTS);
      if (new Set(endpoints.map((e) => e.protocol)).size !== endpoints.length) throw new NextminiError('MALFORMED_PACKET', 'hello lists a protocol twice');
      const relayToken = r.str();
      const clientNonce = r.bytes();
      const proof = r.bytes();
      const idOffset = r.u32();
      m = { t: 'hello', nodeId, endpoints, ...(relayToken ? { relayToken } : {}), clientNonce, proof, ...(idOffset ? { idOffset } : {}) };
      break;
    }
    case TYPE.assigned:
      m = { t: 'assigned', nodeId: r.u32() };
      break;
    case TYPE.challenge:
      m = { t: 'challenge', nonce: r.bytes(), authRequired: r.bool() };
      break;
    case TYPE.welcome:
      m = { t: 'welcome', proof: r.bytes(), maxFrameBytes: r.u32(), maxLabelBytes: r.u32(), endpoints: r.array(readEndpoint, MAX_ENDPOINTS) };
      break;
    case TYPE.peers:
      m = { t: 'peers', generation: r.u32(), peers: r.array(readPeer) };
      break;
    case TYPE.presence:
      m = { t: 'presence', down: r.array((x) => x.u32()), up: r.array((x) => x.u32()), reporter: r.u32() };
      break;
    case TYPE.undeliverable:
      m = { t: 'undeliverable', pairs: r.array((x) => [x.u32(), x.u32()] as [number, number], MAX_UNDELIVERABLE_PAIRS) };
      break;
    case TYPE.keys:
      m = { t: 'keys', seq: r.u32(), entries: r.array((x) => ({ neighbor: x.u32(), key: x.bytes() })) };
      break;
    case TYPE.reject: {
      const code = r.enumU8(REJECT_CODES, 'reject code');
      m = { t: 'reject', code, message: r.str() };
      break;
    }
    case TYPE.snapshot:
      m = {
        t: 'snapshot',
        generation: r.u32(),
        userSpaceBase: r.u32(),
        operatingMode: r.enumU8(OPERATING_MODES, 'operating mode'),
        peers: r.array(readPeer),
        neighbors: r.array((x) => x.u32()),
        routeTable: r.bytes(),
        topologyReady: r.bool(),
        links: r.array(readLink),
        mcastTable: r.bytes(),
        groups: r.array(readGroup),
      };
      break;
    case TYPE['group-op']: {
      const reqId = r.u32();
      const op = r.enumU8(GROUP_OPS, 'group operation');
      if (op === 'create') m = { t: 'group-op', reqId, op, label: r.str() };
      else if (op === 'routes') m = { t: 'group-op', reqId, op, groupId: r.u32(), trees: r.array(readTree) };
      else m = { t: 'group-op', reqId, op, groupId: r.u32() };
      break;
    }
    case TYPE['group-reply']: {
      const reqId = r.u32();
      const code = r.str();
      // Empty (success) or an error code's shape; the node turns it into a NextminiError code.
      if (code !== '' && !ERROR_CODE_SHAPE.test(code)) throw new NextminiError('MALFORMED_PACKET', 'group reply with a malformed error code');
      m = { t: 'group-reply', reqId, code, message: r.str(), group: r.bool() ? readGroup(r) : null };
      break;
    }
    case TYPE.mcast:
      m = { t: 'mcast', table: r.bytes() };
      break;
    case TYPE.groups:
      m = { t: 'groups', groups: r.array(readGroup) };
      break;
    case TYPE.links:
      m = { t: 'links', links: r.array(readLink) };
      break;
    case TYPE['links-up']:
      m = { t: 'links-up', generation: r.u32() };
      break;
    case TYPE['topology-ready']:
      m = { t: 'topology-ready' };
      break;
    case TYPE.routes:
      m = { t: 'routes', routeTable: r.bytes() };
      break;
    case TYPE.metrics:
      m = { t: 'metrics', samples: r.array((x) => ({ name: x.str(), neighbor: x.u32(), value: x.f64() }), MAX_METRIC_SAMPLES) };
      break;
    case TYPE['flow-start']:
      m = { t: 'flow-start', flowId: r.u32(), role: r.enumU8(FLOW_ROLES, 'flow role'), peer: r.u32(), transport: r.enumU8(FLOW_TRANSPORTS, 'flow transport'), bytes: r.f64(), durationMs: r.f64(), rate: r.f64() };
      break;
    case TYPE['flow-stop']:
      m = { t: 'flow-stop', flowId: r.u32() };
      break;
    case TYPE['flow-report']:
      m = {
        t: 'flow-report',
        flowId: r.u32(),
        role: r.enumU8(FLOW_ROLES, 'flow role'),
        state: r.enumU8(FLOW_SIDE_STATES, 'flow state'),
        bytes: r.f64(),
        packets: r.f64(),
        extra: r.f64(),
        startAgoMs: r.f64(),
        endAgoMs: r.f64(),
        reason: r.str(),
      };
      break;
    case TYPE['flow-weights']:
      m = { t: 'flow-weights', list: r.array((x) => ({ src: x.u32(), dst: x.u32(), weight: x.u32() })) };
      break;
    default:
      throw new NextminiError('MALFORMED_PACKET', `unknown control message type ${type}`);
  }
  r.end();
  return m;
}

/** Peeks at a frame's protocol version without decoding the body. */
export function frameVersion(bytes: Uint8Array): number | null {
  try {
    return openFrame(bytes).version;
  } catch {
    return null;
  }
}
