//! Program types: one spec per type (context layout with per-field permissions and host
//! rewriting, allowed helpers, return range). The VM rewrites context accesses against the
//! spec; the verifier will check against the same spec.

mod skb;
mod xdp;

use ebee_vm::{ContextLayout, CtxAccess, HostField};

pub use skb::{SOCKET_FILTER, TC_ACT, TC_CLS};
pub use xdp::XDP;

/// What a context field holds, which decides how it is rewritten.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// A number, stored in the host context at the same offset as in the UAPI structure.
    Scalar,
    /// A 32-bit UAPI field holding a packet pointer; the host stores the real 64-bit pointer in
    /// the pointer slot with this index (0 = data, 1 = data_end, 2 = data_meta).
    Pointer(u8),
}

/// Which program types using a layout may read, or write, a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    /// None.
    Nobody,
    /// Every type using this layout.
    Everyone,
    /// TC programs (classifier and action) but not socket filters.
    TcOnly,
}

/// One field of a UAPI context structure.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    /// Field name as in `linux/bpf.h`.
    pub name: &'static str,
    /// Byte offset in the UAPI structure.
    pub offset: u16,
    /// Size in bytes (array fields such as `cb` count as one field).
    pub size: u16,
    /// Whether loads narrower than `size` (of a part of the field) are allowed.
    pub narrow_reads: bool,
    /// Size of the kernel field behind it (`target_size` of `convert_ctx_access`; 1 for
    /// `pkt_type`, 2 for `__u16` fields such as `tc_index`). Stores keep only that many
    /// bytes, and a narrow load at least that wide returns the whole value whatever part it
    /// asked for, as the kernel's verifier rewrites it (no shift when `size >= target_size`).
    pub kernel_size: u8,
    /// Who may load the field.
    pub readable: Who,
    /// Who may store to the field.
    pub writable: Who,
    /// Number or packet pointer.
    pub kind: FieldKind,
}

/// A program type's specification.
#[derive(Debug)]
pub struct ProgramTypeSpec {
    /// Name as libbpf's section names and `bpftool` say it (`xdp`, `sched_cls`, …).
    pub name: &'static str,
    /// `BPF_PROG_TYPE_*` value.
    pub kernel_type: u32,
    /// Size of the UAPI context structure.
    pub ctx_size: u16,
    /// The context's fields; bytes not covered by a field are inaccessible.
    pub fields: &'static [Field],
    /// Whether this type may access `Who::TcOnly` fields.
    pub is_tc: bool,
    /// Kernel ids of the helpers programs of this type may call (beyond the ones every type
    /// may call, see [`crate::helpers`]).
    pub helpers: &'static [u32],
    /// Allowed return values (inclusive), when the kernel restricts them.
    pub return_range: Option<(u64, u64)>,
}

/// Offset in the host context of pointer slot `index`: the host context is the UAPI structure
/// followed by the real 64-bit data, data_end and data_meta pointers.
pub fn pointer_slot(spec: &ProgramTypeSpec, index: u8) -> usize {
    spec.ctx_size as usize + 8 * index as usize
}

impl ProgramTypeSpec {
    /// Size of the host context structure.
    pub fn host_ctx_size(&self) -> usize {
        pointer_slot(self, 3)
    }

    /// The field covering UAPI byte `offset`.
    pub fn field_at(&self, offset: i64) -> Option<&'static Field> {
        self.fields
            .iter()
            .find(|f| offset >= f.offset as i64 && offset < (f.offset + f.size) as i64)
    }

    /// The field named `name`.
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

impl ContextLayout for ProgramTypeSpec {
    fn translate(&self, a: CtxAccess) -> Result<HostField, String> {
        let describe = || {
            let what = if a.write { "write" } else { "read" };
            format!(
                "{what} of {} bytes at offset {} of {}'s context",
                a.size, a.offset, self.name
            )
        };
        let field = self
            .field_at(a.offset as i64)
            .ok_or_else(|| format!("{}: no field there", describe()))?;
        let inner = a.offset as i64 - field.offset as i64;
        let end = inner + a.size as i64;
        if end > field.size as i64 || inner % a.size as i64 != 0 {
            return Err(format!(
                "{}: crosses or misaligns field {}",
                describe(),
                field.name
            ));
        }
        let who = if a.write {
            field.writable
        } else {
            field.readable
        };
        let allowed = match who {
            Who::Nobody => false,
            Who::Everyone => true,
            Who::TcOnly => self.is_tc,
        };
        if !allowed {
            let what = if a.write { "written" } else { "read" };
            return Err(format!(
                "{}: {} may not be {what} by {} programs",
                describe(),
                field.name,
                self.name
            ));
        }
        if a.write && a.size as u16 != field.size && field.size <= 8 {
            return Err(format!(
                "{}: {} must be written whole",
                describe(),
                field.name
            ));
        }
        let whole = a.size as u16 == field.size || field.size > 8;
        match field.kind {
            FieldKind::Pointer(slot) => {
                if a.write || !whole {
                    return Err(format!(
                        "{}: {} must be read whole (4 bytes)",
                        describe(),
                        field.name
                    ));
                }
                Ok(HostField {
                    offset: pointer_slot(self, slot) as i16,
                    size: 8,
                })
            }
            FieldKind::Scalar => {
                if !whole && !field.narrow_reads {
                    return Err(format!("{}: narrow access to {}", describe(), field.name));
                }
                let offset = if !whole && a.size >= field.kernel_size {
                    field.offset as i16
                } else {
                    a.offset
                };
                let size = if a.write {
                    a.size.min(field.kernel_size)
                } else {
                    a.size
                };
                Ok(HostField { offset, size })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(spec: &ProgramTypeSpec, offset: i16, size: u8) -> Result<HostField, String> {
        spec.translate(CtxAccess {
            offset,
            size,
            write: false,
        })
    }

    #[test]
    fn packet_pointers_widen_and_scalars_stay() {
        assert_eq!(
            read(&XDP, 0, 4),
            Ok(HostField {
                offset: 24,
                size: 8
            })
        );
        assert_eq!(
            read(&XDP, 4, 4),
            Ok(HostField {
                offset: 32,
                size: 8
            })
        );
        assert_eq!(
            read(&XDP, 12, 4),
            Ok(HostField {
                offset: 12,
                size: 4
            })
        );
        assert!(read(&XDP, 0, 8).is_err());
        assert!(read(&XDP, 24, 4).is_err());
        assert_eq!(
            read(&TC_CLS, 76, 4),
            Ok(HostField {
                offset: 192,
                size: 8
            })
        );
        assert_eq!(read(&TC_CLS, 0, 4), Ok(HostField { offset: 0, size: 4 }));
    }

    #[test]
    fn writes_follow_the_type() {
        let write = |spec: &ProgramTypeSpec, offset| {
            spec.translate(CtxAccess {
                offset,
                size: 4,
                write: true,
            })
        };
        assert!(write(&TC_CLS, 8).is_ok(), "tc may set mark");
        assert!(write(&SOCKET_FILTER, 8).is_err(), "socket filters may not");
        assert!(write(&SOCKET_FILTER, 48).is_ok(), "cb[0]");
        assert!(write(&TC_CLS, 0).is_err(), "len is read-only");
        assert!(write(&XDP, 12).is_err());
    }

    #[test]
    fn narrow_fields_follow_the_kernel_rewrite() {
        // pkt_type is one kernel byte: any byte of it reads the whole value.
        assert_eq!(read(&TC_CLS, 7, 1), Ok(HostField { offset: 4, size: 1 }));
        // tc_index is a u16: its upper half reads the whole value, its byte 1 is byte 1.
        assert_eq!(
            read(&TC_CLS, 46, 2),
            Ok(HostField {
                offset: 44,
                size: 2
            })
        );
        assert_eq!(
            read(&TC_CLS, 45, 1),
            Ok(HostField {
                offset: 45,
                size: 1
            })
        );
        assert_eq!(read(&TC_CLS, 2, 2), Ok(HostField { offset: 2, size: 2 }));
        let store = TC_CLS.translate(CtxAccess {
            offset: 44,
            size: 4,
            write: true,
        });
        assert_eq!(
            store,
            Ok(HostField {
                offset: 44,
                size: 2
            })
        );
    }
}
