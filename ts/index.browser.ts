/// <reference lib="esnext.disposable" preserve="true" />
// (Dataplane and the wasm classes implement Symbol.asyncDispose / Symbol.dispose; the
// reference makes that type-check for consumers whose own lib setting lacks it.)
// Entry for browsers and bundlers: call `await init()` before using the core. Nodes here use
// the relay transport (datagrams over a WebSocket through the controller) or, in a network
// started in this tab with startNetwork, the memory transport; configs are objects.
import './node/host-browser.js';

export * from './common.js';
export { init, type WasmSource } from './core/load-browser.js';
export { Dataplane, type OpenOptions, type SendToNodeArgs, type ReceiverFromNodeArgs, type NetworkInfo, type DataplaneStats, type DropCounts, type SendToGroupArgs, type ReceiverForGroupArgs } from './node/dataplane.js';
export { PacketReceiver, type PayloadDelivery, type RecvOptions } from './node/receiver.js';
export type { WaitOptions } from './node/waiters.js';
export type { GroupInfo, TreeRoutes, TreeTuple } from './node/groups.js';
export type { SendDataArgs, ReceiveDataArgs, CongestionMode, SessionOutcome, SessionProgress, ProgressEvent, SessionCounts, ReceiverProgress, ReceiverStatus } from './node/sessions.js';
export type { LosslessRuntimeConfig, NodeConfig } from './config/node-config.js';
export type { LinkCounters } from './node/engine.js';
export { NextminiStream, type StreamStats } from './node/stream.js';
export type { StreamRuntimeConfig } from './config/stream-config.js';
export { StreamListener, type ConnectArgs, type ListenArgs } from './node/streams.js';
export type { FlowStats } from './node/transport.js';
export { setLogLevel, type LogLevel } from './log.js';
export { Network, type StartNetworkOptions } from './network.js';
export { startNetwork } from './network-browser.js';
export type { Controller, ControllerStatus, SetLinkArgs } from './controller/controller.js';
export type { ControllerApi, SetRoutesArgs, ClearRoutesArgs, MetricRow, MetricsQuery, MetricsResult, FlowResult, FlowState, StartFlowArgs } from './controller/api.js';
export type { LinkParamsConfig, LinkParamsInput } from './config/link-config.js';
export type { ControllerConfig, TopologyConfig } from './config/controller-config.js';
