//! Every number of ebee-abi against the installed kernel headers (`linux-libc-dev`):
//! `/usr/include/linux/bpf.h` and `/usr/include/asm-generic/errno{-base,}.h`. Entries newer
//! than the installed header are listed on stderr; without the headers the tests say so and
//! pass.

mod common;

use common::{helper_list, Header};
use ebee_abi::{attach_type, flags, helper_names, prog_type, pseudo, xdp_action, Errno, MapType};

const BPF_H: &str = "/usr/include/linux/bpf.h";
const ERRNO_HEADERS: [&str; 2] = [
    "/usr/include/asm-generic/errno-base.h",
    "/usr/include/asm-generic/errno.h",
];

/// The text of `path`, or `None` (with the reason on stderr) when it is not installed.
fn read(path: &str) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) => {
            eprintln!("skipped: {path} is not readable ({e}); install linux-libc-dev");
            None
        }
    }
}

fn bpf_h() -> Option<(Header, String)> {
    let text = read(BPF_H)?;
    Some((Header::parse(&text), text))
}

/// Checks a table of `(value, lower-case name)` against `enum tag`, whose enumerators are
/// `prefix` + the upper-case name: every enumerator is in the table with its value, and every
/// table entry up to the header's last value is an enumerator.
fn check_enum(header: &Header, tag: &str, prefix: &str, table: &[(u32, &str)]) {
    let enumerators = header.enumerators(tag);
    for (name, value) in &enumerators {
        let ours = table.iter().find(|(v, _)| u64::from(*v) == *value);
        let ours = ours.unwrap_or_else(|| panic!("{name} = {value} is missing"));
        // Linux 6.2 renamed some enumerators to `…_DEPRECATED` and kept the old name as an
        // alias of the same value: any enumerator of that value may carry the name.
        let expected = format!("{prefix}{}", ours.1.to_uppercase());
        assert!(
            enumerators
                .iter()
                .any(|(n, v)| v == value && *n == expected),
            "{name} = {value}: ebee-abi calls it {:?}",
            ours.1
        );
    }
    let last = enumerators.iter().map(|(_, v)| *v).max().unwrap();
    let newer: Vec<_> = table.iter().filter(|(v, _)| u64::from(*v) > last).collect();
    if !newer.is_empty() {
        eprintln!("{tag}: newer than {BPF_H}: {newer:?}");
    }
}

#[test]
fn map_types_match_the_header() {
    let Some((header, _)) = bpf_h() else { return };
    let table: Vec<_> = MapType::ALL
        .iter()
        .map(|t| (t.kernel_id(), t.name()))
        .collect();
    check_enum(&header, "bpf_map_type", "BPF_MAP_TYPE_", &table);
}

#[test]
fn prog_types_match_the_header() {
    let Some((header, _)) = bpf_h() else { return };
    check_enum(
        &header,
        "bpf_prog_type",
        "BPF_PROG_TYPE_",
        prog_type::PROG_TYPES,
    );
}

#[test]
fn attach_types_match_the_header() {
    let Some((header, _)) = bpf_h() else { return };
    check_enum(
        &header,
        "bpf_attach_type",
        "BPF_",
        attach_type::ATTACH_TYPES,
    );
}

#[test]
fn helper_names_match_the_header() {
    let Some((_, text)) = bpf_h() else { return };
    let list = helper_list(&text);
    assert!(list.len() > 200, "{} helpers read from {BPF_H}", list.len());
    for (index, (name, id)) in list.iter().enumerate() {
        let id = id.unwrap_or(index as u32);
        assert_eq!(
            helper_names::helper_name(id),
            Some(name.as_str()),
            "helper {id}"
        );
    }
    let newer = &helper_names::HELPER_NAMES[list.len()..];
    if !newer.is_empty() {
        eprintln!("helpers newer than {BPF_H}: {newer:?}");
    }
}

/// `(name, value)` of each constant, named as in the header.
macro_rules! named {
    ($($module:ident::$name:ident),* $(,)?) => {
        [$( (stringify!($name), $module::$name as u64) ),*]
    };
}

#[test]
fn constants_match_the_header() {
    let Some((header, _)) = bpf_h() else { return };
    let constants = named![
        flags::BPF_ANY,
        flags::BPF_NOEXIST,
        flags::BPF_EXIST,
        flags::BPF_F_LOCK,
        flags::BPF_F_NO_PREALLOC,
        flags::BPF_F_NO_COMMON_LRU,
        flags::BPF_F_NUMA_NODE,
        flags::BPF_F_RDONLY,
        flags::BPF_F_WRONLY,
        flags::BPF_F_STACK_BUILD_ID,
        flags::BPF_F_ZERO_SEED,
        flags::BPF_F_RDONLY_PROG,
        flags::BPF_F_WRONLY_PROG,
        flags::BPF_F_CLONE,
        flags::BPF_F_MMAPABLE,
        flags::BPF_F_PRESERVE_ELEMS,
        flags::BPF_F_INNER_MAP,
        flags::BPF_F_STRICT_ALIGNMENT,
        flags::BPF_F_ANY_ALIGNMENT,
        flags::BPF_F_SLEEPABLE,
        flags::BPF_F_TEST_RUN_ON_CPU,
        flags::BPF_F_TEST_XDP_LIVE_FRAMES,
        flags::BPF_F_TEST_SKB_CHECKSUM_COMPLETE,
        flags::BPF_F_RECOMPUTE_CSUM,
        flags::BPF_F_INVALIDATE_HASH,
        flags::BPF_F_HDR_FIELD_MASK,
        flags::BPF_F_PSEUDO_HDR,
        flags::BPF_F_MARK_MANGLED_0,
        flags::BPF_F_MARK_ENFORCE,
        flags::BPF_F_IPV6,
        flags::BPF_F_INDEX_MASK,
        flags::BPF_F_CURRENT_CPU,
        flags::BPF_F_CTXLEN_MASK,
        flags::BPF_F_INGRESS,
        flags::BPF_F_BROADCAST,
        flags::BPF_F_EXCLUDE_INGRESS,
        flags::BPF_HDR_START_MAC,
        flags::BPF_HDR_START_NET,
        flags::BPF_ADJ_ROOM_NET,
        flags::BPF_ADJ_ROOM_MAC,
        flags::BPF_F_ADJ_ROOM_FIXED_GSO,
        flags::BPF_F_ADJ_ROOM_ENCAP_L3_IPV4,
        flags::BPF_F_ADJ_ROOM_ENCAP_L3_IPV6,
        flags::BPF_F_ADJ_ROOM_ENCAP_L4_GRE,
        flags::BPF_F_ADJ_ROOM_ENCAP_L4_UDP,
        flags::BPF_F_ADJ_ROOM_NO_CSUM_RESET,
        flags::BPF_F_ADJ_ROOM_ENCAP_L2_ETH,
        flags::BPF_ADJ_ROOM_ENCAP_L2_SHIFT,
        flags::BPF_ADJ_ROOM_ENCAP_L2_MASK,
        flags::BPF_RB_NO_WAKEUP,
        flags::BPF_RB_FORCE_WAKEUP,
        flags::BPF_RB_AVAIL_DATA,
        flags::BPF_RB_RING_SIZE,
        flags::BPF_RB_CONS_POS,
        flags::BPF_RB_PROD_POS,
        flags::BPF_RINGBUF_BUSY_BIT,
        flags::BPF_RINGBUF_DISCARD_BIT,
        flags::BPF_RINGBUF_HDR_SZ,
        pseudo::BPF_PSEUDO_MAP_FD,
        pseudo::BPF_PSEUDO_MAP_VALUE,
        pseudo::BPF_PSEUDO_BTF_ID,
        pseudo::BPF_PSEUDO_FUNC,
        pseudo::BPF_PSEUDO_MAP_IDX,
        pseudo::BPF_PSEUDO_MAP_IDX_VALUE,
        pseudo::BPF_PSEUDO_CALL,
        pseudo::BPF_PSEUDO_KFUNC_CALL,
        xdp_action::XDP_ABORTED,
        xdp_action::XDP_DROP,
        xdp_action::XDP_PASS,
        xdp_action::XDP_TX,
        xdp_action::XDP_REDIRECT,
    ];
    for (name, value) in constants {
        assert_eq!(header.value(name), Some(value), "{name}");
    }
    // Not UAPI: the kernel's internal `BPF_F_ACCESS_MASK` is these four flags.
    let access = [
        "BPF_F_RDONLY",
        "BPF_F_WRONLY",
        "BPF_F_RDONLY_PROG",
        "BPF_F_WRONLY_PROG",
    ];
    let mask = access
        .iter()
        .map(|n| header.value(n).unwrap())
        .fold(0, |a, b| a | b);
    assert_eq!(u64::from(flags::BPF_F_ACCESS_MASK), mask);
}

#[test]
fn errno_numbers_match_the_headers() {
    let mut header = Header::default();
    for path in ERRNO_HEADERS {
        let Some(text) = read(path) else { return };
        header.constants.extend(Header::parse(&text).constants);
    }
    let mut checked = 0;
    for number in 1..1000 {
        let errno = Errno(number);
        match errno.name() {
            "E?" => {}
            // Kernel-internal (include/linux/errno.h), not in the UAPI headers.
            "ENOTSUPP" => assert_eq!(number, 524),
            name => {
                assert_eq!(header.value(name), Some(number as u64), "{name}");
                checked += 1;
            }
        }
    }
    assert!(checked >= 34, "{checked} errno values checked");
}

#[test]
fn tc_verdicts_match_pkt_cls_h() {
    let Some(text) = read("/usr/include/linux/pkt_cls.h") else {
        return;
    };
    let header = Header::parse(&text);
    use ebee_abi::tc_act::*;
    let verdicts = [
        ("TC_ACT_OK", TC_ACT_OK),
        ("TC_ACT_RECLASSIFY", TC_ACT_RECLASSIFY),
        ("TC_ACT_SHOT", TC_ACT_SHOT),
        ("TC_ACT_PIPE", TC_ACT_PIPE),
        ("TC_ACT_STOLEN", TC_ACT_STOLEN),
        ("TC_ACT_QUEUED", TC_ACT_QUEUED),
        ("TC_ACT_REPEAT", TC_ACT_REPEAT),
        ("TC_ACT_REDIRECT", TC_ACT_REDIRECT),
        ("TC_ACT_TRAP", TC_ACT_TRAP),
    ];
    for (name, value) in verdicts {
        assert_eq!(header.value(name), Some(value as u64), "{name}");
    }
    // `(-1)`: the reader has no unary minus.
    assert!(text.contains("#define TC_ACT_UNSPEC\t(-1)") && TC_ACT_UNSPEC == -1);
}

#[test]
fn legacy_packet_offsets_match_filter_h() {
    let Some(text) = read("/usr/include/linux/filter.h") else {
        return;
    };
    // `(-0x100000)`: the reader has no unary minus.
    use ebee_abi::skf::*;
    assert!(text.contains("#define SKF_NET_OFF\t(-0x100000)") && SKF_NET_OFF == -0x100000);
    assert!(text.contains("#define SKF_LL_OFF\t(-0x200000)") && SKF_LL_OFF == -0x200000);
}
