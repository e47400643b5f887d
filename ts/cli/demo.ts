// `npm start`: a local controller and three nodes on a line 1 - 2 - 3, on embedded defaults.
// Node 1 sends payloads of several sizes to node 3; node 2 forwards them.
import { createHash, randomBytes } from 'node:crypto';
import { startController, Dataplane, PacketBuilder, PacketView, type LinkParamsConfig } from '../index.node.js';
import { ProgressBar, formatBytes } from './progress.js';
import { pathDrops, waitForMessage } from './demo-wait.js';

/** Link profiles for `--preset`, applied to every link of the demo (both directions). */
export const PRESETS: Record<string, { about: string; link: LinkParamsConfig }> = {
  lossy: { about: '5% random loss, otherwise clean', link: { loss: 0.05, seed: 1 } },
  wan: { about: '100 Mbit/s, 20 ms ± 2 ms, 0.1% loss', link: { rate: 12_500_000, bucket_size: 125_000, delay_ms: 20, jitter_ms: 2, loss: 0.001, seed: 1 } },
  satellite: { about: '20 Mbit/s, 300 ms, 0.5% loss in bursts', link: { rate: 2_500_000, bucket_size: 64_000, delay_ms: 300, loss_burst: { p_good_to_bad: 0.002, p_bad_to_good: 0.3, loss_in_bad: 0.8 }, seed: 1 } },
};

const hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex').slice(0, 16);

/** Flags are checked by main.ts (its table for demo): `presetName` is one of PRESETS. */
export async function runDemo({ protocol, preset: presetName }: { protocol: 'udp' | 'tcp'; preset?: string | undefined }): Promise<number> {
  const preset = presetName === undefined ? undefined : PRESETS[presetName];
  // Authenticated, as a real deployment should be: a fresh secret for this run.
  const authToken = randomBytes(32).toString('hex');
  console.log(`nextmini demo: controller + nodes 1 - 2 - 3 over ${protocol} on 127.0.0.1`);
  if (preset) console.log(`link preset ${presetName}: ${preset.about}`);
  console.log('authentication on: nodes prove a shared auth_token (HMAC challenge, never sent) and every datagram carries a per-link MAC');
  console.log('  (in your own configs: auth_token = "…" in the controller and each node, admin_token for admin calls, tls = { cert, key } for wss://; README "Security")');
  console.log('');
  const controller = await startController({ port: 0, auth_token: authToken, topology: { n_nodes: 3, edges: [[1, 2], [2, 3]] }, ...(preset ? { link_defaults: preset.link } : {}) });
  console.log(`controller   ${controller.url}`);
  const nodes = await Promise.all([1, 2, 3].map((id) => Dataplane.open({ node_id: id, controller_addr: controller.url, protocol, auth_token: authToken })));
  for (const n of nodes) {
    const i = n.getNetworkInfo();
    console.log(`node ${i.nodeId}       user-space ${i.userSpaceAddr}, data socket ${i.privateNetworkAddr}:${i.privateNetworkPort}`);
  }
  const ready = await nodes[0]!.waitForTopologyReady({ timeoutMs: 10_000 });
  console.log(`\ntopology ready: ${ready}\n`);
  if (!ready) return 1;

  const receiver = nodes[2]!.registerReceiverFromNode({ srcNodeId: 1, srcPort: 40000, dstPort: 50000 });
  const path = [{ node: nodes[0]!, to: 2 }, { node: nodes[1]!, to: 3 }];
  let ok = true;
  for (const size of [10, 8 * 1024, 1024 * 1024]) {
    const b = new PacketBuilder({ size });
    const chunk = new Uint8Array(Math.min(size, 4096)).map((_, i) => (i * 131 + size) & 255);
    for (let left = size; left > 0; left -= chunk.length) b.write(chunk.subarray(0, Math.min(left, chunk.length)));
    const payload = b.freeze();
    const dropsBefore = pathDrops(path);
    const t0 = performance.now();
    const id = await nodes[0]!.sendToNode({ dstNodeId: 3, frozen: payload, srcPort: 40000, dstPort: 50000 });
    const label = `message ${id}: ${size} bytes from node 1 -> node 3`;
    const got = await waitForMessage(receiver, { messageId: id, path, dropsBefore, timeoutMs: preset ? 8000 : 5000, label }, (line) => console.log(line));
    const ms = (performance.now() - t0).toFixed(1);
    if (!('delivery' in got)) {
      console.log(`${label}: ${'lost' in got ? `LOST: ${got.lost} datagram${got.lost === 1 ? '' : 's'} dropped by the emulated links; plain unicast does not resend (the lossless session below does)` : 'TIMED OUT'}`);
      ok = false;
      continue;
    }
    const d = got.delivery;
    const intact = hex(d.payload) === hex(payload.read());
    ok &&= intact;
    console.log(
      `message ${d.messageId}: ${d.totalLen} bytes ${d.srcIp}:${d.srcPort} -> ${d.dstIp}:${d.dstPort} in ${d.fragmentCount} fragment(s), ${ms} ms, sha256 ${hex(d.payload)} ${intact ? 'intact' : 'CORRUPT'}`,
    );
  }
  const losslessOk = await losslessPart(nodes);

  const s2 = nodes[1]!.stats();
  console.log(`\nnode 2 forwarded ${s2.packetsForwarded} packets and took ${s2.messagesDelivered} plain messages itself (its lossless data came as a session)`);
  const rejected = nodes.reduce((n, x) => n + (x.stats().drops.auth ?? 0), 0);
  console.log(`datagrams refused for a bad MAC: ${rejected}`);
  if (preset) {
    for (const [i, n] of nodes.entries()) {
      for (const l of n.stats().links) {
        console.log(`link ${i + 1} -> ${l.neighbor}: ${l.packetsSent} packets sent, ${l.dropsLoss} lost, ${l.dropsQueue} queue drops`);
      }
    }
    if (!ok) console.log('(plain unicast is not reliable: on a lossy link a message with a lost fragment is dropped; lossless sessions repair that)');
  }
  await Promise.all(nodes.map((n) => n.close()));
  await controller.close();
  if (!losslessOk) {
    console.log('\ndemo FAILED: the lossless transfer did not complete');
    return 1;
  }
  console.log(ok ? '\ndemo finished: every payload arrived intact' : preset ? '\ndemo finished: the lossless transfer is intact; some plain datagram payloads were lost to the emulated links' : '\ndemo FAILED');
  return ok || preset ? 0 : 1;
}

/** Node 1 creates a group with tree 1 -> 2 -> 3 and pushes 16 MiB to nodes 2 and 3 losslessly. */
async function losslessPart(nodes: Dataplane[]): Promise<boolean> {
  const [src, n2, n3] = nodes as [Dataplane, Dataplane, Dataplane];
  const size = 16 * 1024 * 1024;
  console.log(`\nlossless multicast: node 1 -> group along 1 -> 2 -> 3, ${formatBytes(size)} to nodes 2 and 3`);
  const g = await src.createGroup('weights-sync');
  await src.setGroupRoutes(g.groupId, [[1, 2], [2, 3]]);
  for (const n of [n2, n3]) {
    await n.joinGroup(g.groupId);
    await n.waitForLocalMembership(g.groupId, { timeoutMs: 10_000 });
  }
  console.log(`group ${g.groupId} "${g.label}" at ${g.groupIp}, members 2 and 3`);
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i += 4096) data.fill((i >>> 12) & 255, i, i + 4096);
  const recv = [n2, n3].map((n) => n.receiveData({ groupId: g.groupId, destIp: g.groupIp, sourceNodeId: 1, expectedBytes: size }));
  const bar = new ProgressBar('sending');
  const t0 = performance.now();
  const sid = src.sendData({ groupId: g.groupId, destIp: g.groupIp, receiverIds: [2, 3], buffer: PacketView.fromBuffer(data, { copy: false }) });
  const off = src.onSessionProgress((e) => {
    if (e.sessionId !== sid) return;
    bar.transfer(e.progress.bytesSent, e.progress.bytesConfirmed, e.progress.bytesTotal, `receivers done ${e.progress.receiversDone}/2, resent ${e.progress.retransmitted}, repair ${e.progress.repairSymbols}`);
  });
  const done = await src.losslessWait(sid, { timeoutMs: 120_000 });
  off();
  const p = src.sessionProgress(sid);
  bar.transfer(p.bytesSent, p.bytesConfirmed, p.bytesTotal, `receivers done ${p.receiversDone}/2, resent ${p.retransmitted}, repair ${p.repairSymbols}`);
  bar.finish();
  const secs = (performance.now() - t0) / 1000;
  if (!done) {
    const outcome = src.sessionOutcome(sid);
    console.log(`lossless transfer did not complete: ${outcome ? outcome.status : 'still running after 120 s'}`);
    return false;
  }
  let ok = true;
  for (const [i, n] of [n2, n3].entries()) {
    await n.losslessWait(recv[i]!, { timeoutMs: 10_000 });
    const got = n.getDataBuffer(recv[i]!);
    const intact = hex(got.read()) === hex(data);
    ok &&= intact;
    console.log(`node ${n.nodeId}: ${formatBytes(got.length)} sha256 ${hex(got.read())} ${intact ? 'intact' : 'CORRUPT'}`);
  }
  console.log(`completed in ${secs.toFixed(2)} s (${(size / (1 << 20) / secs).toFixed(1)} MiB/s to each receiver)`);
  return ok;
}
