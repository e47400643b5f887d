// A portable "next turn": run a callback after the current task and its microtasks, without
// the 4 ms clamp browsers put on nested setTimeout(0). Node, Deno and Bun have setImmediate;
// browsers get a MessageChannel, whose messages run as their own tasks.
type Turn = (f: () => void) => void;

function pick(): Turn {
  const g = globalThis as { setImmediate?: Turn; MessageChannel?: typeof MessageChannel };
  if (typeof g.setImmediate === 'function') return (f) => void g.setImmediate!(f);
  if (typeof g.MessageChannel === 'function') {
    const queue: (() => void)[] = [];
    const channel = new g.MessageChannel();
    channel.port1.onmessage = () => queue.shift()?.();
    return (f) => {
      queue.push(f);
      channel.port2.postMessage(0);
    };
  }
  return (f) => void setTimeout(f, 0);
}

export const nextTurn: Turn = pick();
