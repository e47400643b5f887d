import { describe, expect, it } from 'vitest';
import { closest, editDistance } from '../../ts/config/did-you-mean.js';

describe('did you mean', () => {
  it('counts edits, a swap of neighbours as one', () => {
    expect(editDistance('protocol', 'protocol')).toBe(0);
    expect(editDistance('protocl', 'protocol')).toBe(1);
    expect(editDistance('porotcol', 'protocol')).toBe(2);
    expect(editDistance('mtu', 'mut')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests the closest known name only when it is a plausible typo', () => {
    const known = ['node_id', 'controller_addr', 'protocol', 'mtu', 'port'];
    expect(closest('protocl', known)).toBe('protocol');
    expect(closest('controler_addr', known)).toBe('controller_addr');
    expect(closest('Protocol', known)).toBe('protocol');
    expect(closest('mtuu', known)).toBe('mtu');
    expect(closest('colour', known)).toBeUndefined();
    // Cut short, or a unit left off.
    expect(closest('delay', ['delay_ms', 'jitter_ms'])).toBe('delay_ms');
    expect(closest('bucket', ['rate', 'bucket_size'])).toBe('bucket_size');
    expect(closest('n', ['n_nodes'])).toBeUndefined();
    expect(closest('x', [])).toBeUndefined();
    // Among names equally close, the one fewest letters away: `link` is the singular of `links`,
    // not a cut-short `link_defaults`, whichever comes first.
    expect(closest('link', ['link_defaults', 'links'])).toBe('links');
    expect(closest('link', ['links', 'link_defaults'])).toBe('links');
    expect(closest('node', ['nodes', 'node_id'])).toBe('nodes');
  });
});
