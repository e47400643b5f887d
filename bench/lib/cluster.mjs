// A controller in the bench process plus nextmini node processes (bench/agent.mjs), each
// hosting one or more Dataplanes.
import { startController, setLogLevel } from '../../dist/node.js';
import { Child, agentPath, rawAgentPath, wallMs } from './proc.mjs';

setLogLevel(process.env.NEXTMINI_LOG || 'error');

/**
 * hosts: node ids per process, e.g. [[1], [2]] or [[1..25], [26..50], ...]. controllerExtra:
 * more controller config (link emulation: link_defaults, links).
 * Returns once every node saw TopologyReady; `readyMs` is from the first open command to the
 * last node seeing TopologyReady (controller and processes already up and loaded).
 */
export async function startCluster({ topology, protocol = 'udp', hosts, names, profileDir, readyTimeoutMs = 60_000, nodeExtra = {}, controllerExtra = {} }) {
  const controller = await startController({ port: 0, topology, ...controllerExtra });
  const procs = hosts.map((_, i) => new Child(agentPath, { name: names?.[i] ?? `node-host-${i + 1}`, profileDir }));
  const cluster = {
    controller,
    procs,
    readyMs: NaN,
    async close() {
      await Promise.allSettled(procs.map((p) => p.stop()));
      await controller.close();
    },
  };
  try {
    await Promise.all(procs.map((p) => p.call('rss', { gc: false }))); // started and loaded
    const t0 = wallMs();
    await Promise.all(
      procs.map((p, i) =>
        p.call('open', { configs: hosts[i].map((id) => ({ node_id: id, controller_addr: controller.url, protocol, ...nodeExtra })) }, readyTimeoutMs),
      ),
    );
    const ready = await Promise.all(procs.map((p) => p.call('ready', { timeoutMs: readyTimeoutMs }, readyTimeoutMs + 5000)));
    if (!ready.every((r) => r.ok)) throw new Error(`topology not ready within ${readyTimeoutMs} ms`);
    cluster.readyMs = Math.max(...ready.map((r) => r.at)) - t0;
    return cluster;
  } catch (err) {
    await cluster.close();
    throw err;
  }
}

/**
 * Runs `fn` and returns, per process, the CLOCK_MONOTONIC window (µs) it ran in, so that a
 * profile summary can leave out process start-up and set-up.
 */
export async function profiledWindow(procs, fn) {
  const from = await Promise.all(procs.map((p) => p.call('mono')));
  await fn();
  const to = await Promise.all(procs.map((p) => p.call('mono')));
  return procs.map((_, i) => [from[i], to[i]]);
}

/** Raw baseline processes (bench/raw-agent.mjs), no nextmini loaded. */
export function startRaw(names) {
  const procs = names.map((name) => new Child(rawAgentPath, { name }));
  return {
    procs,
    async close() {
      await Promise.allSettled(procs.map((p) => p.stop()));
    },
  };
}

/** Runs `fn` with resources from `open()`, always closing them. */
export async function using(open, fn) {
  const r = await open();
  try {
    return await fn(r);
  } finally {
    await r.close();
  }
}
