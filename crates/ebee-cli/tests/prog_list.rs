//! `ebee prog list` and the program-type override (`--type`) on objects in older formats:
//! a libbpf 0.x section name, a `.text` entry point, `e_machine` 0, helpers ebee lacks.

use std::path::{Path, PathBuf};
use std::process::Command;

const EBEE: &str = env!("CARGO_BIN_EXE_ebee");

const SOURCE: &str = r#"
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("xdp_mark") int marked(struct xdp_md *ctx) { return XDP_PASS; }
__attribute__((noinline)) int text_entry(struct xdp_md *ctx)
{
    return ctx->data_end - ctx->data > 10 ? XDP_DROP : XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
"#;

fn tmp(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// The object of [`SOURCE`], compiled with clang-19 once: the tests run in parallel, and one
/// rewriting the file while another reads it made the reader fail.
fn object() -> PathBuf {
    static OBJECT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    OBJECT.get_or_init(compile_object).clone()
}

fn compile_object() -> PathBuf {
    let src = tmp("prog_list_entry.bpf.c");
    std::fs::write(&src, SOURCE).unwrap();
    let out = tmp("prog_list_entry.bpf.o");
    let status = Command::new("clang-19")
        .args([
            "-O2",
            "-g",
            "-target",
            "bpf",
            "-I/usr/include/x86_64-linux-gnu",
            "-c",
        ])
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .status()
        .expect("clang-19 runs (apt-get install clang-19 libbpf-dev; scripts/test.sh does)");
    assert!(status.success(), "clang-19 failed");
    out
}

fn ebee(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(EBEE).args(args).output().expect("ebee runs");
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).to_string();
    (out.status.success(), text(out.stdout), text(out.stderr))
}

#[test]
fn prog_list_shows_the_rule_and_text_entry_points() {
    let object = object();
    let object = object.to_str().unwrap();
    let (ok, stdout, stderr) = ebee(&["prog", "list", object]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("type rule: libbpf 0.x prefix \"xdp\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("text_entry") && stdout.contains("no rule"),
        "{stdout}"
    );

    let (ok, stdout, stderr) = ebee(&["prog", "list", object, "--type", "xdp", "--json"]);
    assert!(ok, "{stderr}");
    let rows: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let entry = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "text_entry")
        .expect("text_entry is listed");
    assert_eq!(entry["type"], "xdp");
    assert_eq!(entry["rule"], "--type override \"xdp\"");

    let (ok, _, stderr) = ebee(&["prog", "list", object, "--type", "nonsense"]);
    assert!(!ok);
    assert!(
        stderr.contains("--type nonsense") && stderr.contains("unknown program type"),
        "{stderr}"
    );
}

#[test]
fn run_selects_a_text_entry_point_with_a_type_override() {
    let object = object();
    let data = tmp("prog_list_packet.bin");
    std::fs::write(&data, [0u8; 64]).unwrap();
    let retval = |program_type: &str| {
        let (ok, stdout, stderr) = ebee(&[
            "run",
            object.to_str().unwrap(),
            "--program",
            "text_entry",
            "--type",
            program_type,
            "--data-in",
            data.to_str().unwrap(),
            "--json",
        ]);
        assert!(ok, "{stderr}");
        serde_json::from_str::<serde_json::Value>(stdout.trim()).unwrap()["retval"].clone()
    };
    assert_eq!(retval("xdp"), 1); // XDP_DROP: 64 bytes of packet
                                  // Without a type it is listed, but not loaded: the message says what to add.
    let (ok, _, stderr) = ebee(&[
        "run",
        object.to_str().unwrap(),
        "--program",
        "text_entry",
        "--data-in",
        data.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(
        stderr.contains("no program named text_entry") && stderr.contains("--type"),
        "{stderr}"
    );
}

#[test]
fn e_machine_zero_is_listed_with_a_warning() {
    let mut elf = std::fs::read(object()).unwrap();
    elf[18..20].copy_from_slice(&0u16.to_le_bytes());
    let path = tmp("prog_list_machine_none.bpf.o");
    std::fs::write(&path, elf).unwrap();
    let (ok, stdout, stderr) = ebee(&["prog", "list", path.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("marked"), "{stdout}");
    assert!(
        stderr.contains("warning") && stderr.contains("e_machine is 0"),
        "{stderr}"
    );
}

#[test]
fn prog_list_names_helpers_ebee_lacks() {
    let path = "/usr/lib/x86_64-linux-gnu/bpf/xdpdump_bpf.o";
    assert!(
        Path::new(path).exists(),
        "install xdp-tools (scripts/test.sh does)"
    );
    let (ok, stdout, stderr) = ebee(&["prog", "list", path]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("type rule: libbpf 1.x: SEC(\"fentry+\")"),
        "{stdout}"
    );
    assert!(stdout.contains("missing:   xdp_output (121)"), "{stdout}");
    let (ok, _, stderr) = ebee(&["run", path, "--data-in", "/dev/null"]);
    assert!(!ok);
    assert!(
        stderr.contains("calls helper xdp_output (id 121)"),
        "{stderr}"
    );
}
