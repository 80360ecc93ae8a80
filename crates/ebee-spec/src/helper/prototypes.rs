//! The prototype table: one row per helper id of `linux/bpf.h` (1–211), in id order, as the
//! kernel's `struct bpf_func_proto` declares it (Linux 6.12 sources: `kernel/bpf/`,
//! `kernel/trace/bpf_trace.c`, `net/core/`, `net/ipv4/bpf_tcp_ca.c`,
//! `drivers/media/rc/bpf-lirc.c`). A helper's proto is `bpf_<name>_proto` unless the row's
//! comment says otherwise; where program types get different protos for one helper, the row
//! is the general one and its comment names the others (a verifier checking a program of
//! such a type refines the row). `tests/linux_protos.rs` re-derives every row from the C.

mod ids_141_to_211;
mod ids_1_to_70;
mod ids_71_to_140;

use super::Arg::{self, *};
use super::{BtfType, DynptrKind, Prototype, Ret};

const fn proto(id: u32, args: &'static [Arg], ret: Ret) -> Prototype {
    Prototype {
        id,
        args,
        ret,
        gpl_only: false,
    }
}

const fn gpl(id: u32, args: &'static [Arg], ret: Ret) -> Prototype {
    Prototype {
        id,
        args,
        ret,
        gpl_only: true,
    }
}

const CTX: Arg = Ctx { nullable: false };
const CTX_OR_NULL: Arg = Ctx { nullable: true };
const READ: Arg = ReadMem { nullable: false };
const READ_OR_NULL: Arg = ReadMem { nullable: true };
const WRITE: Arg = WriteMem { nullable: false };
const RW: Arg = ReadWriteMem { nullable: false };
const RW_OR_NULL: Arg = ReadWriteMem { nullable: true };
const SIZE: Arg = Size { zero_ok: false };
const SIZE_OR_ZERO: Arg = Size { zero_ok: true };
const PROBE_READ: &[Arg] = &[WRITE, SIZE_OR_ZERO, Anything];
const SOCK_COMMON: Arg = BtfSockCommon {
    nullable: false,
    release: false,
};
/// `ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT | MEM_WRITE | MEM_ALIGNED` of `sizeof(u64)`.
const U64_OUT: Arg = FixedMem {
    size: 8,
    write: true,
    uninit: true,
    aligned: true,
};
/// `ARG_PTR_TO_FIXED_SIZE_MEM | MEM_WRITE | MEM_ALIGNED` of `sizeof(u32)` (read and written).
const U32_IN_OUT: Arg = FixedMem {
    size: 4,
    write: true,
    uninit: false,
    aligned: true,
};
const TASK: Arg = btf("task_struct");
const TASK_OR_NULL: Arg = btf_or_null("task_struct");
/// `ARG_PTR_TO_BTF_ID_OR_NULL | OBJ_RELEASE` of `BPF_PTR_POISON` (`kptr_xchg`'s new object).
const KPTR_OBJECT: Arg = BtfId {
    ty: BtfType::KptrField,
    nullable: true,
    release: true,
};
/// `RET_PTR_TO_BTF_ID_OR_NULL` of `BPF_PTR_POISON` (`kptr_xchg`'s old object).
const KPTR_OBJECT_RET: Ret = Ret::BtfId {
    ty: BtfType::KptrField,
    nullable: true,
    trusted: false,
};
const DYNPTR: Arg = Dynptr {
    kind: DynptrKind::Any,
    init: false,
    release: false,
};
const RINGBUF_DYNPTR_RELEASE: Arg = Dynptr {
    kind: DynptrKind::Ringbuf,
    init: false,
    release: true,
};

const LOCAL_DYNPTR_INIT: Arg = Dynptr {
    kind: DynptrKind::Local,
    init: true,
    release: false,
};
const RINGBUF_DYNPTR_INIT: Arg = Dynptr {
    kind: DynptrKind::Ringbuf,
    init: true,
    release: false,
};

/// `ARG_PTR_TO_FIXED_SIZE_MEM` of `size` bytes the helper reads.
const fn fixed_in(size: u8) -> Arg {
    FixedMem {
        size,
        write: false,
        uninit: false,
        aligned: false,
    }
}

/// `ARG_PTR_TO_BTF_ID` of `struct name`.
const fn btf(name: &'static str) -> Arg {
    BtfId {
        ty: BtfType::Struct(name),
        nullable: false,
        release: false,
    }
}

/// `ARG_PTR_TO_BTF_ID_OR_NULL` of `struct name`.
const fn btf_or_null(name: &'static str) -> Arg {
    BtfId {
        ty: BtfType::Struct(name),
        nullable: true,
        release: false,
    }
}

/// `RET_PTR_TO_BTF_ID` of `struct name`.
const fn btf_ret(name: &'static str) -> Ret {
    Ret::BtfId {
        ty: BtfType::Struct(name),
        nullable: false,
        trusted: false,
    }
}

/// `RET_PTR_TO_BTF_ID_TRUSTED` of `struct name`.
const fn btf_trusted_ret(name: &'static str) -> Ret {
    Ret::BtfId {
        ty: BtfType::Struct(name),
        nullable: false,
        trusted: true,
    }
}

/// `RET_PTR_TO_BTF_ID_OR_NULL` of `struct name`.
const fn btf_or_null_ret(name: &'static str) -> Ret {
    Ret::BtfId {
        ty: BtfType::Struct(name),
        nullable: true,
        trusted: false,
    }
}

const PARTS: [&[Prototype]; 3] = [ids_1_to_70::ROWS, ids_71_to_140::ROWS, ids_141_to_211::ROWS];

const COUNT: usize = {
    let mut count = 0;
    let mut i = 0;
    while i < PARTS.len() {
        count += PARTS[i].len();
        i += 1;
    }
    count
};

const ALL: [Prototype; COUNT] = {
    let mut all = [PARTS[0][0]; COUNT];
    let mut n = 0;
    let mut i = 0;
    while i < PARTS.len() {
        let mut j = 0;
        while j < PARTS[i].len() {
            all[n] = PARTS[i][j];
            n += 1;
            j += 1;
        }
        i += 1;
    }
    all
};

/// Every helper's prototype, sorted by id: all of `linux/bpf.h`'s `BPF_FUNC_*` but
/// `unspec` (0).
pub static PROTOTYPES: &[Prototype] = &ALL;
