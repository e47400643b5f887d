// Entry for Node, Deno and Bun: imports the installed package by name.
import * as nm from 'nextmini';
import { runChecks } from './checks.mjs';

const runtime = typeof Deno !== 'undefined' ? 'deno' : typeof Bun !== 'undefined' ? 'bun' : 'node';
const result = await runChecks(nm, runtime);
console.log(`SMOKE ${JSON.stringify({ runtime, ...result })}`);
process.exitCode = result.failures.length === 0 ? 0 : 1;
