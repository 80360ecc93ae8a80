//! Runs every test of the public BPF conformance suite (`../shared/conformance/tests`) through
//! the assembler and every engine (the interpreter, and the JIT where the build has it), and
//! checks the negative files that only execution can
//! reject.

use ebee_isa::ConformanceTest;
use ebee_vm::{Backend, Helpers, Memory, Vm};
use std::path::{Path, PathBuf};

fn suite_dir(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance")
        .join(kind)
}

/// The engines this build has.
fn backends() -> Vec<Backend> {
    let mut backends = vec![Backend::Interpreter];
    if Backend::JIT_AVAILABLE {
        backends.push(Backend::Jit);
    }
    backends
}

fn data_files(kind: &str) -> Vec<PathBuf> {
    let dir = suite_dir(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| {
            panic!(
                "cannot read {}: {e} (is ../shared beside the repo?)",
                dir.display()
            )
        })
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "data"))
        .collect();
    files.sort();
    files
}

/// Assembles and runs one test file the way the public runner's plugins do: r1 points at the
/// input memory, r2 holds its length. Returns r0 or the error text.
fn run(path: &Path, backend: Backend) -> Result<(u64, ConformanceTest), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let test = ConformanceTest::parse(&text).map_err(|e| e.to_string())?;
    let program = test.program().map_err(|e| e.to_string())?;
    // The suite's `call 5` and `callx` tests call helper 5, whose result they ignore.
    let mut helpers = Helpers::new();
    helpers.register(5, "ktime_get_ns", |_, _| Ok(0));
    let program = Vm::new(helpers)
        .with_backend(backend)
        .load(&program)
        .map_err(|e| e.to_string())?;
    assert_eq!(program.backend(), backend);
    let mut input = test.mem.clone();
    let len = input.len() as u64;
    let mut memory = Memory::new();
    let addr = memory.add_mut("input", &mut input);
    let r0 = program
        .run(&memory, &[addr, len])
        .map_err(|e| e.to_string())?;
    Ok((r0, test))
}

#[test]
fn every_conformance_test_passes() {
    let files = data_files("tests");
    assert_eq!(files.len(), 313, "the suite has 313 tests");
    let mut failures = Vec::new();
    for (path, backend) in files
        .iter()
        .flat_map(|p| backends().into_iter().map(move |b| (p, b)))
    {
        let name = format!(
            "{} ({})",
            path.file_name().unwrap().to_string_lossy(),
            backend.name()
        );
        match run(path, backend) {
            Ok((r0, test)) => match test.result {
                Some(expected) if expected == r0 => {}
                Some(expected) => {
                    failures.push(format!("{name}: r0 = {r0:#x}, expected {expected:#x}"))
                }
                None => failures.push(format!("{name}: has no -- result section")),
            },
            Err(err) => failures.push(format!("{name}: {err}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

/// Negative files that assemble and decode: their fault is only visible when the program is
/// loaded or run. Each must be rejected (an error, or r0 different from the stated result).
#[test]
fn negative_files_rejected_at_load_or_run() {
    let cases = [
        ("error.data", Some("invalid")),
        ("incorrect_return_value_high_bits.data", None),
    ];
    for ((name, expected_error), backend) in cases
        .into_iter()
        .flat_map(|c| backends().into_iter().map(move |b| (c, b)))
    {
        let path = suite_dir("negative").join(name);
        match (run(&path, backend), expected_error) {
            (Err(err), Some(text)) => assert!(
                err.to_lowercase().contains(text),
                "{name}: error `{err}` does not mention `{text}`"
            ),
            (Ok((r0, test)), None) => assert_ne!(Some(r0), test.result, "{name}: accepted"),
            (outcome, _) => panic!(
                "{name}: unexpected outcome {outcome:?}",
                outcome = outcome.map(|o| o.0)
            ),
        }
    }
}
