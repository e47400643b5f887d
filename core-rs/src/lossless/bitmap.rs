//! A fixed-size bitmap with fast run scanning (chunks held / chunks to send).

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bits {
    words: Vec<u64>,
    len: u32,
    ones: u32,
}

impl Bits {
    pub fn new(len: u32) -> Bits {
        Bits {
            words: vec![0; (len as usize).div_ceil(64)],
            len,
            ones: 0,
        }
    }

    pub fn ones(&self) -> u32 {
        self.ones
    }

    pub fn get(&self, i: u32) -> bool {
        i < self.len && self.words[(i / 64) as usize] & (1 << (i % 64)) != 0
    }

    /// Sets bit `i`; true when it was clear. Out-of-range indices are ignored.
    pub fn set(&mut self, i: u32) -> bool {
        if i >= self.len {
            return false;
        }
        let w = &mut self.words[(i / 64) as usize];
        let m = 1u64 << (i % 64);
        if *w & m != 0 {
            return false;
        }
        *w |= m;
        self.ones += 1;
        true
    }

    /// Sets `[start, end)`, clamped to the bitmap.
    pub fn set_range(&mut self, start: u32, end: u32) {
        for i in start..end.min(self.len) {
            self.set(i);
        }
    }

    /// First index `>= from` whose bit equals `value`.
    fn find(&self, from: u32, value: bool) -> Option<u32> {
        let mut i = from;
        while i < self.len {
            let wi = (i / 64) as usize;
            let word = if value {
                self.words[wi]
            } else {
                !self.words[wi]
            };
            let masked = word & (u64::MAX << (i % 64));
            if masked != 0 {
                let found = (wi as u32) * 64 + masked.trailing_zeros();
                return (found < self.len).then_some(found);
            }
            i = (wi as u32 + 1) * 64;
        }
        None
    }

    /// The first maximal run `[start, end)` at or after `from` whose bits equal `value`.
    pub fn next_run(&self, from: u32, value: bool) -> Option<(u32, u32)> {
        let start = self.find(from, value)?;
        let end = self.find(start, !value).unwrap_or(self.len);
        Some((start, end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_and_counts() {
        let mut b = Bits::new(200);
        assert_eq!(b.next_run(0, false), Some((0, 200)));
        assert_eq!(b.next_run(0, true), None);
        b.set_range(3, 70);
        assert!(b.set(150));
        assert!(!b.set(150));
        assert!(!b.set(200));
        assert_eq!(b.ones(), 68);
        assert_eq!(b.next_run(0, true), Some((3, 70)));
        assert_eq!(b.next_run(70, true), Some((150, 151)));
        assert_eq!(b.next_run(0, false), Some((0, 3)));
        assert_eq!(b.next_run(3, false), Some((70, 150)));
        assert_eq!(b.next_run(151, false), Some((151, 200)));
        assert!(b.get(64) && !b.get(70) && !b.get(999));
    }
}
