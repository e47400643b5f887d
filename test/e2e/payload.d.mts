export function payloadFor(size: number, seed: number): Uint8Array;
