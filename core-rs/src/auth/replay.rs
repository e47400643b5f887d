//! Anti-replay: a sliding window over the last [`WINDOW`] counters of one key.

/// Counters accepted out of order behind the highest one seen.
pub const WINDOW: u64 = 1024;
const WORDS: usize = (WINDOW / 64) as usize;

/// Remembers which of the counters `top - WINDOW + 1 ..= top` were seen (a ring of bits
/// indexed by `counter % WINDOW`). Counter 0 is never valid (senders start at 1).
#[derive(Debug, Clone, Default)]
pub struct ReplayWindow {
    top: u64,
    bits: [u64; WORDS],
}

impl ReplayWindow {
    fn bit(c: u64) -> (usize, u64) {
        let i = c % WINDOW;
        ((i / 64) as usize, 1u64 << (i % 64))
    }

    /// True when `counter` is new and within the window (without recording it).
    pub fn check(&self, counter: u64) -> bool {
        if counter == 0 {
            return false;
        }
        if counter > self.top {
            return true;
        }
        if self.top - counter >= WINDOW {
            return false;
        }
        let (w, m) = Self::bit(counter);
        self.bits[w] & m == 0
    }

    /// Records `counter` if [`check`](Self::check) allows it; returns whether it did.
    pub fn accept(&mut self, counter: u64) -> bool {
        if !self.check(counter) {
            return false;
        }
        if counter > self.top {
            let ahead = counter - self.top;
            if ahead >= WINDOW {
                self.bits = [0; WORDS];
            } else {
                // Positions of top+1 ..= counter held counters that now fall out of the window.
                for c in self.top + 1..=counter {
                    let (w, m) = Self::bit(c);
                    self.bits[w] &= !m;
                }
            }
            self.top = counter;
        }
        let (w, m) = Self::bit(counter);
        self.bits[w] |= m;
        true
    }

    /// The highest counter accepted so far (0 = none).
    pub fn top(&self) -> u64 {
        self.top
    }
}
