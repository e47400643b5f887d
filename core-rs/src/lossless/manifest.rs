//! The manifest a sender announces, and the transfer geometry both sides derive from it.
//!
//! Geometry: the buffer is cut into `chunk_count` chunks of `chunk_size` bytes (the last may
//! be shorter). Chunk `i` is source symbol `esi = i % K` of source block `i / K`, with
//! `K = symbols_per_block`; the last block may hold fewer than `K` symbols. Every data frame
//! names `(block, esi)`; `esi >= symbols_in_block(block)` is a RaptorQ repair symbol.

/// RFC 6330's largest source block (K'_max).
pub const MAX_SYMBOLS_PER_BLOCK: u32 = 56_403;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Manifest {
    pub total_len: u64,
    pub chunk_size: u16,
    pub symbols_per_block: u16,
    pub fec: bool,
    /// CRC-32 (IEEE) of the whole buffer.
    pub checksum: u32,
    pub ports: super::Ports,
}

/// Why a manifest's numbers describe no valid transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeometryError {
    Empty,
    ZeroChunk,
    BadBlockSize,
    TooManyChunks,
}

impl Manifest {
    pub fn validate(&self) -> Result<(), GeometryError> {
        if self.total_len == 0 {
            return Err(GeometryError::Empty);
        }
        if self.chunk_size == 0 {
            return Err(GeometryError::ZeroChunk);
        }
        let k = u32::from(self.symbols_per_block);
        if k == 0 || k > MAX_SYMBOLS_PER_BLOCK {
            return Err(GeometryError::BadBlockSize);
        }
        if self.total_len.div_ceil(u64::from(self.chunk_size)) > u64::from(u32::MAX) {
            return Err(GeometryError::TooManyChunks);
        }
        Ok(())
    }

    /// Number of chunks (source symbols). Assumes [`Manifest::validate`] passed.
    pub fn chunk_count(&self) -> u32 {
        self.total_len.div_ceil(u64::from(self.chunk_size)) as u32
    }

    pub fn k(&self) -> u32 {
        u32::from(self.symbols_per_block)
    }

    pub fn block_count(&self) -> u32 {
        self.chunk_count().div_ceil(self.k())
    }

    /// Source symbols in `block` (K, or fewer for the last block).
    pub fn symbols_in_block(&self, block: u32) -> u32 {
        let first = u64::from(block) * u64::from(self.k());
        let n = u64::from(self.chunk_count());
        n.saturating_sub(first).min(u64::from(self.k())) as u32
    }

    /// First chunk index of `block`.
    pub fn first_chunk(&self, block: u32) -> u32 {
        block * self.k()
    }

    pub fn chunk_offset(&self, chunk: u32) -> u64 {
        u64::from(chunk) * u64::from(self.chunk_size)
    }

    pub fn chunk_len(&self, chunk: u32) -> usize {
        let off = self.chunk_offset(chunk);
        (self.total_len - off).min(u64::from(self.chunk_size)) as usize
    }

    /// `(block, esi)` of a chunk.
    pub fn locate(&self, chunk: u32) -> (u32, u32) {
        (chunk / self.k(), chunk % self.k())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lossless::Ports;

    fn m(total: u64, chunk: u16, k: u16) -> Manifest {
        Manifest {
            total_len: total,
            chunk_size: chunk,
            symbols_per_block: k,
            fec: true,
            checksum: 0,
            ports: Ports::default(),
        }
    }

    #[test]
    fn geometry_covers_the_buffer_exactly() {
        let g = m(10_001, 100, 7);
        assert_eq!(g.validate(), Ok(()));
        assert_eq!(g.chunk_count(), 101);
        assert_eq!(g.block_count(), 15);
        assert_eq!(g.symbols_in_block(14), 3);
        assert_eq!(g.symbols_in_block(13), 7);
        assert_eq!(g.chunk_len(100), 1);
        assert_eq!(g.locate(100), (14, 2));
        let total: usize = (0..g.chunk_count()).map(|c| g.chunk_len(c)).sum();
        assert_eq!(total, 10_001);
        let syms: u32 = (0..g.block_count()).map(|b| g.symbols_in_block(b)).sum();
        assert_eq!(syms, g.chunk_count());
    }

    #[test]
    fn rejects_degenerate_geometry() {
        assert_eq!(m(0, 100, 7).validate(), Err(GeometryError::Empty));
        assert_eq!(m(10, 0, 7).validate(), Err(GeometryError::ZeroChunk));
        assert_eq!(m(10, 1, 0).validate(), Err(GeometryError::BadBlockSize));
        assert_eq!(
            m(10, 1, 60_000).validate(),
            Err(GeometryError::BadBlockSize)
        );
        assert_eq!(
            m(u64::MAX, 1, 7).validate(),
            Err(GeometryError::TooManyChunks)
        );
    }
}
