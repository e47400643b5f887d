// The UDP flow-control pieces (ts/node/udp-flow.ts), alone: the credit datagram's encoding,
// the receiver's ledger and the sender's per-peer state.
import { describe, expect, it } from 'vitest';
import { CREDIT_EVERY, CREDIT_LEN, CreditLedger, encodeCreditRequest, isCreditRequest, creditEpoch, decodeCredit, encodeCredit, INITIAL_WINDOW, PeerFlow, windowFor } from '../../ts/node/udp-flow.js';
import { encodeDatagram } from 'nextmini';

describe('udp flow control', () => {
  it('a credit round-trips; nothing else decodes as one (a dataplane datagram, a short or altered one, a negative or NaN limit)', () => {
    expect(decodeCredit(encodeCredit(123_456_789))).toBe(123_456_789);
    expect(encodeCredit(1).length).toBe(CREDIT_LEN);
    const data = encodeDatagram({ kind: 0, srcNode: 1, dst: 2, srcPort: 1, dstPort: 2, messageId: 1, fragIndex: 0, fragCount: 1, totalLen: 4 } as never, new Uint8Array(4));
    expect(decodeCredit(data)).toBeUndefined();
    expect(decodeCredit(encodeCredit(5).subarray(0, 15))).toBeUndefined();
    const bad = encodeCredit(5);
    bad[3] = 2;
    expect(decodeCredit(bad)).toBeUndefined();
    expect(decodeCredit(encodeCredit(-1))).toBeUndefined();
    expect(decodeCredit(encodeCredit(Number.NaN))).toBeUndefined();
  });

  it('the ledger credits every min(CREDIT_EVERY, window / 2) bytes read, and forgets peers that left', () => {
    const l = new CreditLedger(1 << 20);
    expect(l.onRead(7, CREDIT_EVERY - 1)).toBeUndefined();
    expect(l.onRead(7, 1)).toBe(CREDIT_EVERY + (1 << 20));
    expect(l.onRead(8, 5)).toBeUndefined(); // a small exchange sends no credit
    const small = new CreditLedger(1000); // a small window: credit every 500 bytes
    expect(small.onRead(7, 499)).toBeUndefined();
    expect(small.onRead(7, 1)).toBe(1500);
    l.keep([8]);
    expect(l.onRead(7, CREDIT_EVERY)).toBe(CREDIT_EVERY + (1 << 20)); // 7 starts afresh
  });

  it('a sender passes up to its limit, queues behind anything queued, and only grows its limit', () => {
    const f = new PeerFlow();
    expect(f.mayPass(INITIAL_WINDOW)).toBe(true);
    f.sent = INITIAL_WINDOW;
    expect(f.mayPass(1)).toBe(false);
    f.credit(INITIAL_WINDOW + 100);
    expect(f.mayPass(100)).toBe(true);
    f.credit(5); // stale
    expect(f.limit).toBe(INITIAL_WINDOW + 100);
    f.queue.push(new Uint8Array(1));
    expect(f.mayPass(1)).toBe(false); // no overtaking
  });

  it('the window is a share of the granted buffer, never below 64 KiB', () => {
    expect(windowFor(8 * 1024 * 1024, 1)).toBe(Math.floor(8 * 1024 * 1024 * 0.45));
    expect(windowFor(8 * 1024 * 1024, 4)).toBe(Math.floor((8 * 1024 * 1024 * 0.45) / 4));
    expect(windowFor(425_984, 1000)).toBe(64 * 1024);
  });
});

describe('default MTU', () => {
  it('1400, or 65,000 for a node that speaks only TCP (an explicit mtu always wins)', async () => {
    const { resolveNodeConfig } = await import('../../ts/config/node-config.js');
    const base = { node_id: 1, controller_addr: '127.0.0.1:1' };
    expect(resolveNodeConfig(base).mtu).toBe(1400);
    expect(resolveNodeConfig({ ...base, protocol: 'udp' }).mtu).toBe(1400);
    expect(resolveNodeConfig({ ...base, protocol: ['tcp', 'udp'] }).mtu).toBe(1400);
    expect(resolveNodeConfig({ ...base, protocol: 'tcp' }).mtu).toBe(65_000);
    expect(resolveNodeConfig({ ...base, protocol: ['tcp'], mtu: 9000 }).mtu).toBe(9000);
  });

  it('hostile: a credit from a new epoch restarts the count (the peer restarted at the same address); epoch 0 and the same epoch only grow the limit', () => {
    const f = new PeerFlow();
    f.sent = 10_000_000;
    f.credit(10_100_000, 7);
    expect(f.limit).toBe(10_100_000);
    f.credit(50, 7); // stale, same epoch
    expect(f.limit).toBe(10_100_000);
    f.credit(200_000, 0); // no epoch: only grows
    expect([f.sent, f.limit]).toEqual([10_000_000, 10_100_000]);
    f.credit(200_000, 9); // a new socket: counts from zero
    expect([f.sent, f.limit, f.epoch]).toEqual([0, 200_000, 9]);
    expect(creditEpoch(encodeCredit(5, 0xfffffffe))).toBe(0xfffffffe);
    expect(decodeCredit(encodeCredit(5, 123))).toBe(5);
  });

  it('hostile: the ledger forgets one peer on demand (it moved to a new socket)', () => {
    const l = new CreditLedger(1 << 20);
    expect(l.onRead(7, CREDIT_EVERY)).toBe(CREDIT_EVERY + (1 << 20));
    l.onRead(7, 5);
    l.forget(7);
    expect(l.onRead(7, 10)).toBeUndefined();
    expect(l.now(7)).toBe(10 + (1 << 20)); // counted from zero again
  });

  it('a credit request is its own datagram, answered with the credit owed now', () => {
    const req = encodeCreditRequest();
    expect(isCreditRequest(req)).toBe(true);
    expect(decodeCredit(req)).toBeUndefined();
    expect(isCreditRequest(encodeCredit(5))).toBe(false);
    const l = new CreditLedger(1 << 20);
    expect(l.onRead(3, 100)).toBeUndefined();
    expect(l.now(3)).toBe(100 + (1 << 20));
    expect(l.onRead(3, CREDIT_EVERY - 1)).toBeUndefined(); // counted from the request's credit
  });
});
