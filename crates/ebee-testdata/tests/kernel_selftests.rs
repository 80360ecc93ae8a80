//! The kernel's verifier selftests (`progs/verifier_*.c` of `linux-source-6.12`) compiled,
//! linked by ebee-object and loaded into the running kernel, each run compared with its
//! annotations. The table of results, `kernel_selftests/kernel_agreement.txt`, is checked
//! in: this test fails when the freshly computed table differs from it (a regression in
//! ebee-object or the harness, or a different kernel or toolchain). Regenerate it with
//! `EBEE_BLESS=1 cargo test -p ebee-testdata --test kernel_selftests`.
//!
//! Without `bpf()` (not root) the test skips; a missing tarball, clang-19 or bpftool is an
//! error (`scripts/test.sh` installs them).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use ebee_testdata::kernel_selftests::{
    check_table, compile_failure_row, kernel_verdict, prepare, programs, table_row, Agreement,
    KernelVerdict, Mode,
};

const TABLE: &str = "kernel_selftests/kernel_agreement.txt";

fn table_header() -> String {
    "# The Linux 6.12 verifier selftests on the running kernel (see README.md in this\n\
     # directory): file program mode expected kernel [reason]. No reason: as annotated.\n\
     # Regenerate: EBEE_BLESS=1 cargo test -p ebee-testdata --test kernel_selftests\n"
        .to_owned()
}

#[test]
fn kernel_verdicts_match_the_checked_in_table() {
    if let Err(reason) = ebee_kernel::availability() {
        eprintln!("skipping: the kernel oracle is unavailable: {reason}");
        return;
    }
    let started = Instant::now();
    let build = prepare().unwrap_or_else(|e| panic!("preparing the kernel selftests: {e}"));
    let prepared = started.elapsed();
    let programs = programs(&build);

    let mut rows: Vec<String> = build
        .compile_failures
        .iter()
        .map(compile_failure_row)
        .collect();
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    let mut count = |key: String| *outcomes.entry(key).or_default() += 1;
    let (mut tests, mut auxiliary) = (0, 0);
    for program in &programs {
        if program.expectations.auxiliary {
            auxiliary += 1;
            continue;
        }
        tests += 1;
        let runs = [
            (Mode::Privileged, &program.expectations.privileged),
            (Mode::Unprivileged, &program.expectations.unprivileged),
        ];
        for (mode, expect) in runs {
            let Some(expect) = expect else { continue };
            let verdict = kernel_verdict(program, mode);
            count(format!("{} kernel {}", mode.name(), verdict.name()));
            match (expect.judge(&verdict), &verdict) {
                (Agreement::NotLoaded, KernelVerdict::NotLoadable(why)) => {
                    count(format!("{} not loadable: {}", mode.name(), why.class()))
                }
                (agreement, _) => count(format!(
                    "{} {}",
                    mode.name(),
                    match agreement {
                        Agreement::Agrees => "agrees with its annotations",
                        Agreement::MissingMessage(_) => "right outcome, a message missing",
                        _ => "wrong outcome",
                    }
                )),
            }
            rows.push(table_row(program, mode, expect, &verdict));
        }
    }
    rows.sort();
    let table = format!("{}{}\n", table_header(), rows.join("\n"));

    eprintln!(
        "{} files compiled, {} did not; {} programs: {tests} tests, {auxiliary} auxiliary; \
         {} runs (prepared in {:.1?}, all in {:.1?})",
        build.objects.len(),
        build.compile_failures.len(),
        programs.len(),
        rows.len() - build.compile_failures.len(),
        prepared,
        started.elapsed()
    );
    for (what, n) in &outcomes {
        eprintln!("{n:>5} {what}");
    }

    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(TABLE);
    if let Err(diff) = check_table(&path, &table) {
        panic!(
            "the kernel's verdicts on the selftests differ from {TABLE} (- checked in, + now):\n{diff}\n\
             If the change is intended, regenerate it with \
             `EBEE_BLESS=1 cargo test -p ebee-testdata --test kernel_selftests` and commit it."
        );
    }
}
