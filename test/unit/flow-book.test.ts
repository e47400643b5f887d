// The controller's flow logic without sockets: what it sends to whom, what it stores, and the
// results it computes from the two ends' reports.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FlowBook, FLOW_SETTLE_MS, type FlowResult } from '../../ts/controller/flow-book.js';
import type { FlowReport, FlowWeight } from '../../ts/control/messages.js';

afterEach(() => vi.useRealTimers());

function book(readyNodes: Set<number> = new Set([1, 2, 3])) {
  const sent: [number, unknown][] = [];
  const stored: FlowResult[] = [];
  const weights: FlowWeight[][] = [];
  const b = new FlowBook({
    ready: (s, d) => readyNodes.has(s) && readyNodes.has(d),
    noRoute: () => undefined,
    waiting: () => 'waiting',
    send: (node, m) => sent.push([node, m]),
    weights: (l) => weights.push(l),
    store: async (r) => void stored.push(r),
  });
  return { b, sent, stored, weights, readyNodes };
}

const report = (flowId: number, role: 'source' | 'sink', state: FlowReport['state'], bytes: number, packets: number, extra = 0, startAgoMs = 0, endAgoMs = -1, reason = ''): FlowReport => ({ t: 'flow-report', flowId, role, state, bytes, packets, extra, startAgoMs, endAgoMs, reason });

describe('FlowBook', () => {
  it('a flow waits for both ends, then the sink and the source are told, in that order', () => {
    const { b, sent, stored, weights, readyNodes } = book(new Set([1]));
    const id = b.add({ src: 1, dst: 2, bytes: 5000, rate: 1000, weight: 2, transport: 'datagram' }).flowId;
    expect(b.list()[0]!.state).toBe('pending');
    expect(sent).toEqual([]);
    expect(weights.at(-1)).toEqual([{ src: 1, dst: 2, weight: 2 }]);
    readyNodes.add(2);
    b.startReady();
    expect(sent).toEqual([
      [2, { t: 'flow-start', flowId: id, role: 'sink', peer: 1, transport: 'datagram', bytes: 5000, durationMs: 0, rate: 1000 }],
      [1, { t: 'flow-start', flowId: id, role: 'source', peer: 2, transport: 'datagram', bytes: 5000, durationMs: 0, rate: 1000 }],
    ]);
    expect(stored.map((r) => r.state)).toEqual(['pending', 'running']);
    b.startReady(); // once only
    expect(sent).toHaveLength(2);
  });

  it('a lossless Duration flow is a session of rate × duration bytes', () => {
    const { b, sent } = book();
    b.add({ src: 3, dst: 1, durationMs: 1500, rate: 2000, weight: 1, transport: 'lossless' });
    expect(sent[0]![1]).toMatchObject({ transport: 'lossless', bytes: 3000, durationMs: 0 });
  });

  it('datagram: done once the sink has every datagram; otherwise the rest counts as lost after FLOW_SETTLE_MS', () => {
    vi.useFakeTimers();
    const { b, weights } = book();
    const a = b.add({ src: 1, dst: 2, bytes: 10_240, rate: 1e6, weight: 1, transport: 'datagram' }).flowId;
    const c = b.add({ src: 1, dst: 3, bytes: 10_240, rate: 1e6, weight: 1, transport: 'datagram' }).flowId;
    b.onReport(1, report(a, 'source', 'done', 10_240, 10, 0, 500, 100));
    b.onReport(2, report(a, 'sink', 'done', 10_240, 10, 1, 400, 50));
    expect(b.list()[0]).toMatchObject({ state: 'done', loss: 0, duplicates: 1, packetsReceived: 10, durationMs: 400 });
    expect(b.list()[0]!.completionMs).toBe(450);

    b.onReport(1, report(c, 'source', 'done', 10_240, 10, 0, 500, 100));
    b.onReport(3, report(c, 'sink', 'running', 8192, 8, 0, 400, 50));
    expect(b.list()[1]!.state).toBe('running');
    vi.advanceTimersByTime(FLOW_SETTLE_MS);
    expect(b.list()[1]).toMatchObject({ state: 'done', loss: 0.2, bytesReceived: 8192, packetsSent: 10 });
    expect(weights.at(-1)).toEqual([]);
  });

  it('lossless: done when the source says its session completed; loss 0, frames resent kept', () => {
    const { b } = book();
    const id = b.add({ src: 1, dst: 2, bytes: 1000, weight: 1, transport: 'lossless' }).flowId;
    b.onReport(2, report(id, 'sink', 'done', 1000, 0, 0, 300, 10));
    expect(b.list()[0]!.state).toBe('running');
    b.onReport(1, report(id, 'source', 'done', 1000, 0, 7, 320, 0));
    expect(b.list()[0]).toMatchObject({ state: 'done', loss: 0, framesResent: 7, bytesReceived: 1000, durationMs: 320, completionMs: 320 });
  });

  it('stream: a Duration flow needs no rate and carries its duration; done once the source closed and the sink counted; frames resent are retransmits', () => {
    vi.useFakeTimers();
    const { b, sent } = book();
    const id = b.add({ src: 1, dst: 2, durationMs: 700, weight: 1, transport: 'stream' }).flowId;
    expect(sent[0]![1]).toMatchObject({ transport: 'stream', bytes: 0, durationMs: 700, rate: 0 });
    b.onReport(1, report(id, 'source', 'done', 5000, 0, 3, 800, 100));
    // The sink's count settles it (the source's stream closed, so it read everything).
    expect(b.list()[0]!.state).toBe('running');
    b.onReport(2, report(id, 'sink', 'done', 5000, 0, 0, 790, 100));
    expect(b.list()[0]).toMatchObject({ state: 'done', loss: 0, framesResent: 3, bytesSent: 5000, bytesReceived: 5000, durationMs: 700, completionMs: 700 });
    // Without the sink's word the settle timer ends it.
    const id2 = b.add({ src: 1, dst: 2, bytes: 10, weight: 1, transport: 'stream' }).flowId;
    b.onReport(1, report(id2, 'source', 'done', 10, 0, 0, 50, 0));
    vi.advanceTimersByTime(FLOW_SETTLE_MS);
    expect(b.list()[1]!.state).toBe('done');
  });

  it("a report from a node that is not that side's is ignored; a side that failed fails the flow, naming it", () => {
    const { b } = book();
    const id = b.add({ src: 1, dst: 2, bytes: 1000, weight: 1, transport: 'lossless' }).flowId;
    b.onReport(3, report(id, 'source', 'done', 1000, 0));
    b.onReport(1, report(id, 'sink', 'done', 1000, 0));
    b.onReport(9, report(77, 'sink', 'done', 1000, 0));
    expect(b.list()[0]).toMatchObject({ state: 'running', bytesSent: 0, bytesReceived: 0 });
    b.onReport(2, report(id, 'sink', 'failed', 10, 0, 0, 5, 1, 'lossless session checksum_mismatch'));
    expect(b.list()[0]).toMatchObject({ state: 'failed', reason: 'sink node 2: lossless session checksum_mismatch' });
  });

  it('stop: a running flow tells both ends and ends stopped; a pending one just ends; unknown ids are UNKNOWN_FLOW', () => {
    const { b, sent, readyNodes } = book(new Set([1, 2]));
    const run = b.add({ src: 1, dst: 2, bytes: 1000, weight: 1, transport: 'lossless' }).flowId;
    const wait = b.add({ src: 1, dst: 3, bytes: 1000, weight: 1, transport: 'lossless' }).flowId;
    sent.length = 0;
    b.stop(run);
    b.stop(wait);
    b.stop(run); // ended: nothing more
    expect(sent).toEqual([
      [1, { t: 'flow-stop', flowId: run }],
      [2, { t: 'flow-stop', flowId: run }],
    ]);
    expect(b.list().map((f) => [f.state, f.reason])).toEqual([
      ['stopped', 'stopped by stopFlow'],
      ['stopped', 'stopped by stopFlow'],
    ]);
    readyNodes.add(3);
    b.startReady(); // a stopped flow never starts
    expect(sent).toHaveLength(2);
    expect(() => b.stop(42)).toThrow(expect.objectContaining({ code: 'UNKNOWN_FLOW', message: expect.stringMatching(/no flow 42 \(flows are 1, 2\)/) }));
  });

  it('a node leaving fails its running flows and tells the other end to stop; pending ones wait', () => {
    const { b, sent, readyNodes } = book(new Set([1, 2]));
    const run = b.add({ src: 1, dst: 2, bytes: 1000, weight: 1, transport: 'lossless' }).flowId;
    b.add({ src: 3, dst: 2, bytes: 1000, weight: 1, transport: 'lossless' });
    sent.length = 0;
    readyNodes.delete(2);
    b.nodeLeft(2);
    expect(sent).toEqual([[1, { t: 'flow-stop', flowId: run }]]);
    expect(b.list().map((f) => f.state)).toEqual(['failed', 'pending']);
    expect(b.list()[0]!.reason).toBe('node 2 disconnected from the controller');
    // Its own side may have run on; it is told to stop when it comes back (once).
    sent.length = 0;
    b.nodeJoined(2);
    b.nodeJoined(2);
    expect(sent).toEqual([[2, { t: 'flow-stop', flowId: run }]]);
  });

  it('restore: ids continue after the stored ones, and a flow left running failed', () => {
    const { b, stored } = book(new Set());
    const row = (flowId: number, state: FlowResult['state']): FlowResult => ({ flowId, spec: { src: 1, dst: 2, bytes: 5, weight: 1, transport: 'lossless' }, state, reason: '', bytesSent: 0, bytesReceived: 0, packetsSent: 0, packetsReceived: 0, duplicates: 0, framesResent: 0, loss: null, startedAtMs: null, endedAtMs: null, durationMs: null, completionMs: null });
    b.restore([row(4, 'done'), row(7, 'running')]);
    expect(stored).toEqual([{ ...row(7, 'failed'), reason: 'the controller stopped while the flow was pending or running' }]);
    expect(b.add({ src: 1, dst: 2, bytes: 5, weight: 1, transport: 'lossless' }).flowId).toBe(8);
  });
});
