// [[flows]] and flow_transport in a controller config: an upstream-style file loads, and each
// wrong entry is CONFIG_INVALID naming the key (and what it takes).
import { describe, expect, it, vi } from 'vitest';
import { parse } from 'smol-toml';
import { resolveControllerConfig } from '../../ts/config/controller-config.js';
import { isNextminiError } from '../../ts/errors.js';

const HEAD = '[topology]\ntype = "full_mesh"\nfull_mesh_config = { n_nodes = 4 }\n';
/** Top-level keys (before the first table header) go before [topology]. */
function load(text: string) {
  const at = text.indexOf('[');
  const [top, rest] = at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at)];
  return resolveControllerConfig(parse(top + HEAD + rest) as Record<string, unknown>);
}

function warningsOf(fn: () => unknown): string {
  const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
  try {
    fn();
    return spy.mock.calls.flat().join('\n');
  } finally {
    spy.mockRestore();
  }
}

function errorOf(text: string): string {
  try {
    load(text);
    return 'loaded';
  } catch (err) {
    return isNextminiError(err) ? `${err.code}: ${err.message}` : `foreign: ${String(err)}`;
  }
}

describe('[[flows]] in the controller config', () => {
  it("upstream's example file loads: flow_transport is the default, Bytes flows, weights", () => {
    const cfg = load(`flow_transport = "lossless_unicast"
[[routes]]
route = [1, 2]
[[flows]]
src_node_id = 1
dst_node_id = 2
flow_spec = { flow_len = { Bytes = 10_000_000 }, flow_weight = 1 }
[[flows]]
src_node_id = 3
dst_node_id = 4
flow_spec = { flow_len = { Duration = 2000 }, flow_rate = 1_000_000, flow_weight = 4, transport = "datagram" }
`);
    expect(cfg.flows).toEqual([
      { src: 1, dst: 2, bytes: 10_000_000, weight: 1, transport: 'lossless' },
      { src: 3, dst: 4, durationMs: 2000, rate: 1_000_000, weight: 4, transport: 'datagram' },
    ]);
  });

  it('transport defaults to lossless; "tcp" runs as "stream" without a warning; "datagram" wins over flow_transport', () => {
    expect(load('[[flows]]\nsrc_node_id = 1\ndst_node_id = 2\nflow_spec = { flow_len = { Bytes = 5 } }\n').flows[0]!.transport).toBe('lossless');
    let cfg!: ReturnType<typeof load>;
    const warned = warningsOf(() => {
      cfg = load('flow_transport = "tcp"\n[[flows]]\nsrc_node_id = 1\ndst_node_id = 2\nflow_spec = { flow_len = { Bytes = 5 } }\n[[flows]]\nsrc_node_id = 2\ndst_node_id = 1\nflow_spec = { flow_len = { Bytes = 5 }, transport = "tcp" }\n[[flows]]\nsrc_node_id = 2\ndst_node_id = 3\nflow_spec = { flow_len = { Bytes = 5 }, flow_rate = 10, transport = "datagram" }\n');
    });
    expect(cfg.flows.map((f) => f.transport)).toEqual(['stream', 'stream', 'datagram']);
    expect(warned).toBe('');
    expect(load('[[flows]]\nsrc_node_id = 1\ndst_node_id = 2\nflow_spec = { flow_len = { Bytes = 5 }, transport = "stream" }\n').flows[0]!.transport).toBe('stream');
  });

  it('a stream Duration flow needs no rate (it then goes as fast as the stream allows)', () => {
    expect(load('[[flows]]\nsrc_node_id = 1\ndst_node_id = 2\nflow_spec = { flow_len = { Duration = 500 }, transport = "tcp" }\n').flows[0]).toEqual({ src: 1, dst: 2, durationMs: 500, weight: 1, transport: 'stream' });
    expect(() => load('[[flows]]\nsrc_node_id = 1\ndst_node_id = 2\nflow_spec = { flow_len = { Duration = 500 }, transport = "lossless" }\n')).toThrow(/flow_rate is required/);
  });

  it('a rate on a lossless Bytes flow is not enforced, and a warning says so', () => {
    const warned = warningsOf(() => load('[[flows]]\nsrc_node_id = 1\ndst_node_id = 2\nflow_spec = { flow_len = { Bytes = 5000 }, flow_rate = 100 }\n'));
    expect(warned).toMatch(/flows\[0\]\.flow_spec\.flow_rate: a lossless flow of a given size goes at its session's own pace; its rate \(100 bytes\/s\) is not enforced/);
  });

  it('a Duration of 60 or less warns that it is read as milliseconds', () => {
    const warned = warningsOf(() => load('[[flows]]\nsrc_node_id = 1\ndst_node_id = 2\nflow_spec = { flow_len = { Duration = 10 }, flow_rate = 100 }\n'));
    expect(warned).toMatch(/flows\[0\]\.flow_spec\.flow_len\.Duration = 10 is read as milliseconds \(upstream's docs give seconds\); write 10000 for 10 s/);
    expect(warningsOf(() => load('[[flows]]\nsrc_node_id = 1\ndst_node_id = 2\nflow_spec = { flow_len = { Duration = 61 }, flow_rate = 100 }\n'))).toBe('');
  });

  it.each([
    ['flow_transport = "quic"\n', /controller config\.flow_transport must be one of "datagram", "lossless", "stream", "lossless_unicast", "tcp", got "quic"/],
    ['[[flows]]\nsrc_node_id = 1\ndst_node_id = 2\n', /controller config\.flows\[0\]\.flow_spec is required/],
    ['[[flows]]\nsrc_node_id = 1\ndst_node_id = 2\nflow_spec = { flow_len = { Bytes = 5 }, transport = "udp" }\n', /flows\[0\]\.flow_spec\.transport must be one of "datagram", "lossless", "stream", "lossless_unicast", "tcp", got "udp"/],
    ['[[flows]]\nsrc_node_id = 1\ndst_node_id = 2\nflow_spec = { flow_len = { Bytes = 5 }, flow_rate = 10, transport = "datagram" }\nsrc = 3\n', /controller config\.flows\[0\]: unknown key "src"/],
    ['[[flows]]\nsrc_node_id = 1\ndst_node_id = 2\nflow_spec = { flow_len = { Bytes = 5 }, flow_weigth = 2 }\n', /flows\[0\]\.flow_spec: unknown key "flow_weigth" \(did you mean `flow_weight`\?\)/],
    ['[[flows]]\nsrc_node_id = 1\ndst_node_id = 2\nflow_spec = { flow_len = { bytes = 5 } }\n', /flows\[0\]\.flow_spec\.flow_len: unknown key "bytes" \(did you mean `Bytes`\?\)/],
    ['[[flows]]\nsrc_node_id = 1\ndst_node_id = 2\nflow_spec = { flow_len = { } }\n', /flows\[0\]\.flow_spec\.flow_len needs exactly one length: Bytes \(a byte count\) or Duration \(milliseconds\)/],
    ['[[flows]]\nsrc_node_id = 1\ndst_node_id = 2\nflow_spec = { flow_len = { Bytes = 5, Duration = 100 }, flow_rate = 1 }\n', /flows\[0\]\.flow_spec\.flow_len needs exactly one length/],
    ['[[flows]]\nsrc_node_id = 1\ndst_node_id = 2\nflow_spec = { flow_len = { Bytes = 5 }, transport = "datagram" }\n', /flows\[0\]\.flow_spec\.flow_rate is required \(bytes per second\): a datagram flow is sent at its rate/],
    ['[[flows]]\nsrc_node_id = 1\ndst_node_id = 2\nflow_spec = { flow_len = { Duration = 500 } }\n', /flows\[0\]\.flow_spec\.flow_rate is required \(bytes per second\): a Duration flow needs a rate/],
    ['[[flows]]\nsrc_node_id = 1\ndst_node_id = 2\nflow_spec = { flow_len = { Bytes = 5 }, flow_weight = 0 }\n', /flows\[0\]\.flow_spec\.flow_weight must be a whole number from 1/],
    ['[[flows]]\nsrc_node_id = 1\ndst_node_id = 2\nflow_spec = { flow_len = { Bytes = 5 }, flow_rate = -3 }\n', /flows\[0\]\.flow_spec\.flow_rate must be a number from 1/],
    ['[[flows]]\nsrc_node_id = 2\ndst_node_id = 2\nflow_spec = { flow_len = { Bytes = 5 } }\n', /flows\[0\]\.dst_node_id is node 2, the flow's source too/],
    ['[[flows]]\nsrc_node_id = 0\ndst_node_id = 2\nflow_spec = { flow_len = { Bytes = 5 } }\n', /flows\[0\]\.src_node_id must be a whole number from 1/],
  ])('%j is CONFIG_INVALID naming the key', (text, message) => {
    const r = errorOf(text);
    expect(r).toMatch(/^CONFIG_INVALID: /);
    expect(r).toMatch(message);
  });
});
