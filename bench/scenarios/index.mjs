// The scenario registry, in report order. An entry is { id, number, title, hosting?,
// run(ctx) -> { cases }, profile?(ctx, caseIds) } or, while an API it needs is missing,
// { id, number, title, pending: 'reason' } (reported as pending; no numbers invented).
import unicastGoodput from './unicast-goodput.mjs';
import latency from './latency.mjs';
import losslessMulticast from './lossless-multicast.mjs';
import coreMicro from './core-microbench.mjs';
import memoryScale from './memory-scale.mjs';
import controllerStore from './controller-store.mjs';
import authCost from './auth-cost.mjs';
import streamGoodput from './stream-goodput.mjs';

export const scenarios = [unicastGoodput, latency, losslessMulticast, coreMicro, memoryScale, controllerStore, authCost, streamGoodput].sort((a, b) => a.number - b.number);
