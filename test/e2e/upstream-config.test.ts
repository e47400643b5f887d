// Config files written as upstream nextmini writes them load here unchanged: ports as strings,
// the `topology` alias, upstream's node keys. Real TOML files, through the API and the CLI.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { Dataplane, PacketView, isNextminiError, startController, type Controller } from 'nextmini';
import { cliPath, codeOf, tempToml } from './harness.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});

async function controller(text: string): Promise<Controller> {
  const c = await startController(tempToml('c.toml', text));
  cleanup.push(() => c.close());
  return c;
}

async function node(text: string): Promise<Dataplane> {
  const dp = await Dataplane.open(tempToml('n.toml', text));
  cleanup.push(() => dp.close());
  return dp;
}

/** A port nothing listens on now (TCP; the node binds UDP, free too in practice). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

describe('ports written as strings', () => {
  it('node: private_network_port and user_space_*_port = "<digits>" are those numbers', async () => {
    const c = await controller('port = "0"\n[topology]\nn_nodes = 2\nedges = [[1, 2]]\n[routing]\nprotocol = "shortest_path"\n');
    const port = await freePort();
    const dp = await node(`node_id = 1\ncontroller_addr = "${c.url}"\nprotocol = "udp"\nprivate_network_port = "${port}"\nuser_space_client_port = "40000"\nuser_space_server_port = "9000"\n`);
    expect(dp.getNetworkInfo().privateNetworkPort).toBe(port);
    expect(dp.config.user_space_client_port).toBe(40000);
    expect(dp.config.user_space_server_port).toBe(9000);
  });

  it('controller: port = "<digits>" listens there; [db] port = "5432" is read as 5432', async () => {
    const port = await freePort();
    const c = await controller(`port = "${port}"\n[topology]\nn_nodes = 1\nedges = []\n`);
    expect(new URL(c.url).port).toBe(String(port));
    // Upstream's docs/testing controller.toml writes its PostgreSQL port as a string.
    const d = await startController(tempToml('c.toml', 'port = 0\n[db]\nhost = "postgres"\nport = "5432"\n[topology]\nn_nodes = 1\nedges = []\n'), { db: false });
    await d.close();
  });

  it.each([
    ['private_network_port = "80a"', /node config\.private_network_port must be a port from 0 to 65535 \(a number, or a string of digits\), got "80a"/],
    ['private_network_port = "-1"', /node config\.private_network_port must be a port/],
    ['user_space_server_port = "70000"', /node config\.user_space_server_port must be a port from 0 to 65535/],
    ['user_space_client_port = ""', /node config\.user_space_client_port must be a port/],
    ['private_network_port = " 80"', /node config\.private_network_port must be a port/],
  ])('node: %s is CONFIG_INVALID naming the key', async (line, message) => {
    const r = await codeOf(Dataplane.open(tempToml('n.toml', `node_id = 1\ncontroller_addr = "127.0.0.1:1"\n${line}\n`)));
    expect(r).toMatch(/^CONFIG_INVALID: /);
    expect(r).toMatch(message);
  });

  it.each([
    ['port = "3000x"\n[topology]\nn_nodes = 1\nedges = []\n', /controller config\.port must be a port from 0 to 65535/],
    ['port = 0\n[db]\nhost = "h"\nport = "0"\n[topology]\nn_nodes = 1\nedges = []\n', /controller config\.db\.port must be a port from 1 to 65535/],
  ])('controller: %j is CONFIG_INVALID naming the key', async (text, message) => {
    const r = await codeOf(startController(tempToml('c.toml', text), { db: false }));
    expect(r).toMatch(/^CONFIG_INVALID: /);
    expect(r).toMatch(message);
  });
});

/** Whether `src -> dst` is a link of the controller's topology (getLink refuses non-links). */
function isLink(c: Controller, src: number, dst: number): boolean {
  try {
    c.getLink(src, dst);
    return true;
  } catch {
    return false;
  }
}

describe('[topology] as upstream writes it', () => {
  it('topology = "ring" (upstream\'s alias of type) with n_nodes beside it is a ring', async () => {
    const c = await controller('port = 0\n[topology]\ntopology = "ring"\nn_nodes = 4\n');
    expect(c.status().expected).toEqual([1, 2, 3, 4]);
    expect([isLink(c, 1, 2), isLink(c, 4, 1), isLink(c, 1, 3)]).toEqual([true, true, false]);
  });

  it('type = "full_mesh" with [topology] n_nodes, and ring_config with the same n_nodes, load', async () => {
    const m = await controller('port = 0\n[topology]\ntype = "full_mesh"\nn_nodes = 3\n');
    expect([isLink(m, 1, 3), isLink(m, 3, 2)]).toEqual([true, true]);
    const r = await controller('port = 0\n[topology]\ntype = "ring"\ntopology = "ring"\nn_nodes = 5\nring_config = { n_nodes = 5 }\n');
    expect(r.status().expected).toHaveLength(5);
  });

  it("a size table with no type says the type (upstream's curl example writes only full_mesh_config)", async () => {
    const c = await controller('port = 0\n[topology]\nfull_mesh_config = { n_nodes = 3 }\n');
    expect(c.status().expected).toEqual([1, 2, 3]);
    expect([isLink(c, 1, 2), isLink(c, 2, 3), isLink(c, 3, 1)]).toEqual([true, true, true]);
    const r = await controller('port = 0\n[topology]\nn_nodes = 4\nring_config = { n_nodes = 4 }\n');
    expect([isLink(r, 1, 2), isLink(r, 4, 1), isLink(r, 1, 3)]).toEqual([true, true, false]);
  });

  it('n_nodes with no edges: that many nodes, no links; they join and the topology is ready', async () => {
    const c = await controller('port = 0\n[topology]\nn_nodes = 2\n');
    expect(c.status().expected).toEqual([1, 2]);
    expect(isLink(c, 1, 2)).toBe(false);
    const a = await node(`node_id = 1\ncontroller_addr = "${c.url}"\nprotocol = "udp"\n`);
    const b = await node(`node_id = 2\ncontroller_addr = "${c.url}"\nprotocol = "udp"\n`);
    expect(await a.waitForTopologyReady({ timeoutMs: 5000 })).toBe(true);
    expect(await b.waitForTopologyReady({ timeoutMs: 5000 })).toBe(true);
    expect(a.stats().links).toEqual([]);
  });

  it.each([
    ['type = "ring"\ntopology = "full_mesh"\nn_nodes = 3\n', /controller config\.topology\.topology \(upstream's alias of type\) is "full_mesh" but type is "ring"; give one/],
    ['topology = "rng"\nn_nodes = 3\n', /controller config\.topology\.topology must be one of "full_mesh", "ring", "torus", "fat_tree", "custom", got "rng"/],
    ['type = "ring"\nn_nodes = 3\nring_config = { n_nodes = 4 }\n', /controller config\.topology\.n_nodes is 3 but ring_config\.n_nodes is 4; give one/],
    ['type = "ring"\n', /controller config\.topology\.ring_config is required when type = "ring" \(or n_nodes in \[topology\], as upstream writes it\)/],
    ['type = "torus"\nn_nodes = 9\ntorus_config = { dim = 2, n = 3 }\n', /controller config\.topology\.n_nodes has no meaning for type = "torus"/],
    ['type = "full_mesh"\nn_nodes = 3\nedges = [[1, 2]]\n', /controller config\.topology\.edges is for a custom topology/],
    ['topolgy = "ring"\nn_nodes = 3\n', /unknown key "topolgy" \(did you mean `topology`\?\)/],
    // A size table for another type would be ignored: a custom topology of unlinked nodes, or a ring of the other size.
    ['n_nodes = 4\nedges = [[1, 2]]\nfull_mesh_config = { n_nodes = 4 }\n', /controller config\.topology\.full_mesh_config is for type = "full_mesh", but \[topology\] has no type \(a custom topology of n_nodes and edges\); add type = "full_mesh", or remove full_mesh_config/],
    ['full_mesh_config = { n_nodes = 3 }\nring_config = { n_nodes = 3 }\n', /controller config\.topology\.(full_mesh|ring)_config is for type = "(full_mesh|ring)", but \[topology\] has no type/],
    ['type = "ring"\nring_config = { n_nodes = 4 }\ntorus_config = { dim = 2, n = 3 }\n', /controller config\.topology\.torus_config is for type = "torus", but type is "ring"; remove torus_config/],
  ])('%j is CONFIG_INVALID naming the key', async (text, message) => {
    const r = await codeOf(startController(tempToml('c.toml', `port = 0\n[topology]\n${text}`)));
    expect(r).toMatch(/^CONFIG_INVALID: /);
    expect(r).toMatch(message);
  });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('node keys controller_connect_timeout_ms and restart_on_disconnect', () => {
  it('controller_connect_timeout_ms is how long open() tries; the connectTimeoutMs option wins', async () => {
    const f = tempToml('n.toml', 'node_id = 1\ncontroller_addr = "127.0.0.1:1"\ncontroller_connect_timeout_ms = 300\n');
    const t0 = Date.now();
    expect(await codeOf(Dataplane.open(f))).toMatch(/^CONTROLLER_UNREACHABLE: no answer from the controller at ws:\/\/127\.0\.0\.1:1\/? within 300 ms/);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(await codeOf(Dataplane.open(f, { connectTimeoutMs: 150 }))).toMatch(/within 150 ms/);
  });

  it('`nextmini node --config` with controller_connect_timeout_ms gives up after it, exiting non-zero', async () => {
    const f = tempToml('n.toml', 'node_id = 1\ncontroller_addr = "127.0.0.1:1"\ncontroller_connect_timeout_ms = 400\n');
    const t0 = Date.now();
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      execFile(process.execPath, [cliPath, 'node', '--config', f], { timeout: 20_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, out: stdout + stderr });
      });
    });
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/within 400 ms/);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('restart_on_disconnect = false: a node that lost its controller does not come back; by default it does', async () => {
    const port = await freePort();
    const text = `port = ${port}\n[topology]\nn_nodes = 2\nedges = [[1, 2]]\n[routing]\nprotocol = "shortest_path"\n`;
    const c1 = await startController(tempToml('c.toml', text));
    const once = await node(`node_id = 1\ncontroller_addr = "127.0.0.1:${port}"\nrestart_on_disconnect = false\n`);
    const again = await node(`node_id = 2\ncontroller_addr = "127.0.0.1:${port}"\n`);
    await c1.close();
    const c2 = await controller(text);
    const t0 = Date.now();
    while (!c2.status().connected.includes(2) && Date.now() - t0 < 10_000) await sleep(50);
    await sleep(1500); // node 1 had as long, and more, to come back if it were going to
    expect(c2.status().connected).toEqual([2]);
    expect(await codeOf(once.createGroup('g'))).toMatch(/^CONTROLLER_UNREACHABLE: .*restart_on_disconnect = false/);
    await again.createGroup('g');
  });

  it.each([
    ['controller_connect_timeout_ms = "5000"', /node config\.controller_connect_timeout_ms must be a whole number from 1 to 86400000, got "5000"/],
    ['controller_connect_timeout_ms = 0', /node config\.controller_connect_timeout_ms must be a whole number from 1/],
    ['restart_on_disconnect = "yes"', /node config\.restart_on_disconnect must be true or false, got "yes"/],
    ['restart_on_disconect = true', /unknown key "restart_on_disconect" \(did you mean `restart_on_disconnect`\?\)/],
  ])('%s is CONFIG_INVALID naming the key', async (line, message) => {
    const r = await codeOf(Dataplane.open(tempToml('n.toml', `node_id = 1\ncontroller_addr = "127.0.0.1:1"\n${line}\n`)));
    expect(r).toMatch(/^CONFIG_INVALID: /);
    expect(r).toMatch(message);
  });
});

/** The error a synchronous call throws, as '<CODE>: <message>'. */
function thrown(fn: () => unknown): string {
  try {
    fn();
    return 'no error';
  } catch (err) {
    return isNextminiError(err) ? `${err.code}: ${err.message}` : `foreign: ${String(err)}`;
  }
}

describe("lossless calls take upstream's blockSize for chunkSize", () => {
  async function pair(): Promise<[Dataplane, Dataplane]> {
    const c = await controller('port = 0\n[topology]\ntype = "full_mesh"\nn_nodes = 2\n[routing]\nprotocol = "shortest_path"\n');
    const a = await node(`node_id = 1\ncontroller_addr = "${c.url}"\nprotocol = "udp"\n`);
    const b = await node(`node_id = 2\ncontroller_addr = "${c.url}"\nprotocol = "udp"\n`);
    expect(await a.waitForTopologyReady({ timeoutMs: 5000 })).toBe(true);
    return [a, b];
  }

  it('sendData / receiveDataAsync with blockSize move the data in chunks of that size', async () => {
    const [a, b] = await pair();
    const data = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7) & 255);
    const dest = b.getNetworkInfo().userSpaceAddr;
    const rx = await b.receiveDataAsync({ destIp: dest, sourceNodeId: 1, expectedBytes: data.length, blockSize: 1000 });
    const before = a.stats().packetsSent;
    const tx = a.sendData({ destIp: dest, receiverIds: [2], buffer: new PacketView(data), blockSize: 1000 });
    expect(await a.losslessWait(tx, { timeoutMs: 15_000 })).toBe(true);
    expect(await b.losslessWait(rx, { timeoutMs: 15_000 })).toBe(true);
    expect(b.getDataBuffer(rx).toBytes()).toEqual(data);
    // 100 chunks of 1000 bytes at least; at the default 8500 it would be 12.
    expect(a.stats().packetsSent - before).toBeGreaterThanOrEqual(100);
  });

  it('blockSize with chunkSize, or a bad blockSize, is INVALID_ARGUMENT naming it, in all three calls', async () => {
    const [a, b] = await pair();
    const dest = b.getNetworkInfo().userSpaceAddr;
    const send = { destIp: dest, receiverIds: [2], buffer: new PacketView(new Uint8Array(10)) };
    const recv = { destIp: dest, sourceNodeId: 1, expectedBytes: 10 };
    expect(thrown(() => a.sendData({ ...send, chunkSize: 1000, blockSize: 1000 }))).toMatch(/^INVALID_ARGUMENT: sendData: give chunkSize or blockSize \(upstream nextmini's name for it\), not both/);
    expect(thrown(() => b.receiveData({ ...recv, chunkSize: 1000, blockSize: 500 }))).toMatch(/^INVALID_ARGUMENT: receiveData: give chunkSize or blockSize/);
    await expect(b.receiveDataAsync({ ...recv, chunkSize: 1000, blockSize: 500 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/give chunkSize or blockSize/) });
    expect(thrown(() => a.sendData({ ...send, blockSize: 0 }))).toMatch(/^INVALID_ARGUMENT: sendData: blockSize must be a whole number from 1 to 65535, got 0/);
    expect(thrown(() => b.receiveData({ ...recv, blockSize: 70_000 }))).toMatch(/^INVALID_ARGUMENT: receiveData: blockSize must be a whole number from 1 to 65535, got 70000/);
    // A string is shown as one: "got 1000" would read as a valid value.
    expect(thrown(() => a.sendData({ ...send, chunkSize: '1000' as never }))).toMatch(/^INVALID_ARGUMENT: sendData: chunkSize must be a whole number from 1 to 65535, got "1000"/);
  });
});

describe("getNetworkInfo() has upstream's keys", () => {
  it('userSpaceAddress, publicNetworkAddr, publicNetworkPort, privateNetworkInterface', async () => {
    const c = await controller('port = 0\n[topology]\ntype = "full_mesh"\nn_nodes = 3\n[routing]\nprotocol = "shortest_path"\n');
    const plain = await node(`node_id = 1\ncontroller_addr = "${c.url}"\nprotocol = "udp"\n`);
    const i = plain.getNetworkInfo();
    expect(i).toMatchObject({ userSpaceAddress: '192.168.0.1', userSpaceAddr: '192.168.0.1', publicNetworkAddr: '127.0.0.1', publicNetworkPort: i.privateNetworkPort, privateNetworkInterface: null });
    expect(i.publicNetworkPort).toBeGreaterThan(0);
    const named = await node(`node_id = 2\ncontroller_addr = "${c.url}"\nprotocol = ["relay", "tcp"]\nprivate_network_addr = "127.0.0.1"\nprivate_network_interface = "lo"\npublic_network_addr = "127.0.0.1"\n`);
    const j = named.getNetworkInfo();
    expect(j).toMatchObject({ userSpaceAddress: '192.168.0.2', publicNetworkAddr: '127.0.0.1', privateNetworkInterface: 'lo' });
    expect(j.publicNetworkPort).toBe(j.endpoints.find((e) => e.protocol === 'tcp')!.port);
    const relayOnly = await node(`node_id = 3\ncontroller_addr = "${c.url}"\nprotocol = "relay"\n`);
    expect(relayOnly.getNetworkInfo()).toMatchObject({ userSpaceAddress: '192.168.0.3', publicNetworkAddr: null, publicNetworkPort: null, privateNetworkInterface: null });
  });

  it('private_network_interface without private_network_addr warns that it is not resolved; it is not an unknown key', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    let warned: string;
    try {
      const r = await codeOf(Dataplane.open(tempToml('n.toml', 'node_id = 1\ncontroller_addr = "127.0.0.1:1"\nprivate_network_interface = "eth0"\ncontroller_connect_timeout_ms = 50\n')));
      expect(r).toMatch(/^CONTROLLER_UNREACHABLE/);
      warned = spy.mock.calls.flat().join('\n');
    } finally {
      spy.mockRestore();
    }
    expect(warned).toMatch(/private_network_interface "eth0" is not resolved to an address here; the data socket binds private_network_addr \(default 127\.0\.0\.1\)/);
    expect(warned).not.toMatch(/upstream nextmini key/);
  });
});

describe("upstream's documented test configs (docs/testing/configs) load as written", () => {
  it('controller.toml and node_sender.toml: a network forms, with warnings for the keys without effect', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    let warned = '';
    try {
      // As upstream writes it, but port 0 and no PostgreSQL server (db: false keeps state in memory).
      const c = await startController(
        tempToml('controller.toml', 'port = 0\nprotocol = "tcp"\nuser_space_base_addr = "192.168.0.0"\n\n[db]\nhost = "postgres"\nport = "5432"\nuser = "pgusr"\npassword = "pgpwrd"\ndatabase = "nextmini"\n\n[topology]\ntype = "full_mesh"\nfull_mesh_config = { n_nodes = 2 }\n\n[routing]\nprotocol = "shortest_path"\n'),
        { db: false },
      );
      cleanup.push(() => c.close());
      const nodeToml = (id: number) =>
        `controller_addr = "${c.url}"\nprivate_network_interface = "eth0"\nprivate_network_name = "python_api"\npublic_network_interface = "eth0"\nnode_id = ${id}\nn_nodes = 2\nnum_tun_queues = 1\nnum_packet_processors = 4\nchannel_capacity = 4096\nqueue_capacity = 4096\nmetrics_collection_interval = 5\n`;
      const a = await node(nodeToml(1));
      const b = await node(nodeToml(2));
      expect(await a.waitForTopologyReady({ timeoutMs: 5000 })).toBe(true);
      const rx = b.registerReceiverFromNode({ srcNodeId: 1 });
      await a.sendToNode({ dstNodeId: 2, frozen: new TextEncoder().encode('hello') });
      const d = await rx.recv({ timeoutMs: 5000 });
      expect(new TextDecoder().decode(d!.payload)).toBe('hello');
      warned = spy.mock.calls.flat().join('\n');
    } finally {
      spy.mockRestore();
    }
    expect(warned).toMatch(/private_network_name, public_network_interface, n_nodes, num_tun_queues, num_packet_processors, metrics_collection_interval are upstream nextmini keys with no effect here; ignored/);
    expect(warned).toMatch(/private_network_interface "eth0" is not resolved to an address here/);
    expect(warned).toMatch(/controller config: protocol is an upstream nextmini key with no effect here/);
  });
});

describe("every key of upstream's config reference loads (docs/content/docs/config)", () => {
  // Upstream's dataplane page: TCP reordering, namespace-mode and auto-configuration keys, and
  // QUIC; its controller page: max_server_port and the address plan. None has a meaning here,
  // and none may make an upstream file fail.
  const NODE_EXTRA = [
    'quic_congestion_control = "bbr"',
    'enforce_tcp_order = true',
    'delay_tolerance = 500',
    'backlog_tolerance = 0',
    'auto_enable_ip_forward = false',
    'auto_add_forward_rules = false',
    'auto_add_nat = false',
    'bridge_name = "isobr0"',
    'bridge_ip = "172.16.8.1"',
    'subnet = 16',
    'interval_between_spawn = 50',
    'carrier_max_wait_ms = 20000',
    'carrier_poll_interval_ms = 100',
    'child_start_delay_ms = 150',
    'handshake_timeout_ms = 25000',
  ];
  it('node and controller keys without effect here warn once each file, naming them; protocol = "quic" runs over TCP and says so', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    let warned = '';
    try {
      const c = await controller('port = 0\nmax_server_port = 8081\nbase_addr = "10.0.0.0"\nnet_mask = "255.255.0.0"\nexternal_base_addr = "172.16.8.3"\n[topology]\ntype = "full_mesh"\nfull_mesh_config = { n_nodes = 2 }\n[routing]\nprotocol = "shortest_path"\n');
      const toml = (id: number) => `node_id = ${id}\ncontroller_addr = "${c.url}"\nprotocol = "quic"\n${NODE_EXTRA.join('\n')}\n`;
      const a = await node(toml(1));
      const b = await node(toml(2));
      expect(a.getNetworkInfo().protocols).toEqual(['tcp']);
      expect(await a.waitForTopologyReady({ timeoutMs: 5000 })).toBe(true);
      const rx = b.registerReceiverFromNode({ srcNodeId: 1 });
      await a.sendToNode({ dstNodeId: 2, frozen: new TextEncoder().encode('over tcp') });
      expect(new TextDecoder().decode((await rx.recv({ timeoutMs: 5000 }))!.payload)).toBe('over tcp');
      warned = spy.mock.calls.flat().join('\n');
    } finally {
      spy.mockRestore();
    }
    const keys = NODE_EXTRA.map((l) => l.split(' = ')[0]!);
    expect(warned).toContain(`node config: ${keys.join(', ')} are upstream nextmini keys with no effect here; ignored`);
    expect(warned).toMatch(/controller config: max_server_port, base_addr, net_mask, external_base_addr are upstream nextmini keys with no effect here; ignored/);
    expect(warned).toMatch(/node config\.protocol = "quic": there is no QUIC here; this node speaks "tcp" instead/);
    // Once per node file: two nodes, two warnings (not one per reading of the key).
    expect(warned.match(/there is no QUIC here/g)).toHaveLength(2);
  });

  it('addresses written as upstream\'s documented default "" ("auto-detected when empty") are the same as leaving them out', async () => {
    const c = await controller('port = 0\n[topology]\ntype = "full_mesh"\nfull_mesh_config = { n_nodes = 2 }\n[routing]\nprotocol = "shortest_path"\n');
    const a = await node(`node_id = 1\ncontroller_addr = "${c.url}"\nprotocol = "udp"\nprivate_network_addr = ""\npublic_network_addr = ""\nprivate_network_interface = ""\n`);
    expect(a.getNetworkInfo()).toMatchObject({ privateNetworkAddr: '127.0.0.1', publicNetworkAddr: '127.0.0.1', privateNetworkInterface: null });
    const b = await node(`node_id = 2\ncontroller_addr = "${c.url}"\nprotocol = "udp"\n`);
    expect(await a.waitForTopologyReady({ timeoutMs: 5000 })).toBe(true);
    const rx = b.registerReceiverFromNode({ srcNodeId: 1 });
    await a.sendToNode({ dstNodeId: 2, frozen: new TextEncoder().encode('hi') });
    expect((await rx.recv({ timeoutMs: 5000 }))?.payload.length).toBe(2);
  });

  it('protocol = ["quic", "tcp"] is refused saying quic runs as tcp, not as "a protocol listed twice"', async () => {
    const r = await codeOf(Dataplane.open(tempToml('n.toml', 'node_id = 1\ncontroller_addr = "127.0.0.1:1"\nprotocol = ["quic", "tcp"]\n')));
    expect(r).toMatch(/^CONFIG_INVALID: node config\.protocol lists "tcp" twice: \["quic","tcp"\] \("quic" runs as "tcp" here\)/);
  });
});

describe("upstream's python-api calls beyond the seed (python-api/src/lib.rs)", () => {
  it('sendBatchToNode, flowIdFromNodes, waitForGroupCreated and registerGroupReceiver work as their upstream counterparts', async () => {
    const c = await controller('port = 0\n[topology]\ntype = "full_mesh"\nfull_mesh_config = { n_nodes = 3 }\n[routing]\nprotocol = "shortest_path"\n');
    const [a, b, m] = await Promise.all([1, 2, 3].map((id) => node(`node_id = ${id}\ncontroller_addr = "${c.url}"\n`)));
    expect(await a!.waitForTopologyReady({ timeoutMs: 5000 })).toBe(true);
    // send_batch_to_node: every buffer, in order, one message each.
    const rx = b!.registerReceiverFromNode({ srcNodeId: 1, srcPort: 40000, dstPort: 50000 });
    const ids = await a!.sendBatchToNode({ dstNodeId: 2, frozenBuffers: ['one', 'two', 'three'].map((t) => new PacketView(new TextEncoder().encode(t))), srcPort: 40000, dstPort: 50000 });
    expect(ids).toHaveLength(3);
    const got: string[] = [];
    for (let i = 0; i < 3; i++) got.push(new TextDecoder().decode((await rx.recv({ timeoutMs: 5000 }))!.payload));
    expect(got.sort()).toEqual(['one', 'three', 'two']);
    await expect(a!.sendBatchToNode({ dstNodeId: 2, frozenBuffers: 'x' as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/sendBatchToNode: frozenBuffers must be an array/) });
    // flow_id_from_nodes: the flow id a delivery of that flow carries.
    const d = await (async () => {
      await a!.sendToNode({ dstNodeId: 2, frozen: new PacketView(new Uint8Array([1])), srcPort: 40000, dstPort: 50000 });
      return rx.recv({ timeoutMs: 5000 });
    })();
    expect(a!.flowIdFromNodes({ srcNodeId: 1, dstNodeId: 2, srcPort: 40000, dstPort: 50000 })).toBe(d!.flowId);
    expect(typeof b!.flowIdFromNodes({ srcNodeId: 1, dstNodeId: 2 })).toBe('bigint');
    // wait_for_group_created and register_group_receiver(group_id, src_node_id).
    expect(await m!.waitForGroupCreated(1, { timeoutMs: 50 })).toBe(false);
    const waiting = m!.waitForGroupCreated(1, { timeoutMs: 5000 });
    const g = await a!.createGroup('batch');
    expect(await waiting).toBe(true);
    await m!.joinGroup(g.groupId);
    const grx = m!.registerGroupReceiver({ groupId: g.groupId, srcNodeId: 1 });
    await a!.setGroupRoutes(g.groupId, [[1, 3]]);
    expect(await m!.waitForLocalMembership(g.groupId, { timeoutMs: 5000 })).toBe(true);
    await a!.sendToGroup({ groupId: g.groupId, frozen: new PacketView(new TextEncoder().encode('to the group')) });
    expect(new TextDecoder().decode((await grx.recv({ timeoutMs: 5000 }))!.payload)).toBe('to the group');
    expect(() => m!.registerGroupReceiver({ groupId: 99, srcNodeId: 1 })).toThrow(expect.objectContaining({ code: 'UNKNOWN_GROUP' }));
  });
});
