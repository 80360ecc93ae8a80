//! ebee's verifier judged by the kernel on the kernel's verifier selftests (`progs/verifier_*.c`
//! of `linux-source-6.12`, see `kernel_selftests/README.md`): every run of every test
//! program (privileged, and unprivileged as ebee's `Privilege::NoPerfmon`) is loaded into the
//! running kernel and given to ebee's verifier with the same linked code, maps and flags
//! (`ebee_testdata::kernel_selftests::ebee_input`), and the two verdicts compared. The table,
//! `kernel_selftests/ebee_agreement.txt`, is checked in: this test fails when the freshly
//! computed one differs (a change in ebee's verifier, ebee-object, the harness, the kernel or
//! the toolchain). Regenerate it with
//! `EBEE_BLESS=1 cargo test -p ebee-testdata --test kernel_selftests_ebee -- --nocapture`.
//!
//! A line per run: `file program mode kernel ebee [class]`, where `kernel` is `accepted`,
//! `rejected` or `not-loadable` and `ebee` `accepted`, `rejected` or `not-verifiable`; the
//! class, for runs where they do not agree:
//!
//! * `false-reject Rule at pc (insn): message`: the kernel accepts, ebee refuses;
//! * `false-accept | kernel: complaint`: the kernel refuses, ebee accepts (the dangerous
//!   kind: each is a possible soundness bug of ebee's verifier, or ebee being more precise);
//! * `not-verifiable: reason`: ebee's verifier cannot be given the program (ebee-object cannot
//!   read or link it, no spec for its program type, another architecture's test);
//! * `panicked: message at location`: ebee's verifier panicked (a bug; run with
//!   `EBEE_SELFTESTS_TRACE=1` to see each run as it starts);
//! * `no-kernel-verdict: reason`: the kernel could not be given it (see the README), so there
//!   is nothing to compare ebee's verdict with.
//!
//! Without `bpf()` (not root) the test skips: the kernel's verdicts are its reference.
//!
//! The table is the `test` (debug) profile's: where ebee's verifier overflows an integer it
//! panics there (`panicked`) and wraps in release, which may give another verdict (with
//! `--release`, `verifier_var_off access_max_out_of_bound` is a false accept).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use ebee_testdata::kernel_selftests::{
    check_table, complaint, ebee_verdict, kernel_verdict, one_line, prepare, programs, EbeeVerdict,
    KernelVerdict, Mode, SelftestProgram,
};

const TABLE: &str = "kernel_selftests/ebee_agreement.txt";

fn table_header() -> String {
    "# ebee's verifier and the running kernel on the Linux 6.12 verifier selftests (see\n\
     # tests/kernel_selftests_ebee.rs): file program mode kernel ebee [class]. No class: they agree.\n\
     # Regenerate: EBEE_BLESS=1 cargo test -p ebee-testdata --test kernel_selftests_ebee\n"
        .to_owned()
}

thread_local! {
    /// Where the last panic on this thread happened (recorded by the quiet panic hook).
    static PANIC_LOCATION: std::cell::Cell<Option<String>> = const { std::cell::Cell::new(None) };
}

/// What one run gives.
struct Run {
    row: String,
    /// `agree`, `false-reject`, `false-accept`, `not-verifiable`, `panicked`,
    /// `no-kernel-verdict`.
    kind: &'static str,
    /// For a false reject, ebee's rule.
    rule: Option<String>,
    /// How long ebee's verifier took (environment built and verification).
    ebee_time: Duration,
}

fn judge(program: &SelftestProgram, mode: Mode) -> Run {
    let kernel = kernel_verdict(program, mode);
    let started = Instant::now();
    let ebee = ebee_verdict(program, mode);
    let ebee_time = started.elapsed();
    let (kind, rule, class) = match (&kernel, &ebee) {
        (_, EbeeVerdict::NotVerifiable(why)) => (
            "not-verifiable",
            None,
            format!("not-verifiable: {}", why.reason()),
        ),
        (_, EbeeVerdict::Panicked(message)) => (
            "panicked",
            None,
            format!(
                "panicked: {message}{}",
                PANIC_LOCATION
                    .with(|l| l.take())
                    .map_or_else(String::new, |l| format!(" at {l}"))
            ),
        ),
        (KernelVerdict::NotLoadable(why), _) => (
            "no-kernel-verdict",
            None,
            format!("no-kernel-verdict: {why}"),
        ),
        (KernelVerdict::Accepted { .. }, EbeeVerdict::Accepted(_))
        | (KernelVerdict::Rejected { .. }, EbeeVerdict::Rejected(_)) => {
            ("agree", None, String::new())
        }
        (KernelVerdict::Accepted { .. }, EbeeVerdict::Rejected(r)) => (
            "false-reject",
            Some(format!("{:?}", r.rule)),
            format!(
                "false-reject {:?} at {} ({}): {}",
                r.rule,
                r.pc,
                r.instruction,
                r.message.lines().next().unwrap_or("")
            ),
        ),
        (KernelVerdict::Rejected { log, .. }, EbeeVerdict::Accepted(_)) => (
            "false-accept",
            None,
            format!("false-accept | kernel: {}", complaint(log)),
        ),
    };
    let mut row = format!(
        "{} {} {} {} {}",
        program.object.file,
        program.name,
        mode.name(),
        kernel.name(),
        ebee.name()
    );
    if !class.is_empty() {
        row.push(' ');
        row.push_str(&one_line(&class));
    }
    Run {
        row,
        kind,
        rule,
        ebee_time,
    }
}

#[test]
fn ebee_verdicts_match_the_checked_in_table() {
    if let Err(reason) = ebee_kernel::availability() {
        eprintln!("skipping: the kernel's verdicts are needed and bpf() is unavailable: {reason}");
        return;
    }
    let started = Instant::now();
    let build = prepare().unwrap_or_else(|e| panic!("preparing the kernel selftests: {e}"));
    let programs = programs(&build);

    // ebee's verifier panicking is a verdict of its own (`panicked`): its location is
    // recorded rather than printed with a backtrace.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()));
        PANIC_LOCATION.with(|l| l.set(location));
    }));
    let mut runs = Vec::new();
    for program in programs.iter().filter(|p| !p.expectations.auxiliary) {
        let modes = [
            (Mode::Privileged, &program.expectations.privileged),
            (Mode::Unprivileged, &program.expectations.unprivileged),
        ];
        for (mode, expect) in modes {
            if expect.is_some() {
                if std::env::var_os("EBEE_SELFTESTS_TRACE").is_some() {
                    eprintln!("{} {}", program.id(), mode.name());
                }
                runs.push(judge(program, mode));
            }
        }
    }

    std::panic::set_hook(default_hook);

    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    let mut rules: BTreeMap<&str, usize> = BTreeMap::new();
    for run in &runs {
        *kinds.entry(run.kind).or_default() += 1;
        if let Some(rule) = &run.rule {
            *rules.entry(rule).or_default() += 1;
        }
    }
    let ebee_total: Duration = runs.iter().map(|r| r.ebee_time).sum();
    eprintln!(
        "{} runs of {} programs in {:.1?} (ebee's verifier: {:.1?})",
        runs.len(),
        programs.len(),
        started.elapsed(),
        ebee_total
    );
    for kind in [
        "agree",
        "false-reject",
        "false-accept",
        "not-verifiable",
        "panicked",
        "no-kernel-verdict",
    ] {
        eprintln!("{:>5} {kind}", kinds.get(kind).copied().unwrap_or(0));
    }
    let mut by_count: Vec<(&str, usize)> = rules.into_iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    eprintln!("false rejects by ebee's rule:");
    for (rule, n) in &by_count {
        eprintln!("{n:>5} {rule}");
    }
    let false_accepts: Vec<&str> = runs
        .iter()
        .filter(|r| r.kind == "false-accept")
        .map(|r| r.row.as_str())
        .collect();
    eprintln!("false accepts ({}):", false_accepts.len());
    for row in &false_accepts {
        eprintln!("  {row}");
    }
    let mut slowest: Vec<&Run> = runs.iter().collect();
    slowest.sort_by_key(|r| std::cmp::Reverse(r.ebee_time));
    for run in runs.iter().filter(|r| r.kind == "panicked") {
        eprintln!("  {}", run.row);
    }
    eprintln!("ebee's slowest verifications:");
    for run in slowest.iter().take(5) {
        eprintln!("  {:>9.1?} {}", run.ebee_time, run.row);
    }

    let mut rows: Vec<String> = runs.into_iter().map(|r| r.row).collect();
    rows.sort();
    let table = format!("{}{}\n", table_header(), rows.join("\n"));
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(TABLE);
    if let Err(diff) = check_table(&path, &table) {
        panic!(
            "ebee's verdicts on the selftests differ from {TABLE} (- checked in, + now):\n{diff}\n\
             If the change is intended, regenerate it with \
             `EBEE_BLESS=1 cargo test -p ebee-testdata --test kernel_selftests_ebee` and commit it."
        );
    }
}
