//! Shared by the integration tests: compiles the project's C test programs
//! (`tests/bpf/*.bpf.c`) with clang-19, runs the LLVM 19 tools, and compares texts line by line.
//!
//! The compiled objects go to a directory under `CARGO_TARGET_TMPDIR`; no `.o` file is kept in
//! the source tree. When a tool is missing the tests fail (never pass silently), saying what to
//! install.
#![allow(dead_code)] // Not every test binary uses every helper.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use ebee_isa::{LlvmCpu, LlvmDisassembler, LlvmSection};
use ebee_object::ElfObject;

/// The C compiler for BPF.
pub const CLANG: &str = "clang-19";
/// The disassembler ebee's LLVM syntax is checked against.
pub const LLVM_OBJDUMP: &str = "llvm-objdump-19";
/// The assembler used to wrap raw instruction bytes in an ELF object.
pub const LLVM_MC: &str = "llvm-mc-19";

const INSTALL_HINT: &str = "install clang-19, llvm-19 and libbpf-dev \
     (`apt-get install clang-19 llvm-19 libbpf-dev`; CI installs them)";

/// Runs `tool` with `args`, failing the test with an install hint when the tool is missing and
/// with its output when it fails.
pub fn run(tool: &str, args: &[&str]) -> Output {
    let output = match Command::new(tool).args(args).output() {
        Ok(output) => output,
        Err(e) => panic!("cannot run {tool} ({e}): {INSTALL_HINT}"),
    };
    assert!(
        output.status.success(),
        "{tool} {} failed ({}):\n{}\n(if headers or tools are missing: {INSTALL_HINT})",
        args.join(" "),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A compiled test program.
pub struct BpfProgram {
    /// File stem, e.g. `maps` for `tests/bpf/maps.bpf.c`.
    pub name: String,
    /// The object file clang wrote.
    pub object: PathBuf,
}

/// A fresh directory for this test binary's outputs.
pub fn out_dir(what: &str) -> PathBuf {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{}-{what}", env!("CARGO_CRATE_NAME")));
    std::fs::create_dir_all(&dir).expect("create the test output directory");
    dir
}

/// Compiles every `tests/bpf/*.bpf.c` (once per test binary) with
/// `clang-19 -O2 -g -target bpf -mcpu=v4`, in name order.
pub fn bpf_programs() -> &'static [BpfProgram] {
    static PROGRAMS: OnceLock<Vec<BpfProgram>> = OnceLock::new();
    PROGRAMS.get_or_init(|| {
        let source_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bpf");
        let out = out_dir("bpf");
        let mut sources: Vec<PathBuf> = std::fs::read_dir(&source_dir)
            .expect("read tests/bpf")
            .map(|entry| entry.expect("list tests/bpf").path())
            .filter(|path| path.to_string_lossy().ends_with(".bpf.c"))
            .collect();
        sources.sort();
        assert!(
            sources.len() >= 4,
            "expected the C programs in {source_dir:?}"
        );
        sources
            .iter()
            .map(|source| {
                let file = source.file_name().unwrap().to_string_lossy();
                let name = file.trim_end_matches(".bpf.c").to_string();
                let object = out.join(format!("{name}.bpf.o"));
                let (source_arg, object_arg) = (source.to_string_lossy(), object.to_string_lossy());
                run(
                    CLANG,
                    &[
                        "-O2",
                        "-g",
                        "-target",
                        "bpf",
                        "-mcpu=v4",
                        "-I/usr/include/x86_64-linux-gnu",
                        "-c",
                        &source_arg,
                        "-o",
                        &object_arg,
                    ],
                );
                BpfProgram { name, object }
            })
            .collect()
    })
}

/// `llvm-objdump-19 -d` of `object` (with `--mcpu=v4` for [`LlvmCpu::Alu32`]).
pub fn llvm_objdump(object: &Path, cpu: LlvmCpu) -> String {
    let path = object.to_string_lossy();
    let mut args = vec!["-d", &*path];
    if cpu == LlvmCpu::Alu32 {
        args.push("--mcpu=v4");
    }
    String::from_utf8(run(LLVM_OBJDUMP, &args).stdout).expect("llvm-objdump prints UTF-8")
}

/// What ebee prints for `llvm-objdump -d` of `object`: the file heading, then the listing of
/// every code section.
pub fn ebee_objdump(object: &Path, cpu: LlvmCpu) -> String {
    let parsed = ElfObject::read(object).unwrap_or_else(|e| panic!("{e}"));
    let mut out = format!("\n{}:\tfile format elf64-bpf\n", object.display());
    for section in parsed.code_sections() {
        let program = section.decode().unwrap_or_else(|e| panic!("{e}"));
        let symbols = section.symbols.iter().map(|s| (s.name.as_str(), s.offset));
        let llvm_section = LlvmSection::new(section.name.as_str(), symbols);
        let llvm = LlvmDisassembler {
            cpu,
            section: Some(&llvm_section),
        };
        out.push_str(&llvm.objdump_listing(&program));
    }
    out
}

/// True for an instruction line of a 32-bit atomic other than a plain add (opcode 0xc3 with a
/// non-zero imm): plain `llvm-objdump -d` prints `<unknown>` for these, or a plain add for a
/// fetch-and-add, where ebee prints what `--mcpu=v3` prints.
fn is_known_generic_difference(line: &str) -> bool {
    let Some(bytes) = line.split('\t').nth(1) else {
        return false;
    };
    let bytes: Vec<&str> = bytes.split(' ').collect();
    bytes.len() == 8 && bytes[0] == "c3" && bytes[4..] != ["00", "00", "00", "00"]
}

/// Compares ebee's output for `object` with llvm-objdump's, in both CPU settings. For the
/// generic CPU, the lines of [`is_known_generic_difference`] must equal `--mcpu=v4`'s instead.
/// Returns how many such lines there were.
pub fn check_against_llvm_objdump(object: &Path) -> usize {
    let alu32 = llvm_objdump(object, LlvmCpu::Alu32);
    assert_same_lines(
        &format!("{} (--mcpu=v4)", object.display()),
        &alu32,
        &ebee_objdump(object, LlvmCpu::Alu32),
    );
    let generic = llvm_objdump(object, LlvmCpu::Generic);
    let (generic_lines, alu32_lines): (Vec<&str>, Vec<&str>) =
        (generic.lines().collect(), alu32.lines().collect());
    assert_eq!(
        generic_lines.len(),
        alu32_lines.len(),
        "{}",
        object.display()
    );
    let mut substituted = 0;
    let mut expected = String::new();
    for (line, alu32_line) in generic_lines.iter().zip(&alu32_lines) {
        if is_known_generic_difference(line) {
            substituted += 1;
            expected.push_str(alu32_line);
        } else {
            expected.push_str(line);
        }
        expected.push('\n');
    }
    if !generic.ends_with('\n') {
        expected.pop();
    }
    assert_same_lines(
        &format!("{} (generic CPU)", object.display()),
        &expected,
        &ebee_objdump(object, LlvmCpu::Generic),
    );
    substituted
}

/// Fails with a line-by-line diff when `ours` differs from `expected`.
pub fn assert_same_lines(what: &str, expected: &str, ours: &str) {
    if expected == ours {
        return;
    }
    let (expected_lines, our_lines): (Vec<&str>, Vec<&str>) =
        (expected.lines().collect(), ours.lines().collect());
    let mut report = String::new();
    let mut differences = 0;
    for i in 0..expected_lines.len().max(our_lines.len()) {
        let (theirs, ours) = (expected_lines.get(i), our_lines.get(i));
        if theirs != ours {
            differences += 1;
            if differences <= 30 {
                report.push_str(&format!(
                    "line {}:\n  llvm-objdump: {}\n  ebee:         {}\n",
                    i + 1,
                    theirs.map_or("(no line)".into(), |l| format!("{l:?}")),
                    ours.map_or("(no line)".into(), |l| format!("{l:?}")),
                ));
            }
        }
    }
    if differences == 0 {
        report.push_str("the texts differ only in their final newline\n");
    }
    panic!("{what}: ebee differs from llvm-objdump-19 in {differences} lines:\n{report}");
}

/// The compiled object of `tests/bpf/{name}.bpf.c`.
pub fn bpf_object(name: &str) -> &'static Path {
    bpf_programs()
        .iter()
        .find(|p| p.name == name)
        .map(|p| p.object.as_path())
        .unwrap_or_else(|| panic!("no tests/bpf/{name}.bpf.c"))
}

/// Where Debian installs the BPF objects of xdp-tools and libxdp.
pub const XDP_TOOLS_DIR: &str = "/usr/lib/x86_64-linux-gnu/bpf";

/// The xdp-tools and libxdp objects this machine has; fails with an install hint when
/// xdp-tools is missing.
pub fn xdp_tools_objects() -> Vec<PathBuf> {
    let mut objects: Vec<PathBuf> = std::fs::read_dir(XDP_TOOLS_DIR)
        .map(|dir| {
            dir.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "o"))
                .collect()
        })
        .unwrap_or_default();
    objects.sort();
    assert!(
        objects.iter().any(|p| p.ends_with("xdpfilt_alw_all.o")),
        "no xdp-tools objects in {XDP_TOOLS_DIR}: install xdp-tools (`apt-get install xdp-tools`; \
         scripts/test.sh does)"
    );
    objects
}

/// Compiles C source text (a small test case written inline in a test) like the programs of
/// `tests/bpf`, returning the object file.
pub fn compile_c(name: &str, source: &str) -> PathBuf {
    let dir = out_dir("inline");
    let (c, o) = (
        dir.join(format!("{name}.bpf.c")),
        dir.join(format!("{name}.bpf.o")),
    );
    std::fs::write(&c, source).expect("write the C source");
    let (c_arg, o_arg) = (c.to_string_lossy(), o.to_string_lossy());
    run(
        CLANG,
        &[
            "-O2",
            "-g",
            "-target",
            "bpf",
            "-mcpu=v4",
            "-I/usr/include/x86_64-linux-gnu",
            "-c",
            &c_arg,
            "-o",
            &o_arg,
        ],
    );
    o
}
