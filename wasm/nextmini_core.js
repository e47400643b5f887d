/* @ts-self-types="./nextmini_core.d.ts" */

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

const WireHeaderFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_wireheader_free(ptr, 1));

function _assertClass(instance, klass) {
    if (!(instance instanceof klass)) {
        throw new Error(`expected instance of ${klass.name}`);
    }
}

function getArrayU8FromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    return getUint8ArrayMemory0().subarray(ptr / 1, ptr / 1 + len);
}

function getStringFromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    return decodeText(getUint8ArrayMemory0().subarray(ptr, ptr + len));
}

let cachedUint8ArrayMemory0 = null;
function getUint8ArrayMemory0() {
    if (cachedUint8ArrayMemory0 === null || cachedUint8ArrayMemory0.byteLength === 0) {
        cachedUint8ArrayMemory0 = new Uint8Array(wasm.memory.buffer);
    }
    return cachedUint8ArrayMemory0;
}

function passArray8ToWasm0(arg, malloc) {
    const ptr = malloc(arg.length * 1, 1) >>> 0;
    getUint8ArrayMemory0().set(arg, ptr / 1);
    WASM_VECTOR_LEN = arg.length;
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

let WASM_VECTOR_LEN = 0;

let wasmModule, wasmInstance, wasm;
function __wbg_finalize_init(instance, module) {
    wasmInstance = instance;
    wasm = instance.exports;
    wasmModule = module;
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
