//! The `src` field of pseudo instructions: what the `imm` of an `lddw` (`BPF_LD | BPF_IMM |
//! BPF_DW`) or a `call` stands for. The `lddw` and `call` kinds are separate numberings.
//!
//! ```
//! use ebee_abi::pseudo::*;
//! assert_eq!((BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE), (5, 6));
//! assert_eq!(BPF_PSEUDO_CALL, BPF_PSEUDO_MAP_FD); // the same number, another instruction
//! ```

/// `lddw`: `imm` is a map file descriptor; the register gets the map.
pub const BPF_PSEUDO_MAP_FD: u8 = 1;
/// `lddw`: `imm` is a map file descriptor, the second slot's `imm` an offset into its value;
/// the register gets the address.
pub const BPF_PSEUDO_MAP_VALUE: u8 = 2;
/// `lddw`: `imm` is a BTF id of a kernel variable (`__ksym`).
pub const BPF_PSEUDO_BTF_ID: u8 = 3;
/// `lddw`: `imm` is the relative instruction offset of a function; the register gets its
/// address (callbacks).
pub const BPF_PSEUDO_FUNC: u8 = 4;
/// `lddw`: `imm` is an index into the `fd_array` of `BPF_PROG_LOAD`; the register gets the map.
pub const BPF_PSEUDO_MAP_IDX: u8 = 5;
/// `lddw`: as [`BPF_PSEUDO_MAP_IDX`], with the second slot's `imm` an offset into the value.
pub const BPF_PSEUDO_MAP_IDX_VALUE: u8 = 6;

/// `call`: `imm` is the relative instruction offset of a bpf-to-bpf call's target.
pub const BPF_PSEUDO_CALL: u8 = 1;
/// `call`: `imm` is the BTF id of a kernel function (kfunc).
pub const BPF_PSEUDO_KFUNC_CALL: u8 = 2;
