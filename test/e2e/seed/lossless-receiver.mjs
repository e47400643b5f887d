// The seed's lossless receiver, transcribed. Usage: node lossless-receiver.mjs /abs/path/to/receiver-node.toml [blockSize]
//
// Two deliberate differences from the seed snippet, both explained in the README:
// - it does not call set_group_routes: only a group's source may (NOT_GROUP_SOURCE);
// - it takes the group's address from the directory instead of hard-coding 239.255.0.10.
import { createHash } from 'node:crypto';
import { Dataplane, isNextminiError } from '../../../dist/node.js';

const sizeKey = process.argv[3] === 'blockSize' ? 'blockSize' : 'chunkSize';

const dpDst = await Dataplane.open(process.argv[2]);
await dpDst.waitForTopologyReady({ timeoutMs: 30_000 });
for (let i = 0; ; i++) {
  try {
    await dpDst.joinGroup(1); // join_group(group_id=1); the source may not have created it yet
    break;
  } catch (err) {
    if (!isNextminiError(err, 'UNKNOWN_GROUP') || i > 400) throw err;
    await new Promise((r) => setTimeout(r, 25));
  }
}
const recvSid = dpDst.receiveData({
  groupId: 1,
  destIp: dpDst.getGroup(1).groupIp,
  sourceNodeId: 1,
  expectedBytes: 1_024_000,
  // chunk_size=8192; with a second argument `blockSize`, under upstream's code's name for it.
  [sizeKey]: 8192,
});

async function waitForSession() {
  const ok = await dpDst.losslessWaitAsync(recvSid, { timeoutMs: 60_000 });
  if (!ok) throw new Error(`lossless receive did not complete: ${recvSid} (${JSON.stringify(dpDst.sessionOutcome(recvSid))})`);
}
await waitForSession();

const payload = dpDst.getDataBuffer(recvSid, { consume: true });
console.log(JSON.stringify({ role: 'receiver', nodeId: dpDst.nodeId, length: payload.length, sha256: createHash('sha256').update(payload.read()).digest('hex') }));
// Stay up: this node may forward for others. The test stops us once everyone reported.
process.once('SIGTERM', () => dpDst.close().then(() => process.exit(0)));
