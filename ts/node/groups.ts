// A node's side of multicast: group operations through the controller, the group directory,
// and state-based waiters over the multicast table the controller pushes.
import { NextminiError } from '../errors.js';
import { formatIpv4, ipv4ToInt } from '../config/reader.js';
import type { GroupDirEntry, TreeSpec } from '../control/messages.js';
import type { ControlClient } from './control-client.js';
import type { Engine } from './engine.js';
import { Conditions, Waiters, type WaitOptions } from './waiters.js';

/** A multicast group. */
export interface GroupInfo {
  groupId: number;
  /** The group's address from the controller's pool, dotted. */
  groupIp: string;
  /** The node that created the group: the only one that may set its routes and send to it. */
  srcNodeId: number;
  label: string;
}

export interface TreeRoutes {
  /** 0 is the default tree. */
  treeId: number;
  /** Directed edges `[parent, child]`, forming a DAG rooted at the group's source. */
  edges: [number, number][];
  /** Share of flows the tree gets when the sender names no tree. Default 1. */
  weight?: number;
}

/** Upstream nextmini's form of one tree: `[treeId, edges]` (weight 1). */
export type TreeTuple = [treeId: number, edges: [number, number][]];

const TREE_SHAPE = 'must be { treeId, edges, weight? } or a [treeId, edges] tuple';

/** One entry of setGroupRoutesMulti, either form; INVALID_ARGUMENT names its index. */
function checkTree(t: unknown, i: number): TreeSpec {
  const fail = (why: string) => new NextminiError('INVALID_ARGUMENT', `trees[${i}] ${why}`);
  let treeId: unknown;
  let edges: unknown;
  let weight: unknown = 1;
  if (Array.isArray(t)) {
    // A tuple is exactly two entries: an id, then an edge list (an array).
    if (t.length !== 2 || typeof t[0] !== 'number' || !Array.isArray(t[1])) throw fail(`${TREE_SHAPE}, got ${JSON.stringify(t)}`);
    [treeId, edges] = t;
  } else if (t !== null && typeof t === 'object') {
    ({ treeId, edges } = t as TreeRoutes);
    weight = (t as TreeRoutes).weight ?? 1;
  } else {
    throw fail(`${TREE_SHAPE}, got ${t === null ? 'null' : typeof t}`);
  }
  if (!Number.isInteger(treeId) || (treeId as number) < 0 || (treeId as number) > 65535) throw fail(`tree id must be 0..65535, got ${JSON.stringify(treeId)}`);
  if (!Number.isInteger(weight) || (weight as number) < 0) throw fail(`weight must be a whole number >= 0, got ${JSON.stringify(weight)}`);
  try {
    return { treeId: treeId as number, weight: weight as number, edges: checkEdges(edges) };
  } catch (err) {
    throw err instanceof NextminiError ? fail(err.message) : err;
  }
}

const toInfo = (g: GroupDirEntry): GroupInfo => ({ groupId: g.groupId, groupIp: formatIpv4(g.groupIp), srcNodeId: g.srcNodeId, label: g.label });

function checkGroupId(v: number): number {
  if (!Number.isInteger(v) || v < 1 || v > 0xffff_ffff) throw new NextminiError('INVALID_ARGUMENT', `groupId must be a group id >= 1, got ${v}`);
  return v;
}

function checkEdges(edges: unknown): [number, number][] {
  if (!Array.isArray(edges)) throw new NextminiError('INVALID_ARGUMENT', 'edges must be an array of [parent, child] pairs');
  return edges.map((e, i) => {
    if (!Array.isArray(e) || e.length !== 2 || !e.every((n) => Number.isInteger(n) && n >= 1)) {
      throw new NextminiError('INVALID_ARGUMENT', `edges[${i}] must be a pair of node ids, got ${JSON.stringify(e)}`);
    }
    return [e[0], e[1]] as [number, number];
  });
}

export class NodeGroups {
  readonly #byId = new Map<number, GroupInfo>();
  readonly #idByIp = new Map<string, number>();
  readonly #conditions = new Conditions();
  readonly #created = new Waiters();
  #lastCreated: GroupInfo | undefined;

  constructor(
    private readonly control: ControlClient,
    private readonly engine: Engine,
  ) {}

  /** @internal the controller's full directory: it replaces ours (deleted groups disappear) */
  applyDirectory(groups: GroupDirEntry[]): void {
    this.#byId.clear();
    this.#idByIp.clear();
    for (const g of groups) {
      const info = toInfo(g);
      this.#byId.set(info.groupId, info);
      this.#idByIp.set(info.groupIp, info.groupId);
    }
    this.#conditions.recheck();
  }

  /** @internal this node's multicast table from the controller */
  applyTable(table: Uint8Array): void {
    this.engine.core.installMulticast(table);
    this.#conditions.recheck();
  }

  info(groupId: number): GroupInfo | undefined {
    return this.#byId.get(groupId);
  }

  idOfIp(groupIp: string): number | undefined {
    return this.#idByIp.get(groupIp);
  }

  ipOf(groupId: number): string | undefined {
    return this.#byId.get(groupId)?.groupIp;
  }

  list(): GroupInfo[] {
    return [...this.#byId.values()];
  }

  async create(label: string): Promise<GroupInfo> {
    if (typeof label !== 'string') throw new NextminiError('INVALID_ARGUMENT', 'createGroup(label) needs a string label');
    const reply = await this.control.request({ op: 'create', label });
    const info = toInfo(reply.group!);
    this.#byId.set(info.groupId, info);
    this.#idByIp.set(info.groupIp, info.groupId);
    this.#lastCreated = info;
    this.#created.wakeAll(true);
    return info;
  }

  async groupIsReady(options: WaitOptions = {}): Promise<GroupInfo | null> {
    if (this.#lastCreated) return this.#lastCreated;
    const ok = await this.#created.wait(options);
    return ok ? (this.#lastCreated ?? null) : null;
  }

  async setRoutes(groupId: number, trees: (TreeRoutes | TreeTuple)[]): Promise<void> {
    checkGroupId(groupId);
    if (!Array.isArray(trees) || trees.length === 0) throw new NextminiError('INVALID_ARGUMENT', 'give at least one tree');
    const specs: TreeSpec[] = trees.map(checkTree);
    await this.control.request({ op: 'routes', groupId, trees: specs });
  }

  async join(groupId: number): Promise<void> {
    await this.control.request({ op: 'join', groupId: checkGroupId(groupId) });
  }

  async leave(groupId: number): Promise<void> {
    await this.control.request({ op: 'leave', groupId: checkGroupId(groupId) });
  }

  async delete(groupId: number): Promise<void> {
    await this.control.request({ op: 'delete', groupId: checkGroupId(groupId) });
    const info = this.#byId.get(groupId);
    this.#byId.delete(groupId);
    if (info) this.#idByIp.delete(info.groupIp);
    if (this.#lastCreated?.groupId === groupId) this.#lastCreated = undefined;
  }

  waitForRoutes(groupId: number, minRoutes: number, options: WaitOptions): Promise<boolean> {
    checkGroupId(groupId);
    return this.#conditions.wait(() => this.engine.core.groupRouteCount(groupId) >= minRoutes, options);
  }

  waitForMembership(groupId: number, options: WaitOptions): Promise<boolean> {
    checkGroupId(groupId);
    return this.#conditions.wait(() => this.engine.core.isLocalMember(groupId), options);
  }

  waitForCreated(groupId: number, options: WaitOptions): Promise<boolean> {
    checkGroupId(groupId);
    return this.#conditions.wait(() => this.#byId.has(groupId), options);
  }

  /** Resolves a `{ groupId } | { groupIp }` target to a group id. */
  resolve(target: { groupId?: number; groupIp?: string }): number {
    if (target.groupId !== undefined) return checkGroupId(target.groupId);
    if (target.groupIp !== undefined) {
      ipv4ToInt(target.groupIp);
      const id = this.#idByIp.get(target.groupIp);
      if (id === undefined) throw new NextminiError('UNKNOWN_GROUP', `no group has address ${target.groupIp}`);
      return id;
    }
    throw new NextminiError('INVALID_ARGUMENT', 'name the group by groupId or groupIp');
  }

  close(): void {
    this.#conditions.cancelAll();
    this.#created.wakeAll(false);
  }
}
