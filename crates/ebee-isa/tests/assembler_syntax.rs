//! Targeted checks of the conformance assembler syntax and of the `.data` parser.

use ebee_isa::{assemble, encode_program, slots_to_bytes, ConformanceTest, IsaError, Op};

fn bytes(text: &str) -> Vec<u8> {
    let program = assemble(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    slots_to_bytes(&encode_program(&program))
}

fn error(text: &str) -> (usize, String) {
    match assemble(text) {
        Err(IsaError::Asm { line, message }) => (line, message),
        other => panic!("{text:?}: expected an assembly error, got {other:?}"),
    }
}

const EXIT: [u8; 8] = [0x95, 0, 0, 0, 0, 0, 0, 0];

#[test]
fn encodes_each_operand_form() {
    let cases: &[(&str, [u8; 8])] = &[
        ("mov32 %r0, -3", [0xb4, 0x00, 0, 0, 0xfd, 0xff, 0xff, 0xff]),
        ("ldxdw %r0, [%r1+2]", [0x79, 0x10, 2, 0, 0, 0, 0, 0]),
        ("ldxsb %r2, [%r10-8]", [0x91, 0xa2, 0xf8, 0xff, 0, 0, 0, 0]),
        (
            "stw [%r1], 0xffffffff",
            [0x62, 0x01, 0, 0, 0xff, 0xff, 0xff, 0xff],
        ),
        ("stxdw [%r10-8], %r1", [0x7b, 0x1a, 0xf8, 0xff, 0, 0, 0, 0]),
        ("be16 %r0", [0xdc, 0x00, 0, 0, 16, 0, 0, 0]),
        ("le32 %r0", [0xd4, 0x00, 0, 0, 32, 0, 0, 0]),
        ("bswap64 %r0", [0xd7, 0x00, 0, 0, 64, 0, 0, 0]),
        ("swap16 %r0", [0xd7, 0x00, 0, 0, 16, 0, 0, 0]),
        ("movsx832 %r2, %r1", [0xbc, 0x12, 8, 0, 0, 0, 0, 0]),
        ("sdiv %r1, %r2", [0x3f, 0x21, 1, 0, 0, 0, 0, 0]),
        ("smod32 %r1, 3", [0x94, 0x01, 1, 0, 3, 0, 0, 0]),
        ("neg %r0", [0x87, 0x00, 0, 0, 0, 0, 0, 0]),
        ("call 5", [0x85, 0x00, 0, 0, 5, 0, 0, 0]),
        ("call %r2", [0x8d, 0x02, 0, 0, 0, 0, 0, 0]),
        (
            "lock add [%r10-8], %r1",
            [0xdb, 0x1a, 0xf8, 0xff, 0x00, 0, 0, 0],
        ),
        (
            "lock fetch add32 [%r10-4], %r1",
            [0xc3, 0x1a, 0xfc, 0xff, 0x01, 0, 0, 0],
        ),
        ("lock xchg [%r1], %r2", [0xdb, 0x21, 0, 0, 0xe1, 0, 0, 0]),
        (
            "lock cmpxchg32 [%r1+4], %r2",
            [0xc3, 0x21, 4, 0, 0xf1, 0, 0, 0],
        ),
        ("jeq32 %r1, %r2, +0", [0x1e, 0x21, 0, 0, 0, 0, 0, 0]),
        ("ja +0", [0x05, 0, 0, 0, 0, 0, 0, 0]),
        ("ja32 +0", [0x06, 0, 0, 0, 0, 0, 0, 0]),
        ("ldabsw 12", [0x20, 0x00, 0, 0, 12, 0, 0, 0]),
        (
            "ldabsh -0x100000",
            [0x28, 0x00, 0, 0, 0x00, 0x00, 0xf0, 0xff],
        ),
        (
            "ldabsb 0xffffffff",
            [0x30, 0x00, 0, 0, 0xff, 0xff, 0xff, 0xff],
        ),
        ("ldindw %r7, 0", [0x40, 0x70, 0, 0, 0, 0, 0, 0]),
        ("ldindh %r1, -2", [0x48, 0x10, 0, 0, 0xfe, 0xff, 0xff, 0xff]),
        ("ldindb %r10, 3", [0x50, 0xa0, 0, 0, 3, 0, 0, 0]),
    ];
    for (text, expected) in cases {
        assert_eq!(
            bytes(&format!("{text}\nexit")),
            [*expected, EXIT].concat(),
            "{text}"
        );
    }
    let lddw = bytes("lddw %r0, 0x1122334455667788\nexit");
    assert_eq!(
        &lddw[..16],
        [0x18, 0, 0, 0, 0x88, 0x77, 0x66, 0x55, 0, 0, 0, 0, 0x44, 0x33, 0x22, 0x11]
    );
}

#[test]
fn labels_count_slots_and_exit_names_the_first_exit() {
    let program = assemble(
        "  ja over   # skip the lddw\n lddw %r0, 1\nover: jne %r0, 0, exit\n\
         call local func\n exit\nfunc:\n mov %r0, 2\n exit",
    )
    .unwrap();
    assert_eq!(program[0].off, 2, "lddw is two slots");
    assert_eq!(program[2].off, 1, "`exit` is the first exit");
    assert_eq!((program[3].op, program[3].imm), (Op::CallLocal, 1));

    let own = assemble("ja exit\nexit:\nmov %r0, 1\nexit").unwrap();
    assert_eq!(own[0].off, 0, "an explicit exit: label wins");
}

#[test]
fn immediates_and_offsets_must_fit() {
    for ok in [
        "2147483647",
        "-2147483648",
        "0xffffffff",
        "-0x80000000",
        "+5",
    ] {
        assert!(assemble(&format!("mov %r0, {ok}\nexit")).is_ok(), "{ok}");
    }
    for bad in [
        "2147483648",
        "-2147483649",
        "0x100000000",
        "4294967295",
        "1e3",
        "0x",
        "--1",
    ] {
        let (line, message) = error(&format!("mov %r0, {bad}\nexit"));
        assert_eq!(line, 1);
        assert!(message.contains(bad), "{message}");
    }
    assert!(assemble("ldxb %r0, [%r1+0xffff]\nexit").is_ok());
    assert!(assemble("ldxb %r0, [%r1-32768]\nexit").is_ok());
    assert!(error("ldxb %r0, [%r1+32768]\nexit").1.contains("32768"));
    assert!(error("ldxb %r0, [%r1-0x8001]\nexit").1.contains("0x8001"));
    assert!(assemble("lddw %r0, 0xffffffffffffffff\nexit").is_ok());
    assert!(error("lddw %r0, 0x10000000000000000\nexit")
        .1
        .contains("out of range"));
}

#[test]
fn errors_name_line_and_text() {
    assert_eq!(
        error("mov %r0, 1\nfoo %r0\nexit"),
        (2, "Invalid mnemonic: foo".into())
    );
    assert_eq!(error("exit\nmov %r11, 1\nexit").1, "Invalid register: %r11");
    assert_eq!(error("x:\nx:\nexit").0, 2);
    assert!(error("mov %r10, 1\nexit").1.contains("`mov %r10, 1`"));
    assert!(error("mov %r0, 1").1.contains("fall off the end"));
    assert!(error("ja far\nexit").1.contains("Invalid label: far"));
    assert!(error("mov %r0 1\nexit")
        .1
        .contains("Invalid number of operands for mov"));
    assert!(error("lock\nexit")
        .1
        .contains("Invalid number of operands for lock"));
    assert!(matches!(assemble(""), Err(IsaError::Asm { .. })));
    assert_eq!(
        error("ldabsw %r1\nexit").1,
        "ldabsw: expected a number or label, found `%r1`"
    );
    assert_eq!(
        error("ldindw 12\nexit").1,
        "Invalid number of operands for ldindw: expected 2, found 1"
    );
    assert!(error("ldindb %r1, %r2\nexit").1.contains("found `%r2`"));
}

/// The legacy packet loads print back to what assembles to the same bytes.
#[test]
fn legacy_packet_loads_round_trip() {
    let text = "ldabsw 12\nldabsh 0xfff00000\nldindb %r3, 0\nldindw %r1, -4\nexit\n";
    let program = assemble(text).unwrap();
    assert_eq!(ebee_isa::disassemble_conformance(&program), text);
    assert_eq!(
        ebee_isa::disassemble_llvm(&program),
        "r0 = *(u32 *)skb[0xc]\nr0 = *(u16 *)skb[-0x100000]\nr0 = *(u8 *)skb[r3]\n\
         r0 = *(u32 *)skb[r1]\nexit\n"
    );
}

#[test]
fn data_files_parse_every_section() {
    let text = "# header\n-- c\nint main() {}\n-- asm\n# comment kept\nexit\n\n-- raw\n\
                0x0000000000000095\n95 00 00 00 00 00 00 00\n-- mem\n00 01\nff\n\
                -- result\n0x10\n-- no register offset\nnote\n-- error\nbad thing\n";
    let test = ConformanceTest::parse(text).unwrap();
    assert_eq!(test.asm.as_deref(), Some("# comment kept\nexit"));
    assert_eq!(test.raw, Some([EXIT, EXIT].concat()));
    assert_eq!(test.mem, [0, 1, 0xff]);
    assert_eq!(test.result, Some(16));
    assert_eq!(test.error.as_deref(), Some("bad thing"));
    assert_eq!(test.program().unwrap().len(), 2);

    let failures = [
        ("-- asm\nexit\n-- bogus\n", 3, "unknown directive"),
        ("stray\n-- asm\n", 1, "before the first section"),
        ("-- mem\nzz\n", 2, "`zz`"),
        ("-- raw\n0x1g\n", 2, "`0x1g`"),
        ("-- result\nseven\n", 2, "`seven`"),
        ("-- result\n1\n2\n", 3, "more than one"),
        ("-- asm\n-- asm\n", 2, "duplicate"),
    ];
    for (text, want_line, want) in failures {
        match ConformanceTest::parse(text) {
            Err(IsaError::ConformanceData { line, message }) => {
                assert_eq!(line, want_line, "{text:?}");
                assert!(message.contains(want), "{text:?}: {message}");
            }
            other => panic!("{text:?}: {other:?}"),
        }
    }
    assert_eq!(
        ConformanceTest::parse("# only\n").unwrap().program(),
        Err(IsaError::EmptyProgram)
    );
}
