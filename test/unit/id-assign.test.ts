// Which id a node asking for one (node_id = 0) gets: the pure rules of controller/id-assign.ts.
import { describe, expect, it } from 'vitest';
import { IdAssigner, addressKey, type AssignContext } from '../../ts/controller/id-assign.js';
import type { Endpoint } from '../../ts/control/messages.js';

const udp = (host: string, port: number): Endpoint[] => [{ protocol: 'udp', host, port }];

function ctx(connected: number[] = [], o: Partial<AssignContext> = {}): AssignContext {
  return { ids: [1, 2, 3, 4], connected: (id) => connected.includes(id), publicAddrs: new Map(), ownTokens: new Set(), ...o };
}

describe('IdAssigner', () => {
  it('the lowest free id above the offset; ids handed out are held for their node meanwhile', () => {
    const a = new IdAssigner();
    expect(a.assign(ctx([1]), [], '127.0.0.1', 0)).toMatchObject({ id: 2 });
    expect(a.assign(ctx([1]), [], '127.0.0.1', 0)).toMatchObject({ id: 3 }); // 2 is pending
    a.joined(2);
    expect(a.assign(ctx([1, 2, 3]), [], '127.0.0.1', 2)).toMatchObject({ id: 4 });
  });

  it('a pending id is free again after its hold (15 s)', () => {
    const a = new IdAssigner();
    expect(a.assign(ctx(), [], 'h', 0, 0)).toMatchObject({ id: 1 });
    expect(a.assign(ctx(), [], 'h', 0, 1000)).toMatchObject({ id: 2 });
    expect(a.assign(ctx(), [], 'h', 0, 16_000)).toMatchObject({ id: 1 });
  });

  it('the same address:port gets its id back; others skip it while it is away', () => {
    const a = new IdAssigner();
    expect(a.assign(ctx(), udp('10.0.0.5', 9000), '10.0.0.5', 0, 0)).toMatchObject({ id: 1 });
    expect(a.assign(ctx(), udp('10.0.0.6', 9000), '10.0.0.6', 0, 60_000)).toMatchObject({ id: 2 });
    expect(a.assign(ctx(), udp('0.0.0.0', 9000), '10.0.0.5', 0, 60_000)).toMatchObject({ id: 1, why: 'the id last given to udp 10.0.0.5:9000' });
  });

  it('[[nodes]] public_network_addr gives its id to a node at that address, and keeps it from others; own tokens are skipped', () => {
    const a = new IdAssigner();
    const c = ctx([], { publicAddrs: new Map([[1, '10.0.0.9']]), ownTokens: new Set([2]) });
    expect(a.assign(c, udp('10.0.0.1', 0), '10.0.0.1', 0)).toMatchObject({ id: 3 });
    expect(a.assign(c, udp('10.0.0.9', 0), '10.0.0.1', 0)).toMatchObject({ id: 1 });
  });

  it('ids expected back after a controller restart are not handed out, and the refusal says so', () => {
    const a = new IdAssigner();
    const c = ctx([1], { awaited: (id) => id === 2 || id === 3 || id === 4 });
    expect(a.assign(c, [], 'h', 0)).toEqual({ error: expect.stringMatching(/connected: 1; expected back \(connected before the controller restarted\): 2, 3, 4\./) });
    expect(a.assign(ctx([1], { awaited: (id) => id === 2 }), [], 'h', 0)).toMatchObject({ id: 3 });
  });

  it('no id left names why; an offset past the topology says so', () => {
    const a = new IdAssigner();
    const full = a.assign(ctx([1, 2, 3, 4]), [], 'h', 0);
    expect(full).toEqual({ error: expect.stringMatching(/no free node id above node_id_offset 0: the topology has 1, 2, 3, 4; connected: 1, 2, 3, 4\. Set node_id/) });
    expect(a.assign(ctx(), [], 'h', 4)).toEqual({ error: expect.stringMatching(/no node id above node_id_offset 4 in the topology \(its ids are 1, 2, 3, 4\)/) });
  });

  it('addressKey: the first UDP/TCP endpoint with a port, a wildcard host read as the connection\'s', () => {
    expect(addressKey(udp('0.0.0.0', 5), '192.0.2.1')).toBe('udp 192.0.2.1:5');
    expect(addressKey(udp('127.0.0.1', 0), '127.0.0.1')).toBeUndefined();
    expect(addressKey([{ protocol: 'relay', host: '', port: 0 }], 'x')).toBeUndefined();
  });
});
