import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';

// The core must stay sans-IO: its .wasm may import only the glue wasm-bindgen generates for
// errors and its own runtime, never a clock, randomness or any host I/O. A new import here
// means someone reached for the host from inside the core: pass it in as an argument instead.
const ALLOWED = new Set(['__wbindgen_throw', 'Error', '__wbindgen_init_externref_table']);

// wasm-bindgen also emits numbered "generic" intrinsics; accept one only when the generated
// glue labels it a pure cast (e.g. `Ref(String) -> Externref`), never a host call.
const glue = readFileSync(new URL('../../wasm/nextmini_core.js', import.meta.url), 'utf8');
function isCastIntrinsic(name: string): boolean {
  if (!/^__wbindgen_generic_[0-9a-f]+$/.test(name)) return false;
  const at = glue.indexOf(`${name}: function`);
  return at >= 0 && /^[^\n]*\n\s*\/\/ Cast intrinsic for `[^`]+`\.\n/.test(glue.slice(at));
}

function jsName(importName: string): string {
  // wasm-bindgen names imports `__wbg_<js name>_<16 hex hash>`; intrinsics `__wbindgen_<name>`.
  const m = /^__wbg_(.+)_[0-9a-f]{16}$/.exec(importName);
  return m ? m[1]! : importName;
}

describe('sans-IO guard', () => {
  for (const file of ['wasm/nextmini_core_bg.wasm', 'dist/nextmini_core_bg.wasm']) {
    it(`${file} imports nothing but wasm-bindgen glue`, () => {
      const mod = new WebAssembly.Module(readFileSync(new URL(`../../${file}`, import.meta.url)));
      const imports = WebAssembly.Module.imports(mod);
      expect(imports.length).toBeGreaterThan(0);
      for (const imp of imports) {
        expect(imp.module).toBe('./nextmini_core_bg.js');
        expect(imp.kind).toBe('function');
        if (isCastIntrinsic(imp.name)) continue;
        expect(ALLOWED, `unexpected import ${imp.name}`).toContain(jsName(imp.name));
      }
    });
  }
});
