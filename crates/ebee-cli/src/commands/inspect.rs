//! `ebee prog list` and `ebee maps`: what an object holds.

use crate::objects;
use anyhow::{Context, Result};
use ebee::{Engine, HelperUse};
use std::path::PathBuf;
use std::process::ExitCode;

/// List the programs of an object: name, section, type and the rule that chose it,
/// instruction count, source file, helpers needed and which of them ebee lacks.
#[derive(clap::Args)]
pub struct ProgListArgs {
    /// The BPF ELF object.
    object: PathBuf,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    types: objects::TypeArg,
}

/// `ebee prog …`.
#[derive(clap::Subcommand)]
pub enum ProgCommand {
    /// List the programs of an object.
    List(ProgListArgs),
}

/// `name (id)`, or `helper id` for an id the kernel does not have.
fn helper_label(helper: &HelperUse) -> String {
    match helper.name {
        Some(name) => format!("{name} ({})", helper.id),
        None => format!("helper {}", helper.id),
    }
}

pub fn prog(command: ProgCommand) -> Result<ExitCode> {
    let ProgCommand::List(args) = command;
    let engine = Engine::new();
    let builder = objects::open(&engine, &args.object, &args.types)?;
    let listing = engine
        .list_programs(builder.spec())
        .with_context(|| args.object.display().to_string())?;
    if args.json {
        let rows: Vec<serde_json::Value> = listing
            .iter()
            .map(|p| {
                let names = |missing: bool| -> Vec<String> {
                    p.helpers
                        .iter()
                        .filter(|h| !missing || !h.provided)
                        .map(helper_label)
                        .collect()
                };
                serde_json::json!({
                    "name": p.name, "section": p.section, "type": p.program_type,
                    "rule": p.rule.to_string(), "instructions": p.slots, "source": p.source,
                    "helpers": names(false), "missing_helpers": names(true),
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(rows));
        return Ok(ExitCode::SUCCESS);
    }
    for p in &listing {
        println!(
            "{:<24} section {:<20} type {:<14} {:>6} insns  {}",
            p.name,
            p.section,
            p.program_type,
            p.slots,
            p.source.as_deref().unwrap_or("")
        );
        println!("    type rule: {}", p.rule);
        let needed: Vec<String> = p.helpers.iter().map(helper_label).collect();
        if !needed.is_empty() {
            println!("    helpers:   {}", needed.join(", "));
        }
        let missing: Vec<String> = p.missing_helpers().map(helper_label).collect();
        if !missing.is_empty() {
            println!(
                "    missing:   {} (listed; running fails)",
                missing.join(", ")
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
    #[command(flatten)]
    types: objects::TypeArg,
}

pub fn maps(args: MapsArgs) -> Result<ExitCode> {
    let object = objects::load(&args.object, &args.types)?;
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
