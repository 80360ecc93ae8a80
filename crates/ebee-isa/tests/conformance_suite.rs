//! The assembler, disassembler and `.data` parser against every file of the public BPF
//! conformance suite (checked out as `shared/conformance`, a sibling of the repository).

use std::fs;
use std::path::{Path, PathBuf};

use ebee_isa::{
    assemble, decode_program, disassemble_conformance, encode_program, slots_from_bytes,
    slots_to_bytes, ConformanceTest, IsaError,
};

const SUITE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/conformance");

/// Number of positive tests in `tests/`; a change in the suite must be noticed.
const POSITIVE_COUNT: usize = 313;

/// Negative files that every static stage accepts: they fail only when run, and the VM's
/// conformance test checks them.
const REJECTED_AT_RUN_TIME: &[(&str, &str)] = &[
    (
        "error.data",
        "`or %r0, %r10` is valid bytecode; it reads r0 before anything wrote it",
    ),
    (
        "incorrect_return_value_high_bits.data",
        "valid program whose `-- result` deliberately mismatches the value it returns",
    ),
];

/// Negative files rejected by the `.data` parser before their `-- error` section is read, so
/// that section's text cannot be compared.
const REJECTED_BEFORE_ERROR_SECTION: &[(&str, &str)] =
    &[("invalid_unknown_directive.data", "unknown directive")];

fn data_files(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(SUITE).join(dir);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "data"))
        .collect();
    files.sort();
    files
}

fn name(path: &Path) -> String {
    path.file_name()
        .expect("file name")
        .to_string_lossy()
        .into_owned()
}

fn bytes_of(program: &[ebee_isa::Instruction]) -> Vec<u8> {
    slots_to_bytes(&encode_program(program))
}

#[test]
fn every_positive_test_assembles_and_round_trips() {
    let files = data_files("tests");
    assert_eq!(files.len(), POSITIVE_COUNT, "number of files in tests/");
    let mut with_raw = 0;
    for path in &files {
        let file = name(path);
        let text = fs::read_to_string(path).expect("readable");
        let test = ConformanceTest::parse(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(test.error.is_none(), "{file}: positive test with -- error");
        assert!(test.result.is_some(), "{file}: no -- result");
        let asm = test
            .asm
            .as_deref()
            .unwrap_or_else(|| panic!("{file}: no asm"));
        let program = assemble(asm).unwrap_or_else(|e| panic!("{file}: {e}"));
        let bytes = bytes_of(&program);
        if let Some(raw) = &test.raw {
            with_raw += 1;
            assert_eq!(&bytes, raw, "{file}: assembled bytes differ from -- raw");
        }
        assert_eq!(test.program().map(|p| bytes_of(&p)), Ok(bytes.clone()));

        let text = disassemble_conformance(&program);
        let again = assemble(&text).unwrap_or_else(|e| panic!("{file}: {e}\n{text}"));
        assert_eq!(
            bytes_of(&again),
            bytes,
            "{file}: round trip differs:\n{text}"
        );
        assert_eq!(disassemble_conformance(&again), text, "{file}");
    }
    assert!(with_raw >= 1, "the -- raw comparison never ran");
}

/// Runs the static stages on a negative file: parse, then assemble or decode. `Ok` means every
/// stage accepted it.
fn static_stages(text: &str) -> Result<(), IsaError> {
    let test = ConformanceTest::parse(text)?;
    match (&test.raw, &test.asm) {
        (Some(raw), _) => decode_program(&slots_from_bytes(raw)?).map(drop),
        (None, Some(asm)) => assemble(asm).map(drop),
        (None, None) => Err(IsaError::EmptyProgram),
    }
}

#[test]
fn every_negative_test_is_rejected() {
    let files = data_files("negative");
    assert!(files.len() >= 50, "negative/ looks incomplete");
    let mut accepted = Vec::new();
    let mut before_error_section = Vec::new();
    for path in &files {
        let file = name(path);
        let text = fs::read_to_string(path).expect("readable");
        let err = match static_stages(&text) {
            Ok(()) => {
                accepted.push(file);
                continue;
            }
            Err(err) => err,
        };
        let message = err.to_string();
        match ConformanceTest::parse(&text) {
            Ok(test) => {
                if let Some(expected) = test.error {
                    assert!(
                        message.contains(&expected),
                        "{file}: error `{message}` does not contain `{expected}`"
                    );
                }
            }
            Err(_) => before_error_section.push((file, message)),
        }
    }
    let expected: Vec<&str> = REJECTED_AT_RUN_TIME.iter().map(|(f, _)| *f).collect();
    assert_eq!(
        accepted, expected,
        "negative files accepted by every static stage"
    );
    assert_eq!(
        before_error_section.len(),
        REJECTED_BEFORE_ERROR_SECTION.len()
    );
    for ((file, message), (want_file, want_text)) in before_error_section
        .iter()
        .zip(REJECTED_BEFORE_ERROR_SECTION)
    {
        assert_eq!(file, want_file);
        assert!(message.contains(want_text), "{file}: {message}");
    }
}

#[test]
fn negative_assembly_errors_name_the_problem() {
    let cases: &[(&str, &str)] = &[
        (
            "invalid_imm32_dec_range.data",
            "`2147483648` is out of range",
        ),
        (
            "invalid_imm32_hex_range.data",
            "`0x100000000` is out of range",
        ),
        ("invalid_label.data", "Invalid label: NOT_A_LABEL"),
        ("invalid_lock.data", "Invalid number of operands for lock"),
        ("invalid_lock2.data", "Invalid number of operands for lock"),
        ("invalid_mnemonic.data", "Invalid mnemonic: ldxq"),
        ("invalid_offset.data", "expected a memory operand"),
        ("invalid_offset_range.data", "`+0x10000` is out of range"),
        (
            "invalid_operand_count.data",
            "Invalid number of operands for lddw",
        ),
        ("invalid_register.data", "Invalid register: %r50"),
        ("empty.data", "no instructions"),
        ("empty_instructions.data", "no instructions"),
        ("unused-exit-imm.data", "reserved field `imm`"),
    ];
    for (file, expected) in cases {
        let path = Path::new(SUITE).join("negative").join(file);
        let text = fs::read_to_string(&path).expect("readable");
        let message = static_stages(&text).expect_err(file).to_string();
        assert!(message.contains(expected), "{file}: `{message}`");
    }
}
