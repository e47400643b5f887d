// `nextmini emulate --config controller.toml [--protocol memory|udp|tcp]`: the controller and
// every node of its topology in this process (startNetwork), until Ctrl-C.
import { startNetwork } from '../network-node.js';
import { setLogLevel } from '../log.js';
import { untilSignal } from './args.js';

const PROTOCOLS = ['memory', 'udp', 'tcp'] as const;

export async function runEmulate(flags: Map<string, string | true>): Promise<number> {
  const unknown = [...flags.keys()].filter((f) => f !== 'config' && f !== 'protocol');
  if (unknown.length) throw new Error(`nextmini emulate: unknown flag --${unknown[0]} (known: --config, --protocol)`);
  const config = flags.get('config');
  if (typeof config !== 'string') throw new Error('nextmini emulate: --config FILE.toml is required');
  const protocol = flags.get('protocol') ?? 'memory';
  if (typeof protocol !== 'string' || !(PROTOCOLS as readonly string[]).includes(protocol)) {
    throw new Error(`nextmini emulate: --protocol must be one of ${PROTOCOLS.join(', ')}`);
  }
  // Hundreds of nodes joining would each log a line at info: warnings only, unless asked.
  if (!process.env.NEXTMINI_LOG || process.env.NEXTMINI_LOG === 'info') setLogLevel('warn');
  // Listening for Ctrl-C before the ready line: whoever waits for that line may signal at once.
  const stop = untilSignal();
  const t0 = performance.now();
  const net = await startNetwork(config, { protocol: protocol as (typeof PROTOCOLS)[number] });
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
