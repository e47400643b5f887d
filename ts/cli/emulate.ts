// `nextmini emulate --config controller.toml [--protocol memory|udp|tcp]`: the controller and
// every node of its topology in this process (startNetwork), until Ctrl-C.
import { startNetwork } from '../network-node.js';
import { untilSignal } from './args.js';

export const EMULATE_PROTOCOLS = ['memory', 'udp', 'tcp'] as const;

/** Flags are checked by main.ts (its table for emulate). */
export async function runEmulate(config: string, protocol: (typeof EMULATE_PROTOCOLS)[number]): Promise<number> {
  // Listening for Ctrl-C before the ready line: whoever waits for that line may signal at once.
  const stop = untilSignal();
  const t0 = performance.now();
  const net = await startNetwork(config, { protocol });
  const ready = await net.ready({ timeoutMs: 60_000 });
  const ms = Math.round(performance.now() - t0);
  console.log(`controller ${net.controller.url} (nodes join in-process at ${net.controller.realmUrl})`);
  for (const n of net.nodes) {
    const i = n.getNetworkInfo();
    console.log(`node ${i.nodeId} ${i.userSpaceAddr} ${i.protocol}${i.protocol === 'memory' ? '' : ` ${i.privateNetworkAddr}:${i.privateNetworkPort}`}`);
  }
  if (!ready) {
    console.error(`nextmini emulate: the topology was not ready within 60 s`);
    await net.close();
    return 1;
  }
  console.log(`${net.nodes.length} nodes over ${protocol}: topology ready in ${ms} ms; Ctrl-C stops`);
  await stop;
  await net.close();
  return 0;
}
