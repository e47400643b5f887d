// A lossless multicast as a visitor runs it: create a group on the source, set its tree
// (shortest paths, or the links drawn on the graph), join every member, send N MiB with
// sendData, and watch each receiver's progress, the sender's retransmissions and RaptorQ
// repair symbols, then check every receiver's bytes against the source's SHA-256 (WebCrypto).
import { PacketView } from '../../dist/browser.js';
import { treeOver } from './tree.js';
import { parseMiB, MiB } from './size.js';

const $ = (id) => document.getElementById(id);

export async function sha256(bytes) {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(d, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** Random bytes (getRandomValues gives at most 64 KiB a call). */
function randomPayload(size) {
  const buf = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(buf.subarray(i, Math.min(size, i + 65536)));
  return buf;
}

let runs = 0;

/**
 * Runs one multicast: net, links (the topology's), drawn (links drawn, or null for shortest
 * paths), source, members, mib, congestion ('rate' | 'loss' | 'off'), graph, onTick(receiver,
 * t, bytes/s), log(msg, cls).
 */
export async function runMulticast({ net, links, drawn, source, members, mib, congestion, graph, onTick, log }) {
  if (members.includes(source)) throw new Error(`members: ${source} is the source; pick members other than it`);
  if (members.length === 0) throw new Error('members: pick at least one member other than the source');
  const size = parseMiB(mib);
  const { edges, unreachable } = treeOver(drawn ?? links, source, members);
  if (unreachable.length) {
    throw new Error(drawn ? `the drawn tree does not reach ${unreachable.join(', ')} from ${source}: click links on the graph to add them (drawn so far: ${drawn.map(([a, b]) => `${a}-${b}`).join(', ') || 'none'})` : `${unreachable.join(', ')} cannot be reached from ${source} in this topology`);
  }
  graph.highlightTree(edges.map(([a, b]) => (a < b ? `${a}-${b}` : `${b}-${a}`)));
  graph.mark(source, members);

  const data = randomPayload(size);
  const want = await sha256(data);
  const sender = net.node(source);
  const g = await sender.createGroup(`playground-${++runs}`);
  await sender.setGroupRoutes(g.groupId, edges);
  await Promise.all(members.map((m) => net.node(m).joinGroup(g.groupId)));
  const joined = await Promise.all(members.map((m) => net.node(m).waitForLocalMembership(g.groupId, { timeoutMs: 5000 })));
  if (!joined.every(Boolean)) throw new Error(`members ${members.filter((_, i) => !joined[i]).join(', ')} did not see their membership within 5 s`);
  log(`group ${g.groupId} (${g.groupIp}): tree ${edges.map(([a, b]) => `${a}→${b}`).join(' ')}; sending ${mib} MiB (congestion ${congestion}), SHA-256 ${want.slice(0, 16)}…`);

  // One row per receiver: a progress bar, bytes, repair symbols received, the final check.
  $('mc-rows').replaceChildren(
    ...members.map((m) => {
      const tr = document.createElement('tr');
      tr.dataset.testid = `rx-${m}`;
      tr.innerHTML = `<td>${m}</td><td><progress max="${size}" value="0"></progress></td><td class="num"></td><td class="num"></td><td data-testid="verify-${m}">receiving</td>`;
      return tr;
    }),
  );
  const rowOf = (m) => $('mc-rows').querySelector(`[data-testid="rx-${m}"]`);
  const rxs = members.map((m) => net.node(m).receiveData({ groupId: g.groupId, destIp: g.groupIp, sourceNodeId: source, expectedBytes: size }));
  const t0 = performance.now();
  const s = sender.sendData({ groupId: g.groupId, destIp: g.groupIp, receiverIds: members, buffer: new PacketView(data), congestion });
  const prev = new Map(members.map((m) => [m, { bytes: 0, t: t0 }]));

  const tick = () => {
    const p = sender.sessionProgress(s);
    $('mc-retx').textContent = String(p.retransmitted);
    $('mc-repair').textContent = String(p.repairSymbols);
    $('mc-sent').textContent = `${(p.bytesSent / MiB).toFixed(1)} / ${(size / MiB).toFixed(1)} MiB sent, ${(p.bytesConfirmed / MiB).toFixed(1)} confirmed by all`;
    const now = performance.now();
    members.forEach((m, i) => {
      let rp;
      try {
        rp = net.node(m).sessionProgress(rxs[i]);
      } catch {
        return;
      }
      const row = rowOf(m);
      row.querySelector('progress').value = rp.bytesConfirmed;
      row.children[2].textContent = `${(rp.bytesConfirmed / MiB).toFixed(2)} MiB`;
      row.children[3].textContent = `${rp.repairSymbols} repair`;
      const q = prev.get(m);
      onTick(m, (now - t0) / 1000, ((rp.bytesConfirmed - q.bytes) * 1000) / Math.max(1, now - q.t));
      prev.set(m, { bytes: rp.bytesConfirmed, t: now });
    });
  };
  const timer = setInterval(tick, 250);
  let sent;
  try {
    sent = await sender.losslessWait(s, { timeoutMs: 180_000 });
  } finally {
    clearInterval(timer);
    tick();
  }
  const secs = (performance.now() - t0) / 1000;
  const outcome = sender.sessionOutcome(s);
  let verified = 0;
  for (const [i, m] of members.entries()) {
    const node = net.node(m);
    const cell = rowOf(m).lastElementChild;
    const done = await node.losslessWait(rxs[i], { timeoutMs: 5000 });
    if (!done) {
      cell.textContent = `not complete: ${JSON.stringify(node.sessionOutcome(rxs[i]))}`;
      cell.className = 'err';
      continue;
    }
    const got = await sha256(node.getDataBuffer(rxs[i]).read());
    const ok = got === want;
    if (ok) verified++;
    cell.textContent = ok ? 'SHA-256 OK' : `SHA-256 MISMATCH ${got.slice(0, 12)}…`;
    cell.className = ok ? 'ok' : 'err';
    cell.title = got;
  }
  const p = sender.sessionProgress(s);
  const summary = `${sent ? 'completed' : `not completed (${outcome?.status ?? 'timeout'})`} in ${secs.toFixed(1)} s: ${verified}/${members.length} receivers verified, ${p.retransmitted} chunks retransmitted, ${p.repairSymbols} repair symbols`;
  log(summary, verified === members.length ? 'ok' : 'err');
  return { verified, members: members.length, retransmitted: p.retransmitted, repairSymbols: p.repairSymbols };
}
