use super::*;
use ebee_abi::helper_names::{helper_name, HELPER_NAMES};

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
        assert!(helper_name(p.id).is_some(), "{p:?}");
        assert!(p.args.len() <= 5, "{p:?}");
    }
}

#[test]
fn every_kernel_helper_has_a_prototype() {
    // `HELPER_NAMES` is `__BPF_FUNC_MAPPER`: index 0 is `unspec`, not a helper.
    let ids: Vec<u32> = PROTOTYPES.iter().map(|p| p.id).collect();
    let expected: Vec<u32> = (1..HELPER_NAMES.len() as u32).collect();
    assert_eq!(ids, expected);
    assert_eq!(PROTOTYPES.last().unwrap().name(), "cgrp_storage_delete");
    assert_eq!(PROTOTYPES.len(), 211);
}

/// The kernel's pairing rules (`check_arg_pair_ok`): a memory argument of unknown size is
/// followed by its size, and a size follows a memory argument. `ARG_PTR_TO_FIXED_SIZE_MEM`
/// (`FixedMem`: `tcp_raw_*_syncookie_*`'s headers, `strtol`'s result, `check_mtu`'s length)
/// carries its size in the proto and takes none; `ARG_CONST_ALLOC_SIZE_OR_ZERO` (`AllocSize`)
/// is the size of memory the helper returns, not of an argument.
#[test]
fn sizes_follow_memory_arguments() {
    for p in PROTOTYPES {
        for (i, arg) in p.args.iter().enumerate() {
            let next = p.args.get(i + 1);
            let sized_next = matches!(next, Some(Arg::Size { .. }));
            let what = format!("{} arg {}", p.name(), i + 1);
            if arg.is_sized_memory() {
                assert!(sized_next, "{what}: memory without a size");
            } else {
                assert!(!sized_next, "{what}: a size after {arg:?}");
            }
        }
        assert!(
            !matches!(p.args.first(), Some(Arg::Size { .. })),
            "{}: a size first",
            p.name()
        );
    }
}

#[test]
fn writes_through_follows_the_argument_kinds() {
    let mask = |id| prototype(id).unwrap().writes_through();
    assert_eq!(mask(1), 0); // map_lookup_elem reads its key
    assert_eq!(mask(4), 0b1); // probe_read(dst, size, src)
    assert_eq!(mask(26), 0b100); // skb_load_bytes(ctx, off, to, len)
    assert_eq!(mask(88), 0b10); // map_pop_elem(map, value)
    assert_eq!(mask(93), 0b1); // spin_lock(lock)
    assert_eq!(mask(105), 0b1000); // strtol(buf, len, flags, res)
    assert_eq!(mask(163), 0b100); // check_mtu(ctx, ifindex, mtu_len, delta, flags)
    assert_eq!(mask(165), 0b1); // snprintf(str, size, fmt, data, len)
    assert_eq!(mask(181), 0b1_1111); // loop: the callback may write its context
    assert_eq!(mask(194), 0b1); // kptr_xchg(dst, ptr)
    assert_eq!(mask(201), 0b101); // dynptr_read(dst, len, src, offset, flags)
    assert_eq!(mask(202), 0b1); // dynptr_write(dst, offset, src, len, flags)
    assert_eq!(mask(86), 0); // sk_release: a kernel object
}

#[test]
fn kernel_objects_carry_their_type() {
    let ret = |id| prototype(id).unwrap().ret;
    assert_eq!(
        ret(158), // get_current_task_btf
        Ret::BtfId {
            ty: BtfType::Struct("task_struct"),
            nullable: false,
            trusted: true
        }
    );
    assert_eq!(
        ret(194), // kptr_xchg
        Ret::BtfId {
            ty: BtfType::KptrField,
            nullable: true,
            trusted: false
        }
    );
    assert_eq!(
        prototype(86).unwrap().args, // sk_release
        [Arg::BtfSockCommon {
            nullable: false,
            release: true
        }]
    );
}
