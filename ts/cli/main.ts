import { runDemo } from './demo.js';

const USAGE = `usage: nextmini <command> [options]

commands:
  demo                          run a local demo on embedded defaults
  help                          this text`;

export async function main(args: string[]): Promise<number> {
  const [cmd, ...rest] = args;
  switch (cmd) {
    case 'demo':
      return runDemo(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    default:
      console.error(`nextmini: unknown command '${cmd}'\n\n${USAGE}`);
      return 2;
  }
}
