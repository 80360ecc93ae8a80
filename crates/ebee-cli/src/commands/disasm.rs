//! `ebee disasm`: print a program in LLVM (`llvm-objdump -d`) or conformance-suite syntax.

use crate::input::decode;
use anyhow::{Context, Result};
use clap::ValueEnum;
use ebee_isa::{disassemble_conformance, LlvmCpu, LlvmDisassembler, LlvmSection};
use std::path::PathBuf;
use std::process::ExitCode;

/// Disassemble raw bytecode, or every executable section of an ELF object.
#[derive(clap::Args)]
pub struct Args {
    /// Raw little-endian bytecode, or a BPF ELF object.
    file: PathBuf,
    /// Output syntax.
    #[arg(long, value_enum, default_value_t = Syntax::Llvm)]
    syntax: Syntax,
    /// LLVM syntax only: print as `llvm-objdump --mcpu=v3` does (`w` registers for 32-bit
    /// loads and stores) instead of plain `llvm-objdump -d`.
    #[arg(long)]
    alu32: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Syntax {
    /// `r0 = *(u32 *)(r1 + 0x4)`, as `llvm-objdump-19 -d` prints.
    Llvm,
    /// `ldxw %r0, [%r1+4]`, the conformance-suite assembler's syntax (`ebee asm` reads it).
    Conformance,
}

pub fn main(args: Args) -> Result<ExitCode> {
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let cpu = if args.alu32 {
        LlvmCpu::Alu32
    } else {
        LlvmCpu::Generic
    };
    if !bytes.starts_with(b"\x7fELF") {
        let program = decode(&bytes).with_context(|| args.file.display().to_string())?;
        match args.syntax {
            Syntax::Llvm => print!(
                "{}",
                LlvmDisassembler { cpu, section: None }.program(&program)
            ),
            Syntax::Conformance => print!("{}", disassemble_conformance(&program)),
        }
        return Ok(ExitCode::SUCCESS);
    }
    // The object's errors name the section and instruction; the context adds the file.
    let file = || args.file.display().to_string();
    let object = ebee_object::ElfObject::parse(&bytes).with_context(file)?;
    for section in object.code_sections() {
        let program = section.decode().with_context(file)?;
        match args.syntax {
            Syntax::Llvm => {
                let symbols = section.symbols.iter().map(|s| (s.name.as_str(), s.offset));
                let layout = LlvmSection::new(section.name.as_str(), symbols);
                let printer = LlvmDisassembler {
                    cpu,
                    section: Some(&layout),
                };
                print!("{}", printer.objdump_listing(&program));
            }
            Syntax::Conformance => {
                println!("# section {}", section.name);
                print!("{}", disassemble_conformance(&program));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
