// A relay stream node from the installed package (run by Deno in the cross-runtime stream test):
//   stream-node.mjs <controller url> <own id> <peer id> <peer port> <size> <auth token>
// Connects to <peer>:<peer port>, exchanges <size> bytes each way (seed = own id), prints
// "RESULT <json>" (what it read, or the error) and exits.
import { Dataplane } from 'nextmini';
import { payloadFor } from './payload.mjs';
import { exchange } from './stream-exchange.mjs';

const [url, own, peer, port, size, token] = typeof Deno !== 'undefined' ? Deno.args : process.argv.slice(2);
const dp = await Dataplane.open({ node_id: Number(own), controller_addr: url, protocol: 'relay', auth_token: token });
let result;
try {
  if (!(await dp.waitForTopologyReady({ timeoutMs: 10_000 }))) throw new Error('topology not ready within 10 s');
  result = await exchange(await dp.connect({ dstNodeId: Number(peer), dstPort: Number(port) }), payloadFor(Number(size), Number(own)));
  result.drops = dp.stats().drops;
} catch (e) {
  result = { error: `${e.code}: ${e.message}` };
}
console.log(`RESULT ${JSON.stringify(result)}`);
await dp.close();
