/* tslint:disable */
/* eslint-disable */

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
    readonly __wbg_wireheader_free: (a: number, b: number) => void;
    readonly decodeHeader: (a: number, b: number) => [number, number, number];
    readonly encodeDatagram: (a: number, b: number, c: number) => [number, number, number, number];
    readonly wireHeaderLen: () => number;
    readonly wireVersion: () => number;
    readonly wireheader_new: () => number;
    readonly __wbindgen_externrefs: WebAssembly.Table;
    readonly __wbindgen_malloc: (a: number, b: number) => number;
    readonly __wbindgen_free: (a: number, b: number, c: number) => void;
    readonly __externref_table_dealloc: (a: number) => void;
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
