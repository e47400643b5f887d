// `nextmini node --forward` as a process: a real TCP client through it to an exposed echo
// server, a forward to a node that is not in the topology (each failed connection is said at
// once, not only in the Ctrl-C summary), and the summary's counts after SIGINT.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, connect as tcpConnect, type Socket } from 'node:net';
import { Dataplane, startController, expose } from 'nextmini';
import { runCli, tempToml, within } from './harness.js';

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await Promise.resolve(f()).catch(() => {});
});


/** Sends `text`, half-closes, and resolves with what came back before the end (or the error). */
function exchange(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const c: Socket = tcpConnect({ host: '127.0.0.1', port, allowHalfOpen: true });
    let got = '';
    c.on('data', (b: Buffer) => (got += b.toString()));
    c.on('end', () => {
      c.end();
      resolve(got);
    });
    c.on('error', (e) => resolve(`error: ${e.message}`));
    c.on('close', () => resolve(got));
    c.on('connect', () => c.end(text));
  });
}

describe('nextmini node --forward', () => {
  it('carries a TCP exchange, says each failed connection as it happens, and sums up on SIGINT', async () => {
    const echo = createServer({ allowHalfOpen: true }, (s) => {
      let got = '';
      s.on('data', (b: Buffer) => (got += b.toString()));
      s.on('end', () => s.end(`echo: ${got}`));
      s.on('error', () => {});
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => echo.close(() => r())));
    const echoPort = (echo.address() as { port: number }).port;
    const c = await startController({ port: 0, topology: { n_nodes: 2, edges: [[1, 2]] } });
    cleanup.push(() => c.close());
    const n2 = await Dataplane.open({ node_id: 2, controller_addr: c.url });
    cleanup.push(() => n2.close());
    const ex = expose({ dataplane: n2, port: 80, target: echoPort });
    cleanup.push(() => ex.close());

    const cfg = tempToml('n1.toml', `node_id = 1\ncontroller_addr = "${c.url}"\n`);
    const { child, output } = await runCli(['node', '--config', cfg, '--forward', '0=2:80,0=9:80'], /topology ready/);
    cleanup.push(() => void child.kill('SIGKILL'));
    const ports = [...output().matchAll(/tcp 127\.0\.0\.1:(\d+) -> node (\d+) stream port 80/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(ports.map((p) => p[1])).toEqual([2, 9]);
    const [good, bad] = ports.map((p) => p[0]!);

    expect(await within(exchange(good!, 'hello'), 5000)).toBe('echo: hello');
    // Closed or reset: either way, no bytes.
    expect(await within(exchange(bad!, 'hello'), 5000)).toMatch(/^(|error: read ECONNRESET)$/);
    // The failure is in the log at once, naming the cause.
    const deadline = Date.now() + 5000;
    while (!/NO_ROUTE|no route/i.test(output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(output()).toMatch(new RegExp(`forward ${bad} -> 9:80: connection failed: .*no route to node 9`));

    // A connection still open at Ctrl-C: it is ended (not counted as failed) and the process exits.
    const open = tcpConnect({ host: '127.0.0.1', port: good! });
    open.on('error', () => {});
    cleanup.push(() => void open.destroy());
    await new Promise<void>((r) => open.once('connect', () => r()));
    open.write('xyz');
    const openClosed = new Promise<void>((r) => open.once('close', () => r()));
    await new Promise((r) => setTimeout(r, 300));

    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGINT');
    expect(await within(exited, 10_000)).toBe(0);
    expect(await within(openClosed, 5000)).not.toBe('hung');
    expect(output()).toMatch(new RegExp(`forward ${good} -> 2:80: 2 connections \\(0 failed\\), 8 B out, 11 B in`));
    expect(output()).toMatch(new RegExp(`forward ${bad} -> 9:80: 1 connections \\(1 failed, last: .*no route to node 9`));
  });
});
