//! Soundness fuzzing of the verifier, with the checked mode as the oracle: random XDP and TC
//! programs, biased so that many verify (context loads, packet bounds checks, stack and map
//! value accesses at offsets bounded by `&`, shifts, 32-bit and signed compares, spills and
//! fills, bounded loops, helpers taking memory, bpf-to-bpf calls passing stack pointers) and
//! often just outside what is safe, go through ebee's whole load path (an ELF object with
//! legacy maps, linked, verified as root); each accepted program then runs in the checked
//! mode on random packets (lengths 0 and small included), random map contents and random
//! writable context fields. A checked-mode error of a verified program (an access outside
//! every region, a helper refusing a region, an exhausted budget) is a soundness bug: the
//! test fails printing the seed, the program, the input and the error. The same program is
//! also run on the JIT, which runs the accesses the verifier proved without any check
//! (`ebee_verifier::Verified::safe_accesses`), on the same inputs: it must run without error
//! (results are not compared, as programs call `bpf_get_prandom_u32` and may return
//! pointers; an unsound proof there may crash the test process instead of failing it).
//!
//! `cargo test -p ebee --test verifier_soundness` runs 20,000 programs and prints the
//! accepted fraction and a histogram of the rules that refused the rest. A long run:
//! `EBEE_SOUNDNESS_PROGRAMS=500000 EBEE_SOUNDNESS_SEED=7 cargo test --release -p ebee --test
//! verifier_soundness -- --nocapture` (program `i` uses seed `EBEE_SOUNDNESS_SEED + i`, so a
//! failure's seed reproduces it alone with `EBEE_SOUNDNESS_PROGRAMS=1`; add
//! `EBEE_SOUNDNESS_LIST=1` to list the programs the VM's own load checks refuse). In release
//! 500,000 programs take about 100 seconds on one core; about 43% verify.
//!
//! The packet runs with [`ebee::Runner::exact_packet_bounds`]: without it the headroom and
//! tailroom around the packet are memory the checked mode allows, and a verifier lenient by
//! a few bytes would go unseen. A verifier made lenient by one byte (packet range, map value
//! size) or with one `&` bound too tight fails here within the first few thousand programs.
//!
//! The VM's load-time checks are path-insensitive: a verified program reading a register in
//! code the verifier proved dead is refused there. That is counted, not a soundness bug.

use std::collections::BTreeMap;
use std::fmt::Write as _;

#[path = "verifier_soundness/generate.rs"]
mod generate;
#[path = "verifier_soundness/object_file.rs"]
mod object_file;

use generate::{generate, helper, Case, MAP_MARK, MAX_ENTRIES};
use object_file::build;

/// The program, one instruction a line with its slot, for failure reports.
fn listing(case: &Case) -> String {
    let mut out = String::new();
    let mut slot = 0;
    for line in case.text.lines() {
        if line.ends_with(':') {
            let _ = writeln!(out, "      {line}");
            continue;
        }
        let _ = writeln!(out, "{slot:4}:   {line}");
        slot += if line.starts_with("lddw") { 2 } else { 1 };
    }
    out
}

#[derive(Default)]
struct Tally {
    programs: usize,
    accepted: usize,
    runs: usize,
    refused_inputs: usize,
    load_refused: usize,
    input_reasons: BTreeMap<String, usize>,
    rules: BTreeMap<String, usize>,
}

/// Verifies and, when accepted, runs one program; `Err` describes a soundness bug.
fn check(case: &Case, tally: &mut Tally) -> Result<(), String> {
    tally.programs += 1;
    let Some(elf) = build(case) else {
        *tally.rules.entry("(does not assemble)".into()).or_default() += 1;
        return Ok(());
    };
    // The interpreter checks every access, verified or not: it is the oracle (the JIT runs
    // a verified program's proved accesses unchecked).
    let engine = ebee::Engine::new()
        .with_budget(1_000_000)
        .with_backend(ebee::Backend::Interpreter);
    let builder = engine.open(&elf).map_err(|e| format!("open: {e}"))?;
    let verdicts = builder.verify_programs().map_err(|e| format!("{e}"))?;
    match &verdicts[0].result {
        Err(why) => {
            *tally.rules.entry(format!("{:?}", why.rule)).or_default() += 1;
            return Ok(());
        }
        Ok(_) => tally.accepted += 1,
    }
    // The VM's own load-time checks are path-insensitive (a register read in code the
    // verifier proved dead is refused): not a soundness matter, only counted.
    let object = match builder.load() {
        Ok(object) => object,
        Err(e) => {
            tally.load_refused += 1;
            if tally.load_refused <= 3 {
                eprintln!("seed {}: verified, refused at load: {e}", case.seed);
                if std::env::var_os("EBEE_SOUNDNESS_LIST").is_some() {
                    eprintln!("{}", listing(case));
                }
            }
            return Ok(());
        }
    };
    let program = object.program("prog").expect("prog");
    let mut runner = program.runner().exact_packet_bounds();
    // The same program on the JIT, which runs the accesses the verifier proved unchecked:
    // it must give the interpreter's results on every input.
    let jit_engine = ebee::Engine::new()
        .with_budget(1_000_000)
        .with_backend(ebee::Backend::Jit);
    let jit_object = jit_engine
        .open(&elf)
        .and_then(|b| b.load())
        .map_err(|e| format!("the JIT refuses what the interpreter loads: {e}"))?;
    let jit_program = jit_object.program("prog").expect("prog");
    let mut jit_runner = jit_program.runner();
    let mut rng = fastrand::Rng::with_seed(case.seed ^ 0x5eed);
    for _ in 0..4 {
        // Random map contents.
        for (i, vs) in case.value_sizes.iter().enumerate() {
            let map = object.map(&format!("m{i}")).expect("map");
            let jit_map = jit_object.map(&format!("m{i}")).expect("map");
            for key in 0..MAX_ENTRIES {
                if i == 0 || rng.bool() {
                    let value: Vec<u8> = (0..*vs).map(|_| rng.u8(..)).collect();
                    let _ = map.update(&key.to_ne_bytes(), &value, 0);
                    let _ = jit_map.update(&key.to_ne_bytes(), &value, 0);
                } else {
                    let _ = map.delete_elem(&key.to_ne_bytes());
                    let _ = jit_map.delete_elem(&key.to_ne_bytes());
                }
            }
        }
        // Test runs refuse packets shorter than an Ethernet header, as Linux does.
        let len = match rng.u8(..4) {
            0 => rng.usize(14..18),
            1 => rng.usize(14..40),
            2 => rng.usize(14..100),
            _ => rng.usize(14..300),
        };
        let packet: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
        let mut ctx = vec![0u8; case.spec().ctx_size as usize];
        let with_ctx = rng.bool();
        if case.xdp {
            // Metadata first: data_meta 0, data after it, data_end the packet's length.
            let meta = 4 * rng.usize(0..=(len - 14).min(32) / 4);
            let put = |ctx: &mut [u8], name: &str, v: usize| {
                let at = case.spec().offset_of(name);
                ctx[at..at + 4].copy_from_slice(&(v as u32).to_ne_bytes());
            };
            put(&mut ctx, "data", meta);
            put(&mut ctx, "data_end", len);
        }
        if with_ctx && !case.xdp {
            for name in ["mark", "priority", "cb"] {
                if let Some(f) = case.spec().fields.iter().find(|f| f.name == name) {
                    let at = f.offset as usize;
                    for b in &mut ctx[at..at + f.size as usize] {
                        *b = rng.u8(..);
                    }
                }
            }
        }
        let run = ebee::TestRun {
            data_in: &packet,
            ctx_in: with_ctx.then_some(&ctx[..]),
            ..Default::default()
        };
        match runner.run(&run) {
            Ok(_) => {
                tally.runs += 1;
                // Results are not compared: programs call bpf_get_prandom_u32 and may
                // return pointers.
                jit_runner.run(&run).map_err(|e| {
                    format!(
                        "the JIT failed where the interpreter ran: {e}\ninput: packet {packet:02x?}"
                    )
                })?;
            }
            Err(ebee::Error::Vm { error, .. }) => {
                return Err(format!(
                    "verified, but the checked mode stopped it: {error}\n\
                     input: packet {packet:02x?}\nctx: {:02x?}",
                    run.ctx_in
                ));
            }
            Err(e) => {
                tally.refused_inputs += 1;
                let reason: String = e.to_string().chars().take(70).collect();
                *tally.input_reasons.entry(reason).or_default() += 1;
            }
        }
    }
    Ok(())
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn verified_programs_never_fault_in_the_checked_mode() {
    let programs = env_u64("EBEE_SOUNDNESS_PROGRAMS", 20_000);
    let first = env_u64("EBEE_SOUNDNESS_SEED", 1);
    let mut tally = Tally::default();
    let mut failures = Vec::new();
    for seed in first..first + programs {
        let case = generate(seed);
        if let Err(why) = check(&case, &mut tally) {
            eprintln!(
                "SOUNDNESS BUG, seed {seed} ({}, value sizes {:?}):\n{}{why}\n",
                case.spec().name,
                case.value_sizes,
                listing(&case)
            );
            failures.push(seed);
            if failures.len() >= 5 {
                break;
            }
        }
    }
    eprintln!(
        "{} programs, {} accepted ({:.1}%), {} of them refused by the VM's load checks, {} \
         runs, {} inputs refused",
        tally.programs,
        tally.accepted,
        100.0 * tally.accepted as f64 / tally.programs.max(1) as f64,
        tally.load_refused,
        tally.runs,
        tally.refused_inputs
    );
    for (reason, n) in &tally.input_reasons {
        eprintln!("  input refused: {reason}: {n}");
    }
    for (rule, n) in &tally.rules {
        eprintln!("  refused by {rule}: {n}");
    }
    assert!(failures.is_empty(), "soundness bugs at seeds {failures:?}");
    assert!(
        tally.accepted * 5 >= tally.programs,
        "the generator's bias is off: too few programs verify"
    );
}

/// Verifies a fixed XDP program (maps as in the fuzzer, value sizes 16): `Ok` or the rule.
fn verdict(text: &str) -> Result<(), String> {
    let case = Case {
        seed: 0,
        xdp: true,
        value_sizes: [16, 16],
        text: text.to_string(),
    };
    let elf = build(&case).expect("assembles");
    let builder = ebee::Engine::new().open(&elf).expect("opens");
    let verdicts = builder.verify_programs().expect("links");
    match &verdicts[0].result {
        Ok(_) => Ok(()),
        Err(why) => Err(why.report()),
    }
}

/// The object builder's map references reach the verifier: a lookup's value is usable after
/// a null check, and only then.
#[test]
fn map_references_reach_the_verifier() {
    let lookup = format!(
        "stw [%r10-4], 0\nlddw %r1, {MAP_MARK:#x}\nmov %r2, %r10\nadd %r2, -4\ncall {}\n",
        helper("map_lookup_elem")
    );
    let checked = format!("{lookup}jeq %r0, 0, out\nldxdw %r0, [%r0+8]\nout:\nmov %r0, 2\nexit");
    assert_eq!(verdict(&checked), Ok(()));
    let unchecked = format!("{lookup}ldxdw %r0, [%r0+8]\nmov %r0, 2\nexit");
    assert!(verdict(&unchecked).unwrap_err().contains("NullCheck"));
    let past = format!("{lookup}jeq %r0, 0, out\nldxdw %r0, [%r0+9]\nout:\nmov %r0, 2\nexit");
    assert!(verdict(&past).is_err());
}

/// The oracle itself: with exact packet bounds, the checked mode stops a (not verified)
/// read one byte past the packet, which the tailroom otherwise absorbs.
#[test]
fn exact_packet_bounds_stop_a_read_one_byte_past_the_packet() {
    let case = Case {
        seed: 0,
        xdp: true,
        value_sizes: [16, 16],
        text: "ldxw %r2, [%r1+0]\nldxb %r0, [%r2+14]\nmov %r0, 2\nexit".into(),
    };
    let elf = build(&case).expect("assembles");
    let engine = ebee::Engine::new().with_backend(ebee::Backend::Interpreter);
    let builder = engine.open(&elf).expect("opens");
    let object = builder.unverified().load().expect("loads unverified");
    let program = object.program("prog").expect("prog");
    let run = ebee::TestRun {
        data_in: &[0; 14],
        ..Default::default()
    };
    assert_eq!(program.runner().run(&run).expect("runs").retval, 2);
    let err = program
        .runner()
        .exact_packet_bounds()
        .run(&run)
        .unwrap_err();
    assert!(
        matches!(&err, ebee::Error::Vm { error, .. }
            if matches!(**error, ebee_vm::VmError::OutOfBounds { .. })),
        "{err}"
    );
    let run = ebee::TestRun {
        data_in: &[0; 15],
        ..Default::default()
    };
    let exact = program.runner().exact_packet_bounds().run(&run);
    assert_eq!(exact.expect("in bounds").retval, 2);
}
