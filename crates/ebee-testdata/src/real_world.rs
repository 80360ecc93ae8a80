//! The real-world corpus: every BPF object the project can reach without a network, with what
//! `ebee prog list` ([`ebee::Engine::list_programs`]) and Linux (through libbpf) do with it.
//!
//! * [`prepare`] gathers the objects: those Debian packages install (xdp-tools, xdp-tests,
//!   the cilium/ebpf Go sources' test objects), and the kernel source tree's programs
//!   (`tools/testing/selftests/bpf/progs/*.c`, `samples/bpf`'s `*.bpf.c` and legacy
//!   `*_kern.c`) compiled with clang-19 against `vmlinux.h` of the running kernel, as their
//!   Makefiles compile them, into the cache beside [`crate::kernel_selftests`]'s (which
//!   extracts the tree and writes `vmlinux.h`). Files that do not compile are entries too.
//! * [`ebee_listing`] lists an object's programs as `ebee prog list` does; a panic is caught
//!   and reported as [`EbeeResult::Panicked`].
//! * [`Corpus::linux_results`] loads every object with libbpf, the oracle: the tree's own
//!   libbpf (1.5), built into the cache with `real_world/libbpf_load.c`, independent of
//!   ebee's parser.
//! * [`table_row`] writes an object's line of `real_world/objects.txt` (format: the README
//!   there); [`parse_row`] reads one back, with the reason a person gave for an object Linux
//!   loads and ebee does not list.
//!
//! ```no_run
//! let corpus = ebee_testdata::real_world::prepare()?;
//! let linux = corpus.linux_results()?;
//! for (entry, linux) in corpus.entries.iter().zip(&linux) {
//!     let ebee = entry.path().map(ebee_testdata::real_world::ebee_listing);
//!     println!("{}: {ebee:?} {linux:?}", entry.name);
//! }
//! # Ok::<(), ebee_testdata::kernel_selftests::PrepareError>(())
//! ```

use std::path::{Path, PathBuf};

use ebee_object::ObjectError;

use crate::kernel_selftests::{cache_dir, one_line, PrepareError};

mod libbpf;
mod sources;

/// One object of the corpus, or a source file that did not compile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The stable name (`selftests/progs/foo.bpf.o`, `samples/bpf/xdp1_kern.o`,
    /// `xdp-tools/xdpfilt_alw_all.o`).
    pub name: String,
    /// The object, or clang's first error.
    pub object: Result<PathBuf, String>,
}

impl Entry {
    /// The object file, when there is one.
    pub fn path(&self) -> Option<&Path> {
        self.object.as_deref().ok()
    }
}

/// The corpus.
#[derive(Clone, Debug)]
pub struct Corpus {
    /// Every entry, sorted by name.
    pub entries: Vec<Entry>,
    source: crate::kernel_selftests::build::Source,
    dir: PathBuf,
}

/// Gathers the corpus: the installed objects, and the tree's programs compiled into
/// `real-world/` of [`cache_dir`] (reused while its stamp matches: the tarball, clang's
/// version, the kernel's BTF, the flags).
///
/// # Errors
///
/// [`PrepareError::Missing`] naming the package when a package the corpus includes, the
/// kernel source, clang-19 or bpftool is not installed; [`PrepareError::Failed`] when a
/// build step or the file system fails.
pub fn prepare() -> Result<Corpus, PrepareError> {
    let mut entries = Vec::new();
    for installed in sources::INSTALLED {
        for (name, path) in sources::installed(installed)? {
            entries.push(Entry {
                name,
                object: Ok(path),
            });
        }
    }
    let source = crate::kernel_selftests::build::prepare_source()?;
    let dir = cache_dir().join("real-world");
    let compiled = sources::compile(&source, &dir)?;
    entries.extend(compiled.objects.into_iter().map(|(name, path)| Entry {
        name,
        object: Ok(path),
    }));
    entries.extend(compiled.failures.into_iter().map(|(name, error)| Entry {
        name,
        object: Err(error),
    }));
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Corpus {
        entries,
        source,
        dir,
    })
}

impl Corpus {
    /// What Linux does with each entry (in [`Corpus::entries`]' order): every object is
    /// loaded by libbpf ([`LinuxResult::Loads`], [`LinuxResult::Refuses`]); entries that did
    /// not compile are [`LinuxResult::NotCompiled`]. Needs `bpf()` (see
    /// [`ebee_kernel::availability`]).
    ///
    /// # Errors
    ///
    /// When the loader cannot be built (`libelf-dev` or `zlib1g-dev` missing).
    pub fn linux_results(&self) -> Result<Vec<LinuxResult>, PrepareError> {
        let loader = libbpf::build_loader(&self.source, &self.dir)?;
        let objects: Vec<(&str, &Path)> = self
            .entries
            .iter()
            .filter_map(|e| Some((e.name.as_str(), e.path()?)))
            .collect();
        let mut loaded = libbpf::load_all(&loader, &objects).into_iter();
        Ok(self
            .entries
            .iter()
            .map(|e| match e.path() {
                Some(_) => loaded
                    .next()
                    .unwrap_or_else(|| LinuxResult::Refuses("not run".into())),
                None => LinuxResult::NotCompiled,
            })
            .collect())
    }
}

/// What `ebee prog list` does with an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EbeeResult {
    /// It lists this many programs.
    Lists(usize),
    /// It fails: the error's class ([`error_class`]) and message.
    Fails {
        /// `not-elf`, `relocation`, `btf`, … (see [`error_class`]).
        class: &'static str,
        /// The message, on one line.
        message: String,
    },
    /// It panicked (a bug), with the panic's message.
    Panicked(String),
}

/// Lists the programs of the object at `path` as `ebee prog list` does (parse, then
/// [`ebee::Engine::list_programs`] of a default engine), catching panics.
pub fn ebee_listing(path: &Path) -> EbeeResult {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            return EbeeResult::Fails {
                class: "io",
                message: e.to_string(),
            }
        }
    };
    let listed = std::panic::catch_unwind(|| {
        let engine = ebee::Engine::new();
        let builder = engine.open(&bytes)?;
        engine.list_programs(builder.spec()).map(|l| l.len())
    });
    match listed {
        Ok(Ok(count)) => EbeeResult::Lists(count),
        Ok(Err(error)) => EbeeResult::Fails {
            class: error_class(&error),
            message: one_line(&error.to_string()),
        },
        Err(panic) => EbeeResult::Panicked(one_line(
            panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("a panic without a message"),
        )),
    }
}

/// The class of a listing error, one word: the [`ObjectError`] variant (`not-elf`,
/// `not-bpf`, `section`, `symbol`, `decode`, `btf`, `map`, `relocation`, `link`,
/// `linked-code`, `core`), else `ebee` for an error of ebee itself.
pub fn error_class(error: &ebee::Error) -> &'static str {
    let ebee::Error::Object(error) = error else {
        return "ebee";
    };
    match error {
        ObjectError::NotElf { .. } => "not-elf",
        ObjectError::NotBpf { .. } => "not-bpf",
        ObjectError::Section { .. } => "section",
        ObjectError::Symbol { .. } => "symbol",
        ObjectError::Decode { .. } => "decode",
        ObjectError::Btf { .. } => "btf",
        ObjectError::Map { .. } => "map",
        ObjectError::Relocation { .. } => "relocation",
        ObjectError::Link { .. } => "link",
        ObjectError::LinkedCode { .. } => "linked-code",
        ObjectError::Core { .. } => "core",
        _ => "object",
    }
}

/// What Linux, through libbpf, does with an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinuxResult {
    /// libbpf loads it: `loaded/programs` (programs libbpf does not load by default, those of
    /// `SEC("?…")`, are not loaded).
    Loads(String),
    /// libbpf or the kernel refuses it: libbpf's first message, and the verifier's complaint.
    Refuses(String),
    /// The source did not compile.
    NotCompiled,
}

/// One line of the table, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The entry's name.
    pub name: String,
    /// ebee's field (`lists 3`, `relocation: …`), or `not compiled: …`.
    pub ebee: String,
    /// Linux's field (`loads 3/3`, `refuses: …`), empty for a file that did not compile.
    pub linux: String,
    /// Why ebee does not list an object Linux loads, as a person wrote it.
    pub why: Option<String>,
}

impl Row {
    /// Whether Linux loads the object and ebee does not list it.
    pub fn is_gap(&self) -> bool {
        self.linux.starts_with("loads ") && !self.ebee.starts_with("lists ")
    }
}

/// The table line of an entry: `name | ebee: E | linux: L [| why: W]`, or `name | not
/// compiled: <clang's first error>`. `why` is carried over from the checked-in table.
pub fn table_row(
    entry: &Entry,
    ebee: Option<&EbeeResult>,
    linux: &LinuxResult,
    why: Option<&str>,
) -> String {
    let (Some(ebee), Ok(_)) = (ebee, &entry.object) else {
        let error = entry.object.as_ref().err().map_or("", String::as_str);
        return format!("{} | not compiled: {}", entry.name, one_line(error));
    };
    let ebee = match ebee {
        EbeeResult::Lists(n) => format!("lists {n}"),
        EbeeResult::Fails { class, message } => format!("{class}: {message}"),
        EbeeResult::Panicked(message) => format!("panic: {message}"),
    };
    let linux = match linux {
        LinuxResult::Loads(count) => format!("loads {count}"),
        LinuxResult::Refuses(reason) => format!("refuses: {}", one_line(reason)),
        LinuxResult::NotCompiled => "not compiled".to_owned(),
    };
    let mut row = format!("{} | ebee: {ebee} | linux: {linux}", entry.name);
    if let Some(why) = why {
        row.push_str(&format!(" | why: {why}"));
    }
    row
}

/// Parses a table line (comments and blank lines are `None`).
pub fn parse_row(line: &str) -> Option<Row> {
    if line.starts_with('#') || line.trim().is_empty() {
        return None;
    }
    let (name, rest) = line.split_once(" | ")?;
    if let Some(error) = rest.strip_prefix("not compiled: ") {
        return Some(Row {
            name: name.to_owned(),
            ebee: format!("not compiled: {error}"),
            linux: String::new(),
            why: None,
        });
    }
    let rest = rest.strip_prefix("ebee: ")?;
    let (ebee, rest) = rest.split_once(" | linux: ")?;
    let (linux, why) = match rest.split_once(" | why: ") {
        Some((linux, why)) => (linux, Some(why.to_owned())),
        None => (rest, None),
    };
    Some(Row {
        name: name.to_owned(),
        ebee: ebee.to_owned(),
        linux: linux.to_owned(),
        why,
    })
}
