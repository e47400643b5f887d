// Suggestions for misspelt names: the known name closest to what was written, by edit distance.

/** Levenshtein distance, with a swap of two neighbouring letters counted as one edit. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) rows.push([i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}

/**
 * How far `word` is from the known name `k`. A name cut short or with a unit left off
 * (`delay` for `delay_ms`, `bucket` for `bucket_size`) counts as one edit.
 */
function distance(w: string, k: string): number {
  const short = w.length < k.length ? w : k;
  if (short.length >= 4 && (k.startsWith(w) || w.startsWith(k))) return 1;
  return editDistance(w, k);
}

/**
 * The known name closest to `word`, if it is close enough to be a plausible typo: at most a
 * third of the longer name's letters differ (at least one edit allowed), so that `colour` does
 * not suggest `port` while `protocl` suggests `protocol`.
 */
export function closest(word: string, known: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  let bestEdits = Infinity;
  for (const k of known) {
    const d = distance(w, k.toLowerCase());
    // A tie goes to the name fewest plain edits away, not to the first listed: `link` is one
    // letter short of `links`, while it only begins `link_defaults`.
    const edits = d === bestD ? editDistance(w, k.toLowerCase()) : Infinity;
    if (d < bestD || edits < bestEdits) {
      best = k;
      bestD = d;
      bestEdits = editDistance(w, k.toLowerCase());
    }
  }
  if (best === undefined) return undefined;
  return bestD <= Math.max(1, Math.floor(Math.max(w.length, best.length) / 3)) ? best : undefined;
}

/** " (did you mean `x`?)" for a misspelt name, or "" when nothing known is close. */
export function didYouMean(word: string, known: readonly string[]): string {
  const c = closest(word, known);
  return c === undefined ? '' : ` (did you mean \`${c}\`?)`;
}
