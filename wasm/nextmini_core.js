/* @ts-self-types="./nextmini_core.d.ts" */

export class WasmGroups {
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        WasmGroupsFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_wasmgroups_free(ptr, 0);
    }
    /**
     * Creates a group with `source` as its source: `[group_id, group_ip]`.
     * @param {number} source
     * @returns {Uint32Array}
     */
    create(source) {
        const ret = wasm.wasmgroups_create(this.__wbg_ptr, source);
        if (ret[3]) {
            throw takeFromExternrefTable0(ret[2]);
        }
        var v1 = getArrayU32FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 4, 4);
        return v1;
    }
    /**
     * Deletes the group (only its source may) and frees its id. Returns the nodes whose
     * tables changed.
     * @param {number} caller
     * @param {number} group
     * @returns {Uint32Array}
     */
    delete(caller, group) {
        const ret = wasm.wasmgroups_delete(this.__wbg_ptr, caller, group);
        if (ret[3]) {
            throw takeFromExternrefTable0(ret[2]);
        }
        var v1 = getArrayU32FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 4, 4);
        return v1;
    }
    /**
     * Every group as `[group_id, group_ip, source]` triples.
     * @returns {Uint32Array}
     */
    directory() {
        const ret = wasm.wasmgroups_directory(this.__wbg_ptr);
        var v1 = getArrayU32FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 4, 4);
        return v1;
    }
    /**
     * @param {number} group
     * @param {number} node
     * @returns {Uint32Array}
     */
    join(group, node) {
        const ret = wasm.wasmgroups_join(this.__wbg_ptr, group, node);
        if (ret[3]) {
            throw takeFromExternrefTable0(ret[2]);
        }
        var v1 = getArrayU32FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 4, 4);
        return v1;
    }
    /**
     * @param {number} group
     * @param {number} node
     * @returns {Uint32Array}
     */
    leave(group, node) {
        const ret = wasm.wasmgroups_leave(this.__wbg_ptr, group, node);
        if (ret[3]) {
            throw takeFromExternrefTable0(ret[2]);
        }
        var v1 = getArrayU32FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 4, 4);
        return v1;
    }
    /**
     * Group state over `topo`'s topology, with group addresses from `pool_base`/`pool_mask`.
     * @param {WasmTopology} topo
     * @param {number} pool_base
     * @param {number} pool_mask
     */
    constructor(topo, pool_base, pool_mask) {
        _assertClass(topo, WasmTopology);
        const ret = wasm.wasmgroups_new(topo.__wbg_ptr, pool_base, pool_mask);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        this.__wbg_ptr = ret[0];
        WasmGroupsFinalization.register(this, this.__wbg_ptr, this);
        return this;
    }
    /**
     * Group ids (and addresses) still available in the pool.
     * @returns {number}
     */
    remaining() {
        const ret = wasm.wasmgroups_remaining(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * Reinstates a stored group (after a controller restart) with its own id and address;
     * `trees` is encoded as for `setRoutes`, and may be empty for a group without routes.
     * Returns the nodes whose tables changed.
     * @param {number} group_id
     * @param {number} group_ip
     * @param {number} source
     * @param {Uint32Array | number[]} members
     * @param {Uint32Array | number[]} trees
     * @returns {Uint32Array}
     */
    restore(group_id, group_ip, source, members, trees) {
        const val3 = +group_id;
        const val4 = +group_ip;
        const val5 = +source;
        let ptr0, len0, ptr1, len1;
        try {
            ptr0 = passArray32ToWasm0(members, wasm.__wbindgen_malloc);
            len0 = WASM_VECTOR_LEN;
            ptr1 = passArray32ToWasm0(trees, wasm.__wbindgen_malloc);
            len1 = WASM_VECTOR_LEN;
        } catch (e) {
            if (ptr1) { wasm.__wbindgen_free(ptr1, len1 * 4, 4); }
            if (ptr0) { wasm.__wbindgen_free(ptr0, len0 * 4, 4); }
            throw e;
        }
        const ret = wasm.wasmgroups_restore(this.__wbg_ptr, val3, val4, val5, ptr0, len0, ptr1, len1);
        if (ret[3]) {
            throw takeFromExternrefTable0(ret[2]);
        }
        var v6 = getArrayU32FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 4, 4);
        return v6;
    }
    /**
     * Replaces the group's trees, given as repeated `{ tree_id, weight, edge_count,
     * edge_count × (parent, child) }`. Returns the nodes whose tables changed.
     * @param {number} caller
     * @param {number} group
     * @param {Uint32Array | number[]} trees
     * @returns {Uint32Array}
     */
    setRoutes(caller, group, trees) {
        const val2 = +caller;
        const val3 = +group;
        const ptr0 = passArray32ToWasm0(trees, wasm.__wbindgen_malloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.wasmgroups_setRoutes(this.__wbg_ptr, val2, val3, ptr0, len0);
        if (ret[3]) {
            throw takeFromExternrefTable0(ret[2]);
        }
        var v4 = getArrayU32FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 4, 4);
        return v4;
    }
    /**
     * The encoded multicast table of `node`.
     * @param {number} node
     * @returns {Uint8Array}
     */
    tableFor(node) {
        const ret = wasm.wasmgroups_tableFor(this.__wbg_ptr, node);
        var v1 = getArrayU8FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 1, 1);
        return v1;
    }
}
if (Symbol.dispose) WasmGroups.prototype[Symbol.dispose] = WasmGroups.prototype.free;

export class WasmNode {
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        WasmNodeFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_wasmnode_free(ptr, 0);
    }
    /**
     * @param {number} now_ms
     * @param {number} id
     */
    cancelSession(now_ms, id) {
        const ret = wasm.wasmnode_cancelSession(this.__wbg_ptr, now_ms, id);
        if (ret[1]) {
            throw takeFromExternrefTable0(ret[0]);
        }
    }
    /**
     * Removes the emulation towards `neighbor`; its queued packets leave at once.
     * @param {number} now_ms
     * @param {number} neighbor
     */
    clearLink(now_ms, neighbor) {
        const ret = wasm.wasmnode_clearLink(this.__wbg_ptr, now_ms, neighbor);
        if (ret[1]) {
            throw takeFromExternrefTable0(ret[0]);
        }
    }
    /**
     * Entries this node holds for `group` (one per tree).
     * @param {number} group
     * @returns {number}
     */
    groupRouteCount(group) {
        const ret = wasm.wasmnode_groupRouteCount(this.__wbg_ptr, group);
        return ret >>> 0;
    }
    /**
     * Feeds a batch of datagrams received from links, each with its link-level sender (see
     * `batch` for the format).
     * @param {number} now_ms
     * @param {Uint8Array | number[]} batch
     */
    handleDatagrams(now_ms, batch) {
        const val2 = +now_ms;
        const ptr0 = passArray8ToWasm0(batch, wasm.__wbindgen_malloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.wasmnode_handleDatagrams(this.__wbg_ptr, val2, ptr0, len0);
        if (ret[1]) {
            throw takeFromExternrefTable0(ret[0]);
        }
    }
    /**
     * @param {number} now_ms
     */
    handleTimeout(now_ms) {
        wasm.wasmnode_handleTimeout(this.__wbg_ptr, now_ms);
    }
    /**
     * Installs this node's multicast table, encoded by the controller's core.
     * @param {Uint8Array | number[]} encoded
     */
    installMulticast(encoded) {
        const ptr0 = passArray8ToWasm0(encoded, wasm.__wbindgen_malloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.wasmnode_installMulticast(this.__wbg_ptr, ptr0, len0);
        if (ret[1]) {
            throw takeFromExternrefTable0(ret[0]);
        }
    }
    /**
     * Installs a route table encoded by the controller's core.
     * @param {Uint8Array | number[]} encoded
     */
    installRoutes(encoded) {
        const ptr0 = passArray8ToWasm0(encoded, wasm.__wbindgen_malloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.wasmnode_installRoutes(this.__wbg_ptr, ptr0, len0);
        if (ret[1]) {
            throw takeFromExternrefTable0(ret[0]);
        }
    }
    /**
     * True when local delivery of `group` is installed here.
     * @param {number} group
     * @returns {boolean}
     */
    isLocalMember(group) {
        const ret = wasm.wasmnode_isLocalMember(this.__wbg_ptr, group);
        return ret !== 0;
    }
    /**
     * Per-link counters, 10 values per emulated link: neighbor, bytes_sent, packets_sent,
     * drops_loss, drops_queue, queue_depth, in_flight, measured_rate (bytes/s), drops_red,
     * flow_overflow.
     * @returns {Float64Array}
     */
    linkStats() {
        const ret = wasm.wasmnode_linkStats(this.__wbg_ptr);
        var v1 = getArrayF64FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 8, 8);
        return v1;
    }
    /**
     * @param {number} node_id
     * @param {number} mtu
     * @param {number} max_payload_bytes
     * @param {number} queue_capacity
     * @param {boolean} max_mode
     * @param {number} reassembly_timeout_ms
     * @param {Float64Array | number[]} lossless
     */
    constructor(node_id, mtu, max_payload_bytes, queue_capacity, max_mode, reassembly_timeout_ms, lossless) {
        const val2 = +node_id;
        const val3 = +mtu;
        const val4 = +max_payload_bytes;
        const val5 = +queue_capacity;
        const val6 = +max_mode;
        const val7 = +reassembly_timeout_ms;
        const ptr0 = passArrayF64ToWasm0(lossless, wasm.__wbindgen_malloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.wasmnode_new(val2, val3, val4, val5, val6, val7, ptr0, len0);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        this.__wbg_ptr = ret[0];
        WasmNodeFinalization.register(this, this.__wbg_ptr, this);
        return this;
    }
    /**
     * Starts a lossless receive of exactly `expected_bytes` from `source`.
     * @param {number} now_ms
     * @param {number} source
     * @param {boolean} group
     * @param {number} dst
     * @param {number} expected_bytes
     * @param {number} chunk_size
     * @param {number} src_port
     * @param {number} dst_port
     * @returns {number}
     */
    openReceiver(now_ms, source, group, dst, expected_bytes, chunk_size, src_port, dst_port) {
        const ret = wasm.wasmnode_openReceiver(this.__wbg_ptr, now_ms, source, group, dst, expected_bytes, chunk_size, src_port, dst_port);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return ret[0] >>> 0;
    }
    /**
     * Starts a lossless send to a group (`group`) or one node; returns the session id.
     * `chunk_size` 0 = the configured default. `session_id` is the wire session id, drawn by
     * the host from its CSPRNG (non-zero; INVALID_ARGUMENT if a sender here already uses it).
     * `congestion`: 0 rate, 1 loss, 2 off (see `lossless::Congestion`).
     * @param {number} now_ms
     * @param {number} session_id
     * @param {boolean} group
     * @param {number} dst
     * @param {Uint32Array | number[]} receivers
     * @param {Uint8Array | number[]} data
     * @param {number} chunk_size
     * @param {number} src_port
     * @param {number} dst_port
     * @param {number} congestion
     * @returns {number}
     */
    openSender(now_ms, session_id, group, dst, receivers, data, chunk_size, src_port, dst_port, congestion) {
        const val3 = +now_ms;
        const val4 = +session_id;
        const val5 = +group;
        const val6 = +dst;
        const val7 = +chunk_size;
        const val8 = +src_port;
        const val9 = +dst_port;
        const val10 = +congestion;
        let ptr0, len0, ptr1, len1;
        try {
            ptr0 = passArray32ToWasm0(receivers, wasm.__wbindgen_malloc);
            len0 = WASM_VECTOR_LEN;
            ptr1 = passArray8ToWasm0(data, wasm.__wbindgen_malloc);
            len1 = WASM_VECTOR_LEN;
        } catch (e) {
            if (ptr1) { wasm.__wbindgen_free(ptr1, len1 * 1, 1); }
            if (ptr0) { wasm.__wbindgen_free(ptr0, len0 * 4, 4); }
            throw e;
        }
        const ret = wasm.wasmnode_openSender(this.__wbg_ptr, val3, val4, val5, val6, ptr0, len0, ptr1, len1, val7, val8, val9, val10);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return ret[0] >>> 0;
    }
    /**
     * Everything the host must do after a call, in one crossing: `{ f64 deadline_ms (-1 =
     * none), u32 transmit_bytes, transmits, events }` (formats at `write_transmits` and
     * `write_events`).
     * @returns {Uint8Array}
     */
    pollAll() {
        const ret = wasm.wasmnode_pollAll(this.__wbg_ptr);
        var v1 = getArrayU8FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 1, 1);
        return v1;
    }
    /**
     * Sends one message to a group along its tree (`tree` < 0: chosen per flow).
     * @param {number} now_ms
     * @param {number} group
     * @param {number} tree
     * @param {number} src_port
     * @param {number} dst_port
     * @param {Uint8Array | number[]} payload
     * @returns {number}
     */
    sendGroup(now_ms, group, tree, src_port, dst_port, payload) {
        const val2 = +now_ms;
        const val3 = +group;
        const val4 = +tree;
        const val5 = +src_port;
        const val6 = +dst_port;
        const ptr0 = passArray8ToWasm0(payload, wasm.__wbindgen_malloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.wasmnode_sendGroup(this.__wbg_ptr, val2, val3, val4, val5, val6, ptr0, len0);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return ret[0] >>> 0;
    }
    /**
     * Sends one message; returns its message id.
     * @param {number} now_ms
     * @param {number} dst_node
     * @param {number} src_port
     * @param {number} dst_port
     * @param {Uint8Array | number[]} payload
     * @returns {number}
     */
    send(now_ms, dst_node, src_port, dst_port, payload) {
        const val2 = +now_ms;
        const val3 = +dst_node;
        const val4 = +src_port;
        const val5 = +dst_port;
        const ptr0 = passArray8ToWasm0(payload, wasm.__wbindgen_malloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.wasmnode_send(this.__wbg_ptr, val2, val3, val4, val5, ptr0, len0);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return ret[0] >>> 0;
    }
    /**
     * A sender session's `[congestion code, pacing rate in bytes/s (-1 = unpaced), chunk
     * size, symbols per block, fec (0/1)]` (the last three from its manifest); empty for a
     * receiver session. UNKNOWN_SESSION for an id this node never issued.
     * @param {number} id
     * @returns {Float64Array}
     */
    senderSetup(id) {
        const ret = wasm.wasmnode_senderSetup(this.__wbg_ptr, id);
        if (ret[3]) {
            throw takeFromExternrefTable0(ret[2]);
        }
        var v1 = getArrayF64FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 8, 8);
        return v1;
    }
    /**
     * How the session ended ("" while it runs); see `outcome_string`.
     * @param {number} id
     * @returns {string}
     */
    sessionOutcome(id) {
        let deferred2_0;
        let deferred2_1;
        try {
            const ret = wasm.wasmnode_sessionOutcome(this.__wbg_ptr, id);
            var ptr1 = ret[0];
            var len1 = ret[1];
            if (ret[3]) {
                ptr1 = 0; len1 = 0;
                throw takeFromExternrefTable0(ret[2]);
            }
            deferred2_0 = ptr1;
            deferred2_1 = len1;
            return getStringFromWasm0(ptr1, len1);
        } finally {
            wasm.__wbindgen_free(deferred2_0, deferred2_1, 1);
        }
    }
    /**
     * `[bytes_total, bytes_done, receivers_done, retransmitted, repair_symbols, data_frames,
     * bytes_sent]`,
     * then for a sender three numbers per listed receiver: node id, bytes done, state (0
     * active, 1 completed, 2 unreachable, 3 checksum_mismatch, 4 size_mismatch, 5 cancelled,
     * 6 timeout).
     * @param {number} id
     * @returns {Float64Array}
     */
    sessionProgress(id) {
        const ret = wasm.wasmnode_sessionProgress(this.__wbg_ptr, id);
        if (ret[3]) {
            throw takeFromExternrefTable0(ret[2]);
        }
        var v1 = getArrayF64FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 8, 8);
        return v1;
    }
    /**
     * Per-hop authentication on or off (CONFIG_INVALID when the MTU leaves no room).
     * @param {boolean} on
     */
    setAuth(on) {
        const ret = wasm.wasmnode_setAuth(this.__wbg_ptr, on);
        if (ret[1]) {
            throw takeFromExternrefTable0(ret[0]);
        }
    }
    /**
     * WRR flow weights, as `(src, dst, weight)` triples; weight 1 restores the default.
     * Checked whole before any is applied, so a bad triple changes nothing.
     * @param {Float64Array | number[]} triples
     */
    setFlowWeights(triples) {
        const ptr0 = passArrayF64ToWasm0(triples, wasm.__wbindgen_malloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.wasmnode_setFlowWeights(this.__wbg_ptr, ptr0, len0);
        if (ret[1]) {
            throw takeFromExternrefTable0(ret[0]);
        }
    }
    /**
     * Link keys, repeated `{ u32 neighbor, 32 bytes key }`; each makes that neighbour's key
     * before it the previous one.
     * @param {Uint8Array | number[]} entries
     */
    setLinkKeys(entries) {
        const ptr0 = passArray8ToWasm0(entries, wasm.__wbindgen_malloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.wasmnode_setLinkKeys(this.__wbg_ptr, ptr0, len0);
        if (ret[1]) {
            throw takeFromExternrefTable0(ret[0]);
        }
    }
    /**
     * Installs or changes the emulation of the link towards `neighbor` (see `link.rs` for
     * the parameter layout). Queued packets are kept.
     * @param {number} now_ms
     * @param {number} neighbor
     * @param {Float64Array | number[]} params
     */
    setLink(now_ms, neighbor, params) {
        const val2 = +now_ms;
        const val3 = +neighbor;
        const ptr0 = passArrayF64ToWasm0(params, wasm.__wbindgen_malloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.wasmnode_setLink(this.__wbg_ptr, val2, val3, ptr0, len0);
        if (ret[1]) {
            throw takeFromExternrefTable0(ret[0]);
        }
    }
    /**
     * @param {boolean} max_mode
     */
    setMaxMode(max_mode) {
        wasm.wasmnode_setMaxMode(this.__wbg_ptr, max_mode);
    }
    /**
     * The nodes this node takes any datagram from (topology neighbours; max mode: all peers).
     * @param {Uint32Array | number[]} ids
     */
    setNeighbors(ids) {
        const ptr0 = passArray32ToWasm0(ids, wasm.__wbindgen_malloc);
        const len0 = WASM_VECTOR_LEN;
        wasm.wasmnode_setNeighbors(this.__wbg_ptr, ptr0, len0);
    }
    /**
     * Nodes whose data addresses the host knows.
     * @param {Uint32Array | number[]} peers
     */
    setPeers(peers) {
        const ptr0 = passArray32ToWasm0(peers, wasm.__wbindgen_malloc);
        const len0 = WASM_VECTOR_LEN;
        wasm.wasmnode_setPeers(this.__wbg_ptr, ptr0, len0);
    }
    /**
     * Names for `stats()`; drop reasons are prefixed `drop.`.
     * @returns {string[]}
     */
    static statNames() {
        const ret = wasm.wasmnode_statNames();
        var v1 = getArrayJsValueFromWasm0(ret[0], ret[1]);
        wasm.__wbindgen_free(ret[0], ret[1] * 4, 4);
        return v1;
    }
    /**
     * Counter values in the order of `statNames()`.
     * @returns {Float64Array}
     */
    stats() {
        const ret = wasm.wasmnode_stats(this.__wbg_ptr);
        var v1 = getArrayF64FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 8, 8);
        return v1;
    }
    /**
     * Drops the connection and resets the peer's.
     * @param {number} now_ms
     * @param {number} conn
     */
    streamAbort(now_ms, conn) {
        const ret = wasm.wasmnode_streamAbort(this.__wbg_ptr, now_ms, conn);
        if (ret[1]) {
            throw takeFromExternrefTable0(ret[0]);
        }
    }
    /**
     * Half-close: a FIN follows the buffered data.
     * @param {number} now_ms
     * @param {number} conn
     */
    streamClose(now_ms, conn) {
        const ret = wasm.wasmnode_streamClose(this.__wbg_ptr, now_ms, conn);
        if (ret[1]) {
            throw takeFromExternrefTable0(ret[0]);
        }
    }
    /**
     * The node config's `[stream]` table, flat: send_buffer, recv_window, keepalive_ms,
     * idle_timeout_ms, max_connections, backlog, congestion (0 model, 1 NewReno) (negative =
     * default). CONFIG_INVALID names a
     * bad combination (e.g. a keepalive not below the idle timeout).
     * @param {Float64Array | number[]} v
     */
    streamConfigure(v) {
        const ptr0 = passArrayF64ToWasm0(v, wasm.__wbindgen_malloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.wasmnode_streamConfigure(this.__wbg_ptr, ptr0, len0);
        if (ret[1]) {
            throw takeFromExternrefTable0(ret[0]);
        }
    }
    /**
     * Opens a connection (`src_port` 0: an ephemeral port); returns its id. `Connected` or
     * an error event follows.
     * @param {number} now_ms
     * @param {number} dst_node
     * @param {number} dst_port
     * @param {number} src_port
     * @returns {number}
     */
    streamConnect(now_ms, dst_node, dst_port, src_port) {
        const ret = wasm.wasmnode_streamConnect(this.__wbg_ptr, now_ms, dst_node, dst_port, src_port);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return ret[0] >>> 0;
    }
    /**
     * `[connections, malformed, rst_sent, refused_full, stray_rst, mss]`.
     * @returns {Float64Array}
     */
    streamEndpointStats() {
        const ret = wasm.wasmnode_streamEndpointStats(this.__wbg_ptr);
        var v1 = getArrayF64FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 8, 8);
        return v1;
    }
    /**
     * `[remote_node, remote_port, local_port, listener (0: opened here)]`.
     * @param {number} conn
     * @returns {Float64Array}
     */
    streamInfo(conn) {
        const ret = wasm.wasmnode_streamInfo(this.__wbg_ptr, conn);
        if (ret[3]) {
            throw takeFromExternrefTable0(ret[2]);
        }
        var v1 = getArrayF64FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 8, 8);
        return v1;
    }
    /**
     * @param {number} port_no
     */
    streamListen(port_no) {
        const ret = wasm.wasmnode_streamListen(this.__wbg_ptr, port_no);
        if (ret[1]) {
            throw takeFromExternrefTable0(ret[0]);
        }
    }
    /**
     * Up to `max` bytes. An empty result means "nothing yet" (wait for `Readable`);
     * `undefined` means the end of the stream. Reading opens the receive window, so the
     * frames that announce it go out here.
     * @param {number} now_ms
     * @param {number} conn
     * @param {number} max
     * @returns {Uint8Array | undefined}
     */
    streamRead(now_ms, conn, max) {
        const ret = wasm.wasmnode_streamRead(this.__wbg_ptr, now_ms, conn, max);
        if (ret[3]) {
            throw takeFromExternrefTable0(ret[2]);
        }
        let v1;
        if (ret[0] !== 0) {
            v1 = getArrayU8FromWasm0(ret[0], ret[1]).slice();
            wasm.__wbindgen_free(ret[0], ret[1] * 1, 1);
        }
        return v1;
    }
    /**
     * Seeds initial sequence numbers from the host's CSPRNG (the node seeds from its id).
     * @param {number} hi
     * @param {number} lo
     */
    streamReseed(hi, lo) {
        wasm.wasmnode_streamReseed(this.__wbg_ptr, hi, lo);
    }
    /**
     * Whether stream frames to `dst` have a route from here.
     * @param {number} dst
     * @returns {boolean}
     */
    streamRouteKnown(dst) {
        const ret = wasm.wasmnode_streamRouteKnown(this.__wbg_ptr, dst);
        return ret !== 0;
    }
    /**
     * `[rtt_us (-1: not measured yet), cwnd_bytes, bytes_sent, bytes_received, retransmits,
     * bytes_in_flight, timeouts]`.
     * @param {number} conn
     * @returns {Float64Array}
     */
    streamStats(conn) {
        const ret = wasm.wasmnode_streamStats(this.__wbg_ptr, conn);
        if (ret[3]) {
            throw takeFromExternrefTable0(ret[2]);
        }
        var v1 = getArrayF64FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 8, 8);
        return v1;
    }
    /**
     * False when nothing listened there.
     * @param {number} now_ms
     * @param {number} port_no
     * @returns {boolean}
     */
    streamUnlisten(now_ms, port_no) {
        const ret = wasm.wasmnode_streamUnlisten(this.__wbg_ptr, now_ms, port_no);
        return ret !== 0;
    }
    /**
     * Buffers what fits; returns the bytes taken (fewer than given: wait for `Writable`).
     * @param {number} now_ms
     * @param {number} conn
     * @param {Uint8Array | number[]} data
     * @returns {number}
     */
    streamWrite(now_ms, conn, data) {
        const val2 = +now_ms;
        const val3 = +conn;
        const ptr0 = passArray8ToWasm0(data, wasm.__wbindgen_malloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.wasmnode_streamWrite(this.__wbg_ptr, val2, val3, ptr0, len0);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return ret[0] >>> 0;
    }
    /**
     * A completed receiver's bytes (moved out: a second call fails).
     * @param {number} id
     * @returns {Uint8Array}
     */
    takeSessionData(id) {
        const ret = wasm.wasmnode_takeSessionData(this.__wbg_ptr, id);
        if (ret[3]) {
            throw takeFromExternrefTable0(ret[2]);
        }
        var v1 = getArrayU8FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 1, 1);
        return v1;
    }
}
if (Symbol.dispose) WasmNode.prototype[Symbol.dispose] = WasmNode.prototype.free;

export class WasmTopology {
    static __wrap(ptr) {
        const obj = Object.create(WasmTopology.prototype);
        obj.__wbg_ptr = ptr;
        WasmTopologyFinalization.register(obj, obj.__wbg_ptr, obj);
        return obj;
    }
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        WasmTopologyFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_wasmtopology_free(ptr, 0);
    }
    /**
     * Builds a topology. `kind` is one of full_mesh (a = n_nodes), ring (a = n_nodes),
     * torus (a = dim, b = n), fat_tree (a = k), custom (a = n_nodes, `edges` as flat pairs).
     * Route tables are computed per node, on demand (`routeTable`).
     * @param {string} kind
     * @param {number} a
     * @param {number} b
     * @param {Uint32Array | number[]} edges
     * @returns {WasmTopology}
     */
    static build(kind, a, b, edges) {
        const val3 = +a;
        const val4 = +b;
        let ptr0, len0, ptr1, len1;
        try {
            ptr0 = passStringToWasm0(kind, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            len0 = WASM_VECTOR_LEN;
            ptr1 = passArray32ToWasm0(edges, wasm.__wbindgen_malloc);
            len1 = WASM_VECTOR_LEN;
        } catch (e) {
            if (ptr1) { wasm.__wbindgen_free(ptr1, len1 * 4, 4); }
            if (ptr0) { wasm.__wbindgen_free(ptr0, len0 * 1, 1); }
            throw e;
        }
        const ret = wasm.wasmtopology_build(ptr0, len0, val3, val4, ptr1, len1);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return WasmTopology.__wrap(ret[0]);
    }
    /**
     * Recomputes every node's routes: shortest paths, overridden by explicit routes given as
     * repeated `{ tag, count, values… }` with tag 1 = path (count node ids) or 2 = DAG
     * (count edges, as pairs).
     * @param {Uint32Array | number[]} explicit
     */
    computeRoutes(explicit) {
        const ptr0 = passArray32ToWasm0(explicit, wasm.__wbindgen_malloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.wasmtopology_computeRoutes(this.__wbg_ptr, ptr0, len0);
        if (ret[1]) {
            throw takeFromExternrefTable0(ret[0]);
        }
    }
    /**
     * Undirected edges as flat pairs.
     * @returns {Uint32Array}
     */
    edges() {
        const ret = wasm.wasmtopology_edges(this.__wbg_ptr);
        var v1 = getArrayU32FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 4, 4);
        return v1;
    }
    /**
     * @param {number} node
     * @returns {Uint32Array}
     */
    neighbors(node) {
        const ret = wasm.wasmtopology_neighbors(this.__wbg_ptr, node);
        var v1 = getArrayU32FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 4, 4);
        return v1;
    }
    /**
     * @returns {Uint32Array}
     */
    nodeIds() {
        const ret = wasm.wasmtopology_nodeIds(this.__wbg_ptr);
        var v1 = getArrayU32FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 4, 4);
        return v1;
    }
    /**
     * The encoded route table of `node` (empty when it has no routes).
     * @param {number} node
     * @returns {Uint8Array}
     */
    routeTable(node) {
        const ret = wasm.wasmtopology_routeTable(this.__wbg_ptr, node);
        var v1 = getArrayU8FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 1, 1);
        return v1;
    }
    /**
     * Whether route tables include shortest paths (the default) or only explicit routes.
     * @param {boolean} on
     */
    setShortestPaths(on) {
        wasm.wasmtopology_setShortestPaths(this.__wbg_ptr, on);
    }
}
if (Symbol.dispose) WasmTopology.prototype[Symbol.dispose] = WasmTopology.prototype.free;

/**
 * A decoded dataplane header, as plain fields for JS.
 */
export class WireHeader {
    static __wrap(ptr) {
        const obj = Object.create(WireHeader.prototype);
        obj.__wbg_ptr = ptr;
        WireHeaderFinalization.register(obj, obj.__wbg_ptr, obj);
        return obj;
    }
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        WireHeaderFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_wireheader_free(ptr, 0);
    }
    /**
     * @returns {number}
     */
    get dstPort() {
        const ret = wasm.__wbg_get_wireheader_dstPort(this.__wbg_ptr);
        return ret;
    }
    /**
     * @returns {number}
     */
    get dst() {
        const ret = wasm.__wbg_get_wireheader_dst(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * @returns {number}
     */
    get fragCount() {
        const ret = wasm.__wbg_get_wireheader_fragCount(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * @returns {number}
     */
    get fragIndex() {
        const ret = wasm.__wbg_get_wireheader_fragIndex(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * @returns {number}
     */
    get hopLimit() {
        const ret = wasm.__wbg_get_wireheader_hopLimit(this.__wbg_ptr);
        return ret;
    }
    /**
     * @returns {number}
     */
    get kind() {
        const ret = wasm.__wbg_get_wireheader_kind(this.__wbg_ptr);
        return ret;
    }
    /**
     * @returns {number}
     */
    get messageId() {
        const ret = wasm.__wbg_get_wireheader_messageId(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * @returns {number}
     */
    get payloadLen() {
        const ret = wasm.__wbg_get_wireheader_payloadLen(this.__wbg_ptr);
        return ret;
    }
    /**
     * @returns {number}
     */
    get sessionId() {
        const ret = wasm.__wbg_get_wireheader_sessionId(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * @returns {number}
     */
    get srcNode() {
        const ret = wasm.__wbg_get_wireheader_srcNode(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * @returns {number}
     */
    get srcPort() {
        const ret = wasm.__wbg_get_wireheader_srcPort(this.__wbg_ptr);
        return ret;
    }
    /**
     * @returns {number}
     */
    get totalLen() {
        const ret = wasm.__wbg_get_wireheader_totalLen(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * @returns {number}
     */
    get treeId() {
        const ret = wasm.__wbg_get_wireheader_treeId(this.__wbg_ptr);
        return ret;
    }
    /**
     * @param {number} arg0
     */
    set dstPort(arg0) {
        wasm.__wbg_set_wireheader_dstPort(this.__wbg_ptr, arg0);
    }
    /**
     * @param {number} arg0
     */
    set dst(arg0) {
        wasm.__wbg_set_wireheader_dst(this.__wbg_ptr, arg0);
    }
    /**
     * @param {number} arg0
     */
    set fragCount(arg0) {
        wasm.__wbg_set_wireheader_fragCount(this.__wbg_ptr, arg0);
    }
    /**
     * @param {number} arg0
     */
    set fragIndex(arg0) {
        wasm.__wbg_set_wireheader_fragIndex(this.__wbg_ptr, arg0);
    }
    /**
     * @param {number} arg0
     */
    set hopLimit(arg0) {
        wasm.__wbg_set_wireheader_hopLimit(this.__wbg_ptr, arg0);
    }
    /**
     * @param {number} arg0
     */
    set kind(arg0) {
        wasm.__wbg_set_wireheader_kind(this.__wbg_ptr, arg0);
    }
    /**
     * @param {number} arg0
     */
    set messageId(arg0) {
        wasm.__wbg_set_wireheader_messageId(this.__wbg_ptr, arg0);
    }
    /**
     * @param {number} arg0
     */
    set payloadLen(arg0) {
        wasm.__wbg_set_wireheader_payloadLen(this.__wbg_ptr, arg0);
    }
    /**
     * @param {number} arg0
     */
    set sessionId(arg0) {
        wasm.__wbg_set_wireheader_sessionId(this.__wbg_ptr, arg0);
    }
    /**
     * @param {number} arg0
     */
    set srcNode(arg0) {
        wasm.__wbg_set_wireheader_srcNode(this.__wbg_ptr, arg0);
    }
    /**
     * @param {number} arg0
     */
    set srcPort(arg0) {
        wasm.__wbg_set_wireheader_srcPort(this.__wbg_ptr, arg0);
    }
    /**
     * @param {number} arg0
     */
    set totalLen(arg0) {
        wasm.__wbg_set_wireheader_totalLen(this.__wbg_ptr, arg0);
    }
    /**
     * @param {number} arg0
     */
    set treeId(arg0) {
        wasm.__wbg_set_wireheader_treeId(this.__wbg_ptr, arg0);
    }
    /**
     * An all-zero header for JS to fill in field by field.
     */
    constructor() {
        const ret = wasm.wireheader_new();
        this.__wbg_ptr = ret;
        WireHeaderFinalization.register(this, this.__wbg_ptr, this);
        return this;
    }
}
if (Symbol.dispose) WireHeader.prototype[Symbol.dispose] = WireHeader.prototype.free;

/**
 * @param {number} iterations
 * @returns {number}
 */
export function benchHeader(iterations) {
    const ret = wasm.benchHeader(iterations);
    return ret >>> 0;
}

/**
 * @param {Uint8Array | number[]} symbols
 * @param {Uint32Array | number[]} esis
 * @param {number} k
 * @param {number} symbol_size
 * @param {number} iterations
 * @returns {number}
 */
export function benchRaptorqDecode(symbols, esis, k, symbol_size, iterations) {
    const val3 = +k;
    const val4 = +symbol_size;
    const val5 = +iterations;
    let ptr0, len0, ptr1, len1;
    try {
        ptr0 = passArray8ToWasm0(symbols, wasm.__wbindgen_malloc);
        len0 = WASM_VECTOR_LEN;
        ptr1 = passArray32ToWasm0(esis, wasm.__wbindgen_malloc);
        len1 = WASM_VECTOR_LEN;
    } catch (e) {
        if (ptr1) { wasm.__wbindgen_free(ptr1, len1 * 4, 4); }
        if (ptr0) { wasm.__wbindgen_free(ptr0, len0 * 1, 1); }
        throw e;
    }
    const ret = wasm.benchRaptorqDecode(ptr0, len0, ptr1, len1, val3, val4, val5);
    return ret >>> 0;
}

/**
 * Encoder construction (with a pre-built plan, made outside the loop) plus `repair`
 * repair symbols, `iterations` times; the block crosses the boundary once.
 * @param {Uint8Array | number[]} block
 * @param {number} symbol_size
 * @param {number} repair
 * @param {number} iterations
 * @returns {number}
 */
export function benchRaptorqEncode(block, symbol_size, repair, iterations) {
    const val2 = +symbol_size;
    const val3 = +repair;
    const val4 = +iterations;
    const ptr0 = passArray8ToWasm0(block, wasm.__wbindgen_malloc);
    const len0 = WASM_VECTOR_LEN;
    const ret = wasm.benchRaptorqEncode(ptr0, len0, val2, val3, val4);
    return ret >>> 0;
}

/**
 * Returns `[checksum, fragments per message]`.
 * @param {number} message_bytes
 * @param {number} mtu
 * @param {number} messages
 * @returns {Uint32Array}
 */
export function benchReassembly(message_bytes, mtu, messages) {
    const ret = wasm.benchReassembly(message_bytes, mtu, messages);
    var v1 = getArrayU32FromWasm0(ret[0], ret[1]).slice();
    wasm.__wbindgen_free(ret[0], ret[1] * 4, 4);
    return v1;
}

/**
 * @param {number} destinations
 * @param {number} ecmp
 * @param {number} iterations
 * @returns {number}
 */
export function benchRoute(destinations, ecmp, iterations) {
    const ret = wasm.benchRoute(destinations, ecmp, iterations);
    return ret >>> 0;
}

/**
 * Decodes and validates a datagram's header.
 * @param {Uint8Array | number[]} datagram
 * @returns {WireHeader}
 */
export function decodeHeader(datagram) {
    const ptr0 = passArray8ToWasm0(datagram, wasm.__wbindgen_malloc);
    const len0 = WASM_VECTOR_LEN;
    const ret = wasm.decodeHeader(ptr0, len0);
    if (ret[2]) {
        throw takeFromExternrefTable0(ret[1]);
    }
    return WireHeader.__wrap(ret[0]);
}

/**
 * Encodes a datagram (header + payload); `payload_len` and, for a single fragment,
 * `total_len` are taken from the payload. Fails on an unknown kind.
 * @param {WireHeader} h
 * @param {Uint8Array | number[]} payload
 * @returns {Uint8Array}
 */
export function encodeDatagram(h, payload) {
    _assertClass(h, WireHeader);
    const ptr0 = passArray8ToWasm0(payload, wasm.__wbindgen_malloc);
    const len0 = WASM_VECTOR_LEN;
    const ret = wasm.encodeDatagram(h.__wbg_ptr, ptr0, len0);
    if (ret[3]) {
        throw takeFromExternrefTable0(ret[2]);
    }
    var v2 = getArrayU8FromWasm0(ret[0], ret[1]).slice();
    wasm.__wbindgen_free(ret[0], ret[1] * 1, 1);
    return v2;
}

/**
 * Repair symbols of a block, concatenated (to build decode inputs, or to measure the cost
 * of handing repair symbols to JS).
 * @param {Uint8Array | number[]} block
 * @param {number} symbol_size
 * @param {number} first
 * @param {number} count
 * @returns {Uint8Array}
 */
export function raptorqRepairSymbols(block, symbol_size, first, count) {
    const val2 = +symbol_size;
    const val3 = +first;
    const val4 = +count;
    const ptr0 = passArray8ToWasm0(block, wasm.__wbindgen_malloc);
    const len0 = WASM_VECTOR_LEN;
    const ret = wasm.raptorqRepairSymbols(ptr0, len0, val2, val3, val4);
    var v5 = getArrayU8FromWasm0(ret[0], ret[1]).slice();
    wasm.__wbindgen_free(ret[0], ret[1] * 1, 1);
    return v5;
}

/**
 * Validates a parameter set with the core's rules; the error names the offending key.
 * @param {Float64Array | number[]} params
 */
export function validateLinkParams(params) {
    const ptr0 = passArrayF64ToWasm0(params, wasm.__wbindgen_malloc);
    const len0 = WASM_VECTOR_LEN;
    const ret = wasm.validateLinkParams(ptr0, len0);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

/**
 * Size of the dataplane header in bytes.
 * @returns {number}
 */
export function wireHeaderLen() {
    const ret = wasm.wireHeaderLen();
    return ret >>> 0;
}

/**
 * Wire protocol version this core speaks.
 * @returns {number}
 */
export function wireVersion() {
    const ret = wasm.wireVersion();
    return ret;
}
function __wbg_get_imports() {
    const import0 = {
        __proto__: null,
        __wbg_Error_208446807d0d1e30: function(arg0, arg1) {
            const ret = Error(getStringFromWasm0(arg0, arg1));
            return ret;
        },
        __wbg___wbindgen_throw_4c88d8bf264fd984: function(arg0, arg1) {
            throw new Error(getStringFromWasm0(arg0, arg1));
        },
        __wbindgen_generic_0000000000000001: function(arg0, arg1) {
            // Cast intrinsic for `Ref(String) -> Externref`.
            const ret = getStringFromWasm0(arg0, arg1);
            return ret;
        },
        __wbindgen_init_externref_table: function() {
            const table = wasm.__wbindgen_externrefs;
            table.set(0, undefined);
            table.set(1024, undefined);
            table.set(1025, null);
            table.set(1026, true);
            table.set(1027, false);
        },
    };
    return {
        __proto__: null,
        "./nextmini_core_bg.js": import0,
    };
}

const WasmGroupsFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_wasmgroups_free(ptr, 1));
const WasmNodeFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_wasmnode_free(ptr, 1));
const WasmTopologyFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_wasmtopology_free(ptr, 1));
const WireHeaderFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_wireheader_free(ptr, 1));

function _assertClass(instance, klass) {
    if (!(instance instanceof klass)) {
        throw new Error(`expected instance of ${klass.name}`);
    }
}

function getArrayF64FromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    return getFloat64ArrayMemory0().subarray(ptr / 8, ptr / 8 + len);
}

function getArrayJsValueFromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    const mem = getDataViewMemory0();
    const result = [];
    for (let i = ptr; i < ptr + 4 * len; i += 4) {
        result.push(wasm.__wbindgen_externrefs.get(mem.getUint32(i, true)));
    }
    wasm.__externref_drop_slice(ptr, len);
    return result;
}

function getArrayU32FromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    return getUint32ArrayMemory0().subarray(ptr / 4, ptr / 4 + len);
}

function getArrayU8FromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    return getUint8ArrayMemory0().subarray(ptr / 1, ptr / 1 + len);
}

let cachedDataViewMemory0 = null;
function getDataViewMemory0() {
    if (cachedDataViewMemory0 === null || cachedDataViewMemory0.buffer.detached === true || (cachedDataViewMemory0.buffer.detached === undefined && cachedDataViewMemory0.buffer !== wasm.memory.buffer)) {
        cachedDataViewMemory0 = new DataView(wasm.memory.buffer);
    }
    return cachedDataViewMemory0;
}

let cachedFloat64ArrayMemory0 = null;
function getFloat64ArrayMemory0() {
    if (cachedFloat64ArrayMemory0 === null || cachedFloat64ArrayMemory0.byteLength === 0) {
        cachedFloat64ArrayMemory0 = new Float64Array(wasm.memory.buffer);
    }
    return cachedFloat64ArrayMemory0;
}

function getStringFromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    return decodeText(getUint8ArrayMemory0().subarray(ptr, ptr + len));
}

let cachedUint32ArrayMemory0 = null;
function getUint32ArrayMemory0() {
    if (cachedUint32ArrayMemory0 === null || cachedUint32ArrayMemory0.byteLength === 0) {
        cachedUint32ArrayMemory0 = new Uint32Array(wasm.memory.buffer);
    }
    return cachedUint32ArrayMemory0;
}

let cachedUint8ArrayMemory0 = null;
function getUint8ArrayMemory0() {
    if (cachedUint8ArrayMemory0 === null || cachedUint8ArrayMemory0.byteLength === 0) {
        cachedUint8ArrayMemory0 = new Uint8Array(wasm.memory.buffer);
    }
    return cachedUint8ArrayMemory0;
}

function passArray32ToWasm0(arg, malloc) {
    const ptr = malloc(arg.length * 4, 4) >>> 0;
    getUint32ArrayMemory0().set(arg, ptr / 4);
    WASM_VECTOR_LEN = arg.length;
    return ptr;
}

function passArray8ToWasm0(arg, malloc) {
    const ptr = malloc(arg.length * 1, 1) >>> 0;
    getUint8ArrayMemory0().set(arg, ptr / 1);
    WASM_VECTOR_LEN = arg.length;
    return ptr;
}

function passArrayF64ToWasm0(arg, malloc) {
    const ptr = malloc(arg.length * 8, 8) >>> 0;
    getFloat64ArrayMemory0().set(arg, ptr / 8);
    WASM_VECTOR_LEN = arg.length;
    return ptr;
}

function passStringToWasm0(arg, malloc, realloc) {
    if (realloc === undefined) {
        const buf = cachedTextEncoder.encode(arg);
        const ptr = malloc(buf.length, 1) >>> 0;
        getUint8ArrayMemory0().subarray(ptr, ptr + buf.length).set(buf);
        WASM_VECTOR_LEN = buf.length;
        return ptr;
    }

    let len = arg.length;
    let ptr = malloc(len, 1) >>> 0;

    const mem = getUint8ArrayMemory0();

    let offset = 0;

    for (; offset < len; offset++) {
        const code = arg.charCodeAt(offset);
        if (code > 0x7F) break;
        mem[ptr + offset] = code;
    }
    if (offset !== len) {
        if (offset !== 0) {
            arg = arg.slice(offset);
        }
        ptr = realloc(ptr, len, len = offset + arg.length * 3, 1) >>> 0;
        const view = getUint8ArrayMemory0().subarray(ptr + offset, ptr + len);
        const ret = cachedTextEncoder.encodeInto(arg, view);

        offset += ret.written;
        ptr = realloc(ptr, len, offset, 1) >>> 0;
    }

    WASM_VECTOR_LEN = offset;
    return ptr;
}

function takeFromExternrefTable0(idx) {
    const value = wasm.__wbindgen_externrefs.get(idx);
    wasm.__externref_table_dealloc(idx);
    return value;
}

let cachedTextDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
cachedTextDecoder.decode();
const MAX_SAFARI_DECODE_BYTES = 2146435072;
let numBytesDecoded = 0;
function decodeText(bytes) {
    numBytesDecoded += bytes.length;
    if (numBytesDecoded >= MAX_SAFARI_DECODE_BYTES) {
        cachedTextDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
        cachedTextDecoder.decode();
        numBytesDecoded = bytes.length;
    }
    return cachedTextDecoder.decode(bytes);
}

const cachedTextEncoder = new TextEncoder();

if (!('encodeInto' in cachedTextEncoder)) {
    cachedTextEncoder.encodeInto = function (arg, view) {
        const buf = cachedTextEncoder.encode(arg);
        view.set(buf);
        return {
            read: arg.length,
            written: buf.length
        };
    };
}

let WASM_VECTOR_LEN = 0;

let wasmModule, wasmInstance, wasm;
function __wbg_finalize_init(instance, module) {
    wasmInstance = instance;
    wasm = instance.exports;
    wasmModule = module;
    cachedDataViewMemory0 = null;
    cachedFloat64ArrayMemory0 = null;
    cachedUint32ArrayMemory0 = null;
    cachedUint8ArrayMemory0 = null;
    wasm.__wbindgen_start();
    return wasm;
}

async function __wbg_load(module, imports) {
    if (typeof Response === 'function' && module instanceof Response) {
        if (!module.ok) {
            throw new Error(`failed to fetch Wasm: ${module.status} ${module.statusText} fetching '${module.url}'`);
        }

        if (typeof WebAssembly.instantiateStreaming === 'function') {
            try {
                return await WebAssembly.instantiateStreaming(module, imports);
            } catch (e) {
                const validResponse = expectedResponseType(module.type);

                if (validResponse && module.headers.get('Content-Type') !== 'application/wasm') {
                    console.warn("`WebAssembly.instantiateStreaming` failed because your server does not serve Wasm with `application/wasm` MIME type. Falling back to `WebAssembly.instantiate` which is slower. Original error:\n", e);

                } else { throw e; }
            }
        }

        const bytes = await module.arrayBuffer();
        return await WebAssembly.instantiate(bytes, imports);
    } else {
        const instance = await WebAssembly.instantiate(module, imports);

        if (instance instanceof WebAssembly.Instance) {
            return { instance, module };
        } else {
            return instance;
        }
    }

    function expectedResponseType(type) {
        switch (type) {
            case 'basic': case 'cors': case 'default': return true;
        }
        return false;
    }
}

function initSync(module) {
    if (wasm !== undefined) return wasm;


    if (module !== undefined) {
        if (Object.getPrototypeOf(module) === Object.prototype) {
            ({module} = module)
        } else {
            console.warn('using deprecated parameters for `initSync()`; pass a single object instead')
        }
    }

    const imports = __wbg_get_imports();
    if (!(module instanceof WebAssembly.Module)) {
        module = new WebAssembly.Module(module);
    }
    const instance = new WebAssembly.Instance(module, imports);
    return __wbg_finalize_init(instance, module);
}

let __wbg_init_promise;
async function __wbg_init(module_or_path) {
    if (wasm !== undefined) return wasm;
    if (__wbg_init_promise === undefined) {
        __wbg_init_promise = __wbg_init_once(module_or_path);
        __wbg_init_promise.catch(() => { __wbg_init_promise = undefined; });
    }
    return __wbg_init_promise;
}

async function __wbg_init_once(module_or_path) {

    if (module_or_path !== undefined) {
        if (Object.getPrototypeOf(module_or_path) === Object.prototype) {
            ({module_or_path} = module_or_path)
        } else {
            console.warn('using deprecated parameters for the initialization function; pass a single object instead')
        }
    }

    if (module_or_path === undefined) {
        module_or_path = new URL('nextmini_core_bg.wasm', import.meta.url);
    }
    const imports = __wbg_get_imports();

    if (typeof module_or_path === 'string' || (typeof Request === 'function' && module_or_path instanceof Request) || (typeof URL === 'function' && module_or_path instanceof URL)) {
        module_or_path = fetch(module_or_path);
    }

    const { instance, module } = await __wbg_load(await module_or_path, imports);

    return __wbg_finalize_init(instance, module);
}

export { initSync, __wbg_init as default };
