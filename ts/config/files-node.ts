// Reading the files a controller config names (token files, TLS paths) on Node, Deno and Bun:
// a relative path is relative to the config file's directory.
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { ConfigFiles } from './controller-config.js';

export function nodeConfigFiles(baseDir: string): ConfigFiles {
  return {
    resolve: (p) => (isAbsolute(p) ? p : resolve(baseDir, p)),
    readText: (p) => readFileSync(p, 'utf8'),
  };
}
