// Resident-memory probes shared by the bench agents: a one-shot reading, and a sampler that
// reports the peak between rssStart and rssStop.
export function rssHandlers() {
  let peak = 0;
  let timer;
  return {
    async rss({ gc = true }) {
      if (gc && globalThis.gc) globalThis.gc();
      return process.memoryUsage();
    },
    /** Samples RSS every `everyMs` until rssStop; returns the peak. */
    async rssStart({ everyMs = 10 }) {
      peak = process.memoryUsage.rss();
      clearInterval(timer);
      timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), everyMs);
      return true;
    },
    async rssStop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}
