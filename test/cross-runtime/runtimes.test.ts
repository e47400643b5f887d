// Packs the package, installs the tarball into a scratch project and runs the same checks in
// Node, Deno, Bun and headless Chromium. Each runtime is its own test, so a broken import in
// any one of them fails by name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bin, chromiumPath, CHROMIUM_ARGS, packedProject, serveStatic } from './project.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
let project = '';

beforeAll(() => {
  project = packedProject(['cross-runtime/checks.mjs', 'cross-runtime/smoke.mjs', 'cross-runtime/index.html']);
});

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

function runSmoke(cmd: string, args: string[]): { failures: string[]; bytes: string } {
  const r = spawnSync(cmd, args, { cwd: project, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
  const line = r.stdout.split('\n').find((l) => l.startsWith('SMOKE '));
  if (!line) throw new Error(`${cmd} printed no result (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(line.slice(6));
}

const EXPECTED_PREFIX = '1,0,0,32,0,0,0,1,0,0,1,2';

// A consumer's program against the installed package, type-checked strictly without
// skipLibCheck: every shipped declaration must resolve and the public API must type.
const CONSUMER = `
import { Dataplane, PacketBuilder, PacketView, NextminiError, startController, forward, StreamListener, type NextminiStream, type StreamStats, type Forwarder, type PayloadDelivery, type GroupInfo, type LinkCounters, type SessionOutcome } from 'nextmini';
import { init as initBrowser, decodeHeader, startNetwork as startInTab, type Network as TabNetwork } from 'nextmini/browser';
export async function main(): Promise<number> {
  await initBrowser();
  const c = await startController({ port: 0, topology: { n_nodes: 2, edges: [[1, 2]] } });
  const dp = await Dataplane.open({ node_id: 1, controller_addr: c.url });
  const b = new PacketBuilder({ size: 16 });
  b.write('x');
  const v: PacketView = b.freeze();
  const r = dp.registerReceiverFromNode({ srcNodeId: 2 });
  const d: PayloadDelivery | null = await r.recv({ timeoutMs: 1 });
  const g: GroupInfo = await dp.createGroup('g');
  const links: LinkCounters[] = dp.stats().links;
  const o: SessionOutcome | null = dp.sessionOutcome(dp.sendData({ destIp: g.groupIp, receiverIds: [2], buffer: v }));
  const e = new NextminiError('CLOSED', 'x');
  return (d?.totalLen ?? 0) + links.length + (o ? 1 : 0) + e.code.length + decodeHeader(new Uint8Array(40)).payloadLen;
}
export async function streams(dp: Dataplane): Promise<number> {
  const l: StreamListener = dp.listen({ port: 7 });
  const s: NextminiStream = await dp.connect({ dstNodeId: 2, dstPort: 7, timeoutMs: 1000 });
  const w = s.writable.getWriter();
  await w.write(new Uint8Array(1));
  await w.close();
  const r = await s.readable.getReader().read();
  const st: StreamStats = s.stats();
  const f: Forwarder = await forward({ dataplane: dp, listen: 0, to: { nodeId: 2, port: 7 } });
  await f.close();
  l.close();
  await s.closed;
  return (r.value?.length ?? 0) + st.bytesSent + f.address.port;
}
export async function inTab(): Promise<boolean> {
  const net: TabNetwork = await startInTab({ topology: { type: 'ring', ring_config: { n_nodes: 3 } } }, { protocol: 'memory', node: () => ({ mtu: 1400 }) });
  const ok = (await net.ready({ timeoutMs: 1000 })) && net.controller.status().topologyReady && net.node(1).nodeId === 1;
  await net.close();
  return ok;
}
`;

describe('the packed tarball in every runtime', () => {
  it('TypeScript: the shipped declarations type-check a consumer strictly (no skipLibCheck)', () => {
    writeFileSync(join(project, 'consumer.ts'), CONSUMER);
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, skipLibCheck: false, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', lib: ['ES2023', 'DOM'], types: [] }, files: ['consumer.ts'] }));
    const r = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], { cwd: project, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('Node', () => {
    const r = runSmoke(process.execPath, ['smoke.mjs']);
    expect(r.failures).toEqual([]);
    expect(r.bytes.startsWith(EXPECTED_PREFIX)).toBe(true);
  });

  it('Deno (npm package through node_modules)', () => {
    const r = runSmoke(bin('deno'), ['run', '--allow-read', '--allow-env', '--allow-net', 'smoke.mjs']);
    expect(r.failures).toEqual([]);
    expect(r.bytes.startsWith(EXPECTED_PREFIX)).toBe(true);
  });

  it('Bun', () => {
    const r = runSmoke(bin('bun'), ['smoke.mjs']);
    expect(r.failures).toEqual([]);
    expect(r.bytes.startsWith(EXPECTED_PREFIX)).toBe(true);
  });

  it('headless Chromium (browser entry, await init())', async () => {
    const { chromium } = await import('playwright-core');
    const { server, port } = await serveStatic(project);
    const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`http://127.0.0.1:${port}/index.html`);
      const r = (await page.evaluate('window.smoke')) as { failures: string[]; bytes: string };
      expect(errors).toEqual([]);
      expect(r.failures).toEqual([]);
      expect(r.bytes.startsWith(EXPECTED_PREFIX)).toBe(true);
    } finally {
      await browser.close();
      server.close();
    }
  });
});
