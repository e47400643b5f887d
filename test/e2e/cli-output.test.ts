// What `nextmini controller` and `nextmini node` print: each start-up fact once, a refused
// node's error once, and NEXTMINI_LOG checked (an unknown level is refused, naming the valid ones).
import { afterEach, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { runCli, runCliToEnd, stopChild, tempToml } from './harness.js';

const cleanup: ChildProcess[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await stopChild(c);
});

const cli = (args: string[], env: Record<string, string> = {}) => runCliToEnd(args, env);

const count = (text: string, needle: string) => text.split(needle).length - 1;

// info: the CLI's default for controller and node, where the logger's start-up lines show.
async function controller(): Promise<{ url: string; output: () => string }> {
  const config = tempToml('controller.toml', `port = 0\n[topology]\nn_nodes = 2\nedges = [[1, 2]]\n[routing]\nprotocol = "shortest_path"\n`);
  const c = await runCli(['controller', '--config', config, '--in-memory'], /controller listening on ws:\/\/\S+/, { NEXTMINI_LOG: 'info' });
  cleanup.push(c.child);
  return { url: /controller listening on (ws:\/\/\S+)/.exec(c.output())![1]!, output: c.output };
}

describe('nextmini controller / node: start-up', () => {
  it('prints each start-up fact once', async () => {
    const c = await controller();
    // The state line and the listening line are the CLI's; the logger must not repeat them.
    expect(count(c.output(), `listening on ${c.url}`)).toBe(1);
    expect(count(c.output(), 'memory only')).toBe(1);
    const node = tempToml('node2.toml', `node_id = 2\ncontroller_addr = "${c.url}"\nprotocol = "udp"\n`);
    const n = await runCli(['node', '--config', node], /node 2 \(.*\n/, { NEXTMINI_LOG: 'info' });
    cleanup.push(n.child);
    const where = /speaks (udp 127\.0\.0\.1:\d+)/.exec(n.output())?.[1];
    expect(where).toBeDefined();
    expect(count(n.output(), where!)).toBe(1);
  });

  it('a refused node prints its error once and exits 1', async () => {
    const c = await controller();
    const node = tempToml('node9.toml', `node_id = 9\ncontroller_addr = "${c.url}"\n`);
    const r = await cli(['node', '--config', node], { NEXTMINI_LOG: 'info' });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(count(r.stderr, 'node id 9 is not in the topology')).toBe(1);
    expect(r.stderr).toBe('nextmini node: CONTROLLER_REJECTED: the controller refused node 9: node id 9 is not in the topology (nodes are 1, 2) (UNKNOWN_NODE)\n');
  });
});

describe('NEXTMINI_LOG', () => {
  it.each([['demo'], ['node', '--config', 'n.toml'], ['admin', 'status']])('an unknown level is a usage error for nextmini %s', async (...args) => {
    const r = await cli(args, { NEXTMINI_LOG: 'verbose' });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('nextmini: NEXTMINI_LOG=verbose is not a log level (valid: error, warn, info, debug)\n');
  });

  it('a known level in any case is accepted', async () => {
    const r = await cli(['node', '--config', '/nonexistent/n.toml'], { NEXTMINI_LOG: 'ERROR' });
    // past the log level check: the missing file is the error now
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^nextmini node: CONFIG_INVALID: /);
  });
});
