//! `ebee xdp` and `ebee tc`: run a packet program over every packet of a capture.

use crate::objects::{self, MapArgs};
use anyhow::{Context, Result};
use ebee::hooks::packets::Tally;
use ebee::hooks::pcap;
use ebee::program_type::Fate;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Run an XDP (or TC) program over every packet of a pcap; print verdict counts.
#[derive(clap::Args)]
pub struct Args {
    /// The BPF ELF object.
    object: PathBuf,
    /// The capture to read (Ethernet pcap).
    #[arg(long)]
    pcap: PathBuf,
    /// The program to run (default: the object's first program of this type).
    #[arg(long)]
    program: Option<String>,
    #[command(flatten)]
    maps: MapArgs,
    #[command(flatten)]
    types: objects::TypeArg,
    #[command(flatten)]
    engine: objects::EngineArg,
    /// Write the packets the program passed (XDP_PASS / TC_ACT_OK), as it modified them.
    #[arg(long)]
    write_pass: Option<PathBuf>,
    /// XDP only: write the packets the program transmitted (XDP_TX), as it modified them.
    #[arg(long)]
    write_tx: Option<PathBuf>,
    /// Print `{"packets": N, "verdicts": {...}, "redirects": {...}}`.
    #[arg(long)]
    json: bool,
}

/// Which hook runs the program.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    Xdp,
    Tc,
}

pub fn main(args: Args, hook: Hook) -> Result<ExitCode> {
    let packets = pcap::read(&args.pcap)?;
    let object = objects::load_with(
        &args.engine.engine()?,
        &args.object,
        &args.types,
        !args.engine.unverified,
    )?;
    let types: &[&str] = match hook {
        Hook::Xdp => &["xdp"],
        Hook::Tc => &["sched_cls", "sched_act"],
    };
    let program = objects::pick(&object, args.program.as_deref(), types, &args.object)?;
    objects::apply_maps(&object, &args.maps)?;
    let mut pass = args
        .write_pass
        .as_deref()
        .map(pcap::Writer::create)
        .transpose()?;
    let mut tx = match (hook, args.write_tx.as_deref()) {
        (Hook::Xdp, Some(path)) => Some(pcap::Writer::create(path)?),
        (Hook::Tc, Some(_)) => anyhow::bail!("--write-tx is for XDP programs"),
        (_, None) => None,
    };
    let spec = program
        .type_spec()
        .context("the program has no packet context")?;
    let progress = !args.json && std::io::stderr().is_terminal();
    let mut tally = Tally::default();
    let total = packets.len();
    ebee::hooks::packets::run_each(
        program,
        packets.iter().map(|p| &p.data),
        0,
        |index, result| {
            let name = spec.verdict_name(result.retval);
            let fate = spec.verdict(result.retval).map(|v| v.fate);
            // XDP output starts with the metadata; the packet starts `ctx_out.data` bytes in.
            let meta = match hook {
                Hook::Xdp => result
                    .ctx_out
                    .get(0..4)
                    .map_or(0, |b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]) as usize),
                Hook::Tc => 0,
            };
            let packet = result.data_out.get(meta..).unwrap_or_default();
            let writer = match fate {
                Some(Fate::Pass) => pass.as_mut(),
                Some(Fate::Transmit) => tx.as_mut(),
                _ => None,
            };
            if let Some(writer) = writer {
                writer
                    .write(packets[index].timestamp, packet)
                    .map_err(|e| ebee::Error::BadInput {
                        program: program.name().to_string(),
                        message: e.to_string(),
                    })?;
            }
            tally.add(name, result.redirect);
            if progress && (index % 1000 == 999 || index + 1 == total) {
                eprint!("\r{} / {total} packets", index + 1);
            }
            Ok(())
        },
    )
    .with_context(|| format!("{} on {}", program.name(), args.pcap.display()))?;
    if progress {
        eprintln!();
    }
    for writer in [pass, tx].into_iter().flatten() {
        writer.finish()?;
    }
    objects::save_maps(&object, &args.maps)?;
    if args.json {
        let json = serde_json::json!({
            "program": program.name(),
            "packets": total,
            "verdicts": tally.verdicts,
            "redirects": tally.redirects,
        });
        println!("{json}");
    } else {
        println!("{}: {total} packets", program.name());
        for (verdict, count) in &tally.verdicts {
            println!("  {verdict:<16} {count}");
        }
        for (target, count) in &tally.redirects {
            println!("  redirect to {target}: {count}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
