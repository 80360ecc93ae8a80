//! `.BTF.ext`: per code section, function info, line info and CO-RE relocation records
//! (libbpf's `struct btf_ext_header` and the `bpf_func_info`, `bpf_line_info` and
//! `bpf_core_relo` records). Instruction offsets are bytes in the object file; they are
//! kept here as instruction (slot) indices.

use std::collections::HashMap;

use super::parse::{Reader, BTF_MAGIC};
use super::Btf;
use crate::ObjectError;

const SECTION: &str = ".BTF.ext";

/// A `bpf_func_info` record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FuncRecord {
    /// Slot index in the section.
    pub insn: usize,
    /// The `Func` type.
    pub type_id: u32,
}

/// A `bpf_line_info` record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LineRecord {
    /// Slot index in the section.
    pub insn: usize,
    /// String offset of the source file name.
    pub file_off: u32,
    /// String offset of the source line's text.
    pub line_off: u32,
    /// Line number (1-based).
    pub line: u32,
    /// Column (1-based; 0 when unknown).
    pub column: u32,
}

/// A `bpf_core_relo` record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CoreRelo {
    /// Slot index in the section.
    pub insn: usize,
    /// The local (object BTF) root type.
    pub type_id: u32,
    /// String offset of the access string (`0:1:2`).
    pub access_off: u32,
    /// `enum bpf_core_relo_kind`.
    pub kind: u32,
}

/// The parsed `.BTF.ext`, by code section name.
#[derive(Clone, Debug, Default)]
pub(crate) struct BtfExt {
    pub func_info: HashMap<String, Vec<FuncRecord>>,
    pub line_info: HashMap<String, Vec<LineRecord>>,
    pub core_relos: HashMap<String, Vec<CoreRelo>>,
}

/// Reads one info subsection: a record size, then blocks of `sec_name_off`, `num_info` and
/// that many records, each decoded by `record` from its words.
fn subsection<T>(
    data: &[u8],
    btf: &Btf,
    what: &str,
    words: usize,
    record: impl Fn(usize, &[u32]) -> T,
) -> Result<HashMap<String, Vec<T>>, ObjectError> {
    let mut out: HashMap<String, Vec<T>> = HashMap::new();
    if data.is_empty() {
        return Ok(out);
    }
    let err = |reason: String| ObjectError::btf(SECTION, format!("{what}: {reason}"));
    let mut r = Reader::new(data);
    let record_size = r.u32().ok_or_else(|| err("truncated".into()))? as usize;
    if record_size < words * 4 || !record_size.is_multiple_of(4) {
        return Err(err(format!("bad record size {record_size}")));
    }
    while !r.at_end() {
        let at = r.offset;
        let truncated = || err(format!("block at {at:#x} truncated"));
        let name_off = r.u32().ok_or_else(truncated)?;
        let count = r.u32().ok_or_else(truncated)? as usize;
        let section = btf
            .string_at(name_off)
            .ok_or_else(|| err(format!("section name offset {name_off:#x} out of range")))?;
        let records = out.entry(section.to_owned()).or_default();
        for _ in 0..count {
            let bytes = r.take(record_size).ok_or_else(truncated)?;
            let fields: Vec<u32> = bytes
                .chunks_exact(4)
                .take(words)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            let insn_off = fields[0] as usize;
            if !insn_off.is_multiple_of(8) {
                return Err(err(format!(
                    "section {section}: instruction offset {insn_off:#x} is not a multiple of 8"
                )));
            }
            records.push(record(insn_off / 8, &fields));
        }
    }
    Ok(out)
}

impl BtfExt {
    /// Parses `.BTF.ext`, whose strings are in `btf`.
    pub(crate) fn parse(bytes: &[u8], btf: &Btf) -> Result<BtfExt, ObjectError> {
        let err = |reason: String| ObjectError::btf(SECTION, reason);
        let mut r = Reader::new(bytes);
        let truncated = || err(format!("header truncated ({} bytes)", bytes.len()));
        let magic = r.u16().ok_or_else(truncated)?;
        if magic != BTF_MAGIC {
            return Err(err(format!("bad magic {magic:#06x}")));
        }
        let version = r.u8().ok_or_else(truncated)?;
        if version != 1 {
            return Err(err(format!("unsupported version {version}")));
        }
        let _flags = r.u8().ok_or_else(truncated)?;
        let hdr_len = r.u32().ok_or_else(truncated)? as usize;
        if hdr_len < 24 || hdr_len > bytes.len() {
            return Err(err(format!("bad header length {hdr_len}")));
        }
        let pair = |r: &mut Reader<'_>| Some((r.u32()? as usize, r.u32()? as usize));
        let func = pair(&mut r).ok_or_else(truncated)?;
        let line = pair(&mut r).ok_or_else(truncated)?;
        let core = if hdr_len >= 32 {
            pair(&mut r).ok_or_else(truncated)?
        } else {
            (0, 0)
        };
        let area = |(off, len): (usize, usize), what: &str| {
            hdr_len
                .checked_add(off)
                .and_then(|start| bytes.get(start..start.checked_add(len)?))
                .ok_or_else(|| err(format!("{what} at {off:#x}+{len:#x} past the end")))
        };
        Ok(BtfExt {
            func_info: subsection(area(func, "func info")?, btf, "func info", 2, |insn, f| {
                FuncRecord {
                    insn,
                    type_id: f[1],
                }
            })?,
            line_info: subsection(area(line, "line info")?, btf, "line info", 4, |insn, f| {
                LineRecord {
                    insn,
                    file_off: f[1],
                    line_off: f[2],
                    line: f[3] >> 10,
                    column: f[3] & 0x3ff,
                }
            })?,
            core_relos: subsection(
                area(core, "CO-RE relocations")?,
                btf,
                "CO-RE",
                4,
                |insn, f| CoreRelo {
                    insn,
                    type_id: f[1],
                    access_off: f[2],
                    kind: f[3],
                },
            )?,
        })
    }
}
