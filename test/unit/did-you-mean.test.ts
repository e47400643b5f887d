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
  });
});
