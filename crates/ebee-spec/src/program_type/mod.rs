//! Program types: one spec per type, in one file per context. A spec says everything about
//! the type: its context layout (each field's offset, size, who may read or write it, whether
//! it holds a packet pointer, and where ebee's host context keeps it), the helpers the type
//! may call, its return range, how a test run builds its input, and its verdict names. The
//! VM rewrites context accesses against the spec ([`ProgramTypeSpec::translate`]), the
//! runtime builds contexts from it, and the verifier checks against it.
//!
//! ```
//! use ebee_spec::program_type::{CtxAccess, XDP};
//! // A 4-byte read of `xdp_md.data` becomes an 8-byte read of the real pointer.
//! let host = XDP.translate(CtxAccess { offset: 0, size: 4, write: false })?;
//! assert_eq!((host.offset, host.size), (24, 8));
//! assert!(XDP.allows_helper(44)); // bpf_xdp_adjust_head
//! assert_eq!(XDP.verdict_name(2), "XDP_PASS");
//! # Ok::<(), String>(())
//! ```

mod skb;
mod xdp;

pub use skb::{SOCKET_FILTER, TC_ACT, TC_CLS};
pub use xdp::XDP;

/// Helpers every program type may call (the kernel's `bpf_base_func_proto`, for a loader
/// with `CAP_BPF` and `CAP_PERFMON`), in id order.
pub const BASE_HELPERS: &[u32] = &[
    1, 2, 3, 5, 6, 7, 8, 12, 14, 15, 16, 25, 42, 87, 88, 89, 93, 94, 105, 106, 112, 113, 114, 115,
    118, 125, 130, 131, 132, 133, 134, 160, 164, 165, 177, 181, 182, 195,
];

/// Helpers a program without a spec (a tracing-style program, run with a context of host
/// bytes) may call beyond [`BASE_HELPERS`]: `probe_read` (4) and `probe_read_str` (45).
pub const GENERIC_HELPERS: &[u32] = &[4, 45];

/// One access a program makes to its context, in UAPI terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CtxAccess {
    /// Byte offset into the UAPI structure.
    pub offset: i16,
    /// Access size in bytes (1, 2, 4 or 8).
    pub size: u8,
    /// True for stores.
    pub write: bool,
}

/// Where that access goes in the host context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostField {
    /// Byte offset into the host structure.
    pub offset: i16,
    /// Access size in bytes in the host structure (8 for widened pointer fields).
    pub size: u8,
}

/// Which packet context a type's test run builds (`BPF_PROG_TEST_RUN`'s rules differ).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PacketContext {
    /// `struct xdp_md` over an XDP frame.
    Xdp,
    /// `struct __sk_buff` over an skb; `pulls_ethernet`: the program sees the packet from the
    /// network header (socket filters).
    Skb {
        /// Whether the Ethernet header is pulled before the program runs.
        pulls_ethernet: bool,
    },
}

/// What a verdict does with the packet, for hooks that act on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// The packet goes on up the stack.
    Pass,
    /// The packet is dropped.
    Drop,
    /// The packet goes back out of the interface it came in on.
    Transmit,
    /// The packet goes where the program redirected it.
    Redirect,
    /// Dropped because of an error.
    Aborted,
    /// Anything else (consumed, queued, reclassified…).
    Other,
}

/// One named return value of a program type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// r0, truncated to 32 bits.
    pub value: u32,
    /// The kernel's name (`XDP_PASS`, `TC_ACT_SHOT`).
    pub name: &'static str,
    /// What it does to the packet.
    pub fate: Fate,
}

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
    /// The packet context its test run builds.
    pub packet: PacketContext,
    /// Whether programs of this type may use the legacy packet loads (`ldabs*`, `ldind*`:
    /// BPF_LD|BPF_ABS, BPF_LD|BPF_IND), which read the skb in r6: the kernel's
    /// `may_access_skb` (socket filters, TC classifiers and actions).
    pub legacy_packet_access: bool,
    /// Kernel ids of the helpers programs of this type may call beyond [`BASE_HELPERS`], in
    /// id order (the type's `func_proto` in the kernel).
    pub helpers: &'static [u32],
    /// Allowed return values (inclusive, of the low 32 bits), when the kernel restricts them.
    pub return_range: Option<(u32, u32)>,
    /// The named return values.
    pub verdicts: &'static [Verdict],
    /// The context fields a test run's `ctx_in` may set (the rest must be zero).
    pub test_run_input: &'static [&'static str],
    /// The context fields a test run reports back in `ctx_out` (the rest are as given).
    pub test_run_output: &'static [&'static str],
}

/// Offset in the host context of pointer slot `index`: the host context is the UAPI structure
/// followed by the real 64-bit data, data_end and data_meta pointers.
pub fn pointer_slot(spec: &ProgramTypeSpec, index: u8) -> usize {
    spec.ctx_size as usize + 8 * index as usize
}

impl ProgramTypeSpec {
    /// Whether programs of this type may call helper `id`.
    pub fn allows_helper(&self, id: u32) -> bool {
        BASE_HELPERS.binary_search(&id).is_ok() || self.helpers.binary_search(&id).is_ok()
    }

    /// Whether `retval` is in the type's return range (always, when it has none).
    pub fn allows_return(&self, retval: u64) -> bool {
        self.return_range
            .is_none_or(|(low, high)| (low..=high).contains(&(retval as u32)))
    }

    /// The verdict `retval` names, if it is one.
    pub fn verdict(&self, retval: u32) -> Option<&'static Verdict> {
        self.verdicts.iter().find(|v| v.value == retval)
    }

    /// The name of verdict `retval` (`XDP_PASS`); for other values `XDP_UNKNOWN(n)` (with
    /// the prefix of the type's verdict names), or the number for types without verdicts.
    pub fn verdict_name(&self, retval: u32) -> String {
        if let Some(v) = self.verdict(retval) {
            return v.name.to_string();
        }
        match self.verdicts.first() {
            Some(first) => {
                let prefix = first.name.rfind('_').map_or("", |at| &first.name[..=at]);
                format!("{prefix}UNKNOWN({})", retval as i32)
            }
            None => retval.to_string(),
        }
    }

    /// Byte offset of the UAPI field `name` (which must exist: specs name their own fields).
    pub fn offset_of(&self, name: &str) -> usize {
        self.field(name)
            .unwrap_or_else(|| panic!("{} has no field {name}", self.name))
            .offset as usize
    }

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

impl ProgramTypeSpec {
    /// Translates one context access to the host layout, or says why the type forbids it
    /// (the kernel's `is_valid_access` and `convert_ctx_access`).
    pub fn translate(&self, a: CtxAccess) -> Result<HostField, String> {
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
    fn verdicts_are_named_and_helpers_listed_in_order() {
        assert_eq!(TC_CLS.verdict_name(-1i32 as u32), "TC_ACT_UNSPEC");
        assert_eq!(TC_CLS.verdict_name(99), "TC_ACT_UNKNOWN(99)");
        assert_eq!(XDP.verdict_name(7), "XDP_UNKNOWN(7)");
        assert_eq!(SOCKET_FILTER.verdict_name(60), "60");
        for list in [BASE_HELPERS, GENERIC_HELPERS] {
            assert!(list.windows(2).all(|w| w[0] < w[1]));
        }
        for spec in [&XDP, &SOCKET_FILTER, &TC_CLS, &TC_ACT] {
            assert!(
                spec.helpers.windows(2).all(|w| w[0] < w[1]),
                "{}",
                spec.name
            );
            for &id in BASE_HELPERS.iter().chain(spec.helpers) {
                assert!(
                    crate::helper::prototype(id).is_some(),
                    "{}: {id}",
                    spec.name
                );
            }
            for name in spec.test_run_input.iter().chain(spec.test_run_output) {
                assert!(spec.field(name).is_some(), "{}: {name}", spec.name);
            }
        }
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
