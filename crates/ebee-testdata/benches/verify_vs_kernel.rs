//! Verification speed, ebee's verifier beside the kernel's, on the programs both accept: the
//! runs of the Linux 6.12 verifier selftests (`kernel_selftests/README.md`) and the xdp-tools
//! objects under `/usr/lib/x86_64-linux-gnu/bpf/` (when installed), each given to both the
//! same way (`ebee_testdata::kernel_selftests::{ebee_input, kernel_verdict_timed}`).
//!
//! ```sh
//! # Needs root (bpf(2)); without it, it says so and does nothing.
//! CARGO_TARGET_DIR=… cargo bench -p ebee-testdata --bench verify_vs_kernel
//! # Fewer repetitions (default 5), or only programs whose id contains a word:
//! EBEE_BENCH_REPEAT=2 EBEE_BENCH_FILTER=verifier_loops cargo bench -p ebee-testdata --bench verify_vs_kernel
//! ```
//!
//! For each run both accept: ebee's time is the fastest of the repetitions of
//! `ebee_verifier::verify` alone (the environment built once, before); the kernel's are the
//! fastest `verification time N usec` its log reports at `BPF_LOG_STATS` and the fastest
//! wall-clock time of the `BPF_PROG_LOAD` call (which adds copying the program and log,
//! fixups and JIT compilation). It prints the ~20 largest programs (by the instructions the
//! kernel processed), the totals, and the geometric means of ebee/kernel over every run
//! (kernel times below 1 µs counted as 1 µs).

use std::time::{Duration, Instant};

use ebee_testdata::kernel_selftests::{
    ebee_input, kernel_verdict_timed, object_programs, prepare, programs, KernelVerdict, Mode,
    SelftestProgram, BPF_LOG_STATS,
};

/// The xdp-tools objects' directory (Debian's `xdp-tools` package).
const XDP_TOOLS_DIR: &str = "/usr/lib/x86_64-linux-gnu/bpf";

/// One run measured.
struct Row {
    id: String,
    mode: Mode,
    kernel_processed: u64,
    ebee_processed: u64,
    ebee: Duration,
    kernel_verification: Duration,
    kernel_load: Duration,
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// The run measured, when both verifiers accept it.
fn measure(program: &SelftestProgram, mode: Mode, repeat: usize) -> Option<Row> {
    let input = ebee_input(program, mode).ok()?;
    let mut ebee = Duration::MAX;
    let mut ebee_processed = 0;
    for _ in 0..repeat {
        let started = Instant::now();
        let done = input.verify().ok()?;
        ebee = ebee.min(started.elapsed());
        ebee_processed = done.stats.processed;
    }
    let (mut verification, mut load, mut processed) = (u64::MAX, Duration::MAX, 0);
    for _ in 0..repeat {
        let timed = kernel_verdict_timed(program, mode, BPF_LOG_STATS);
        if !matches!(timed.verdict, KernelVerdict::Accepted { .. }) {
            return None;
        }
        verification = verification.min(timed.verification_micros()?);
        load = load.min(timed.load_time?);
        processed = timed.processed_insns().unwrap_or(0);
    }
    Some(Row {
        id: program.id(),
        mode,
        kernel_processed: processed,
        ebee_processed,
        ebee,
        kernel_verification: Duration::from_micros(verification),
        kernel_load: load,
    })
}

fn geometric_mean(ratios: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = ratios.fold((0.0, 0u32), |(s, n), r| (s + r.ln(), n + 1));
    if n == 0 {
        f64::NAN
    } else {
        (sum / f64::from(n)).exp()
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: a smoke run then.
    if !std::env::args().any(|a| a == "--bench") {
        println!("verify_vs_kernel: run it with `cargo bench` (see its doc comment)");
        return;
    }
    if let Err(reason) = ebee_kernel::availability() {
        eprintln!("verify_vs_kernel: nothing to compare with, bpf() is unavailable: {reason}");
        return;
    }
    let repeat: usize = std::env::var("EBEE_BENCH_REPEAT")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5)
        .max(1);
    let filter = std::env::var("EBEE_BENCH_FILTER").ok();
    let build = match prepare() {
        Ok(build) => build,
        Err(e) => {
            eprintln!("verify_vs_kernel: preparing the kernel selftests: {e}");
            return;
        }
    };
    let mut all = programs(&build);
    let xdp_tools: Vec<SelftestProgram> = std::fs::read_dir(XDP_TOOLS_DIR)
        .map(|dir| {
            let mut paths: Vec<_> = dir
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "o"))
                .collect();
            paths.sort();
            paths
                .iter()
                .flat_map(|p| object_programs(p, &build.btf_dir))
                .collect()
        })
        .unwrap_or_default();
    let xdp_tools_count = xdp_tools.len();
    all.extend(xdp_tools);

    let started = Instant::now();
    let mut rows = Vec::new();
    let mut candidates = 0;
    for program in all.iter().filter(|p| !p.expectations.auxiliary) {
        if filter.as_ref().is_some_and(|f| !program.id().contains(f)) {
            continue;
        }
        let modes = [
            (Mode::Privileged, program.expectations.privileged.is_some()),
            (
                Mode::Unprivileged,
                program.expectations.unprivileged.is_some(),
            ),
        ];
        for (mode, wanted) in modes {
            if wanted {
                candidates += 1;
                rows.extend(measure(program, mode, repeat));
            }
        }
    }
    println!(
        "verify_vs_kernel: {} runs both verifiers accept, of {candidates} ({} programs, {} of \
         them xdp-tools'); fastest of {repeat}; measured in {:.1?}",
        rows.len(),
        all.len(),
        xdp_tools_count,
        started.elapsed()
    );
    if rows.is_empty() {
        return;
    }
    rows.sort_by(|a, b| {
        b.kernel_processed
            .cmp(&a.kernel_processed)
            .then(a.id.cmp(&b.id))
    });
    println!(
        "{:<62} {:>6} {:>8} {:>8} {:>10} {:>10} {:>10} {:>7} {:>7}",
        "program",
        "mode",
        "k insns",
        "e insns",
        "ebee µs",
        "kverif µs",
        "kload µs",
        "e/kver",
        "e/kload"
    );
    for row in rows.iter().take(20) {
        let kv = micros(row.kernel_verification).max(1.0);
        let kl = micros(row.kernel_load).max(1.0);
        println!(
            "{:<62} {:>6} {:>8} {:>8} {:>10.1} {:>10.0} {:>10.1} {:>7.2} {:>7.2}",
            row.id,
            row.mode.name(),
            row.kernel_processed,
            row.ebee_processed,
            micros(row.ebee),
            micros(row.kernel_verification),
            micros(row.kernel_load),
            micros(row.ebee) / kv,
            micros(row.ebee) / kl
        );
    }
    let total = |f: fn(&Row) -> Duration| rows.iter().map(f).sum::<Duration>();
    println!(
        "totals: ebee {:.1?}, kernel verification {:.1?}, kernel BPF_PROG_LOAD {:.1?}; \
         instructions processed: kernel {}, ebee {}",
        total(|r| r.ebee),
        total(|r| r.kernel_verification),
        total(|r| r.kernel_load),
        rows.iter().map(|r| r.kernel_processed).sum::<u64>(),
        rows.iter().map(|r| r.ebee_processed).sum::<u64>()
    );
    println!(
        "geometric mean ebee/kernel: {:.3} (verification time), {:.3} (BPF_PROG_LOAD wall clock)",
        geometric_mean(
            rows.iter()
                .map(|r| micros(r.ebee).max(0.01) / micros(r.kernel_verification).max(1.0))
        ),
        geometric_mean(
            rows.iter()
                .map(|r| micros(r.ebee).max(0.01) / micros(r.kernel_load).max(1.0))
        )
    );
}
