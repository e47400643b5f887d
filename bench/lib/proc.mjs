// Child processes for the bench: every one is tracked so that it is killed on success,
// failure, an uncaught error or Ctrl-C. Commands go over IPC as {id, cmd, args}.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const live = new Set();

/** Kills every child still running (synchronous: safe in 'exit' handlers). */
export function killAll(signal = 'SIGKILL') {
  for (const c of live) {
    try {
      c.kill(signal);
    } catch {
      /* already gone */
    }
  }
  live.clear();
}

let hooked = false;
function hookExit() {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => killAll());
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      console.error(`\nbench: ${sig}, stopping ${live.size} child process(es)`);
      killAll();
      process.exit(130);
    });
  }
}

export const agentPath = fileURLToPath(new URL('../agent.mjs', import.meta.url));
export const rawAgentPath = fileURLToPath(new URL('../raw-agent.mjs', import.meta.url));

/**
 * A child process driven over IPC. `profileDir` runs it under `node --cpu-prof`; the
 * profile is written when the child exits normally (stop() asks it to).
 */
export class Child {
  #child;
  #next = 1;
  #pending = new Map();
  #started;
  #exited;
  name;

  constructor(script, { name = 'child', args = [], profileDir, env } = {}) {
    hookExit();
    this.name = name;
    const execArgv = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}.${process.hrtime.bigint()}.cpuprofile`] : [];
    this.#child = fork(script, args, {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: [...execArgv, '--expose-gc'],
      env: { ...process.env, NEXTMINI_LOG: process.env.NEXTMINI_LOG ?? 'error', ...env },
    });
    live.add(this.#child);
    this.#exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#started = new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${name}: did not start within 20 s`)), 20_000);
      this.#child.once('error', (e) => {
        clearTimeout(t);
        reject(e);
      });
      this.#child.on('message', (m) => {
        if (m?.ready) {
          clearTimeout(t);
          return resolve();
        }
        const p = this.#pending.get(m?.id);
        if (!p) return;
        this.#pending.delete(m.id);
        clearTimeout(p.timer);
        if (m.ok) p.resolve(m.result);
        else p.reject(new Error(`${name}: ${m.error}`));
      });
    });
    this.#started.catch(() => {});
    this.#child.once('exit', (code, sig) => {
      live.delete(this.#child);
      for (const p of this.#pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error(`${name} exited (${code ?? sig})`));
      }
      this.#pending.clear();
    });
  }

  get pid() {
    return this.#child.pid;
  }

  /** Sends a command; rejects after timeoutMs (every call is bounded). */
  async call(cmd, args = {}, timeoutMs = 60_000) {
    await this.#started;
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${this.name}: '${cmd}' timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      try {
        this.#child.send({ id, cmd, args });
      } catch (err) {
        clearTimeout(timer);
        this.#pending.delete(id);
        reject(err);
      }
    });
  }

  /** Asks the child to close and exit; kills it if it has not within 5 s. */
  async stop() {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    try {
      await this.call('exit', {}, 5000);
    } catch {
      /* it may exit before answering */
    }
    const t = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
    await this.#exited;
    clearTimeout(t);
  }
}

/** Serves IPC commands in a child: `handlers[cmd](args)`; 'exit' closes and exits. */
export function serve(handlers, onExit = async () => {}) {
  // The bench process is gone: never linger.
  process.on('disconnect', () => process.exit(0));
  process.on('message', async (msg) => {
    if (msg.cmd === 'exit') {
      try {
        await onExit();
      } catch {
        /* exiting anyway */
      }
      process.send({ id: msg.id, ok: true, result: true });
      // process.exit (not a kill) so that --cpu-prof writes its profile.
      setImmediate(() => process.exit(0));
      return;
    }
    try {
      const h = handlers[msg.cmd];
      if (!h) throw new Error(`unknown command ${msg.cmd}`);
      process.send({ id: msg.id, ok: true, result: await h(msg.args ?? {}) });
    } catch (err) {
      process.send({ id: msg.id, ok: false, error: String(err?.stack ?? err) });
    }
  });
  process.send({ ready: true });
}

/** A wall clock shared by processes on this machine, in ms with sub-ms resolution. */
export const wallMs = () => performance.timeOrigin + performance.now();

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
