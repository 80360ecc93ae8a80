//! Reading programs and memory from the command line's files and hex strings.

use anyhow::{bail, Context, Result};
use ebee_isa::Validated;
use std::path::Path;

/// The ELF magic number.
const ELF_MAGIC: &[u8] = b"\x7fELF";

/// Whether the file at `path` is an ELF object (by its magic number).
pub fn is_elf(path: &Path) -> Result<bool> {
    let mut magic = [0u8; 4];
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    use std::io::Read;
    let n = file
        .read(&mut magic)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(n == 4 && magic == *ELF_MAGIC)
}

/// Reads a raw program: assembly (`.s`/`.asm`) or little-endian bytecode.
pub fn read_program(path: &Path) -> Result<Validated> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if matches!(path.extension().and_then(|e| e.to_str()), Some("s" | "asm")) {
        let text = String::from_utf8(bytes)
            .with_context(|| format!("{}: assembly is not UTF-8 text", path.display()))?;
        return ebee_isa::assemble(&text).with_context(|| path.display().to_string());
    }
    decode(&bytes).with_context(|| path.display().to_string())
}

/// Decodes and validates raw bytecode.
pub fn decode(bytes: &[u8]) -> Result<Validated> {
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
