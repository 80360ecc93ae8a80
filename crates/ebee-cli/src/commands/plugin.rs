//! `ebee conformance-plugin`: the plugin protocol of the public BPF conformance runner.

use crate::input::{decode, parse_hex};
use anyhow::{Context, Result};
use ebee_vm::Memory;
use std::io::Read;
use std::process::ExitCode;

/// Run one program the way the bpf_conformance runner drives a plugin: the program as hex
/// bytes on stdin (or --program), input memory as hex bytes in the first argument; r1 points at
/// the memory and r2 holds its length; prints r0 in hex.
#[derive(clap::Args)]
pub struct Args {
    /// Input memory as hex bytes ("aa bb cc"); empty when omitted.
    memory: Option<String>,
    /// Run in the interpreter.
    #[arg(long, conflicts_with = "jit")]
    interpret: bool,
    /// Run with the JIT (the default where the build has it).
    #[arg(long)]
    jit: bool,
    /// The program as hex bytes instead of reading it from stdin.
    #[arg(long)]
    program: Option<String>,
}

pub fn main(args: Args) -> Result<ExitCode> {
    let backend = match (args.interpret, args.jit) {
        (true, _) => ebee::Backend::Interpreter,
        (_, true) => ebee::Backend::Jit,
        _ => ebee::Backend::default(),
    };
    let program_hex = match args.program {
        Some(hex) => hex,
        None => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("cannot read the program from stdin")?;
            text
        }
    };
    let bytecode = parse_hex(&program_hex).context("program")?;
    let mut input = parse_hex(args.memory.as_deref().unwrap_or("")).context("memory")?;
    let program = ebee::Engine::new()
        .with_backend(backend)
        .load_raw(&decode(&bytecode)?, None)?;
    let len = input.len() as u64;
    let mut memory = Memory::new();
    let addr = memory.add_mut("input", &mut input);
    let r0 = program.run(&memory, &[addr, len])?.retval;
    println!("{r0:x}");
    Ok(ExitCode::SUCCESS)
}
