//! The oracle keeps its own copy of the kernel numbers it needs (`src/consts.rs`), so that it
//! shares no code with ebee. This test checks that copy twice: against ebee-abi (ebee's one
//! home for the same numbers) and against the kernel's header, by compiling and running a C
//! program that prints each constant as `/usr/include/linux/bpf.h` defines it.

use ebee_abi::{flags, prog_type, MapType};
use ebee_kernel::consts;
use std::collections::BTreeSet;
use std::process::Command;

const BPF_H: &str = "/usr/include/linux/bpf.h";
/// The host C compiler that builds the printing program.
const CC: &str = "cc";

/// `(name, the oracle's value, ebee-abi's value)` for every constant of `consts`.
fn constants() -> Vec<(&'static str, u64, u64)> {
    macro_rules! pairs {
        ($($name:ident = $abi:expr),* $(,)?) => {
            vec![$( (stringify!($name), consts::$name as u64, $abi as u64) ),*]
        };
    }
    let map_type = |t: MapType| t.kernel_id();
    pairs![
        BPF_ANY = flags::BPF_ANY,
        BPF_NOEXIST = flags::BPF_NOEXIST,
        BPF_EXIST = flags::BPF_EXIST,
        BPF_F_LOCK = flags::BPF_F_LOCK,
        BPF_F_TEST_RUN_ON_CPU = flags::BPF_F_TEST_RUN_ON_CPU,
        BPF_F_TEST_XDP_LIVE_FRAMES = flags::BPF_F_TEST_XDP_LIVE_FRAMES,
        BPF_F_TEST_SKB_CHECKSUM_COMPLETE = flags::BPF_F_TEST_SKB_CHECKSUM_COMPLETE,
        BPF_PROG_TYPE_SOCKET_FILTER = prog_type::BPF_PROG_TYPE_SOCKET_FILTER,
        BPF_PROG_TYPE_SCHED_CLS = prog_type::BPF_PROG_TYPE_SCHED_CLS,
        BPF_PROG_TYPE_SCHED_ACT = prog_type::BPF_PROG_TYPE_SCHED_ACT,
        BPF_PROG_TYPE_XDP = prog_type::BPF_PROG_TYPE_XDP,
        BPF_PROG_TYPE_CGROUP_SKB = prog_type::BPF_PROG_TYPE_CGROUP_SKB,
        BPF_MAP_TYPE_UNSPEC = map_type(MapType::Unspec),
        BPF_MAP_TYPE_HASH = map_type(MapType::Hash),
        BPF_MAP_TYPE_ARRAY = map_type(MapType::Array),
        BPF_MAP_TYPE_PROG_ARRAY = map_type(MapType::ProgArray),
        BPF_MAP_TYPE_PERF_EVENT_ARRAY = map_type(MapType::PerfEventArray),
        BPF_MAP_TYPE_PERCPU_HASH = map_type(MapType::PercpuHash),
        BPF_MAP_TYPE_PERCPU_ARRAY = map_type(MapType::PercpuArray),
        BPF_MAP_TYPE_STACK_TRACE = map_type(MapType::StackTrace),
        BPF_MAP_TYPE_CGROUP_ARRAY = map_type(MapType::CgroupArray),
        BPF_MAP_TYPE_LRU_HASH = map_type(MapType::LruHash),
        BPF_MAP_TYPE_LRU_PERCPU_HASH = map_type(MapType::LruPercpuHash),
        BPF_MAP_TYPE_LPM_TRIE = map_type(MapType::LpmTrie),
        BPF_MAP_TYPE_ARRAY_OF_MAPS = map_type(MapType::ArrayOfMaps),
        BPF_MAP_TYPE_HASH_OF_MAPS = map_type(MapType::HashOfMaps),
        BPF_MAP_TYPE_DEVMAP = map_type(MapType::Devmap),
        BPF_MAP_TYPE_SOCKMAP = map_type(MapType::Sockmap),
        BPF_MAP_TYPE_CPUMAP = map_type(MapType::Cpumap),
        BPF_MAP_TYPE_XSKMAP = map_type(MapType::Xskmap),
        BPF_MAP_TYPE_SOCKHASH = map_type(MapType::Sockhash),
        BPF_MAP_TYPE_CGROUP_STORAGE = map_type(MapType::CgroupStorage),
        BPF_MAP_TYPE_REUSEPORT_SOCKARRAY = map_type(MapType::ReuseportSockarray),
        BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE = map_type(MapType::PercpuCgroupStorage),
        BPF_MAP_TYPE_QUEUE = map_type(MapType::Queue),
        BPF_MAP_TYPE_STACK = map_type(MapType::Stack),
        BPF_MAP_TYPE_SK_STORAGE = map_type(MapType::SkStorage),
        BPF_MAP_TYPE_DEVMAP_HASH = map_type(MapType::DevmapHash),
        BPF_MAP_TYPE_STRUCT_OPS = map_type(MapType::StructOps),
        BPF_MAP_TYPE_RINGBUF = map_type(MapType::RingBuf),
        BPF_MAP_TYPE_INODE_STORAGE = map_type(MapType::InodeStorage),
        BPF_MAP_TYPE_TASK_STORAGE = map_type(MapType::TaskStorage),
        BPF_MAP_TYPE_BLOOM_FILTER = map_type(MapType::BloomFilter),
        BPF_MAP_TYPE_USER_RINGBUF = map_type(MapType::UserRingbuf),
    ]
}

#[test]
fn every_constant_of_the_oracle_is_checked() {
    let source = include_str!("../src/consts.rs");
    let declared: BTreeSet<&str> = source
        .lines()
        .filter_map(|line| line.strip_prefix("pub const "))
        .map(|rest| rest.split(':').next().unwrap())
        .collect();
    let checked: BTreeSet<&str> = constants().iter().map(|c| c.0).collect();
    assert_eq!(declared, checked);
}

#[test]
fn constants_equal_ebee_abi() {
    for (name, oracle, abi) in constants() {
        assert_eq!(oracle, abi, "{name}: ebee-kernel {oracle}, ebee-abi {abi}");
    }
}

#[test]
fn constants_equal_the_kernel_header() {
    if !std::path::Path::new(BPF_H).exists() {
        eprintln!("skipped: {BPF_H} is missing; install linux-libc-dev");
        return;
    }
    let constants = constants();
    let mut program =
        String::from("#include <linux/bpf.h>\n#include <stdio.h>\nint main(void) {\n");
    for (name, _, _) in &constants {
        program += &format!("    printf(\"%llu\\n\", (unsigned long long)({name}));\n");
    }
    program += "    return 0;\n}\n";
    let dir = tempfile::tempdir().unwrap();
    let (source, binary) = (dir.path().join("consts.c"), dir.path().join("consts"));
    std::fs::write(&source, program).unwrap();
    let compiled = match Command::new(CC)
        .arg(&source)
        .arg("-o")
        .arg(&binary)
        .output()
    {
        Ok(output) => output,
        Err(e) => {
            eprintln!("skipped: cannot run the C compiler `{CC}` ({e}); install gcc");
            return;
        }
    };
    assert!(
        compiled.status.success(),
        "{CC} failed (a constant missing from {BPF_H}?):\n{}",
        String::from_utf8_lossy(&compiled.stderr)
    );
    let output = Command::new(&binary).output().unwrap();
    let printed = String::from_utf8(output.stdout).unwrap();
    let values: Vec<u64> = printed.lines().map(|v| v.parse().unwrap()).collect();
    assert_eq!(values.len(), constants.len());
    for ((name, oracle, _), header) in constants.iter().zip(values) {
        assert_eq!(
            *oracle, header,
            "{name}: ebee-kernel {oracle}, {BPF_H} {header}"
        );
    }
}
