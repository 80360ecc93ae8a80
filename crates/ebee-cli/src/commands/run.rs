//! `ebee run`: run a program once or many times and report r0 and the time per run.

use crate::input::{parse_hex, read_program};
use anyhow::{bail, Context, Result};
use ebee_vm::Memory;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Run a program (assembly `.s`, raw bytecode, or an ELF object's code section) in checked
/// mode (on the JIT by default, `--engine interp` for the interpreter), with r1 pointing at the input memory and r2 holding its length.
#[derive(clap::Args)]
pub struct Args {
    /// The program: an ELF object, `.s`/`.asm` assembly, or raw little-endian bytecode.
    file: PathBuf,
    /// Input memory as hex bytes ("aa bb cc").
    #[arg(long, conflicts_with = "data_in")]
    mem: Option<String>,
    /// Input memory read from a file.
    #[arg(long)]
    data_in: Option<PathBuf>,
    /// ELF only: the program to run (default: the object's first program).
    #[arg(long)]
    program: Option<String>,
    /// ELF only: write the packet (or data) after the run to this file.
    #[arg(long)]
    data_out: Option<PathBuf>,
    /// ELF only: the context (`struct xdp_md`, `struct __sk_buff`, or the bytes a generic
    /// program's r1 points to) from this file.
    #[arg(long)]
    ctx_in: Option<PathBuf>,
    /// ELF only: write the context after the run to this file.
    #[arg(long)]
    ctx_out: Option<PathBuf>,
    #[command(flatten)]
    maps: crate::objects::MapArgs,
    #[command(flatten)]
    types: crate::objects::TypeArg,
    #[command(flatten)]
    engine: crate::objects::EngineArg,
    /// Run this many times and report the mean time per run.
    #[arg(long, default_value_t = 1)]
    repeat: u32,
    /// Stop a run after this many instructions [default: none for verified programs, which
    /// the verifier proved to terminate, as in Linux; 268435456 for raw and --unverified ones].
    #[arg(long)]
    budget: Option<u64>,
    /// Print `{"retval": …, "duration_ns": …, …}` (ELF: `data_size_out`; raw: `instructions`).
    #[arg(long)]
    json: bool,
}

pub fn main(args: Args) -> Result<ExitCode> {
    if args.repeat == 0 {
        bail!("--repeat must be at least 1");
    }
    if crate::input::is_elf(&args.file)? {
        return run_object(&args);
    }
    let instructions = read_program(&args.file)?;
    let program = engine(&args)?
        .load_raw(&instructions, None)
        .with_context(|| args.file.display().to_string())?;
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
        let result = program.run(&memory, &[addr, len]);
        total_ns += start.elapsed().as_nanos();
        outcome = Some(result.with_context(|| args.file.display().to_string())?);
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
        if let Some(instructions) = outcome.instructions {
            println!("instructions: {instructions}");
        }
        println!("duration: {mean_ns} ns/run (mean of {} runs)", args.repeat);
    }
    Ok(ExitCode::SUCCESS)
}

fn read_file(path: &Option<PathBuf>) -> Result<Option<Vec<u8>>> {
    path.as_ref()
        .map(|p| std::fs::read(p).with_context(|| format!("cannot read {}", p.display())))
        .transpose()
}

fn write_file(path: &Option<PathBuf>, bytes: &[u8]) -> Result<()> {
    if let Some(path) = path {
        std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// The engine `args` ask for, with the `--budget` if one was given.
fn engine(args: &Args) -> Result<ebee::Engine> {
    let engine = args.engine.engine()?;
    Ok(match args.budget {
        Some(budget) => engine.with_budget(budget),
        None => engine,
    })
}

/// Loads the object, sets its maps, runs one program as `bpftool prog run` does.
fn run_object(args: &Args) -> Result<ExitCode> {
    if args.mem.is_some() {
        bail!("--mem is for raw programs; use --data-in with an object");
    }
    let engine = engine(args)?;
    let object =
        crate::objects::load_with(&engine, &args.file, &args.types, !args.engine.unverified)?;
    let program = crate::objects::pick(&object, args.program.as_deref(), &[], &args.file)?;
    crate::objects::apply_maps(&object, &args.maps)?;
    let data_in = read_file(&args.data_in)?.unwrap_or_default();
    let ctx_in = read_file(&args.ctx_in)?;
    let run = ebee::TestRun {
        data_in: &data_in,
        ctx_in: ctx_in.as_deref(),
        repeat: args.repeat,
        cpu: 0,
    };
    let result = program
        .test_run(&run)
        .with_context(|| format!("{} in {}", program.name(), args.file.display()))?;
    write_file(&args.data_out, &result.data_out)?;
    write_file(&args.ctx_out, &result.ctx_out)?;
    crate::objects::save_maps(&object, &args.maps)?;
    if args.json {
        let json = serde_json::json!({
            "retval": result.retval,
            "duration_ns": result.duration_ns,
            "data_size_out": result.data_out.len(),
        });
        println!("{json}");
    } else {
        println!(
            "{}: retval {} ({:#x})",
            program.name(),
            result.retval,
            result.retval
        );
        println!(
            "duration: {} ns/run (mean of {} runs)",
            result.duration_ns, args.repeat
        );
        println!("data_size_out: {}", result.data_out.len());
    }
    Ok(ExitCode::SUCCESS)
}
