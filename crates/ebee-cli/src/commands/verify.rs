//! `ebee verify`: does each program of an object pass the verifier, and if not, why.

use crate::objects;
use anyhow::{bail, Result};
use ebee::Engine;
use std::path::PathBuf;
use std::process::ExitCode;

/// Verify the programs of an object as a loader would before running them; exit 0 when
/// every selected program verifies, 1 otherwise.
#[derive(clap::Args)]
pub struct Args {
    /// The BPF ELF object.
    object: PathBuf,
    /// Verify only this program (its function name).
    #[arg(long)]
    program: Option<String>,
    #[command(flatten)]
    types: objects::TypeArg,
    /// 0: one line per program; 1: a refusal in full (registers, path, suggestion).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=1))]
    log_level: u8,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn main(args: Args) -> Result<ExitCode> {
    let engine = Engine::new();
    let builder = objects::open(&engine, &args.object, &args.types)?;
    let mut verdicts = builder.verify_programs()?;
    if let Some(name) = &args.program {
        verdicts.retain(|v| &v.name == name);
        if verdicts.is_empty() {
            bail!("{}: no program named {name}", args.object.display());
        }
    }
    let all_ok = verdicts.iter().all(|v| v.result.is_ok());
    if args.json {
        let rows: Vec<serde_json::Value> = verdicts.iter().map(json_row).collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        for v in &verdicts {
            match &v.result {
                Ok(done) => println!(
                    "{} ({}): verified; {}",
                    v.name,
                    v.section,
                    stats_line(&done.stats)
                ),
                Err(why) => {
                    println!("{} ({}): REFUSED at {}", v.name, v.section, why);
                    if let Some(line) = &v.line {
                        println!("  source: {line}");
                    }
                    if args.log_level >= 1 {
                        for extra in why.report().lines().skip(1) {
                            println!("{extra}");
                        }
                        println!("  {}", stats_line(&why.stats));
                    }
                }
            }
        }
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The kernel log's last line, in ebee's numbers.
fn stats_line(s: &ebee::verifier::Stats) -> String {
    format!(
        "processed {} insns, {} states saved, {} paths pruned, {} us",
        s.processed, s.states, s.pruned, s.micros
    )
}

fn json_row(v: &ebee::ProgramVerdict) -> serde_json::Value {
    let stats = |s: &ebee::verifier::Stats| serde_json::json!({"processed": s.processed, "states": s.states, "pruned": s.pruned, "micros": s.micros});
    match &v.result {
        Ok(done) => {
            serde_json::json!({"name": v.name, "section": v.section, "verified": true, "stats": stats(&done.stats)})
        }
        Err(why) => serde_json::json!({
            "name": v.name, "section": v.section, "verified": false,
            "pc": why.pc, "instruction": why.instruction, "rule": format!("{:?}", why.rule),
            "message": why.message, "source": v.line,
            "registers": why.registers.iter().map(|(r, s)| serde_json::json!({"register": r, "state": s})).collect::<Vec<_>>(),
            "path": why.path.iter().map(|b| serde_json::json!({"pc": b.pc, "taken": b.taken})).collect::<Vec<_>>(),
            "suggestion": why.suggestion, "stats": stats(&why.stats),
        }),
    }
}
