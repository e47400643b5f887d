// dist/browser.js (built by npm test before vitest) must load in a page: no imports at all
// (rollup already refuses node-only ones; this checks the file itself), nothing of the
// controller's server, the TOML reader or the database drivers, and startNetwork exported.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';

const bundle = readFileSync(new URL('../../dist/browser.js', import.meta.url), 'utf8');
// Comments may name node modules; only code counts.
const code = bundle.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');

describe('the browser bundle', () => {
  it('imports nothing, statically or lazily', () => {
    expect(code.match(/^\s*import\s[^(]/gm) ?? []).toEqual([]);
    expect(code.match(/\bimport\s*\(/g) ?? []).toEqual([]);
    expect(code.match(/\brequire\s*\(/g) ?? []).toEqual([]);
  });

  it('holds none of node:*, ws, pg, PGlite or smol-toml', () => {
    for (const name of [/['"]node:[a-z_/]+['"]/, /['"]ws['"]/, /['"]pg['"]/, /electric-sql|pglite/i, /smol-toml/, /WebSocketServer/, /createServer/]) {
      expect(code, String(name)).not.toMatch(name);
    }
  });

  it('exports startNetwork, Network and the Dataplane', () => {
    const exported = /export\s*\{([^}]*)\}\s*;?\s*$/.exec(code)?.[1] ?? '';
    const names = exported.split(',').map((e) => e.trim().split(/\s+as\s+/).pop());
    expect(names).toEqual(expect.arrayContaining(['startNetwork', 'Network', 'Dataplane', 'init']));
  });
});
