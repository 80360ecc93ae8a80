//! Extern variables, as the real-world corpus has them (`BPF_KSYSCALL`'s
//! `LINUX_HAS_SYSCALL_WRAPPER`, usdt.bpf.h's `LINUX_HAS_BPF_COOKIE`, selftests' `CONFIG_*`):
//! `__kconfig` externs are globals of a read-only `.kconfig` map laid out as libbpf lays it
//! out, zero until the host sets them; `__ksym` variables are refused, naming the instruction.

mod common;

use common::compile_c;
use ebee_abi::flags::BPF_F_RDONLY_PROG;
use ebee_isa::Op;
use ebee_object::{DataSection, MapOrigin, ObjectError, ObjectSpec};

const KCONFIG: &str = r#"
typedef unsigned long long u64;
#define SEC(n) __attribute__((section(n), used))
#define __kconfig __attribute__((section(".kconfig")))
#define __weak __attribute__((weak))
extern _Bool LINUX_HAS_SYSCALL_WRAPPER __kconfig __weak;
extern int CONFIG_HZ __kconfig;
extern u64 LINUX_KERNEL_VERSION __kconfig __weak;
extern char CONFIG_NAME[3] __kconfig __weak;
SEC("xdp") int prog(void *ctx)
{
	return LINUX_HAS_SYSCALL_WRAPPER + CONFIG_HZ + (int)LINUX_KERNEL_VERSION + CONFIG_NAME[1];
}
char LICENSE[] SEC("license") = "GPL";
"#;

#[test]
fn kconfig_externs_are_a_read_only_map_of_globals() {
    let mut spec = ObjectSpec::read(compile_c("kconfig_externs", KCONFIG)).unwrap();
    let map = spec.map(".kconfig").expect("a .kconfig map");
    assert_eq!(map.origin, MapOrigin::GlobalData(DataSection::Rodata));
    assert_eq!((map.key_size, map.max_entries), (4, 1));
    assert_eq!(map.map_flags & BPF_F_RDONLY_PROG, BPF_F_RDONLY_PROG);
    // libbpf's order: alignment descending, then size ascending, then name.
    let layout: Vec<(&str, u32, u32)> = spec
        .globals()
        .iter()
        .filter(|g| g.section == ".kconfig")
        .map(|g| (g.name.as_str(), g.offset, g.size))
        .collect();
    assert_eq!(
        layout,
        [
            ("LINUX_KERNEL_VERSION", 0, 8),
            ("CONFIG_HZ", 8, 4),
            ("LINUX_HAS_SYSCALL_WRAPPER", 12, 1),
            ("CONFIG_NAME", 13, 3)
        ]
    );
    assert_eq!(map.value_size, 16);
    assert_eq!(map.initial_data.as_deref(), Some(&[0u8; 16][..]));

    spec.set_global("CONFIG_HZ", &250i32.to_le_bytes()).unwrap();
    let data = spec.map(".kconfig").unwrap().initial_data.clone().unwrap();
    assert_eq!(&data[8..12], &250i32.to_le_bytes());

    let programs = spec.link(None).unwrap();
    let kconfig = spec.map_index(".kconfig").unwrap();
    let mut offsets: Vec<u32> = programs[0]
        .map_references()
        .filter(|r| r.map_index == kconfig)
        .filter_map(|r| r.value_offset)
        .collect();
    offsets.sort_unstable();
    // CONFIG_NAME[1] is the extern's address plus one, folded into the load or the lddw.
    assert!(offsets.starts_with(&[0, 8, 12]), "{offsets:?}");
    let lddws = programs[0]
        .instructions
        .iter()
        .filter(|i| i.op == Op::LddwMapIdxValue)
        .count();
    assert_eq!(lddws, offsets.len());
}

#[test]
fn ksym_variables_are_refused_naming_the_instruction() {
    let source = r#"
#define SEC(n) __attribute__((section(n), used))
extern const void schedule __attribute__((section(".ksyms"), weak));
SEC("xdp") int prog(void *ctx) { return (long)&schedule; }
"#;
    let err = ObjectSpec::read(compile_c("ksym_variable", source)).unwrap_err();
    let ObjectError::InFile { error, .. } = &err else {
        panic!("{err}")
    };
    let ObjectError::Relocation {
        section, symbol, ..
    } = error.as_ref()
    else {
        panic!("{err}")
    };
    assert_eq!(
        (section.as_str(), symbol.as_deref()),
        ("xdp", Some("schedule"))
    );
    assert!(err.to_string().contains("__ksym"), "{err}");
}
