// What every entry point exports, browser or not.
export { NextminiError, isNextminiError, type NextminiErrorCode } from './errors.js';
export { PacketView, PacketBuilder, type BytesLike } from './packet.js';
export { encodeDatagram, decodeHeader, wireHeaderLength, PacketKind, type WireHeader } from './wire.js';
export { isCoreReady } from './core/state.js';
