// startNetwork in headless Chromium (dist/browser.js from the packed tarball): the controller
// runs in the page with no server, nodes join over the in-realm control channel and link over
// the memory transport; a unicast message and a lossless multicast cross a fat tree k = 4.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromiumPath, CHROMIUM_ARGS, packedProject, root, serveStatic } from './project.js';

let project = '';
beforeAll(() => {
  project = packedProject(['e2e/payload.mjs', 'cross-runtime/network.html', 'cross-runtime/network-page.mjs']);
});
afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

describe('startNetwork in a browser tab', () => {
  it('a fat tree k = 4 (36 nodes) in Chromium: ready, unicast across it, a lossless multicast to every host, closed', async () => {
    const { chromium } = await import('playwright-core');
    const { server, port } = await serveStatic(project);
    const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`http://127.0.0.1:${port}/network.html`);
      await page.waitForFunction('window.networkLoaded === true', undefined, { timeout: 10_000 });
      // Authentication on: the controller in the tab wraps link keys, the nodes unwrap them with WebCrypto.
      const r = (await page.evaluate('window.network.run(4, "in-tab-secret-0123456789")')) as Record<string, unknown>;
      expect(r.refusals).toEqual({
        path: expect.stringMatching(/^CONFIG_INVALID: .*cannot read config files.*pass the config as an object/),
        udp: expect.stringMatching(/^INVALID_ARGUMENT: startNetwork: protocol must be one of memory in the browser/),
      });
      expect(r).toMatchObject({ nodes: 36, protocols: ['memory'], controllerUrl: expect.stringMatching(/^realm:\/\//), authRequired: true, ready: true, unicast: 'hello from 21', joined: true, sent: true, outcome: { status: 'completed' }, members: 15, delivered: 15, drops: 0 });
      console.log(`Chromium: fat tree k=4 (36 nodes) in the tab, ready in ${String(r.readyMs)} ms`);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      server.close();
    }
  }, 60_000);

  it("the README's browser example runs as written in a page", async () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const code = /```js\n(import \{ init, startNetwork \} from 'nextmini';[\s\S]*?)```/.exec(readme)?.[1];
    expect(code).toBeDefined();
    // The page's import map sends 'nextmini' to the installed dist/browser.js, as a bundler would.
    writeFileSync(join(project, 'readme-example.mjs'), `${code!}\nwindow.exampleDone = true;\n`);
    writeFileSync(join(project, 'readme.html'), readFileSync(join(project, 'network.html'), 'utf8').replace('/network-page.mjs', '/readme-example.mjs'));
    const { chromium } = await import('playwright-core');
    const { server, port } = await serveStatic(project);
    const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      const logs: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('console', (m) => logs.push(m.text()));
      await page.goto(`http://127.0.0.1:${port}/readme.html`);
      await page.waitForFunction('window.exampleDone === true', undefined, { timeout: 20_000 }).catch(() => {});
      expect(errors).toEqual([]);
      expect(logs).toContain('hi from node 1');
    } finally {
      await browser.close();
      server.close();
    }
  }, 60_000);
});
