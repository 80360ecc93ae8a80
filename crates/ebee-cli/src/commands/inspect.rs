//! `ebee prog list` and `ebee maps`: what an object holds.

use crate::objects;
use anyhow::Result;
use std::path::PathBuf;
use std::process::ExitCode;

/// List the programs of an object: name, section, type, instruction count, source file.
#[derive(clap::Args)]
pub struct ProgListArgs {
    /// The BPF ELF object.
    object: PathBuf,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `ebee prog …`.
#[derive(clap::Subcommand)]
pub enum ProgCommand {
    /// List the programs of an object.
    List(ProgListArgs),
}

pub fn prog(command: ProgCommand) -> Result<ExitCode> {
    let ProgCommand::List(args) = command;
    let object = objects::load(&args.object)?;
    let rows: Vec<serde_json::Value> = object
        .programs()
        .iter()
        .map(|p| {
            let source = p.linked().line_info.first().map(|l| l.file.clone());
            let program_type = p.type_spec().map_or("generic", |t| t.name);
            serde_json::json!({
                "name": p.name(), "section": p.section(), "type": program_type,
                "instructions": p.len(), "source": source,
            })
        })
        .collect();
    if args.json {
        println!("{}", serde_json::Value::Array(rows));
    } else {
        for row in rows {
            println!(
                "{:<24} section {:<20} type {:<14} {:>6} insns  {}",
                row["name"].as_str().unwrap_or(""),
                row["section"].as_str().unwrap_or(""),
                row["type"].as_str().unwrap_or(""),
                row["instructions"],
                row["source"].as_str().unwrap_or("")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// List the maps of an object: name, type, key/value size, max_entries, flags.
#[derive(clap::Args)]
pub struct MapsArgs {
    /// The BPF ELF object.
    object: PathBuf,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn maps(args: MapsArgs) -> Result<ExitCode> {
    let object = objects::load(&args.object)?;
    let rows: Vec<serde_json::Value> = object
        .maps()
        .iter()
        .map(|m| {
            let spec = m.spec();
            serde_json::json!({
                "name": m.name(), "type": format!("{:?}", m.map_type()),
                "key_size": spec.key_size, "value_size": spec.value_size,
                "max_entries": spec.max_entries, "flags": spec.map_flags,
            })
        })
        .collect();
    if args.json {
        println!("{}", serde_json::Value::Array(rows));
    } else {
        for row in rows {
            println!(
                "{:<24} {:<18} key {:>4}  value {:>6}  max_entries {:>8}  flags {:#x}",
                row["name"].as_str().unwrap_or(""),
                row["type"].as_str().unwrap_or(""),
                row["key_size"],
                row["value_size"],
                row["max_entries"],
                row["flags"].as_u64().unwrap_or(0)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
