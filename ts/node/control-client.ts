// The node's side of the control protocol: hello, snapshots, links-up, topology-ready, and
// reconnecting with backoff when the controller goes away.
import { NextminiError } from '../errors.js';
import { logger } from '../log.js';
import { decode, encode, type ControlMessage, type FlowStart, type Endpoint, type FlowWeight, type GroupDirEntry, type GroupOp, type GroupReply, type Hello, type LinkEntry, type PeerAddress, type Presence, type Snapshot } from '../control/messages.js';
import { openSocket, type MessageSocket, type SocketOptions } from '../control/socket.js';
import { controllerProof, equalBytes, keyWrappingKey, nodeProof, LINK_KEY_BYTES, NONCE_BYTES, randomBytes, wrapKey, type HelloBinding } from '../control/auth.js';

const log = logger('control');

export interface ControlClientOptions {
  url: string;
  hello: Omit<Hello, 't' | 'clientNonce' | 'proof'>;
  /** The node's secret (`auth_token`); proven in hello, never sent. */
  authToken?: string;
  /**
   * After the first snapshot, reconnect when the connection is lost (restart_on_disconnect).
   * Default true. Before it, open() keeps retrying until its timeout either way.
   */
  reconnect?: boolean;
  /** TLS options for a wss:// controller (a CA to trust). */
  socket?: SocketOptions;
  /** Authentication is on for this connection (welcome verified): datagrams carry MACs. */
  onAuth(on: boolean): void;
  /** The node's endpoints as the controller hands them to peers (from welcome). */
  onEndpoints?(endpoints: Endpoint[]): void;
  /** A hello with node id 0 was answered with this id: start() resolves and the client closes. */
  onAssigned?(nodeId: number): void;
  /** Link keys for some neighbours, unwrapped. */
  onKeys(keys: { neighbor: number; key: Uint8Array }[]): void;
  onSnapshot(s: Snapshot): void;
  onTopologyReady(): void;
  onLinks(links: LinkEntry[]): void;
  onMcastTable(table: Uint8Array): void;
  onGroups(groups: GroupDirEntry[]): void;
  /** A new route table (run-time routes changed). */
  onRoutes(routeTable: Uint8Array): void;
  /** Peers that joined or moved since the snapshot (upserts), with a new generation. */
  onPeers(generation: number, peers: PeerAddress[]): void;
  /** Nodes of the topology that are not connected (down) or are again (up). */
  onPresence(m: Presence): void;
  /** Take part in a traffic flow (source or sink). */
  onFlowStart(m: FlowStart): void;
  /** Stop a traffic flow. */
  onFlowStop(flowId: number): void;
  /** Every pending or running flow's weight. */
  onFlowWeights(list: FlowWeight[]): void;
}

/** How long a group operation may wait for the controller's answer. */
const REQUEST_TIMEOUT_MS = 15_000;

type GroupOpBody = GroupOp extends infer T ? (T extends GroupOp ? Omit<T, 't' | 'reqId'> : never) : never;

/** Backoff between reconnect attempts: 100 ms doubling to 5 s. */
const backoff = (attempt: number): number => Math.min(100 * 2 ** attempt, 5000);

export class ControlClient {
  #socket: MessageSocket | undefined;
  #closed = false;
  /** The connection was lost with reconnect = false: closed, but the node is not. */
  #gaveUp = false;
  #attempt = 0;
  #everConnected = false;
  #first: { resolve(): void; reject(e: unknown): void } | undefined;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #nextReq = 1;
  #requests = new Map<number, { resolve(r: GroupReply): void; reject(e: unknown): void; timer: ReturnType<typeof setTimeout> }>();
  /**
   * Messages are handled one after the other, in order: proving and unwrapping keys is
   * asynchronous (WebCrypto), and nothing after a keys message may overtake it.
   */
  #chain: Promise<void> = Promise.resolve();
  /** This connection's binding (nonces) and key-wrapping key, once hello went out / welcome came. */
  #binding: HelloBinding | undefined;
  #kek: Uint8Array | undefined;
  /** This connection's welcome arrived (and, with a token, its proof verified). */
  #welcomed = false;
  /** What the controller accepts (from welcome); checked before a request is sent. */
  #limits = { maxFrameBytes: 1024 * 1024, maxLabelBytes: 256 };

  constructor(private readonly o: ControlClientOptions) {}

  /** Connects and resolves after the first snapshot; rejects on a refusal or after `timeoutMs`. */
  start(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#first = undefined;
        this.close();
        reject(new NextminiError('CONTROLLER_UNREACHABLE', `no answer from the controller at ${this.o.url} within ${timeoutMs} ms${this.#lastError ? ` (last error: ${this.#lastError}${this.#hint()})` : ''}`));
      }, timeoutMs);
      this.#first = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.#connect();
    });
  }

  #connect(): void {
    if (this.#closed) return;
    let socket: MessageSocket;
    try {
      socket = openSocket(
        this.o.url,
        {
          onOpen: () => {
            this.#attempt = 0;
            this.#everConnected = true;
            this.#binding = undefined;
            this.#kek = undefined;
            this.#welcomed = false;
            // The hello waits for the controller's challenge.
          },
          onMessage: (data) => {
            this.#chain = this.#chain.then(() => this.#onMessage(socket, data)).catch((err: unknown) => log.warn(`control message not handled: ${(err as Error).message}`));
          },
          onClose: () => this.#onClose(socket),
          onError: (err) => this.#onError(socket, err),
        },
        this.o.socket,
      );
    } catch (err) {
      this.#fail(err instanceof NextminiError ? err : new NextminiError('CONTROLLER_UNREACHABLE', `cannot open ${this.o.url}: ${(err as Error).message}`));
      return;
    }
    this.#socket = socket;
  }

  #lastError = '';

  #hint(): string {
    if (this.o.url.startsWith('ws://') && /hang up|ECONNRESET|Unexpected server response|Parse Error|closed before/i.test(this.#lastError)) return '; is it a wss:// controller?';
    return '';
  }

  #onError(socket: MessageSocket, err: unknown): void {
    const text = err instanceof Error ? err.message : typeof err === 'string' ? err : ((err as { message?: string } | null)?.message ?? String(err));
    this.#lastError = text;
    log.debug(`controller socket error: ${text}`);
    // An untrusted certificate will not become trusted by retrying: say so now.
    if (/certificate|CERT_|self[- ]signed|unable to verify|UNABLE_TO_|altnames/i.test(text)) {
      this.#fail(
        new NextminiError('CONTROLLER_UNREACHABLE', `TLS to the controller at ${this.o.url} failed: ${text}; ${this.o.socket?.ca ? 'the ca file does not vouch for its certificate' : 'set ca = "<the CA or certificate file>" in the node config'}`),
        socket,
      );
    }
  }

  /** Ends the client for good: a refusal, or a controller that failed to prove itself. */
  #fail(err: NextminiError, socket?: MessageSocket): void {
    this.#closed = true;
    socket?.close();
    // While Dataplane.open waits, the error is its rejection: logging it too printed it twice.
    // Later (a refused reconnect) nobody awaits it, and the log is the only place it shows.
    if (this.#first) {
      this.#first.reject(err);
      this.#first = undefined;
    } else {
      log.error(err.message);
    }
  }

  #refused(reason: string, message: string): NextminiError {
    return new NextminiError('CONTROLLER_REJECTED', `${this.#who()}: ${message} (${reason})`);
  }

  /** How messages name this node: by id, or as one asking for an id. */
  #who(): string {
    return this.o.hello.nodeId === 0 ? 'a node with node_id = 0 (asking for an id)' : `node ${this.o.hello.nodeId}`;
  }

  async #onMessage(socket: MessageSocket, data: Uint8Array): Promise<void> {
    if (socket !== this.#socket || this.#closed) return;
    let m: ControlMessage;
    try {
      m = decode(data);
    } catch (err) {
      log.warn(`ignoring a control message: ${(err as Error).message}`);
      return;
    }
    const token = this.o.authToken;
    // Until welcome, only the handshake may arrive: a controller that skips welcome (and so
    // never proves the secret) must not get to hand out peers, routes or tables.
    if (!this.#welcomed && m.t !== 'challenge' && m.t !== 'welcome' && m.t !== 'reject') {
      if (token !== undefined) {
        return this.#fail(this.#refused('UNAUTHORIZED', `the controller at ${this.o.url} sent ${m.t} before proving it knows this node's auth_token; is it the right controller?`), socket);
      }
      log.warn(`ignoring ${m.t} from the controller before its welcome`);
      return;
    }
    switch (m.t) {
      case 'challenge': {
        if (m.authRequired && token === undefined) {
          return this.#fail(this.#refused('UNAUTHORIZED', `the controller at ${this.o.url} requires authentication; set auth_token in the node config to the controller's auth_token (or this node's [[nodes]] token)`), socket);
        }
        if (!m.authRequired && token !== undefined) {
          return this.#fail(this.#refused('UNAUTHORIZED', `the node has an auth_token but the controller at ${this.o.url} does not authenticate nodes (no auth_token in its config); refusing to join a network anyone can join`), socket);
        }
        const binding: HelloBinding = { serverNonce: m.nonce, clientNonce: randomBytes(NONCE_BYTES), nodeId: this.o.hello.nodeId };
        const proof = token === undefined ? new Uint8Array(0) : await nodeProof(token, binding);
        if (socket !== this.#socket) return;
        this.#binding = binding;
        socket.send(encode({ t: 'hello', ...this.o.hello, clientNonce: binding.clientNonce, proof }));
        return;
      }
      case 'welcome': {
        const binding = this.#binding;
        if (!binding) return this.#fail(this.#refused('MALFORMED', 'the controller sent welcome before hello'), socket);
        if (token !== undefined) {
          const expected = await controllerProof(token, binding);
          if (!equalBytes(expected, m.proof)) {
            return this.#fail(this.#refused('UNAUTHORIZED', `the controller at ${this.o.url} could not prove it knows this node's auth_token; is it the right controller?`), socket);
          }
          this.#kek = await keyWrappingKey(token, binding);
        }
        this.#limits = { maxFrameBytes: m.maxFrameBytes, maxLabelBytes: m.maxLabelBytes };
        this.#welcomed = true;
        this.o.onEndpoints?.(m.endpoints);
        this.o.onAuth(token !== undefined);
        return;
      }
      case 'keys': {
        const kek = this.#kek;
        if (!kek) {
          log.warn('ignoring link keys from a controller that did not authenticate');
          return;
        }
        if (m.entries.some((e) => e.key.length !== LINK_KEY_BYTES)) {
          log.warn(`ignoring link keys that are not ${LINK_KEY_BYTES} bytes`);
          return;
        }
        const keys = await Promise.all(m.entries.map(async (e) => ({ neighbor: e.neighbor, key: await wrapKey(kek, m.seq, e.neighbor, e.key) })));
        if (socket !== this.#socket) return;
        this.o.onKeys(keys);
        return;
      }
      case 'reject':
        return this.#fail(new NextminiError('CONTROLLER_REJECTED', `the controller refused ${this.#who()}: ${m.message} (${m.code})`), socket);
      case 'assigned': {
        if (this.o.hello.nodeId !== 0 || !this.o.onAssigned) {
          log.warn(`ignoring a node id the controller assigned: node ${this.o.hello.nodeId} did not ask for one`);
          return;
        }
        this.close();
        this.o.onAssigned(m.nodeId);
        this.#first?.resolve();
        this.#first = undefined;
        return;
      }
      case 'snapshot':
        this.o.onSnapshot(m);
        if (this.#first) {
          this.#first.resolve();
          this.#first = undefined;
        }
        return;
      case 'topology-ready':
        this.o.onTopologyReady();
        return;
      case 'links':
        this.o.onLinks(m.links);
        return;
      case 'mcast':
        this.o.onMcastTable(m.table);
        return;
      case 'groups':
        this.o.onGroups(m.groups);
        return;
      case 'routes':
        this.o.onRoutes(m.routeTable);
        return;
      case 'peers':
        this.o.onPeers(m.generation, m.peers);
        return;
      case 'presence':
        this.o.onPresence(m);
        return;
      case 'flow-start':
        this.o.onFlowStart(m);
        return;
      case 'flow-stop':
        this.o.onFlowStop(m.flowId);
        return;
      case 'flow-weights':
        this.o.onFlowWeights(m.list);
        return;
      case 'group-reply': {
        const p = this.#requests.get(m.reqId);
        if (!p) return;
        this.#requests.delete(m.reqId);
        clearTimeout(p.timer);
        p.resolve(m);
        return;
      }
      default:
        log.warn(`unexpected control message ${m.t}`);
    }
  }

  #onClose(socket: MessageSocket): void {
    if (socket !== this.#socket || this.#closed) return;
    // Nothing will answer what was sent on this connection: say so now, not at the timeout.
    for (const p of this.#requests.values()) {
      clearTimeout(p.timer);
      p.reject(new NextminiError('CONTROLLER_UNREACHABLE', 'the connection to the controller was lost before it answered; the operation may or may not have been carried out'));
    }
    this.#requests.clear();
    // #first is set until open() resolved: until then a refused or lost connection is retried.
    if (this.o.reconnect === false && this.#first === undefined) {
      this.#closed = true;
      this.#gaveUp = true;
      log.error(`node ${this.o.hello.nodeId}: lost the connection to the controller at ${this.o.url}; not reconnecting (restart_on_disconnect = false). The node keeps forwarding on its last routes`);
      return;
    }
    const delay = backoff(this.#attempt++);
    if (this.#everConnected) log.info(`controller connection lost; reconnecting in ${delay} ms`);
    else log.info(`cannot reach the controller at ${this.o.url} yet${this.#lastError ? ` (${this.#lastError}${this.#hint()})` : ''}; retrying in ${delay} ms`);
    this.#reconnectTimer = setTimeout(() => this.#connect(), delay);
  }

  /** Sends a group operation and resolves with the controller's reply (errors become NextminiError). */
  request(op: GroupOpBody): Promise<GroupReply> {
    if (this.#gaveUp) return Promise.reject(new NextminiError('CONTROLLER_UNREACHABLE', `the connection to the controller was lost and restart_on_disconnect = false: this node does not reconnect`));
    if (this.#closed) return Promise.reject(new NextminiError('CLOSED', 'the node is closed'));
    if (this.#socket?.readyState !== 1) {
      return Promise.reject(new NextminiError('CONTROLLER_UNREACHABLE', 'not connected to the controller (reconnecting); try again'));
    }
    if (op.op === 'create') {
      const bytes = new TextEncoder().encode(op.label).length;
      if (bytes > this.#limits.maxLabelBytes) {
        return Promise.reject(new NextminiError('INVALID_ARGUMENT', `a group label is at most ${this.#limits.maxLabelBytes} bytes (the controller's max_label_bytes); this one is ${bytes}`));
      }
    }
    const reqId = this.#nextReq++;
    const frame = encode({ t: 'group-op', reqId, ...op } as GroupOp);
    if (frame.length > this.#limits.maxFrameBytes) {
      return Promise.reject(new NextminiError('PAYLOAD_TOO_LARGE', `this ${op.op} request is ${frame.length} bytes; the controller accepts control frames of at most ${this.#limits.maxFrameBytes} (max_frame_bytes)`));
    }
    return new Promise<GroupReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#requests.delete(reqId);
        reject(new NextminiError('TIMEOUT', `the controller did not answer a ${op.op} request within ${REQUEST_TIMEOUT_MS} ms`));
      }, REQUEST_TIMEOUT_MS);
      this.#requests.set(reqId, {
        resolve: (r) => (r.code ? reject(new NextminiError(r.code as NextminiError['code'], r.message)) : resolve(r)),
        reject,
        timer,
      });
      this.#socket!.send(frame);
    });
  }

  send(data: Uint8Array): void {
    if (this.#socket?.readyState === 1) this.#socket.send(data);
  }

  close(): void {
    this.#closed = true;
    for (const p of this.#requests.values()) {
      clearTimeout(p.timer);
      p.reject(new NextminiError('CLOSED', 'the node was closed before the controller answered'));
    }
    this.#requests.clear();
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    this.#socket?.close();
  }
}
