// The CLI's progress bar for a lossless send: bytes sent and bytes confirmed, separately
// (issue 15: a bar of confirmed bytes alone sat at 0% for the whole first pass).
import { describe, expect, it } from 'vitest';
import { ProgressBar } from '../../ts/cli/progress.js';

function sink(isTTY: boolean) {
  const out: string[] = [];
  return { out, stream: { isTTY, write: (s: string) => void out.push(s) } };
}

describe('ProgressBar', () => {
  it('shows sent and confirmed bytes apart: sent moves while nothing is confirmed', () => {
    const { out, stream } = sink(false);
    const bar = new ProgressBar('sending', 20, stream);
    const total = 16 << 20;
    for (let sent = 0; sent <= total; sent += total / 16) bar.transfer(sent, 0, total, 'x');
    bar.transfer(total, total, total, 'done');
    const lines = out.join('').trimEnd().split('\n');
    // Milestones only (not a TTY): each 25% step of either figure, and the end.
    expect(lines.map((l) => /sent +(\d+)% .*confirmed +(\d+)%/.exec(l)!.slice(1).join('/'))).toEqual(['0/0', '25/0', '50/0', '75/0', '100/0', '100/100']);
    expect(lines[2]).toBe('sending [==========..........] sent  50% 8.0 MiB, confirmed   0% 0 B of 16.0 MiB x');
    expect(lines.at(-1)).toBe('sending [####################] sent 100% 16.0 MiB, confirmed 100% 16.0 MiB of 16.0 MiB done');
  });

  it('on a TTY draws confirmed as #, sent but unconfirmed as =, redrawn in place', () => {
    const { out, stream } = sink(true);
    const bar = new ProgressBar('sending', 10, stream);
    bar.transfer(800, 300, 1000);
    expect(out.at(-1)).toBe('\rsending [###=====..] sent  80% 800 B, confirmed  30% 300 B of 1000 B \x1b[K');
    bar.finish();
    expect(out.at(-1)).toBe('\n');
  });

  it('update() still draws one figure', () => {
    const { out, stream } = sink(false);
    new ProgressBar('x', 4, stream).update(50, 100, 'e');
    expect(out).toEqual(['x [##..]  50% 50 B/100 B e\n']);
  });
});
