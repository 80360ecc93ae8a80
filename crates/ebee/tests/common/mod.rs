//! Shared by the kernel comparison tests: compiling `tests/bpf/*.bpf.c` with clang-19, and
//! ([`pair`]) loading one object both in ebee and in the kernel to compare them.

#![allow(dead_code)] // Each test binary uses a different subset.

pub mod pair;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The clang the project's eBPF programs are built with.
pub const CLANG: &str = "clang-19";

/// Compiles `tests/bpf/<name>.bpf.c` as ebee's C programs are built
/// (`clang-19 -O2 -g -target bpf -mcpu=v3`) into `CARGO_TARGET_TMPDIR` and returns the path
/// of the object. Fails the test with an install hint when clang-19 or the libbpf headers
/// are missing.
pub fn compile(name: &str) -> PathBuf {
    compile_with(name, &[])
}

/// [`compile`] with preprocessor definitions (`"PROGRAM=2"`), into an object of its own.
pub fn compile_with(name: &str, defines: &[&str]) -> PathBuf {
    static SEQ: AtomicUsize = AtomicUsize::new(0);
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/bpf")
        .join(format!("{name}.bpf.c"));
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let variant: String = defines
        .iter()
        .map(|d| format!(".{}", d.replace('=', "_")))
        .collect();
    let out = dir.join(format!("{name}{variant}.bpf.o"));
    // Tests compile in parallel: each writes its own file, then renames it into place.
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!("{name}.{}.{seq}.o", std::process::id()));
    let result = Command::new(CLANG)
        .args([
            "-O2",
            "-g",
            "-target",
            "bpf",
            "-mcpu=v3",
            "-I/usr/include/x86_64-linux-gnu",
            "-c",
        ])
        .args(defines.iter().map(|d| format!("-D{d}")))
        .arg(&src)
        .arg("-o")
        .arg(&tmp)
        .output();
    let output = match result {
        Ok(output) => output,
        Err(e) => panic!("cannot run {CLANG} ({e}): install clang-19 and libbpf-dev (apt-get install -y clang-19 libbpf-dev)"),
    };
    assert!(
        output.status.success(),
        "{CLANG} failed on {} (are the libbpf-dev headers installed? apt-get install -y clang-19 libbpf-dev):\n{}",
        src.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::rename(&tmp, &out).expect("move the compiled object into place");
    out
}

/// Pins the calling thread to `cpu`: the kernel runs an XDP test on the CPU of the calling
/// thread, so per-CPU results are comparable with an ebee run given the same CPU.
pub fn pin_to_cpu(cpu: usize) {
    // SAFETY: a zeroed cpu_set_t is a valid empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: CPU_SET writes inside the set (it ignores CPUs beyond its size).
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: sched_setaffinity(0, ..) only reads the set and affects the calling thread.
    let rc = unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) };
    assert_eq!(
        rc,
        0,
        "sched_setaffinity(cpu {cpu}): {}",
        std::io::Error::last_os_error()
    );
}

/// The number of CPUs this thread may run on (online CPUs usable for pinning).
pub fn online_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Loads program `name` of the object `elf` into the kernel from the instructions
/// ebee-object links for it, as the program type and expected attach type its section gives
/// (syscall programs sleepable): for program types aya cannot load (lwt_*, syscall, the unix
/// sock_addr hooks). The program may not use maps.
pub fn kernel_raw(elf: &[u8], name: &str) -> Result<ebee_kernel::RawProgram, ebee_kernel::Error> {
    let spec = ebee_object::ObjectSpec::parse(elf).expect("ebee-object parses");
    let linked = spec.link(None).expect("ebee-object links");
    let program = linked
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no program {name}"));
    let insns: Vec<u64> = program
        .to_bytes()
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    let prog_type = program.kind.prog_type().expect("a kernel program type");
    let attach = ebee_object::expected_attach_type(&program.section).unwrap_or(0);
    let sleepable = if prog_type == ebee_abi::prog_type::BPF_PROG_TYPE_SYSCALL {
        1 << 4 // BPF_F_SLEEPABLE
    } else {
        0
    };
    ebee_kernel::RawProgram::load(name, prog_type, attach, sleepable, &insns)
}
