// The controller's multicast groups: the core's group state (ids, addresses, trees, tables)
// plus what the store needs to rebuild it (labels, trees and members as given). Each
// operation is applied here first (that validates it), then stored by the caller, and undone
// if storing fails, so memory never claims what the store does not hold.
import { WasmGroups, type WasmTopology } from '../../wasm/nextmini_core.js';
import { callCore, NextminiError } from '../errors.js';
import type { GroupDirEntry, GroupOp, TreeSpec } from '../control/messages.js';
import type { Store, StoredGroup } from './store/store.js';

/** The outcome of one operation, before it is stored. */
export interface GroupChange {
  /** Nodes whose multicast tables changed. */
  changed: number[];
  /** The group list changed (create, delete): every node gets the new directory. */
  directoryChanged: boolean;
  /** What the caller is answered with (create only). */
  group: GroupDirEntry | null;
  /** Writes the change to the store. */
  store(s: Store): Promise<void>;
  /** Reverts the in-memory change (the store write failed). */
  undo(): void;
}

const flatTrees = (trees: TreeSpec[]) => Uint32Array.from(trees.flatMap((t) => [t.treeId, t.weight, t.edges.length, ...t.edges.flat()]));

export class GroupBook {
  readonly #core: WasmGroups;
  readonly #groups = new Map<number, StoredGroup>();

  constructor(topo: WasmTopology, poolBase: number, poolMask: number) {
    this.#core = callCore(() => new WasmGroups(topo, poolBase, poolMask));
  }

  get size(): number {
    return this.#groups.size;
  }

  /** Reinstates stored groups at start; a group the topology can no longer hold is an error. */
  restore(groups: StoredGroup[], where: string): void {
    for (const g of groups) {
      try {
        this.#restoreOne(g);
      } catch (err) {
        throw new NextminiError('CONFIG_INVALID', `${where}: stored group ${g.groupId} "${g.label}" (source node ${g.srcNodeId}) does not fit this controller's topology or multicast pool: ${(err as Error).message}. Restore the config it was made with, or start on a fresh store.`, { cause: err });
      }
    }
  }

  #restoreOne(g: StoredGroup): number[] {
    const changed = callCore(() => this.#core.restore(g.groupId, g.groupIp, g.srcNodeId, Uint32Array.from(g.members), flatTrees(g.trees)));
    this.#groups.set(g.groupId, { ...g, trees: g.trees.map((t) => ({ ...t })), members: [...g.members] });
    return [...changed];
  }

  /** Applies a node's operation; throws a NextminiError (UNKNOWN_GROUP, NOT_GROUP_SOURCE…) when refused. */
  apply(caller: number, m: GroupOp): GroupChange {
    switch (m.op) {
      case 'create': {
        const [groupId, groupIp] = callCore(() => this.#core.create(caller)) as unknown as [number, number];
        const g: StoredGroup = { groupId, groupIp, srcNodeId: caller, label: m.label, trees: [], members: [] };
        this.#groups.set(groupId, g);
        return {
          changed: [],
          directoryChanged: true,
          group: { groupId, groupIp, srcNodeId: caller, label: m.label },
          store: (s) => s.createGroup(g),
          undo: () => {
            callCore(() => this.#core.delete(caller, groupId));
            this.#groups.delete(groupId);
          },
        };
      }
      case 'routes': {
        const g = this.#groups.get(m.groupId);
        const changed = [...callCore(() => this.#core.setRoutes(caller, m.groupId, flatTrees(m.trees)))];
        // setRoutes succeeded, so the group exists and the caller is its source.
        const before = g!.trees;
        g!.trees = m.trees;
        return {
          changed,
          directoryChanged: false,
          group: null,
          store: (s) => s.setGroupTrees(m.groupId, m.trees),
          undo: () => {
            callCore(() => this.#core.setRoutes(caller, m.groupId, flatTrees(before)));
            g!.trees = before;
          },
        };
      }
      case 'join':
      case 'leave': {
        const join = m.op === 'join';
        const changed = [...callCore(() => (join ? this.#core.join(m.groupId, caller) : this.#core.leave(m.groupId, caller)))];
        const g = this.#groups.get(m.groupId)!;
        const was = g.members.includes(caller);
        const set = (on: boolean) => {
          g.members = g.members.filter((n) => n !== caller);
          if (on) g.members.push(caller);
        };
        set(join);
        return {
          changed,
          directoryChanged: false,
          group: null,
          store: (s) => (was === join ? Promise.resolve() : join ? s.addMember(m.groupId, caller) : s.removeMember(m.groupId, caller)),
          undo: () => {
            callCore(() => (was ? this.#core.join(m.groupId, caller) : this.#core.leave(m.groupId, caller)));
            set(was);
          },
        };
      }
      case 'delete': {
        const g = this.#groups.get(m.groupId);
        const changed = [...callCore(() => this.#core.delete(caller, m.groupId))];
        this.#groups.delete(m.groupId);
        return {
          changed,
          directoryChanged: true,
          group: null,
          store: (s) => s.deleteGroup(m.groupId),
          undo: () => {
            this.#restoreOne(g!);
          },
        };
      }
    }
  }

  tableFor(node: number): Uint8Array {
    return this.#core.tableFor(node);
  }

  directory(): GroupDirEntry[] {
    return [...this.#groups.values()].map((g) => ({ groupId: g.groupId, groupIp: g.groupIp, srcNodeId: g.srcNodeId, label: g.label }));
  }

  free(): void {
    this.#core.free();
  }
}
