//! Helper prototypes: what each kernel helper takes and returns, as the kernel declares it in
//! its `struct bpf_func_proto` (`arg1_type` … `arg5_type`, `ret_type`, the BTF ids and fixed
//! sizes beside them, `gpl_only`). The verifier checks calls against these; the VM's load-time
//! data-flow reads which arguments a helper writes through; the `ebee` crate pairs each with
//! its implementation by id. [`PROTOTYPES`] has every helper of `linux/bpf.h` (ids 1–211).
//!
//! ```
//! use ebee_spec::helper::{prototype, Arg, Ret};
//! let lookup = prototype(1).unwrap(); // bpf_map_lookup_elem
//! assert_eq!(lookup.name(), "map_lookup_elem");
//! assert_eq!(lookup.args, [Arg::MapPtr, Arg::MapKey]);
//! assert_eq!(lookup.ret, Ret::MapValueOrNull);
//! assert_eq!(prototype(16).unwrap().writes_through(), 0b1); // get_current_comm(buf, size)
//! ```

mod prototypes;
#[cfg(test)]
mod tests;

pub use prototypes::PROTOTYPES;

/// What a helper argument must be: the kernel's `enum bpf_arg_type`, with the type flags of
/// `enum bpf_type_flag` that helpers use (`PTR_MAYBE_NULL`, `MEM_RDONLY`, `MEM_UNINIT`,
/// `MEM_WRITE`, `MEM_FIXED_SIZE`, `MEM_ALIGNED`, `OBJ_RELEASE`, `DYNPTR_TYPE_*`) folded in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Arg {
    /// `ARG_ANYTHING`: any initialized value.
    Anything,
    /// `ARG_SCALAR`: a number, not a pointer (`loop`'s iteration count).
    Scalar,
    /// `ARG_CONST_MAP_PTR`: a map, as loaded by `lddw` of a map reference.
    MapPtr,
    /// `ARG_PTR_TO_MAP_KEY`: readable memory of the map's key size.
    MapKey,
    /// `ARG_PTR_TO_MAP_VALUE`: readable memory of the map's value size.
    MapValue,
    /// `ARG_PTR_TO_MAP_VALUE_OR_NULL`: readable memory of the map's value size, or NULL (the
    /// initial value of the local-storage `*_storage_get` helpers).
    MapValueOrNull,
    /// `ARG_PTR_TO_MAP_VALUE | MEM_UNINIT | MEM_WRITE`: memory of the map's value size the
    /// helper writes (`map_pop_elem`, `map_peek_elem`).
    MapValueOut,
    /// `ARG_PTR_TO_MEM | MEM_RDONLY`: readable, initialized memory whose size is the next
    /// argument (`nullable`: `PTR_MAYBE_NULL`, NULL with size 0 allowed).
    ReadMem {
        /// NULL allowed.
        nullable: bool,
    },
    /// `ARG_PTR_TO_UNINIT_MEM` (`ARG_PTR_TO_MEM | MEM_UNINIT | MEM_WRITE`): memory the helper
    /// writes, of the size the next argument gives; it need not be initialized.
    WriteMem {
        /// NULL allowed.
        nullable: bool,
    },
    /// `ARG_PTR_TO_MEM` without `MEM_RDONLY` (with or without `MEM_WRITE`; `nullable`:
    /// `ARG_PTR_TO_MEM_OR_NULL`): initialized, writable memory the helper reads and may
    /// write, of the size the next argument gives.
    ReadWriteMem {
        /// NULL allowed.
        nullable: bool,
    },
    /// `ARG_PTR_TO_FIXED_SIZE_MEM` (`ARG_PTR_TO_MEM | MEM_FIXED_SIZE`, the size in the
    /// proto's `argN_size`): `size` bytes, no size argument.
    FixedMem {
        /// Bytes.
        size: u8,
        /// `MEM_WRITE`: the helper writes them (else it only reads them).
        write: bool,
        /// `MEM_UNINIT`: they need not be initialized (the helper writes all of them).
        uninit: bool,
        /// `MEM_ALIGNED`: the pointer must be aligned to `size`.
        aligned: bool,
    },
    /// `ARG_CONST_SIZE` (`zero_ok` false) or `ARG_CONST_SIZE_OR_ZERO`: the size of the
    /// preceding memory argument.
    Size {
        /// 0 allowed.
        zero_ok: bool,
    },
    /// `ARG_CONST_ALLOC_SIZE_OR_ZERO`: a constant size of memory the helper returns
    /// (`ringbuf_reserve`, `dynptr_data`).
    AllocSize,
    /// `ARG_PTR_TO_ARENA`: a pointer into a `BPF_MAP_TYPE_ARENA`. No helper takes one (global
    /// functions' `__arg_arena` arguments do); listed for completeness.
    Arena,
    /// `ARG_PTR_TO_CTX` (`nullable`: `ARG_PTR_TO_CTX_OR_NULL`): the program's context.
    Ctx {
        /// NULL allowed.
        nullable: bool,
    },
    /// `ARG_PTR_TO_FUNC`: a callback (a `lddw` of a function reference).
    Callback,
    /// `ARG_PTR_TO_STACK_OR_NULL`: a pointer to the program's stack, or NULL (the context a
    /// callback receives).
    StackOrNull,
    /// `ARG_PTR_TO_CONST_STR`: a NUL-terminated string in read-only map memory.
    ConstStr,
    /// `ARG_PTR_TO_SPIN_LOCK`: a `struct bpf_spin_lock` inside a map value.
    SpinLock,
    /// `ARG_PTR_TO_TIMER`: a `struct bpf_timer` inside a map value.
    Timer,
    /// `ARG_KPTR_XCHG_DEST` (before Linux 6.11 `ARG_PTR_TO_KPTR`): a referenced kernel
    /// pointer field (`__kptr`) of a map value, which `kptr_xchg` swaps.
    Kptr,
    /// `ARG_PTR_TO_DYNPTR`: a `struct bpf_dynptr` on the stack. Without `init` or `release`
    /// the kernel adds `MEM_RDONLY` (the helper leaves the dynptr itself as it is).
    Dynptr {
        /// Which dynptrs (`DYNPTR_TYPE_*`).
        kind: DynptrKind,
        /// `MEM_UNINIT | MEM_WRITE`: the helper initializes it.
        init: bool,
        /// `OBJ_RELEASE`: the call releases it.
        release: bool,
    },
    /// `ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE`: a record `ringbuf_reserve` returned, released
    /// by the call.
    RingbufRecord,
    /// `ARG_PTR_TO_SOCKET` (`release`: `OBJ_RELEASE`), `nullable` for
    /// `ARG_PTR_TO_SOCKET_OR_NULL` (`sk_assign` of `sk_lookup` programs).
    Socket {
        /// The call releases the reference.
        release: bool,
        /// NULL allowed.
        nullable: bool,
    },
    /// `ARG_PTR_TO_SOCK_COMMON`: a socket pointer a helper returned (`PTR_TO_SOCK_COMMON`,
    /// `PTR_TO_SOCKET`, `PTR_TO_TCP_SOCK`, `PTR_TO_XDP_SOCK`).
    SockCommon,
    /// `ARG_PTR_TO_BTF_ID_SOCK_COMMON`: as [`Arg::SockCommon`], or a BTF-typed pointer to a
    /// `struct sock_common` (or a struct starting with one).
    BtfSockCommon {
        /// `PTR_MAYBE_NULL`: NULL allowed.
        nullable: bool,
        /// `OBJ_RELEASE`: the call releases the reference (`sk_release`).
        release: bool,
    },
    /// `ARG_PTR_TO_BTF_ID` (`nullable`: `ARG_PTR_TO_BTF_ID_OR_NULL`): a pointer to the kernel
    /// type `ty` (the proto's `argN_btf_id`).
    BtfId {
        /// The kernel type.
        ty: BtfType,
        /// NULL allowed.
        nullable: bool,
        /// `OBJ_RELEASE`: the call releases the reference.
        release: bool,
    },
    /// `ARG_PTR_TO_PERCPU_BTF_ID`: a per-CPU kernel variable (a `__ksym`).
    PercpuBtfId,
}

/// The kernel type a BTF-typed pointer points to (a proto's `argN_btf_id` or `ret_btf_id`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BtfType {
    /// `struct` of that name in the kernel's BTF (`task_struct`, `sock_common`, …).
    Struct(&'static str),
    /// `BPF_PTR_POISON`: the type the map value's `__kptr` field declares (`kptr_xchg`).
    KptrField,
}

/// Which dynptrs a dynptr argument accepts: the `DYNPTR_TYPE_*` flag of the argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DynptrKind {
    /// No `DYNPTR_TYPE_*` flag: any dynptr.
    Any,
    /// `DYNPTR_TYPE_LOCAL`: over program memory (`dynptr_from_mem`).
    Local,
    /// `DYNPTR_TYPE_RINGBUF`: over a ring-buffer record (`ringbuf_reserve_dynptr`).
    Ringbuf,
}

impl Arg {
    /// Whether a helper may write memory through this argument: writable memory, fixed-size
    /// result slots, dynptrs (the helper initializes or releases them, or writes the memory
    /// they describe), and the map-value fields helpers update (spin locks, timers, kptrs).
    /// Sockets and other kernel objects are not program memory; ring-buffer records are
    /// released, not written.
    pub const fn is_written_through(&self) -> bool {
        matches!(
            self,
            Arg::WriteMem { .. }
                | Arg::ReadWriteMem { .. }
                | Arg::MapValueOut
                | Arg::FixedMem { write: true, .. }
                | Arg::Dynptr { .. }
                | Arg::SpinLock
                | Arg::Timer
                | Arg::Kptr
                | Arg::Arena
        )
    }

    /// Whether this is a memory argument whose size is the next argument
    /// (`ARG_PTR_TO_MEM` without `MEM_FIXED_SIZE`).
    pub const fn is_sized_memory(&self) -> bool {
        matches!(
            self,
            Arg::ReadMem { .. } | Arg::WriteMem { .. } | Arg::ReadWriteMem { .. }
        )
    }
}

/// What a helper returns: the kernel's `enum bpf_return_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Ret {
    /// `RET_INTEGER`: a number (often 0 or a negative errno).
    Integer,
    /// `RET_VOID`: nothing meaningful; r0 is undefined after the call.
    Void,
    /// `RET_PTR_TO_MAP_VALUE`: a pointer to a map value, never NULL (`get_local_storage`).
    MapValue,
    /// `RET_PTR_TO_MAP_VALUE_OR_NULL`: a pointer to a map value, or NULL.
    MapValueOrNull,
    /// `RET_PTR_TO_RINGBUF_MEM_OR_NULL` (`RET_PTR_TO_MEM | MEM_RINGBUF | PTR_MAYBE_NULL`): a
    /// reserved record (an acquired reference), or NULL.
    RingbufRecordOrNull,
    /// `RET_PTR_TO_SOCKET_OR_NULL`: a full socket (acquired when the helper looks one up), or
    /// NULL.
    SocketOrNull,
    /// `RET_PTR_TO_TCP_SOCK_OR_NULL`: a `struct bpf_tcp_sock`, or NULL.
    TcpSockOrNull,
    /// `RET_PTR_TO_SOCK_COMMON_OR_NULL`: a `struct bpf_sock` of any state, or NULL.
    SockCommonOrNull,
    /// `RET_PTR_TO_MEM_OR_BTF_ID | MEM_RDONLY`: the variable the argument names, as read-only
    /// memory or as its BTF type, never NULL (`this_cpu_ptr`).
    MemOrBtfId,
    /// `RET_PTR_TO_MEM_OR_BTF_ID | PTR_MAYBE_NULL | MEM_RDONLY`: as [`Ret::MemOrBtfId`], or
    /// NULL (`per_cpu_ptr`).
    MemOrBtfIdOrNull,
    /// `RET_PTR_TO_BTF_ID` of the kernel type `ty` (the proto's `ret_btf_id`); `nullable` for
    /// `RET_PTR_TO_BTF_ID_OR_NULL`, `trusted` for `RET_PTR_TO_BTF_ID_TRUSTED`.
    BtfId {
        /// The kernel type.
        ty: BtfType,
        /// `PTR_MAYBE_NULL`: NULL possible.
        nullable: bool,
        /// `PTR_TRUSTED`: may be passed on to helpers and kfuncs that need trusted pointers.
        trusted: bool,
    },
    /// `RET_PTR_TO_DYNPTR_MEM_OR_NULL` (`RET_PTR_TO_MEM | PTR_MAYBE_NULL`): memory of a
    /// dynptr, or NULL.
    DynptrMemOrNull,
}

/// One helper's prototype.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prototype {
    /// Kernel id (`BPF_FUNC_*`).
    pub id: u32,
    /// Argument kinds, r1 first, as many as the kernel's proto declares (registers after
    /// them are `ARG_DONTCARE`: unchecked, though `trace_printk` reads r3–r5).
    pub args: &'static [Arg],
    /// Return kind.
    pub ret: Ret,
    /// `gpl_only`: only GPL-compatible programs may call it.
    pub gpl_only: bool,
}

impl Prototype {
    /// The kernel's name without the `bpf_` prefix.
    pub fn name(&self) -> &'static str {
        ebee_abi::helper_names::helper_name(self.id).unwrap_or("unknown")
    }

    /// Which arguments the helper may write memory through (bit `i`: r(1+i)): those
    /// [`Arg::is_written_through`] says, and, for helpers that take a callback, every
    /// argument (the callback may write what it receives).
    pub fn writes_through(&self) -> u8 {
        writes_through(self.args)
    }
}

/// Which of `args` a helper may write memory through (bit `i`: r(1+i)), as
/// [`Prototype::writes_through`].
pub fn writes_through(args: &[Arg]) -> u8 {
    if args.contains(&Arg::Callback) {
        return 0b1_1111;
    }
    args.iter()
        .enumerate()
        .filter(|(_, arg)| arg.is_written_through())
        .fold(0, |mask, (i, _)| mask | (1 << i))
}

/// Whether helper `id` may move or resize the packet, so that every packet pointer a program
/// holds is stale after the call (the kernel's `bpf_helper_changes_pkt_data`). (`tail_call`
/// is not, but makes packet pointers stale when called from a function: see
/// `ebee-verifier`'s `call.rs`.)
///
/// ```
/// assert!(ebee_spec::helper::changes_packet_data(44)); // xdp_adjust_head
/// assert!(!ebee_spec::helper::changes_packet_data(1)); // map_lookup_elem
/// ```
pub fn changes_packet_data(id: u32) -> bool {
    matches!(
        id,
        9 | 10 | 11 | 13 | 18 | 19 | 31 | 38 | 39 | 43 | 44 | 50 | 54 | 63 | 65 | 73..=76 | 90 | 91
    )
}

/// The prototype of helper `id`, if the kernel has such a helper.
pub fn prototype(id: u32) -> Option<&'static Prototype> {
    PROTOTYPES
        .binary_search_by_key(&id, |p| p.id)
        .ok()
        .map(|i| &PROTOTYPES[i])
}
