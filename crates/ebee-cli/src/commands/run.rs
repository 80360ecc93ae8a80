//! `ebee run`: run a program once or many times and report r0 and the time per run.

use crate::input::{parse_hex, read_program};
use anyhow::{bail, Context, Result};
use ebee_vm::{Helpers, Memory, Vm};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Run a program (assembly `.s`, raw bytecode, or an ELF object's code section) in the
/// interpreter's checked mode, with r1 pointing at the input memory and r2 holding its length.
#[derive(clap::Args)]
pub struct Args {
    /// The program: `.s`/`.asm` assembly, an ELF object, or raw little-endian bytecode.
    program: PathBuf,
    /// Input memory as hex bytes ("aa bb cc").
    #[arg(long, conflicts_with = "data_in")]
    mem: Option<String>,
    /// Input memory read from a file.
    #[arg(long)]
    data_in: Option<PathBuf>,
    /// ELF only: the executable section to run (default: the first one that is not .text).
    #[arg(long)]
    section: Option<String>,
    /// Run this many times and report the mean time per run.
    #[arg(long, default_value_t = 1)]
    repeat: u32,
    /// Stop a run after this many instructions.
    #[arg(long, default_value_t = ebee_vm::DEFAULT_BUDGET)]
    budget: u64,
    /// Print `{"retval": …, "duration_ns": …, "instructions": …}`.
    #[arg(long)]
    json: bool,
}

pub fn main(args: Args) -> Result<ExitCode> {
    if args.repeat == 0 {
        bail!("--repeat must be at least 1");
    }
    let instructions = read_program(&args.program, args.section.as_deref())?;
    let vm = Vm::new(Helpers::basic()).with_budget(args.budget);
    let program = vm
        .load(&instructions)
        .with_context(|| args.program.display().to_string())?;
    let mut input = match (&args.mem, &args.data_in) {
        (Some(hex), _) => parse_hex(hex).context("--mem")?,
        (None, Some(path)) => {
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?
        }
        (None, None) => Vec::new(),
    };
    // Each run gets a fresh copy of the input, so repeated runs see the same bytes.
    let pristine = input.clone();
    let len = input.len() as u64;
    let mut total_ns = 0u128;
    let mut outcome = None;
    for _ in 0..args.repeat {
        input.copy_from_slice(&pristine);
        let mut memory = Memory::new();
        let addr = memory.add_mut("input", &mut input);
        let start = Instant::now();
        let result = program.run_counting(&memory, &[addr, len]);
        total_ns += start.elapsed().as_nanos();
        outcome = Some(result.with_context(|| args.program.display().to_string())?);
    }
    let outcome = outcome.expect("repeat >= 1");
    let mean_ns = total_ns / args.repeat as u128;
    if args.json {
        let json = serde_json::json!({
            "retval": outcome.retval,
            "duration_ns": mean_ns as u64,
            "instructions": outcome.instructions,
        });
        println!("{json}");
    } else {
        println!("retval: {:#x} ({})", outcome.retval, outcome.retval as i64);
        println!("instructions: {}", outcome.instructions);
        println!("duration: {mean_ns} ns/run (mean of {} runs)", args.repeat);
    }
    Ok(ExitCode::SUCCESS)
}
