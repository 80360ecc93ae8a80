//! Compiling the selftests for [`super::prepare`]: `vmlinux.h`, then every
//! `progs/verifier_*.c` and every object a `__btf_path` names, two clang-19 jobs at a time,
//! into a scratch directory published with its stamp.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use super::build::{
    failed, publish, scratch, Build, CompileFailure, PrepareError, CFLAGS, CLANG, SELFTESTS_DIR,
    VMLINUX_BTF,
};

/// Parallel compiler jobs.
const JOBS: usize = 2;

/// The object file names `__btf_path("x.bpf.o")` annotations in `sources` give.
fn btf_paths(sources: &[PathBuf]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for file in sources {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for rest in text.split("__btf_path(\"").skip(1) {
            if let Some(name) = rest.split('"').next().filter(|n| n.ends_with(".bpf.o")) {
                names.insert(name.to_owned());
            }
        }
    }
    names
}

pub(super) fn compile_all(
    source: &Path,
    cache: &Path,
    build: &Path,
    stamp: &str,
    bpftool: &str,
) -> Result<(), PrepareError> {
    let made = scratch(cache, "build")?;
    let include = made.join("include");
    std::fs::create_dir_all(&include).map_err(|e| failed("creating include/", e))?;
    let out = Command::new(bpftool)
        .args(["btf", "dump", "file", VMLINUX_BTF, "format", "c"])
        .output()
        .map_err(|e| failed("running bpftool", e))?;
    if !out.status.success() {
        return Err(failed(
            "bpftool btf dump file /sys/kernel/btf/vmlinux format c",
            String::from_utf8_lossy(&out.stderr).trim(),
        ));
    }
    std::fs::write(include.join("vmlinux.h"), out.stdout)
        .map_err(|e| failed("writing vmlinux.h", e))?;

    let progs = source.join(SELFTESTS_DIR).join("progs");
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&progs)
        .map_err(|e| failed(format!("listing {}", progs.display()), e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("verifier_") && n.ends_with(".c"))
        })
        .collect();
    sources.sort();
    let objects = made.join("objects");
    let btf_dir = made.join("btf");
    for dir in [&objects, &btf_dir] {
        std::fs::create_dir_all(dir).map_err(|e| failed("creating an output directory", e))?;
    }
    // (source, output); the __btf_path objects go to btf/ under their own names.
    let mut jobs: Vec<(PathBuf, PathBuf)> = sources
        .iter()
        .map(|s| {
            let stem = s.file_stem().unwrap_or_default();
            (s.clone(), objects.join(stem).with_extension("o"))
        })
        .collect();
    for name in btf_paths(&sources) {
        let stem = name.trim_end_matches(".bpf.o");
        jobs.push((progs.join(format!("{stem}.c")), btf_dir.join(&name)));
    }
    let includes = [
        include.clone(),
        source.join("tools/lib"),
        source.join(SELFTESTS_DIR),
        source.join("tools/include/uapi"),
    ];
    let results = Mutex::new(Vec::new());
    let next = Mutex::new(0usize);
    std::thread::scope(|scope| {
        for _ in 0..JOBS {
            scope.spawn(|| loop {
                let index = {
                    let mut next = next.lock().unwrap_or_else(|e| e.into_inner());
                    *next += 1;
                    *next - 1
                };
                let Some((src, out)) = jobs.get(index) else {
                    break;
                };
                let result = compile(src, out, &includes);
                results
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((src.clone(), result));
            });
        }
    });
    let mut failures: Vec<String> = results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .filter_map(|(src, result)| {
            let stem = src.file_stem()?.to_string_lossy().into_owned();
            result.err().map(|e| format!("{stem}\t{e}\n"))
        })
        .collect();
    failures.sort();
    std::fs::write(made.join(FAILURES), failures.concat())
        .map_err(|e| failed("writing the compile failures", e))?;
    publish(&made, build, stamp)
}

const FAILURES: &str = "compile-failures.tsv";

/// Compiles one file; `Err` is the compiler's first error line, with the include
/// directories' paths (the first of which is `progs/`'s parent) cut off.
fn compile(src: &Path, out: &Path, includes: &[PathBuf]) -> Result<(), String> {
    let mut command = Command::new(CLANG);
    command.args(CFLAGS);
    for dir in includes {
        command.arg("-I").arg(dir);
    }
    command
        .args(["-idirafter", "/usr/include/x86_64-linux-gnu"])
        .args(["-idirafter", "/usr/include"])
        .arg("-c")
        .arg(src)
        .arg("-o")
        .arg(out);
    let output = command
        .output()
        .map_err(|e| format!("cannot run {CLANG}: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mut line = stderr
        .lines()
        .find(|l| l.contains("error:"))
        .or_else(|| stderr.lines().next())
        .unwrap_or("clang failed without a message")
        .to_owned();
    let mut prefixes: Vec<String> = includes
        .iter()
        .map(|dir| format!("{}/", dir.display()))
        .collect();
    if let Some(progs) = src.parent() {
        prefixes.push(format!("{}/", progs.display()));
    }
    // Longest first, so that a directory inside another is cut whole.
    prefixes.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for prefix in prefixes {
        line = line.replace(&prefix, "");
    }
    Err(line.trim().to_owned())
}

pub(super) fn read_build(source: PathBuf, build: &Path) -> Result<Build, PrepareError> {
    let objects_dir = build.join("objects");
    let mut objects: Vec<PathBuf> = std::fs::read_dir(&objects_dir)
        .map_err(|e| failed(format!("listing {}", objects_dir.display()), e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "o"))
        .collect();
    objects.sort();
    let failures = std::fs::read_to_string(build.join(FAILURES))
        .map_err(|e| failed("reading the compile failures", e))?;
    let compile_failures = failures
        .lines()
        .filter_map(|line| line.split_once('\t'))
        .map(|(file, first_error)| CompileFailure {
            file: file.to_owned(),
            first_error: first_error.to_owned(),
        })
        .collect();
    Ok(Build {
        source,
        objects,
        btf_dir: build.join("btf"),
        compile_failures,
    })
}
