// Runs unchanged in Node, Deno, Bun and Chromium against the *installed tarball*.
// Returns a list of failures (empty = pass) plus a digest of the encoded bytes so the
// host test can check every runtime produced the very same datagram. Also echoes bytes over
// a stream between two nodes of an in-realm network.
export async function runChecks(nm, runtime) {
  const failures = [];
  const check = (cond, what) => {
    if (!cond) failures.push(what);
  };

  if (runtime === 'browser') {
    // Before init() the core must refuse clearly.
    try {
      nm.decodeHeader(new Uint8Array(40));
      check(false, 'decodeHeader before init() did not throw');
    } catch (e) {
      check(e instanceof nm.NextminiError && e.code === 'NOT_INITIALIZED', `before init(): ${e && e.code}`);
    }
  }
  await nm.init();
  check(nm.isCoreReady() === true, 'core not ready after init()');

  const builder = new nm.PacketBuilder({ size: 2 });
  builder.write(new Uint8Array([104, 105]));
  builder.write('!');
  const view = builder.freeze();
  check(view instanceof nm.PacketView, 'freeze() did not return a PacketView');
  check(view.length === 3, `view length ${view.length}`);
  try {
    view.slice(2, 5);
    check(false, 'out-of-range slice did not throw');
  } catch (e) {
    check(e instanceof nm.NextminiError && e.code === 'OUT_OF_RANGE', `slice error ${e && e.code}`);
  }

  const header = {
    kind: nm.PacketKind.Unicast, hopLimit: 32, srcNode: 1, dst: 258, srcPort: 45535, dstPort: 8888,
    messageId: 7, fragIndex: 0, fragCount: 1, totalLen: 3, sessionId: 0, treeId: 0,
  };
  const dg = nm.encodeDatagram(header, view.read());
  // Hand-computed bytes of that datagram (layout in core-rs/src/wire.rs).
  const expected = [
    1, 0, 0, 32, 0, 0, 0, 1, 0, 0, 1, 2, 0xb1, 0xdf, 0x22, 0xb8, 0, 0, 0, 7,
    0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 3, 104, 105, 33,
  ];
  check(dg.length === expected.length && expected.every((b, i) => dg[i] === b), `encoded bytes differ: ${Array.from(dg).join(',')}`);
  const back = nm.decodeHeader(dg);
  check(back.dst === 258 && back.payloadLen === 3 && back.dstPort === 8888, `decoded ${JSON.stringify(back)}`);
  const bad = dg.slice();
  bad[0] = 9;
  try {
    nm.decodeHeader(bad);
    check(false, 'wrong version decoded');
  } catch (e) {
    check(e instanceof nm.NextminiError && e.code === 'MALFORMED_PACKET', `wrong version error ${e && e.code}`);
  }
  await streamEcho(nm, check);
  return { failures, bytes: Array.from(dg).join(',') };
}

/** Two nodes of an in-realm network (memory links): a stream echoes 200 kB back, half-closed. */
async function streamEcho(nm, check) {
  const net = await nm.startNetwork({ topology: { n_nodes: 2, edges: [[1, 2]] } }, { protocol: 'memory' });
  try {
    check((await net.ready({ timeoutMs: 10_000 })) === true, 'stream echo: topology not ready');
    const listener = net.node(2).listen({ port: 7 });
    check(listener instanceof nm.StreamListener, 'listen() did not return a StreamListener');
    const echo = (async () => {
      const s = await listener.accept();
      await s.readable.pipeTo(s.writable);
      await s.closed;
    })();
    const s = await net.node(1).connect({ dstNodeId: 2, dstPort: 7 });
    check(s instanceof nm.NextminiStream, 'connect() did not resolve a NextminiStream');
    const data = new Uint8Array(200_000).map((_, i) => (i * 7 + (i >> 8)) & 255);
    const w = s.writable.getWriter();
    const writing = w.write(data).then(() => w.close());
    const r = s.readable.getReader();
    const back = new Uint8Array(data.length + 1);
    let n = 0;
    for (;;) {
      const { done, value } = await r.read();
      if (done) break;
      if (n + value.length > back.length) {
        n = back.length;
        break;
      }
      back.set(value, n);
      n += value.length;
    }
    await writing;
    check(n === data.length && data.every((b, i) => back[i] === b), `stream echo: ${n} bytes came back, ${data.length} sent${n === data.length ? ', contents differ' : ''}`);
    await Promise.all([s.closed, echo]);
    try {
      await net.node(1).connect({ dstNodeId: 2, dstPort: 8 });
      check(false, 'connect to a port nobody listens on succeeded');
    } catch (e) {
      check(e instanceof nm.NextminiError && e.code === 'CONNECTION_REFUSED', `connect to a closed port: ${e && e.code}`);
    }
  } catch (e) {
    check(false, `stream echo threw: ${e && e.stack}`);
  } finally {
    await net.close();
  }
}
