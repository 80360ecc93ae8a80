//! [`prepare`]: the selftest sources out of the kernel source tarball, `vmlinux.h` of the
//! running kernel, and every `progs/verifier_*.c` compiled with clang-19, cached under the
//! Cargo target directory and rebuilt only when an input changed. [`prepare_source`] is the
//! first half, shared with [`crate::real_world`].

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The kernel source tarball Debian's `linux-source-6.12` package installs.
pub const KERNEL_SOURCE_TARBALL: &str = "/usr/src/linux-source-6.12.tar.xz";
/// The Debian package that installs [`KERNEL_SOURCE_TARBALL`].
pub const KERNEL_SOURCE_PACKAGE: &str = "linux-source-6.12";
/// The compiler.
pub const CLANG: &str = "clang-19";
/// Writes `vmlinux.h` from the running kernel's BTF; looked up in `PATH`, else here (Debian
/// installs it in `/usr/sbin`, which is not in a user's `PATH`).
pub const BPFTOOL: &str = "/usr/sbin/bpftool";
/// The running kernel's BTF.
pub const VMLINUX_BTF: &str = "/sys/kernel/btf/vmlinux";
/// Where the selftests live in the source tree.
pub const SELFTESTS_DIR: &str = "tools/testing/selftests/bpf";

/// The compiler flags, as the selftests' Makefile gives them for `test_progs` (`-mcpu=v3`,
/// atomics tests on), without `-Werror`: 6.12's sources meet a newer clang and vmlinux.h.
pub(crate) const CFLAGS: &[&str] = &[
    "-O2",
    "-g",
    "--target=bpf",
    "-mcpu=v3",
    "-mlittle-endian",
    "-D__TARGET_ARCH_x86",
    "-DENABLE_ATOMICS_TESTS",
    "-Wno-compare-distinct-pointer-types",
];
/// What is taken out of the tarball (below its top directory): the selftests, libbpf (headers
/// and sources: [`crate::real_world`] builds its loader from them), `samples/bpf` and the
/// kernel headers its programs include.
const EXTRACTED: &[&str] = &[
    "*/tools/testing/selftests/bpf/progs/*",
    "*/tools/testing/selftests/bpf/*.h",
    "*/tools/testing/selftests/bpf/test_loader.c",
    "*/tools/lib/bpf/*",
    "*/tools/include/*",
    "*/scripts/bpf_doc.py",
    "*/samples/bpf/*",
    "*/include/uapi/*",
    "*/include/linux/*",
    "*/include/asm-generic/*",
    "*/arch/x86/include/*",
];
/// Bumped whenever what `prepare` makes changes, so old caches are rebuilt.
const RECIPE: &str = "kernel-selftests recipe 2";
/// Why the selftests cannot be prepared.
#[derive(Debug)]
pub enum PrepareError {
    /// A file or program this needs is not installed; `package` installs it.
    Missing {
        /// What is missing (a path or a command).
        what: String,
        /// The Debian package providing it.
        package: &'static str,
    },
    /// A step failed.
    Failed {
        /// The step.
        step: String,
        /// Why.
        reason: String,
    },
}

impl fmt::Display for PrepareError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrepareError::Missing { what, package } => {
                write!(
                    f,
                    "{what} is missing: install it with `apt-get install {package}`"
                )
            }
            PrepareError::Failed { step, reason } => write!(f, "{step}: {reason}"),
        }
    }
}

impl std::error::Error for PrepareError {}

pub(crate) fn failed(step: impl Into<String>, reason: impl fmt::Display) -> PrepareError {
    PrepareError::Failed {
        step: step.into(),
        reason: reason.to_string(),
    }
}

/// The compiled selftests.
#[derive(Clone, Debug)]
pub struct Build {
    /// The extracted source tree (holding `tools/…`).
    pub source: PathBuf,
    /// The compiled objects, `verifier_and.o` …, in name order.
    pub objects: Vec<PathBuf>,
    /// The objects named by `__btf_path("….bpf.o")` (CO-RE targets), in this directory.
    pub btf_dir: PathBuf,
    /// The source files that did not compile, with the compiler's first error line.
    pub compile_failures: Vec<CompileFailure>,
}

/// A selftest source file clang could not compile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileFailure {
    /// The file's stem (`verifier_arena`).
    pub file: String,
    /// The compiler's first `error:` line, without the path.
    pub first_error: String,
}

/// The directory the cache lives in: `$EBEE_KERNEL_SELFTESTS_DIR`, else `kernel-selftests` in
/// the Cargo target directory (`$CARGO_TARGET_DIR`, else the one the running executable is
/// in, else the workspace's `target`).
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("EBEE_KERNEL_SELFTESTS_DIR") {
        return PathBuf::from(dir);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            // target/<profile>/deps/<test binary>
            let exe = std::env::current_exe().ok()?;
            let deps = exe.parent().filter(|d| d.ends_with("deps"))?;
            Some(deps.parent()?.parent()?.to_owned())
        })
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("kernel-selftests")
}

/// Extracts the selftests from [`KERNEL_SOURCE_TARBALL`] (`$EBEE_KERNEL_SOURCE_TARBALL`
/// overrides it), writes `vmlinux.h` with `bpftool btf dump file /sys/kernel/btf/vmlinux
/// format c`, generates libbpf's `bpf_helper_defs.h` with the tree's `scripts/bpf_doc.py`,
/// and compiles every `progs/verifier_*.c`, and the objects `__btf_path` names, with
/// clang-19 (two jobs), into [`cache_dir`]. A cache whose stamp matches (tarball size and
/// modification time, clang's version, a digest of the kernel's BTF, this recipe) is reused.
/// Files that fail to compile are listed in [`Build::compile_failures`].
///
/// # Errors
///
/// [`PrepareError::Missing`] naming the package when the tarball, clang-19 or bpftool is not
/// installed; [`PrepareError::Failed`] when extraction, `vmlinux.h` or the file system fail.
pub fn prepare() -> Result<Build, PrepareError> {
    let source = prepare_source()?;
    let build_stamp = format!("{}{}\n", source.stamp, CFLAGS.join(" "));
    let build = cache_dir().join("build");
    if !stamp_matches(&build, &build_stamp) {
        super::compile::compile_all(&source, &build, &build_stamp)?;
    }
    super::compile::read_build(source.tree, &build)
}

/// The extracted source tree and what a build from it depends on.
#[derive(Clone, Debug)]
pub(crate) struct Source {
    /// The extracted tree (holding `tools/…`, `samples/…`, `include/…`).
    pub(crate) tree: PathBuf,
    /// What a build from it depends on (the tarball, this recipe, clang's version, a digest
    /// of the kernel's BTF), for the builds' stamps.
    pub(crate) stamp: String,
    /// The bpftool command (`bpftool` when it is in `PATH`, else [`BPFTOOL`]).
    pub(crate) bpftool: &'static str,
}

/// The first half of [`prepare`]: checks for the tarball, clang-19, bpftool and the kernel's
/// BTF, and extracts the tree into [`cache_dir`] unless a matching one is there.
pub(crate) fn prepare_source() -> Result<Source, PrepareError> {
    let tarball = std::env::var_os("EBEE_KERNEL_SOURCE_TARBALL")
        .map_or_else(|| PathBuf::from(KERNEL_SOURCE_TARBALL), PathBuf::from);
    let tarball_meta = std::fs::metadata(&tarball).map_err(|_| PrepareError::Missing {
        what: tarball.display().to_string(),
        package: KERNEL_SOURCE_PACKAGE,
    })?;
    let clang_version = tool_version(CLANG, "clang-19")?;
    let bpftool = if tool_version("bpftool", "bpftool").is_ok() {
        "bpftool"
    } else {
        tool_version(BPFTOOL, "bpftool")?;
        BPFTOOL
    };
    let vmlinux =
        std::fs::read(VMLINUX_BTF).map_err(|e| failed(format!("reading {VMLINUX_BTF}"), e))?;

    let cache = cache_dir();
    let mtime = tarball_meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    let source_stamp = format!(
        "{RECIPE}\n{} {} {mtime}\n",
        tarball.display(),
        tarball_meta.len()
    );
    let tree = cache.join("source");
    if !stamp_matches(&tree, &source_stamp) {
        extract(&tarball, &cache, &tree, &source_stamp)?;
    }
    let stamp = format!(
        "{source_stamp}{clang_version}\nvmlinux BTF {} bytes, digest {:016x}\n",
        vmlinux.len(),
        fnv1a(&vmlinux),
    );
    Ok(Source {
        tree,
        stamp,
        bpftool,
    })
}

fn tool_version(command: &str, package: &'static str) -> Result<String, PrepareError> {
    let missing = || PrepareError::Missing {
        what: format!("`{command}`"),
        package,
    };
    let out = Command::new(command)
        .arg("--version")
        .output()
        .map_err(|_| missing())?;
    if !out.status.success() {
        return Err(missing());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

/// 64-bit FNV-1a: a digest that is the same in every build (for cache stamps only).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

pub(super) const STAMP: &str = "stamp";

pub(crate) fn stamp_matches(dir: &Path, stamp: &str) -> bool {
    std::fs::read_to_string(dir.join(STAMP)).is_ok_and(|s| s == stamp)
}

/// A fresh scratch directory in `cache`, for building into before the rename that makes a
/// result visible (so an interrupted run never leaves a half-made cache with a stamp).
pub(crate) fn scratch(cache: &Path, what: &str) -> Result<PathBuf, PrepareError> {
    let dir = cache.join(format!("{what}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| failed(format!("creating {}", dir.display()), e))?;
    Ok(dir)
}

/// Puts `made` in place of `dir` with `stamp` written last.
pub(crate) fn publish(made: &Path, dir: &Path, stamp: &str) -> Result<(), PrepareError> {
    std::fs::write(made.join(STAMP), stamp).map_err(|e| failed("writing a stamp", e))?;
    let _ = std::fs::remove_dir_all(dir);
    if let Err(e) = std::fs::rename(made, dir) {
        // Another process may have published the same thing meanwhile.
        let _ = std::fs::remove_dir_all(made);
        if !stamp_matches(dir, stamp) {
            return Err(failed(format!("moving into {}", dir.display()), e));
        }
    }
    Ok(())
}

fn extract(tarball: &Path, cache: &Path, source: &Path, stamp: &str) -> Result<(), PrepareError> {
    let made = scratch(cache, "source")?;
    let out = Command::new("tar")
        .arg("-xJf")
        .arg(tarball)
        .arg("-C")
        .arg(&made)
        .args(["--strip-components=1", "--wildcards"])
        .args(EXTRACTED)
        .output()
        .map_err(|e| failed("running tar", e))?;
    if !out.status.success() {
        return Err(failed(
            format!("extracting {}", tarball.display()),
            String::from_utf8_lossy(&out.stderr).trim(),
        ));
    }
    // libbpf's Makefile generates bpf_helper_defs.h from the UAPI header.
    let helper_defs = made.join("tools/lib/bpf/bpf_helper_defs.h");
    let generated = Command::new("python3")
        .arg(made.join("scripts/bpf_doc.py"))
        .args(["--header", "--file"])
        .arg(made.join("tools/include/uapi/linux/bpf.h"))
        .output();
    match generated {
        Ok(out) if out.status.success() => std::fs::write(&helper_defs, out.stdout)
            .map_err(|e| failed("writing bpf_helper_defs.h", e))?,
        _ => {
            std::fs::copy("/usr/include/bpf/bpf_helper_defs.h", &helper_defs).map_err(|_| {
                PrepareError::Missing {
                    what: "python3 (for scripts/bpf_doc.py), or libbpf's bpf_helper_defs.h".into(),
                    package: "python3",
                }
            })?;
        }
    }
    publish(&made, source, stamp)
}
