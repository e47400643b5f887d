// Reading a TOML file is host I/O, so it lives apart from validation (which runs anywhere).
import { readFile } from 'node:fs/promises';
import { parse } from 'smol-toml';
import { NextminiError } from '../errors.js';
import type { Table } from './reader.js';

export async function loadTomlOrObject(what: string, config: string | object): Promise<Table> {
  if (typeof config !== 'string') return config as Table;
  let text: string;
  try {
    text = await readFile(config, 'utf8');
  } catch (err) {
    throw new NextminiError('CONFIG_INVALID', `${what}: cannot read ${config}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return parse(text) as Table;
  } catch (err) {
    throw new NextminiError('CONFIG_INVALID', `${what}: ${config} is not valid TOML: ${(err as Error).message}`, { cause: err });
  }
}
