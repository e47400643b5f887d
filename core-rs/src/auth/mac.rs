//! The per-datagram tag: ChaCha20-Poly1305 (RFC 8439) with an empty plaintext and the
//! datagram as associated data, i.e. a Poly1305 MAC under a one-time key derived from the
//! link key and a nonce that is never reused under that key.

use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce, Tag};

pub const KEY_LEN: usize = 32;
pub const COUNTER_LEN: usize = 8;
pub const TAG_LEN: usize = 16;
/// Bytes appended to every authenticated datagram: counter and tag.
pub const TRAILER_LEN: usize = COUNTER_LEN + TAG_LEN;

/// One link's key, with its cipher state set up once.
#[derive(Clone)]
pub struct LinkKey {
    bytes: [u8; KEY_LEN],
    cipher: ChaCha20Poly1305,
}

impl PartialEq for LinkKey {
    fn eq(&self, other: &Self) -> bool {
        // Not secret-dependent in any way an attacker can time: keys come from the host.
        self.bytes == other.bytes
    }
}

impl std::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkKey(..)")
    }
}

fn nonce(sender: u32, counter: u64) -> Nonce {
    let mut n = [0u8; 12];
    n[..4].copy_from_slice(&sender.to_be_bytes());
    n[4..].copy_from_slice(&counter.to_be_bytes());
    Nonce::from(n)
}

impl LinkKey {
    pub fn new(bytes: [u8; KEY_LEN]) -> LinkKey {
        LinkKey {
            bytes,
            cipher: ChaCha20Poly1305::new(Key::from_slice(&bytes)),
        }
    }

    /// The tag of `signed` (the datagram followed by its counter) sent by `sender`.
    pub fn tag(&self, sender: u32, counter: u64, signed: &[u8]) -> [u8; TAG_LEN] {
        let tag = self
            .cipher
            .encrypt_in_place_detached(&nonce(sender, counter), signed, &mut [])
            .expect("an empty plaintext always fits");
        tag.into()
    }

    /// Constant-time check of `tag` (the AEAD decrypt of an empty ciphertext).
    pub fn verify(&self, sender: u32, counter: u64, signed: &[u8], tag: &[u8; TAG_LEN]) -> bool {
        self.cipher
            .decrypt_in_place_detached(
                &nonce(sender, counter),
                signed,
                &mut [],
                Tag::from_slice(tag),
            )
            .is_ok()
    }
}
