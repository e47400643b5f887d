/* tslint:disable */
/* eslint-disable */

export class WasmGroups {
    free(): void;
    [Symbol.dispose](): void;
    /**
     * Creates a group with `source` as its source: `[group_id, group_ip]`.
     */
    create(source: number): Uint32Array;
    /**
     * Deletes the group (only its source may) and frees its id. Returns the nodes whose
     * tables changed.
     */
    delete(caller: number, group: number): Uint32Array;
    /**
     * Every group as `[group_id, group_ip, source]` triples.
     */
    directory(): Uint32Array;
    join(group: number, node: number): Uint32Array;
    leave(group: number, node: number): Uint32Array;
    /**
     * Group state over `topo`'s topology, with group addresses from `pool_base`/`pool_mask`.
     */
    constructor(topo: WasmTopology, pool_base: number, pool_mask: number);
    /**
     * Group ids (and addresses) still available in the pool.
     */
    remaining(): number;
    /**
     * Reinstates a stored group (after a controller restart) with its own id and address;
     * `trees` is encoded as for `setRoutes`, and may be empty for a group without routes.
     * Returns the nodes whose tables changed.
     */
    restore(group_id: number, group_ip: number, source: number, members: Uint32Array | number[], trees: Uint32Array | number[]): Uint32Array;
    /**
     * Replaces the group's trees, given as repeated `{ tree_id, weight, edge_count,
     * edge_count × (parent, child) }`. Returns the nodes whose tables changed.
     */
    setRoutes(caller: number, group: number, trees: Uint32Array | number[]): Uint32Array;
    /**
     * The encoded multicast table of `node`.
     */
    tableFor(node: number): Uint8Array;
}

export class WasmNode {
    free(): void;
    [Symbol.dispose](): void;
    cancelSession(now_ms: number, id: number): void;
    /**
     * Removes the emulation towards `neighbor`; its queued packets leave at once.
     */
    clearLink(now_ms: number, neighbor: number): void;
    /**
     * Entries this node holds for `group` (one per tree).
     */
    groupRouteCount(group: number): number;
    /**
     * Feeds a batch of datagrams received from links, each with its link-level sender (see
     * `batch` for the format).
     */
    handleDatagrams(now_ms: number, batch: Uint8Array | number[]): void;
    handleTimeout(now_ms: number): void;
    /**
     * Installs this node's multicast table, encoded by the controller's core.
     */
    installMulticast(encoded: Uint8Array | number[]): void;
    /**
     * Installs a route table encoded by the controller's core.
     */
    installRoutes(encoded: Uint8Array | number[]): void;
    /**
     * True when local delivery of `group` is installed here.
     */
    isLocalMember(group: number): boolean;
    /**
     * Per-link counters, 10 values per emulated link: neighbor, bytes_sent, packets_sent,
     * drops_loss, drops_queue, queue_depth, in_flight, measured_rate (bytes/s), drops_red,
     * flow_overflow.
     */
    linkStats(): Float64Array;
    constructor(node_id: number, mtu: number, max_payload_bytes: number, queue_capacity: number, max_mode: boolean, reassembly_timeout_ms: number, lossless: Float64Array | number[]);
    /**
     * Starts a lossless receive of exactly `expected_bytes` from `source`.
     */
    openReceiver(now_ms: number, source: number, group: boolean, dst: number, expected_bytes: number, chunk_size: number, src_port: number, dst_port: number): number;
    /**
     * Starts a lossless send to a group (`group`) or one node; returns the session id.
     * `chunk_size` 0 = the configured default. `session_id` is the wire session id, drawn by
     * the host from its CSPRNG (non-zero; INVALID_ARGUMENT if a sender here already uses it).
     * `congestion`: 0 rate, 1 loss, 2 off (see `lossless::Congestion`).
     */
    openSender(now_ms: number, session_id: number, group: boolean, dst: number, receivers: Uint32Array | number[], data: Uint8Array | number[], chunk_size: number, src_port: number, dst_port: number, congestion: number): number;
    /**
     * Everything the host must do after a call, in one crossing: `{ f64 deadline_ms (-1 =
     * none), u32 transmit_bytes, transmits, events }` (formats at `write_transmits` and
     * `write_events`).
     */
    pollAll(): Uint8Array;
    /**
     * Sends one message to a group along its tree (`tree` < 0: chosen per flow).
     */
    sendGroup(now_ms: number, group: number, tree: number, src_port: number, dst_port: number, payload: Uint8Array | number[]): number;
    /**
     * Sends one message; returns its message id.
     */
    send(now_ms: number, dst_node: number, src_port: number, dst_port: number, payload: Uint8Array | number[]): number;
    /**
     * A sender session's `[congestion code, pacing rate in bytes/s (-1 = unpaced), chunk
     * size, symbols per block, fec (0/1)]` (the last three from its manifest); empty for a
     * receiver session. UNKNOWN_SESSION for an id this node never issued.
     */
    senderSetup(id: number): Float64Array;
    /**
     * How the session ended ("" while it runs); see `outcome_string`.
     */
    sessionOutcome(id: number): string;
    /**
     * `[bytes_total, bytes_done, receivers_done, retransmitted, repair_symbols, data_frames,
     * bytes_sent]`,
     * then for a sender three numbers per listed receiver: node id, bytes done, state (0
     * active, 1 completed, 2 unreachable, 3 checksum_mismatch, 4 size_mismatch, 5 cancelled,
     * 6 timeout).
     */
    sessionProgress(id: number): Float64Array;
    /**
     * Per-hop authentication on or off (CONFIG_INVALID when the MTU leaves no room).
     */
    setAuth(on: boolean): void;
    /**
     * WRR flow weights, as `(src, dst, weight)` triples; weight 1 restores the default.
     * Checked whole before any is applied, so a bad triple changes nothing.
     */
    setFlowWeights(triples: Float64Array | number[]): void;
    /**
     * Link keys, repeated `{ u32 neighbor, 32 bytes key }`; each makes that neighbour's key
     * before it the previous one.
     */
    setLinkKeys(entries: Uint8Array | number[]): void;
    /**
     * Installs or changes the emulation of the link towards `neighbor` (see `link.rs` for
     * the parameter layout). Queued packets are kept.
     */
    setLink(now_ms: number, neighbor: number, params: Float64Array | number[]): void;
    setMaxMode(max_mode: boolean): void;
    /**
     * The nodes this node takes any datagram from (topology neighbours; max mode: all peers).
     */
    setNeighbors(ids: Uint32Array | number[]): void;
    /**
     * Nodes whose data addresses the host knows.
     */
    setPeers(peers: Uint32Array | number[]): void;
    /**
     * Names for `stats()`; drop reasons are prefixed `drop.`.
     */
    static statNames(): string[];
    /**
     * Counter values in the order of `statNames()`.
     */
    stats(): Float64Array;
    /**
     * Drops the connection and resets the peer's.
     */
    streamAbort(now_ms: number, conn: number): void;
    /**
     * Half-close: a FIN follows the buffered data.
     */
    streamClose(now_ms: number, conn: number): void;
    /**
     * The node config's `[stream]` table, flat: send_buffer, recv_window, keepalive_ms,
     * idle_timeout_ms, max_connections, backlog, congestion (0 model, 1 NewReno) (negative =
     * default). CONFIG_INVALID names a
     * bad combination (e.g. a keepalive not below the idle timeout).
     */
    streamConfigure(v: Float64Array | number[]): void;
    /**
     * Opens a connection (`src_port` 0: an ephemeral port); returns its id. `Connected` or
     * an error event follows.
     */
    streamConnect(now_ms: number, dst_node: number, dst_port: number, src_port: number): number;
    /**
     * `[connections, malformed, rst_sent, refused_full, stray_rst, mss]`.
     */
    streamEndpointStats(): Float64Array;
    /**
     * `[remote_node, remote_port, local_port, listener (0: opened here)]`.
     */
    streamInfo(conn: number): Float64Array;
    streamListen(port_no: number): void;
    /**
     * Up to `max` bytes. An empty result means "nothing yet" (wait for `Readable`);
     * `undefined` means the end of the stream. Reading opens the receive window, so the
     * frames that announce it go out here.
     */
    streamRead(now_ms: number, conn: number, max: number): Uint8Array | undefined;
    /**
     * Seeds initial sequence numbers from the host's CSPRNG (the node seeds from its id).
     */
    streamReseed(hi: number, lo: number): void;
    /**
     * Whether stream frames to `dst` have a route from here.
     */
    streamRouteKnown(dst: number): boolean;
    /**
     * `[rtt_us (-1: not measured yet), cwnd_bytes, bytes_sent, bytes_received, retransmits,
     * bytes_in_flight, timeouts]`.
     */
    streamStats(conn: number): Float64Array;
    /**
     * False when nothing listened there.
     */
    streamUnlisten(now_ms: number, port_no: number): boolean;
    /**
     * Buffers what fits; returns the bytes taken (fewer than given: wait for `Writable`).
     */
    streamWrite(now_ms: number, conn: number, data: Uint8Array | number[]): number;
    /**
     * A completed receiver's bytes (moved out: a second call fails).
     */
    takeSessionData(id: number): Uint8Array;
}

export class WasmTopology {
    private constructor();
    free(): void;
    [Symbol.dispose](): void;
    /**
     * Builds a topology. `kind` is one of full_mesh (a = n_nodes), ring (a = n_nodes),
     * torus (a = dim, b = n), fat_tree (a = k), custom (a = n_nodes, `edges` as flat pairs).
     * Route tables are computed per node, on demand (`routeTable`).
     */
    static build(kind: string, a: number, b: number, edges: Uint32Array | number[]): WasmTopology;
    /**
     * Recomputes every node's routes: shortest paths, overridden by explicit routes given as
     * repeated `{ tag, count, values… }` with tag 1 = path (count node ids) or 2 = DAG
     * (count edges, as pairs).
     */
    computeRoutes(explicit: Uint32Array | number[]): void;
    /**
     * Undirected edges as flat pairs.
     */
    edges(): Uint32Array;
    neighbors(node: number): Uint32Array;
    nodeIds(): Uint32Array;
    /**
     * The encoded route table of `node` (empty when it has no routes).
     */
    routeTable(node: number): Uint8Array;
    /**
     * Whether route tables include shortest paths (the default) or only explicit routes.
     */
    setShortestPaths(on: boolean): void;
}

/**
 * A decoded dataplane header, as plain fields for JS.
 */
export class WireHeader {
    free(): void;
    [Symbol.dispose](): void;
    /**
     * An all-zero header for JS to fill in field by field.
     */
    constructor();
    dstPort: number;
    dst: number;
    fragCount: number;
    fragIndex: number;
    hopLimit: number;
    kind: number;
    messageId: number;
    payloadLen: number;
    sessionId: number;
    srcNode: number;
    srcPort: number;
    totalLen: number;
    treeId: number;
}

export function benchHeader(iterations: number): number;

export function benchRaptorqDecode(symbols: Uint8Array | number[], esis: Uint32Array | number[], k: number, symbol_size: number, iterations: number): number;

/**
 * Encoder construction (with a pre-built plan, made outside the loop) plus `repair`
 * repair symbols, `iterations` times; the block crosses the boundary once.
 */
export function benchRaptorqEncode(block: Uint8Array | number[], symbol_size: number, repair: number, iterations: number): number;

/**
 * Returns `[checksum, fragments per message]`.
 */
export function benchReassembly(message_bytes: number, mtu: number, messages: number): Uint32Array;

export function benchRoute(destinations: number, ecmp: number, iterations: number): number;

/**
 * Decodes and validates a datagram's header.
 */
export function decodeHeader(datagram: Uint8Array | number[]): WireHeader;

/**
 * Encodes a datagram (header + payload); `payload_len` and, for a single fragment,
 * `total_len` are taken from the payload. Fails on an unknown kind.
 */
export function encodeDatagram(h: WireHeader, payload: Uint8Array | number[]): Uint8Array;

/**
 * Repair symbols of a block, concatenated (to build decode inputs, or to measure the cost
 * of handing repair symbols to JS).
 */
export function raptorqRepairSymbols(block: Uint8Array | number[], symbol_size: number, first: number, count: number): Uint8Array;

/**
 * Validates a parameter set with the core's rules; the error names the offending key.
 */
export function validateLinkParams(params: Float64Array | number[]): void;

/**
 * Size of the dataplane header in bytes.
 */
export function wireHeaderLen(): number;

/**
 * Wire protocol version this core speaks.
 */
export function wireVersion(): number;

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

export interface InitOutput {
    readonly memory: WebAssembly.Memory;
    readonly __wbg_get_wireheader_dst: (a: number) => number;
    readonly __wbg_get_wireheader_dstPort: (a: number) => number;
    readonly __wbg_get_wireheader_fragCount: (a: number) => number;
    readonly __wbg_get_wireheader_fragIndex: (a: number) => number;
    readonly __wbg_get_wireheader_hopLimit: (a: number) => number;
    readonly __wbg_get_wireheader_kind: (a: number) => number;
    readonly __wbg_get_wireheader_messageId: (a: number) => number;
    readonly __wbg_get_wireheader_payloadLen: (a: number) => number;
    readonly __wbg_get_wireheader_sessionId: (a: number) => number;
    readonly __wbg_get_wireheader_srcNode: (a: number) => number;
    readonly __wbg_get_wireheader_srcPort: (a: number) => number;
    readonly __wbg_get_wireheader_totalLen: (a: number) => number;
    readonly __wbg_get_wireheader_treeId: (a: number) => number;
    readonly __wbg_set_wireheader_dst: (a: number, b: number) => void;
    readonly __wbg_set_wireheader_dstPort: (a: number, b: number) => void;
    readonly __wbg_set_wireheader_fragCount: (a: number, b: number) => void;
    readonly __wbg_set_wireheader_fragIndex: (a: number, b: number) => void;
    readonly __wbg_set_wireheader_hopLimit: (a: number, b: number) => void;
    readonly __wbg_set_wireheader_kind: (a: number, b: number) => void;
    readonly __wbg_set_wireheader_messageId: (a: number, b: number) => void;
    readonly __wbg_set_wireheader_payloadLen: (a: number, b: number) => void;
    readonly __wbg_set_wireheader_sessionId: (a: number, b: number) => void;
    readonly __wbg_set_wireheader_srcNode: (a: number, b: number) => void;
    readonly __wbg_set_wireheader_srcPort: (a: number, b: number) => void;
    readonly __wbg_set_wireheader_totalLen: (a: number, b: number) => void;
    readonly __wbg_set_wireheader_treeId: (a: number, b: number) => void;
    readonly __wbg_wasmgroups_free: (a: number, b: number) => void;
    readonly __wbg_wasmnode_free: (a: number, b: number) => void;
    readonly __wbg_wasmtopology_free: (a: number, b: number) => void;
    readonly __wbg_wireheader_free: (a: number, b: number) => void;
    readonly benchHeader: (a: number) => number;
    readonly benchRaptorqDecode: (a: number, b: number, c: number, d: number, e: number, f: number, g: number) => number;
    readonly benchRaptorqEncode: (a: number, b: number, c: number, d: number, e: number) => number;
    readonly benchReassembly: (a: number, b: number, c: number) => [number, number];
    readonly benchRoute: (a: number, b: number, c: number) => number;
    readonly decodeHeader: (a: number, b: number) => [number, number, number];
    readonly encodeDatagram: (a: number, b: number, c: number) => [number, number, number, number];
    readonly raptorqRepairSymbols: (a: number, b: number, c: number, d: number, e: number) => [number, number];
    readonly validateLinkParams: (a: number, b: number) => [number, number];
    readonly wasmgroups_create: (a: number, b: number) => [number, number, number, number];
    readonly wasmgroups_delete: (a: number, b: number, c: number) => [number, number, number, number];
    readonly wasmgroups_directory: (a: number) => [number, number];
    readonly wasmgroups_join: (a: number, b: number, c: number) => [number, number, number, number];
    readonly wasmgroups_leave: (a: number, b: number, c: number) => [number, number, number, number];
    readonly wasmgroups_new: (a: number, b: number, c: number) => [number, number, number];
    readonly wasmgroups_remaining: (a: number) => number;
    readonly wasmgroups_restore: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number) => [number, number, number, number];
    readonly wasmgroups_setRoutes: (a: number, b: number, c: number, d: number, e: number) => [number, number, number, number];
    readonly wasmgroups_tableFor: (a: number, b: number) => [number, number];
    readonly wasmnode_cancelSession: (a: number, b: number, c: number) => [number, number];
    readonly wasmnode_clearLink: (a: number, b: number, c: number) => [number, number];
    readonly wasmnode_groupRouteCount: (a: number, b: number) => number;
    readonly wasmnode_handleDatagrams: (a: number, b: number, c: number, d: number) => [number, number];
    readonly wasmnode_handleTimeout: (a: number, b: number) => void;
    readonly wasmnode_installMulticast: (a: number, b: number, c: number) => [number, number];
    readonly wasmnode_installRoutes: (a: number, b: number, c: number) => [number, number];
    readonly wasmnode_isLocalMember: (a: number, b: number) => number;
    readonly wasmnode_linkStats: (a: number) => [number, number];
    readonly wasmnode_new: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number) => [number, number, number];
    readonly wasmnode_openReceiver: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number) => [number, number, number];
    readonly wasmnode_openSender: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, j: number, k: number, l: number, m: number) => [number, number, number];
    readonly wasmnode_pollAll: (a: number) => [number, number];
    readonly wasmnode_send: (a: number, b: number, c: number, d: number, e: number, f: number, g: number) => [number, number, number];
    readonly wasmnode_sendGroup: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number) => [number, number, number];
    readonly wasmnode_senderSetup: (a: number, b: number) => [number, number, number, number];
    readonly wasmnode_sessionOutcome: (a: number, b: number) => [number, number, number, number];
    readonly wasmnode_sessionProgress: (a: number, b: number) => [number, number, number, number];
    readonly wasmnode_setAuth: (a: number, b: number) => [number, number];
    readonly wasmnode_setFlowWeights: (a: number, b: number, c: number) => [number, number];
    readonly wasmnode_setLink: (a: number, b: number, c: number, d: number, e: number) => [number, number];
    readonly wasmnode_setLinkKeys: (a: number, b: number, c: number) => [number, number];
    readonly wasmnode_setMaxMode: (a: number, b: number) => void;
    readonly wasmnode_setNeighbors: (a: number, b: number, c: number) => void;
    readonly wasmnode_setPeers: (a: number, b: number, c: number) => void;
    readonly wasmnode_statNames: () => [number, number];
    readonly wasmnode_stats: (a: number) => [number, number];
    readonly wasmnode_streamAbort: (a: number, b: number, c: number) => [number, number];
    readonly wasmnode_streamClose: (a: number, b: number, c: number) => [number, number];
    readonly wasmnode_streamConfigure: (a: number, b: number, c: number) => [number, number];
    readonly wasmnode_streamConnect: (a: number, b: number, c: number, d: number, e: number) => [number, number, number];
    readonly wasmnode_streamEndpointStats: (a: number) => [number, number];
    readonly wasmnode_streamInfo: (a: number, b: number) => [number, number, number, number];
    readonly wasmnode_streamListen: (a: number, b: number) => [number, number];
    readonly wasmnode_streamRead: (a: number, b: number, c: number, d: number) => [number, number, number, number];
    readonly wasmnode_streamReseed: (a: number, b: number, c: number) => void;
    readonly wasmnode_streamRouteKnown: (a: number, b: number) => number;
    readonly wasmnode_streamStats: (a: number, b: number) => [number, number, number, number];
    readonly wasmnode_streamUnlisten: (a: number, b: number, c: number) => number;
    readonly wasmnode_streamWrite: (a: number, b: number, c: number, d: number, e: number) => [number, number, number];
    readonly wasmnode_takeSessionData: (a: number, b: number) => [number, number, number, number];
    readonly wasmtopology_build: (a: number, b: number, c: number, d: number, e: number, f: number) => [number, number, number];
    readonly wasmtopology_computeRoutes: (a: number, b: number, c: number) => [number, number];
    readonly wasmtopology_edges: (a: number) => [number, number];
    readonly wasmtopology_neighbors: (a: number, b: number) => [number, number];
    readonly wasmtopology_nodeIds: (a: number) => [number, number];
    readonly wasmtopology_routeTable: (a: number, b: number) => [number, number];
    readonly wasmtopology_setShortestPaths: (a: number, b: number) => void;
    readonly wireHeaderLen: () => number;
    readonly wireVersion: () => number;
    readonly wireheader_new: () => number;
    readonly __wbindgen_externrefs: WebAssembly.Table;
    readonly __wbindgen_malloc: (a: number, b: number) => number;
    readonly __wbindgen_free: (a: number, b: number, c: number) => void;
    readonly __externref_table_dealloc: (a: number) => void;
    readonly __externref_drop_slice: (a: number, b: number) => void;
    readonly __wbindgen_realloc: (a: number, b: number, c: number, d: number) => number;
    readonly __wbindgen_start: () => void;
}

export type SyncInitInput = BufferSource | WebAssembly.Module;

/**
 * Instantiates the given `module`, which can either be bytes or
 * a precompiled `WebAssembly.Module`.
 *
 * @param {{ module: SyncInitInput }} module - Passing `SyncInitInput` directly is deprecated.
 *
 * @returns {InitOutput}
 */
export function initSync(module: { module: SyncInitInput } | SyncInitInput): InitOutput;

/**
 * If `module_or_path` is {RequestInfo} or {URL}, makes a request and
 * for everything else, calls `WebAssembly.instantiate` directly.
 *
 * @param {{ module_or_path: InitInput | Promise<InitInput> }} module_or_path - Passing `InitInput` directly is deprecated.
 *
 * @returns {Promise<InitOutput>}
 */
export default function __wbg_init (module_or_path?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>): Promise<InitOutput>;
