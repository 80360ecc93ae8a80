//! Reading programs and memory from the command line's files and hex strings.

use anyhow::{bail, Context, Result};
use ebee_isa::Instruction;
use std::path::Path;

/// The ELF magic number.
const ELF_MAGIC: &[u8] = b"\x7fELF";

/// Reads a program: an ELF object (its executable section `section`, or the first that is not
/// `.text`),
/// assembly (`.s`/`.asm`), or raw little-endian bytecode.
pub fn read_program(path: &Path, section: Option<&str>) -> Result<Vec<Instruction>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let program = if bytes.starts_with(ELF_MAGIC) {
        let object = ebee_object::ElfObject::parse(&bytes)
            .with_context(|| format!("{}: not a BPF ELF object", path.display()))?;
        let code = object.code_sections();
        let chosen = match section {
            Some(name) => code.iter().find(|s| s.name == name),
            None => code.iter().find(|s| s.name != ".text").or(code.first()),
        };
        let Some(chosen) = chosen else {
            bail!(
                "{}: no executable section {}",
                path.display(),
                section.map_or("other than .text".to_string(), |s| format!("named {s}"))
            );
        };
        // Strict decoding: a call into another section (an unlinked .text subprogram) is an
        // error here, since running needs the linked program.
        decode(&chosen.bytes)
            .with_context(|| format!("{} section {}", path.display(), chosen.name))?
    } else if matches!(path.extension().and_then(|e| e.to_str()), Some("s" | "asm")) {
        let text = String::from_utf8(bytes)
            .with_context(|| format!("{}: assembly is not UTF-8 text", path.display()))?;
        ebee_isa::assemble(&text).with_context(|| path.display().to_string())?
    } else {
        decode(&bytes).with_context(|| path.display().to_string())?
    };
    Ok(program)
}

/// Decodes and validates raw bytecode.
pub fn decode(bytes: &[u8]) -> Result<Vec<Instruction>> {
    Ok(ebee_isa::decode_program(&ebee_isa::slots_from_bytes(
        bytes,
    )?)?)
}

/// Parses hex bytes: `"aa bb 0c"`, `"aabb0c"` or with `0x` prefixes; whitespace is ignored.
pub fn parse_hex(text: &str) -> Result<Vec<u8>> {
    let mut digits = String::new();
    for token in text.split_whitespace() {
        digits.push_str(token.strip_prefix("0x").unwrap_or(token));
    }
    if let Some((at, bad)) = digits.char_indices().find(|(_, c)| !c.is_ascii_hexdigit()) {
        bail!("`{bad}` at hex digit {at} is not a hex digit");
    }
    if !digits.len().is_multiple_of(2) {
        bail!("hex input has an odd number of digits ({})", digits.len());
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| {
            let pair = &digits[i..i + 2];
            u8::from_str_radix(pair, 16).with_context(|| format!("`{pair}` is not a hex byte"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::parse_hex;

    #[test]
    fn hex_forms() {
        assert_eq!(parse_hex("aa bb 0c").unwrap(), [0xaa, 0xbb, 0x0c]);
        assert_eq!(parse_hex("0xaabb").unwrap(), [0xaa, 0xbb]);
        assert!(parse_hex("abc").is_err());
        assert!(parse_hex("zz").is_err());
        assert!(parse_hex("é1").is_err());
        assert!(parse_hex("aé1").is_err());
    }
}
