//! Per-hop datagram authentication, sans-IO: the host hands in one 32-byte symmetric key per
//! link (pair of neighbouring nodes); no clock, no randomness.
//!
//! With authentication on, every datagram a node puts on the link to next hop `H` carries a
//! [`TRAILER_LEN`]-byte trailer after its payload:
//!
//! | size | field   | notes                                                              |
//! |-----:|---------|--------------------------------------------------------------------|
//! | 8    | counter | big-endian, per sender and link, starts at 1, never repeats        |
//! | 16   | tag     | ChaCha20-Poly1305 tag, empty plaintext, AAD = everything before it |
//!
//! The nonce is `sender node id (u32 BE) || counter (u64 BE)`: the two ends of a link share
//! one key but never one nonce. The receiver builds the nonce from the link-level sender the
//! transport identified (`from`), so a datagram tagged by one end never verifies as the
//! other's. The tag covers the header, the payload and the counter: it authenticates the hop,
//! not the originator (each forwarding node re-tags with its next hop's key).
//!
//! Receiving tries the neighbour's current key, then its previous one (keys rotate; the
//! previous key is kept until the next rotation). Each key has its own replay window
//! ([`ReplayWindow`], 1024 counters), updated only once a tag verifies.

mod mac;
mod replay;

pub use mac::{LinkKey, COUNTER_LEN, KEY_LEN, TAG_LEN, TRAILER_LEN};
pub use replay::{ReplayWindow, WINDOW};

use std::collections::BTreeMap;

/// Why an authenticated datagram was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthDrop {
    /// Shorter than a trailer.
    Short,
    /// No key for the sender, or the tag verifies under none of its keys.
    BadTag,
    /// A valid tag on a counter already seen, or older than the replay window.
    Replay,
}

/// A transmit to a next hop for which this node holds no key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoKey;

struct Keyed {
    key: LinkKey,
    window: ReplayWindow,
}

impl Keyed {
    fn new(key: LinkKey) -> Keyed {
        Keyed {
            key,
            window: ReplayWindow::default(),
        }
    }
}

#[derive(Default)]
struct Link {
    current: Option<Keyed>,
    previous: Option<Keyed>,
    /// The counter of the next datagram this node sends on the link. Never reset, not even by
    /// a key rotation, so a counter is used once per key whatever the order of rotations.
    next_counter: u64,
}

/// Authentication state of one node: its links' keys, send counters and replay windows.
pub struct LinkAuth {
    me: u32,
    on: bool,
    links: BTreeMap<u32, Link>,
}

impl LinkAuth {
    pub fn new(me: u32) -> LinkAuth {
        LinkAuth {
            me,
            on: false,
            links: BTreeMap::new(),
        }
    }

    pub fn is_on(&self) -> bool {
        self.on
    }

    pub fn set_on(&mut self, on: bool) {
        self.on = on;
    }

    /// Installs `key` for the link to `neighbor`. A new key makes the current one the
    /// previous one (the older previous key is forgotten); the key already in use changes
    /// nothing (its replay window is kept); the previous key swaps back with the current one.
    pub fn set_key(&mut self, neighbor: u32, key: [u8; KEY_LEN]) {
        let key = LinkKey::new(key);
        let link = self.links.entry(neighbor).or_default();
        if link.current.as_ref().is_some_and(|k| k.key == key) {
            return;
        }
        if link.previous.as_ref().is_some_and(|k| k.key == key) {
            std::mem::swap(&mut link.current, &mut link.previous);
            return;
        }
        link.previous = link.current.replace(Keyed::new(key));
    }

    /// True when a key for `neighbor` is installed.
    pub fn has_key(&self, neighbor: u32) -> bool {
        self.links
            .get(&neighbor)
            .is_some_and(|l| l.current.is_some())
    }

    /// Appends the trailer for the link to `next_hop` (tagged with its current key).
    pub fn seal(&mut self, next_hop: u32, datagram: &mut Vec<u8>) -> Result<(), NoKey> {
        let link = self.links.get_mut(&next_hop).ok_or(NoKey)?;
        let keyed = link.current.as_ref().ok_or(NoKey)?;
        link.next_counter = link.next_counter.max(1);
        let counter = link.next_counter;
        link.next_counter += 1;
        datagram.reserve(TRAILER_LEN);
        datagram.extend_from_slice(&counter.to_be_bytes());
        let tag = keyed.key.tag(self.me, counter, datagram);
        datagram.extend_from_slice(&tag);
        Ok(())
    }

    /// Checks the trailer of a datagram from the link-level sender `from`; returns the length
    /// of the datagram without it. The replay window moves only for a verified tag.
    pub fn open(&mut self, from: u32, wire: &[u8]) -> Result<usize, AuthDrop> {
        if wire.len() < TRAILER_LEN {
            return Err(AuthDrop::Short);
        }
        let body_len = wire.len() - TRAILER_LEN;
        let signed = &wire[..body_len + COUNTER_LEN];
        let mut counter = [0u8; COUNTER_LEN];
        counter.copy_from_slice(&wire[body_len..body_len + COUNTER_LEN]);
        let counter = u64::from_be_bytes(counter);
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(&wire[body_len + COUNTER_LEN..]);
        let link = self.links.get_mut(&from).ok_or(AuthDrop::BadTag)?;
        for keyed in [link.current.as_mut(), link.previous.as_mut()]
            .into_iter()
            .flatten()
        {
            if keyed.key.verify(from, counter, signed, &tag) {
                return if keyed.window.accept(counter) {
                    Ok(body_len)
                } else {
                    Err(AuthDrop::Replay)
                };
            }
        }
        Err(AuthDrop::BadTag)
    }
}

#[cfg(test)]
mod tests;
