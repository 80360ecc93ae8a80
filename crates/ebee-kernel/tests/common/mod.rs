//! Helpers shared by the integration tests: compiling the C programs in
//! `tests/progs` with clang-19 and skipping when bpf() is unavailable.

#![allow(dead_code)] // Each test binary uses a different subset.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The clang the project's eBPF programs are built with.
pub const CLANG: &str = "clang-19";

/// Compiles `tests/progs/<name>.bpf.c` the way ebee's programs are built and
/// returns the ELF bytes. Fails the test with an install hint when clang-19 or the
/// libbpf headers are missing.
pub fn compile(name: &str) -> Vec<u8> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/progs")
        .join(format!("{name}.bpf.c"));
    compile_file(&src, "v3")
}

/// Compiles the C file `src` (for example one of another crate's test programs) with
/// `-mcpu=<mcpu>`, as [`compile`] does.
pub fn compile_file(src: &Path, mcpu: &str) -> Vec<u8> {
    let name = src.file_stem().and_then(|s| s.to_str()).unwrap_or("prog");
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let out: PathBuf = dir.path().join(format!("{name}.o"));
    let result = Command::new(CLANG)
        .args(["-O2", "-g", "-target", "bpf"])
        .arg(format!("-mcpu={mcpu}"))
        .arg("-I/usr/include/x86_64-linux-gnu")
        .arg("-c")
        .arg(src)
        .arg("-o")
        .arg(&out)
        .output();
    let output = match result {
        Ok(output) => output,
        Err(e) => panic!(
            "cannot run {CLANG} ({e}): install clang-19 and libbpf-dev \
             (apt-get install -y clang-19 libbpf-dev)"
        ),
    };
    assert!(
        output.status.success(),
        "{CLANG} failed on {} (are the libbpf-dev headers installed? \
         apt-get install -y clang-19 libbpf-dev):\n{}",
        src.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::read(&out).expect("read the compiled object")
}

/// Returns `true` (after printing why) when bpf() cannot be used here, so the
/// calling test should return early.
pub fn skip_without_bpf() -> bool {
    match ebee_kernel::availability() {
        Ok(()) => false,
        Err(reason) => {
            eprintln!("skipping: bpf() is unavailable here: {reason}");
            true
        }
    }
}

/// A 64-byte IPv4/UDP Ethernet frame (checksums not filled in).
pub fn udp_packet() -> Vec<u8> {
    let mut p = vec![0u8; 64];
    p[0..6].copy_from_slice(&[0x02, 0, 0, 0, 0, 0x01]); // destination MAC
    p[6..12].copy_from_slice(&[0x02, 0, 0, 0, 0, 0x02]); // source MAC
    p[12..14].copy_from_slice(&[0x08, 0x00]); // EtherType IPv4
    p[14] = 0x45; // version 4, IHL 5
    p[16..18].copy_from_slice(&50u16.to_be_bytes()); // total length
    p[22] = 64; // TTL
    p[23] = 17; // UDP
    p[26..30].copy_from_slice(&[10, 0, 0, 1]);
    p[30..34].copy_from_slice(&[10, 0, 0, 2]);
    p[34..36].copy_from_slice(&1234u16.to_be_bytes());
    p[36..38].copy_from_slice(&5678u16.to_be_bytes());
    p[38..40].copy_from_slice(&30u16.to_be_bytes());
    p
}
