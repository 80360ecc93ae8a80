//! ebee's verifier on every case of the verifier corpus, whose verdicts are the kernel's
//! (`verifier_corpus_kernel.rs` keeps them so): ebee must refuse every program the kernel
//! refuses, for a reason of the same kind, and should accept what the kernel accepts. Where
//! it does not, the case is listed with its reason in
//! `verifier_corpus_ebee_disagreements.txt`; the test fails when the list changes (an ebee
//! acceptance of a kernel rejection may never be listed). `EBEE_BLESS=1` rewrites the file.

use ebee_abi::flags::BPF_F_STRICT_ALIGNMENT;
use ebee_isa::IsaError;
use ebee_testdata::verifier_corpus::{corpus_dir, load_all, Case, Privilege, Verdict};
use ebee_verifier::{verify, Environment, MapInfo, Options, Rule};

/// The rules a kernel message may correspond to.
fn rules_for_kernel_message(message: &str) -> Option<&'static [Rule]> {
    use Rule::*;
    const TABLE: &[(&str, &[Rule])] = &[
        ("cannot use helper", &[HelperNotAllowed]),
        ("!read_ok", &[UninitRegister]),
        ("frame pointer is read only", &[FramePointerWrite]),
        ("should have been in", &[ReturnValue]),
        ("is not a known value", &[ReturnValue]),
        ("_or_null", &[NullCheck]),
        ("invalid mem access", &[InvalidMemoryAccess]),
        ("invalid access to packet", &[Packet]),
        ("outside of the packet", &[Packet]),
        ("cannot write into packet", &[Packet]),
        ("math between pkt pointer", &[PointerArithmetic]),
        ("math between", &[PointerArithmetic]),
        ("pointer arithmetic", &[PointerArithmetic, NullCheck]),
        ("pointer comparison prohibited", &[PointerComparison]),
        ("leaks addr", &[PointerLeak]),
        ("bpf_context access", &[Context]),
        ("ctx access", &[Context]),
        ("modified ctx", &[Context, HelperArgument]),
        ("div by zero", &[DivisionByZero]),
        ("Unreleased reference", &[Reference]),
        ("reference leak", &[Reference]),
        ("unreachable insn", &[ControlFlow]),
        ("jump out of range", &[ControlFlow]),
        ("last insn", &[ControlFlow]),
        ("unknown opcode", &[ControlFlow]),
        ("middle of ldimm64", &[ControlFlow]),
        ("call stack of", &[CallStack]),
        ("combined stack", &[CallStack]),
        ("tail_call is not allowed", &[CallStack]),
        ("misaligned", &[Alignment]),
        ("stack", &[Stack]),
        ("register fill", &[Stack]),
        ("register spill", &[Stack]),
        ("expected=", &[HelperArgument, NullCheck]),
        ("unknown func", &[HelperNotAllowed]),
        ("write into map forbidden", &[MapValue]),
        ("map value", &[MapValue]),
        ("min value is outside", &[MapValue, InvalidMemoryAccess]),
        ("max value is outside", &[MapValue, InvalidMemoryAccess]),
        (
            "min value is negative",
            &[MapValue, Packet, HelperArgument, InvalidMemoryAccess],
        ),
        ("direct value access", &[MapValue]),
        ("spin_lock", &[SpinLock]),
        ("BPF_LD_[ABS|IND]", &[LegacyPacketLoad, Reference, SpinLock]),
        ("infinite loop", &[Complexity]),
        ("too large", &[Complexity]),
        ("too complex", &[Complexity]),
        ("back-edge", &[Complexity, ControlFlow]),
        ("missing btf func_info", &[ControlFlow]),
    ];
    TABLE
        .iter()
        .find(|(words, _)| message.contains(words))
        .map(|(_, rules)| *rules)
}

/// ebee's verdict: `Ok` or the rule broken and the message.
fn ebee_verdict(case: &Case) -> Result<(), (Rule, String)> {
    let slots = case
        .slots()
        .map_err(|e| (Rule::ControlFlow, e.to_string()))?;
    let program = ebee_isa::decode_program(&slots).map_err(|e| {
        let rule = match e {
            IsaError::WritesFramePointer { .. } => Rule::FramePointerWrite,
            _ => Rule::ControlFlow,
        };
        (rule, e.to_string())
    })?;
    let maps: Vec<MapInfo> = case
        .maps
        .iter()
        .map(|m| {
            let mut info =
                MapInfo::new(&m.name, m.map_type, m.key_size, m.value_size, m.max_entries);
            info.flags = m.map_flags;
            info.spin_lock_offset = m.spin_lock.then_some(0);
            info
        })
        .collect();
    let attach = (case.attach_type != 0).then_some(case.attach_type);
    let spec = ebee_spec::program_type::spec_for(case.prog_type, attach);
    let mut env = Environment::new(spec, &maps);
    env.options = Options {
        privilege: match case.privilege {
            Privilege::Privileged => ebee_verifier::Privilege::Root,
            Privilege::NoPerfmon => ebee_verifier::Privilege::NoPerfmon,
        },
        strict_alignment: case.prog_flags & BPF_F_STRICT_ALIGNMENT != 0,
        ..Options::default()
    };
    verify(&program, &env)
        .map(|_| ())
        .map_err(|r| (r.rule, r.to_string()))
}

#[test]
fn ebee_agrees_with_the_kernel_on_the_corpus() {
    let cases = load_all().expect("the corpus parses");
    let file = corpus_dir().with_file_name("verifier_corpus_ebee_disagreements.txt");
    let checked_in = std::fs::read_to_string(&file).unwrap_or_default();
    // Kernel rejections ebee may accept: only those the file explains as ebee being more
    // precise than the kernel, never a safety rule.
    let more_precise: Vec<&str> = checked_in
        .lines()
        .filter_map(|l| l.split_once(" more-precise"))
        .map(|(name, _)| name)
        .collect();
    let mut lines = Vec::new();
    let mut unsound = Vec::new();
    for case in &cases {
        if std::env::var_os("EBEE_CORPUS_TRACE").is_some() {
            eprintln!("case {}", case.name);
        }
        let ebee = ebee_verdict(case);
        let line = match (&case.expect, &ebee) {
            (Verdict::Accept, Ok(())) => None,
            (Verdict::Accept, Err((rule, message))) => {
                Some(format!("{} false-reject {rule:?}: {message}", case.name))
            }
            (Verdict::Reject { message }, Ok(())) if more_precise.contains(&case.name.as_str()) => {
                let reason = checked_in
                    .lines()
                    .find(|l| l.starts_with(&format!("{} more-precise", case.name)));
                Some(reason.map_or_else(
                    || format!("{} more-precise (kernel: {message})", case.name),
                    str::to_string,
                ))
            }
            (Verdict::Reject { message }, Ok(())) => {
                unsound.push(format!(
                    "{}: the kernel refuses it ({message}); ebee accepts it",
                    case.location()
                ));
                None
            }
            (Verdict::Reject { message: kernel }, Err((rule, message))) => {
                match rules_for_kernel_message(kernel) {
                    Some(rules) if !rules.contains(rule) => Some(format!(
                        "{} other-reason {rule:?} (kernel: {kernel}): {message}",
                        case.name
                    )),
                    _ => None,
                }
            }
        };
        lines.extend(line);
    }
    let agree = cases.len() - lines.len() - unsound.len();
    println!(
        "ebee agrees with the kernel on {agree} of {} corpus cases",
        cases.len()
    );
    assert!(
        unsound.is_empty(),
        "ebee accepts programs the kernel refuses:\n{}",
        unsound.join("\n")
    );
    lines.sort();
    let header = "# Corpus cases where ebee's verifier differs from the kernel (generated by\n# `EBEE_BLESS=1 cargo test -p ebee-testdata --test verifier_corpus_ebee`).\n# false-reject: the kernel accepts, ebee refuses. other-reason: both refuse, for different reasons.\n# more-precise: the kernel refuses for lack of precision, ebee proves it safe (written by hand, with why).\n";
    let fresh = format!(
        "{header}{}",
        lines.iter().map(|l| format!("{l}\n")).collect::<String>()
    );
    if std::env::var_os("EBEE_BLESS").is_some() {
        std::fs::write(&file, &fresh).expect("write the disagreements file");
        return;
    }
    let strip = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.split(':').next().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(
        strip(&checked_in),
        strip(&fresh),
        "the disagreements differ from {} (rerun with EBEE_BLESS=1 after checking them):\n{}",
        file.display(),
        fresh
    );
}
