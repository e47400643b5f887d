// Probes 5, 6 and 7 of issue 12: lossless sessions at 40% loss (live receivers must not be
// declared unreachable), with corrupted frames (the session must complete, the corruption
// repaired like a loss), and what a failed session's sender reports (the real cause, and how
// far each receiver got). The deterministic simulator runs the exact seeds; the e2e tests run
// the same on real sockets.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { root } from './util.mjs';
import { runTest } from './vitest-probe.mjs';

function cargoTest(filter) {
  return new Promise((resolve) => {
    const child = spawn('cargo', ['test', '--release', '--quiet', '--lib', filter, '--', '--exact'], { cwd: join(root, 'core-rs'), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (out += b));
    child.on('exit', (code) => resolve({ ok: code === 0 && /test result: ok\. [1-9]/.test(out), out }));
  });
}

const SIM = 'lossless::tests::';


export const loss40 = {
  id: 'lossless-40pct',
  issue: 5,
  title: 'lossless at 40% loss: live receivers declared unreachable',
  async run() {
    const a = await cargoTest(`${SIM}live_receivers_complete_at_40pct_loss_seeds_11_12`);
    const b = await cargoTest(`${SIM}live_receivers_complete_at_40pct_loss_more_seeds`);
    const e = await runTest('test/e2e/lossless.test.ts', 'at 40% loss on every link');
    return { held: a.ok && b.ok && e.held, figures: `simulator, 8 MiB to 3 receivers: seeds 11, 12 ${a.ok ? 'all complete' : 'FAILED'}; seeds 13-17 ${b.ok ? 'all complete' : 'FAILED'}; real sockets, 1 MB to 3 receivers at 40% on every link: ${e.held ? 'all complete' : 'FAILED'}` };
  },
};

export const corruption = {
  id: 'lossless-corruption',
  issue: 6,
  title: 'lossless with 2% of datagrams corrupted',
  async run() {
    const a = await cargoTest(`${SIM}corrupted_frames_are_dropped_and_repaired_like_lost_ones`);
    const b = await cargoTest(`${SIM}a_tampered_buffer_fails_as_checksum_mismatch_on_both_sides`);
    return { held: a.ok && b.ok, figures: `2% corrupted + 1% lost, 3 seeds, FEC on and off: ${a.ok ? 'every session completes, every corrupted frame dropped by its CRC-32 and repaired' : 'FAILED'}; a frame re-checksummed by a faulty hop: ${b.ok ? 'checksum_mismatch on receiver and sender' : 'FAILED'}` };
  },
};


export const failedProgress = {
  id: 'lossless-failed-progress',
  issue: 7,
  title: "a failed session's sender: cause and progress",
  async run() {
    const a = await cargoTest(`${SIM}failure_causes_take_precedence_over_silence`);
    const e = await runTest('test/e2e/lossless.test.ts', 'never shows up|size mismatch');
    return { held: a.ok && e.held, figures: `cause precedence (checksum > size > aborted > unreachable) ${a.ok ? 'holds' : 'FAILED'}; real sockets: receiver_unreachable names the silent receiver and sessionProgress().receivers shows each one's bytesDone and status, size_mismatch reaches the sender ${e.held ? '(held)' : '(FAILED)'}` };
  },
};
