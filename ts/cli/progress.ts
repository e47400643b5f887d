// A one-line terminal progress bar (redrawn in place on a TTY, printed at milestones otherwise).
export interface BarStream {
  isTTY?: boolean;
  write?(s: string): unknown;
}

const pctOf = (n: number, total: number) => (total > 0 ? Math.min(100, Math.floor((n / total) * 100)) : 100);

export class ProgressBar {
  #lastPct = -1;
  #lastSentPct = -1;
  readonly #tty: boolean;
  readonly #write: (s: string) => void;

  constructor(
    private readonly label: string,
    private readonly width = 30,
    stream: BarStream = process.stdout,
  ) {
    this.#tty = stream.isTTY === true;
    this.#write = stream.write ? (s) => void stream.write!(s) : (s) => void process.stdout.write(s);
  }

  update(done: number, total: number, extra = ''): void {
    const pct = pctOf(done, total);
    if (!this.#tty && pct < 100 && pct < this.#lastPct + 25) return;
    if (pct === this.#lastPct && !this.#tty) return;
    this.#lastPct = pct;
    const filled = Math.round((pct / 100) * this.width);
    const bar = `${'#'.repeat(filled)}${'.'.repeat(this.width - filled)}`;
    this.#draw(`${this.label} [${bar}] ${String(pct).padStart(3)}% ${formatBytes(done)}/${formatBytes(total)} ${extra}`);
  }

  /**
   * A lossless send: bytes sent at least once and bytes every receiver confirmed. Confirmed
   * bytes lag a whole pass behind (receivers confirm when asked, after it), so a bar of them
   * alone stands still while data flows; `#` is confirmed, `=` sent and not yet confirmed.
   */
  transfer(sent: number, confirmed: number, total: number, extra = ''): void {
    const s = pctOf(sent, total);
    const c = pctOf(confirmed, total);
    if (!this.#tty) {
      // Milestones: a first line, each 25% step of either figure, and either reaching 100%.
      const step = (now: number, last: number) => last < 0 || (now !== last && (now === 100 || now >= last + 25));
      if (!step(s, this.#lastSentPct) && !step(c, this.#lastPct)) return;
    }
    this.#lastSentPct = s;
    this.#lastPct = c;
    const hashes = Math.round((c / 100) * this.width);
    const sentCells = Math.max(hashes, Math.round((s / 100) * this.width));
    const bar = `${'#'.repeat(hashes)}${'='.repeat(sentCells - hashes)}${'.'.repeat(this.width - sentCells)}`;
    this.#draw(
      `${this.label} [${bar}] sent ${String(s).padStart(3)}% ${formatBytes(sent)}, confirmed ${String(c).padStart(3)}% ${formatBytes(confirmed)} of ${formatBytes(total)} ${extra}`,
    );
  }

  #draw(line: string): void {
    this.#write(this.#tty ? `\r${line}\x1b[K` : `${line}\n`);
  }

  finish(): void {
    if (this.#tty) this.#write('\n');
  }
}

export function formatBytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}
