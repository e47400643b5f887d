// "Join a real network": one Dataplane node in this tab against a remote controller, over the
// relay (browsers have no UDP or TCP sockets: its datagrams travel over a WebSocket to the
// controller), receivers for every other node, and live stats. Ids here carry a relay- prefix.
import { init, Dataplane, NextminiError } from '../../dist/browser.js';

const $ = (id) => document.getElementById(`relay-${id}`);
const text = new TextDecoder();
let dp;
let statsTimer;

function status(msg, cls = '') {
  $('status').textContent = msg;
  $('status').className = cls;
}

function log(list, line) {
  const li = document.createElement('li');
  li.textContent = `${new Date().toLocaleTimeString()}  ${line}`;
  $(list).append(li);
  li.scrollIntoView({ block: 'nearest' });
}

const preview = (bytes) => (bytes.length <= 200 ? JSON.stringify(text.decode(bytes)) : `${bytes.length} bytes`);

function renderStats() {
  if (!dp) return;
  const s = dp.stats();
  const drops = Object.entries(s.drops).filter(([, v]) => v > 0).map(([k, v]) => `${k}=${v}`).join(' ') || 'none';
  const rows = [
    ['messages sent', s.messagesSent],
    ['packets sent', s.packetsSent],
    ['packets received', s.packetsReceived],
    ['messages delivered', s.messagesDelivered],
    ['bytes delivered', s.bytesDelivered],
    ['topology ready', dp.topologyReady],
    ['drops', drops],
  ];
  $('stats').replaceChildren(...rows.map(([k, v]) => {
    const tr = document.createElement('tr');
    tr.innerHTML = '<td></td><td></td>';
    tr.children[0].textContent = k;
    tr.children[1].textContent = String(v);
    return tr;
  }));
}

async function listen(node, peers) {
  for (const peer of peers) {
    const rx = node.registerReceiverFromNode({ srcNodeId: peer });
    (async () => {
      for await (const d of rx) log('received', `from node ${d.srcNodeId} (${d.srcIp}): ${preview(d.payload)}`);
    })().catch(() => {});
  }
}

function setOpen(open) {
  $('open').disabled = open;
  $('close').disabled = !open;
  $('send').disabled = !open;
  $('bulk').disabled = !open;
}

$('open').onclick = async () => {
  $('open').disabled = true;
  status('connecting…');
  try {
    await init();
    const nodeId = Number($('node').value);
    dp = await Dataplane.open({ node_id: nodeId, controller_addr: $('url').value.trim() }, { connectTimeoutMs: 5000 });
    const info = dp.getNetworkInfo();
    status(`node ${info.nodeId} (${info.userSpaceAddr}) open over ${info.protocols.join(' and ')} (peers in other processes: relay)`, 'ok');
    setOpen(true);
    // Listen to every node of the topology (ids up to 16 are plenty for a demo).
    await listen(dp, Array.from({ length: 16 }, (_, i) => i + 1).filter((n) => n !== nodeId));
    statsTimer = setInterval(renderStats, 500);
    renderStats();
  } catch (err) {
    dp = undefined;
    setOpen(false);
    status(err instanceof NextminiError ? `${err.code}: ${err.message}` : String(err), 'err');
  }
};

$('close').onclick = async () => {
  clearInterval(statsTimer);
  await dp?.close();
  dp = undefined;
  setOpen(false);
  status('closed');
};

async function send(bytes, label) {
  const dst = Number($('dst').value);
  try {
    const id = await dp.sendToNode({ dstNodeId: dst, frozen: bytes });
    log('sent', `to node ${dst} (#${id}): ${label}`);
  } catch (err) {
    log('sent', `to node ${dst} failed: ${err.code ?? ''} ${err.message}`);
  }
  renderStats();
}

$('send').onclick = () => send(new TextEncoder().encode($('msg').value), JSON.stringify($('msg').value));
$('bulk').onclick = () => send(new Uint8Array(1024 * 1024).map((_, i) => i), '1048576 bytes');
$('msg').onkeydown = (e) => e.key === 'Enter' && !$('send').disabled && $('send').click();
