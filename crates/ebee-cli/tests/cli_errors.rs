//! Bad input to the `ebee` binary: a clear message on stderr and a non-zero exit, never a
//! panic.

use std::process::Command;

const EBEE: &str = env!("CARGO_BIN_EXE_ebee");

fn ebee(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(EBEE).args(args).output().expect("ebee runs");
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).to_string();
    (
        out.status.code().unwrap_or(-1),
        text(out.stdout),
        text(out.stderr),
    )
}

fn write(name: &str, bytes: &[u8]) -> String {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_string_lossy().to_string()
}

#[test]
fn every_subcommand_has_help() {
    for sub in ["asm", "disasm", "run", "conformance-plugin"] {
        let (code, stdout, _) = ebee(&[sub, "--help"]);
        assert_eq!(code, 0, "{sub}");
        assert!(stdout.contains("Usage: ebee"), "{sub}: {stdout}");
    }
}

#[test]
fn bad_input_is_an_error_naming_what_and_where() {
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["run".into(), "/no/such/file".into()],
            "cannot read /no/such/file",
        ),
        (
            vec!["run".into(), write("odd.bin", &[0x95, 0, 0])],
            "not a multiple",
        ),
        (
            vec![
                "run".into(),
                write("unknown.bin", &[0xff, 0, 0, 0, 0, 0, 0, 0]),
            ],
            "instruction 0: unknown opcode 0xff",
        ),
        (
            vec![
                "run".into(),
                write("bad.s", b"mov %r0, 1\nmov %r11, 2\nexit\n"),
            ],
            "line 2",
        ),
        (
            vec![
                "run".into(),
                write("ok.s", b"mov %r0, 1\nexit\n"),
                "--mem".into(),
                "xyz".into(),
            ],
            "not a hex digit",
        ),
        (
            vec![
                "run".into(),
                write("ok2.s", b"mov %r0, 1\nexit\n"),
                "--repeat".into(),
                "0".into(),
            ],
            "--repeat",
        ),
        (
            vec![
                "run".into(),
                write("oob.s", b"ldxdw %r0, [%r1+64]\nexit\n"),
                "--mem".into(),
                "00".into(),
            ],
            "out-of-bounds read",
        ),
        (
            vec![
                "run".into(),
                write("loop.s", b"mov %r0, 0\nja -1\n"),
                "--budget".into(),
                "100".into(),
            ],
            "budget",
        ),
        (
            vec![
                "run".into(),
                write("corrupt.o", b"\x7fELF\x02\x01\x01garbage"),
            ],
            "not a readable 64-bit little-endian ELF",
        ),
        (
            vec![
                "asm".into(),
                write("asm_bad.s", b"frobnicate %r0\n"),
                "-o".into(),
                "/tmp/x.bin".into(),
            ],
            "line 1",
        ),
        (
            vec![
                "disasm".into(),
                write("dis_bad.bin", &[0x07, 0x10, 0, 0, 0, 0, 0, 0]),
            ],
            "reserved field `src`",
        ),
        (
            vec!["run".into(), "--no-such-flag".into()],
            "unexpected argument",
        ),
        (vec!["frobnicate".into()], "unrecognized subcommand"),
    ];
    for (args, expected) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, _, stderr) = ebee(&args);
        assert_ne!(code, 0, "{args:?} succeeded");
        assert_ne!(code, 101, "{args:?} panicked: {stderr}");
        assert!(
            stderr.contains(expected),
            "{args:?}: stderr {stderr:?} lacks {expected:?}"
        );
    }
}

#[test]
fn run_prints_retval_duration_and_json() {
    let program = write("add.s", b"mov %r0, %r2\nadd %r0, 1\nexit\n");
    let (code, stdout, _) = ebee(&[
        "run", &program, "--mem", "01 02 03", "--json", "--repeat", "5",
    ]);
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(json["retval"], 4);
    assert!(json["duration_ns"].is_u64());
    let (code, stdout, _) = ebee(&["run", &program]);
    assert_eq!(code, 0);
    assert!(stdout.contains("retval: 0x1 (1)"), "{stdout}");
    assert!(stdout.contains("ns/run"), "{stdout}");
}

/// `mov r0, 0x5eed`: the instruction the test object's program starts with.
const MOV_R0_5EED: [u8; 8] = [0xb7, 0x00, 0x00, 0x00, 0xed, 0x5e, 0x00, 0x00];

/// An XDP object (compiled with clang-19) whose program's first instruction has the unknown
/// opcode 0xff (no instruction) in place of `mov`.
fn object_with_unknown_opcode() -> String {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let source = dir.join("unknown_opcode.bpf.c");
    std::fs::write(
        &source,
        "__attribute__((section(\"xdp\"), used)) int prog(void *ctx) { return 0x5eed; }\n\
         char _license[] __attribute__((section(\"license\"), used)) = \"GPL\";\n",
    )
    .unwrap();
    let object = dir.join("unknown_opcode.bpf.o");
    let status = Command::new("clang-19")
        .args(["-O2", "-target", "bpf", "-c"])
        .arg(&source)
        .arg("-o")
        .arg(&object)
        .status()
        .expect("clang-19 runs (apt-get install clang-19; scripts/test.sh does)");
    assert!(status.success(), "clang-19 failed");
    let mut bytes = std::fs::read(&object).unwrap();
    let at: Vec<usize> = (0..bytes.len().saturating_sub(7))
        .filter(|&i| bytes[i..i + 8] == MOV_R0_5EED)
        .collect();
    assert_eq!(at.len(), 1, "`mov r0, 0x5eed` once in the object");
    bytes[at[0]] = 0xff;
    write("unknown_opcode.o", &bytes)
}

#[test]
fn errors_name_their_cause_once() {
    let raw = write(
        "unknown_second.bin",
        &[
            [0xb7, 0, 0, 0, 0, 0, 0, 0],
            [0xff, 0, 0, 0, 0, 0, 0, 0],
            [0x95, 0, 0, 0, 0, 0, 0, 0],
        ]
        .concat(),
    );
    let object = object_with_unknown_opcode();
    let cases = [
        (
            vec!["run", raw.as_str()],
            "instruction 1: unknown opcode 0xff",
        ),
        (vec!["disasm", &raw], "instruction 1: unknown opcode 0xff"),
        (vec!["run", &object], "instruction 0: unknown opcode 0xff"),
        (
            vec!["disasm", &object],
            "section xdp: instruction 0: unknown opcode 0xff",
        ),
        (
            vec!["prog", "list", &object],
            "instruction 0: unknown opcode 0xff",
        ),
    ];
    for (args, cause) in cases {
        let (code, _, stderr) = ebee(&args);
        assert_ne!(code, 0, "{args:?} succeeded");
        assert_ne!(code, 101, "{args:?} panicked: {stderr}");
        assert_eq!(
            stderr.matches(cause).count(),
            1,
            "{args:?}: {cause:?} not exactly once in {stderr:?}"
        );
        assert_eq!(
            stderr.matches("unknown opcode").count(),
            1,
            "{args:?}: {stderr:?}"
        );
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr:?}");
    }
}

#[test]
fn a_bad_env_file_names_the_file_and_field() {
    let program = write("env_ret0.asm", b"mov %r0, 0\nexit\n");
    let good = write(
        "env_good.json",
        br#"{"interfaces": [{"ifindex": 2, "mtu": 9000}]}"#,
    );
    let (code, _, stderr) = ebee(&["run", &program, "--env", &good]);
    assert_eq!(code, 0, "{stderr}");
    for (name, text, message) in [
        ("env_syntax.json", "{", "env_syntax.json: not JSON"),
        (
            "env_field.json",
            r#"{"routes": [{"destination": "10.0.0.0/8", "ifindex": 7}]}"#,
            "env_field.json: route 0 (10.0.0.0/8): no interface with ifindex 7",
        ),
        (
            "env_mac.json",
            r#"{"interfaces": [{"ifindex": 2, "mac": "zz"}]}"#,
            "env_mac.json: interfaces[0].mac: \"zz\" is not a MAC address",
        ),
    ] {
        let path = write(name, text.as_bytes());
        let (code, _, stderr) = ebee(&["run", &program, "--env", &path]);
        assert_ne!(code, 0, "{name}");
        assert!(stderr.contains(message), "{name}: {stderr}");
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    }
}
