// Traffic flows on GET /metrics, in the Prometheus text format of metrics.ts: one series per
// flow, labelled with its id, ends and transport.
import type { FlowResult } from './flow-book.js';
import { escapeLabel } from './metrics.js';

const FAMILIES: [name: string, type: 'counter' | 'gauge', help: string, value: (f: FlowResult) => number | null][] = [
  ['nextmini_flow_bytes_sent_total', 'counter', 'Bytes the flow\'s source sent (lossless: first pass).', (f) => f.bytesSent],
  ['nextmini_flow_bytes_received_total', 'counter', 'Bytes the flow\'s sink received.', (f) => f.bytesReceived],
  ['nextmini_flow_packets_sent_total', 'counter', 'Datagrams the flow\'s source sent (datagram flows).', (f) => f.packetsSent],
  ['nextmini_flow_packets_received_total', 'counter', 'Distinct datagrams the flow\'s sink received (datagram flows).', (f) => f.packetsReceived],
  ['nextmini_flow_frames_resent_total', 'counter', 'Frames the flow\'s lossless session sent beyond the first pass (chunks again, FEC repair symbols); stream flows: segments retransmitted.', (f) => f.framesResent],
  ['nextmini_flow_loss_ratio', 'gauge', 'Datagram flows: 1 - received / sent datagrams; lossless and stream flows: 0.', (f) => f.loss],
  ['nextmini_flow_duration_seconds', 'gauge', 'From the source\'s start to its end.', (f) => (f.durationMs === null ? null : f.durationMs / 1000)],
  ['nextmini_flow_completion_seconds', 'gauge', 'From the start to the last byte delivered (datagram), the session\'s completion (lossless) or the stream\'s close (stream).', (f) => (f.completionMs === null ? null : f.completionMs / 1000)],
  ['nextmini_flow_state', 'gauge', '1 for the flow\'s state (pending, running, done, stopped, failed).', () => 1],
];

/** The flows' series, or '' when there are none. */
export function flowsPrometheus(flows: FlowResult[]): string {
  if (!flows.length) return '';
  const lines: string[] = [];
  for (const [name, type, help, value] of FAMILIES) {
    const rows: string[] = [];
    for (const f of flows) {
      const v = value(f);
      if (v === null || !Number.isFinite(v)) continue;
      const labels = [`flow="${f.flowId}"`, `src="${f.spec.src}"`, `dst="${f.spec.dst}"`, `transport="${escapeLabel(f.spec.transport)}"`];
      if (name === 'nextmini_flow_state') labels.push(`state="${f.state}"`);
      rows.push(`${name}{${labels.join(',')}} ${v}`);
    }
    if (rows.length) lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...rows);
  }
  return `${lines.join('\n')}\n`;
}
