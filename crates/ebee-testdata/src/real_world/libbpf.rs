//! The kernel oracle: `real_world/libbpf_load.c`, built against the libbpf of the extracted
//! kernel tree (`tools/lib/bpf`, libbpf 1.5 for Linux 6.12, the one the selftests are written
//! for), loads each object as a libbpf application does. It shares no code with ebee.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use super::LinuxResult;
use crate::kernel_selftests::build::{failed, PrepareError, Source, CLANG};

/// The loader's source.
const LOADER_C: &str = include_str!("../../real_world/libbpf_load.c");

/// How libbpf is built (its Makefile's definitions).
const LIBBPF_CFLAGS: &[&str] = &[
    "-O1",
    "-w",
    "-D_LARGEFILE64_SOURCE",
    "-D_FILE_OFFSET_BITS=64",
    "-D_GNU_SOURCE",
];

/// Parallel loads.
const JOBS: usize = 2;

/// Builds the loader into `dir` (a directory the corpus's stamp covers) unless it is there.
pub(super) fn build_loader(source: &Source, dir: &Path) -> Result<PathBuf, PrepareError> {
    let loader = dir.join("libbpf_load");
    let source_file = dir.join("libbpf_load.c");
    if std::fs::read_to_string(&source_file).is_ok_and(|s| s == LOADER_C) && loader.exists() {
        return Ok(loader);
    }
    std::fs::write(&source_file, LOADER_C).map_err(|e| failed("writing libbpf_load.c", e))?;
    let libbpf = source.tree.join("tools/lib/bpf");
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&libbpf)
        .map_err(|e| failed(format!("listing {}", libbpf.display()), e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "c"))
        .collect();
    sources.sort();
    let building = dir.join(format!("libbpf_load.tmp-{}", std::process::id()));
    let out = Command::new(CLANG)
        .args(LIBBPF_CFLAGS)
        .arg("-I")
        .arg(source.tree.join("tools/lib"))
        .arg("-I")
        .arg(source.tree.join("tools/include"))
        .arg("-I")
        .arg(source.tree.join("tools/include/uapi"))
        .arg(&source_file)
        .args(&sources)
        .args(["-lelf", "-lz", "-o"])
        .arg(&building)
        .output()
        .map_err(|e| failed(format!("running {CLANG}"), e))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let error = stderr
            .lines()
            .find(|l| l.contains("error"))
            .unwrap_or("clang failed")
            .to_owned();
        return Err(if error.contains("libelf.h") || error.contains("-lelf") {
            PrepareError::Missing {
                what: "libelf (for building libbpf)".into(),
                package: "libelf-dev",
            }
        } else if error.contains("zlib.h") || error.contains("-lz") {
            PrepareError::Missing {
                what: "zlib (for building libbpf)".into(),
                package: "zlib1g-dev",
            }
        } else {
            failed("building the libbpf loader", error)
        });
    }
    std::fs::rename(&building, &loader).map_err(|e| failed("moving the loader in place", e))?;
    Ok(loader)
}

/// Loads every object of `objects` (table name, path) with `loader`, two at a time, one
/// process each; the results are in `objects`' order.
pub(super) fn load_all(loader: &Path, objects: &[(&str, &Path)]) -> Vec<LinuxResult> {
    let results = Mutex::new(vec![None; objects.len()]);
    let next = Mutex::new(0usize);
    std::thread::scope(|scope| {
        for _ in 0..JOBS {
            scope.spawn(|| loop {
                let index = {
                    let mut next = next.lock().unwrap_or_else(|e| e.into_inner());
                    *next += 1;
                    *next - 1
                };
                let Some((name, path)) = objects.get(index) else {
                    break;
                };
                let result = load(loader, name, path);
                results.lock().unwrap_or_else(|e| e.into_inner())[index] = Some(result);
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|r| r.unwrap_or_else(|| LinuxResult::Refuses("not run".into())))
        .collect()
}

fn load(loader: &Path, name: &str, path: &Path) -> LinuxResult {
    let out = match Command::new(loader).arg(path).output() {
        Ok(out) => out,
        Err(e) => return LinuxResult::Refuses(format!("cannot run the loader: {e}")),
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().next().unwrap_or_default();
    let mut fields = line.split('\t');
    let result = match (fields.next(), fields.next(), fields.next()) {
        (Some("loads"), Some(count), _) => LinuxResult::Loads(count.to_owned()),
        (Some("refuses"), Some(libbpf), verifier) => {
            let mut reason = libbpf.to_owned();
            if let Some(complaint) = verifier.filter(|v| !v.is_empty()) {
                reason.push_str(&format!(" | verifier: {complaint}"));
            }
            LinuxResult::Refuses(reason)
        }
        _ => LinuxResult::Refuses(format!("the loader failed ({})", out.status)),
    };
    // Paths in libbpf's messages are the cache's or the package's: name the object instead.
    match result {
        LinuxResult::Refuses(reason) => {
            LinuxResult::Refuses(reason.replace(&path.display().to_string(), name))
        }
        loads => loads,
    }
}
