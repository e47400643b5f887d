// Who may join: the hello's proof of the node's secret, and the data address it announces.
// Pure decisions; the controller carries them out.
import { controllerProof, equalBytes, keyWrappingKey, nodeProof, NONCE_BYTES, PROOF_BYTES, type HelloBinding } from '../control/auth.js';
import type { Hello } from '../control/messages.js';
import { authRequired, type SecurityConfig } from '../config/security-config.js';

/** The secret node `id` must prove: its own token, else the shared one; undefined = no authentication. */
export function tokenFor(sec: SecurityConfig, id: number): string | undefined {
  return sec.nodeTokens.get(id) ?? sec.authToken;
}

export type HelloVerdict =
  | { ok: true; token: string | undefined; welcomeProof: Uint8Array; kek: Uint8Array | undefined }
  | { ok: false; message: string };

/** Checks hello's proof against the challenge this connection was sent. */
export async function verifyHello(sec: SecurityConfig, hello: Hello, serverNonce: Uint8Array): Promise<HelloVerdict> {
  if (!authRequired(sec)) return { ok: true, token: undefined, welcomeProof: new Uint8Array(0), kek: undefined };
  const token = tokenFor(sec, hello.nodeId);
  if (token === undefined && hello.nodeId === 0) {
    return {
      ok: false,
      message:
        'a node with node_id = 0 asks the controller for an id and proves the shared auth_token, but this controller has none: it gives each node its own [[nodes]] token, ' +
        'which is for one id; set node_id in the node config to the id its token is for',
    };
  }
  if (token === undefined) {
    return { ok: false, message: `node ${hello.nodeId} has no token: the controller's config sets per-node tokens ([[nodes]] token) but none for this node, and no auth_token` };
  }
  if (hello.proof.length === 0) return { ok: false, message: `node ${hello.nodeId} sent no proof; set auth_token in its config` };
  if (hello.clientNonce.length !== NONCE_BYTES || hello.proof.length !== PROOF_BYTES) {
    return { ok: false, message: `node ${hello.nodeId} sent a malformed proof` };
  }
  const binding: HelloBinding = { serverNonce, clientNonce: hello.clientNonce, nodeId: hello.nodeId };
  if (!equalBytes(await nodeProof(token, binding), hello.proof)) {
    const own = sec.nodeTokens.has(hello.nodeId);
    return {
      ok: false,
      message: own
        ? `node ${hello.nodeId} did not prove its own secret: the controller config gives it a [[nodes]] token, and only that one works for it (not auth_token)`
        : `node ${hello.nodeId} did not prove the right secret (wrong auth_token?)`,
    };
  }
  return { ok: true, token, welcomeProof: await controllerProof(token, binding), kek: await keyWrappingKey(token, binding) };
}

const WILDCARDS = new Set(['', '0.0.0.0', '::', '[::]']);

/**
 * The data address (of a UDP or TCP endpoint) to hand to other nodes for node `id`, or why it
 * is refused. The controller vouches only for the address the node connected from, or the
 * `[[nodes]] public_network_addr` configured for it; a wildcard bind address is replaced by the
 * connection's address. (Relay and memory endpoints carry no address: the relay addresses
 * nodes by id, and memory reaches only transports in the same JavaScript realm.)
 */
export function vouchDataHost(sec: SecurityConfig, id: number, host: string, remote: string): { host: string } | { error: string } {
  if (WILDCARDS.has(host)) return { host: remote };
  if (host === remote || sec.publicAddrs.get(id) === host || sec.allowAnyDataHost) return { host };
  const configured = sec.publicAddrs.get(id);
  return {
    error:
      `node ${id} announces the data address ${host}, but connected from ${remote || 'an unknown address'}; ` +
      `the controller hands out only addresses it can vouch for: the connection's own${configured ? ` or ${configured} ([[nodes]] public_network_addr)` : ''}. ` +
      `Set [[nodes]] public_network_addr = "${host}" for node ${id} in the controller config, or allow_any_data_host = true`,
  };
}
