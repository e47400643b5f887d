/// <reference lib="esnext.disposable" preserve="true" />
// (Dataplane, Controller and the wasm classes implement Symbol.asyncDispose / Symbol.dispose;
// the reference makes that type-check for consumers whose own lib setting lacks it.)
// Entry for Node, Deno and Bun: the core loads synchronously at import.
import './core/load-node.js';
import './node/host-node.js';

export * from './common.js';
export { Dataplane, type OpenOptions, type SendToNodeArgs, type ReceiverFromNodeArgs, type NetworkInfo, type DataplaneStats, type DropCounts, type SendToGroupArgs, type ReceiverForGroupArgs } from './node/dataplane.js';
export { PacketReceiver, type PayloadDelivery, type RecvOptions } from './node/receiver.js';
export type { WaitOptions } from './node/waiters.js';
export type { GroupInfo, TreeRoutes, TreeTuple } from './node/groups.js';
export type { SendDataArgs, ReceiveDataArgs, CongestionMode, SessionOutcome, SessionProgress, ProgressEvent, SessionCounts, ReceiverProgress, ReceiverStatus } from './node/sessions.js';
export type { LosslessRuntimeConfig } from './config/node-config.js';
export type { NodeConfig } from './config/node-config.js';
export { Controller, type ControllerStatus, type SetLinkArgs } from './controller/controller.js';
export { startController, type StartControllerOptions } from './controller/start.js';
export type { DbConfig } from './config/db-config.js';
export { connectController, type ControllerClient, type ConnectControllerOptions } from './controller/admin-client.js';
export type { ControllerApi, SetRoutesArgs, ClearRoutesArgs, MetricRow, MetricsQuery, MetricsResult, FlowResult, FlowState, StartFlowArgs } from './controller/api.js';
export type { LinkCounters } from './node/engine.js';
export { NextminiStream, type StreamStats } from './node/stream.js';
export type { StreamRuntimeConfig } from './config/stream-config.js';
export { StreamListener, type ConnectArgs, type ListenArgs } from './node/streams.js';
export { forward, expose, type ForwardArgs, type ExposeArgs, type Forwarder, type Exposer, type SpliceStats, type HostPort } from './node/forward.js';
export type { FlowStats } from './node/transport.js';
export type { LinkParamsConfig, LinkParamsInput } from './config/link-config.js';
export type { ControllerConfig, TopologyConfig } from './config/controller-config.js';
export { setLogLevel, type LogLevel } from './log.js';
export { Network, type StartNetworkOptions } from './network.js';
export { startNetwork } from './network-node.js';

/** Present for symmetry with the browser entry: resolves at once, the core is already loaded. */
export function init(): Promise<void> {
  return Promise.resolve();
}
