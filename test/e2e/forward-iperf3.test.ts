// Debian's iperf3, unmodified, through `nextmini forward` and `nextmini expose` (real
// processes: a controller, two nodes, the iperf3 server and client) over a link limited to
// 10 MB/s. iperf3's own report must say 9-10 MB/s.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { runCli, stopChild, tempToml } from './harness.js';

const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0).reverse()) await stopChild(c);
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

const quiet = { NEXTMINI_LOG: 'warn' };

describe('iperf3 across the emulated network', () => {
  it('reports 9-10 MB/s through a link limited to 10 MB/s', async () => {
    // mtu 9000 (jumbo frames, as on the 10 GbE networks such tests stand in for): at the
    // default 1400 the 68 header bytes per datagram alone would take 5% of the link.
    const ctl = tempToml('controller.toml', `port = 0\n[topology]\nn_nodes = 2\nedges = [[1, 2]]\n[routing]\nprotocol = "shortest_path"\n[[links]]\nsrc_node_id = 1\ndst_node_id = 2\nrate = 10_000_000\nbidirectional = true\n`);
    const controller = await runCli(['controller', '--config', ctl, '--in-memory'], /listening on (ws:\/\/\S+)/, quiet);
    children.push(controller.child);
    const url = /listening on (ws:\/\/\S+)/.exec(controller.output())![1]!;
    const node = (id: number) => tempToml(`n${id}.toml`, `node_id = ${id}\ncontroller_addr = "${url}"\nmtu = 9000\n`);
    const iperfPort = await freePort();
    const server = spawn('iperf3', ['-s', '-1', '-B', '127.0.0.1', '-p', String(iperfPort)], { stdio: 'ignore' });
    children.push(server);
    const exposer = await runCli(['expose', '--config', node(2), '--port', '5201', '--target', `127.0.0.1:${iperfPort}`], /stream port 5201 ->/, quiet);
    children.push(exposer.child);
    const forwarder = await runCli(['forward', '--config', node(1), '--listen', '127.0.0.1:0', '--to', '2:5201'], /topology ready/, quiet);
    children.push(forwarder.child);
    const listen = Number(/tcp 127\.0\.0\.1:(\d+) -> node 2 stream port 5201/.exec(forwarder.output())![1]);

    const report = await new Promise<string>((resolve, reject) => {
      execFile('iperf3', ['-c', '127.0.0.1', '-p', String(listen), '-t', '6', '-O', '1', '-J'], { timeout: 60_000 }, (err, stdout) => (err && !stdout ? reject(err) : resolve(stdout)));
    });
    const j = JSON.parse(report) as { error?: string; end: { sum_received: { bits_per_second: number; bytes: number } } };
    expect(j.error).toBeUndefined();
    const mbps = j.end.sum_received.bits_per_second / 8 / 1e6;
    console.log(`iperf3 through a 10 MB/s emulated link: ${mbps.toFixed(2)} MB/s received (${(j.end.sum_received.bytes / 1e6).toFixed(1)} MB)`);
    expect(mbps).toBeGreaterThanOrEqual(9);
    expect(mbps).toBeLessThanOrEqual(10.05);

    // Ctrl-C: the forwarder says what it carried: iperf3's control and data connections (the
    // server closes the data connection while the client still sends; as over real TCP that
    // resets it, and the summary counts it as failed).
    await stopChild(forwarder.child);
    expect(forwarder.output()).toMatch(/forward \d+ -> 2:5201: 2 connections \([01] failed[^)]*\), [\d.]+ MB out/);
  }, 90_000);
});
