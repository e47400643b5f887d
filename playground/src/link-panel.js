// The selected link: both directions' counters (live), and its emulation controls. Sliders
// call controller.setLink as they move (debounced); presets replace the link's settings.
import { PRESETS } from './presets.js';
import { formatRate } from './charts.js';

const $ = (id) => document.getElementById(id);

const mbit = (m) => `${m >= 10 ? Math.round(m) : m.toFixed(1)} Mbit/s`;

/** The sliders: config key, setLink key, slider value -> setLink value, and back. */
const SLIDERS = [
  // Rate on a log scale, 1 Mbit/s to 1 Gbit/s: slider v means 10^(v/100) Mbit/s.
  { id: 'rate', key: 'rate', to: (v) => Math.round(10 ** (v / 100) * 125_000), from: (c) => (c.rate === undefined ? 300 : Math.round(100 * Math.log10(c.rate / 125_000))), show: (v) => mbit(10 ** (v / 100)) },
  { id: 'delay', key: 'delayMs', to: (v) => v, from: (c) => c.delay_ms ?? 0, show: (v) => `${v} ms` },
  { id: 'jitter', key: 'jitterMs', to: (v) => v, from: (c) => c.jitter_ms ?? 0, show: (v) => `${v} ms` },
  // The slider moves in whole percent, but a link may hold less (wan's 0.1%): `exact` shows
  // what the link has rather than the slider's rounding of it.
  { id: 'loss', key: 'loss', to: (v) => v / 100, from: (c) => Math.round((c.loss ?? 0) * 100), show: (v) => `${v} %`, exact: (c) => `${Number(((c.loss ?? 0) * 100).toFixed(3))} %` },
];

export class LinkPanel {
  constructor(onStatus) {
    this.onStatus = onStatus;
    this.net = null;
    this.link = null; // [a, b]
    this.timer = undefined;
    for (const s of SLIDERS) {
      const input = $(`slider-${s.id}`);
      input.addEventListener('input', () => {
        $(`value-${s.id}`).textContent = s.show(Number(input.value));
        clearTimeout(this.timer);
        // What to set and where are fixed now: by the time the debounce fires another link may
        // be selected, its settings loaded into these sliders.
        const params = { [s.key]: s.to(Number(input.value)) };
        const at = { link: this.link, dir: $('link-dir').value };
        this.timer = setTimeout(() => this.apply(params, false, undefined, at), 150);
      });
    }
    $('link-dir').addEventListener('change', () => this.load());
    const presets = $('presets');
    for (const [name, p] of Object.entries(PRESETS)) {
      const b = document.createElement('button');
      b.textContent = name;
      b.title = p.about;
      b.dataset.testid = `preset-${name}`;
      b.addEventListener('click', () => this.apply(p.link, true, name));
      presets.append(b);
    }
    $('preset-help').textContent = Object.entries(PRESETS).map(([n, p]) => `${n}: ${p.about}`).join(' · ');
  }

  setNetwork(net) {
    this.net = net;
    this.link = null;
  }

  /** Shows link a — b and loads its settings (direction a -> b) into the sliders. */
  show(a, b) {
    this.link = [a, b];
    $('link-title').textContent = `Link ${a} — ${b}`;
    $('dir-ab').textContent = `${a} → ${b}`;
    $('dir-ba').textContent = `${b} → ${a}`;
    this.load();
  }

  load() {
    if (!this.net || !this.link) return;
    const [a, b] = this.link;
    const dir = $('link-dir').value;
    const cfg = dir === 'ba' ? this.net.controller.getLink(b, a) : this.net.controller.getLink(a, b);
    for (const s of SLIDERS) {
      const v = s.from(cfg);
      $(`slider-${s.id}`).value = String(v);
      $(`value-${s.id}`).textContent = s.exact ? s.exact(cfg) : s.show(v);
    }
    $('link-extra').textContent = cfg.loss_burst ? `also: bursty loss ${JSON.stringify(cfg.loss_burst)}` : '';
  }

  /** Calls setLink on the chosen direction(s); `replace` starts from no shaping (presets). */
  async apply(params, replace = false, label, at = { link: this.link, dir: $('link-dir').value }) {
    if (!this.net || !at.link) return;
    const [a, b] = at.link;
    const { dir } = at;
    const [src, dst] = dir === 'ba' ? [b, a] : [a, b];
    const where = dir === 'both' ? `${a} ⇄ ${b}` : `${src} → ${dst}`;
    try {
      await this.net.controller.setLink({ srcNodeId: src, dstNodeId: dst, bidirectional: dir === 'both', replace, ...params });
      const what = label ? `preset ${label}` : Object.entries(params).map(([k, v]) => `${k} = ${v}`).join(', ');
      this.onStatus(`setLink ${where}: ${what}`, 'ok');
      if (label && at.link === this.link) this.load();
    } catch (err) {
      this.onStatus(`setLink ${where} failed: ${err.code ?? ''} ${err.message}`, 'err');
    }
  }

  /** Refreshes the counters table from the sampler. */
  render(sampler) {
    if (!this.link) return;
    const [a, b] = this.link;
    const rows = [
      [a, b],
      [b, a],
    ].map(([s, d]) => {
      const c = sampler.dir.get(`${s}>${d}`);
      const tr = document.createElement('tr');
      const cells = [`${s} → ${d}`, c ? formatRate(c.rate) : '—', c?.packetsSent ?? 0, c?.bytesSent ?? 0, c?.dropsLoss ?? 0, c?.dropsQueue ?? 0, c?.queueDepth ?? 0];
      tr.innerHTML = cells.map(() => '<td></td>').join('');
      cells.forEach((v, i) => (tr.children[i].textContent = String(v)));
      tr.children[4].dataset.testid = `loss-${s}-${d}`;
      return tr;
    });
    $('link-counters').replaceChildren(...rows);
  }
}
