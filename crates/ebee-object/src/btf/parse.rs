//! The raw BTF format → [`Btf`]: header, type records, string table. Every read is bounds
//! checked; errors name the byte offset or type id.

use super::types::{kind, BtfEnumValue, BtfKind, BtfMember, BtfParam, BtfType, BtfVarSecInfo};
use super::Btf;
use crate::ObjectError;

/// `BTF_MAGIC`, as read little-endian.
pub(crate) const BTF_MAGIC: u16 = 0xeb9f;

/// A little-endian reader over a byte slice that fails instead of panicking.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pub offset: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, offset: 0 }
    }

    pub fn at_end(&self) -> bool {
        self.offset >= self.bytes.len()
    }

    pub fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let end = self.offset.checked_add(len)?;
        let bytes = self.bytes.get(self.offset..end)?;
        self.offset = end;
        Some(bytes)
    }

    pub fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    pub fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.take(2)?.try_into().ok()?))
    }

    pub fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
}

/// The fixed part of `struct btf_header`.
struct Header {
    hdr_len: usize,
    type_off: usize,
    type_len: usize,
    str_off: usize,
    str_len: usize,
}

fn header(bytes: &[u8], section: &str) -> Result<Header, ObjectError> {
    let err = |reason: String| ObjectError::btf(section, reason);
    let mut r = Reader::new(bytes);
    let truncated = || err(format!("header truncated ({} bytes)", bytes.len()));
    let magic = r.u16().ok_or_else(truncated)?;
    if magic == BTF_MAGIC.swap_bytes() {
        return Err(err("big-endian BTF is not supported".into()));
    }
    if magic != BTF_MAGIC {
        return Err(err(format!(
            "bad magic {magic:#06x} (expected {BTF_MAGIC:#06x})"
        )));
    }
    let version = r.u8().ok_or_else(truncated)?;
    if version != 1 {
        return Err(err(format!("unsupported version {version}")));
    }
    let _flags = r.u8().ok_or_else(truncated)?;
    let mut field = || r.u32().map(|v| v as usize).ok_or_else(truncated);
    let header = Header {
        hdr_len: field()?,
        type_off: field()?,
        type_len: field()?,
        str_off: field()?,
        str_len: field()?,
    };
    if header.hdr_len < 24 || header.hdr_len > bytes.len() {
        return Err(err(format!("bad header length {}", header.hdr_len)));
    }
    Ok(header)
}

/// The part of `bytes` that starts `off` bytes after the header and is `len` long.
fn area<'a>(
    bytes: &'a [u8],
    h: &Header,
    off: usize,
    len: usize,
    what: &str,
    section: &str,
) -> Result<&'a [u8], ObjectError> {
    h.hdr_len
        .checked_add(off)
        .and_then(|start| Some((start, start.checked_add(len)?)))
        .and_then(|(start, end)| bytes.get(start..end))
        .ok_or_else(|| {
            ObjectError::btf(
                section,
                format!(
                    "{what} at {off:#x}+{len:#x} past the end ({} bytes)",
                    bytes.len()
                ),
            )
        })
}

/// Parses raw BTF; `section` names it in errors.
pub(crate) fn parse_btf(bytes: &[u8], section: &str) -> Result<Btf, ObjectError> {
    let h = header(bytes, section)?;
    let strings = area(bytes, &h, h.str_off, h.str_len, "string table", section)?;
    if !strings.is_empty() && (strings[0] != 0 || strings[strings.len() - 1] != 0) {
        return Err(ObjectError::btf(
            section,
            "string table does not start and end with NUL",
        ));
    }
    let type_data = area(bytes, &h, h.type_off, h.type_len, "type section", section)?;
    let mut types = vec![BtfType::new("", BtfKind::Void)];
    let mut r = Reader::new(type_data);
    let name = |off: u32, id: usize| -> Result<String, ObjectError> {
        if off == 0 {
            return Ok(String::new());
        }
        let rest = strings.get(off as usize..).filter(|r| !r.is_empty());
        let text = rest.and_then(|r| r.split(|&b| b == 0).next());
        text.map(|t| String::from_utf8_lossy(t).into_owned())
            .ok_or_else(|| {
                ObjectError::btf(
                    section,
                    format!("type [{id}]: name offset {off:#x} out of range"),
                )
            })
    };
    while !r.at_end() {
        let id = types.len();
        let start = r.offset;
        let bad = |what: &str| {
            ObjectError::btf(section, format!("type [{id}] at offset {start:#x}: {what}"))
        };
        let truncated = || bad("record truncated");
        let name_off = r.u32().ok_or_else(truncated)?;
        let info = r.u32().ok_or_else(truncated)?;
        let size_or_type = r.u32().ok_or_else(truncated)?;
        let vlen = (info & 0xffff) as usize;
        let kind_flag = info >> 31 != 0;
        let members = |r: &mut Reader<'_>| -> Result<Vec<BtfMember>, ObjectError> {
            let mut members = Vec::with_capacity(vlen.min(1024));
            for _ in 0..vlen {
                let m_name = r.u32().ok_or_else(truncated)?;
                let type_id = r.u32().ok_or_else(truncated)?;
                let offset = r.u32().ok_or_else(truncated)?;
                let (bit_offset, bitfield_size) = if kind_flag {
                    (offset & 0x00ff_ffff, offset >> 24)
                } else {
                    (offset, 0)
                };
                members.push(BtfMember {
                    name: name(m_name, id)?,
                    type_id,
                    bit_offset,
                    bitfield_size,
                });
            }
            Ok(members)
        };
        let kind = match (info >> 24) & 0x1f {
            kind::INT => {
                let data = r.u32().ok_or_else(truncated)?;
                let encoding = (data >> 24) & 0x0f;
                BtfKind::Int {
                    size: size_or_type,
                    signed: encoding & 1 != 0,
                    is_char: encoding & 2 != 0,
                    is_bool: encoding & 4 != 0,
                    bit_offset: (data >> 16) & 0xff,
                    bits: data & 0xff,
                }
            }
            kind::PTR => BtfKind::Ptr {
                target: size_or_type,
            },
            kind::ARRAY => BtfKind::Array {
                elem: r.u32().ok_or_else(truncated)?,
                index: r.u32().ok_or_else(truncated)?,
                len: r.u32().ok_or_else(truncated)?,
            },
            kind::STRUCT => BtfKind::Struct {
                size: size_or_type,
                members: members(&mut r)?,
            },
            kind::UNION => BtfKind::Union {
                size: size_or_type,
                members: members(&mut r)?,
            },
            kind::ENUM | kind::ENUM64 => {
                let is64 = (info >> 24) & 0x1f == kind::ENUM64;
                let mut values = Vec::with_capacity(vlen.min(1024));
                for _ in 0..vlen {
                    let v_name = r.u32().ok_or_else(truncated)?;
                    let lo = r.u32().ok_or_else(truncated)?;
                    let value = if is64 {
                        let hi = r.u32().ok_or_else(truncated)?;
                        (i64::from(hi) << 32) | i64::from(lo)
                    } else if kind_flag {
                        i64::from(lo as i32)
                    } else {
                        i64::from(lo)
                    };
                    values.push(BtfEnumValue {
                        name: name(v_name, id)?,
                        value,
                    });
                }
                let (size, signed) = (size_or_type, kind_flag);
                if is64 {
                    BtfKind::Enum64 {
                        size,
                        signed,
                        values,
                    }
                } else {
                    BtfKind::Enum {
                        size,
                        signed,
                        values,
                    }
                }
            }
            kind::FWD => BtfKind::Fwd {
                is_union: kind_flag,
            },
            kind::TYPEDEF => BtfKind::Typedef {
                target: size_or_type,
            },
            kind::VOLATILE => BtfKind::Volatile {
                target: size_or_type,
            },
            kind::CONST => BtfKind::Const {
                target: size_or_type,
            },
            kind::RESTRICT => BtfKind::Restrict {
                target: size_or_type,
            },
            kind::TYPE_TAG => BtfKind::TypeTag {
                target: size_or_type,
            },
            kind::FUNC => BtfKind::Func {
                proto: size_or_type,
                linkage: vlen as u32,
            },
            kind::FUNC_PROTO => {
                let mut params = Vec::with_capacity(vlen.min(1024));
                for _ in 0..vlen {
                    let p_name = r.u32().ok_or_else(truncated)?;
                    params.push(BtfParam {
                        name: name(p_name, id)?,
                        type_id: r.u32().ok_or_else(truncated)?,
                    });
                }
                BtfKind::FuncProto {
                    ret: size_or_type,
                    params,
                }
            }
            kind::VAR => BtfKind::Var {
                target: size_or_type,
                linkage: r.u32().ok_or_else(truncated)?,
            },
            kind::DATASEC => {
                let mut vars = Vec::with_capacity(vlen.min(1024));
                for _ in 0..vlen {
                    vars.push(BtfVarSecInfo {
                        type_id: r.u32().ok_or_else(truncated)?,
                        offset: r.u32().ok_or_else(truncated)?,
                        size: r.u32().ok_or_else(truncated)?,
                    });
                }
                BtfKind::Datasec {
                    size: size_or_type,
                    vars,
                }
            }
            kind::FLOAT => BtfKind::Float { size: size_or_type },
            kind::DECL_TAG => BtfKind::DeclTag {
                target: size_or_type,
                component: r.u32().ok_or_else(truncated)? as i32,
            },
            other => return Err(bad(&format!("unknown kind {other}"))),
        };
        types.push(BtfType {
            name: name(name_off, id)?,
            kind,
        });
    }
    Ok(Btf::from_parts(types, strings.to_vec()))
}
