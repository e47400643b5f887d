// Link profiles, the same values as `npm start -- --preset` (ts/cli/demo.ts), in setLink's
// camelCase, except that "clean" (the playground's default link, see DEFAULT_LINK) and "lossy"
// keep the default's 16 Mbit/s: every link stays emulated, so its counters stay live.
import { DEFAULT_LINK } from './topology.js';

export const PRESETS = {
  clean: { about: '16 Mbit/s, no delay, no loss (the default)', link: { ...DEFAULT_LINK } },
  lossy: { about: '16 Mbit/s, 5% random loss', link: { ...DEFAULT_LINK, loss: 0.05, seed: 1 } },
  wan: { about: '100 Mbit/s, 20 ms ± 2 ms, 0.1% loss', link: { rate: 12_500_000, bucketSize: 125_000, delayMs: 20, jitterMs: 2, loss: 0.001, seed: 1 } },
  satellite: { about: '20 Mbit/s, 300 ms, 0.5% loss in bursts', link: { rate: 2_500_000, bucketSize: 64_000, delayMs: 300, lossBurst: { pGoodToBad: 0.002, pBadToGood: 0.3, lossInBad: 0.8 }, seed: 1 } },
};
