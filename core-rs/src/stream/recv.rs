//! The receiving half: reassembly of out-of-order segments, the receive window and the SACK
//! blocks reported back.
//!
//! Memory is bounded by the window: the right edge `next + capacity - ready.len()` never
//! shrinks, and bytes beyond it are cut off, so in-order bytes waiting for the application
//! plus out-of-order bytes never exceed `capacity`.

use std::collections::{BTreeMap, VecDeque};

#[derive(Debug)]
pub struct Recv {
    capacity: usize,
    /// Next byte expected (everything below is in `ready` or already read).
    next: u64,
    ready: VecDeque<u8>,
    /// Out-of-order bytes above `next`, non-overlapping, keyed by first sequence number.
    ooo: BTreeMap<u64, Vec<u8>>,
    /// Sequence number of the peer's FIN once known.
    fin: Option<u64>,
    /// The most recently received out-of-order sequence number, reported first in SACKs.
    last_ooo: Option<u64>,
    pub bytes_received: u64,
    pub duplicate_bytes: u64,
}

impl Recv {
    pub fn new(capacity: usize, next: u64) -> Recv {
        Recv {
            capacity,
            next,
            ready: VecDeque::new(),
            ooo: BTreeMap::new(),
            fin: None,
            last_ooo: None,
            bytes_received: 0,
            duplicate_bytes: 0,
        }
    }

    /// The cumulative ack: next byte expected, plus one once the FIN is reached.
    pub fn ack(&self) -> u64 {
        self.next + u64::from(self.fin_reached())
    }

    pub fn fin_reached(&self) -> bool {
        self.fin == Some(self.next)
    }

    pub fn window(&self) -> u32 {
        (self.capacity - self.ready.len()).min(u32::MAX as usize) as u32
    }

    fn edge(&self) -> u64 {
        self.next + (self.capacity - self.ready.len()) as u64
    }

    pub fn readable(&self) -> usize {
        self.ready.len()
    }

    /// Takes a segment; true when new in-order bytes (or the FIN) became readable.
    pub fn on_segment(&mut self, seq: u64, data: &[u8], fin: bool) -> bool {
        let before = (self.next, self.fin_reached());
        let end = seq + data.len() as u64;
        if fin && end <= self.edge() && self.fin.is_none() && end >= self.next {
            self.fin = Some(end);
        }
        let edge = self.fin.map_or(self.edge(), |f| f.min(self.edge()));
        let (s, e) = (seq.max(self.next), end.min(edge));
        if s < e {
            self.insert(s, &data[(s - seq) as usize..(e - seq) as usize]);
            if s > self.next {
                self.last_ooo = Some(s);
            }
        }
        // Bytes below `next` were delivered before: duplicates (the rest counts in insert).
        self.duplicate_bytes += self.next.saturating_sub(seq).min(data.len() as u64);
        while let Some(chunk) = self.ooo.remove(&self.next) {
            self.next += chunk.len() as u64;
            self.bytes_received += chunk.len() as u64;
            self.ready.extend(chunk);
        }
        before != (self.next, self.fin_reached())
    }

    /// Stores `[s, s + bytes.len())`, skipping parts already held.
    fn insert(&mut self, s: u64, bytes: &[u8]) {
        let e = s + bytes.len() as u64;
        let mut cursor = s;
        let held: Vec<(u64, u64)> = self
            .ooo
            .range(..e)
            .rev()
            .take_while(|(&k, v)| k + v.len() as u64 > s)
            .map(|(&k, v)| (k, k + v.len() as u64))
            .collect();
        let mut pieces = Vec::new();
        for (hs, he) in held.into_iter().rev() {
            if hs > cursor {
                pieces.push((cursor, hs));
            }
            cursor = cursor.max(he);
        }
        if cursor < e {
            pieces.push((cursor, e));
        }
        let dup = bytes.len() as u64 - pieces.iter().map(|(a, b)| b - a).sum::<u64>();
        self.duplicate_bytes += dup;
        for (a, b) in pieces {
            self.ooo
                .insert(a, bytes[(a - s) as usize..(b - s) as usize].to_vec());
        }
    }

    /// Takes up to `max` in-order bytes.
    pub fn read(&mut self, max: usize) -> Vec<u8> {
        let n = max.min(self.ready.len());
        self.ready.drain(..n).collect()
    }

    /// Up to `max` received ranges above the cumulative ack: the one holding the most
    /// recent arrival first (RFC 2018), then the lowest.
    pub fn sack_blocks(&self, max: usize) -> Vec<(u64, u64)> {
        let mut ranges: Vec<(u64, u64)> = Vec::new();
        for (&k, v) in &self.ooo {
            let end = k + v.len() as u64;
            match ranges.last_mut() {
                Some(last) if last.1 == k => last.1 = end,
                _ => ranges.push((k, end)),
            }
        }
        let mut out = Vec::with_capacity(max);
        if max == 0 {
            return out;
        }
        if let Some(pos) = self
            .last_ooo
            .and_then(|l| ranges.iter().position(|&(a, b)| a <= l && l < b))
        {
            out.push(ranges.remove(pos));
        }
        out.extend(ranges.into_iter().take(max - out.len()));
        out
    }
}
