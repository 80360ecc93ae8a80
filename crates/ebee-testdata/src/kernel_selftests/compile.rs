//! Compiling the selftests for [`super::prepare`]: `vmlinux.h`, then every
//! `progs/verifier_*.c` and every object a `__btf_path` names, two clang-19 jobs at a time,
//! into a scratch directory published with its stamp. The pieces (`vmlinux.h`, the include
//! directories, the parallel compiler) serve [`crate::real_world`] too.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use super::build::{
    cache_dir, failed, publish, scratch, Build, CompileFailure, PrepareError, Source, CFLAGS,
    CLANG, SELFTESTS_DIR, VMLINUX_BTF,
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

/// Writes `vmlinux.h` of the running kernel into `include`.
pub(crate) fn write_vmlinux_h(bpftool: &str, include: &Path) -> Result<(), PrepareError> {
    std::fs::create_dir_all(include).map_err(|e| failed("creating include/", e))?;
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
        .map_err(|e| failed("writing vmlinux.h", e))
}

/// The include directories of a selftest build: `include` (holding `vmlinux.h`), libbpf's
/// headers, the selftests' own and the tools' UAPI headers.
pub(crate) fn selftest_includes(tree: &Path, include: &Path) -> Vec<PathBuf> {
    vec![
        include.to_owned(),
        tree.join("tools/lib"),
        tree.join(SELFTESTS_DIR),
        tree.join("tools/include/uapi"),
    ]
}

/// The `progs/*.c` files of the selftests whose names pass `keep`, in name order.
pub(crate) fn selftest_sources(
    tree: &Path,
    keep: impl Fn(&str) -> bool,
) -> Result<Vec<PathBuf>, PrepareError> {
    let progs = tree.join(SELFTESTS_DIR).join("progs");
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&progs)
        .map_err(|e| failed(format!("listing {}", progs.display()), e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".c") && keep(n))
        })
        .collect();
    sources.sort();
    Ok(sources)
}

/// One clang-19 compilation: `src` into `out`, with `flags` and the include directories.
pub(crate) struct Job<'a> {
    /// The C file.
    pub(crate) src: PathBuf,
    /// The object to write.
    pub(crate) out: PathBuf,
    /// The flags before the include directories.
    pub(crate) flags: &'a [&'a str],
    /// `-I` directories, in order (their paths are cut from error messages).
    pub(crate) includes: &'a [PathBuf],
}

/// Runs `jobs`, [`JOBS`] at a time; the results are in the jobs' order, `Err` holding the
/// compiler's first error line.
pub(crate) fn compile_parallel(jobs: &[Job<'_>]) -> Vec<Result<(), String>> {
    let results = Mutex::new(vec![Ok(()); jobs.len()]);
    let next = Mutex::new(0usize);
    std::thread::scope(|scope| {
        for _ in 0..JOBS {
            scope.spawn(|| loop {
                let index = {
                    let mut next = next.lock().unwrap_or_else(|e| e.into_inner());
                    *next += 1;
                    *next - 1
                };
                let Some(job) = jobs.get(index) else {
                    break;
                };
                let result = compile(job);
                results.lock().unwrap_or_else(|e| e.into_inner())[index] = result;
            });
        }
    });
    results.into_inner().unwrap_or_else(|e| e.into_inner())
}

pub(super) fn compile_all(source: &Source, build: &Path, stamp: &str) -> Result<(), PrepareError> {
    let made = scratch(&cache_dir(), "build")?;
    let include = made.join("include");
    write_vmlinux_h(source.bpftool, &include)?;
    let tree = &source.tree;
    let sources = selftest_sources(tree, |n| n.starts_with("verifier_"))?;
    let progs = tree.join(SELFTESTS_DIR).join("progs");
    let objects = made.join("objects");
    let btf_dir = made.join("btf");
    for dir in [&objects, &btf_dir] {
        std::fs::create_dir_all(dir).map_err(|e| failed("creating an output directory", e))?;
    }
    let includes = selftest_includes(tree, &include);
    let job = |src: PathBuf, out: PathBuf| Job {
        src,
        out,
        flags: CFLAGS,
        includes: &includes,
    };
    // The __btf_path objects go to btf/ under their own names.
    let mut jobs: Vec<Job<'_>> = sources
        .iter()
        .map(|s| {
            let stem = s.file_stem().unwrap_or_default();
            job(s.clone(), objects.join(stem).with_extension("o"))
        })
        .collect();
    for name in btf_paths(&sources) {
        let stem = name.trim_end_matches(".bpf.o");
        jobs.push(job(progs.join(format!("{stem}.c")), btf_dir.join(&name)));
    }
    let results = compile_parallel(&jobs);
    let mut failures: Vec<String> = jobs
        .iter()
        .zip(results)
        .filter_map(|(job, result)| {
            let stem = job.src.file_stem()?.to_string_lossy().into_owned();
            result.err().map(|e| format!("{stem}\t{e}\n"))
        })
        .collect();
    failures.sort();
    failures.dedup();
    std::fs::write(made.join(FAILURES), failures.concat())
        .map_err(|e| failed("writing the compile failures", e))?;
    publish(&made, build, stamp)
}

const FAILURES: &str = "compile-failures.tsv";

/// Compiles one file; `Err` is the compiler's first error line, with the include
/// directories' paths (the first of which is `progs/`'s parent) cut off.
fn compile(job: &Job<'_>) -> Result<(), String> {
    let mut command = Command::new(CLANG);
    command.args(job.flags);
    for dir in job.includes {
        command.arg("-I").arg(dir);
    }
    command
        .args(["-idirafter", "/usr/include/x86_64-linux-gnu"])
        .args(["-idirafter", "/usr/include"])
        .arg("-c")
        .arg(&job.src)
        .arg("-o")
        .arg(&job.out);
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
    let mut prefixes: Vec<String> = job
        .includes
        .iter()
        .map(|dir| format!("{}/", dir.display()))
        .collect();
    if let Some(dir) = job.src.parent() {
        prefixes.push(format!("{}/", dir.display()));
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
