// The demo's plain unicast messages, waited for while saying what happens: over an emulated
// lossy link a message that loses a fragment never arrives (plain unicast does not resend), so
// waiting the whole timeout in silence, as the demo once did (8 s per lost message), tells a
// user nothing. The links along the path count their drops: once one is seen, the message is
// given up after a short grace; until then a line a second says it is still on its way.
import type { Dataplane, PacketReceiver, PayloadDelivery } from '../index.node.js';

/** Wait this long after a drop on the path before giving up (a drop may have been another datagram's). */
export const GRACE_MS = 1500;
const TICK_MS = 250;

export type WaitOutcome = { delivery: PayloadDelivery } | { lost: number } | { timedOut: true };

/** A hop of the path: the sending node and the neighbour it sends to. */
export interface Hop {
  node: Pick<Dataplane, 'stats'>;
  to: number;
}

/** Datagrams the path's emulated links dropped so far (loss and queue limit). */
export function pathDrops(path: Hop[]): number {
  let n = 0;
  for (const { node, to } of path) {
    const l = node.stats().links.find((x) => x.neighbor === to);
    if (l) n += l.dropsLoss + l.dropsQueue;
  }
  return n;
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/**
 * Waits for message `messageId` on `receiver`, calling `say` at least once a second while it
 * waits. `dropsBefore` is pathDrops(path) taken before the message was sent.
 */
export async function waitForMessage(
  receiver: Pick<PacketReceiver, 'recv'>,
  o: { messageId: number; path: Hop[]; dropsBefore: number; timeoutMs: number; label: string },
  say: (line: string) => void,
): Promise<WaitOutcome> {
  const t0 = performance.now();
  let lastSaid = t0;
  let dropSeenAt: number | undefined;
  let dropped = 0;
  const secs = (ms: number) => (ms / 1000).toFixed(1);
  for (;;) {
    const deadline = dropSeenAt !== undefined ? Math.min(dropSeenAt + GRACE_MS, t0 + o.timeoutMs) : t0 + o.timeoutMs;
    const left = deadline - performance.now();
    if (left <= 0) return dropped > 0 ? { lost: dropped } : { timedOut: true };
    const d = await receiver.recv({ timeoutMs: Math.min(left, TICK_MS) });
    // An earlier message given up on may still turn up: it is not this one.
    if (d) {
      if (d.messageId === o.messageId) return { delivery: d };
      continue;
    }
    const now = performance.now();
    dropped = pathDrops(o.path) - o.dropsBefore;
    if (dropped > 0 && dropSeenAt === undefined) {
      dropSeenAt = now;
      lastSaid = now;
      say(`${o.label}: ${plural(dropped, 'datagram')} dropped by the emulated links after ${secs(now - t0)} s; plain unicast does not resend, so it will not arrive (waiting ${secs(GRACE_MS)} s more to be sure)`);
    } else if (dropSeenAt === undefined && now - lastSaid >= 1000) {
      lastSaid = now;
      say(`${o.label}: still on its way after ${secs(now - t0)} s (no drop seen on the links; giving up at ${secs(o.timeoutMs)} s)`);
    }
  }
}
