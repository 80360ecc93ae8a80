//! Where the corpus's objects come from: the BPF objects Debian packages install, and the
//! programs of the kernel source tree compiled into the cache ([`compile`]), two clang-19
//! jobs at a time, with the flags of the Makefiles that build them.

use std::path::{Path, PathBuf};

use crate::kernel_selftests::build::{
    failed, publish, scratch, stamp_matches, PrepareError, Source, CFLAGS, SELFTESTS_DIR,
};
use crate::kernel_selftests::compile::{
    compile_parallel, selftest_includes, selftest_sources, write_vmlinux_h, Job,
};

/// A directory of compiled BPF objects a Debian package installs.
pub(super) struct Installed {
    /// The name prefix in the table (`xdp-tools`).
    pub(super) prefix: &'static str,
    /// The directory.
    pub(super) dir: &'static str,
    /// How the objects' names end.
    pub(super) suffix: &'static str,
    /// The package.
    pub(super) package: &'static str,
}

/// Every Debian 12 package found to ship compiled BPF objects (`dpkg -c` of the candidates
/// `apt-cache search bpf`/`xdp` lists; libbpf-tools and bpftrace embed theirs in binaries).
pub(super) const INSTALLED: &[Installed] = &[
    Installed {
        prefix: "xdp-tools",
        dir: crate::scenarios::XDP_TOOLS_BPF_DIR,
        suffix: ".o",
        package: "xdp-tools",
    },
    Installed {
        prefix: "xdp-tests",
        dir: "/usr/libexec/xdp-tools",
        suffix: ".o",
        package: "xdp-tests",
    },
    Installed {
        prefix: "cilium-ebpf/testdata",
        dir: "/usr/share/gocode/src/github.com/cilium/ebpf/testdata",
        suffix: ".elf",
        package: "golang-github-cilium-ebpf-dev",
    },
    Installed {
        prefix: "cilium-ebpf/btf/testdata",
        dir: "/usr/share/gocode/src/github.com/cilium/ebpf/btf/testdata",
        suffix: ".elf",
        package: "golang-github-cilium-ebpf-dev",
    },
];

/// The objects of an installed directory as (table name, path), in name order.
pub(super) fn installed(what: &Installed) -> Result<Vec<(String, PathBuf)>, PrepareError> {
    let entries = std::fs::read_dir(what.dir).map_err(|_| PrepareError::Missing {
        what: what.dir.to_owned(),
        package: what.package,
    })?;
    let mut objects: Vec<(String, PathBuf)> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter_map(|path| {
            let name = path.file_name()?.to_str()?.to_owned();
            name.ends_with(what.suffix)
                .then(|| (format!("{}/{name}", what.prefix), path))
        })
        .collect();
    objects.sort();
    Ok(objects)
}

/// `samples/bpf`'s `*.bpf.c` rule: vmlinux.h-based, as its Makefile compiles them.
const SAMPLES_BPF_CFLAGS: &[&str] = &[
    "-g",
    "-O2",
    "--target=bpf",
    "-D__TARGET_ARCH_x86",
    "-Wno-compare-distinct-pointer-types",
];

/// `samples/bpf`'s `%.o: %.c` rule for the legacy programs, with `--target=bpf` in place of
/// its `clang -emit-llvm | opt | llc -march=bpf` pipeline (the same code generator).
const SAMPLES_LEGACY_CFLAGS: &[&str] = &[
    "-O2",
    "-g",
    "--target=bpf",
    "-fno-stack-protector",
    "-D__KERNEL__",
    "-D__BPF_TRACING__",
    "-D__TARGET_ARCH_x86",
    "-Wno-unused-value",
    "-Wno-pointer-sign",
    "-Wno-compare-distinct-pointer-types",
    "-Wno-gnu-variable-sized-type-not-at-end",
    "-Wno-address-of-packed-member",
    "-Wno-tautological-compare",
    "-Wno-unknown-warning-option",
    "-include",
    "asm_goto_workaround.h",
];

/// Bumped whenever what [`compile`] makes changes.
const RECIPE: &str = "real-world recipe 1";

/// The compiled part of the corpus.
pub(super) struct Compiled {
    /// (table name, object) of every file that compiled.
    pub(super) objects: Vec<(String, PathBuf)>,
    /// (table name, clang's first error) of every file that did not.
    pub(super) failures: Vec<(String, String)>,
}

const FAILURES: &str = "compile-failures.tsv";

/// The legacy programs `samples/bpf/Makefile` builds (its `always-y` objects that are not
/// `.bpf.o`), as file stems.
fn legacy_samples(makefile: &str) -> Vec<String> {
    let mut stems: Vec<String> = makefile
        .lines()
        .filter_map(|l| l.strip_prefix("always-y += "))
        .flat_map(str::split_whitespace)
        .filter(|o| o.ends_with(".o") && !o.ends_with(".bpf.o"))
        .map(|o| o.trim_end_matches(".o").to_owned())
        .collect();
    stems.sort();
    stems.dedup();
    stems
}

/// Compiles `progs/*.c` of the selftests and `samples/bpf` into `dir` (reused when its stamp
/// matches), and reads back what compiled.
pub(super) fn compile(source: &Source, dir: &Path) -> Result<Compiled, PrepareError> {
    let stamp = format!(
        "{RECIPE}\n{}{}\n{}\n{}\n",
        source.stamp,
        CFLAGS.join(" "),
        SAMPLES_BPF_CFLAGS.join(" "),
        SAMPLES_LEGACY_CFLAGS.join(" ")
    );
    if !stamp_matches(dir, &stamp) {
        let cache = dir.parent().unwrap_or(dir);
        let made = scratch(cache, "real-world")?;
        build(source, &made)?;
        publish(&made, dir, &stamp)?;
    }
    read(dir)
}

fn build(source: &Source, made: &Path) -> Result<(), PrepareError> {
    let tree = &source.tree;
    let include = made.join("include");
    write_vmlinux_h(source.bpftool, &include)?;
    for sub in ["selftests/progs", "samples/bpf"] {
        std::fs::create_dir_all(made.join(sub))
            .map_err(|e| failed("creating an output directory", e))?;
    }
    let selftest_includes = selftest_includes(tree, &include);
    let samples = tree.join("samples/bpf");
    let bpf_includes = [
        include.clone(),
        tree.join("include"),
        samples.clone(),
        tree.join("tools/include"),
        tree.join("tools/lib"),
    ];
    let legacy_includes = [
        samples.clone(),
        tree.join(SELFTESTS_DIR),
        tree.join("tools/lib"),
        tree.join("arch/x86/include/uapi"),
        tree.join("include/uapi"),
        tree.join("include"),
        tree.join("tools/include/uapi"),
    ];
    // The table name of each job.
    let mut names: Vec<String> = Vec::new();
    let mut jobs: Vec<Job<'_>> = Vec::new();
    for src in selftest_sources(tree, |_| true)? {
        let stem = stem(&src, ".c");
        let name = format!("selftests/progs/{stem}.bpf.o");
        let out = made.join(&name);
        jobs.push(job(src, out, CFLAGS, &selftest_includes));
        names.push(name);
    }
    let mut bpf_sources: Vec<PathBuf> = std::fs::read_dir(&samples)
        .map_err(|e| failed(format!("listing {}", samples.display()), e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".bpf.c"))
        .collect();
    bpf_sources.sort();
    for src in bpf_sources {
        let name = format!("samples/bpf/{}.bpf.o", stem(&src, ".bpf.c"));
        let out = made.join(&name);
        jobs.push(job(src, out, SAMPLES_BPF_CFLAGS, &bpf_includes));
        names.push(name);
    }
    let makefile = std::fs::read_to_string(samples.join("Makefile"))
        .map_err(|e| failed("reading samples/bpf/Makefile", e))?;
    for stem in legacy_samples(&makefile) {
        let name = format!("samples/bpf/{stem}.o");
        let out = made.join(&name);
        let src = samples.join(format!("{stem}.c"));
        jobs.push(job(src, out, SAMPLES_LEGACY_CFLAGS, &legacy_includes));
        names.push(name);
    }
    let results = compile_parallel(&jobs);
    let mut failures: Vec<String> = names
        .iter()
        .zip(results)
        .filter_map(|(name, r)| r.err().map(|e| format!("{name}\t{e}\n")))
        .collect();
    failures.sort();
    std::fs::write(made.join(FAILURES), failures.concat())
        .map_err(|e| failed("writing the compile failures", e))
}

fn job<'a>(src: PathBuf, out: PathBuf, flags: &'a [&'a str], includes: &'a [PathBuf]) -> Job<'a> {
    Job {
        src,
        out,
        flags,
        includes,
    }
}

fn stem(path: &Path, suffix: &str) -> String {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    name.trim_end_matches(suffix).to_owned()
}

fn read(dir: &Path) -> Result<Compiled, PrepareError> {
    let mut objects = Vec::new();
    for sub in ["selftests/progs", "samples/bpf"] {
        let entries = std::fs::read_dir(dir.join(sub))
            .map_err(|e| failed(format!("listing {}", dir.join(sub).display()), e))?;
        for path in entries.filter_map(|entry| entry.ok().map(|e| e.path())) {
            if let Some(file) = path.file_name().and_then(|n| n.to_str()) {
                objects.push((format!("{sub}/{file}"), path.clone()));
            }
        }
    }
    objects.sort();
    let failures = std::fs::read_to_string(dir.join(FAILURES))
        .map_err(|e| failed("reading the compile failures", e))?
        .lines()
        .filter_map(|line| line.split_once('\t'))
        .map(|(name, error)| (name.to_owned(), error.to_owned()))
        .collect();
    Ok(Compiled { objects, failures })
}

#[cfg(test)]
mod tests {
    use super::legacy_samples;

    #[test]
    fn legacy_samples_are_the_makefiles_non_bpf_o_objects() {
        let makefile = "tprogs-y += x\nalways-y += sockex1_kern.o\nalways-y += tracex1.bpf.o\n\
                        always-y += parse_varlen.o parse_simple.o\n";
        assert_eq!(
            legacy_samples(makefile),
            ["parse_simple", "parse_varlen", "sockex1_kern"]
        );
    }
}
