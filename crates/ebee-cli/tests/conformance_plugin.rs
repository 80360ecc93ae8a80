//! Drives the `ebee` binary the way the public bpf_conformance runner drives a plugin: every
//! conformance test is assembled with `ebee asm`, then run by `ebee conformance-plugin` with the
//! program as hex on stdin and the memory as hex in the first argument.

use ebee_isa::ConformanceTest;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const EBEE: &str = env!("CARGO_BIN_EXE_ebee");

fn suite(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance")
        .join(kind)
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs the plugin with `engine` (`--jit` or `--interpret`); returns (success, stdout,
/// stderr).
fn plugin(memory: &[u8], program: &[u8], engine: &str) -> (bool, String, String) {
    let mut child = Command::new(EBEE)
        .args(["conformance-plugin", engine, &hex(memory)])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ebee runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(hex(program).as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).trim().to_string();
    (out.status.success(), text(out.stdout), text(out.stderr))
}

#[test]
fn every_conformance_test_passes_through_asm_and_the_plugin() {
    let dir = tempdir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(suite("tests"))
        .expect("../shared/conformance/tests beside the repository")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "data"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 313);
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let test = ConformanceTest::parse(&std::fs::read_to_string(path).unwrap()).unwrap();
        let source = dir.join(format!("{name}.s"));
        let binary = dir.join(format!("{name}.bin"));
        std::fs::write(&source, test.asm.as_deref().expect("has asm")).unwrap();
        let asm = Command::new(EBEE)
            .args([
                "asm",
                source.to_str().unwrap(),
                "-o",
                binary.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        if !asm.status.success() {
            failures.push(format!(
                "{name}: ebee asm failed: {}",
                String::from_utf8_lossy(&asm.stderr)
            ));
            continue;
        }
        let program = std::fs::read(&binary).unwrap();
        for engine in ["--jit", "--interpret"] {
            let (ok, stdout, stderr) = plugin(&test.mem, &program, engine);
            let expected = test.result.expect("has result");
            match u64::from_str_radix(&stdout, 16) {
                Ok(r0) if ok && r0 == expected => {}
                _ => failures.push(format!(
                    "{name} ({engine}): ok={ok} stdout={stdout:?} stderr={stderr:?}, expected \
                     {expected:#x}"
                )),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_plugin_reports_errors_on_stderr_with_a_nonzero_exit() {
    // `or %r0, %r10` reads r0 before writing it (negative/error.data).
    let program = [0x4f, 0xa0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0];
    for engine in ["--jit", "--interpret"] {
        let (ok, stdout, stderr) = plugin(&[], &program, engine);
        assert!(!ok && stdout.is_empty(), "{stdout}");
        assert!(stderr.to_lowercase().contains("invalid"), "{stderr}");

        let (ok, _, stderr) = plugin(&[], &[0x95, 0, 0], engine);
        assert!(!ok && stderr.contains("not a multiple"), "{stderr}");
    }

    let both = Command::new(EBEE)
        .args(["conformance-plugin", "--jit", "--interpret"])
        .output()
        .unwrap();
    assert!(!both.status.success());
    assert!(String::from_utf8_lossy(&both.stderr).contains("cannot be used with"));
}

fn tempdir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("conformance-plugin");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
