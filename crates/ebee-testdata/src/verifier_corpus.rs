//! The verifier corpus: small programs in the conformance suite's assembly syntax, each with
//! the verdict Linux's verifier gives it (checked against the running kernel by
//! `tests/verifier_corpus_kernel.rs`), for judging any verifier by. The format is described
//! in `verifier_corpus/README.md`; [`load_all`] reads every file of that directory.
//!
//! ```
//! let cases = ebee_testdata::verifier_corpus::load_all()?;
//! assert!(cases.len() >= 200);
//! let case = &cases[0];
//! let slots = case.slots()?; // map references still carry the index into `case.maps`
//! println!("{} ({}): {} slots, {:?}", case.name, case.category, slots.len(), case.expect);
//! # Ok::<(), ebee_testdata::verifier_corpus::CorpusError>(())
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use ebee_abi::attach_type::ATTACH_TYPES;
use ebee_abi::flags::{BPF_F_ANY_ALIGNMENT, BPF_F_SLEEPABLE, BPF_F_STRICT_ALIGNMENT};
use ebee_abi::prog_type::PROG_TYPES;
use ebee_abi::MapType;
use ebee_isa::Insn;

mod btf;

pub use btf::spin_lock_value_btf;

/// The directory of the checked-in corpus files.
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("verifier_corpus")
}

/// One program and the kernel's verdict on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// Unique name (lower case, digits and `_`).
    pub name: String,
    /// The file stem the case is in (`uninit_regs`).
    pub category: String,
    /// The file's one-line description of the category.
    pub category_title: String,
    /// The file it was read from and the line of its `==` header.
    pub file: PathBuf,
    /// 1-based line of the case's `==` header.
    pub line: usize,
    /// `BPF_PROG_TYPE_*`.
    pub prog_type: u32,
    /// The expected attach type (`BPF_*` of `enum bpf_attach_type`; 0 when not given).
    pub attach_type: u32,
    /// `BPF_PROG_LOAD` flags (`BPF_F_STRICT_ALIGNMENT`, …).
    pub prog_flags: u32,
    /// Which loader the verdict is for.
    pub privilege: Privilege,
    /// The maps the program references; `lddw_map_fd %rN, I` names `maps[I]`.
    pub maps: Vec<MapDef>,
    /// The program.
    pub source: Source,
    /// What the kernel says.
    pub expect: Verdict,
}

/// Which capabilities the loader has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Privilege {
    /// Root: every capability (`allow_ptr_leaks`, no Spectre mitigations).
    Privileged,
    /// `CAP_BPF` and `CAP_NET_ADMIN` without `CAP_PERFMON` and `CAP_SYS_ADMIN`: the kernel's
    /// `allow_ptr_leaks`, `allow_uninit_stack` and `bypass_spec_v1`/`v4` are off, as for an
    /// unprivileged loader, while bounded loops and bpf-to-bpf calls stay allowed.
    NoPerfmon,
}

/// A map a case creates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapDef {
    /// Name (for the kernel's map name and messages).
    pub name: String,
    /// Map type.
    pub map_type: MapType,
    /// Key size in bytes.
    pub key_size: u32,
    /// Value size in bytes.
    pub value_size: u32,
    /// Maximum entries.
    pub max_entries: u32,
    /// `BPF_F_*` map flags.
    pub map_flags: u32,
    /// The value starts with a `struct bpf_spin_lock` (the map gets the BTF of
    /// [`spin_lock_value_btf`]).
    pub spin_lock: bool,
}

/// The program text of a case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Conformance-suite assembly and the line of the file it starts on.
    Asm {
        /// The assembly.
        text: String,
        /// 1-based line of its first line in the file.
        first_line: usize,
    },
    /// Raw 8-byte slots (programs the assembler refuses to build: r10 writes, jumps into
    /// `lddw`), as little-endian `u64`s in the kernel's `struct bpf_insn` layout.
    Raw(Vec<u64>),
}

/// The kernel's verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Loads.
    Accept,
    /// Refused; the verifier log (or the load's error) contains `message`.
    Reject {
        /// Substring of the kernel's log identifying the reason.
        message: String,
    },
}

/// A corpus file that cannot be read, naming file and line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorpusError {
    /// The file.
    pub file: PathBuf,
    /// 1-based line (0 for the file as a whole).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for CorpusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

impl std::error::Error for CorpusError {}

impl Case {
    /// The program's slots, with map references still holding the index into
    /// [`Case::maps`] (a loader replaces them with fds).
    ///
    /// # Errors
    ///
    /// The assembler's error, at the line of the file.
    pub fn slots(&self) -> Result<Vec<Insn>, CorpusError> {
        match &self.source {
            Source::Raw(slots) => Ok(slots
                .iter()
                .map(|s| Insn::from_bytes(s.to_le_bytes()))
                .collect()),
            Source::Asm { text, first_line } => match ebee_isa::assemble(text) {
                Ok(program) => Ok(ebee_isa::encode_program(&program)),
                Err(ebee_isa::IsaError::Asm { line, message }) => Err(CorpusError {
                    file: self.file.clone(),
                    line: first_line + line - 1,
                    message: format!("case `{}`: {message}", self.name),
                }),
                Err(e) => Err(CorpusError {
                    file: self.file.clone(),
                    line: *first_line,
                    message: format!("case `{}`: {e}", self.name),
                }),
            },
        }
    }

    /// `file:line` of the case, for messages.
    pub fn location(&self) -> String {
        format!("{}:{}", self.file.display(), self.line)
    }
}

/// Reads every `*.txt` file of [`corpus_dir`], in file name order.
///
/// # Errors
///
/// The first file that cannot be read or parsed, or a case name used twice.
pub fn load_all() -> Result<Vec<Case>, CorpusError> {
    load_dir(&corpus_dir())
}

/// Reads every `*.txt` file of `dir`, in file name order; names must be unique across them.
///
/// # Errors
///
/// As [`load_all`].
pub fn load_dir(dir: &Path) -> Result<Vec<Case>, CorpusError> {
    let whole = |message: String| CorpusError {
        file: dir.to_owned(),
        line: 0,
        message,
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| whole(format!("cannot list the corpus directory: {e}")))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    let mut cases: Vec<Case> = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).map_err(|e| CorpusError {
            file: file.clone(),
            line: 0,
            message: format!("cannot read: {e}"),
        })?;
        for case in parse(&file, &text)? {
            if let Some(first) = cases.iter().find(|c| c.name == case.name) {
                return Err(CorpusError {
                    file: case.file.clone(),
                    line: case.line,
                    message: format!(
                        "case name `{}` already used at {}",
                        case.name,
                        first.location()
                    ),
                });
            }
            cases.push(case);
        }
    }
    Ok(cases)
}

/// Parses one corpus file (`file` names it in errors; its stem is the category).
///
/// ```
/// use ebee_testdata::verifier_corpus::{parse, Verdict};
/// let text = "category: reading registers nothing wrote\n\
///             == r2_unset\ntype: socket_filter\nexpect: reject R2 !read_ok\n--\nmov %r0, %r2\nexit\n";
/// let cases = parse(std::path::Path::new("uninit.txt"), text)?;
/// assert_eq!(cases[0].expect, Verdict::Reject { message: "R2 !read_ok".into() });
/// assert_eq!(cases[0].category, "uninit");
/// # Ok::<(), ebee_testdata::verifier_corpus::CorpusError>(())
/// ```
///
/// # Errors
///
/// A [`CorpusError`] at the offending line: a missing `category:` line, unknown keys, program
/// or attach types, map types, malformed numbers, a case without `type:` or `expect:`, or
/// assembly the assembler refuses.
pub fn parse(file: &Path, text: &str) -> Result<Vec<Case>, CorpusError> {
    let fail = |line: usize, message: String| CorpusError {
        file: file.to_owned(),
        line,
        message,
    };
    let category = file
        .file_stem()
        .and_then(|s| s.to_str())
        .ok_or_else(|| fail(0, "file name is not UTF-8".into()))?
        .to_owned();
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l)).peekable();
    let mut title = None;
    let mut cases = Vec::new();
    while let Some((number, line)) = lines.next() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix("category:") {
            if title.is_some() {
                return Err(fail(number, "a second `category:` line".into()));
            }
            title = Some(rest.trim().to_owned());
            continue;
        }
        let Some(name) = trimmed.strip_prefix("==") else {
            return Err(fail(
                number,
                format!("expected `== NAME` to start a case, found `{trimmed}`"),
            ));
        };
        let Some(title) = title.clone() else {
            return Err(fail(
                number,
                "the file must start with a `category:` line".into(),
            ));
        };
        let mut body = Vec::new();
        while let Some(&(_, next)) = lines.peek() {
            if next.trim_start().starts_with("==") {
                break;
            }
            body.extend(lines.next());
        }
        cases.push(parse_case(
            file,
            &category,
            &title,
            number,
            name.trim(),
            &body,
        )?);
    }
    Ok(cases)
}

fn parse_case(
    file: &Path,
    category: &str,
    title: &str,
    header: usize,
    name: &str,
    body: &[(usize, &str)],
) -> Result<Case, CorpusError> {
    let fail = |line: usize, message: String| CorpusError {
        file: file.to_owned(),
        line,
        message: format!("case `{name}`: {message}"),
    };
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(fail(
            header,
            "names are lower-case letters, digits and `_`".into(),
        ));
    }
    let mut prog_type = None;
    let mut attach_type = 0;
    let mut prog_flags = 0;
    let mut privilege = Privilege::Privileged;
    let mut maps = Vec::new();
    let mut expect = None;
    let mut rest = body.iter();
    let mut raw = false;
    for &(number, line) in rest.by_ref() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line == "--" || line == "-- asm" {
            break;
        }
        if line == "-- raw" {
            raw = true;
            break;
        }
        let Some((key, value)) = line.split_once(':') else {
            return Err(fail(
                number,
                format!("expected `key: value` or `--`, found `{line}`"),
            ));
        };
        let value = value.trim();
        match key.trim() {
            "type" => {
                prog_type = Some(
                    named(PROG_TYPES, value)
                        .ok_or_else(|| fail(number, format!("unknown program type `{value}`")))?,
                )
            }
            "attach" => {
                attach_type = named(ATTACH_TYPES, value)
                    .ok_or_else(|| fail(number, format!("unknown attach type `{value}`")))?
            }
            "flags" => {
                for flag in value.split_whitespace() {
                    prog_flags |= match flag {
                        "strict_alignment" => BPF_F_STRICT_ALIGNMENT,
                        "any_alignment" => BPF_F_ANY_ALIGNMENT,
                        "sleepable" => BPF_F_SLEEPABLE,
                        other => return Err(fail(number, format!("unknown program flag `{other}` (strict_alignment, any_alignment, sleepable)"))),
                    };
                }
            }
            "mode" => {
                privilege = match value {
                    "priv" => Privilege::Privileged,
                    "unpriv" => Privilege::NoPerfmon,
                    other => {
                        return Err(fail(
                            number,
                            format!("unknown mode `{other}` (priv, unpriv)"),
                        ))
                    }
                }
            }
            "map" => maps.push(parse_map(value).map_err(|m| fail(number, m))?),
            "expect" => {
                expect = Some(match value.split_once(char::is_whitespace) {
                    None if value == "accept" => Verdict::Accept,
                    Some(("reject", message)) if !message.trim().is_empty() => Verdict::Reject {
                        message: message.trim().to_owned(),
                    },
                    _ => {
                        return Err(fail(
                            number,
                            format!("expected `accept` or `reject MESSAGE`, found `{value}`"),
                        ))
                    }
                })
            }
            other => {
                return Err(fail(
                    number,
                    format!("unknown key `{other}` (type, attach, flags, mode, map, expect)"),
                ))
            }
        }
    }
    let program: Vec<(usize, &str)> = rest.copied().collect();
    let Some(&(first_line, _)) = program.first() else {
        return Err(fail(header, "no program (put it after a `--` line)".into()));
    };
    let source = if raw {
        let mut slots = Vec::new();
        for &(number, line) in &program {
            let code = line.split('#').next().unwrap_or_default().trim();
            if code.is_empty() {
                continue;
            }
            let hex = code.strip_prefix("0x").ok_or_else(|| {
                fail(
                    number,
                    format!("raw slots are 0x-prefixed hex, found `{code}`"),
                )
            })?;
            slots.push(
                u64::from_str_radix(hex, 16).map_err(|e| fail(number, format!("`{code}`: {e}")))?,
            );
        }
        Source::Raw(slots)
    } else {
        let text: Vec<&str> = program.iter().map(|&(_, l)| l).collect();
        Source::Asm {
            text: text.join("\n"),
            first_line,
        }
    };
    let case = Case {
        name: name.to_owned(),
        category: category.to_owned(),
        category_title: title.to_owned(),
        file: file.to_owned(),
        line: header,
        prog_type: prog_type.ok_or_else(|| fail(header, "no `type:` line".into()))?,
        attach_type,
        prog_flags,
        privilege,
        maps,
        source,
        expect: expect.ok_or_else(|| fail(header, "no `expect:` line".into()))?,
    };
    let slots = case.slots()?;
    for (pc, slot) in slots.iter().enumerate() {
        let pseudo_map = slot.opcode == 0x18
            && (slot.src == ebee_abi::pseudo::BPF_PSEUDO_MAP_FD
                || slot.src == ebee_abi::pseudo::BPF_PSEUDO_MAP_VALUE);
        if pseudo_map && usize::try_from(slot.imm).map_or(true, |i| i >= case.maps.len()) {
            return Err(fail(
                header,
                format!(
                    "slot {pc} references map {} but the case defines {}",
                    slot.imm,
                    case.maps.len()
                ),
            ));
        }
    }
    Ok(case)
}

/// The value of `name` in a `kernel_enum!` table of ebee-abi.
fn named(table: &[(u32, &str)], name: &str) -> Option<u32> {
    table.iter().find(|(_, n)| *n == name).map(|&(v, _)| v)
}

/// `NAME TYPE key=K value=V entries=N [flags=F] [spin_lock]`.
fn parse_map(text: &str) -> Result<MapDef, String> {
    let mut words = text.split_whitespace();
    let name = words
        .next()
        .ok_or("a map needs a name and a type")?
        .to_owned();
    let type_name = words.next().ok_or("a map needs a type after its name")?;
    let map_type = MapType::ALL
        .iter()
        .copied()
        .find(|t| t.name() == type_name)
        .ok_or_else(|| {
            format!("unknown map type `{type_name}` (bpftool's names: hash, array, ringbuf, …)")
        })?;
    let mut map = MapDef {
        name,
        map_type,
        key_size: 0,
        value_size: 0,
        max_entries: 0,
        map_flags: 0,
        spin_lock: false,
    };
    for word in words {
        if word == "spin_lock" {
            map.spin_lock = true;
            continue;
        }
        let (key, value) = word
            .split_once('=')
            .ok_or_else(|| format!("expected key=value, found `{word}`"))?;
        let number = parse_u32(value).ok_or_else(|| format!("`{word}`: not a 32-bit number"))?;
        match key {
            "key" => map.key_size = number,
            "value" => map.value_size = number,
            "entries" => map.max_entries = number,
            "flags" => map.map_flags = number,
            other => {
                return Err(format!(
                    "unknown map attribute `{other}` (key, value, entries, flags, spin_lock)"
                ))
            }
        }
    }
    Ok(map)
}

fn parse_u32(text: &str) -> Option<u32> {
    match text.strip_prefix("0x") {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

#[cfg(test)]
mod tests;
