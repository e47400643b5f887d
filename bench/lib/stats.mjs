// Order statistics for repetitions and latency samples.
export function quantile(sorted, q) {
  if (!sorted.length) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** median, min, max, q1, q3 of a list of numbers (non-finite values are dropped). */
export function summarize(values) {
  const s = values.filter(Number.isFinite).sort((a, b) => a - b);
  return {
    median: quantile(s, 0.5),
    min: s.length ? s[0] : NaN,
    max: s.length ? s[s.length - 1] : NaN,
    q1: quantile(s, 0.25),
    q3: quantile(s, 0.75),
    n: s.length,
    samples: values,
  };
}
