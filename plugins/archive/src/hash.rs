//! SHA-256 whose state can be saved at a 64-byte boundary and taken up again by a later run
//! (an S3 multipart upload resumed from its journal hashes only the parts it still has to
//! send). The blocks go through `sha2::compress256`, which uses the CPU's SHA extensions
//! when it has them (runtime detection), so it is as fast as `sha2::Sha256`.
use sha2::digest::consts::U64;
use sha2::digest::generic_array::GenericArray;

const H0: [u32; 8] =
    [0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19];

#[derive(Clone)]
pub struct Hasher {
    state: [u32; 8],
    /// Bytes hashed so far.
    len: u64,
    buf: [u8; 64],
    buf_len: usize,
}

impl Default for Hasher {
    fn default() -> Self {
        Hasher { state: H0, len: 0, buf: [0; 64], buf_len: 0 }
    }
}

fn compress(state: &mut [u32; 8], blocks: &[u8]) {
    debug_assert_eq!(blocks.len() % 64, 0);
    let n = blocks.len() / 64;
    // SAFETY: `GenericArray<u8, U64>` is `#[repr(transparent)]` over `[u8; 64]` (alignment
    // 1), and `blocks` holds exactly `n` × 64 initialised bytes, borrowed for this call only.
    let blocks: &[GenericArray<u8, U64>] =
        unsafe { std::slice::from_raw_parts(blocks.as_ptr().cast::<GenericArray<u8, U64>>(), n) };
    sha2::compress256(state, blocks);
}

impl Hasher {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn update(&mut self, mut data: &[u8]) {
        self.len += data.len() as u64;
        if self.buf_len > 0 {
            let take = (64 - self.buf_len).min(data.len());
            self.buf[self.buf_len..self.buf_len + take].copy_from_slice(&data[..take]);
            self.buf_len += take;
            data = &data[take..];
            if self.buf_len < 64 {
                return;
            }
            let block = self.buf;
            compress(&mut self.state, &block);
            self.buf_len = 0;
        }
        let whole = data.len() / 64 * 64;
        if whole > 0 {
            compress(&mut self.state, &data[..whole]);
        }
        let rest = &data[whole..];
        self.buf[..rest.len()].copy_from_slice(rest);
        self.buf_len = rest.len();
    }

    pub fn finalize(mut self) -> [u8; 32] {
        let bits = self.len.wrapping_mul(8);
        let mut tail = [0u8; 128];
        tail[..self.buf_len].copy_from_slice(&self.buf[..self.buf_len]);
        tail[self.buf_len] = 0x80;
        let end = if self.buf_len < 56 { 64 } else { 128 };
        tail[end - 8..end].copy_from_slice(&bits.to_be_bytes());
        compress(&mut self.state, &tail[..end]);
        let mut out = [0u8; 32];
        for (o, w) in out.chunks_exact_mut(4).zip(self.state) {
            o.copy_from_slice(&w.to_be_bytes());
        }
        out
    }

    /// The state as 64 hex digits, when at a block boundary (`None` otherwise).
    pub fn save(&self) -> Option<String> {
        (self.buf_len == 0).then(|| self.state.iter().map(|w| format!("{w:08x}")).collect())
    }

    /// The hasher [`save`](Self::save) described, having hashed `len` bytes.
    pub fn restore(saved: &str, len: u64) -> Option<Hasher> {
        if saved.len() != 64 || !len.is_multiple_of(64) || !saved.is_ascii() {
            return None;
        }
        let mut state = [0u32; 8];
        for (i, w) in state.iter_mut().enumerate() {
            *w = u32::from_str_radix(&saved[i * 8..i * 8 + 8], 16).ok()?;
        }
        Some(Hasher { state, len, buf: [0; 64], buf_len: 0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn same_digest_as_sha2_for_every_split_and_resumed() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        for len in [0usize, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 10_000] {
            let want: [u8; 32] = Sha256::digest(&data[..len]).into();
            for split in [0, 1, 3, 64, 100, len / 2] {
                let split = split.min(len);
                let mut h = Hasher::new();
                h.update(&data[..split]);
                h.update(&data[split..len]);
                assert_eq!(h.finalize(), want, "len {len} split {split}");
            }
            // Saved at a block boundary and restored.
            let cut = len / 64 * 64;
            let mut h = Hasher::new();
            h.update(&data[..cut]);
            let mut r = Hasher::restore(&h.save().unwrap(), cut as u64).unwrap();
            r.update(&data[cut..len]);
            assert_eq!(r.finalize(), want, "len {len} resumed at {cut}");
        }
        let mut h = Hasher::new();
        h.update(b"abc");
        assert!(h.save().is_none());
        assert!(Hasher::restore("zz", 0).is_none());
    }
}
