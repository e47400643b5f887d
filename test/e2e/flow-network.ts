// Shared by the controller-flow tests (flows.test.ts, stream-flows.test.ts).
import { Dataplane, startController, type Controller, type ControllerConfig, type FlowResult } from 'nextmini';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A controller (full mesh of `n`, plus `cfg`) and its UDP nodes; their closing goes on `cleanup`. */
export async function flowNetwork(cleanup: (() => Promise<unknown>)[], cfg: Partial<ControllerConfig>, n = 2): Promise<{ c: Controller; nodes: Dataplane[] }> {
  const c = await startController({ port: 0, topology: { type: 'full_mesh', full_mesh_config: { n_nodes: n } }, ...cfg });
  cleanup.push(() => c.close());
  const nodes = await Promise.all(Array.from({ length: n }, (_, i) => Dataplane.open({ node_id: i + 1, controller_addr: c.url, protocol: 'udp' })));
  cleanup.push(() => Promise.all(nodes.map((x) => x.close())));
  return { c, nodes };
}

export const ended = (f: FlowResult) => f.state === 'done' || f.state === 'stopped' || f.state === 'failed';

/** Polls the controller's flows until `ok` holds for all of them (or the deadline passes). */
export async function flowsWhen(c: { flows(): FlowResult[] | Promise<FlowResult[]> }, ok: (f: FlowResult) => boolean, timeoutMs = 10_000): Promise<FlowResult[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const fs = await c.flows();
    if ((fs.length && fs.every(ok)) || Date.now() > deadline) return fs;
    await sleep(50);
  }
}
