// Bundles the tsc output (build/tsc) into dist/: one ESM file per entry, the .wasm beside
// them, and the declarations under dist/types. tsc has already type-checked and emitted JS; rollup only joins modules and pulls in
// the generated wasm-bindgen glue from wasm/.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';

const root = dirname(fileURLToPath(import.meta.url));
const glue = join(root, 'wasm', 'nextmini_core.js');

/** The tsc output imports ../../wasm/*.js relative to build/tsc; point rollup at the real wasm/. */
function wasmGlue() {
  return {
    name: 'nextmini-wasm-glue',
    resolveId(source, importer) {
      if (!importer || !source.endsWith('wasm/nextmini_core.js')) return null;
      return resolve(dirname(importer), source).includes(join('build', 'tsc')) ? glue : null;
    },
    generateBundle() {
      this.emitFile({
        type: 'asset',
        fileName: 'nextmini_core_bg.wasm',
        source: readFileSync(join(root, 'wasm', 'nextmini_core_bg.wasm')),
      });
    },
  };
}

// The controller's database drivers stay outside the bundle: PGlite (27 MB of wasm and data
// files) and pg are loaded with import() only when a store needs them. The browser entry
// reaches the controller's logic (startNetwork in a tab) but never its server, the stores
// that need a driver, or file I/O; the check below fails the build if that ever changes.
const DRIVERS = ['pg', '@electric-sql/pglite'];
const isDriver = (id) => DRIVERS.some((d) => id === d || id.startsWith(`${d}/`));
/** Left to the runtime, and what no browser can load: Node's built-ins, ws, the TOML reader, the drivers. */
const external = (id) => id.startsWith('node:') || id === 'ws' || id === 'smol-toml' || isDriver(id);

/** Fails the browser build if it would import a node-only module or a database driver, even lazily. */
function noNodeModulesInBrowser() {
  return {
    name: 'nextmini-no-node-modules-in-browser',
    generateBundle(_options, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk') continue;
        const bad = [...chunk.imports, ...chunk.dynamicImports].filter(external);
        if (bad.length) this.error(`the browser bundle ${chunk.fileName} imports ${bad.join(', ')}`);
        if (chunk.fileName !== 'browser.js') this.error(`the browser bundle split off ${chunk.fileName} (a lazily imported module); browsers get one file`);
      }
    },
  };
}

export default [
  {
    input: { node: 'build/tsc/ts/index.node.js', cli: 'build/tsc/ts/cli.js' },
    external,
    plugins: [wasmGlue(), copyDeclarations()],
    output: { dir: 'dist', format: 'es', entryFileNames: '[name].js', chunkFileNames: 'shared-[hash].js' },
  },
  {
    input: { browser: 'build/tsc/ts/index.browser.js' },
    external,
    plugins: [wasmGlue(), noNodeModulesInBrowser()],
    output: { dir: 'dist', format: 'es', entryFileNames: '[name].js' },
  },
];

function copyDeclarations() {
  return {
    name: 'nextmini-declarations',
    async writeBundle() {
      const { cpSync, mkdirSync, rmSync } = await import('node:fs');
      rmSync(join(root, 'dist', 'types'), { recursive: true, force: true });
      mkdirSync(join(root, 'dist', 'types'), { recursive: true });
      cpSync(join(root, 'build', 'tsc', 'ts'), join(root, 'dist', 'types'), {
        recursive: true,
        filter: (src) => !src.endsWith('.js'),
      });
      // Some declarations refer to the generated glue's types (../../wasm/nextmini_core.js).
      mkdirSync(join(root, 'dist', 'wasm'), { recursive: true });
      cpSync(join(root, 'wasm', 'nextmini_core.d.ts'), join(root, 'dist', 'wasm', 'nextmini_core.d.ts'));
    },
  };
}
