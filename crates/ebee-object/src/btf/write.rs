//! [`Btf`] → the raw BTF format, with a fresh string table.

use std::collections::HashMap;

use super::parse::BTF_MAGIC;
use super::types::{BtfKind, BtfMember};
use super::Btf;

/// Interns names into a string table.
struct Strings {
    bytes: Vec<u8>,
    offsets: HashMap<String, u32>,
}

impl Strings {
    fn offset(&mut self, name: &str) -> u32 {
        if name.is_empty() {
            return 0;
        }
        if let Some(&off) = self.offsets.get(name) {
            return off;
        }
        let off = u32::try_from(self.bytes.len()).unwrap_or(u32::MAX);
        self.bytes.extend(name.as_bytes());
        self.bytes.push(0);
        self.offsets.insert(name.to_owned(), off);
        off
    }
}

fn put(out: &mut Vec<u8>, values: &[u32]) {
    for v in values {
        out.extend(v.to_le_bytes());
    }
}

fn info(kind: u32, vlen: usize, kind_flag: bool) -> u32 {
    (u32::from(kind_flag) << 31) | (kind << 24) | (vlen as u32 & 0xffff)
}

fn members(out: &mut Vec<u8>, strings: &mut Strings, members: &[BtfMember]) {
    let bitfields = members.iter().any(|m| m.bitfield_size != 0);
    for m in members {
        let offset = if bitfields {
            (m.bitfield_size << 24) | (m.bit_offset & 0x00ff_ffff)
        } else {
            m.bit_offset
        };
        put(out, &[strings.offset(&m.name), m.type_id, offset]);
    }
}

impl Btf {
    /// The types in the kernel's binary BTF format (little-endian), with a string table
    /// holding their names: what [`Btf::parse`] reads back to equal types. (Strings that only
    /// line info or CO-RE records referred to are not kept.)
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut strings = Strings {
            bytes: vec![0],
            offsets: HashMap::new(),
        };
        let mut data = Vec::new();
        for (_, ty) in self.types().skip(1) {
            let name = strings.offset(&ty.name);
            let number = ty.kind.number();
            let out = &mut data;
            match &ty.kind {
                BtfKind::Void => put(out, &[name, 0, 0]),
                BtfKind::Int {
                    size,
                    signed,
                    is_char,
                    is_bool,
                    bit_offset,
                    bits,
                } => {
                    let encoding =
                        u32::from(*signed) | u32::from(*is_char) << 1 | u32::from(*is_bool) << 2;
                    let word = encoding << 24 | (bit_offset & 0xff) << 16 | (bits & 0xff);
                    put(out, &[name, info(number, 0, false), *size, word]);
                }
                BtfKind::Ptr { target }
                | BtfKind::Typedef { target }
                | BtfKind::Volatile { target }
                | BtfKind::Const { target }
                | BtfKind::Restrict { target }
                | BtfKind::TypeTag { target } => put(out, &[name, info(number, 0, false), *target]),
                BtfKind::Array { elem, index, len } => {
                    put(out, &[name, info(number, 0, false), 0, *elem, *index, *len]);
                }
                BtfKind::Struct { size, members: m } | BtfKind::Union { size, members: m } => {
                    let bitfields = m.iter().any(|m| m.bitfield_size != 0);
                    put(out, &[name, info(number, m.len(), bitfields), *size]);
                    members(out, &mut strings, m);
                }
                BtfKind::Enum {
                    size,
                    signed,
                    values,
                }
                | BtfKind::Enum64 {
                    size,
                    signed,
                    values,
                } => {
                    put(out, &[name, info(number, values.len(), *signed), *size]);
                    for v in values {
                        let v_name = strings.offset(&v.name);
                        put(out, &[v_name, v.value as u32]);
                        if matches!(ty.kind, BtfKind::Enum64 { .. }) {
                            put(out, &[(v.value >> 32) as u32]);
                        }
                    }
                }
                BtfKind::Fwd { is_union } => put(out, &[name, info(number, 0, *is_union), 0]),
                BtfKind::Func { proto, linkage } => {
                    put(out, &[name, info(number, *linkage as usize, false), *proto]);
                }
                BtfKind::FuncProto { ret, params } => {
                    put(out, &[name, info(number, params.len(), false), *ret]);
                    for p in params {
                        put(out, &[strings.offset(&p.name), p.type_id]);
                    }
                }
                BtfKind::Var { target, linkage } => {
                    put(out, &[name, info(number, 0, false), *target, *linkage]);
                }
                BtfKind::Datasec { size, vars } => {
                    put(out, &[name, info(number, vars.len(), false), *size]);
                    for v in vars {
                        put(out, &[v.type_id, v.offset, v.size]);
                    }
                }
                BtfKind::Float { size } => put(out, &[name, info(number, 0, false), *size]),
                BtfKind::DeclTag { target, component } => {
                    put(
                        out,
                        &[name, info(number, 0, false), *target, *component as u32],
                    );
                }
            }
        }
        let mut out = Vec::with_capacity(24 + data.len() + strings.bytes.len());
        out.extend(BTF_MAGIC.to_le_bytes());
        out.extend([1, 0]); // version, flags
        let type_len = data.len() as u32;
        put(
            &mut out,
            &[24, 0, type_len, type_len, strings.bytes.len() as u32],
        );
        out.extend(data);
        out.extend(strings.bytes);
        out
    }
}
