// A one-line terminal progress bar (redrawn in place on a TTY, printed at milestones otherwise).
export class ProgressBar {
  #lastPct = -1;
  readonly #tty: boolean;

  constructor(
    private readonly label: string,
    private readonly width = 30,
    stream: { isTTY?: boolean } = process.stdout,
  ) {
    this.#tty = stream.isTTY === true;
  }

  update(done: number, total: number, extra = ''): void {
    const pct = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 100;
    if (!this.#tty && pct < 100 && pct < this.#lastPct + 25) return;
    if (pct === this.#lastPct && !this.#tty) return;
    this.#lastPct = pct;
    const filled = Math.round((pct / 100) * this.width);
    const bar = `${'#'.repeat(filled)}${'.'.repeat(this.width - filled)}`;
    const line = `${this.label} [${bar}] ${String(pct).padStart(3)}% ${formatBytes(done)}/${formatBytes(total)} ${extra}`;
    if (this.#tty) process.stdout.write(`\r${line}\x1b[K`);
    else console.log(line);
  }

  finish(): void {
    if (this.#tty) process.stdout.write('\n');
  }
}

export function formatBytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}
