//! Parser for the `.data` test files of the public BPF conformance suite.
//!
//! A file is a list of sections, each opened by a directive line `-- NAME`:
//!
//! | section | content |
//! | --- | --- |
//! | `-- asm` | assembly text for [`crate::assemble`], kept verbatim (comments included) |
//! | `-- raw` | bytecode: per line either one `0x`-prefixed 64-bit slot value (`0x5566778800000018`, little-endian as in memory) or space-separated hex bytes (`07 00 01 00 01 00 00 00`) |
//! | `-- mem` | the input memory: space-separated hex bytes, over any number of lines |
//! | `-- result` | the expected value of `r0`: `0x` hex (or decimal) |
//! | `-- error` | the expected error text; may be empty, meaning "some error" |
//! | `-- c` | the C source the program was compiled from: ignored |
//! | `-- no register offset` | a note for runners that pass memory without a length: ignored |
//!
//! Outside `-- asm`, lines starting with `#` are comments and blank lines are skipped. Any other
//! directive is an error ("unknown directive"), as is a repeated section or text before the
//! first section.

use crate::{assemble, decode_program, slots_from_bytes, IsaError, Validated};

/// One parsed conformance test file.
///
/// ```
/// use ebee_isa::ConformanceTest;
/// let test = ConformanceTest::parse("-- asm\nmov %r0, 1\nexit\n-- mem\naa bb\n-- result\n0x1\n")?;
/// assert_eq!(test.asm.as_deref(), Some("mov %r0, 1\nexit"));
/// assert_eq!(test.mem, [0xaa, 0xbb]);
/// assert_eq!(test.result, Some(1));
/// assert_eq!(test.program()?.len(), 2);
/// # Ok::<(), ebee_isa::IsaError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConformanceTest {
    /// The `-- asm` section, verbatim (line 1 of it is line 1 for [`crate::assemble`]'s errors).
    pub asm: Option<String>,
    /// The `-- raw` section as bytecode bytes.
    pub raw: Option<Vec<u8>>,
    /// The `-- mem` section: the input memory (empty when absent).
    pub mem: Vec<u8>,
    /// The `-- result` section: the expected `r0`.
    pub result: Option<u64>,
    /// The `-- error` section: the text the expected error must contain (may be empty).
    pub error: Option<String>,
}

/// The sections a file can have.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Section {
    Asm,
    Raw,
    Mem,
    Result,
    Error,
    Ignored,
}

impl ConformanceTest {
    /// Parses the text of a `.data` file. Errors are [`IsaError::ConformanceData`] with the
    /// 1-based line in the file.
    pub fn parse(text: &str) -> Result<ConformanceTest, IsaError> {
        let mut test = ConformanceTest::default();
        let mut seen: Vec<&str> = Vec::new();
        let mut section = None;
        let mut asm: Vec<&str> = Vec::new();
        let mut raw: Vec<u8> = Vec::new();
        let mut result: Vec<(usize, &str)> = Vec::new();
        let mut error: Vec<&str> = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            let fail = |message: String| IsaError::ConformanceData {
                line: number,
                message,
            };
            let directive = line
                .strip_prefix("-- ")
                .or(line.strip_prefix("--").filter(|d| d.trim().is_empty()));
            if let Some(directive) = directive {
                let name = directive.trim();
                let kind = match name {
                    "asm" => Section::Asm,
                    "raw" => Section::Raw,
                    "mem" => Section::Mem,
                    "result" => Section::Result,
                    "error" => Section::Error,
                    "c" | "no register offset" => Section::Ignored,
                    _ => return Err(fail(format!("unknown directive `{line}`"))),
                };
                if seen.contains(&name) {
                    return Err(fail(format!("duplicate section `{line}`")));
                }
                seen.push(name);
                section = Some(kind);
                continue;
            }
            if section == Some(Section::Asm) {
                asm.push(line);
                continue;
            }
            let content = line.trim();
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            match section {
                None => return Err(fail(format!("text before the first section: `{line}`"))),
                Some(Section::Raw) => raw.extend(parse_raw_line(content).map_err(fail)?),
                Some(Section::Mem) => {
                    for token in content.split_whitespace() {
                        test.mem.push(parse_byte(token).map_err(fail)?);
                    }
                }
                Some(Section::Result) => result.push((number, content)),
                Some(Section::Error) => error.push(content),
                Some(Section::Asm | Section::Ignored) => {}
            }
        }
        if seen.contains(&"asm") {
            test.asm = Some(asm.join("\n").trim_end().to_string());
        }
        if seen.contains(&"raw") {
            test.raw = Some(raw);
        }
        if seen.contains(&"error") {
            test.error = Some(error.join("\n"));
        }
        match result.as_slice() {
            [] => {}
            [(line, value)] => {
                test.result = Some(parse_u64(value).ok_or_else(|| IsaError::ConformanceData {
                    line: *line,
                    message: format!("invalid result `{value}`: expected 0x hex or decimal"),
                })?)
            }
            [_, (line, value), ..] => {
                return Err(IsaError::ConformanceData {
                    line: *line,
                    message: format!("more than one result value: `{value}`"),
                })
            }
        }
        Ok(test)
    }

    /// The program under test, validated: the `-- raw` bytecode when present (the suite's
    /// runner prefers it), else the assembled `-- asm` text. Fails with
    /// [`IsaError::EmptyProgram`] when the file has neither.
    pub fn program(&self) -> Result<Validated, IsaError> {
        match (&self.raw, &self.asm) {
            (Some(raw), _) => decode_program(&slots_from_bytes(raw)?),
            (None, Some(asm)) => assemble(asm),
            (None, None) => Err(IsaError::EmptyProgram),
        }
    }
}

/// One `-- raw` line: a single `0x` slot value, or hex bytes.
fn parse_raw_line(content: &str) -> Result<Vec<u8>, String> {
    let tokens: Vec<&str> = content.split_whitespace().collect();
    if let [slot] = tokens.as_slice() {
        if let Some(digits) = slot.strip_prefix("0x") {
            if digits.len() > 2 {
                return parse_hex(digits)
                    .filter(|_| digits.len() <= 16)
                    .map(|value| value.to_le_bytes().to_vec())
                    .ok_or_else(|| format!("invalid raw slot `{slot}`"));
            }
        }
    }
    tokens.iter().map(|token| parse_byte(token)).collect()
}

/// A hex byte, `aa` or `0xaa`.
fn parse_byte(token: &str) -> Result<u8, String> {
    let digits = token.strip_prefix("0x").unwrap_or(token);
    parse_hex(digits)
        .filter(|_| digits.len() <= 2)
        .and_then(|value| u8::try_from(value).ok())
        .ok_or_else(|| format!("invalid hex byte `{token}`"))
}

fn parse_hex(digits: &str) -> Option<u64> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(digits, 16).ok()
}

fn parse_u64(text: &str) -> Option<u64> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(digits) => parse_hex(digits),
        None if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => text.parse().ok(),
        None => None,
    }
}
