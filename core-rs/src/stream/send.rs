//! The sending half: the bounded send buffer, the scoreboard of segments in flight, SACK
//! processing and loss detection.
//!
//! Loss detection is RACK-style (RFC 8985), by time rather than by counting duplicate ACKs:
//! a segment is lost when one sent after it has been delivered and it is still missing a
//! reordering window (min RTT / 4) after it should have arrived. That handles reordering
//! (the window) and lost retransmissions (they are judged against later sends) alike. When
//! nothing later is sent, a tail-loss probe ([`Send::probe_segment`]) provides the later
//! send; the retransmission timer is the backstop.
//!
//! The buffer holds every byte from the oldest unacknowledged one; segments keep their
//! boundaries when retransmitted, so SACK blocks always cover whole segments.
//!
//! Delivery-rate samples (for the model-based congestion controller, see [`super::cc`]):
//! every segment records, when sent, how many bytes had been delivered by then and when;
//! when it is delivered, the bytes delivered since, over the longer of the send and the ack
//! intervals, is the rate the path delivered at (the method of TCP's delivery-rate
//! estimation draft, written here from that description). Segments sent while the
//! application had nothing more to send are flagged, since their rate says nothing about
//! the path.

use std::collections::{BTreeMap, VecDeque};

#[derive(Debug, Clone, Copy)]
pub struct Seg {
    /// Sequence space: payload bytes, or 1 for the FIN.
    pub len: u64,
    pub fin: bool,
    pub sent_at: u64,
    pub retransmitted: bool,
    pub lost: bool,
    /// `Send::delivered` and `Send::delivered_at` when this segment was (last) sent.
    tx_delivered: u64,
    tx_delivered_at: u64,
    /// Send time of the segment whose delivery opened the current send interval.
    tx_first_sent: u64,
    /// Sent while the application (or the peer's window) limited the sender.
    tx_app_limited: bool,
}

/// One delivery-rate sample: `delivered` bytes over `interval_us`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateSample {
    pub delivered: u64,
    pub interval_us: u64,
    /// `Send::delivered` when the newest segment of this ACK was sent: a round trip has
    /// passed once this reaches the delivered count at the round's start.
    pub prior_delivered: u64,
    /// The newest segment was sent while the sender was application-limited.
    pub app_limited: bool,
}

impl RateSample {
    /// Bytes per second.
    pub fn bw(&self) -> u64 {
        (u128::from(self.delivered) * 1_000_000 / u128::from(self.interval_us.max(1))) as u64
    }
}

/// What an incoming ACK did.
#[derive(Debug, Default)]
pub struct AckOutcome {
    /// Sequence space newly acknowledged, cumulatively or selectively.
    pub delivered: u64,
    /// RTT of the most recently sent segment newly delivered that was sent only once.
    pub rtt_sample: Option<u64>,
    /// The cumulative ack moved.
    pub advanced: bool,
    /// The delivery-rate sample of this ACK, if it delivered anything.
    pub rate: Option<RateSample>,
    sample_sent_at: Option<u64>,
    /// The newest delivered segment's send record: (tx_delivered, tx_delivered_at,
    /// send interval, app-limited).
    prior: Option<(u64, u64, u64, bool)>,
}

/// A segment to put on the wire.
#[derive(Debug)]
pub struct Outgoing {
    pub seq: u64,
    pub payload: Vec<u8>,
    pub fin: bool,
    pub retransmission: bool,
}

#[derive(Debug)]
pub struct Send {
    capacity: usize,
    /// Bytes from `base` on: unacknowledged, then unsent.
    buf: VecDeque<u8>,
    base: u64,
    /// Oldest unacknowledged sequence number.
    pub una: u64,
    /// Next new sequence number to send.
    pub nxt: u64,
    /// In flight: sent, neither acknowledged nor selectively acknowledged.
    segs: BTreeMap<u64, Seg>,
    /// Bytes in flight and not deemed lost (RFC 6675's pipe).
    pipe: u64,
    /// Segments in `segs` deemed lost and not sent again yet.
    lost: usize,
    /// The application closed its writing side: a FIN follows the data.
    fin_queued: bool,
    fin_seq: Option<u64>,
    /// RACK: send time and end of the most recently sent segment known delivered.
    rack_sent_at: Option<u64>,
    rack_end: u64,
    rack_rtt: u64,
    pub bytes_sent: u64,
    pub retransmits: u64,
    /// Sequence space delivered (cumulatively or selectively acknowledged) since the start.
    pub delivered: u64,
    /// When `delivered` last grew (or when sending resumed from nothing in flight).
    delivered_at: u64,
    /// Send time of the newest segment delivered (start of the current send interval).
    first_sent_at: u64,
    /// Non-zero while the sender is application-limited: the `delivered` count after which
    /// samples reflect the path again.
    app_limited_until: u64,
    /// Sequence space deemed lost by RACK since the start (timeouts not counted).
    pub bytes_lost: u64,
}

impl Send {
    /// `first` is the first sequence number after the SYN.
    pub fn new(capacity: usize, first: u64) -> Send {
        Send {
            capacity,
            buf: VecDeque::new(),
            base: first,
            una: first,
            nxt: first,
            segs: BTreeMap::new(),
            pipe: 0,
            lost: 0,
            fin_queued: false,
            fin_seq: None,
            rack_sent_at: None,
            rack_end: 0,
            rack_rtt: 0,
            bytes_sent: 0,
            retransmits: 0,
            delivered: 0,
            delivered_at: 0,
            first_sent_at: 0,
            app_limited_until: 0,
            bytes_lost: 0,
        }
    }

    pub fn free(&self) -> usize {
        if self.fin_queued {
            0
        } else {
            self.capacity - self.buf.len()
        }
    }

    /// Queues what fits; returns how many bytes were taken.
    pub fn write(&mut self, data: &[u8]) -> usize {
        let n = data.len().min(self.free());
        self.buf.extend(&data[..n]);
        n
    }

    pub fn queue_fin(&mut self) {
        self.fin_queued = true;
    }

    pub fn fin_queued(&self) -> bool {
        self.fin_queued
    }

    /// Our FIN has been acknowledged: every byte and the FIN reached the peer.
    pub fn fin_acked(&self) -> bool {
        self.fin_seq.is_some_and(|f| self.una > f)
    }

    pub fn pipe(&self) -> u64 {
        self.pipe
    }

    pub fn in_flight(&self) -> bool {
        !self.segs.is_empty()
    }

    /// Something could be sent if the window allowed: a lost segment, new data within the
    /// peer's window, or the FIN.
    pub fn has_work(&self, peer_edge: u64) -> bool {
        self.lost > 0
            || (self.unsent() > 0 && self.nxt < peer_edge)
            || (self.fin_queued && self.fin_seq.is_none())
    }

    /// The sender has nothing to send with room in its window: rate samples of what is in
    /// flight now would measure the application, not the path.
    pub fn mark_app_limited(&mut self) {
        self.app_limited_until = (self.delivered + self.pipe).max(1);
    }

    /// Records the delivery state a segment sent at `now` will be sampled against.
    fn stamp(&mut self, now: u64) -> (u64, u64, u64, bool) {
        if self.pipe == 0 {
            // Nothing in flight: the send and ack intervals start afresh.
            self.first_sent_at = now;
            self.delivered_at = now;
        }
        (
            self.delivered,
            self.delivered_at,
            self.first_sent_at,
            self.app_limited_until != 0,
        )
    }

    fn data_end(&self) -> u64 {
        self.base + self.buf.len() as u64
    }

    /// Bytes written but never sent.
    pub fn unsent(&self) -> u64 {
        self.data_end() - self.nxt.min(self.data_end())
    }

    /// The data is blocked only by the peer's window (a zero-window probe is due).
    pub fn window_blocked(&self, peer_edge: u64) -> bool {
        self.unsent() > 0 && self.nxt >= peer_edge && self.segs.is_empty()
    }

    /// Whether [`Self::next_segment`] would return a segment with these limits.
    pub fn can_send(&self, mss: u64, cwnd: u64, peer_edge: u64) -> bool {
        let room = |len: u64| self.pipe == 0 || self.pipe + len <= cwnd;
        if self.lost > 0 {
            return self
                .segs
                .values()
                .find(|s| s.lost)
                .is_some_and(|s| room(s.len));
        }
        let unsent = self.unsent();
        if unsent > 0 {
            let len = unsent.min(mss).min(peer_edge.saturating_sub(self.nxt));
            return len > 0 && room(len);
        }
        self.fin_queued && self.fin_seq.is_none()
    }

    fn bytes(&self, seq: u64, len: u64) -> Vec<u8> {
        let off = (seq - self.base) as usize;
        self.buf.range(off..off + len as usize).copied().collect()
    }

    /// The next segment allowed by `cwnd` and the peer's window edge, if any: the lowest lost
    /// segment first, then new data, then the FIN.
    pub fn next_segment(
        &mut self,
        now: u64,
        mss: u64,
        cwnd: u64,
        peer_edge: u64,
    ) -> Option<Outgoing> {
        let room = |pipe: u64, len: u64| pipe == 0 || pipe + len <= cwnd;
        if let Some((&seq, seg)) = self.segs.iter().find(|(_, s)| s.lost) {
            if !room(self.pipe, seg.len) {
                return None;
            }
            let stamp = self.stamp(now);
            let seg = self.segs.get_mut(&seq).expect("found");
            (
                seg.tx_delivered,
                seg.tx_delivered_at,
                seg.tx_first_sent,
                seg.tx_app_limited,
            ) = stamp;
            seg.lost = false;
            self.lost -= 1;
            seg.retransmitted = true;
            seg.sent_at = now;
            let (len, fin) = (seg.len, seg.fin);
            self.pipe += len;
            self.retransmits += 1;
            let payload = if fin {
                Vec::new()
            } else {
                self.bytes(seq, len)
            };
            return Some(Outgoing {
                seq,
                payload,
                fin,
                retransmission: true,
            });
        }
        let unsent = self.unsent();
        if unsent > 0 {
            let len = unsent.min(mss).min(peer_edge.saturating_sub(self.nxt));
            if len == 0 || !room(self.pipe, len) {
                return None;
            }
            let seq = self.nxt;
            self.push_seg(seq, len, false, now);
            self.bytes_sent += len;
            return Some(Outgoing {
                seq,
                payload: self.bytes(seq, len),
                fin: false,
                retransmission: false,
            });
        }
        if self.fin_queued && self.fin_seq.is_none() {
            let seq = self.nxt;
            self.fin_seq = Some(seq);
            self.push_seg(seq, 1, true, now);
            return Some(Outgoing {
                seq,
                payload: Vec::new(),
                fin: true,
                retransmission: false,
            });
        }
        None
    }

    /// A tail-loss probe (RFC 8985 TLP): the newest segment in flight and not deemed lost,
    /// sent again. Its acknowledgement is a delivery of something sent after every earlier
    /// segment, which lets RACK judge them (lost retransmissions included) when nothing else
    /// could be sent. `None` if nothing in flight is still presumed on its way.
    pub fn probe_segment(&mut self, now: u64) -> Option<Outgoing> {
        let (&seq, _) = self.segs.iter().rev().find(|(_, s)| !s.lost)?;
        let stamp = self.stamp(now);
        let seg = self.segs.get_mut(&seq).expect("found");
        (
            seg.tx_delivered,
            seg.tx_delivered_at,
            seg.tx_first_sent,
            seg.tx_app_limited,
        ) = stamp;
        seg.sent_at = now;
        seg.retransmitted = true;
        let (len, fin) = (seg.len, seg.fin);
        self.retransmits += 1;
        let payload = if fin {
            Vec::new()
        } else {
            self.bytes(seq, len)
        };
        Some(Outgoing {
            seq,
            payload,
            fin,
            retransmission: true,
        })
    }

    fn push_seg(&mut self, seq: u64, len: u64, fin: bool, now: u64) {
        let (tx_delivered, tx_delivered_at, tx_first_sent, tx_app_limited) = self.stamp(now);
        self.segs.insert(
            seq,
            Seg {
                len,
                fin,
                sent_at: now,
                retransmitted: false,
                lost: false,
                tx_delivered,
                tx_delivered_at,
                tx_first_sent,
                tx_app_limited,
            },
        );
        self.nxt = seq + len;
        self.pipe += len;
    }

    fn delivered(&mut self, seg: Seg, end: u64, now: u64, min_rtt: u64, out: &mut AckOutcome) {
        if seg.lost {
            self.lost -= 1;
        } else {
            self.pipe -= seg.len;
        }
        out.delivered += seg.len;
        self.delivered += seg.len;
        self.delivered_at = now;
        if out.prior.is_none_or(|p| seg.tx_delivered >= p.0) {
            out.prior = Some((
                seg.tx_delivered,
                seg.tx_delivered_at,
                seg.sent_at.saturating_sub(seg.tx_first_sent),
                seg.tx_app_limited,
            ));
            self.first_sent_at = seg.sent_at;
        }
        let rtt = now - seg.sent_at;
        if !seg.retransmitted && out.sample_sent_at.is_none_or(|t| seg.sent_at >= t) {
            out.sample_sent_at = Some(seg.sent_at);
            out.rtt_sample = Some(rtt);
        }
        // RACK: a retransmission acknowledged faster than the min RTT was probably the
        // original's ack; it says nothing about what was sent after it.
        if !seg.retransmitted || rtt >= min_rtt {
            let newer = self
                .rack_sent_at
                .is_none_or(|t| (seg.sent_at, end) > (t, self.rack_end));
            if newer {
                self.rack_sent_at = Some(seg.sent_at);
                self.rack_end = end;
                self.rack_rtt = rtt;
            }
        }
    }

    /// Applies a cumulative ack and SACK blocks.
    pub fn on_ack(&mut self, now: u64, ack: u64, sacks: &[(u64, u64)], min_rtt: u64) -> AckOutcome {
        let mut out = AckOutcome::default();
        if ack > self.una && ack <= self.nxt {
            let acked: Vec<u64> = self.segs.range(..ack).map(|(&k, _)| k).collect();
            for k in acked {
                let seg = self.segs.remove(&k).expect("listed");
                self.delivered(seg, k + seg.len, now, min_rtt, &mut out);
            }
            // Selectively acknowledged segments below the new ack left `segs` already.
            let drain = (ack.min(self.data_end()) - self.base) as usize;
            self.buf.drain(..drain);
            self.base += drain as u64;
            self.una = ack;
            out.advanced = true;
        }
        for &(s, e) in sacks {
            if e <= self.una || s >= self.nxt {
                continue;
            }
            let covered: Vec<u64> = self
                .segs
                .range(s..e)
                .filter(|(&k, seg)| k + seg.len <= e)
                .map(|(&k, _)| k)
                .collect();
            for k in covered {
                let seg = self.segs.remove(&k).expect("listed");
                self.delivered(seg, k + seg.len, now, min_rtt, &mut out);
            }
        }
        if let Some((prior_delivered, prior_at, send_elapsed, app_limited)) = out.prior {
            if self.app_limited_until != 0 && self.delivered > self.app_limited_until {
                self.app_limited_until = 0;
            }
            // The longer interval: a burst of ACKs (ack compression) or a burst of sends
            // must not inflate the rate.
            let interval = send_elapsed.max(now.saturating_sub(prior_at));
            if interval > 0 {
                out.rate = Some(RateSample {
                    delivered: self.delivered - prior_delivered,
                    interval_us: interval,
                    prior_delivered,
                    app_limited,
                });
            }
        }
        out
    }

    /// Marks segments lost by the RACK rule; returns how many were newly marked, and the
    /// time the next undecided one should be looked at again.
    pub fn detect_losses(&mut self, now: u64, reo_wnd: u64) -> (u64, Option<u64>) {
        let Some(rack_t) = self.rack_sent_at else {
            return (0, None);
        };
        let (mut lost, mut next) = (0, None::<u64>);
        let deadline_after = self.rack_rtt + reo_wnd;
        for (&k, seg) in self.segs.iter_mut() {
            if seg.lost || (seg.sent_at, k + seg.len) >= (rack_t, self.rack_end) {
                continue;
            }
            let deadline = seg.sent_at + deadline_after;
            if now >= deadline {
                seg.lost = true;
                self.pipe -= seg.len;
                self.bytes_lost += seg.len;
                lost += 1;
                self.lost += 1;
            } else {
                next = Some(next.map_or(deadline, |n| n.min(deadline)));
            }
        }
        (lost, next)
    }

    /// The retransmission timer fired: everything in flight is deemed lost.
    pub fn on_rto(&mut self) {
        for seg in self.segs.values_mut() {
            seg.lost = true;
        }
        self.lost = self.segs.len();
        self.pipe = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: u64 = 1_000;

    /// A sender that sends one segment every `gap_us` and has each delivered `rtt_us` later.
    /// Returns the last rate sample.
    fn paced(gap_us: u64, rtt_us: u64, segs: u64, app_limited_from: Option<u64>) -> RateSample {
        let mut s = Send::new(1 << 20, 0);
        assert_eq!(
            s.write(&vec![7u8; (segs * MSS) as usize]),
            (segs * MSS) as usize
        );
        let mut sent = Vec::new();
        let mut last = None;
        let mut t = 0;
        let mut i = 0;
        loop {
            // Deliveries due by now, in send order.
            while let Some(&(seq, at)) = sent.first() {
                if at + rtt_us > t {
                    break;
                }
                sent.remove(0);
                let out = s.on_ack(t, seq + MSS, &[], rtt_us);
                if let Some(r) = out.rate {
                    last = Some(r);
                }
            }
            if i < segs && t == i * gap_us {
                if app_limited_from.is_some_and(|f| i >= f) {
                    s.mark_app_limited();
                }
                let seg = s.next_segment(t, MSS, u64::MAX, u64::MAX).expect("room");
                sent.push((seg.seq, t));
                i += 1;
            }
            if i >= segs && sent.is_empty() {
                break;
            }
            t += 1_000;
        }
        last.expect("samples")
    }

    #[test]
    fn delivery_rate_samples_measure_the_sending_pace() {
        // One 1000-byte segment every 2 ms is 500 kB/s, whatever the RTT.
        for rtt in [10_000, 50_000] {
            let r = paced(2_000, rtt, 100, None);
            let bw = r.bw();
            assert!(
                (490_000..=510_000).contains(&bw),
                "rtt {rtt}: {bw} B/s ({r:?})"
            );
            assert!(!r.app_limited);
        }
    }

    #[test]
    fn samples_of_an_application_limited_sender_are_flagged() {
        let r = paced(2_000, 10_000, 100, Some(50));
        assert!(r.app_limited, "{r:?}");
    }
}
