//! `ebee asm`: assemble conformance-syntax assembly into raw bytecode.

use anyhow::{Context, Result};
use std::path::PathBuf;
use std::process::ExitCode;

/// Assemble a program (conformance-suite syntax) into raw little-endian bytecode.
#[derive(clap::Args)]
pub struct Args {
    /// Assembly source file (`mov %r0, 1` …).
    input: PathBuf,
    /// Where to write the bytecode.
    #[arg(short, long)]
    output: PathBuf,
}

pub fn main(args: Args) -> Result<ExitCode> {
    let text = std::fs::read_to_string(&args.input)
        .with_context(|| format!("cannot read {}", args.input.display()))?;
    let program = ebee_isa::assemble(&text).with_context(|| args.input.display().to_string())?;
    let bytes = ebee_isa::slots_to_bytes(&ebee_isa::encode_program(&program));
    std::fs::write(&args.output, bytes)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    Ok(ExitCode::SUCCESS)
}
