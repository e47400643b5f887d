// The scenario registry, in report order. An entry is { id, number, title, hosting?,
// run(ctx) -> { cases }, profile?(ctx, caseIds) } or, while its API is missing,
// { id, number, title, pending: 'reason' }.
import unicastGoodput from './unicast-goodput.mjs';
import latency from './latency.mjs';
import memoryScale from './memory-scale.mjs';
import coreMicro from './core-microbench.mjs';
import { losslessMulticast } from './pending.mjs';

export const scenarios = [unicastGoodput, latency, losslessMulticast, coreMicro, memoryScale].sort((a, b) => a.number - b.number);
