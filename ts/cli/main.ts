// `nextmini <command>`: one flag table per command gives its parser and its --help.
// Exit status: 0 done, 1 the command failed, 2 a usage error (bad flag, bad NEXTMINI_LOG).
import { readFileSync } from 'node:fs';
import { startController, Dataplane, isNextminiError } from '../index.node.js';
import { HELP_FLAG, USAGE_EXIT, UsageError, flagHelp, parseFlags, synopsis, untilSignal, wantsHelp, type Flags, type Values } from './args.js';
import { PRESETS, runDemo } from './demo.js';
import { adminHelp, runAdmin } from './admin.js';
import { EMULATE_PROTOCOLS, runEmulate } from './emulate.js';
import { parseExposeList, parseForwardList, parseHostPort, parseNodePort, parsePort, runSplices } from './forward.js';
import { LOG_LEVELS, checkEnvLogLevel, printStartupElsewhere, setLogLevel, type LogLevel } from '../log.js';

interface Command {
  /** One line in `nextmini --help`. */
  summary: string;
  /** More for `nextmini <command> --help`. */
  about?: string;
  flags: Flags;
  /** The log level when NEXTMINI_LOG is not set. */
  logLevel: LogLevel;
  run(v: Values): Promise<number>;
}

const CONFIG: Flags = { config: { type: 'string', value: 'FILE.toml', required: true, help: 'the config file (README "Configuration")' } };

const COMMANDS: Record<string, Command> = {
  demo: {
    summary: 'a local controller and three nodes exchanging payloads (what npm start runs)',
    about: 'Nodes 1 - 2 - 3 on 127.0.0.1: unicast messages from node 1 to node 3, then a 16 MiB lossless multicast to nodes 2 and 3.',
    flags: {
      protocol: { type: 'string', choices: ['udp', 'tcp'], help: 'the nodes’ data transport (default udp)' },
      preset: { type: 'string', choices: Object.keys(PRESETS), help: `emulate every link as: ${Object.entries(PRESETS).map(([n, p]) => `${n} (${p.about})`).join('; ')}` },
      ...HELP_FLAG,
    },
    // The demo's own lines say what happens; the nodes' info lines would drown them.
    logLevel: 'warn',
    run: (v) => runDemo({ protocol: v.protocol === 'tcp' ? 'tcp' : 'udp', preset: typeof v.preset === 'string' ? v.preset : undefined }),
  },
  controller: {
    summary: 'run a controller until Ctrl-C',
    about: 'Its state goes to [db] in the config, else PGlite in .nextmini-state/ beside the config file.',
    flags: { ...CONFIG, 'in-memory': { type: 'boolean', help: 'keep no state (nothing survives a restart)' }, ...HELP_FLAG },
    logLevel: 'info',
    run: async (v) => {
      const c = await startController(String(v.config), v['in-memory'] ? { db: false } : { defaultDb: { path: '.nextmini-state' } });
      const s = c.status();
      console.log(`controller state: ${s.store === 'memory' ? 'memory only (nothing survives a restart)' : `${s.store} at ${s.storeLocation}`}`);
      console.log(`controller listening on ${c.url} (expecting nodes ${s.expected.join(', ')})`);
      await untilSignal();
      await c.close();
      return 0;
    },
  },
  node: {
    summary: 'run a headless node until Ctrl-C (it forwards traffic for others)',
    about: 'With --forward and --expose it also carries TCP connections over streams (README "Streams and forwarding").',
    flags: {
      ...CONFIG,
      forward: { type: 'string', value: '[HOST:]PORT=NODE:PORT[,...]', help: 'listen on local TCP PORT; carry each connection to NODE stream PORT' },
      expose: { type: 'string', value: 'PORT=[HOST:]PORT[,...]', help: 'accept streams on PORT; connect each to the local TCP server HOST:PORT' },
      ...HELP_FLAG,
    },
    logLevel: 'info',
    run: async (v) => {
      if (v.forward !== undefined || v.expose !== undefined) {
        const fwd = typeof v.forward === 'string' ? parseForwardList('node', v.forward) : [];
        const exp = typeof v.expose === 'string' ? parseExposeList('node', v.expose) : [];
        return runSplices(String(v.config), fwd, exp);
      }
      const dp = await Dataplane.open(String(v.config));
      const info = dp.getNetworkInfo();
      const where = info.endpoints.map((e) => (e.protocol === 'udp' || e.protocol === 'tcp' ? `${e.protocol} ${e.host}:${e.port}` : e.protocol)).join(', ');
      console.log(`node ${info.nodeId} (${info.userSpaceAddr}) speaks ${where}`);
      void dp.waitForTopologyReady().then((ok) => ok && console.log(`node ${info.nodeId}: topology ready`));
      await untilSignal();
      const s = dp.stats();
      console.log(`node ${info.nodeId}: forwarded ${s.packetsForwarded} packets, delivered ${s.messagesDelivered} messages, ${describeDrops(s.drops)}`);
      await dp.close();
      return 0;
    },
  },
  forward: {
    summary: 'run a node that carries local TCP connections over streams to a node (unmodified clients across the network)',
    about: 'Each connection to --listen becomes a stream to --to, where `nextmini expose` (or expose() in code) connects it to a TCP server.',
    flags: {
      ...CONFIG,
      listen: { type: 'string', value: '[HOST:]PORT', required: true, help: 'local TCP address to accept on (host default 127.0.0.1)' },
      to: { type: 'string', value: 'NODE:PORT', required: true, help: 'the node and stream port to carry connections to' },
      ...HELP_FLAG,
    },
    logLevel: 'info',
    run: (v) => runSplices(String(v.config), [{ listen: parseHostPort('forward', '--listen', String(v.listen), 0), to: parseNodePort('forward', '--to', String(v.to)) }], []),
  },
  expose: {
    summary: 'run a node that connects incoming streams to a local TCP server (unmodified servers across the network)',
    flags: {
      ...CONFIG,
      port: { type: 'string', value: 'PORT', required: true, help: 'the stream port to accept on (what `nextmini forward --to NODE:PORT` names)' },
      target: { type: 'string', value: '[HOST:]PORT', required: true, help: 'the TCP server to connect each stream to (host default 127.0.0.1)' },
      ...HELP_FLAG,
    },
    logLevel: 'info',
    run: (v) => runSplices(String(v.config), [], [{ port: parsePort('expose', '--port', String(v.port)), target: parseHostPort('expose', '--target', String(v.target)) }]),
  },
  emulate: {
    summary: 'the controller and every node of its topology in this process, until Ctrl-C',
    flags: { ...CONFIG, protocol: { type: 'string', choices: EMULATE_PROTOCOLS, help: 'the links between the nodes (default memory)' }, ...HELP_FLAG },
    // Hundreds of nodes joining would each log a line at info.
    logLevel: 'warn',
    run: (v) => runEmulate(String(v.config), (v.protocol as (typeof EMULATE_PROTOCOLS)[number] | undefined) ?? 'memory'),
  },
};

const LOG_DEFAULTS = Object.entries(COMMANDS)
  .map(([name, c]) => `${name} ${c.logLevel}`)
  .join(', ');

const USAGE = `usage: nextmini <command> [flags]

commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name} ${synopsis(c.flags)}\n      ${c.summary}`)
  .join('\n')}
  admin --controller ws://HOST:PORT <subcommand>
      a running controller: status, set-link, get-link, set-routes, clear-routes, metrics, flows, start-flow, stop-flow
  help [COMMAND [SUBCOMMAND]]
      this text, or a command's flags (also: nextmini COMMAND --help; nextmini help admin set-link)
  --version
      the version of nextmini

Security (README "Security"): auth_token or auth_token_file in the controller and node configs,
admin_token for admin calls and /metrics, tls = { cert, key } with ca in node configs for wss://.

Logging: NEXTMINI_LOG=${LOG_LEVELS.join('|')} (default: ${LOG_DEFAULTS}, admin warn); another value is a usage error.
Exit status: 0 done, 1 the command failed (printed as 'nextmini COMMAND: CODE: message'), 2 usage error.`;

const VALID = [...Object.keys(COMMANDS), 'admin', 'help'].join(', ');

function commandUsage(name: string, c: Command): string {
  return `usage: nextmini ${name} ${synopsis(c.flags)}\n\n${c.summary}${c.about ? `.\n${c.about}` : ''}\n\nflags:\n${flagHelp(c.flags)}\n\nLogging: NEXTMINI_LOG (default ${c.logLevel}). Exit status: 0 done, 1 failed, 2 usage error.`;
}

/** `nextmini help [COMMAND [SUBCOMMAND]]`: help on help is the overview; admin's subcommands have their own. */
function helpFor(topics: string[]): string {
  const [topic, sub] = topics;
  const most = topic === 'admin' ? 2 : 1;
  if (topics.length > most) throw new UsageError('', `unexpected argument '${topics[most]}' after 'help ${topics.slice(0, most).join(' ')}'`);
  if (topic === undefined || topic === 'help') return USAGE;
  if (topic === 'admin') return adminHelp(sub);
  if (COMMANDS[topic]) return commandUsage(topic, COMMANDS[topic]);
  throw new UsageError('', `unknown command '${topic}' (valid: ${VALID})`);
}

/** The version in package.json, which sits one level above dist/cli.js in the repo and in an installed package. */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return String(pkg.version);
}

/** NEXTMINI_LOG, else the command's default; an unknown level is a usage error. */
function applyLogLevel(fallback: LogLevel): void {
  let fromEnv: LogLevel | undefined;
  try {
    fromEnv = checkEnvLogLevel();
  } catch (err) {
    throw new UsageError('', (err as Error).message, false);
  }
  setLogLevel(fromEnv ?? fallback);
  // The CLI prints where it listens and what a node speaks itself, at every level.
  printStartupElsewhere();
}

/** Runs `nextmini <args>`; resolves to the exit status. Every error is printed once, here. */
export async function main(args: string[]): Promise<number> {
  const [cmd, ...rest] = args;
  const where = cmd !== undefined && (cmd in COMMANDS || cmd === 'admin') ? cmd : '';
  try {
    if (cmd === '--version') {
      console.log(packageVersion());
      return 0;
    }
    if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
      console.log(cmd === 'help' ? helpFor(rest) : USAGE);
      return 0;
    }
    if (cmd === 'admin') {
      // admin has subcommands and its own flag tables; it reports its usage errors itself.
      if (!wantsHelp(rest)) applyLogLevel('warn');
      return await runAdmin(rest);
    }
    const command = COMMANDS[cmd];
    if (!command) throw new UsageError('', `unknown command '${cmd}' (valid: ${VALID})`);
    if (wantsHelp(rest)) {
      console.log(commandUsage(cmd, command));
      return 0;
    }
    const values = parseFlags(cmd, rest, command.flags);
    applyLogLevel(command.logLevel);
    return await command.run(values);
  } catch (err) {
    if (err instanceof UsageError) {
      const w = err.where ? ` ${err.where}` : '';
      console.error(`nextmini${w}: ${err.message}${err.pointToHelp ? `\nRun 'nextmini${w} --help' for usage.` : ''}`);
      return USAGE_EXIT;
    }
    const prefix = `nextmini${where ? ` ${where}` : ''}`;
    console.error(isNextminiError(err) ? `${prefix}: ${err.code}: ${err.message}` : `${prefix}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

/** "no drops", or "dropped N (reason n, …)" with the non-zero reasons, largest first. */
function describeDrops(drops: object): string {
  const counts = Object.entries(drops).filter((e): e is [string, number] => typeof e[1] === 'number' && e[1] > 0);
  if (counts.length === 0) return 'no drops';
  counts.sort((a, b) => b[1] - a[1]);
  return `dropped ${counts.reduce((n, [, c]) => n + c, 0)} (${counts.map(([k, c]) => `${k} ${c}`).join(', ')})`;
}
