// The playground (playground/index.html) as a visitor uses it, in headless Chromium against
// the page served by playground/serve.mjs (dist/ is built by `npm test`): it loads clean, a
// fat tree k = 4 draws 36 nodes, and a 4 MiB lossless multicast survives 10% loss set on one
// tree link through that link's real slider, with every receiver's SHA-256 checked; and the
// "Join a real network" panel talks to playground/echo-node.mjs through a controller over the relay.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { parse } from 'smol-toml';
import { startController, type ControllerConfig } from 'nextmini';
import { serve } from '../../playground/serve.mjs';
import { chromiumPath, CHROMIUM_ARGS, root } from './project.js';

/** Where the test leaves its screenshot (build/ is the tests' output directory, not committed). */
const OUT = join(root, 'build', 'test-output');

let server: Server;
let url = '';
let browser: Browser;

beforeAll(async () => {
  ({ server, url } = await serve(0));
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
});
afterAll(async () => {
  await browser?.close();
  server?.close();
});

/** A 1280×800 page on the playground, with every console error and uncaught exception collected. */
async function open(): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${String(e)}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
  await page.goto(url);
  return { page, errors };
}

const ready = (page: Page, label: RegExp) =>
  page.waitForFunction((src) => new RegExp(src).test(document.querySelector('[data-testid="topo-status"]')?.textContent ?? ''), label.source, { timeout: 30_000 });

describe('playground', () => {
  it('loads with no console errors: the default ring of 6 starts, a node shows its stats, a ping is answered', async () => {
    const { page, errors } = await open();
    try {
      await ready(page, /ring of 6: 6 nodes, 6 links, ready in/);
      await page.click('[data-testid="node-3"]');
      await expect.poll(() => page.textContent('#node-stats')).toMatch(/packets sent/);
      await page.click('[data-testid="ping-go"]');
      await expect.poll(() => page.textContent('[data-testid="log"]'), { timeout: 15_000 }).toMatch(/ping 1 → 4: 5\/5 answered/);
      await page.click('[data-testid="uni-send"]');
      await expect.poll(() => page.textContent('[data-testid="log"]')).toMatch(/node 4 received from 1: "hello, network"/);
      // A long text is logged by its size on both sides, not spelled out in full.
      await page.fill('[data-testid="uni-text"]', 'x'.repeat(5000));
      await page.click('[data-testid="uni-send"]');
      await expect.poll(() => page.textContent('[data-testid="log"]')).toMatch(/node 4 received from 1: 5000 bytes/);
      await expect.poll(() => page.textContent('[data-testid="log"]')).toMatch(/node 1 sent #\d+ to 4: 5000 bytes/);
      expect(await page.textContent('[data-testid="log"]')).not.toMatch(/x{121}/);
      // A slider moved just before another link is clicked sets the link it was moved on (it is
      // applied 150 ms later, and used to land on whichever link was selected by then).
      await page.evaluate(() => {
        const hit = (k: string) => document.querySelector(`[data-testid="link-${k}"] + .link-hit`)!.dispatchEvent(new MouseEvent('click', { bubbles: true }));
        hit('1-2');
        const s = document.querySelector<HTMLInputElement>('[data-testid="slider-loss"]')!;
        s.value = '7';
        s.dispatchEvent(new Event('input'));
        hit('2-3');
      });
      await expect.poll(() => page.textContent('[data-testid="panel-status"]')).toBe('setLink 1 ⇄ 2: loss = 0.07');
      const losses = await page.evaluate(() => {
        const c = (window as unknown as { playground: { net: { controller: { getLink(a: number, b: number): { loss?: number } } } } }).playground.net.controller;
        return [c.getLink(1, 2).loss, c.getLink(2, 3).loss];
      });
      expect(losses).toEqual([0.07, undefined]);
      // A preset's sub-percent loss shows as it is, not as the whole-percent slider rounds it.
      await page.click('[data-testid="link-1-2"] + .link-hit');
      await page.click('[data-testid="preset-wan"]');
      await expect.poll(() => page.textContent('[data-testid="panel-status"]')).toBe('setLink 1 ⇄ 2: preset wan');
      expect(await page.textContent('#value-loss')).toBe('0.1 %');
      // A bad custom topology is refused with what to fix, and the running network stays.
      await page.selectOption('[data-testid="topo-kind"]', 'custom');
      await page.fill('[data-testid="topo-edges"]', '1-2, 2-x');
      await page.click('[data-testid="topo-start"]');
      await expect.poll(() => page.textContent('[data-testid="topo-status"]')).toMatch(/link 2 "2-x" is not a pair of node ids/);
      await page.waitForTimeout(1200); // a few samples: the periodic code runs too
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('a fat tree k = 4 draws 36 nodes and 48 links', async () => {
    const { page, errors } = await open();
    try {
      await ready(page, /ready in/);
      await page.selectOption('[data-testid="topo-kind"]', 'fat_tree');
      await page.click('[data-testid="topo-start"]');
      await ready(page, /fat tree k = 4: 36 nodes, 48 links, ready in/);
      expect(await page.locator('[data-testid="graph"] [data-testid^="node-"]').count()).toBe(36);
      expect(await page.locator('[data-testid="graph"] [data-testid^="link-"]').count()).toBe(48);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('a 4 MiB lossless multicast with 10% loss on one tree link (set by its slider) completes, every receiver verified; only that link loses', async () => {
    const { page, errors } = await open();
    try {
      await ready(page, /ring of 6: 6 nodes, 6 links, ready in/);
      // Link 1 — 2 is on the shortest-path tree from 1 to 3, 4 and 5 (1→2→3→4, 1→6→5).
      await page.click('[data-testid="link-1-2"] + .link-hit');
      await expect.poll(() => page.textContent('#link-title')).toBe('Link 1 — 2');
      const slider = page.locator('[data-testid="slider-loss"]');
      await slider.focus();
      for (let i = 0; i < 10; i++) await slider.press('ArrowRight');
      expect(await slider.inputValue()).toBe('10');
      await expect.poll(() => page.textContent('[data-testid="panel-status"]')).toBe('setLink 1 ⇄ 2: loss = 0.1');

      const graphHeight = async () => (await page.locator('[data-testid="graph"]').boundingBox())!.height;
      const heightBefore = await graphHeight();
      const dropsOf = () => page.$$eval('[data-testid="graph"] path[data-testid^="link-"]', (ls) => Object.fromEntries(ls.map((l) => [l.getAttribute('data-testid'), Number(l.getAttribute('data-drops'))])));
      expect(Object.values(await dropsOf()).every((v) => v === 0)).toBe(true); // nothing lost before the transfer

      await page.fill('[data-testid="mc-size"]', '4');
      await page.click('[data-testid="mc-send"]');
      // Mid-transfer the links' legend fills up (five directions): the graph above keeps its size.
      await expect.poll(() => page.locator('#legend-links .key').count(), { timeout: 10_000 }).toBe(5);
      expect(await graphHeight()).toBeCloseTo(heightBefore, 0);
      await expect.poll(() => page.textContent('[data-testid="log"]'), { timeout: 50_000, interval: 500 }).toMatch(/receivers verified/);
      for (const m of [3, 4, 5]) expect(await page.textContent(`[data-testid="verify-${m}"]`)).toBe('SHA-256 OK');
      expect(await page.textContent('[data-testid="log"]')).toMatch(/completed in [\d.]+ s: 3\/3 receivers verified/);
      expect(Number(await page.textContent('[data-testid="mc-repair"]')) + Number(await page.textContent('[data-testid="mc-retx"]'))).toBeGreaterThan(0);

      await page.waitForTimeout(700); // one more sample of the counters
      const drops = await dropsOf();
      expect(Object.keys(drops)).toHaveLength(6);
      expect(drops['link-1-2']).toBeGreaterThan(0);
      for (const [k, v] of Object.entries(drops)) if (k !== 'link-1-2') expect([k, v]).toEqual([k, 0]);
      expect(Number(await page.textContent('[data-testid="loss-1-2"]'))).toBeGreaterThan(0);

      mkdirSync(OUT, { recursive: true });
      await page.screenshot({ path: join(OUT, 'playground-multicast.png') });

      // The charts tell the truth after the transfer: the links' chart still shows the traffic of
      // the last 30 s once the links are idle, and the receivers' latest points sit at the right
      // ("now"), not at the left ("−30 s") as they did while the page was younger than 30 s.
      await page.click('[data-testid="node-6"]'); // no link selected: the chart shows the busiest of the window
      const rates = () => page.$$eval('[data-testid="graph"] path[data-testid^="link-"]', (ls) => ls.map((l) => Number(l.getAttribute('data-rate'))));
      await expect.poll(async () => (await rates()).every((r) => r === 0), { timeout: 10_000 }).toBe(true); // every link idle now
      await page.waitForTimeout(700); // and a sample since the click
      expect(await page.locator('#chart-links polyline').count()).toBeGreaterThan(0);
      const lastX = await page.$$eval('#chart-rx polyline', (ps) => ps.map((p) => Number(p.getAttribute('points')!.trim().split(' ').pop()!.split(',')[0])));
      expect(lastX).toHaveLength(3);
      for (const x of lastX) expect(x).toBeGreaterThan(300); // the plot spans x 58..352
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('a size that rounds to no bytes is refused before anything is sent; Start network during a transfer says the transfer stopped', async () => {
    const { page, errors } = await open();
    try {
      await ready(page, /ring of 6: 6 nodes, 6 links, ready in/);
      await page.fill('[data-testid="mc-size"]', '0.0000001');
      await page.click('[data-testid="mc-send"]');
      await expect.poll(() => page.textContent('[data-testid="log"]')).toMatch(/multicast: MiB must be a number from 0\.000001 \(one byte\) to 64/);
      expect(await page.textContent('[data-testid="log"]')).not.toMatch(/group \d/);

      await page.fill('[data-testid="mc-size"]', '16');
      await page.click('[data-testid="mc-send"]');
      await expect.poll(() => page.textContent('#mc-sent')).toMatch(/^[1-9][\d.]* \/ 16\.0 MiB sent/);
      await page.selectOption('[data-testid="topo-kind"]', 'full_mesh');
      await page.click('[data-testid="topo-start"]');
      await ready(page, /full mesh of 6: 6 nodes, 15 links, ready in/);
      await expect.poll(() => page.textContent('[data-testid="log"]')).toMatch(/multicast stopped: the network it ran on was closed by Start network/);
      expect(await page.textContent('[data-testid="log"]')).not.toMatch(/INTERNAL/);
      expect(await page.isEnabled('[data-testid="mc-send"]')).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('ping shows an answer that comes after its 2 s wait as late, with its RTT, not as lost', async () => {
    const { page, errors } = await open();
    try {
      await ready(page, /ring of 6: 6 nodes, 6 links, ready in/);
      // 1.1 s each way on 1 — 2 (past the delay slider's range, as a queue behind a transfer
      // makes it): every answer comes about 2.2 s after its probe.
      await page.evaluate(() => (window as unknown as { playground: { net: { controller: { setLink(p: object): Promise<void> } } } }).playground.net.controller.setLink({ srcNodeId: 1, dstNodeId: 2, bidirectional: true, delayMs: 1100 }));
      await page.fill('[data-testid="ping-dst"]', '2');
      await page.click('[data-testid="ping-go"]');
      await expect.poll(() => page.textContent('[data-testid="ping-samples"]'), { timeout: 10_000 }).toMatch(/#0 late: 2[23]\d\d\.\d\d ms/);
      await expect.poll(() => page.textContent('[data-testid="log"]'), { timeout: 20_000 }).toMatch(/ping 1 → 2: 0\/5 answered within 2 s, [45] late \(2[23]\d\d\.\d\d–2[23]\d\d\.\d\d ms\)/);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('"Join a real network": one node in the tab reaches playground/echo-node.mjs through a controller on playground/controller.toml, over the relay', async () => {
    // playground/controller.toml as the README runs it, on a free port instead of 3000.
    const cfg = parse(readFileSync(join(root, 'playground', 'controller.toml'), 'utf8')) as unknown as ControllerConfig;
    const controller = await startController({ ...cfg, port: 0 });
    const echo = spawn(process.execPath, [join(root, 'playground', 'echo-node.mjs'), controller.url, '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let echoOut = '';
    echo.stdout.on('data', (b: Buffer) => (echoOut += b.toString()));
    echo.stderr.on('data', (b: Buffer) => (echoOut += b.toString()));
    const { page, errors } = await open();
    try {
      await expect.poll(() => echoOut, { timeout: 15_000 }).toMatch(/echo node 1 up/);
      await ready(page, /ready in/);
      await page.click('#panel-relay summary');
      await page.fill('#relay-url', controller.url);
      await page.click('#relay-open');
      await expect.poll(() => page.textContent('#relay-status'), { timeout: 15_000 }).toMatch(/^node 2 \(192\.168\.0\.2\) open over memory and relay/);
      await page.click('#relay-send');
      await expect.poll(() => page.textContent('#relay-received'), { timeout: 10_000 }).toMatch(/from node 1 .*"echo: hello from the browser"/);
      await page.click('#relay-close');
      await expect.poll(() => page.textContent('#relay-status')).toBe('closed');
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      echo.kill();
      await controller.close();
    }
  }, 60_000);
});
