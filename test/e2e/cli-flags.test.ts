// Every `nextmini` command checks its flags strictly: an unknown flag, a bad value or a missing
// value is a usage error (exit 2) that names the flag and lists the valid ones, printed once on
// stderr, before anything starts. `--help` works for each command. Real child processes.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { runCliToEnd, tempToml } from './harness.js';

// A usage error exits at once; a command that runs instead (the bug) is cut short by the timeout.
const cli = (args: string[], env: Record<string, string> = {}) => runCliToEnd(args, { NEXTMINI_LOG: '', ...env }, 20_000);

const config = tempToml('controller.toml', `port = 0\n[topology]\nn_nodes = 2\nedges = [[1, 2]]\n[routing]\nprotocol = "shortest_path"\n`);

describe('nextmini <command>: flags are checked', () => {
  it.each([
    [['demo', '--protocol', 'quic'], "nextmini demo: --protocol must be one of udp, tcp, got 'quic'"],
    [['demo', '--protcol', 'tcp'], 'nextmini demo: unknown flag --protcol (did you mean --protocol?) (valid: --protocol udp|tcp, --preset lossy|wan|satellite, --help)'],
    [['demo', '--bogus'], 'nextmini demo: unknown flag --bogus (valid: --protocol udp|tcp, --preset lossy|wan|satellite, --help)'],
    [['demo', '--preset'], 'nextmini demo: --preset needs a value: --preset lossy|wan|satellite'],
    [['demo', '--preset', '--protocol', 'tcp'], 'nextmini demo: --preset needs a value: --preset lossy|wan|satellite'],
    [['demo', '--preset', 'moon'], "nextmini demo: --preset must be one of lossy, wan, satellite, got 'moon'"],
    [['demo', 'lossy'], "nextmini demo: unexpected argument 'lossy' (valid flags: --protocol udp|tcp, --preset lossy|wan|satellite, --help)"],
    [['node', '--confg', 'n2.toml'], 'nextmini node: unknown flag --confg (did you mean --config?) (valid: --config FILE.toml, --forward [HOST:]PORT=NODE:PORT[,...], --expose PORT=[HOST:]PORT[,...], --help)'],
    [['node'], 'nextmini node: --config FILE.toml is required'],
    [['forward', '--config', 'n1.toml', '--listen', '8080'], 'nextmini forward: --to NODE:PORT is required'],
    [['forward', '--config', 'n1.toml', '--listen', '8080', '--to', '3'], "nextmini forward: --to: '3' is not NODE:PORT (a node id >= 1 and a port, e.g. 3:80)"],
    [['forward', '--config', 'n1.toml', '--listen', 'x:99999', '--to', '3:80'], "nextmini forward: --listen: '99999' is not a port (0..65535)"],
    [['expose', '--config', 'n2.toml', '--port', '80', '--target', ':80'], "nextmini expose: --target: ':80' has an empty host; write PORT or HOST:PORT"],
    [['expose', '--config', 'n2.toml', '--port', '0', '--target', '80'], "nextmini expose: --port: '0' is not a port (1..65535)"],
    [['node', '--config', 'n2.toml', '--forward', '8080:3:80'], "nextmini node: --forward: '8080:3:80' is not [HOST:]PORT=NODE:PORT (e.g. 8080=3:80)"],
    [['node', '--config', 'n2.toml', '--expose', '80=127.0.0.1:http'], "nextmini node: --expose: 'http' is not a port (1..65535)"],
    // A bare IPv6 address would be split at its last colon; brackets say where the port starts.
    [['forward', '--config', 'n1.toml', '--listen', '::1', '--to', '3:80'], "nextmini forward: --listen: '::1' is an IPv6 address without brackets; write [::1]:PORT"],
    [['expose', '--config', 'n2.toml', '--port', '80', '--target', '::1:8000'], "nextmini expose: --target: '::1:8000' is an IPv6 address without brackets; write [::1]:8000"],
    // The same port twice would open half of it, then fail.
    [['node', '--config', 'n2.toml', '--expose', '80=8000,80=8001'], 'nextmini node: --expose: stream port 80 is given twice'],
    [['node', '--config', 'n2.toml', '--forward', '8080=3:80,127.0.0.1:8080=3:81'], 'nextmini node: --forward: 127.0.0.1:8080 is given twice'],
    [['node', '--config'], 'nextmini node: --config needs a value: --config FILE.toml'],
    [['controller', '--config', config, '--in-memory=yes'], 'nextmini controller: --in-memory takes no value'],
    [['controller', '--config', config, '--bogus'], 'nextmini controller: unknown flag --bogus (valid: --config FILE.toml, --in-memory, --help)'],
    [['controller', '--in-memory'], 'nextmini controller: --config FILE.toml is required'],
    [['emulate', '--config', config, '--protocol', 'quic'], "nextmini emulate: --protocol must be one of memory, udp, tcp, got 'quic'"],
    [['emulate', '--config', config, '--protocl', 'udp'], 'nextmini emulate: unknown flag --protocl (did you mean --protocol?) (valid: --config FILE.toml, --protocol memory|udp|tcp, --help)'],
    [['frobnicate'], "nextmini: unknown command 'frobnicate' (valid: demo, controller, node, forward, expose, emulate, admin, help)"],
    [['help', 'admin', 'bogus'], "nextmini: unknown admin subcommand 'bogus' (valid: status, set-link, get-link, set-routes, clear-routes, metrics, flows, start-flow, stop-flow)"],
    [['help', 'node', 'extra'], "nextmini: unexpected argument 'extra' after 'help node'"],
    [['help', 'admin', 'status', 'extra'], "nextmini: unexpected argument 'extra' after 'help admin status'"],
    // An empty value is no value, not a file named ''.
    [['node', '--config='], 'nextmini node: --config needs a value: --config FILE.toml'],
    [['emulate', '--config', config, '--protocol='], 'nextmini emulate: --protocol needs a value: --protocol memory|udp|tcp'],
    // A flag given twice is a mistake, not "the last one wins".
    [['node', '--config', 'a.toml', '--config', 'b.toml'], "nextmini node: --config given more than once ('a.toml', 'b.toml'): give it once"],
    [['demo', '--protocol=tcp', '--protocol', 'udp'], "nextmini demo: --protocol given more than once ('tcp', 'udp'): give it once"],
    [['admin', '--controller', '127.0.0.1:1', 'status', '--controller', '127.0.0.1:2'], "nextmini admin status: --controller given more than once ('127.0.0.1:1', '127.0.0.1:2'): give it once"],
    [['admin', '--controller', '127.0.0.1:1', '--timeout-ms', '5', '--timeout-ms', '6', 'status'], "nextmini admin: --timeout-ms given more than once ('5', '6'): give it once"],
    // A negative number is a value (to be refused as such), not a flag.
    [['admin', '--controller', '127.0.0.1:1', '--timeout-ms', '-1', 'status'], "nextmini admin status: --timeout-ms must be a whole number >= 1, got '-1'"],
    [['admin', '--controller', '127.0.0.1:1', 'status', '--timeout-ms', '-1'], "nextmini admin status: --timeout-ms must be a whole number >= 1, got '-1'"],
    [['admin', '--controller', '127.0.0.1:1', 'set-link', '--src', '1', '--dst', '2', '--delay-ms', '-5'], "nextmini admin set-link: --delay-ms must be a number from 0 to 3600000, got '-5'"],
  ])('nextmini %j exits 2 naming what was wrong, once, on stderr', async (args, message) => {
    const r = await cli(args);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    // the message once, then where to look
    expect(lines[0]).toBe(message);
    expect(lines.filter((l) => l === message)).toHaveLength(1);
    expect(lines.slice(1).join('\n')).toMatch(/^Run 'nextmini ([\w-]+ ){0,2}--help' for usage\.$/);
  });

  it.each([
    [['demo', '--help'], /^usage: nextmini demo \[--protocol udp\|tcp\] \[--preset lossy\|wan\|satellite\]\n/, ['--protocol udp|tcp', '--preset lossy|wan|satellite', '-h, --help', 'lossy', 'satellite']],
    [['demo', '--protocol', 'quic', '-h'], /^usage: nextmini demo /, ['--protocol udp|tcp']],
    [['controller', '-h'], /^usage: nextmini controller --config FILE\.toml \[--in-memory\]\n/, ['--config FILE.toml', '--in-memory']],
    [['node', '--help'], /^usage: nextmini node --config FILE\.toml \[--forward \[HOST:\]PORT=NODE:PORT\[,\.\.\.\]\] \[--expose PORT=\[HOST:\]PORT\[,\.\.\.\]\]\n/, ['--config FILE.toml', '--forward', '--expose']],
    [['emulate', '--help'], /^usage: nextmini emulate --config FILE\.toml \[--protocol memory\|udp\|tcp\]\n/, ['--config FILE.toml', '--protocol memory|udp|tcp']],
    [['help', 'node'], /^usage: nextmini node --config FILE\.toml \[--forward \[HOST:\]PORT=NODE:PORT\[,\.\.\.\]\] \[--expose PORT=\[HOST:\]PORT\[,\.\.\.\]\]\n/, ['--config FILE.toml', '--forward', '--expose']],
    [['admin', '--help'], /^usage: nextmini admin /, ['status', 'set-link']],
    [['--help'], /^usage: nextmini <command> \[flags\]\n/, ['demo', 'controller', 'node', 'emulate', 'admin', 'NEXTMINI_LOG', 'Exit status']],
    [[], /^usage: nextmini <command> \[flags\]\n/, ['demo']],
    [['--help'], /^usage: /, ['--version']],
    // help is a command too: its help is the overview.
    [['help', 'help'], /^usage: nextmini <command> \[flags\]\n/, ['demo', 'admin']],
    [['help', 'admin', 'set-link'], /^usage: nextmini admin --controller ws:\/\/HOST:PORT set-link --src N --dst N /, ['--delay-ms MS', '--timeout-ms MS']],
  ])('nextmini %j prints help and exits 0', async (args, head, mentions) => {
    const r = await cli(args);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(head);
    for (const m of mentions) expect(r.stdout).toContain(m);
  });

  it('nextmini --version prints the package version and exits 0', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const r = await cli(['--version']);
    expect(r).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });
});
