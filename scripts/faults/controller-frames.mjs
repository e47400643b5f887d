// Probe 4 of issue 12: clients that send 57-64 MiB frames before hello. The controller must
// refuse them before buffering (max_hello_bytes, max_frame_bytes) and stay under 200 MiB RSS.
import { connect } from 'node:net';
import { MiB, fmtMiB, rssOf, sampleRss, startCli, tempFile } from './util.mjs';

function bigFrame(port, size) {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let sent = 0;
    let upgraded = false;
    const chunk = Buffer.alloc(256 * 1024, 0x5a);
    const done = () => resolve({ sent });
    const timer = setTimeout(() => (s.destroy(), done()), 15_000);
    s.on('close', () => (clearTimeout(timer), done()));
    s.on('error', () => {});
    s.on('data', (d) => {
      if (upgraded || !d.toString('latin1').startsWith('HTTP/1.1 101')) return;
      upgraded = true;
      const h = Buffer.alloc(14);
      h[0] = 0x82;
      h[1] = 0x80 | 127;
      h.writeBigUInt64BE(BigInt(size), 2);
      h.writeUInt32BE(0x11223344, 10);
      s.write(h);
      const pump = () => {
        while (sent < size && !s.destroyed) {
          sent += chunk.length;
          if (!s.write(chunk)) return s.once('drain', pump);
        }
      };
      pump();
    });
    s.write(`GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${Buffer.from('fault-probe-key!').toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  });
}

export default {
  id: 'controller-big-frames',
  issue: 4,
  title: 'controller: 57-64 MiB frames before hello',
  async run() {
    const cfg = tempFile('controller.toml', 'port = 0\n[topology]\nn_nodes = 2\nedges = [[1, 2]]\n[routing]\nprotocol = "shortest_path"\n');
    const c = await startCli(['controller', '--config', cfg, '--in-memory'], /listening on ws:\/\/127\.0\.0\.1:(\d+)/);
    try {
      const port = Number(c.match[1]);
      const idle = rssOf(c.child.pid);
      const sampler = sampleRss(c.child.pid);
      const results = await Promise.all([bigFrame(port, 57 * MiB), bigFrame(port, 64 * MiB), bigFrame(port, 60 * MiB), bigFrame(port, 64 * MiB)]);
      const peak = sampler.stop();
      const held = peak < 200 * MiB && results.every((r) => r.sent < 57 * MiB);
      return { held, figures: `4 clients; idle ${fmtMiB(idle)}, peak ${fmtMiB(peak)} (bound 200 MiB); each cut off after ≤ ${fmtMiB(Math.max(...results.map((r) => r.sent)))} sent (socket buffers included)` };
    } finally {
      await c.stop();
    }
  },
};
