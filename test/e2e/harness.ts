// Spawns node agents (test/e2e/agent.mjs) and CLI processes, and talks to agents over IPC.
import { execFile, fork, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isNextminiError } from 'nextmini';

const agentPath = fileURLToPath(new URL('./agent.mjs', import.meta.url));
export const cliPath = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/** How a CLI run ended: its exit code (null when killed, e.g. by the timeout) and its output. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node dist/cli.js <args>` to its end (asynchronously: a server under test may be in this
 * process). `env` is laid over this process's environment; a run still going after `timeoutMs`
 * is killed and reports code null.
 */
export function runCliToEnd(args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cliPath, ...args], { env: { ...process.env, ...env }, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (err as { code?: unknown }).code : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

export class AgentError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class Agent {
  #child: ChildProcess;
  #next = 1;
  #pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  #started: Promise<void>;

  constructor(config: Record<string, unknown>) {
    this.#child = fork(agentPath, [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.#started = new Promise((resolve, reject) => {
      this.#child.once('error', reject);
      this.#child.on('message', (m: { ready?: boolean; id?: number; ok?: boolean; result?: unknown; error?: { code: string; message: string } }) => {
        if (m.ready) return resolve();
        const p = this.#pending.get(m.id!);
        if (!p) return;
        this.#pending.delete(m.id!);
        if (m.ok) p.resolve(m.result);
        else p.reject(new AgentError(m.error!.code, m.error!.message));
      });
    });
    this.#child.on('exit', () => {
      for (const p of this.#pending.values()) p.reject(new Error('agent exited'));
      this.#pending.clear();
    });
  }

  /** The agent's process id (to signal it: SIGSTOP, SIGCONT). */
  get pid(): number {
    return this.#child.pid!;
  }

  async call<T = unknown>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    await this.#started;
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#child.send({ id, cmd, args });
    });
  }

  async stop(): Promise<void> {
    try {
      await Promise.race([this.call('close'), new Promise((r) => setTimeout(r, 2000))]);
    } catch {
      /* already gone */
    }
    this.#child.kill();
  }
}

/** Runs `nextmini <args>` as a child process; resolves once `readyLine` appears in stdout. */
export function runCli(args: string[], readyLine: RegExp, env: Record<string, string> = {}): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nextmini ${args.join(' ')} did not print ${readyLine}:\n${out}`)), 15_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      if (readyLine.test(out)) {
        clearTimeout(timer);
        resolve({ child, output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`nextmini ${args.join(' ')} exited with ${code}:\n${out}`));
    });
  });
}

export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    // A child killed by a signal has exitCode null and signalCode set; either means it is gone.
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export function tempToml(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'nextmini-e2e-'));
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** Settles as `p` does, or as 'hung' after `ms`. */
export const within = <T>(p: Promise<T>, ms: number): Promise<T | 'hung'> => Promise.race([p, new Promise<'hung'>((r) => setTimeout(() => r('hung'), ms))]);

/** What a promise settles as: 'resolved', or '<CODE>: <message>' for a NextminiError. */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    return isNextminiError(err) ? `${err.code}: ${err.message}` : `foreign: ${String(err)}`;
  }
}

/**
 * Runs one of the seed's example scripts (test/e2e/seed/*.mjs) in its own process with `args`;
 * `done` resolves with its JSON result line (the first line starting `{"role"`), or with its
 * output when it exits cleanly or is stopped, and rejects with the output when it fails. The
 * process is killed by `kill()`, which `stopAll` in an afterEach should also cover.
 */
export function runSeedScript(file: string, args: string[], stopAll: (() => void)[]): { done: Promise<string>; kill: () => void } {
  const script = fileURLToPath(new URL(`./seed/${file}`, import.meta.url));
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const done = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const line = out.split('\n').find((l) => l.startsWith('{"role"'));
      if (line) resolve(line);
    });
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    child.on('exit', (code, signal) => (code === 0 || signal === 'SIGTERM' ? resolve(out) : reject(new Error(`${file} exited ${code}:\n${out}`))));
  });
  stopAll.push(() => child.kill('SIGTERM'));
  return { done, kill: () => child.kill('SIGTERM') };
}
