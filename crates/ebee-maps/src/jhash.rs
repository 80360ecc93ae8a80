//! Bob Jenkins' lookup3 hash as the kernel's `include/linux/jhash.h` defines it. The kernel
//! hashes hash-map keys (`jhash2` when the key size is a multiple of 4, else `jhash`) and
//! bloom filter values with it; using the same function gives the same bucket order when a
//! map is created with `BPF_F_ZERO_SEED`, and the same bloom filter bits for the same seed.

const JHASH_INITVAL: u32 = 0xdead_beef;

#[inline(always)]
fn mix(a: &mut u32, b: &mut u32, c: &mut u32) {
    *a = a.wrapping_sub(*c);
    *a ^= c.rotate_left(4);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a);
    *b ^= a.rotate_left(6);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b);
    *c ^= b.rotate_left(8);
    *b = b.wrapping_add(*a);
    *a = a.wrapping_sub(*c);
    *a ^= c.rotate_left(16);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a);
    *b ^= a.rotate_left(19);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b);
    *c ^= b.rotate_left(4);
    *b = b.wrapping_add(*a);
}

#[inline(always)]
fn final_mix(a: &mut u32, b: &mut u32, c: &mut u32) {
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(14));
    *a ^= *c;
    *a = a.wrapping_sub(c.rotate_left(11));
    *b ^= *a;
    *b = b.wrapping_sub(a.rotate_left(25));
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(16));
    *a ^= *c;
    *a = a.wrapping_sub(c.rotate_left(4));
    *b ^= *a;
    *b = b.wrapping_sub(a.rotate_left(14));
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(24));
}

#[inline(always)]
fn word(k: &[u8], i: usize) -> u32 {
    u32::from_ne_bytes([k[i], k[i + 1], k[i + 2], k[i + 3]])
}

/// The kernel's `jhash(key, len, initval)` over bytes.
pub(crate) fn jhash(key: &[u8], initval: u32) -> u32 {
    let mut a = JHASH_INITVAL
        .wrapping_add(key.len() as u32)
        .wrapping_add(initval);
    let (mut b, mut c) = (a, a);
    let mut k = key;
    while k.len() > 12 {
        a = a.wrapping_add(word(k, 0));
        b = b.wrapping_add(word(k, 4));
        c = c.wrapping_add(word(k, 8));
        mix(&mut a, &mut b, &mut c);
        k = &k[12..];
    }
    if k.is_empty() {
        return c;
    }
    let mut tail = [0u8; 12];
    tail[..k.len()].copy_from_slice(k);
    // Byte i of the tail adds `k[i] << (8 * (i % 4))` to a, b or c: a little-endian load.
    a = a.wrapping_add(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    b = b.wrapping_add(u32::from_le_bytes([tail[4], tail[5], tail[6], tail[7]]));
    c = c.wrapping_add(u32::from_le_bytes([tail[8], tail[9], tail[10], tail[11]]));
    final_mix(&mut a, &mut b, &mut c);
    c
}

/// The kernel's `jhash2(k, len / 4, initval)` over `key.len() / 4` native-endian words.
pub(crate) fn jhash2(key: &[u8], initval: u32) -> u32 {
    let words = key.len() / 4;
    let mut a = JHASH_INITVAL
        .wrapping_add((words as u32) << 2)
        .wrapping_add(initval);
    let (mut b, mut c) = (a, a);
    let mut k = &key[..words * 4];
    while k.len() > 12 {
        a = a.wrapping_add(word(k, 0));
        b = b.wrapping_add(word(k, 4));
        c = c.wrapping_add(word(k, 8));
        mix(&mut a, &mut b, &mut c);
        k = &k[12..];
    }
    match k.len() {
        12 => {
            c = c.wrapping_add(word(k, 8));
            b = b.wrapping_add(word(k, 4));
            a = a.wrapping_add(word(k, 0));
        }
        8 => {
            b = b.wrapping_add(word(k, 4));
            a = a.wrapping_add(word(k, 0));
        }
        4 => a = a.wrapping_add(word(k, 0)),
        _ => return c,
    }
    final_mix(&mut a, &mut b, &mut c);
    c
}

/// How the kernel hashes a key of this size: `jhash2` for multiples of 4, else `jhash`.
#[inline]
pub(crate) fn hash_key(key: &[u8], seed: u32) -> u32 {
    if key.len().is_multiple_of(4) {
        jhash2(key, seed)
    } else {
        jhash(key, seed)
    }
}

/// A random 32-bit seed (the kernel's `get_random_u32()`), from the standard library's
/// per-process random hasher keys.
pub(crate) fn random_seed() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    let v = h.finish();
    (v ^ (v >> 32)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jhash_and_jhash2_agree_on_word_keys_except_length_encoding() {
        // jhash mixes the byte length into the initial state, jhash2 the word count * 4:
        // the same number, so over whole words the two agree.
        let key = [1u8, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
        assert_eq!(jhash(&key, 7), jhash2(&key, 7));
        assert_eq!(jhash(&key[..4], 0), jhash2(&key[..4], 0));
        assert_eq!(jhash(&[], 0), JHASH_INITVAL);
    }

    #[test]
    fn known_values() {
        // lookup3's hashlittle("", 0) = 0xdeadbeef and hashlittle("Four score and seven
        // years ago", 0) = 0x17770551 (from lookup3.c's self test).
        assert_eq!(jhash(b"", 0), 0xdead_beef);
        assert_eq!(jhash(b"Four score and seven years ago", 0), 0x1777_0551);
        assert_eq!(jhash(b"Four score and seven years ago", 1), 0xcd62_8161);
    }
}
