// A browser's WebSocket 'error' event carries no reason (an Event with no error or message):
// the reason the node reports must then say what it knows, not "[object Event]".
import { afterEach, describe, expect, it } from 'vitest';
import { openSocket } from '../../ts/control/socket.js';

const saved = (globalThis as { WebSocket?: unknown }).WebSocket;
afterEach(() => {
  (globalThis as { WebSocket?: unknown }).WebSocket = saved;
});

describe('openSocket error reasons', () => {
  it('an error event without a reason is described, naming the URL', async () => {
    class FakeBrowserSocket {
      binaryType = 'blob';
      onerror: ((ev: unknown) => void) | null = null;
      constructor(readonly url: string) {
        queueMicrotask(() => this.onerror?.(new Event('error')));
      }
      send(): void {}
      close(): void {}
    }
    (globalThis as { WebSocket?: unknown }).WebSocket = FakeBrowserSocket;
    const errors: unknown[] = [];
    openSocket('ws://127.0.0.1:3999', { onOpen() {}, onMessage() {}, onClose() {}, onError: (e) => errors.push(e) });
    await new Promise((r) => setTimeout(r, 0));
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).not.toContain('[object');
    expect(String(errors[0])).toMatch(/could not connect to ws:\/\/127\.0\.0\.1:3999 \(the runtime gives no reason; is a controller listening there\?\)/);
  });
});
