// The seed's "Lossless sessions" example, source side, transcribed from nextmini_py to
// nextmini's TypeScript idiom. Usage: node lossless-source.mjs /abs/path/to/source-node.toml [blockSize]
import { Dataplane, PacketBuilder } from '../../../dist/node.js';
import { payloadFor } from '../payload.mjs';

const sizeKey = process.argv[3] === 'blockSize' ? 'blockSize' : 'chunkSize';

const dpSrc = await Dataplane.open(process.argv[2]);
await dpSrc.waitForTopologyReady({ timeoutMs: 30_000 });
await dpSrc.createGroup('weights-sync');
const { groupId, groupIp, srcNodeId } = await dpSrc.groupIsReady({ timeoutMs: 30_000 });
await dpSrc.setGroupRoutes(groupId, [[srcNodeId, 2], [2, 3]]);

const view = new PacketBuilder({ size: 4096 });
view.write(payloadFor(1_024_000, 2024)); // "...serialized payload..." (1 MB, as the receivers expect)
const frozen = view.freeze();

const sendSid = dpSrc.sendData({
  groupId,
  destIp: groupIp,
  receiverIds: [2, 3],
  buffer: frozen,
  // chunk_size=8192; with a second argument `blockSize`, under upstream's code's name for it.
  [sizeKey]: 8192,
});
console.log(JSON.stringify({ role: 'source', groupId, groupIp, completed: await dpSrc.losslessWait(sendSid, { timeoutMs: 60_000 }) }));
await dpSrc.close();
