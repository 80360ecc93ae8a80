//! Strips map pinning from the oracle's private copy of an object, so that loading never
//! touches bpffs.
//!
//! aya, like libbpf, pins maps declared with `__uint(pinning, LIBBPF_PIN_BY_NAME)` (libxdp's
//! objects do) as `/sys/fs/bpf/<name>`, and *reuses* a map already pinned there. For an oracle
//! that would leak state between objects, tests and processes, and it fails outright where
//! no bpffs is mounted (a fresh machine). Pinning only shares maps between loads, which the
//! oracle never wants, so [`strip_pinning`] removes it before aya sees the object:
//!
//! - BTF-defined maps: the member name `pinning` in the `.BTF` string table is overwritten in
//!   place with `no_pins`, a name of the same length that neither aya nor the kernel gives a
//!   meaning (member names of map definitions are never passed to the kernel). Nothing moves.
//! - Legacy maps (`maps` and `maps/*` sections, aya's `struct bpf_map_def` with `pinning` at
//!   byte 24): the `pinning` word of every map symbol at least 28 bytes long is zeroed.
//!
//! The ELF is located with the `object` crate; only 64-bit little-endian files are changed.
//! Anything unexpected passes through unchanged for aya to judge.

use object::{Object, ObjectSection, ObjectSymbol};
use std::borrow::Cow;

const BTF_MAGIC: u16 = 0xeb9f;
const PINNING: &[u8] = b"pinning";
const REPLACEMENT: &[u8] = b"no_pins";
/// Offset and end of `pinning` in aya's legacy `struct bpf_map_def`.
const LEGACY_PINNING: std::ops::Range<u64> = 24..28;

/// `elf` without map pinning (see the module docs), or `elf` itself when nothing pins.
pub(crate) fn strip_pinning(elf: &[u8]) -> Cow<'_, [u8]> {
    let Ok(file) = object::File::parse(elf) else {
        return Cow::Borrowed(elf);
    };
    if !file.is_little_endian() || !file.is_64() {
        return Cow::Borrowed(elf);
    }
    let mut patches: Vec<std::ops::Range<usize>> = Vec::new();
    let mut zeroes: Vec<std::ops::Range<usize>> = Vec::new();
    if let Some(btf) = file.section_by_name(".BTF") {
        if let (Some((offset, _)), Ok(data)) = (btf.file_range(), btf.data()) {
            for at in pinning_strings(data) {
                patches.push(to_file(offset, at..at + PINNING.len()));
            }
        }
    }
    for section in file.sections() {
        let name = section.name().unwrap_or_default();
        let Some((offset, size)) = section.file_range() else {
            continue;
        };
        if name != "maps" && !name.starts_with("maps/") {
            continue;
        }
        for symbol in file.symbols() {
            let in_section = symbol.section_index() == Some(section.index());
            if !in_section || symbol.size() < LEGACY_PINNING.end {
                continue;
            }
            let start = symbol.address() + LEGACY_PINNING.start;
            let end = symbol.address() + LEGACY_PINNING.end;
            if end <= size {
                zeroes.push(to_file(offset, start as usize..end as usize));
            }
        }
    }
    if patches.is_empty() && zeroes.is_empty() {
        return Cow::Borrowed(elf);
    }
    let mut out = elf.to_vec();
    for range in patches {
        out[range].copy_from_slice(REPLACEMENT);
    }
    for range in zeroes {
        out[range].fill(0);
    }
    Cow::Owned(out)
}

fn to_file(section_offset: u64, range: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let base = section_offset as usize;
    base + range.start..base + range.end
}

/// Offsets in `btf` (the `.BTF` section) of every string table entry that is exactly
/// `pinning`.
fn pinning_strings(btf: &[u8]) -> Vec<usize> {
    let u32_at = |at: usize| -> Option<usize> {
        let bytes = btf.get(at..at + 4)?;
        Some(u32::from_le_bytes(bytes.try_into().ok()?) as usize)
    };
    let header = || -> Option<(usize, usize)> {
        let magic = u16::from_le_bytes(btf.get(0..2)?.try_into().ok()?);
        if magic != BTF_MAGIC {
            return None;
        }
        let start = u32_at(4)?.checked_add(u32_at(16)?)?;
        let end = start.checked_add(u32_at(20)?)?;
        (end <= btf.len()).then_some((start, end))
    };
    let Some((start, end)) = header() else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let mut at = start;
    for entry in btf[start..end].split(|&b| b == 0) {
        if entry == PINNING {
            found.push(at);
        }
        at += entry.len() + 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_passes_through() {
        for input in [&b""[..], b"\x7fELF", &[0xff; 100]] {
            assert!(matches!(strip_pinning(input), Cow::Borrowed(_)));
        }
    }

    #[test]
    fn only_whole_pinning_strings_are_found() {
        let strings = b"\0pinning\0xpinning\0pinning_x\0pinning\0";
        let mut btf = vec![0u8; 24];
        btf[0..2].copy_from_slice(&BTF_MAGIC.to_le_bytes());
        btf[4..8].copy_from_slice(&24u32.to_le_bytes()); // hdr_len
        btf[16..20].copy_from_slice(&0u32.to_le_bytes()); // str_off
        btf[20..24].copy_from_slice(&(strings.len() as u32).to_le_bytes());
        btf.extend_from_slice(strings);
        assert_eq!(pinning_strings(&btf), vec![24 + 1, 24 + 28]);
        btf[20..24].copy_from_slice(&1000u32.to_le_bytes()); // past the end
        assert!(pinning_strings(&btf).is_empty());
    }
}
