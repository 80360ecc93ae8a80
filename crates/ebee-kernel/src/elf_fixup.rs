//! Renames libbpf's `tc` program sections to a name aya understands.
//!
//! aya-obj (every release through 0.6) maps `SEC("classifier")` to a tc classifier
//! but rejects libbpf's newer spellings `SEC("tc")`, `SEC("tc/ingress")`,
//! `SEC("tcx/egress")`, ... with "invalid program section". Clang writes the section
//! name in two places that aya reads: the ELF section header string table, and
//! `.BTF.ext`, whose func/line info and CO-RE relocation blocks name their section
//! through an offset into the `.BTF` string table. [`rename_tc_sections`] works on a
//! copy of the object: it appends a new section-name table and a new `.BTF` (types
//! unchanged, strings extended) at the end of the file, repoints the two section
//! headers at them, and repoints `sh_name` and the `.BTF.ext` name offsets. Nothing
//! else moves, so every other offset in the file stays valid.
//!
//! `tc` and `tc/...` become `classifier` and `classifier/...`; `tcx/...` becomes
//! `classifier/tcx/...` (aya only looks at the first `/`-separated part, the rest
//! keeps names unique). Only 64-bit little-endian objects are rewritten; anything
//! else, or anything malformed, is passed through for aya to judge.

use std::borrow::Cow;

const SHF_EXECINSTR: u64 = 0x4;
const SHT_PROGBITS: u32 = 1;
const BTF_MAGIC: u16 = 0xeb9f;

/// The `classifier` spelling of a libbpf tc section name, if it is one.
fn classifier_name(name: &str) -> Option<String> {
    if name == "tc" || name.starts_with("tc/") {
        Some(format!("classifier{}", &name[2..]))
    } else if name == "tcx" || name.starts_with("tcx/") {
        Some(format!("classifier/{name}"))
    } else {
        None
    }
}

fn rd<const N: usize>(b: &[u8], at: usize) -> Option<[u8; N]> {
    b.get(at..at.checked_add(N)?)?.try_into().ok()
}
fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    rd(b, at).map(u16::from_le_bytes)
}
fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    rd(b, at).map(u32::from_le_bytes)
}
fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    rd(b, at).map(u64::from_le_bytes)
}
fn put(b: &mut [u8], at: usize, v: &[u8]) -> Option<()> {
    b.get_mut(at..at.checked_add(v.len())?)?.copy_from_slice(v);
    Some(())
}
fn cstr(b: &[u8], at: usize) -> Option<&str> {
    let s = b.get(at..)?;
    let end = s.iter().position(|&c| c == 0)?;
    std::str::from_utf8(&s[..end]).ok()
}
fn usize_of(v: u64) -> Option<usize> {
    usize::try_from(v).ok()
}

/// One section header's fields that matter here, and where the header lives.
struct Shdr {
    at: usize,
    name: u32,
    ty: u32,
    flags: u64,
    offset: usize,
    size: usize,
}

impl Shdr {
    fn data<'a>(&self, elf: &'a [u8]) -> Option<&'a [u8]> {
        elf.get(self.offset..self.offset.checked_add(self.size)?)
    }
}

/// Returns `elf` with `tc*` program sections renamed (see the module docs), or
/// `elf` itself when there is nothing to rename or it cannot be rewritten safely.
pub(crate) fn rename_tc_sections(elf: &[u8]) -> Cow<'_, [u8]> {
    match rewrite(elf) {
        Some(out) => Cow::Owned(out),
        None => Cow::Borrowed(elf),
    }
}

fn rewrite(elf: &[u8]) -> Option<Vec<u8>> {
    // ELF64 (EI_CLASS 2), little-endian (EI_DATA 1).
    if elf.get(0..4)? != b"\x7fELF" || *elf.get(4)? != 2 || *elf.get(5)? != 1 {
        return None;
    }
    let shoff = usize_of(u64_at(elf, 40)?)?;
    let shentsize = usize::from(u16_at(elf, 58)?);
    let shnum = usize::from(u16_at(elf, 60)?);
    let shstrndx = usize::from(u16_at(elf, 62)?);
    if shentsize < 64 {
        return None;
    }
    let mut shdrs = Vec::with_capacity(shnum);
    for i in 0..shnum {
        let at = shoff.checked_add(i.checked_mul(shentsize)?)?;
        shdrs.push(Shdr {
            at,
            name: u32_at(elf, at)?,
            ty: u32_at(elf, at + 4)?,
            flags: u64_at(elf, at + 8)?,
            offset: usize_of(u64_at(elf, at + 24)?)?,
            size: usize_of(u64_at(elf, at + 32)?)?,
        });
    }
    let shstrtab = shdrs.get(shstrndx)?;
    let names = shstrtab.data(elf)?;
    let name_of = |s: &Shdr| cstr(names, usize::try_from(s.name).ok()?);

    // (section index, old name, new name)
    let renames: Vec<(usize, String, String)> = shdrs
        .iter()
        .enumerate()
        .filter(|(_, s)| s.ty == SHT_PROGBITS && s.flags & SHF_EXECINSTR != 0)
        .filter_map(|(i, s)| {
            let old = name_of(s)?;
            classifier_name(old).map(|new| (i, old.to_owned(), new))
        })
        .collect();
    if renames.is_empty() {
        return None;
    }

    let mut out = elf.to_vec();
    let pad8 = |v: &mut Vec<u8>| v.resize(v.len().div_ceil(8) * 8, 0);

    // New section-name table: the old one plus the new names.
    let mut new_names = names.to_vec();
    let mut name_offsets = Vec::with_capacity(renames.len());
    for (_, _, new) in &renames {
        name_offsets.push(u32::try_from(new_names.len()).ok()?);
        new_names.extend_from_slice(new.as_bytes());
        new_names.push(0);
    }
    pad8(&mut out);
    let names_at = out.len();
    out.extend_from_slice(&new_names);
    put(&mut out, shstrtab.at + 24, &(names_at as u64).to_le_bytes())?;
    put(
        &mut out,
        shstrtab.at + 32,
        &(new_names.len() as u64).to_le_bytes(),
    )?;
    for ((i, _, _), off) in renames.iter().zip(&name_offsets) {
        put(&mut out, shdrs.get(*i)?.at, &off.to_le_bytes())?;
    }

    // .BTF / .BTF.ext: only when both exist and parse; otherwise aya loads the
    // programs without BTF line info for these sections, as it would anyway.
    let find = |wanted: &str| shdrs.iter().find(|s| name_of(s) == Some(wanted));
    if let (Some(btf), Some(ext)) = (find(".BTF"), find(".BTF.ext")) {
        if let Some((new_btf, sec_names)) = extend_btf(btf.data(elf)?, &renames) {
            let mut new_ext = ext.data(elf)?.to_vec();
            if repoint_btf_ext(&mut new_ext, btf.data(elf)?, &sec_names).is_some() {
                put(&mut out, ext.offset, &new_ext)?;
                pad8(&mut out);
                let btf_at = out.len();
                out.extend_from_slice(&new_btf);
                put(&mut out, btf.at + 24, &(btf_at as u64).to_le_bytes())?;
                put(&mut out, btf.at + 32, &(new_btf.len() as u64).to_le_bytes())?;
            }
        }
    }
    Some(out)
}

/// `(old section name, offset of its new name in the new BTF string table)`.
type SecNames = Vec<(String, u32)>;

/// Rebuilds `.BTF` as header | types | strings + new names. Returns it and, for
/// each rename, `(old name, offset of the new name in the new string table)`.
fn extend_btf(btf: &[u8], renames: &[(usize, String, String)]) -> Option<(Vec<u8>, SecNames)> {
    if u16_at(btf, 0)? != BTF_MAGIC {
        return None;
    }
    let hdr_len = usize::try_from(u32_at(btf, 4)?).ok()?;
    let type_off = usize::try_from(u32_at(btf, 8)?).ok()?;
    let type_len = usize::try_from(u32_at(btf, 12)?).ok()?;
    let str_off = usize::try_from(u32_at(btf, 16)?).ok()?;
    let str_len = usize::try_from(u32_at(btf, 20)?).ok()?;
    if hdr_len < 24 {
        return None;
    }
    let types = btf.get(
        hdr_len.checked_add(type_off)?..hdr_len.checked_add(type_off)?.checked_add(type_len)?,
    )?;
    let strings = btf
        .get(hdr_len.checked_add(str_off)?..hdr_len.checked_add(str_off)?.checked_add(str_len)?)?;

    let mut new_strings = strings.to_vec();
    let mut sec_names = Vec::with_capacity(renames.len());
    for (_, old, new) in renames {
        sec_names.push((old.clone(), u32::try_from(new_strings.len()).ok()?));
        new_strings.extend_from_slice(new.as_bytes());
        new_strings.push(0);
    }
    let mut out = btf.get(..hdr_len)?.to_vec();
    put(&mut out, 8, &0u32.to_le_bytes())?;
    put(
        &mut out,
        12,
        &u32::try_from(types.len()).ok()?.to_le_bytes(),
    )?;
    put(
        &mut out,
        16,
        &u32::try_from(types.len()).ok()?.to_le_bytes(),
    )?;
    put(
        &mut out,
        20,
        &u32::try_from(new_strings.len()).ok()?.to_le_bytes(),
    )?;
    out.extend_from_slice(types);
    out.extend_from_slice(&new_strings);
    Some((out, sec_names))
}

/// Repoints every `.BTF.ext` info block (func info, line info, CO-RE relocations)
/// whose section name is a renamed one.
fn repoint_btf_ext(ext: &mut [u8], old_btf: &[u8], sec_names: &[(String, u32)]) -> Option<()> {
    if u16_at(ext, 0)? != BTF_MAGIC {
        return None;
    }
    let hdr_len = usize::try_from(u32_at(ext, 4)?).ok()?;
    let old_strings_at = usize::try_from(u32_at(old_btf, 4)?)
        .ok()?
        .checked_add(usize::try_from(u32_at(old_btf, 16)?).ok()?)?;
    // (offset, length) header slots: func_info, line_info, and core_relo when present.
    let mut slots = vec![8, 16];
    if hdr_len >= 32 {
        slots.push(24);
    }
    for slot in slots {
        let off = usize::try_from(u32_at(ext, slot)?).ok()?;
        let len = usize::try_from(u32_at(ext, slot + 4)?).ok()?;
        if len == 0 {
            continue;
        }
        let start = hdr_len.checked_add(off)?;
        let end = start.checked_add(len)?;
        let rec_size = usize::try_from(u32_at(ext, start)?).ok()?;
        let mut at = start.checked_add(4)?;
        while at < end {
            let name_off = usize::try_from(u32_at(ext, at)?).ok()?;
            let count = usize::try_from(u32_at(ext, at + 4)?).ok()?;
            let name = cstr(old_btf, old_strings_at.checked_add(name_off)?)?;
            if let Some((_, new_off)) = sec_names.iter().find(|(old, _)| old == name) {
                put(ext, at, &new_off.to_le_bytes())?;
            }
            at = at
                .checked_add(8)?
                .checked_add(count.checked_mul(rec_size)?)?;
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tc_names() {
        assert_eq!(classifier_name("tc").as_deref(), Some("classifier"));
        assert_eq!(
            classifier_name("tc/ingress").as_deref(),
            Some("classifier/ingress")
        );
        assert_eq!(
            classifier_name("tcx/egress").as_deref(),
            Some("classifier/tcx/egress")
        );
        assert_eq!(classifier_name("tcp"), None);
        assert_eq!(classifier_name("xdp"), None);
    }

    #[test]
    fn garbage_passes_through() {
        for input in [&b""[..], b"\x7fELF", b"\x7fELF\x02\x01", &[0xff; 100]] {
            assert!(matches!(rename_tc_sections(input), Cow::Borrowed(_)));
        }
        let mut header = vec![0u8; 64];
        header[..6].copy_from_slice(b"\x7fELF\x02\x01");
        header[40..48].copy_from_slice(&u64::MAX.to_le_bytes()); // e_shoff out of range
        header[58..60].copy_from_slice(&64u16.to_le_bytes());
        header[60..62].copy_from_slice(&3u16.to_le_bytes());
        assert!(matches!(rename_tc_sections(&header), Cow::Borrowed(_)));
    }
}
