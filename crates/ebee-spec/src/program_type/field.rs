//! One field of a context structure ([`Field`]): what it holds ([`FieldKind`]), which of the
//! types sharing the layout may read and write it ([`Who`]), in which sizes ([`sizes`]), and
//! which fields a test run takes and gives back ([`RunFields`]).

/// What a context field holds, which decides how it is rewritten.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// A number (or bytes), stored in the host context at the same offset as in the UAPI
    /// structure.
    Scalar,
    /// A pointer (UAPI 32-bit packet pointers, 64-bit `__bpf_md_ptr`s): the host stores the
    /// real 64-bit pointer in the pointer slot with this index, after the UAPI structure
    /// (see [`pointer_slot`]). `__sk_buff`: 0 = data, 1 = data_end, 2 = data_meta,
    /// 3 = flow_keys.
    Pointer(u8),
    /// A pointer to a kernel object ebee does not have (a socket) that the kernel may give as
    /// NULL: loads read 0. The host keeps the UAPI bytes there, which a test run requires to
    /// be 0.
    Null,
    /// A pointer to a kernel object ebee cannot provide and the kernel guarantees (the socket
    /// of a sock_addr or sk_msg program): every access is refused, naming it.
    Unsupported(&'static str),
}

/// Which of the program types sharing a layout may read, or write, a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    /// None.
    Nobody,
    /// Every type using this layout.
    Everyone,
    /// Types with one of these roles (bits of [`ProgramTypeSpec::roles`], defined by the
    /// layout's file: `skb::TC`, `sock_addr::IP4`, …).
    Only(u32),
}

impl Who {
    /// Whether a type with `roles` is included.
    pub fn includes(self, roles: u32) -> bool {
        match self {
            Who::Nobody => false,
            Who::Everyone => true,
            Who::Only(mask) => mask & roles != 0,
        }
    }
}

/// Sets of access sizes (bit `n` set: `n`-byte accesses), for [`Field::reads`] and
/// [`Field::writes`].
pub mod sizes {
    /// No access.
    pub const NONE: u8 = 0;
    /// 1 byte.
    pub const B1: u8 = 1;
    /// 2 bytes.
    pub const B2: u8 = 2;
    /// 4 bytes.
    pub const B4: u8 = 4;
    /// 8 bytes.
    pub const B8: u8 = 8;
    /// 1, 2 or 4 bytes (the kernel's `bpf_ctx_narrow_access_ok` for a 4-byte field).
    pub const UP_TO_4: u8 = B1 | B2 | B4;
    /// Any size.
    pub const ANY: u8 = B1 | B2 | B4 | B8;
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
    /// Load sizes allowed ([`sizes`]): aligned loads of these sizes anywhere in the field
    /// (narrower than a scalar field: a part of it; in an array: any aligned part). A size
    /// larger than a 2-byte field is allowed only at its start and reads the zero padding
    /// after it too (`bpf_sock.dst_port`, `bpf_sk_lookup.remote_port`).
    pub reads: u8,
    /// Store sizes allowed ([`sizes`]).
    pub writes: u8,
    /// Whether loads narrower than the field must start at its first byte (the kernel's
    /// `case offsetof(…)` where most fields have `bpf_ctx_range(…)`).
    pub narrow_at_start: bool,
    /// Size of the kernel field behind it (`target_size` of `convert_ctx_access`; 1 for
    /// `pkt_type`, 2 for `__u16` fields such as `tc_index`; 8 for arrays). Stores keep only
    /// that many bytes, and a narrow load at least that wide returns the whole value whatever
    /// part it asked for, as the kernel's verifier rewrites it (no shift when
    /// `size >= target_size`).
    pub kernel_size: u8,
    /// Who may load the field.
    pub readable: Who,
    /// Who may store to the field.
    pub writable: Who,
    /// Number, pointer, or object ebee does not have.
    pub kind: FieldKind,
}

impl Field {
    /// A read-only scalar field of `size` bytes read in `reads` sizes, backed by a kernel
    /// field of the same size (8 for arrays), readable by every type of its layout.
    pub const fn read_only(name: &'static str, offset: u16, size: u16, reads: u8) -> Field {
        Field {
            name,
            offset,
            size,
            reads,
            writes: sizes::NONE,
            narrow_at_start: false,
            kernel_size: if size > 8 { 8 } else { size as u8 },
            readable: Who::Everyone,
            writable: Who::Nobody,
            kind: FieldKind::Scalar,
        }
    }

    /// This field backed by a narrower kernel field (see [`Field::kernel_size`]).
    pub const fn kernel(mut self, kernel_size: u8) -> Field {
        self.kernel_size = kernel_size;
        self
    }

    /// This field writable in `sizes` by `who`.
    pub const fn writable(mut self, who: Who, sizes: u8) -> Field {
        self.writable = who;
        self.writes = sizes;
        self
    }

    /// This field readable by `who` only.
    pub const fn readable_by(mut self, who: Who) -> Field {
        self.readable = who;
        self
    }

    /// This field of kind `kind`.
    pub const fn kind(mut self, kind: FieldKind) -> Field {
        self.kind = kind;
        self
    }

    /// Narrow loads of this field only at its first byte.
    pub const fn narrow_at_start(mut self) -> Field {
        self.narrow_at_start = true;
        self
    }
}

/// Which context fields a test run's `ctx_in` may set, or reports back in `ctx_out`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunFields {
    /// The fields named.
    Named(&'static [&'static str]),
    /// Every field that is not a pointer (types the kernel cannot test-run, whose whole
    /// context comes from the caller).
    Scalars,
}

impl RunFields {
    /// Whether `field` is one of them.
    pub fn includes(&self, field: &Field) -> bool {
        match self {
            RunFields::Named(names) => names.contains(&field.name),
            RunFields::Scalars => field.kind == FieldKind::Scalar,
        }
    }

    /// The names listed (none for [`RunFields::Scalars`]).
    pub fn names(&self) -> &'static [&'static str] {
        match self {
            RunFields::Named(names) => names,
            RunFields::Scalars => &[],
        }
    }
}
