//! `BPF_MAP_TYPE_BLOOM_FILTER`, sized and hashed as the kernel's `kernel/bpf/bloom_filter.c`:
//! `nr_hash_funcs` = `map_extra & 0xf` (5 when 0), a bit array of
//! `roundup_pow_of_two(max_entries * nr_hash_funcs * 7 / 5)` bits (at least 64; 2^32 when
//! that overflows), and bit `i` of a value = `jhash(value, seed + i) & mask` (`jhash2` for
//! values whose size is a multiple of 4). The seed is random unless `BPF_F_ZERO_SEED`.

use crate::jhash::{jhash, jhash2, random_seed};
use crate::spec::MapSpec;
use ebee_abi::{flags::*, Errno};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

pub(crate) struct Bloom {
    bits: Box<[AtomicU64]>,
    mask: u32,
    seed: u32,
    nr_hash_funcs: u32,
    aligned: bool,
}

impl Bloom {
    /// The bit-array size in bits for a definition, as the kernel computes it.
    pub(crate) fn nr_bits(spec: &MapSpec) -> u64 {
        let k = match (spec.map_extra & 0xf) as u32 {
            0 => 5,
            k => k,
        };
        let bits = spec
            .max_entries
            .checked_mul(k)
            .and_then(|n| (n / 5).checked_mul(7));
        match bits {
            Some(n) if u64::from(n) <= 1 << 31 => {
                if n <= 64 {
                    64
                } else {
                    u64::from(n).next_power_of_two()
                }
            }
            _ => 1 << 32,
        }
    }

    pub(crate) fn new(spec: &MapSpec) -> Option<Bloom> {
        let nr_bits = Bloom::nr_bits(spec);
        let bits = crate::mem::alloc_words(nr_bits / 8)?;
        let nr_hash_funcs = match (spec.map_extra & 0xf) as u32 {
            0 => 5,
            k => k,
        };
        Some(Bloom {
            bits,
            mask: (nr_bits - 1) as u32,
            seed: if spec.map_flags & BPF_F_ZERO_SEED != 0 {
                0
            } else {
                random_seed()
            },
            nr_hash_funcs,
            aligned: spec.value_size.is_multiple_of(4),
        })
    }

    fn bit(&self, value: &[u8], i: u32) -> u32 {
        let seed = self.seed.wrapping_add(i);
        let h = if self.aligned {
            jhash2(value, seed)
        } else {
            jhash(value, seed)
        };
        h & self.mask
    }

    /// `bpf_map_push_elem`: adds `value`. Flags other than `BPF_ANY` are `-EINVAL`.
    pub(crate) fn push(&self, value: &[u8], flags: u64) -> Result<(), Errno> {
        if flags != BPF_ANY {
            return Err(Errno::EINVAL);
        }
        for i in 0..self.nr_hash_funcs {
            let h = self.bit(value, i) as usize;
            if let Some(w) = self.bits.get(h / 64) {
                w.fetch_or(1 << (h % 64), Relaxed);
            }
        }
        Ok(())
    }

    /// `bpf_map_peek_elem`: `Ok` when `value` may be in the set, `-ENOENT` when it is not.
    pub(crate) fn peek(&self, value: &[u8]) -> Result<(), Errno> {
        for i in 0..self.nr_hash_funcs {
            let h = self.bit(value, i) as usize;
            let set = self
                .bits
                .get(h / 64)
                .is_some_and(|w| w.load(Relaxed) & (1 << (h % 64)) != 0);
            if !set {
                return Err(Errno::ENOENT);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ebee_abi::MapType;

    fn spec(max: u32, extra: u64) -> MapSpec {
        MapSpec::new("b", MapType::BloomFilter, 0, 4, max).with_extra(extra)
    }

    #[test]
    fn sizing_matches_the_kernel() {
        assert_eq!(Bloom::nr_bits(&spec(1, 0)), 64);
        // 100 * 5 / 5 * 7 = 700 -> 1024
        assert_eq!(Bloom::nr_bits(&spec(100, 0)), 1024);
        // 1000 * 3 = 3000 / 5 * 7 = 4200 -> 8192
        assert_eq!(Bloom::nr_bits(&spec(1000, 3)), 8192);
        assert_eq!(Bloom::nr_bits(&spec(u32::MAX, 15)), 1 << 32);
    }

    #[test]
    fn no_false_negatives() {
        let b = Bloom::new(&spec(100, 3)).unwrap();
        for v in 0u32..100 {
            b.push(&v.to_ne_bytes(), BPF_ANY).unwrap();
        }
        for v in 0u32..100 {
            assert_eq!(b.peek(&v.to_ne_bytes()), Ok(()));
        }
        assert_eq!(b.push(&[0; 4], BPF_EXIST), Err(Errno::EINVAL));
    }
}
