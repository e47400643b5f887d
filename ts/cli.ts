#!/usr/bin/env node
// `npx nextmini <command>`: controller, node and demo. Grows with the SDK.
import { main } from './cli/main.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const code = (err as { code?: unknown })?.code;
    console.error(err instanceof Error ? `${err.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${err.message}` : String(err));
    process.exit(1);
  },
);
