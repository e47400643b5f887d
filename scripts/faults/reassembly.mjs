// Probes 1 and 2 of issue 12: fragment floods against a node's reassembly (tiny first pieces,
// random headers, fake 16 MiB first fragments, 3,000 datagrams/s from a neighbour's address)
// beside legitimate 8 KiB messages, and forward bait (unknown ids, hop limits out of range).
import { vitestProbe } from './vitest-probe.mjs';

/** The test's figures line; undefined when it printed none (so the probe says so). */
const pick = (json) => json.find((j) => j.results);

export const reassembly = vitestProbe({
  id: 'reassembly-floods',
  issue: 1,
  title: 'reassembly floods (tiny pieces, random headers, fake 16 MiB)',
  file: 'test/e2e/reassembly-flood.test.ts',
  summarize: (json) => {
    const j = pick(json);
    if (!j) return '';
    const r = Object.entries(j.results ?? {}).map(([k, v]) => `${k} ${v.delivered}/150`).join(', ');
    return `8 KiB messages delivered during floods: ${r} (flood-free ${j.flowFree}/150); RSS idle ${j.idleRssMiB} MiB, peak ${j.peakRssMiB}, after ${j.afterRssMiB}`;
  },
});

export const forwarding = vitestProbe({
  id: 'forward-bait',
  issue: 2,
  title: 'victim forwarding attack traffic',
  file: 'test/e2e/reassembly-flood.test.ts',
  summarize: (json) => {
    const j = pick(json);
    if (!j) return '';
    const d = j.drops ?? {};
    return `forwarded ${j.forwarded} of 3,000 bait datagrams; drops unknown_source ${d.unknown_source ?? 0}, unknown_destination ${d.unknown_destination ?? 0}, hop_limit_range ${d.hop_limit_range ?? 0}`;
  },
});
