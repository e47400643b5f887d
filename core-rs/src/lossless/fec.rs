//! Systematic RaptorQ glue: per-source-block encoders (built lazily, only for blocks that
//! need repair, then cached) and a per-block decode from whatever symbols a receiver holds.
//!
//! Blocks are our own geometry ([`Manifest`]), not RFC 6330's partitioning, so the shared
//! [`ObjectTransmissionInformation`] describes one maximal block (K × T bytes, one source
//! block, no sub-blocking); only its symbol size, sub-block count and alignment matter to
//! `SourceBlockEncoder` / `SourceBlockDecoder`. The last chunk is zero-padded to T.

use super::manifest::Manifest;
use raptorq::{
    EncodingPacket, ObjectTransmissionInformation, PayloadId, SourceBlockDecoder,
    SourceBlockEncoder,
};
use std::collections::BTreeMap;

use super::frame::MAX_ESI;

/// The RaptorQ parameters shared by sender and receivers, derived from the manifest.
pub fn oti(m: &Manifest) -> ObjectTransmissionInformation {
    let t = m.chunk_size;
    ObjectTransmissionInformation::new(u64::from(m.k()) * u64::from(t), t, 1, 1, 1)
}

/// The bytes of `block`, zero-padded to a whole number of symbols.
fn padded_block(m: &Manifest, data: &[u8], block: u32) -> Vec<u8> {
    let t = usize::from(m.chunk_size);
    let k = m.symbols_in_block(block) as usize;
    let start = m.chunk_offset(m.first_chunk(block)) as usize;
    let end = (start + k * t).min(data.len());
    let mut v = Vec::with_capacity(k * t);
    v.extend_from_slice(&data[start..end]);
    v.resize(k * t, 0);
    v
}

struct BlockEncoder {
    enc: SourceBlockEncoder,
    next_repair: u32,
}

/// Sender side: encoders per block, created on first demand and cached.
pub struct RepairEncoder {
    oti: ObjectTransmissionInformation,
    blocks: BTreeMap<u32, BlockEncoder>,
    /// Encoders built so far (a loss-free transfer builds none).
    pub encoders_built: u64,
}

impl RepairEncoder {
    pub fn new(m: &Manifest) -> RepairEncoder {
        RepairEncoder {
            oti: oti(m),
            blocks: BTreeMap::new(),
            encoders_built: 0,
        }
    }

    /// `count` fresh repair symbols of `block` as `(esi, bytes)`; fewer only when the
    /// block's 24-bit symbol id space is exhausted.
    pub fn repair(
        &mut self,
        m: &Manifest,
        data: &[u8],
        block: u32,
        count: u32,
    ) -> Vec<(u32, Vec<u8>)> {
        let k = m.symbols_in_block(block);
        let oti = self.oti;
        let built = &mut self.encoders_built;
        let be = self.blocks.entry(block).or_insert_with(|| {
            *built += 1;
            BlockEncoder {
                enc: SourceBlockEncoder::new(0, &oti, &padded_block(m, data, block)),
                next_repair: 0,
            }
        });
        let room = (MAX_ESI + 1)
            .saturating_sub(k)
            .saturating_sub(be.next_repair);
        let count = count.min(room);
        let packets = be.enc.repair_packets(be.next_repair, count);
        be.next_repair += count;
        packets
            .into_iter()
            .map(|p| {
                let (id, bytes) = p.split();
                (id.encoding_symbol_id(), bytes)
            })
            .collect()
    }

    /// Drops the encoders of blocks nobody needs any more.
    pub fn retain(&mut self, mut keep: impl FnMut(u32) -> bool) {
        self.blocks.retain(|b, _| keep(*b));
    }

    pub fn cached(&self) -> usize {
        self.blocks.len()
    }
}

/// Decodes `block` from the source symbols a receiver holds (`sources`: esi and chunk
/// bytes, the last chunk possibly short) plus repair symbols. Returns the padded block
/// (K × T bytes) or `None` if these symbols do not determine it (rare; ask for more).
pub fn decode_block<'a>(
    m: &Manifest,
    block: u32,
    sources: impl Iterator<Item = (u32, &'a [u8])>,
    repairs: &[(u32, Vec<u8>)],
) -> Option<Vec<u8>> {
    let t = usize::from(m.chunk_size);
    let k = m.symbols_in_block(block);
    let mut dec = SourceBlockDecoder::new(0, &oti(m), u64::from(k) * t as u64);
    let mut packets = Vec::new();
    for (esi, bytes) in sources {
        let mut sym = bytes.to_vec();
        sym.resize(t, 0);
        packets.push(EncodingPacket::new(PayloadId::new(0, esi), sym));
    }
    for (esi, bytes) in repairs {
        packets.push(EncodingPacket::new(PayloadId::new(0, *esi), bytes.clone()));
    }
    dec.decode(packets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lossless::Ports;

    #[test]
    fn repair_symbols_recover_lost_sources_including_a_short_last_block() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        let m = Manifest {
            total_len: data.len() as u64,
            chunk_size: 300,
            symbols_per_block: 16,
            fec: true,
            checksum: 0,
            ports: Ports::default(),
        };
        let mut enc = RepairEncoder::new(&m);
        for block in 0..m.block_count() {
            let k = m.symbols_in_block(block);
            let lost = [0u32, 2, k - 1];
            let rep = enc.repair(&m, &data, block, lost.len() as u32);
            assert_eq!(rep.len(), 3);
            assert!(rep.iter().all(|(esi, b)| *esi >= k && b.len() == 300));
            let first = m.first_chunk(block);
            let srcs: Vec<(u32, Vec<u8>)> = (0..k)
                .filter(|e| !lost.contains(e))
                .map(|e| {
                    let off = m.chunk_offset(first + e) as usize;
                    (e, data[off..off + m.chunk_len(first + e)].to_vec())
                })
                .collect();
            let out = decode_block(&m, block, srcs.iter().map(|(e, b)| (*e, &b[..])), &rep)
                .or_else(|| {
                    // One extra symbol when K symbols happen not to determine the block.
                    let mut more = rep.clone();
                    more.extend(enc.repair(&m, &data, block, 1));
                    decode_block(&m, block, srcs.iter().map(|(e, b)| (*e, &b[..])), &more)
                })
                .expect("decodes");
            let off = m.chunk_offset(first) as usize;
            let len = (0..k).map(|e| m.chunk_len(first + e)).sum::<usize>();
            assert_eq!(&out[..len], &data[off..off + len]);
        }
        assert_eq!(enc.encoders_built, u64::from(m.block_count()));
        // Fresh ids on a second request for the same block.
        let again = enc.repair(&m, &data, 0, 1);
        assert!(again[0].0 >= 16 + 3);
        enc.retain(|b| b == 0);
        assert_eq!(enc.cached(), 1);
    }
}
