// Shared pieces of the fault probes: child processes, RSS readings, raw sockets. Every probe
// targets 127.0.0.1 only and is bounded in count and time.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../', import.meta.url));
export const cli = join(root, 'dist', 'cli.js');
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const MiB = 1 << 20;

/** RSS of a process in bytes (Linux /proc). */
export function rssOf(pid) {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
}

/** Samples a process's RSS every `everyMs` until stopped; returns { stop(): peak }. */
export function sampleRss(pid, everyMs = 25) {
  let peak = rssOf(pid);
  const t = setInterval(() => {
    try {
      peak = Math.max(peak, rssOf(pid));
    } catch {
      /* gone */
    }
  }, everyMs);
  return { stop: () => (clearInterval(t), peak) };
}

export function tempFile(name, text) {
  const p = join(mkdtempSync(join(tmpdir(), 'nextmini-faults-')), name);
  writeFileSync(p, text);
  return p;
}

/** Starts `nextmini <args>` and resolves once `ready` matches its output. */
export function startCli(args, ready, timeoutMs = 20_000) {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nextmini ${args.join(' ')}: no ${ready} within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const on = (b) => {
      out += b;
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, match: m, output: () => out, stop: () => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', () => r()), child.kill('SIGTERM')))) });
      }
    };
    child.stdout.on('data', on);
    child.stderr.on('data', on);
    child.once('exit', (code) => reject(new Error(`nextmini ${args.join(' ')} exited ${code}:\n${out}`)));
  });
}

export const fmtMiB = (b) => `${(b / MiB).toFixed(0)} MiB`;
