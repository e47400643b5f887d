// A node's flow sides without a network: what a sink counts, what it refuses to count, and the
// bounds that keep stray datagrams to the flow port from costing memory.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FLOW_PACKET_BYTES, NodeFlows } from '../../ts/node/flows.js';
import type { FlowReport } from '../../ts/control/messages.js';
import type { NodeSessions } from '../../ts/node/sessions.js';
import { StreamListener } from '../../ts/node/streams.js';

afterEach(() => vi.useRealTimers());

function node() {
  const reports: FlowReport[] = [];
  const sent: Uint8Array[] = [];
  const flows = new NodeFlows({
    nodeId: 2,
    send: (_dst, p) => (sent.push(p), true),
    addressOf: (id) => `192.168.0.${id}`,
    sessions: { onProgress: () => () => {} } as unknown as NodeSessions,
    report: (m) => reports.push(m),
    connect: () => Promise.reject(new Error('no streams here')),
    listen: () => new StreamListener(65535, () => {}),
  });
  return { flows, reports, sent };
}

/** A flow datagram as a source writes it: "NMFL", flow id, sequence, padding. */
function datagram(flowId: number, seq: number, size = FLOW_PACKET_BYTES): Uint8Array {
  const p = new Uint8Array(size);
  const v = new DataView(p.buffer);
  v.setUint32(0, 0x4e4d464c);
  v.setUint32(4, flowId);
  v.setUint32(8, seq);
  return p;
}

describe('NodeFlows sinks', () => {
  it('counts distinct datagrams and duplicates, and is done (reporting at once) with the last one announced', () => {
    const { flows, reports } = node();
    flows.start({ t: 'flow-start', flowId: 5, role: 'sink', peer: 1, transport: 'datagram', bytes: 2 * FLOW_PACKET_BYTES + 10, durationMs: 0, rate: 1e6 });
    expect(flows.onDatagram(datagram(5, 0))).toBe(true);
    expect(flows.onDatagram(datagram(5, 0))).toBe(true);
    expect(flows.onDatagram(datagram(5, 2, 12))).toBe(true);
    expect(reports).toEqual([]);
    expect(flows.onDatagram(datagram(5, 1))).toBe(true);
    expect(reports).toEqual([expect.objectContaining({ flowId: 5, role: 'sink', state: 'done', packets: 3, extra: 1, bytes: 2 * FLOW_PACKET_BYTES + 12 })]);
    flows.close();
  });

  it('is not flow traffic without the magic', () => {
    const { flows } = node();
    expect(flows.onDatagram(new Uint8Array(FLOW_PACKET_BYTES))).toBe(false);
    expect(flows.onDatagram(new Uint8Array(3))).toBe(false);
    flows.close();
  });

  it('bounds what stray datagrams cost: sequence numbers past the flow, and sinks nobody announced', () => {
    vi.useFakeTimers();
    const { flows, reports } = node();
    flows.start({ t: 'flow-start', flowId: 1, role: 'sink', peer: 1, transport: 'datagram', bytes: 4 * FLOW_PACKET_BYTES, durationMs: 0, rate: 1e6 });
    // Past the flow's 4 datagrams: not counted (and no 512 MiB bitmap for sequence 2^32 - 1).
    expect(flows.onDatagram(datagram(1, 0xffff_ffff))).toBe(true);
    expect(flows.onDatagram(datagram(1, 4))).toBe(true);
    // Flows the controller never announced open at most 64 sinks; more are not taken.
    for (let id = 100; id < 164; id++) expect(flows.onDatagram(datagram(id, 0))).toBe(true);
    expect(flows.onDatagram(datagram(999, 0))).toBe(false);
    vi.advanceTimersByTime(300);
    expect(reports.find((r) => r.flowId === 1)).toMatchObject({ packets: 0, bytes: 0 });
    flows.close();
  });
});
