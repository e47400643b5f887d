//! Tag, verify, rotation and replay at the level of one link; the node-level behaviour
//! (not_a_peer, no_key, forwarding over two hops, MTU) is in `node::tests::auth`.

use super::*;

const K1: [u8; KEY_LEN] = [0x11; KEY_LEN];
const K2: [u8; KEY_LEN] = [0x22; KEY_LEN];
const K3: [u8; KEY_LEN] = [0x33; KEY_LEN];

/// Nodes 1 and 2 sharing `key` on their link.
fn pair(key: [u8; KEY_LEN]) -> (LinkAuth, LinkAuth) {
    let (mut a, mut b) = (LinkAuth::new(1), LinkAuth::new(2));
    a.set_key(2, key);
    b.set_key(1, key);
    a.set_on(true);
    b.set_on(true);
    (a, b)
}

fn sealed(a: &mut LinkAuth, to: u32, body: &[u8]) -> Vec<u8> {
    let mut d = body.to_vec();
    a.seal(to, &mut d).unwrap();
    d
}

#[test]
fn tags_verify_and_the_trailer_is_counter_then_tag() {
    let (mut a, mut b) = pair(K1);
    let d = sealed(&mut a, 2, b"header and payload");
    assert_eq!(d.len(), 18 + TRAILER_LEN);
    assert_eq!(&d[18..26], &1u64.to_be_bytes());
    assert_eq!(b.open(1, &d), Ok(18));
    let d2 = sealed(&mut a, 2, b"next");
    assert_eq!(&d2[4..12], &2u64.to_be_bytes());
    assert_eq!(b.open(1, &d2), Ok(4));
    // And the other direction, with its own counter and nonce space.
    let back = sealed(&mut b, 1, b"reply");
    assert_eq!(&back[5..13], &1u64.to_be_bytes());
    assert_eq!(a.open(2, &back), Ok(5));
}

#[test]
fn every_tampered_byte_fails() {
    let (mut a, mut b) = pair(K1);
    let d = sealed(&mut a, 2, &[7u8; 60]);
    for i in 0..d.len() {
        for bit in [0x01u8, 0x80] {
            let mut t = d.clone();
            t[i] ^= bit;
            assert_eq!(
                b.open(1, &t),
                Err(AuthDrop::BadTag),
                "byte {i} bit {bit:#x}"
            );
        }
    }
    // Truncated or extended: fails too.
    assert_eq!(b.open(1, &d[..d.len() - 1]), Err(AuthDrop::BadTag));
    assert_eq!(b.open(1, &d[..TRAILER_LEN - 1]), Err(AuthDrop::Short));
    let mut longer = d.clone();
    longer.insert(0, 0);
    assert_eq!(b.open(1, &longer), Err(AuthDrop::BadTag));
    // The untouched datagram still verifies: failures moved no window.
    assert_eq!(b.open(1, &d), Ok(60));
}

#[test]
fn wrong_key_wrong_sender_or_no_key_fails() {
    let (mut a, _) = pair(K1);
    let d = sealed(&mut a, 2, b"data");
    let (_, mut other) = pair(K2);
    assert_eq!(other.open(1, &d), Err(AuthDrop::BadTag));
    // The same key, but the nonce names node 1 as sender: claimed from node 3, it fails.
    let mut c = LinkAuth::new(2);
    c.set_key(1, K1);
    c.set_key(3, K1);
    assert_eq!(c.open(3, &d), Err(AuthDrop::BadTag));
    assert_eq!(c.open(1, &d), Ok(4));
    // No key for the sender at all.
    assert_eq!(LinkAuth::new(2).open(1, &d), Err(AuthDrop::BadTag));
    // And no key to send with.
    assert_eq!(LinkAuth::new(1).seal(2, &mut vec![1, 2, 3]), Err(NoKey));
}

#[test]
fn the_previous_key_is_accepted_until_the_next_rotation() {
    let (mut a, mut b) = pair(K1);
    let old = sealed(&mut a, 2, b"under k1");
    // The receiver rotates first: datagrams still tagged with K1 are accepted.
    b.set_key(1, K2);
    assert_eq!(b.open(1, &old), Ok(8));
    a.set_key(2, K2);
    let new = sealed(&mut a, 2, b"under k2");
    assert_eq!(b.open(1, &new), Ok(8));
    let late_old = {
        let mut x = LinkAuth::new(1);
        x.set_key(2, K1);
        x.next_counter_for_test(2, 100);
        sealed(&mut x, 2, b"late k1")
    };
    assert_eq!(b.open(1, &late_old), Ok(7));
    // A second rotation forgets K1.
    b.set_key(1, K3);
    let late_old2 = {
        let mut x = LinkAuth::new(1);
        x.set_key(2, K1);
        x.next_counter_for_test(2, 200);
        sealed(&mut x, 2, b"too late")
    };
    assert_eq!(b.open(1, &late_old2), Err(AuthDrop::BadTag));
    // Re-installing the key in use changes nothing (its replay window is kept).
    a.set_key(2, K3);
    let d = sealed(&mut a, 2, b"k3");
    assert_eq!(b.open(1, &d), Ok(2));
    b.set_key(1, K3);
    assert_eq!(b.open(1, &d), Err(AuthDrop::Replay));
}

#[test]
fn replays_and_too_old_counters_are_refused() {
    let (mut a, mut b) = pair(K1);
    let first = sealed(&mut a, 2, b"one");
    assert_eq!(b.open(1, &first), Ok(3));
    assert_eq!(b.open(1, &first), Err(AuthDrop::Replay));
    // Out of order within the window is fine, once each.
    let batch: Vec<Vec<u8>> = (0..WINDOW + 10).map(|_| sealed(&mut a, 2, b"x")).collect();
    let last = batch.last().unwrap();
    assert_eq!(b.open(1, last), Ok(1));
    // Counter 2 is now WINDOW + 9 behind the top: too old, although never seen.
    assert_eq!(b.open(1, &batch[0]), Err(AuthDrop::Replay));
    // Counters within the window but never seen are accepted once.
    let inside = &batch[batch.len() - 500];
    assert_eq!(b.open(1, inside), Ok(1));
    assert_eq!(b.open(1, inside), Err(AuthDrop::Replay));
    assert_eq!(b.open(1, last), Err(AuthDrop::Replay));
}

#[test]
fn replay_window_edges() {
    let mut w = ReplayWindow::default();
    assert!(!w.accept(0), "counter 0 is never valid");
    assert!(w.accept(5));
    assert!(w.accept(3));
    assert!(!w.accept(3));
    assert!(w.accept(5 + WINDOW - 1));
    assert!(!w.check(5), "now exactly WINDOW behind");
    assert!(w.check(6));
    assert!(w.accept(10 * WINDOW));
    assert!(!w.check(10 * WINDOW - WINDOW));
    assert!(w.check(10 * WINDOW - WINDOW + 1));
    // After a jump, positions reused by the ring hold no stale bits.
    let mut w = ReplayWindow::default();
    for c in 1..=WINDOW {
        assert!(w.accept(c));
    }
    assert!(w.accept(WINDOW + 1));
    assert!(w.check(WINDOW + 2));
    assert!(!w.check(1));
    assert_eq!(w.top(), WINDOW + 1);
}

impl LinkAuth {
    fn next_counter_for_test(&mut self, hop: u32, c: u64) {
        self.links.get_mut(&hop).unwrap().next_counter = c;
    }
}
