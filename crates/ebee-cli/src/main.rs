//! `ebee`: run, assemble and disassemble eBPF programs outside the kernel.
//!
//! Crates used: `clap` (argument parsing with generated `--help` for every subcommand),
//! `anyhow` (error context chains for messages that say what and where), `serde_json`
//! (`--json` output, `--env` files). The logic lives in the library crates; this binary parses arguments,
//! reads files and prints.
#![forbid(unsafe_code)]

mod commands;
mod env;
mod input;
mod objects;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// ebee: a user-space eBPF toolkit.
#[derive(Parser)]
#[command(name = "ebee", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Asm(commands::asm::Args),
    Disasm(commands::disasm::Args),
    Run(commands::run::Args),
    Xdp(commands::packets::Args),
    /// Run a TC program (classifier/action) over every packet of a pcap; print verdict counts.
    Tc(commands::packets::Args),
    /// Inspect the programs of an object.
    #[command(subcommand)]
    Prog(commands::inspect::ProgCommand),
    Maps(commands::inspect::MapsArgs),
    ConformancePlugin(commands::plugin::Args),
    Verify(commands::verify::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Asm(args) => commands::asm::main(args),
        Command::Disasm(args) => commands::disasm::main(args),
        Command::Run(args) => commands::run::main(args),
        Command::Xdp(args) => commands::packets::main(args, commands::packets::Hook::Xdp),
        Command::Tc(args) => commands::packets::main(args, commands::packets::Hook::Tc),
        Command::Prog(command) => commands::inspect::prog(command),
        Command::Maps(args) => commands::inspect::maps(args),
        Command::ConformancePlugin(args) => commands::plugin::main(args),
        Command::Verify(args) => commands::verify::main(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("ebee: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
