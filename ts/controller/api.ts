// The controller's operations as one interface, served in-process by Controller and across
// processes by ControllerClient (admin-client.ts) through the admin endpoint (admin.ts).
import type { LinkParamsConfig, LinkParamsInput } from '../config/link-config.js';
import type { MetricRow, MetricsQuery, RouteSpec, StoreKind } from './store/store.js';
import type { FlowResult, FlowState, StartFlowArgs } from './flow-book.js';

export type { MetricRow, MetricsQuery, RouteSpec, StoreKind, FlowResult, FlowState, StartFlowArgs };

/** metrics(): the stored samples, oldest first, and every traffic flow with its results as `flows`. */
export type MetricsResult = MetricRow[] & { flows: FlowResult[] };

export interface SetLinkArgs extends LinkParamsInput {
  srcNodeId: number;
  dstNodeId: number;
  /** Apply to both directions. Default false. */
  bidirectional?: boolean;
  /** Start from no shaping instead of the link's current settings. Default false. */
  replace?: boolean;
}

export interface SetRoutesArgs {
  srcNodeId: number;
  dstNodeId: number;
  /** A path `[1, 2, 3]` from src to dst, or DAG edges `[[1, 2], [2, 3]]`, as in `[[routes]]`. */
  route: RouteSpec;
}

export interface ClearRoutesArgs {
  srcNodeId: number;
  dstNodeId: number;
}

/** What the relay did: frames forwarded between relay nodes and frames dropped, by reason. */
export interface RelayStatus {
  /** Relay nodes with a bound relay connection. */
  bound: number[];
  framesForwarded: number;
  bytesForwarded: number;
  /** A frame for a node that has no relay connection (unknown, gone, or not a relay node). */
  dropsUnknownNode: number;
  /** A frame for a node whose relay connection had more than 8 MiB queued. */
  dropsBackpressure: number;
  /** A frame shorter than its u32 node id. */
  dropsMalformed: number;
  /** Relay connections refused: no such relay node, wrong token, or no token in time. */
  bindsRejected: number;
  /**
   * The UDP bridge between UDP nodes and relay-only nodes: relay nodes with a UDP face, and
   * datagrams passed each way (frames the bridge passes count in framesForwarded too).
   */
  bridge: { faces: { nodeId: number; port: number }[]; toRelay: number; toUdp: number; dropsUnknownSource: number; sendErrors: number };
}

export interface ControllerStatus {
  expected: number[];
  connected: number[];
  topologyReady: boolean;
  relay: RelayStatus;
  /** Where the controller keeps its state. */
  store: StoreKind;
  /** The store's directory, or its URL with the password hidden; 'memory' for none. */
  storeLocation: string;
  /** Groups that exist. */
  groups: number;
  /** Run-time routes in force, as (src, dst) pairs. */
  routes: { srcNodeId: number; dstNodeId: number }[];
  /** Metric reports dropped: sent too often by a node, or while the store lagged behind. */
  metricsDropped: number;
  /** Nodes must prove a secret (auth_token or per-node tokens); their datagrams carry MACs. */
  authRequired: boolean;
  /** The controller serves wss:// (`tls` in its config). */
  tls: boolean;
  /** Connections refused before they authenticated: a wrong proof, an unvouched data address, too many bytes or too many pending from one address. */
  refusedConnections: number;
}

/** Everything an admin may do to a running controller, in-process or from another process. */
export interface ControllerApi {
  /** Changes a link's emulation; resolves once stored and pushed to the sending node. */
  setLink(args: SetLinkArgs): Promise<void>;
  /** The emulation configured for the link from `srcNodeId` to `dstNodeId` (empty = none). */
  getLink(srcNodeId: number, dstNodeId: number): LinkParamsConfig | Promise<LinkParamsConfig>;
  /** Installs a run-time route; resolves once stored and pushed to the nodes it changes. */
  setRoutes(args: SetRoutesArgs): Promise<void>;
  /** Drops the run-time route for (src, dst): back to `[[routes]]` or shortest paths. */
  clearRoutes(args: ClearRoutesArgs): Promise<void>;
  status(): ControllerStatus | Promise<ControllerStatus>;
  /** Stored metric samples, oldest first, with every traffic flow as `flows`. */
  metrics(query?: MetricsQuery): Promise<MetricsResult>;
  /** Every traffic flow with its state and results. */
  flows(): FlowResult[] | Promise<FlowResult[]>;
  /** Starts a traffic flow; resolves with its id. */
  startFlow(spec: StartFlowArgs): Promise<number>;
  /** Stops a traffic flow (UNKNOWN_FLOW for an id that was never issued). */
  stopFlow(flowId: number): Promise<void>;
}
