// Metrics without sockets: the controller's MetricsBook (validation, latest values, the
// Prometheus text) and retention helpers, the node's MetricsReporter, and the config keys.
import { describe, expect, it } from 'vitest';
import { Dataplane, isNextminiError } from 'nextmini';
import { MetricsBook, MetricsRetention, metricsCutoffMs, metricsPruneIntervalMs, snakeCase, escapeLabel, MAX_SAMPLES_PER_REPORT } from '../../ts/controller/metrics.js';
import { MetricsReporter, statsToSamples } from '../../ts/node/metrics-reporter.js';
import { decode, encode, MAX_METRIC_SAMPLES, type MetricSample } from '../../ts/control/messages.js';
import { resolveNodeConfig } from '../../ts/config/node-config.js';
import { resolveControllerConfig } from '../../ts/config/controller-config.js';
import type { DataplaneStats } from '../../ts/node/dataplane.js';
import { parsePrometheus, samplesOf } from '../helpers/prometheus.js';

const DROPS = {
  malformed: 0,
  hop_limit: 0,
  no_route: 1,
  queue_full: 0,
  reassembly_inconsistent: 0,
  reassembly_no_memory: 0,
  too_large: 0,
  reassembly_expired: 0,
  unsupported_kind: 0,
  link_loss: 0,
  link_queue: 0,
  unknown_group: 0,
  not_a_peer: 0,
  auth: 0,
  replay: 0,
  no_key: 0,
  unknown_source: 0,
  unknown_destination: 0,
  hop_limit_range: 0,
  reassembly_evicted: 0,
  link_red: 0,
  no_receiver: 3,
  receiver_full: 0,
  unknown_peer: 0,
  send_error: 0,
  link_framing: 0,
  link_backlog: 0,
  link_refused: 0,
};

function fakeStats(packetsSent = 42): DataplaneStats {
  return {
    messagesSent: 7,
    packetsSent,
    packetsReceived: 40,
    packetsForwarded: 2,
    messagesDelivered: 6,
    bytesDelivered: 6000,
    queued: 5,
    drops: { ...DROPS },
    links: [
      { neighbor: 2, transport: 'udp', emulated: true, bytesSent: 1000, packetsSent: 10, dropsLoss: 1, dropsQueue: 2, queueDepth: 3, inFlight: 4, measuredRate: 1234.5, dropsRed: 5, flowOverflow: 0 },
      { neighbor: 3, transport: 'udp', emulated: true, bytesSent: 2000, packetsSent: 20, dropsLoss: 0, dropsQueue: 0, queueDepth: 0, inFlight: 0, measuredRate: 0, dropsRed: 0, flowOverflow: 0 },
    ],
    sessions: { active: 1, completed: 2, failed: 3 },
    flow: { waitingBytes: 10, probes: 2, creditsSent: 30, creditsTaken: 40, recvBufferBytes: 8388608 },
  };
}

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
};

describe('the Prometheus test parser is strict', () => {
  const ok = '# HELP a_total An a.\n# TYPE a_total counter\na_total{node="1"} 3\n';
  it('accepts well-formed text', () => {
    const f = parsePrometheus(ok);
    expect(f.get('a_total')).toMatchObject({ type: 'counter', help: 'An a.', samples: [{ labels: { node: '1' }, value: 3 }] });
    expect(parsePrometheus('# TYPE g gauge\ng{l="a\\"b\\\\c\\nd"} -1.5e+3\ng NaN\n').get('g')!.samples.map((s) => [s.labels, s.value])).toEqual([
      [{ l: 'a"b\\c\nd' }, -1500],
      [{}, NaN],
    ]);
  });
  it.each([
    ['no TYPE before a sample', 'a_total 1\n'],
    ['TYPE after the sample', 'a_total 1\n# TYPE a_total counter\n'],
    ['unknown type', '# TYPE a histogram\na 1\n'],
    ['a second TYPE', '# TYPE a gauge\n# TYPE a gauge\na 1\n'],
    ['families not grouped', '# TYPE a gauge\n# TYPE b gauge\na 1\nb 1\na{x="1"} 2\n'],
    ['no final newline', ok.slice(0, -1)],
    ['empty line', ok + '\n'],
    ['unquoted label', '# TYPE a gauge\na{x=1} 1\n'],
    ['bad escape', '# TYPE a gauge\na{x="\\t"} 1\n'],
    ['unterminated label', '# TYPE a gauge\na{x="1} 1\n'],
    ['trailing comma', '# TYPE a gauge\na{x="1",} 1\n'],
    ['repeated label', '# TYPE a gauge\na{x="1",x="2"} 1\n'],
    ['bad value', '# TYPE a gauge\na 1x\n'],
    ['a timestamp', '# TYPE a gauge\na 1 1700000000\n'],
    ['two spaces', '# TYPE a gauge\na  1\n'],
    ['a stray comment', '# hello\n'],
    ['a duplicate series', '# TYPE a gauge\na{x="1"} 1\na{x="1"} 2\n'],
    ['a negative counter', '# TYPE a_total counter\na_total -1\n'],
    ['bad metric name', '# TYPE 1a gauge\n'],
  ])('rejects %s', (_what, text) => {
    expect(() => parsePrometheus(text)).toThrow();
  });
});

describe('MetricsBook', () => {
  it('turns a report into store rows and renders the latest values as Prometheus text', () => {
    const book = new MetricsBook();
    const samples = statsToSamples(fakeStats());
    const rows = book.ingest(1, samples, 1_700_000_000_123.7);
    expect(rows).toHaveLength(samples.length);
    expect(book.dropped).toBe(0);
    expect(rows).toContainEqual({ atMs: 1_700_000_000_123, nodeId: 1, name: 'packetsSent', value: 42 });
    expect(rows).toContainEqual({ atMs: 1_700_000_000_123, nodeId: 1, name: 'drops.no_receiver', value: 3 });
    expect(rows).toContainEqual({ atMs: 1_700_000_000_123, nodeId: 1, name: 'link.packetsSent', value: 10, neighbor: 2 });
    expect(rows.find((r) => r.name === 'packetsSent')).not.toHaveProperty('neighbor');
    book.ingest(2, statsToSamples(fakeStats(9)), 1_700_000_000_500);

    const text = book.prometheus({ connected: 2, expected: 3, topologyReady: false, groups: 1 });
    const f = parsePrometheus(text);
    for (const fam of f.values()) expect(fam.help, fam.name).toBeTruthy();

    expect(text).toContain('nextmini_packets_sent_total{node="1"} 42\n');
    expect(text).toContain('nextmini_drops_total{node="1",reason="no_receiver"} 3\n');
    expect(text).toContain('nextmini_link_packets_sent_total{node="1",neighbor="2"} 10\n');
    expect(f.get('nextmini_packets_sent_total')!.type).toBe('counter');
    expect(samplesOf(f, 'nextmini_packets_sent_total').map((s) => [s.labels.node, s.value])).toEqual([
      ['1', 42],
      ['2', 9],
    ]);
    expect(f.get('nextmini_queued')).toMatchObject({ type: 'gauge', samples: [{ labels: { node: '1' }, value: 5 }, { labels: { node: '2' }, value: 5 }] });
    expect(samplesOf(f, 'nextmini_drops_total', { node: '1' })).toHaveLength(Object.keys(DROPS).length);
    expect(samplesOf(f, 'nextmini_link_drops_total', { node: '1', neighbor: '2' }).map((s) => [s.labels.reason, s.value])).toEqual([
      ['loss', 1],
      ['queue', 2],
      ['red', 5],
    ]);
    expect(f.get('nextmini_link_queue_depth')!.type).toBe('gauge');
    expect(f.get('nextmini_link_in_flight')!.type).toBe('gauge');
    expect(samplesOf(f, 'nextmini_link_measured_rate', { node: '1', neighbor: '2' })[0]!.value).toBe(1234.5);
    expect(f.get('nextmini_link_bytes_sent_total')!.type).toBe('counter');
    expect(samplesOf(f, 'nextmini_sessions_active', { node: '1' })[0]!.value).toBe(1);
    expect(f.get('nextmini_sessions_active')!.type).toBe('gauge');
    expect(samplesOf(f, 'nextmini_sessions_completed_total', { node: '1' })[0]!.value).toBe(2);
    expect(samplesOf(f, 'nextmini_sessions_failed_total', { node: '1' })[0]!.value).toBe(3);
    for (const fam of f.values()) expect(fam.name.endsWith('_total'), fam.name).toBe(fam.type === 'counter');
    // Controller-level gauges.
    expect(samplesOf(f, 'nextmini_nodes_connected')[0]!.value).toBe(2);
    expect(samplesOf(f, 'nextmini_nodes_expected')[0]!.value).toBe(3);
    expect(samplesOf(f, 'nextmini_topology_ready')[0]!.value).toBe(0);
    expect(samplesOf(f, 'nextmini_groups')[0]!.value).toBe(1);
    expect(samplesOf(f, 'nextmini_node_last_report_timestamp_seconds', { node: '2' })[0]!.value).toBe(1_700_000_000.5);
    expect(samplesOf(f, 'nextmini_metric_samples_dropped_total', { node: '1' })[0]!.value).toBe(0);
  });

  it('keeps only the latest report per node, and forgets nodes', () => {
    const book = new MetricsBook();
    book.ingest(1, statsToSamples(fakeStats(1)), 1000);
    book.ingest(1, [{ name: 'packetsSent', neighbor: 0, value: 2 }, { name: 'packetsSent', neighbor: 0, value: 3 }], 2000);
    expect(book.latest(1)).toEqual([{ atMs: 2000, nodeId: 1, name: 'packetsSent', value: 3 }]);
    const f = parsePrometheus(book.prometheus());
    expect(samplesOf(f, 'nextmini_packets_sent_total')).toEqual([{ name: 'nextmini_packets_sent_total', labels: { node: '1' }, value: 3 }]);
    expect(f.has('nextmini_link_packets_sent_total')).toBe(false);
    book.forgetNode(1);
    expect(book.latest()).toEqual([]);
    expect(book.prometheus()).toBe('');
  });

  it('renders unknown names as gauges, escapes label values, and never renders an invalid document', () => {
    const book = new MetricsBook();
    book.ingest(
      1,
      [
        { name: 'sessions.inFlight', neighbor: 0, value: 2 },
        { name: 'sessions_in_flight', neighbor: 0, value: 5 }, // same series once snake_cased
        { name: 'drops.weird_Reason', neighbor: 0, value: 1 },
        { name: 'link.somethingNew', neighbor: 4, value: 1 },
        { name: 'packetsSentTotal', neighbor: 0, value: 1 }, // would collide with the counter family
        { name: 'dropsTotal', neighbor: 0, value: 1 },
      ],
      1,
    );
    expect(book.droppedOf(1)).toBe(2);
    const f = parsePrometheus(book.prometheus({ topologyReady: true }));
    expect(f.get('nextmini_sessions_in_flight')).toMatchObject({ type: 'gauge', samples: [{ value: 5 }] });
    expect(samplesOf(f, 'nextmini_drops_total', { reason: 'weird_Reason' })).toHaveLength(1);
    expect(samplesOf(f, 'nextmini_link_something_new', { neighbor: '4' })).toHaveLength(1);
    expect(samplesOf(f, 'nextmini_topology_ready')[0]!.value).toBe(1);
    expect(escapeLabel('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    expect(snakeCase('packetsForwarded')).toBe('packets_forwarded');
    expect(snakeCase('link.measuredRate')).toBe('link_measured_rate');
  });

  it('drops and counts hostile samples, never throws', () => {
    const book = new MetricsBook();
    const hostile = [
      { name: 'x'.repeat(129), neighbor: 0, value: 1 },
      { name: 'x'.repeat(1_000_000), neighbor: 0, value: 1 },
      { name: '', neighbor: 0, value: 1 },
      { name: 'a b', neighbor: 0, value: 1 },
      { name: 'a"}\n', neighbor: 0, value: 1 },
      { name: '{node="2"}', neighbor: 0, value: 1 },
      { name: '.a', neighbor: 0, value: 1 },
      { name: 'a..b', neighbor: 0, value: 1 },
      { name: '_a', neighbor: 0, value: 1 },
      { name: 'a', neighbor: 0, value: NaN },
      { name: 'a', neighbor: 0, value: Infinity },
      { name: 'a', neighbor: 0, value: -Infinity },
      { name: 'a', neighbor: -1, value: 1 },
      { name: 'a', neighbor: 1.5, value: 1 },
      { name: 'a', neighbor: 2 ** 40, value: 1 },
      { name: 'a', neighbor: 0, value: '1' },
      { name: 5, neighbor: 0, value: 1 },
      null,
      undefined,
      42,
      { name: 'constructor', neighbor: 0, value: 1 }, // fine: a gauge
      { name: 'x'.repeat(128), neighbor: 0, value: 1 }, // fine: exactly the limit
    ] as unknown as MetricSample[];
    let rows: ReturnType<MetricsBook['ingest']> = [];
    expect(() => (rows = book.ingest(1, hostile, 5))).not.toThrow();
    expect(rows.map((r) => r.name)).toEqual(['constructor', 'x'.repeat(128)]);
    expect(book.droppedOf(1)).toBe(hostile.length - 2);

    // 100k samples: only the first MAX_SAMPLES_PER_REPORT are considered.
    const many: MetricSample[] = Array.from({ length: 100_000 }, (_, i) => ({ name: `m${i}`, neighbor: 0, value: i }));
    const t0 = performance.now();
    rows = book.ingest(2, many, 5);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(rows).toHaveLength(MAX_SAMPLES_PER_REPORT);
    expect(book.droppedOf(2)).toBe(100_000 - MAX_SAMPLES_PER_REPORT);

    // Not an array, bad node ids: dropped, counted, no throw.
    expect(book.ingest(3, null as unknown as MetricSample[], 5)).toEqual([]);
    expect(book.ingest(0, [{ name: 'a', neighbor: 0, value: 1 }], 5)).toEqual([]);
    expect(book.ingest(NaN, [{ name: 'a', neighbor: 0, value: 1 }], 5)).toEqual([]);
    expect(book.ingest(1.5, [{ name: 'a', neighbor: 0, value: 1 }], 5)).toEqual([]);
    expect(book.dropped).toBe(hostile.length - 2 + 100_000 - MAX_SAMPLES_PER_REPORT + 3);
    // A NaN time becomes now.
    const r = book.ingest(4, [{ name: 'a', neighbor: 0, value: 1 }], NaN);
    expect(Math.abs(r[0]!.atMs - Date.now())).toBeLessThan(5000);

    const f = parsePrometheus(book.prometheus());
    expect(samplesOf(f, 'nextmini_metric_samples_dropped_total', { node: '1' })[0]!.value).toBe(hostile.length - 2);
    expect(samplesOf(f, 'nextmini_metric_samples_dropped_total').find((s) => s.labels.node === undefined)!.value).toBe(3);
    expect(samplesOf(f, 'nextmini_constructor')).toHaveLength(1);
  });

  it('bounds the number of nodes it keeps', () => {
    const book = new MetricsBook({ maxNodes: 2, maxSamplesPerReport: 3 });
    book.ingest(1, [{ name: 'a', neighbor: 0, value: 1 }], 1);
    book.ingest(2, [{ name: 'a', neighbor: 0, value: 1 }], 1);
    expect(book.ingest(3, [{ name: 'a', neighbor: 0, value: 1 }], 1)).toEqual([]);
    expect(book.ingest(1, Array.from({ length: 5 }, (_, i) => ({ name: `b${i}`, neighbor: 0, value: i })), 1)).toHaveLength(3);
    expect(book.dropped).toBe(1 + 2);
    parsePrometheus(book.prometheus());
  });
});

describe('metrics retention', () => {
  it('says when to prune and up to when', () => {
    expect(metricsCutoffMs(3600, 10_000_000)).toBe(10_000_000 - 3_600_000);
    expect(metricsPruneIntervalMs(3600)).toBe(60_000);
    expect(metricsPruneIntervalMs(60)).toBe(6000);
    expect(metricsPruneIntervalMs(1)).toBe(1000);
    const r = new MetricsRetention(3600);
    expect(r.due(1_000_000)).toBe(1_000_000 - 3_600_000);
    expect(r.due(1_000_000 + 59_999)).toBeNull();
    expect(r.due(1_000_000 + 60_000)).toBe(1_060_000 - 3_600_000);
    expect(r.cutoff(5_000_000)).toBe(1_400_000);
  });
});

describe('MetricsReporter', () => {
  it('names stats() counters as the controller expects', () => {
    const samples = statsToSamples(fakeStats());
    expect(samples).toContainEqual({ name: 'packetsSent', neighbor: 0, value: 42 });
    expect(samples).toContainEqual({ name: 'queued', neighbor: 0, value: 5 });
    expect(samples).toContainEqual({ name: 'drops.no_receiver', neighbor: 0, value: 3 });
    expect(samples).toContainEqual({ name: 'link.dropsQueue', neighbor: 2, value: 2 });
    expect(samples).toContainEqual({ name: 'link.dropsRed', neighbor: 2, value: 5 });
    expect(samples).toContainEqual({ name: 'link.measuredRate', neighbor: 3, value: 0 });
    expect(samples).toContainEqual({ name: 'sessions.completed', neighbor: 0, value: 2 });
    expect(samples).toHaveLength(7 + Object.keys(DROPS).length + 3 + 2 * 8);
    // Every name passes the controller's checks.
    expect(new MetricsBook().ingest(1, samples, 0)).toHaveLength(samples.length);
  });

  it('reports every interval while started, with an unref’d timer, and stops', async () => {
    const sent: Uint8Array[] = [];
    let n = 0;
    const refTimers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = refTimers();
    const rep = new MetricsReporter({ intervalMs: 20, stats: () => fakeStats(++n), send: (m) => sent.push(m) }).start();
    expect(rep.running).toBe(true);
    expect(refTimers()).toBe(before); // does not keep the process alive
    await new Promise((r) => setTimeout(r, 110));
    rep.stop();
    const count = sent.length;
    expect(count).toBeGreaterThanOrEqual(2);
    const m = decode(sent[count - 1]!);
    expect(m.t).toBe('metrics');
    if (m.t !== 'metrics') return;
    expect(m.samples.find((s) => s.name === 'packetsSent')!.value).toBe(count);
    await new Promise((r) => setTimeout(r, 60));
    expect(sent.length).toBe(count);
    expect(rep.running).toBe(false);
    expect(rep.report()).toBe(false);
    expect(rep.start().running).toBe(false); // stopped for good
  });

  it('does nothing with interval 0 and survives failing stats() or send()', () => {
    const off = new MetricsReporter({ intervalMs: 0, stats: fakeStats, send: () => {} }).start();
    expect(off.running).toBe(false);
    const throwing = new MetricsReporter({
      intervalMs: 0,
      stats: () => {
        throw new Error('closed');
      },
      send: () => {},
    });
    expect(throwing.report()).toBe(false);
    const badSend = new MetricsReporter({
      intervalMs: 0,
      stats: fakeStats,
      send: () => {
        throw new Error('socket gone');
      },
    });
    expect(badSend.report()).toBe(false);
    expect(decode(encode({ t: 'metrics', samples: statsToSamples(fakeStats()) }))).toMatchObject({ t: 'metrics' });
  });

  it('a report with more samples than MAX_METRIC_SAMPLES is refused before its samples are decoded', () => {
    const sample = { name: 'x', neighbor: 0, value: 1 };
    expect(decode(encode({ t: 'metrics', samples: Array(MAX_METRIC_SAMPLES).fill(sample) }))).toMatchObject({ t: 'metrics' });
    expect(() => decode(encode({ t: 'metrics', samples: Array(MAX_METRIC_SAMPLES + 1).fill(sample) }))).toThrow(/65537 elements, more than the 65536 allowed/);
  });
});

describe('metrics config keys', () => {
  const node = { node_id: 1, controller_addr: '127.0.0.1:3000' };
  it('node metrics_interval_ms: default 1000, 0 allowed, negative or fractional refused', async () => {
    expect(resolveNodeConfig({ ...node }).metrics_interval_ms).toBe(1000);
    expect(resolveNodeConfig({ ...node, metrics_interval_ms: 0 }).metrics_interval_ms).toBe(0);
    expect(resolveNodeConfig({ ...node, metrics_interval_ms: 250 }).metrics_interval_ms).toBe(250);
    expect(codeOf(() => resolveNodeConfig({ ...node, metrics_interval_ms: -1 }))).toBe('CONFIG_INVALID');
    expect(codeOf(() => resolveNodeConfig({ ...node, metrics_interval_ms: 1.5 }))).toBe('CONFIG_INVALID');
    expect(codeOf(() => resolveNodeConfig({ ...node, metrics_interval_ms: '1000' }))).toBe('CONFIG_INVALID');
    // Through the published bundle: open() refuses it before touching the network.
    const err = await Dataplane.open({ ...node, metrics_interval_ms: -1 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isNextminiError(err) && err.code).toBe('CONFIG_INVALID');
    expect((err as Error).message).toMatch(/metrics_interval_ms/);
  });

  it('controller metrics_retention_s: default 3600, at least 1', () => {
    const topology = { n_nodes: 2, edges: [[1, 2]] };
    expect(resolveControllerConfig({ topology }).metricsRetentionS).toBe(3600);
    expect(resolveControllerConfig({ topology, metrics_retention_s: 60 }).metricsRetentionS).toBe(60);
    expect(codeOf(() => resolveControllerConfig({ topology, metrics_retention_s: 0 }))).toBe('CONFIG_INVALID');
    expect(codeOf(() => resolveControllerConfig({ topology, metrics_retention_s: -5 }))).toBe('CONFIG_INVALID');
  });
});
