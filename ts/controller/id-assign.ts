// Node ids for nodes that ask for one (node_id = 0, upstream's "auto-assigned if 0"). Pure
// bookkeeping: the controller asks which id a node gets and records what it handed out.
import type { Endpoint } from '../control/messages.js';

/** How long an id handed to a node without a stable address is held for its second hello. */
const PENDING_MS = 15_000;

const WILDCARDS = new Set(['', '0.0.0.0', '::', '[::]']);

export interface AssignContext {
  /** Topology ids, ascending. */
  ids: readonly number[];
  connected: (id: number) => boolean;
  /** Not connected but expected back under this id (connected before a controller restart). */
  awaited?: (id: number) => boolean;
  /** `[[nodes]] public_network_addr` by id: those ids are for nodes at that address. */
  publicAddrs: ReadonlyMap<number, string>;
  /** Ids with their own `[[nodes]] token`: a node asking for an id proves the shared token, not theirs. */
  ownTokens: ReadonlySet<number>;
}

export type Assignment = { id: number; why: string } | { error: string };

/**
 * Where the node says it receives datagrams, as a key ("udp 127.0.0.1:4000"), or undefined when
 * it has none that stays the same across restarts (port 0, or no UDP/TCP).
 */
export function addressKey(endpoints: Endpoint[], remote: string): string | undefined {
  const ep = endpoints.find((e) => (e.protocol === 'udp' || e.protocol === 'tcp') && e.port !== 0);
  return ep && `${ep.protocol} ${WILDCARDS.has(ep.host) ? remote : ep.host}:${ep.port}`;
}

/** The hosts the node's UDP/TCP endpoints announce (a wildcard: the connection's address). */
function hostsOf(endpoints: Endpoint[], remote: string): Set<string> {
  return new Set(endpoints.filter((e) => e.protocol === 'udp' || e.protocol === 'tcp').map((e) => (WILDCARDS.has(e.host) ? remote : e.host)));
}

export class IdAssigner {
  /** Address key -> the id handed out for it, kept while the controller runs. */
  readonly #byAddress = new Map<string, number>();
  readonly #addressOf = new Map<number, string>();
  /** Ids handed out that are held until their node joins or the time runs out. */
  readonly #pending = new Map<number, number>();

  /**
   * The id for a node announcing `endpoints` from `remote`, asking for one above `offset`:
   * (1) the id last handed out for its address:port, if not connected; (2) the lowest free id
   * whose `[[nodes]] public_network_addr` is one of its addresses; (3) the lowest free id that
   * no `[[nodes]]` entry keeps for an address or a token of its own. Free: in the topology,
   * above `offset`, not connected, not held for another address or a pending node.
   */
  assign(ctx: AssignContext, endpoints: Endpoint[], remote: string, offset: number, now = Date.now()): Assignment {
    const key = addressKey(endpoints, remote);
    const candidates = ctx.ids.filter((id) => id > offset);
    if (candidates.length === 0) {
      return { error: `there is no node id above node_id_offset ${offset} in the topology (its ids are ${describe(ctx.ids)}); lower node_id_offset, or set node_id in the node config` };
    }
    const held = (id: number) => {
      const until = this.#pending.get(id);
      if (until !== undefined && until > now) return true;
      const owner = this.#addressOf.get(id);
      return owner !== undefined && owner !== key;
    };
    const away = (id: number) => ctx.connected(id) || (ctx.awaited?.(id) ?? false);
    const free = (id: number) => !away(id) && !held(id);
    const mine = key === undefined ? undefined : this.#byAddress.get(key);
    if (mine !== undefined && mine > offset && !away(mine)) return this.#give(mine, key, now, `the id last given to ${key}`);
    const hosts = hostsOf(endpoints, remote);
    const named = candidates.find((id) => hosts.has(ctx.publicAddrs.get(id) ?? '') && free(id));
    if (named !== undefined) return this.#give(named, key, now, `[[nodes]] public_network_addr = "${ctx.publicAddrs.get(named)}"`);
    const next = candidates.find((id) => free(id) && !ctx.publicAddrs.has(id) && !ctx.ownTokens.has(id));
    if (next !== undefined) return this.#give(next, key, now, `the lowest free id above ${offset}`);
    const connected = ctx.ids.filter((id) => ctx.connected(id));
    const awaited = candidates.filter((id) => !ctx.connected(id) && (ctx.awaited?.(id) ?? false));
    const kept = candidates.filter((id) => !away(id) && held(id)).map((id) => `${id} (${this.#addressOf.get(id) ?? 'just handed out'})`);
    const reserved = candidates.filter((id) => !away(id) && !held(id)).map((id) => `${id} (${ctx.publicAddrs.has(id) ? `[[nodes]] public_network_addr ${ctx.publicAddrs.get(id)}` : 'its own [[nodes]] token'})`);
    return {
      error:
        `no free node id above node_id_offset ${offset}: the topology has ${describe(ctx.ids)}; connected: ${connected.length ? describe(connected) : 'none'}` +
        `${awaited.length ? `; expected back (connected before the controller restarted): ${describe(awaited)}` : ''}` +
        `${kept.length ? `; kept for the addresses that had them: ${kept.join(', ')}` : ''}${reserved.length ? `; kept for other nodes by the controller config: ${reserved.join(', ')}` : ''}. ` +
        `Set node_id in the node config, or give the topology more nodes`,
    };
  }

  #give(id: number, key: string | undefined, now: number, why: string): Assignment {
    if (key !== undefined) {
      const before = this.#addressOf.get(id);
      if (before !== undefined) this.#byAddress.delete(before);
      const old = this.#byAddress.get(key);
      if (old !== undefined) this.#addressOf.delete(old);
      this.#byAddress.set(key, id);
      this.#addressOf.set(id, key);
    }
    this.#pending.set(id, now + PENDING_MS);
    return { id, why };
  }

  /** Node `id` joined: it no longer needs holding for its second hello. */
  joined(id: number): void {
    this.#pending.delete(id);
  }
}

function describe(ids: readonly number[]): string {
  return ids.length > 8 ? `${ids[0]}..${ids[ids.length - 1]}` : ids.join(', ');
}
