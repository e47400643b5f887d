// A relay node from the installed package (run by Deno in the cross-runtime relay test):
//   relay-node.mjs <controller url> <own id> <peer id> <size> [auth token]
// Registers a receiver for the peer, sends it <size> deterministic bytes (seed = own id),
// prints "SENT <sha256>", then waits for the peer's payload and prints "GOT <length> <sha256>".
import { Dataplane, PacketView } from 'nextmini';
import { payloadFor } from './payload.mjs';

const [url, own, peer, size, token] = (typeof Deno !== 'undefined' ? Deno.args : process.argv.slice(2));
const hex = async (b) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', b)), (x) => x.toString(16).padStart(2, '0')).join('');

const dp = await Dataplane.open({ node_id: Number(own), controller_addr: url, protocol: 'relay', ...(token ? { auth_token: token } : {}) });
const rx = dp.registerReceiverFromNode({ srcNodeId: Number(peer) });
const data = payloadFor(Number(size), Number(own));
await dp.sendToNode({ dstNodeId: Number(peer), frozen: PacketView.fromBuffer(data, { copy: false }) });
console.log(`SENT ${await hex(data)}`);
const d = await rx.recv({ timeoutMs: 30_000 });
console.log(d ? `GOT ${d.payload.length} ${await hex(d.payload)}` : 'GOT none');
console.log(`STATS ${JSON.stringify(dp.stats().drops)}`);
await dp.close();
