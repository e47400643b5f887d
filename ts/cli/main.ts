import { startController, Dataplane } from '../index.node.js';
import { parseFlags, untilSignal } from './args.js';
import { runDemo } from './demo.js';
import { runAdmin } from './admin.js';
import { runEmulate } from './emulate.js';

const USAGE = `usage: nextmini <command> [options]

commands:
  demo [--protocol udp|tcp] [--preset lossy|wan|satellite]
                                     a local controller and three nodes exchanging payloads
  controller --config FILE.toml [--in-memory]
                                     run a controller; its state goes to [db] in the config,
                                     else PGlite in .nextmini-state/ beside the config file
                                     (--in-memory: keep nothing)
  node --config FILE.toml            run a headless node (it forwards traffic for others)
  emulate --config FILE.toml [--protocol memory|udp|tcp]
                                     the controller and every node of its topology in this
                                     process (default: memory links); runs until Ctrl-C
  admin --controller ws://HOST:PORT <subcommand>
                                     a running controller: status, set-link, get-link, set-routes,
                                     clear-routes, metrics (nextmini admin --help)
  help                               this text

Security (README "Security"): auth_token or auth_token_file in the controller and node configs,
admin_token for admin calls and /metrics, tls = { cert, key } with ca in node configs for wss://.

Logging: NEXTMINI_LOG=error|warn|info|debug (default warn; the CLI uses info).`;

function requireConfig(flags: Map<string, string | true>, cmd: string): string {
  const c = flags.get('config');
  if (typeof c !== 'string') throw new Error(`nextmini ${cmd}: --config FILE.toml is required`);
  return c;
}

export async function main(args: string[]): Promise<number> {
  const [cmd, ...rest] = args;
  // admin parses its own flags strictly (node:util parseArgs) and keeps info logs out of its output.
  if (cmd === 'admin') return runAdmin(rest);
  const { flags } = parseFlags(rest);
  if ((cmd === 'controller' || cmd === 'node' || cmd === 'demo' || cmd === 'emulate') && (flags.has('help') || flags.has('h'))) {
    console.log(USAGE);
    return 0;
  }
  const { setLogLevel } = await import('../log.js');
  setLogLevel(process.env.NEXTMINI_LOG ?? 'info');
  switch (cmd) {
    case 'demo':
      return runDemo(flags);
    case 'emulate':
      return runEmulate(flags);
    case 'controller': {
      const unknown = [...flags.keys()].filter((f) => f !== 'config' && f !== 'in-memory');
      if (unknown.length) throw new Error(`nextmini controller: unknown flag --${unknown[0]} (known: --config, --in-memory)`);
      const c = await startController(requireConfig(flags, cmd), flags.has('in-memory') ? { db: false } : { defaultDb: { path: '.nextmini-state' } });
      const s = c.status();
      console.log(`controller state: ${s.store === 'memory' ? 'memory only (nothing survives a restart)' : `${s.store} at ${s.storeLocation}`}`);
      console.log(`controller listening on ${c.url}`);
      await untilSignal();
      await c.close();
      return 0;
    }
    case 'node': {
      const dp = await Dataplane.open(requireConfig(flags, cmd));
      const info = dp.getNetworkInfo();
      const where = info.endpoints.map((e) => (e.protocol === 'udp' || e.protocol === 'tcp' ? `${e.protocol} ${e.host}:${e.port}` : e.protocol)).join(', ');
      console.log(`node ${info.nodeId} (${info.userSpaceAddr}) speaks ${where}`);
      void dp.waitForTopologyReady().then((ok) => ok && console.log(`node ${info.nodeId}: topology ready`));
      await untilSignal();
      const s = dp.stats();
      console.log(`node ${info.nodeId}: forwarded ${s.packetsForwarded} packets, delivered ${s.messagesDelivered} messages`);
      await dp.close();
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    default:
      console.error(`nextmini: unknown command '${cmd}'\n\n${USAGE}`);
      return 2;
  }
}
