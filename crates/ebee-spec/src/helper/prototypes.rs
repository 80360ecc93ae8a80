//! The prototype table, in id order: one row per helper, as the kernel's `bpf_func_proto`
//! declares it (Linux 6.18).

use super::Arg::*;
use super::Ret::{self, *};
use super::{Arg, Prototype};

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
const READ: Arg = ReadMem { nullable: false };
const WRITE: Arg = WriteMem { nullable: false };
const SIZE: Arg = Size { zero_ok: false };
const SIZE_OR_ZERO: Arg = Size { zero_ok: true };
const PROBE_READ: &[Arg] = &[WRITE, SIZE_OR_ZERO, Anything];
const LONG_OUT: Arg = FixedMem {
    size: 8,
    write: true,
};

/// Every helper whose prototype ebee knows, sorted by id.
pub static PROTOTYPES: &[Prototype] = &[
    proto(1, &[MapPtr, MapKey], MapValueOrNull),
    proto(2, &[MapPtr, MapKey, MapValue, Anything], Integer),
    proto(3, &[MapPtr, MapKey], Integer),
    gpl(4, PROBE_READ, Integer),
    proto(5, &[], Integer),
    gpl(6, &[READ, SIZE, Anything, Anything, Anything], Integer),
    proto(7, &[], Integer),
    proto(8, &[], Integer),
    proto(9, &[CTX, Anything, READ, SIZE, Anything], Integer),
    proto(10, &[CTX, Anything, Anything, Anything, Anything], Integer),
    proto(11, &[CTX, Anything, Anything, Anything, Anything], Integer),
    proto(12, &[CTX, MapPtr, Anything], Integer),
    proto(14, &[], Integer),
    proto(15, &[], Integer),
    proto(16, &[WRITE, SIZE], Integer),
    proto(23, &[Anything, Anything], Integer),
    gpl(25, &[CTX, MapPtr, Anything, READ, SIZE_OR_ZERO], Integer),
    proto(26, &[CTX, Anything, WRITE, SIZE], Integer),
    proto(
        28,
        &[
            ReadMem { nullable: true },
            SIZE_OR_ZERO,
            ReadMem { nullable: true },
            SIZE_OR_ZERO,
            Anything,
        ],
        Integer,
    ),
    proto(34, &[CTX], Integer),
    proto(39, &[CTX, Anything], Integer),
    proto(42, &[], Integer),
    proto(44, &[CTX, Anything], Integer),
    gpl(45, PROBE_READ, Integer),
    proto(51, &[MapPtr, Anything, Anything], Integer),
    proto(54, &[CTX, Anything], Integer),
    proto(65, &[CTX, Anything], Integer),
    proto(68, &[CTX, Anything, WRITE, SIZE, Anything], Integer),
    proto(87, &[MapPtr, MapValue, Anything], Integer),
    proto(88, &[MapPtr, MapValueOut], Integer),
    proto(89, &[MapPtr, MapValueOut], Integer),
    proto(93, &[SpinLock], Void),
    proto(94, &[SpinLock], Void),
    proto(105, &[READ, SIZE, Anything, LONG_OUT], Integer),
    proto(106, &[READ, SIZE, Anything, LONG_OUT], Integer),
    gpl(112, PROBE_READ, Integer),
    gpl(113, PROBE_READ, Integer),
    gpl(114, PROBE_READ, Integer),
    gpl(115, PROBE_READ, Integer),
    proto(118, &[], Integer),
    proto(125, &[], Integer),
    proto(130, &[MapPtr, READ, SIZE_OR_ZERO, Anything], Integer),
    proto(131, &[MapPtr, AllocSize, Anything], RingbufRecordOrNull),
    proto(132, &[RingbufRecord, Anything], Void),
    proto(133, &[RingbufRecord, Anything], Void),
    proto(134, &[MapPtr, Anything], Integer),
    proto(160, &[], Integer),
    proto(164, &[MapPtr, Callback, StackOrNull, Anything], Integer),
    proto(
        165,
        &[
            WriteMem { nullable: true },
            SIZE_OR_ZERO,
            ConstStr,
            ReadMem { nullable: true },
            SIZE_OR_ZERO,
        ],
        Integer,
    ),
    gpl(
        177,
        &[READ, SIZE, ReadMem { nullable: true }, SIZE_OR_ZERO],
        Integer,
    ),
    proto(181, &[Anything, Callback, StackOrNull, Anything], Integer),
    proto(182, &[READ, SIZE, ConstStr], Integer),
    proto(188, &[CTX], Integer),
    proto(189, &[CTX, Anything, WRITE, SIZE], Integer),
    proto(190, &[CTX, Anything, READ, SIZE], Integer),
    proto(195, &[MapPtr, MapKey, Anything], MapValueOrNull),
];
