// Unicast routes the controller hands to the core: the config's [[routes]] and the run-time
// routes (setRoutes, the admin client, rows in the routes table), merged per (src, dst) with
// run-time routes winning. Pure: no sockets, no SQL, no wasm.
import { NextminiError } from '../errors.js';
import type { RouteSpec, StoredRoute } from './store/store.js';

const ROUTE_PATH = 1;
const ROUTE_DAG = 2;

interface Entry {
  src: number;
  dst: number;
  /** The core's flat encoding of this one route. */
  flat: number[];
  /** How errors name it: "routes[2]" (config) or "setRoutes(1 -> 3)". */
  label: string;
}

const key = (src: number, dst: number) => `${src}>${dst}`;

/** Source and destination of a flat-encoded route (a DAG's unique root and sink). */
function endsOf(flat: number[]): { src: number; dst: number } | undefined {
  const [tag, count] = flat as [number, number];
  if (tag === ROUTE_PATH) return count >= 2 ? { src: flat[2]!, dst: flat[1 + count]! } : undefined;
  const from = new Set<number>();
  const to = new Set<number>();
  for (let i = 0; i < count; i++) {
    from.add(flat[2 + 2 * i]!);
    to.add(flat[3 + 2 * i]!);
  }
  const roots = [...from].filter((n) => !to.has(n));
  const sinks = [...to].filter((n) => !from.has(n));
  return roots.length === 1 && sinks.length === 1 ? { src: roots[0]!, dst: sinks[0]! } : undefined;
}

/** A value in an error message: short, and safe for any shape (deep nesting, cycles). */
function describe(v: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = Array.isArray(v) ? `an array of ${v.length}` : typeof v;
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function isId(v: unknown): v is number {
  return Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 0xffff_ffff;
}

/** Checks a run-time route's shape and encodes it; `where` prefixes every message. */
export function encodeRoute(where: string, route: unknown): number[] {
  if (!Array.isArray(route) || route.length === 0) {
    throw new NextminiError('INVALID_ROUTES', `${where}: route must be a path [1, 2, 3] or DAG edges [[1, 2], [2, 3]], got ${describe(route)}`);
  }
  if (route.every((x) => Array.isArray(x))) {
    route.forEach((e: unknown[], i) => {
      if (e.length !== 2 || !isId(e[0]) || !isId(e[1])) throw new NextminiError('INVALID_ROUTES', `${where}: route[${i}] must be an edge [parent, child] of node ids, got ${describe(e)}`);
    });
    return [ROUTE_DAG, route.length, ...(route as [number, number][]).flat()];
  }
  route.forEach((n, i) => {
    if (!isId(n)) throw new NextminiError('INVALID_ROUTES', `${where}: route[${i}] must be a node id, got ${describe(n)}`);
  });
  return [ROUTE_PATH, route.length, ...(route as number[])];
}

/** The routes a change leads to, in the core's encoding, before the core has checked them. */
export interface Plan {
  flat: number[];
  /** Per route: how errors name it. */
  labels: string[];
  /** Per route: its run-time key ("src>dst"), or undefined for a config route. */
  runtime: (string | undefined)[];
  next: Map<string, Entry & { route: RouteSpec }>;
}

/**
 * Rows from the routes table, which any client may write: the rows whose shape is a route from
 * their src to their dst, and why each other one is refused.
 */
export function usableRows(rows: StoredRoute[], origin: string): { good: StoredRoute[]; refused: string[] } {
  const good: StoredRoute[] = [];
  const refused: string[] = [];
  for (const r of rows) {
    try {
      RouteBook.check(`${origin}(${r.srcNodeId} -> ${r.dstNodeId})`, r.srcNodeId, r.dstNodeId, r.route);
      good.push(r);
    } catch (err) {
      refused.push((err as Error).message);
    }
  }
  return { good, refused };
}

export class RouteBook {
  /** The config's routes by (src, dst), in config order. */
  readonly #config = new Map<string, Entry>();
  readonly #runtime = new Map<string, Entry & { route: RouteSpec }>();

  /** `flat` is the config's [[routes]] in the core's encoding (already validated at start). */
  constructor(flat: number[]) {
    let index = 0;
    for (let i = 0; i < flat.length; index++) {
      const count = flat[i + 1]!;
      const len = 2 + (flat[i] === ROUTE_PATH ? count : 2 * count);
      const one = flat.slice(i, i + len);
      const ends = endsOf(one);
      if (ends) this.#config.set(key(ends.src, ends.dst), { ...ends, flat: one, label: `routes[${index}]` });
      i += len;
    }
  }

  /**
   * Checks that `route` goes from src to dst and encodes it; the hops themselves are checked
   * by the core when the merged list is computed.
   */
  static check(where: string, src: number, dst: number, route: unknown): number[] {
    if (!isId(src) || !isId(dst)) throw new NextminiError('INVALID_ARGUMENT', `${where}: srcNodeId and dstNodeId must be node ids, got ${src} and ${dst}`);
    const flat = encodeRoute(where, route);
    const ends = endsOf(flat);
    if (flat[0] === ROUTE_PATH && flat[1]! < 2) throw new NextminiError('INVALID_ROUTES', `${where}: a route needs at least two nodes (one hop)`);
    if (ends && (ends.src !== src || ends.dst !== dst)) {
      throw new NextminiError('INVALID_ROUTES', `${where}: the route goes from node ${ends.src} to node ${ends.dst}, not from ${src} to ${dst}`);
    }
    return flat;
  }

  /** The run-time routes in force. */
  runtime(): StoredRoute[] {
    return [...this.#runtime.values()].map((e) => ({ srcNodeId: e.src, dstNodeId: e.dst, route: e.route }));
  }

  has(src: number, dst: number): boolean {
    return this.#runtime.has(key(src, dst));
  }

  /** Is there an explicit route (config or run-time) from src to dst? Routes are per pair. */
  routed(src: number, dst: number): boolean {
    return this.#runtime.has(key(src, dst)) || this.#config.has(key(src, dst));
  }

  /**
   * The merged list for the core after applying `changes` and `clears` (or, with `replaceAll`,
   * with `changes` as the whole run-time set), with one label per route for error messages
   * (`origin` names where the changes come from). Does not change the book: call `commit` once the
   * core accepted it.
   */
  merged(changes: StoredRoute[] = [], clears: { srcNodeId: number; dstNodeId: number }[] = [], replaceAll = false, origin = 'setRoutes'): Plan {
    const next = replaceAll ? new Map<string, Entry & { route: RouteSpec }>() : new Map(this.#runtime);
    for (const c of clears) next.delete(key(c.srcNodeId, c.dstNodeId));
    for (const r of changes) {
      const label = `${origin}(${r.srcNodeId} -> ${r.dstNodeId})`;
      next.set(key(r.srcNodeId, r.dstNodeId), { src: r.srcNodeId, dst: r.dstNodeId, route: r.route, flat: RouteBook.check(label, r.srcNodeId, r.dstNodeId, r.route), label });
    }
    const flat: number[] = [];
    const labels: string[] = [];
    const runtime: (string | undefined)[] = [];
    for (const [k, e] of this.#config) {
      if (next.has(k)) continue;
      flat.push(...e.flat);
      labels.push(e.label);
      runtime.push(undefined);
    }
    for (const [k, e] of next) {
      flat.push(...e.flat);
      labels.push(e.label);
      runtime.push(k);
    }
    return { flat, labels, runtime, next };
  }

  commit(next: Map<string, Entry & { route: RouteSpec }>): void {
    this.#runtime.clear();
    for (const [k, v] of next) this.#runtime.set(k, v);
  }
}

/** Which route of a plan the core's error is about ("routes[i]"), if any. */
export function culprit(err: unknown): number | undefined {
  const m = err instanceof Error ? /routes\[(\d+)\]/.exec(err.message) : null;
  return m ? Number(m[1]) : undefined;
}

/** Renames the core's "routes[i]" in an error to the label of the route it means. */
export function relabel(err: unknown, labels: string[]): unknown {
  if (!(err instanceof NextminiError)) return err;
  const msg = err.message.replace(/routes\[(\d+)\]/g, (m, i: string) => labels[Number(i)] ?? m);
  return msg === err.message ? err : new NextminiError(err.code, msg, { cause: err });
}
