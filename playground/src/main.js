// The playground: starts a controller and every node of the chosen topology in this tab
// (startNetwork over the memory transport), draws them, samples link counters twice a second,
// and wires the panels. window.playground exposes the running network for curious visitors.
import { init, startNetwork } from '../../dist/browser.js';
import { topologyFrom } from './topology.js';
import { Graph, linkKey } from './graph.js';
import { Sampler } from './sampler.js';
import { LinkPanel } from './link-panel.js';
import { NodePanel } from './node-panel.js';
import { LineChart, legend, formatRate, WINDOW_S } from './charts.js';
import { runMulticast } from './multicast.js';
import { parseIds } from './tree.js';
import { parseMiB, MiB } from './size.js';
import { Pinger } from './ping.js';

const $ = (id) => document.getElementById(id);
const state = { net: null, topo: null, links: [], sampler: null, pinger: null, selected: null, drawn: [], rxHistory: new Map(), busy: false };

function status(id, msg, cls = '') {
  $(id).textContent = msg;
  $(id).className = cls;
}

function log(msg, cls = '') {
  const li = document.createElement('li');
  li.textContent = `${new Date().toLocaleTimeString()}  ${msg}`;
  li.className = cls;
  $('log').prepend(li);
  while ($('log').children.length > 200) $('log').lastElementChild.remove();
}

const errText = (err) => (err?.code ? `${err.code}: ${err.message}` : (err?.message ?? String(err)));

const graph = new Graph($('graph'), {
  onNode(id) {
    state.selected = { node: id };
    graph.select(state.selected);
    $('select-hint').hidden = true;
    $('link-panel').hidden = true;
    $('node-panel').hidden = false;
    nodePanel.show(id);
  },
  onLink(a, b) {
    if ($('mc-tree').value === 'drawn') toggleDrawn(a, b);
    state.selected = { link: linkKey(a, b), a, b };
    graph.select(state.selected);
    $('select-hint').hidden = true;
    $('node-panel').hidden = true;
    $('link-panel').hidden = false;
    linkPanel.show(a, b);
    if (state.sampler) linkPanel.render(state.sampler);
  },
});
const linkPanel = new LinkPanel((msg, cls) => status('panel-status', msg, cls));
const nodePanel = new NodePanel();
const linkChart = new LineChart($('chart-links'));
const rxChart = new LineChart($('chart-rx'));

function toggleDrawn(a, b) {
  const k = linkKey(a, b);
  const i = state.drawn.findIndex(([x, y]) => linkKey(x, y) === k);
  if (i >= 0) state.drawn.splice(i, 1);
  else state.drawn.push([a, b]);
  graph.highlightTree(state.drawn.map(([x, y]) => linkKey(x, y)));
  showDrawn();
}

function showDrawn() {
  $('mc-drawn').textContent = $('mc-tree').value === 'drawn' ? `drawn links: ${state.drawn.map(([a, b]) => `${a}-${b}`).join(', ') || 'none yet — click links on the graph'}` : '';
}

/** After each sample: recolour links, refresh the selection and the link chart. */
function onSample(sampler) {
  const states = new Map(state.links.map(([a, b]) => [linkKey(a, b), sampler.link(a, b)]));
  graph.update(states);
  if (state.selected?.link) linkPanel.render(sampler);
  if (state.selected?.node) nodePanel.render();
  // The selected link's two directions, then the others busiest within the chart's window (by
  // peak, not the rate of this instant: a transfer that just ended stays on the chart).
  const dirs = [...sampler.history.keys()];
  const sel = state.selected?.link ? [`${state.selected.a}>${state.selected.b}`, `${state.selected.b}>${state.selected.a}`] : [];
  const peak = (d) => Math.max(0, ...(sampler.history.get(d) ?? []).filter(([t]) => t >= sampler.now - WINDOW_S).map(([, r]) => r));
  const busiest = dirs.filter((d) => !sel.includes(d)).map((d) => [d, peak(d)]).filter(([, r]) => r > 0).sort((x, y) => y[1] - x[1]).slice(0, 5 - sel.length).map(([d]) => d);
  const shown = [...sel, ...busiest];
  linkChart.render(shown.map((d) => ({ name: d, points: sampler.history.get(d) ?? [] })), sampler.now);
  legend($('legend-links'), shown.map((d) => `${d.replace('>', '→')} ${formatRate(sampler.dir.get(d)?.rate ?? 0)}`));
  renderRx(); // keeps the receivers' chart moving with time after a transfer
}

/** Seconds on the sampler's clock, which both charts share. */
const clock = () => (state.sampler ? (performance.now() - state.sampler.t0) / 1000 : 0);

function renderRx() {
  const ids = [...state.rxHistory.keys()];
  rxChart.render(ids.map((m) => ({ name: String(m), points: state.rxHistory.get(m) })), clock());
  legend($('legend-rx'), ids.map((m) => `node ${m}`));
}

/** The chooser's inputs follow the kind: a size for mesh, ring and torus, edges for custom. */
const SIZE = { full_mesh: ['n', '6'], ring: ['n', '6'], torus: ['side', '3'] };
const MC_DEFAULTS = { full_mesh: ['1', '3, 4, 5'], ring: ['1', '3, 4, 5'], torus: ['1', '5, 6, 9'], fat_tree: ['21', '25, 29, 33, 36'], custom: ['1', '3, 5'] };
function onKind() {
  const kind = $('topo-kind').value;
  $('topo-n-label').hidden = !SIZE[kind];
  $('topo-edges-label').hidden = kind !== 'custom';
  if (SIZE[kind]) {
    $('topo-n-name').textContent = SIZE[kind][0];
    $('topo-n').value = SIZE[kind][1];
  }
}
$('topo-kind').addEventListener('change', onKind);
$('mc-tree').addEventListener('change', () => {
  state.drawn = [];
  graph.highlightTree([]);
  showDrawn();
});

async function startTopology() {
  let topo;
  try {
    topo = topologyFrom({ kind: $('topo-kind').value, n: $('topo-n').value, edges: $('topo-edges').value });
  } catch (err) {
    status('topo-status', errText(err), 'err');
    return;
  }
  $('topo-start').disabled = true;
  status('topo-status', `starting ${topo.label}…`);
  const old = state.net;
  state.sampler?.stop();
  state.net = null;
  if (old) await old.close();
  try {
    await init();
    const t0 = performance.now();
    const net = await startNetwork(topo.config);
    const ready = await net.ready({ timeoutMs: 20_000 });
    // The links as the nodes know them (each node lists its neighbours): the drawing shows
    // exactly what the controller built.
    const seen = new Map();
    for (const n of net.nodes) for (const l of n.stats().links) seen.set(linkKey(n.nodeId, l.neighbor), [Math.min(n.nodeId, l.neighbor), Math.max(n.nodeId, l.neighbor)]);
    state.links = [...seen.values()].sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    Object.assign(state, { net, topo, selected: null, drawn: [], pinger: new Pinger(net, log) });
    state.rxHistory.clear();
    graph.draw(topo, state.links);
    linkPanel.setNetwork(net);
    nodePanel.setNetwork(net);
    $('node-panel').hidden = true;
    $('link-panel').hidden = true;
    $('select-hint').hidden = false;
    $('mc-rows').replaceChildren();
    [$('mc-source').value, $('mc-members').value] = MC_DEFAULTS[topo.kind];
    showDrawn();
    state.sampler = new Sampler(net, onSample);
    renderRx();
    const ms = Math.round(performance.now() - t0);
    status('topo-status', `${topo.label}: ${net.nodes.length} nodes, ${state.links.length} link${state.links.length === 1 ? '' : 's'}, ${ready ? `ready in ${ms} ms` : 'not ready after 20 s'}`, ready ? 'ok' : 'err');
    log(`started ${topo.label} in this tab (${net.nodes.length} nodes, ${state.links.length} link${state.links.length === 1 ? '' : 's'}, memory transport)`);
    window.playground = { net, topo: state.topo, links: state.links };
  } catch (err) {
    status('topo-status', `could not start ${topo.label}: ${errText(err)}`, 'err');
  } finally {
    $('topo-start').disabled = false;
  }
}

$('topo').addEventListener('submit', (e) => {
  e.preventDefault();
  startTopology();
});

$('mc-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  if (!state.net || state.busy) return;
  const n = state.net.nodes.length;
  let source;
  let members;
  let mib;
  try {
    [source] = parseIds($('mc-source').value, n, 'source');
    if (parseIds($('mc-source').value, n, 'source').length !== 1) throw new Error('source: give one node id');
    members = parseIds($('mc-members').value, n, 'members').filter((m) => m !== source);
    mib = parseMiB($('mc-size').value) / MiB;
  } catch (err) {
    log(`multicast: ${errText(err)}`, 'err');
    return;
  }
  const net = state.net;
  state.busy = true;
  $('mc-send').disabled = true;
  state.rxHistory = new Map(members.map((m) => [m, []]));
  try {
    await runMulticast({
      net,
      links: state.links,
      drawn: $('mc-tree').value === 'drawn' ? state.drawn : null,
      source,
      members,
      mib,
      congestion: $('mc-cc').value,
      graph,
      log,
      onTick(m, _t, rate) {
        if (state.net !== net) return;
        state.rxHistory.get(m)?.push([clock(), rate]);
        renderRx();
      },
    });
  } catch (err) {
    // Start network closes the nodes under a running transfer: say so, not what the closed
    // nodes' calls threw on the way out.
    if (state.net !== net) log('multicast stopped: the network it ran on was closed by Start network; send again on this one', 'err');
    else log(`multicast: ${errText(err)}`, 'err');
  } finally {
    state.busy = false;
    $('mc-send').disabled = false;
  }
});

function pair() {
  const n = state.net.nodes.length;
  const [src] = parseIds($('ping-src').value, n, 'from');
  const [dst] = parseIds($('ping-dst').value, n, 'to');
  return [src, dst];
}

$('ping-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  if (!state.net) return;
  try {
    const [src, dst] = pair();
    $('ping-samples').replaceChildren();
    const spans = [];
    const { rtts, late } = await state.pinger.ping(
      src,
      dst,
      5,
      (seq, rtt) => {
        const s = document.createElement('span');
        s.textContent = rtt === null ? `#${seq} no answer` : `#${seq} ${rtt.toFixed(2)} ms`;
        s.className = rtt === null ? 'err' : '';
        spans[seq] = s;
        $('ping-samples').append(s);
      },
      (seq, rtt) => {
        spans[seq].textContent = `#${seq} late: ${rtt.toFixed(2)} ms`;
        spans[seq].className = 'late';
      },
    );
    const ok = rtts.filter((r) => r !== null);
    const ms = (xs) => `${Math.min(...xs).toFixed(2)} / avg ${(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(2)} / max ${Math.max(...xs).toFixed(2)} ms`;
    const lateMs = late.map(([, r]) => r);
    const lateText = late.length ? `, ${late.length} late (${Math.min(...lateMs).toFixed(2)}–${Math.max(...lateMs).toFixed(2)} ms), queued or delayed, not lost` : '';
    const lost = rtts.length - ok.length - late.length;
    log(`ping ${src} → ${dst}: ${ok.length}/${rtts.length} answered within 2 s${ok.length ? `, min ${ms(ok)}` : ''}${lateText}${lost ? `, ${lost} no answer` : ''}`, lost === 0 ? 'ok' : 'err');
  } catch (err) {
    log(`ping: ${errText(err)}`, 'err');
  }
});

$('uni-send').addEventListener('click', async () => {
  if (!state.net) return;
  try {
    const [src, dst] = pair();
    const text = $('uni-text').value;
    const bytes = new TextEncoder().encode(text);
    // Spelled out when short, by size when long, as the receiving side logs it.
    await state.pinger.send(src, dst, bytes, bytes.length <= 120 ? JSON.stringify(text) : `${bytes.length} bytes`);
  } catch (err) {
    log(`send: ${errText(err)}`, 'err');
  }
});

$('topo-kind').value = 'ring';
onKind();
startTopology();
