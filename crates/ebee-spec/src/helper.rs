//! Helper prototypes: what each kernel helper takes and returns, as the kernel declares it in
//! its `struct bpf_func_proto` (`arg1_type` … `arg5_type`, `ret_type`). The verifier checks
//! calls against these; the VM's load-time data-flow reads which arguments a helper writes
//! through; the `ebee` crate pairs each with its implementation by id.
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

pub use prototypes::PROTOTYPES;

/// What a helper argument must be: the kernel's `enum bpf_arg_type`, with the flags that
/// matter (`MEM_RDONLY`, `MEM_UNINIT`, `PTR_MAYBE_NULL`, `OBJ_RELEASE`) folded in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Arg {
    /// `ARG_ANYTHING`: any value.
    Anything,
    /// `ARG_CONST_MAP_PTR`: a map, as loaded by `lddw` of a map reference.
    MapPtr,
    /// `ARG_PTR_TO_MAP_KEY`: readable memory of the map's key size.
    MapKey,
    /// `ARG_PTR_TO_MAP_VALUE`: readable memory of the map's value size.
    MapValue,
    /// `ARG_PTR_TO_MAP_VALUE | MEM_UNINIT`: memory of the map's value size the helper writes
    /// (`map_pop_elem`, `map_peek_elem`).
    MapValueOut,
    /// `ARG_PTR_TO_MEM | MEM_RDONLY`: readable, initialized memory whose size is the next
    /// argument (`nullable`: `PTR_MAYBE_NULL`, NULL with size 0 allowed).
    ReadMem {
        /// NULL allowed.
        nullable: bool,
    },
    /// `ARG_PTR_TO_UNINIT_MEM`: memory the helper writes, of the size the next argument
    /// gives; it need not be initialized.
    WriteMem {
        /// NULL allowed.
        nullable: bool,
    },
    /// `ARG_PTR_TO_MEM`: initialized memory the helper reads and may write, of the size the
    /// next argument gives.
    ReadWriteMem {
        /// NULL allowed.
        nullable: bool,
    },
    /// `ARG_PTR_TO_FIXED_SIZE_MEM` (`ARG_PTR_TO_LONG`, `ARG_PTR_TO_INT`): `size` bytes the
    /// helper writes (`write`) or reads.
    FixedMem {
        /// Bytes.
        size: u8,
        /// Whether the helper writes them (`MEM_UNINIT`).
        write: bool,
    },
    /// `ARG_CONST_SIZE` (`zero_ok` false) or `ARG_CONST_SIZE_OR_ZERO`: the size of the
    /// preceding memory argument.
    Size {
        /// 0 allowed.
        zero_ok: bool,
    },
    /// `ARG_CONST_ALLOC_SIZE_OR_ZERO`: the size of memory the helper allocates
    /// (`ringbuf_reserve`).
    AllocSize,
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
    /// `ARG_PTR_TO_KPTR`: a referenced kernel pointer field of a map value.
    Kptr,
    /// `ARG_PTR_TO_DYNPTR`: a `struct bpf_dynptr` on the stack.
    Dynptr {
        /// Whether the helper initializes it (`MEM_UNINIT`).
        init: bool,
    },
    /// `ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE` (`ARG_PTR_TO_ALLOC_MEM`): a record
    /// `ringbuf_reserve` returned, released by the call.
    RingbufRecord,
    /// `ARG_PTR_TO_SOCKET` (`release`: `OBJ_RELEASE`, as `sk_release`), `nullable` for
    /// `ARG_PTR_TO_SOCKET_OR_NULL`.
    Socket {
        /// The call releases the reference.
        release: bool,
        /// NULL allowed.
        nullable: bool,
    },
    /// `ARG_PTR_TO_SOCK_COMMON`: any socket pointer.
    SockCommon,
    /// `ARG_PTR_TO_BTF_ID_SOCK_COMMON`: a socket pointer, or a BTF-typed socket.
    BtfSockCommon,
    /// `ARG_PTR_TO_BTF_ID` of the kernel type named (`task_struct`, …), `nullable` for
    /// `PTR_MAYBE_NULL`.
    BtfId {
        /// The kernel struct.
        type_name: &'static str,
        /// NULL allowed.
        nullable: bool,
    },
    /// `ARG_PTR_TO_PERCPU_BTF_ID`: a per-CPU kernel variable.
    PercpuBtfId,
    /// `ARG_CONST_MAP_PTR_OR_NULL`-style map pointers that may be NULL.
    MapPtrOrNull,
}

/// What a helper returns: the kernel's `enum bpf_return_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Ret {
    /// `RET_INTEGER`: a number (often 0 or a negative errno).
    Integer,
    /// `RET_VOID`: nothing meaningful; r0 is undefined after the call.
    Void,
    /// `RET_PTR_TO_MAP_VALUE_OR_NULL`: a pointer to a map value, or NULL.
    MapValueOrNull,
    /// `RET_PTR_TO_RINGBUF_MEM_OR_NULL` (`RET_PTR_TO_ALLOC_MEM_OR_NULL`): a reserved record
    /// (an acquired reference), or NULL.
    RingbufRecordOrNull,
    /// `RET_PTR_TO_SOCKET_OR_NULL`: an acquired socket reference, or NULL.
    SocketOrNull,
    /// `RET_PTR_TO_TCP_SOCK_OR_NULL`.
    TcpSockOrNull,
    /// `RET_PTR_TO_SOCK_COMMON_OR_NULL`.
    SockCommonOrNull,
    /// `RET_PTR_TO_MEM_OR_BTF_ID_OR_NULL` (`this_cpu_ptr`, `per_cpu_ptr`).
    MemOrBtfIdOrNull,
    /// `RET_PTR_TO_BTF_ID` of the kernel type named, `nullable` for `_OR_NULL`.
    BtfId {
        /// The kernel struct.
        type_name: &'static str,
        /// NULL possible.
        nullable: bool,
    },
    /// `RET_PTR_TO_DYNPTR_MEM_OR_NULL`: memory of a dynptr, or NULL.
    DynptrMemOrNull,
}

/// One helper's prototype.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prototype {
    /// Kernel id (`BPF_FUNC_*`).
    pub id: u32,
    /// Argument kinds, r1 first (as many as the helper takes).
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

    /// Which arguments the helper may write memory through (bit `i`: r(1+i)): writable
    /// memory, fixed-size result slots, and, for helpers that take a callback, every pointer
    /// (the callback may write what it receives).
    pub fn writes_through(&self) -> u8 {
        if self.args.contains(&Arg::Callback) {
            return 0b1_1111;
        }
        self.args
            .iter()
            .enumerate()
            .filter(|(_, arg)| {
                matches!(
                    arg,
                    Arg::WriteMem { .. }
                        | Arg::ReadWriteMem { .. }
                        | Arg::MapValueOut
                        | Arg::FixedMem { write: true, .. }
                        | Arg::Dynptr { .. }
                )
            })
            .fold(0, |mask, (i, _)| mask | (1 << i))
    }
}

/// The prototype of helper `id`, if ebee knows it.
pub fn prototype(id: u32) -> Option<&'static Prototype> {
    PROTOTYPES
        .binary_search_by_key(&id, |p| p.id)
        .ok()
        .map(|i| &PROTOTYPES[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prototypes_are_sorted_unique_and_named() {
        for pair in PROTOTYPES.windows(2) {
            assert!(
                pair[0].id < pair[1].id,
                "{:?} before {:?}",
                pair[0],
                pair[1]
            );
        }
        for p in PROTOTYPES {
            assert!(ebee_abi::helper_names::helper_name(p.id).is_some(), "{p:?}");
            assert!(p.args.len() <= 5, "{p:?}");
        }
    }

    #[test]
    fn sizes_follow_memory_arguments() {
        for p in PROTOTYPES {
            for (i, arg) in p.args.iter().enumerate() {
                let sized = matches!(
                    arg,
                    Arg::ReadMem { .. } | Arg::WriteMem { .. } | Arg::ReadWriteMem { .. }
                );
                if sized {
                    let next = p.args.get(i + 1);
                    assert!(
                        matches!(next, Some(Arg::Size { .. })),
                        "{} arg {}: memory without a size",
                        p.name(),
                        i + 1
                    );
                }
            }
        }
    }
}
