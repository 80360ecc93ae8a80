//! What the verifier knows about one register: nothing yet ([`Reg::Uninit`]), a number
//! ([`Reg::Scalar`]), or a pointer of some kind with an offset ([`Pointer`]): the kernel's
//! `enum bpf_reg_type` with `off`, `var_off`/bounds, `id`, `range` and `ref_obj_id`.

use crate::scalar::Scalar;
use std::fmt;

/// What a pointer points to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PtrKind {
    /// The program's context (`PTR_TO_CTX`).
    Ctx,
    /// The stack of call frame `frame` (`PTR_TO_STACK`; 0 is the program's own frame).
    Stack {
        /// Call frame index.
        frame: u8,
    },
    /// Packet data (`PTR_TO_PACKET`).
    Packet,
    /// Packet metadata before the data (`PTR_TO_PACKET_META`).
    PacketMeta,
    /// The end of the packet (`PTR_TO_PACKET_END`): compared with, never read.
    PacketEnd,
    /// A map itself (`CONST_PTR_TO_MAP`), by index in the verifier's map table.
    Map(u16),
    /// A value of map `.0` (`PTR_TO_MAP_VALUE`).
    MapValue(u16),
    /// A key of map `.0`, as `for_each_map_elem` callbacks receive it (`PTR_TO_MAP_KEY`).
    MapKey(u16),
    /// Memory a helper returned, of `size` bytes (`PTR_TO_MEM`: ring-buffer records,
    /// dynptr data, per-CPU variables).
    Mem {
        /// Bytes.
        size: u32,
        /// `MEM_RDONLY`.
        read_only: bool,
    },
    /// `struct bpf_flow_keys` of a flow dissector (`PTR_TO_FLOW_KEYS`).
    FlowKeys,
    /// A socket (`PTR_TO_SOCKET`, `PTR_TO_SOCK_COMMON`, `PTR_TO_TCP_SOCK`).
    Socket(SocketKind),
    /// A kernel object typed by BTF (`PTR_TO_BTF_ID`), which ebee does not let programs
    /// read or write directly.
    BtfObject,
    /// The function starting at instruction `.0` (`PTR_TO_FUNC`, a callback).
    Func(u32),
}

/// Which socket structure a socket pointer has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SocketKind {
    /// `struct bpf_sock` of a full socket.
    Full,
    /// `struct bpf_sock` of a socket in any state (only the common fields).
    Common,
    /// `struct bpf_tcp_sock`.
    Tcp,
}

/// A pointer: `kind` base plus a fixed offset `off` plus a variable part `var`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Pointer {
    /// What it points to.
    pub kind: PtrKind,
    /// Constant offset from the base.
    pub off: i64,
    /// Variable offset (the constant 0 when none was added).
    pub var: Scalar,
    /// Copies of one pointer share an id: a NULL check or a packet bounds check on one
    /// applies to all (0: none).
    pub id: u32,
    /// May be NULL (`PTR_MAYBE_NULL`): must be checked before use.
    pub maybe_null: bool,
    /// Packet pointers: bytes from the base (plus `var`) known to be inside the packet.
    pub range: i64,
    /// The acquired reference this pointer is, or derives from (0: none).
    pub ref_obj: u32,
}

impl Pointer {
    /// A pointer of `kind` at offset `off`, not NULL, without ids.
    pub fn new(kind: PtrKind, off: i64) -> Pointer {
        Pointer {
            kind,
            off,
            var: Scalar::constant(0),
            id: 0,
            maybe_null: false,
            range: 0,
            ref_obj: 0,
        }
    }

    /// Whether the variable part is known (the offset is `off` exactly).
    pub fn fixed(&self) -> bool {
        self.var.as_constant() == Some(0)
    }

    /// Whether it is a packet pointer whose bounds a comparison with the packet's end can
    /// check.
    pub fn is_packet(&self) -> bool {
        matches!(self.kind, PtrKind::Packet | PtrKind::PacketMeta)
    }
}

/// One register's abstract value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reg {
    /// Never written (`NOT_INIT`): reading it is an error.
    Uninit,
    /// A number.
    Scalar(Scalar),
    /// A pointer.
    Ptr(Pointer),
}

impl Reg {
    /// A scalar known to be `value`.
    pub fn constant(value: u64) -> Reg {
        Reg::Scalar(Scalar::constant(value))
    }

    /// Any number.
    pub fn unknown() -> Reg {
        Reg::Scalar(Scalar::unknown())
    }

    /// The pointer, if it is one.
    pub fn pointer(&self) -> Option<&Pointer> {
        match self {
            Reg::Ptr(p) => Some(p),
            _ => None,
        }
    }

    /// The scalar, if it is one.
    pub fn scalar(&self) -> Option<&Scalar> {
        match self {
            Reg::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// Whether it is a scalar known to be 0.
    pub fn is_zero(&self) -> bool {
        matches!(self, Reg::Scalar(s) if s.as_constant() == Some(0))
    }
}

impl fmt::Display for PtrKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PtrKind::Ctx => write!(f, "context pointer"),
            PtrKind::Stack { frame: 0 } => write!(f, "stack pointer"),
            PtrKind::Stack { frame } => write!(f, "stack pointer (frame {frame})"),
            PtrKind::Packet => write!(f, "packet pointer"),
            PtrKind::PacketMeta => write!(f, "packet metadata pointer"),
            PtrKind::PacketEnd => write!(f, "packet end pointer"),
            PtrKind::Map(m) => write!(f, "map #{m}"),
            PtrKind::MapValue(m) => write!(f, "map value pointer (map #{m})"),
            PtrKind::MapKey(m) => write!(f, "map key pointer (map #{m})"),
            PtrKind::Mem { size, read_only } => {
                let ro = if *read_only { "read-only " } else { "" };
                write!(f, "pointer to {ro}memory of {size} bytes")
            }
            PtrKind::FlowKeys => write!(f, "flow keys pointer"),
            PtrKind::Socket(SocketKind::Full) => write!(f, "socket pointer"),
            PtrKind::Socket(SocketKind::Common) => write!(f, "sock_common pointer"),
            PtrKind::Socket(SocketKind::Tcp) => write!(f, "tcp_sock pointer"),
            PtrKind::BtfObject => write!(f, "kernel object pointer"),
            PtrKind::Func(pc) => write!(f, "function at instruction {pc}"),
        }
    }
}

impl fmt::Display for Pointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        if self.maybe_null {
            write!(f, " or null")?;
        }
        if !matches!(self.kind, PtrKind::Map(_) | PtrKind::Func(_)) {
            write!(f, ", offset {}", self.off)?;
            if !self.fixed() {
                write!(f, " + {}", self.var)?;
            }
        }
        if self.is_packet() {
            write!(f, ", verified range {}", self.range)?;
        }
        if self.ref_obj != 0 {
            write!(f, ", reference {}", self.ref_obj)?;
        }
        Ok(())
    }
}

impl fmt::Display for Reg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reg::Uninit => write!(f, "uninitialized"),
            Reg::Scalar(s) => write!(f, "scalar {s}"),
            Reg::Ptr(p) => write!(f, "{p}"),
        }
    }
}
