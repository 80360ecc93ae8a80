//! What the benches comparing ebee with the kernel share (`mod common;` in each): building
//! `.bpf.c` files with clang-19 into the target directory, the include directories of the
//! libbpf headers, pinning the process to one CPU, and telling `cargo bench` from the smoke
//! test that `cargo test --all-targets` runs.
//!
//! Each bench uses all of it; there is no second copy of these helpers.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `cargo bench` passes `--bench`; `cargo test --all-targets` runs a `harness = false` bench
/// without it, as a smoke test.
pub fn bench_mode() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// The bench sources: `crates/ebee/benches/bpf`.
pub fn bpf_src_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/bpf")
}

/// Where build outputs go: `subdir` of the profile directory of the target directory the
/// bench executable runs from (`target/release/<subdir>` for `cargo bench`), never the source
/// tree. Created if missing.
pub fn out_dir(subdir: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("bench executable path");
    // The executable is target/<profile>/deps/<name>-<hash>.
    let profile_dir = exe
        .parent()
        .and_then(|d| d.parent())
        .map_or_else(std::env::temp_dir, PathBuf::from);
    let dir = profile_dir.join(subdir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    dir
}

/// The `-I` arguments a program including `<linux/bpf.h>` and `<bpf/bpf_helpers.h>` needs,
/// for clang `-target bpf` and for the host compiler alike: the multiarch directory where
/// Debian keeps `<asm/types.h>` (which `-target bpf` does not search by itself), and the
/// directory holding libbpf's `bpf/` headers when it is not a default one. Panics with the
/// package to install when the headers are missing.
pub fn libbpf_include_args() -> Vec<String> {
    let mut args = Vec::new();
    let multiarch = format!("/usr/include/{}-linux-gnu", std::env::consts::ARCH);
    if Path::new(&multiarch).join("asm/types.h").exists() {
        args.push(format!("-I{multiarch}"));
    }
    let libbpf = ["/usr/include", "/usr/local/include"]
        .into_iter()
        .find(|dir| Path::new(dir).join("bpf/bpf_helpers.h").exists())
        .unwrap_or_else(|| {
            panic!("libbpf headers (bpf/bpf_helpers.h) not found: apt-get install -y libbpf-dev")
        });
    if libbpf != "/usr/include" {
        args.push(format!("-I{libbpf}"));
    }
    args
}

/// Runs `command`; `Err` with its output when it cannot start or fails. `what` names it.
pub fn run_tool(mut command: Command, what: &str, install_hint: &str) -> Result<(), String> {
    let result = command
        .output()
        .map_err(|e| format!("cannot run {what} ({e}): {install_hint}"))?;
    if result.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({}):\n{}",
            result.status,
            String::from_utf8_lossy(&result.stderr)
        ))
    }
}

/// Compiles `src` with `clang-19 -O2 -g -target bpf -mcpu=v3` into `out` and returns the
/// object's bytes. The object is written under a temporary name and renamed, so that a
/// `cargo test` and a `cargo bench` running at once do not read each other's half-written
/// files.
pub fn compile_bpf(src: &Path, out: &Path) -> Result<Vec<u8>, String> {
    let tmp = out.with_extension(format!("o.tmp{}", std::process::id()));
    let mut clang = Command::new("clang-19");
    clang
        .args(["-O2", "-g", "-target", "bpf", "-mcpu=v3"])
        .args(libbpf_include_args())
        .arg("-c")
        .arg(src)
        .arg("-o")
        .arg(&tmp);
    run_tool(
        clang,
        &format!("clang-19 on {}", src.display()),
        "apt-get install -y clang-19 libbpf-dev",
    )?;
    std::fs::rename(&tmp, out).map_err(|e| format!("renaming {}: {e}", tmp.display()))?;
    std::fs::read(out).map_err(|e| format!("reading {}: {e}", out.display()))
}

/// Pins the process to the CPU it runs on; returns that CPU. Runs in ebee (the worker for
/// per-CPU maps) and the kernel's test runs (on the calling thread's CPU) then share it.
pub fn pin_to_current_cpu() -> usize {
    // SAFETY: sched_getcpu has no preconditions.
    let cpu = unsafe { libc::sched_getcpu() }.max(0) as usize;
    // SAFETY: a zeroed cpu_set_t is a valid empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: CPU_SET writes inside the set.
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: the set, by pointer with its size, for the calling thread.
    if unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) } != 0 {
        eprintln!(
            "warning: sched_setaffinity failed: {}",
            std::io::Error::last_os_error()
        );
    }
    cpu
}
