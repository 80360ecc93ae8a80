//! The benchmark suite: the XDP programs of `benches/bpf/suite/*.bpf.c` (26; listed with
//! what each stresses in `benches/bpf/suite/README.md`) in ebee, in the Linux kernel and as
//! native code, side by side, in **ns per run**.
//!
//! Every program is built twice from the same C file: `clang-19 -O2 -g -target bpf -mcpu=v3`
//! for ebee and the kernel (one object, loaded by both), and `clang-19 -O2` for the host
//! (`suite.h` then includes `native.h`, which maps the libbpf names to plain C: maps become
//! plain data structures). The host build uses the same compiler as the eBPF build, as
//! native.h intends, so that the native column differs from the others by where the code
//! runs and not by the optimizer; `EBEE_SUITE_CC=cc` builds it with the system compiler
//! instead. Each runtime runs the program on the same 338-byte frame (Ethernet, an 802.1ad
//! and an 802.1Q tag, IPv4, TCP with 20 bytes of options, 256 bytes of payload: [`packet`]):
//!
//! - **ebee**: `Runner::run` (`Program::test_run`, `BPF_PROG_TEST_RUN`'s semantics) with
//!   `repeat`, on the pinned CPU;
//! - **kernel**: `BPF_PROG_TEST_RUN` with `repeat` (`ebee_kernel::KernelObject::test_run`;
//!   the program JIT-compiled by the kernel), on the calling thread's CPU;
//! - **native**: each program is a small shared library (`<name>.native.so`, built from a
//!   generated wrapper that includes the `.bpf.c` file and exports
//!   `ebee_suite_run(struct xdp_md *)`), opened with `dlopen` and called `repeat` times
//!   through a function pointer on a `struct xdp_md` of real pointers to the frame. A
//!   library (rather than a timing loop compiled with the program) keeps the compiler from
//!   inlining the program into the loop and hoisting work out of it: every run is a call,
//!   as every run is a program invocation in the other two columns.
//!
//! **Timing.** One sample is one call of `repeat` runs, its time divided by `repeat`. For
//! the kernel that is the mean the test run reports (`duration`: the kernel's clock around
//! its loop of runs, in integer nanoseconds, so up to 1 ns low, stopped while the kernel
//! reschedules). For ebee and native it is the thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`)
//! around the call (ebee's `Runner::run`, whose copy of the frame is far below 0.1 % of a
//! sample) or around the loop of calls (native): like the kernel's clock, it leaves out the
//! time lost to other processes on the machine, which a wall clock would charge to ebee and
//! native only. Nothing of the kernel call's setup counts (the syscall, the frame's copy,
//! and the XDP dispatcher update that a test run with `repeat > 1` makes, about 20 ms
//! per call here). `repeat` is calibrated per program and runtime so that one sample takes
//! about 5 ms (programs with a ring buffer: at most what fills half the ring, which is
//! drained after every sample in ebee and the kernel; native's ring wraps). Each program
//! gets 31 samples per runtime, taken in turns (ebee, kernel, native, ebee, ...) so that all
//! three see the same machine load; the table shows the **median** sample, and the rows
//! whose samples spread (interquartile range over 10 % of the median) are named under it.
//! The process is pinned to the CPU it starts on (ebee's per-CPU worker and the kernel's
//! test runs use that CPU). The geomeans of ebee/kernel and of native/kernel are over the
//! programs all three ran.
//!
//! **Return values.** Every row prints each runtime's r0 (low 32 bits, as
//! `BPF_PROG_TEST_RUN` reports it) of the last run; the first run, on empty maps, is compared
//! too (a program that keeps state in maps may return another r0 then). ebee must match the
//! kernel, and native must match both; a difference prints `MISMATCH` and makes the smoke
//! test fail. Without `bpf()` (no permission, a sandbox) the kernel column says why and ebee
//! is checked against native. A runtime that fails to load or run a program shows `error` in
//! its column and the reason under the table (the smoke test fails then too).
//!
//! Run: `cargo bench -p ebee --bench suite_vs_kernel` (about 40 s once built; needs clang-19
//! and the libbpf headers: `apt-get install -y clang-19 libbpf-dev`). Under
//! `cargo test --all-targets` (no `--bench` argument) it runs every program 3 times in each
//! runtime, one sample, as a smoke test of the return values (a few seconds).
//! Arguments that are not flags select programs by name: `cargo bench -p ebee --bench
//! suite_vs_kernel -- hash csum` runs those whose names contain `hash` or `csum`. Build
//! outputs (and the whole text of an error, such as a verifier log, that the notes under the
//! table shorten) go to `<target>/<profile>/bench-bpf/suite/`.

mod common;
#[path = "suite_vs_kernel/native.rs"]
mod native;

use native::*;

use std::cell::Cell;
use std::ffi::{c_void, CString};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::rc::Rc;

/// How much measuring each mode does.
struct Settings {
    /// Samples per program and runtime; the median counts.
    samples: usize,
    /// Calibrate `repeat` so that one sample takes about this long; `None`: [`Self::repeat`].
    target_ns: Option<f64>,
    /// Runs per sample when not calibrated.
    repeat: u32,
}

const BENCH: Settings = Settings {
    samples: 31,
    target_ns: Some(5e6),
    repeat: 0,
};

const SMOKE: Settings = Settings {
    samples: 1,
    target_ns: None,
    repeat: 3,
};

/// At most this many runs per sample (the cheapest native programs reach it).
const MAX_REPEAT: u32 = 1 << 22;

// ---------------------------------------------------------------------------------------
// The frame.

/// Where the TCP payload starts (`PAYLOAD` in suite.h) and its length (`PAYLOAD_LEN`).
const PAYLOAD: usize = 82;
const PAYLOAD_LEN: usize = 256;

/// The Internet checksum of `bytes` (big-endian 16-bit words), folded and inverted, with
/// `initial` (an unfolded sum) added first.
fn inet_csum(initial: u32, bytes: &[u8]) -> u16 {
    let mut sum = initial as u64;
    for pair in bytes.chunks(2) {
        sum += u64::from(u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]));
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The frame every program runs on, as suite.h describes it: Ethernet with an 802.1ad tag
/// (VLAN 100) and an 802.1Q tag (VLAN 200), IPv4 10.0.0.1 -> 10.0.0.2 (correct header
/// checksum), TCP 40000 -> 443 with 20 bytes of options (MSS, SACK permitted, timestamps,
/// NOP, window scale) and a correct checksum, then 256 bytes of payload from a fixed
/// xorshift sequence.
fn packet() -> Vec<u8> {
    let mut p = Vec::with_capacity(PAYLOAD + PAYLOAD_LEN);
    p.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01]);
    p.extend_from_slice(&[0x88, 0xa8, 0x00, 100, 0x81, 0x00, 0x00, 200, 0x08, 0x00]);
    let ip = p.len();
    let tcp_len = 40 + PAYLOAD_LEN;
    let tot_len = (20 + tcp_len) as u16;
    p.extend_from_slice(&[0x45, 0]);
    p.extend_from_slice(&tot_len.to_be_bytes());
    p.extend_from_slice(&[0x12, 0x34, 0x40, 0x00, 64, 6, 0, 0]);
    p.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2]);
    let ip_csum = inet_csum(0, &p[ip..ip + 20]);
    p[ip + 10..ip + 12].copy_from_slice(&ip_csum.to_be_bytes());
    let tcp = p.len();
    p.extend_from_slice(&40000u16.to_be_bytes());
    p.extend_from_slice(&443u16.to_be_bytes());
    p.extend_from_slice(&0x0102_0304u32.to_be_bytes());
    p.extend_from_slice(&0x0506_0708u32.to_be_bytes());
    p.extend_from_slice(&[0xa0, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
    let options: [&[u8]; 4] = [
        &[2, 4, 0x05, 0xb4],
        &[4, 2],
        &[8, 10, 0x00, 0x0a, 0xbc, 0xde, 0x00, 0x01, 0x23, 0x45],
        &[1, 3, 3, 7],
    ];
    for option in options {
        p.extend_from_slice(option);
    }
    assert_eq!(p.len(), PAYLOAD, "headers end where suite.h's PAYLOAD says");
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..PAYLOAD_LEN {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p.push((x >> 32) as u8);
    }
    let pseudo = [
        &p[ip + 12..ip + 20],
        &[0, 6],
        &(tcp_len as u16).to_be_bytes()[..],
    ]
    .concat();
    let pseudo_sum: u32 = pseudo
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
        .sum();
    let tcp_csum = inet_csum(pseudo_sum, &p[tcp..]);
    p[tcp + 16..tcp + 18].copy_from_slice(&tcp_csum.to_be_bytes());
    p
}

// ---------------------------------------------------------------------------------------
// Building.

fn suite_dir() -> PathBuf {
    common::bpf_src_dir().join("suite")
}

/// The suite's programs: every `<name>.bpf.c`, whose XDP function is `<name>`, sorted.
fn programs() -> Vec<(String, PathBuf)> {
    let dir = suite_dir();
    let mut programs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter_map(|path| {
            let name = path
                .file_name()?
                .to_str()?
                .strip_suffix(".bpf.c")?
                .to_string();
            Some((name, path))
        })
        .collect();
    programs.sort();
    programs
}

/// The calling thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`): like the kernel's test-run
/// clock, which stops while the kernel reschedules, it leaves out the time the thread waits
/// for the CPU while other processes run.
struct CpuTimer(u64);

impl CpuTimer {
    fn now() -> u64 {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: a valid clock id and a pointer to a timespec it writes.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
        ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
    }

    fn start() -> CpuTimer {
        CpuTimer(Self::now())
    }

    /// CPU time since the start, per run of `repeat`.
    fn ns_per(&self, repeat: u32) -> f64 {
        (Self::now() - self.0) as f64 / f64::from(repeat.max(1))
    }
}

/// Bytes a record takes in a ring buffer (8-byte header, 8-byte aligned).
fn ring_bytes(record: &[u8]) -> u64 {
    (record.len() as u64 + 8 + 7) & !7
}

/// The most ring-buffer bytes one run wrote so far, as ebee's and the kernel's runners see
/// when they drain their rings.
type RingUse = Rc<Cell<u64>>;

fn note_ring_use(ring_use: &RingUse, bytes: u64, repeat: u32) {
    ring_use.set(ring_use.get().max(bytes.div_ceil(u64::from(repeat.max(1)))));
}

fn ebee_runner<'a>(
    object: &'a ebee::Object,
    program: &'a ebee::Program,
    cpu: usize,
    data: &'a [u8],
    ring_use: RingUse,
) -> RunFn<'a> {
    let rings: Vec<_> = object
        .maps()
        .iter()
        .filter(|m| m.map_type() == ebee::MapType::RingBuf)
        .collect();
    let mut runner = program.runner();
    Box::new(move |repeat| {
        let run = ebee::TestRun {
            data_in: data,
            repeat,
            cpu,
            ..Default::default()
        };
        let timer = CpuTimer::start();
        let out = runner.run(&run).map_err(|e| e.to_string())?;
        let ns = timer.ns_per(repeat);
        let mut bytes = 0;
        for ring in &rings {
            ring.ringbuf_consume(|record| bytes += ring_bytes(record))
                .map_err(|e| e.to_string())?;
        }
        note_ring_use(&ring_use, bytes, repeat);
        Ok((out.retval, ns))
    })
}

fn kernel_runner<'a>(
    object: &'a mut ebee_kernel::KernelObject,
    program: &'a str,
    rings: Vec<String>,
    data: &'a [u8],
    ring_use: RingUse,
) -> RunFn<'a> {
    Box::new(move |repeat| {
        let run = ebee_kernel::TestRun {
            data_in: data,
            repeat,
            ..Default::default()
        };
        let out = object.test_run(program, &run).map_err(|e| e.to_string())?;
        let mut bytes = 0;
        for ring in &rings {
            let records = object.ringbuf_drain(ring).map_err(|e| e.to_string())?;
            bytes += records.iter().map(|r| ring_bytes(r)).sum::<u64>();
        }
        note_ring_use(&ring_use, bytes, repeat);
        Ok((out.retval, f64::from(out.duration_ns)))
    })
}

// ---------------------------------------------------------------------------------------
// Measuring.

/// What one runtime did with one program.
#[derive(Default)]
struct Outcome {
    /// Why it could not load or run the program.
    error: Option<String>,
    /// r0 of the first run (maps empty).
    first_r0: Option<u32>,
    /// r0 of the last run.
    r0: Option<u32>,
    /// Runs per sample.
    repeat: u32,
    /// ns per run of every sample.
    samples: Vec<f64>,
}

impl Outcome {
    fn failed(error: String) -> Outcome {
        Outcome {
            error: Some(error),
            ..Default::default()
        }
    }

    fn median(&self) -> Option<f64> {
        if self.error.is_some() || self.samples.is_empty() {
            return None;
        }
        let mut sorted = self.samples.clone();
        sorted.sort_by(f64::total_cmp);
        Some(sorted[sorted.len() / 2])
    }
}

/// A runtime's run function and what it has done so far.
struct Contender<'a> {
    run: Option<RunFn<'a>>,
    outcome: Outcome,
}

impl<'a> Contender<'a> {
    fn new(run: Result<RunFn<'a>, String>) -> Contender<'a> {
        match run {
            Ok(run) => Contender {
                run: Some(run),
                outcome: Outcome::default(),
            },
            Err(e) => Contender {
                run: None,
                outcome: Outcome::failed(e),
            },
        }
    }

    /// A runtime that is not there (the kernel without `bpf()`): no error, no numbers.
    fn absent() -> Contender<'a> {
        Contender {
            run: None,
            outcome: Outcome::default(),
        }
    }

    /// Calls the run function; on an error, records it and stops this runtime.
    fn call(&mut self, repeat: u32) -> Option<Sample> {
        let run = self.run.as_mut()?;
        match run(repeat) {
            Ok(sample) => {
                self.outcome.r0 = Some(sample.0);
                Some(sample)
            }
            Err(e) => {
                self.outcome.error = Some(e);
                self.run = None;
                None
            }
        }
    }

    /// The first run, on empty maps.
    fn first(&mut self) {
        if let Some((r0, _)) = self.call(1) {
            self.outcome.first_r0 = Some(r0);
        }
    }

    /// Chooses `repeat` as `settings` says, `cap` at most.
    fn calibrate(&mut self, settings: &Settings, cap: u32) {
        let Some(target) = settings.target_ns else {
            self.outcome.repeat = settings.repeat.min(cap);
            return;
        };
        // Grow `repeat` until a call takes a tenth of the target, then scale to the target.
        let mut repeat = 1u32;
        loop {
            let Some((_, ns)) = self.call(repeat) else {
                return;
            };
            let total = ns * repeat as f64;
            if total >= target / 10.0 || repeat >= cap {
                self.outcome.repeat = (target / ns.max(0.01)).clamp(1.0, cap as f64) as u32;
                return;
            }
            repeat = repeat.saturating_mul(8).min(cap);
        }
    }

    fn sample(&mut self) {
        if let Some((_, ns)) = self.call(self.outcome.repeat) {
            self.outcome.samples.push(ns);
        }
    }
}

/// One row of the table.
struct Row {
    name: String,
    ebee: Outcome,
    kernel: Outcome,
    native: Outcome,
}

/// The kernel side of the bench: available, or why not.
type KernelAvailability = Result<(), String>;

/// A program of the suite, built: its eBPF object and its native entry, or why not.
struct Built {
    name: String,
    elf: Result<Vec<u8>, String>,
    native: Result<NativeFn, String>,
}

fn build(name: &str, src: &Path, out_dir: &Path) -> Built {
    let object_path = out_dir.join(format!("{name}.bpf.o"));
    Built {
        name: name.to_string(),
        elf: common::compile_bpf(src, &object_path),
        native: compile_native(name, src, out_dir).and_then(|lib| open_native(&lib)),
    }
}

/// Where and how the runs go.
struct Setup<'a> {
    settings: &'a Settings,
    kernel: KernelAvailability,
    cpu: usize,
    ncpus: usize,
    frame: Vec<u8>,
}

fn measure_program(built: &Built, setup: &Setup<'_>) -> Row {
    let (name, settings, frame) = (built.name.as_str(), setup.settings, &setup.frame[..]);
    let elf = &built.elf;
    let ebee_object = elf.as_ref().map_err(Clone::clone).and_then(|elf| {
        ebee::Engine::new()
            .with_cpus(setup.ncpus)
            .load(elf)
            .map_err(|e| format!("ebee load: {e}"))
    });
    let mut kernel_object = match (elf, &setup.kernel) {
        (Err(e), _) => Err(e.clone()),
        (_, Err(why)) => Err(format!("kernel unavailable: {why}")),
        (Ok(elf), Ok(())) => ebee_kernel::KernelObject::load(elf, &Default::default())
            .map_err(|e| format!("kernel load: {e}")),
    };
    // Ring buffers (by name, as both runtimes call them) and their sizes: from ebee, or
    // from the kernel when ebee did not load the object.
    let rings: Vec<(String, u32)> = match (&ebee_object, &kernel_object) {
        (Ok(o), _) => o
            .maps()
            .iter()
            .filter(|m| m.map_type() == ebee::MapType::RingBuf)
            .map(|m| (m.name().to_string(), m.spec().max_entries))
            .collect(),
        (Err(_), Ok(k)) => k
            .map_names()
            .into_iter()
            .filter_map(|name| {
                let info = k.map_info(&name).ok()?;
                (info.map_type == ebee::MapType::RingBuf as u32).then_some((name, info.max_entries))
            })
            .collect(),
        (Err(_), Err(_)) => Vec::new(),
    };

    let ring_bytes_per_run = RingUse::default();
    let ring_names: Vec<String> = rings.iter().map(|r| r.0.clone()).collect();
    let mut native_frame = Box::new(NativeFrame([0; 1024]));
    let mut contenders = [
        Contender::new(ebee_object.as_ref().map_err(Clone::clone).and_then(|o| {
            let program = o
                .program(name)
                .ok_or_else(|| format!("ebee: no program {name} in the object"))?;
            Ok(ebee_runner(
                o,
                program,
                setup.cpu,
                frame,
                ring_bytes_per_run.clone(),
            ))
        })),
        match setup.kernel {
            Ok(()) => Contender::new(
                kernel_object
                    .as_mut()
                    .map(|k| kernel_runner(k, name, ring_names, frame, ring_bytes_per_run.clone()))
                    .map_err(|e| e.clone()),
            ),
            Err(_) => Contender::absent(),
        },
        Contender::new(
            built
                .native
                .clone()
                .map(|run| native_runner(run, &mut native_frame, frame)),
        ),
    ];

    for contender in &mut contenders {
        contender.first();
    }
    // Programs with a ring buffer: at most the runs that fill half of it per sample (ebee
    // and the kernel drain it after every call), from the bytes the first run wrote.
    let per_run = ring_bytes_per_run.get();
    let cap = match rings.iter().map(|r| r.1).min() {
        Some(size) if per_run > 0 => {
            (u64::from(size) / 2 / per_run).clamp(1, MAX_REPEAT.into()) as u32
        }
        _ => MAX_REPEAT,
    };
    for contender in &mut contenders {
        contender.calibrate(settings, cap);
    }
    for _ in 0..settings.samples {
        for contender in &mut contenders {
            contender.sample();
        }
    }
    let [ebee, kernel, native] = contenders.map(|c| c.outcome);
    Row {
        name: name.to_string(),
        ebee,
        kernel,
        native,
    }
}

// ---------------------------------------------------------------------------------------
// Reporting.

fn fmt_ns(ns: Option<f64>) -> String {
    match ns {
        None => "-".to_string(),
        Some(ns) if ns < 10.0 => format!("{ns:.2}"),
        Some(ns) if ns < 1000.0 => format!("{ns:.1}"),
        Some(ns) => format!("{ns:.0}"),
    }
}

/// A runtime's column: its median, `error` when it failed, `-` when it did not run.
fn ns_column(outcome: &Outcome) -> String {
    match &outcome.error {
        Some(_) => "error".to_string(),
        None => fmt_ns(outcome.median()),
    }
}

fn r0_column(outcome: &Outcome) -> String {
    outcome
        .r0
        .filter(|_| outcome.error.is_none())
        .map_or_else(|| "-".to_string(), |r0| format!("{r0:#010x}"))
}

fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if a > 0.0 && b > 0.0 => Some(a / b),
        _ => None,
    }
}

fn fmt_ratio(r: Option<f64>) -> String {
    match r {
        None => "-".to_string(),
        Some(r) if r < 10.0 => format!("{r:.2}x"),
        Some(r) => format!("{r:.1}x"),
    }
}

fn geomean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    Some((values.iter().map(|v| v.ln()).sum::<f64>() / values.len() as f64).exp())
}

/// An error in at most a dozen lines: a verifier log keeps its last lines (where the
/// verifier says why); the whole error is written to `full` and named.
fn brief(error: &str, full: &Path) -> String {
    let lines: Vec<&str> = error.lines().collect();
    if lines.len() <= 12 {
        return error.to_string();
    }
    let saved = match std::fs::write(full, error) {
        Ok(()) => format!("all of it in {}", full.display()),
        Err(e) => format!("not saved: {e}"),
    };
    let head = lines
        .iter()
        .position(|l| l.starts_with("---"))
        .unwrap_or(2)
        .min(4);
    format!(
        "{}\n  [... {} lines, {saved} ...]\n{}",
        lines[..head].join("\n"),
        lines.len() - head - 6,
        lines[lines.len() - 6..].join("\n")
    )
}

/// Whether two runtimes agree on both compared return values (first and last run); `None`
/// when one of them has no value.
fn agree(a: &Outcome, b: &Outcome) -> Option<bool> {
    if a.error.is_some() || b.error.is_some() {
        return None;
    }
    Some(a.first_r0? == b.first_r0? && a.r0? == b.r0?)
}

/// The row's check column, and the problems it found.
fn check(row: &Row, kernel_available: bool, out_dir: &Path) -> (String, Vec<String>) {
    let mut problems = Vec::new();
    let name = &row.name;
    let runtimes = [
        ("ebee", &row.ebee),
        ("kernel", &row.kernel),
        ("native", &row.native),
    ];
    for (who, outcome) in runtimes {
        if who == "kernel" && !kernel_available {
            continue;
        }
        if let Some(e) = &outcome.error {
            let full = out_dir.join(format!("{name}.{who}.error.txt"));
            problems.push(format!("{name}: {who} failed: {}", brief(e, &full)));
        }
    }
    let mut differ = Vec::new();
    // ebee against the kernel and native against the kernel; without the kernel, ebee
    // against native.
    let pairs = if kernel_available {
        vec![
            ("ebee", &row.ebee, "kernel", &row.kernel),
            ("native", &row.native, "kernel", &row.kernel),
        ]
    } else {
        vec![("ebee", &row.ebee, "native", &row.native)]
    };
    for (a_name, a, b_name, b) in pairs {
        if agree(a, b) == Some(false) {
            differ.push(format!("{a_name}!={b_name}"));
            let show = |o: &Outcome| {
                format!(
                    "first {:#010x}, last {:#010x}",
                    o.first_r0.unwrap_or_default(),
                    o.r0.unwrap_or_default()
                )
            };
            problems.push(format!(
                "{name}: MISMATCH: {a_name} r0 {} but {b_name} r0 {}",
                show(a),
                show(b)
            ));
        }
    }
    let column = if !differ.is_empty() {
        format!("MISMATCH {}", differ.join(" "))
    } else if problems.is_empty() {
        "ok".to_string()
    } else {
        "error".to_string()
    };
    (column, problems)
}

/// A spread of samples ((p75 - p25) / median) over this is reported.
const NOISY: f64 = 0.10;

/// (p75 - p25) / median of a runtime's samples.
fn spread(outcome: &Outcome) -> Option<f64> {
    let median = outcome.median()?;
    let mut sorted = outcome.samples.clone();
    sorted.sort_by(f64::total_cmp);
    let q = |f: f64| sorted[((sorted.len() - 1) as f64 * f).round() as usize];
    Some((q(0.75) - q(0.25)) / median)
}

/// Prints the table; returns the problems.
fn report(rows: &[Row], kernel_available: bool, bench: bool, out_dir: &Path) -> Vec<String> {
    println!(
        "\n{:<16} {:>12} {:>13} {:>13} {:>11} {:>13}  {:>10} {:>10} {:>10}  check",
        "program",
        "ebee ns/run",
        "kernel ns/run",
        "native ns/run",
        "ebee/kernel",
        "native/kernel",
        "r0 ebee",
        "r0 kernel",
        "r0 native"
    );
    let mut problems = Vec::new();
    let (mut ebee_ratios, mut native_ratios) = (Vec::new(), Vec::new());
    let mut noisy = Vec::new();
    for row in rows {
        let (e, k, n) = (row.ebee.median(), row.kernel.median(), row.native.median());
        let (ek, nk) = (ratio(e, k), ratio(n, k));
        if let (Some(ek), Some(nk)) = (ek, nk) {
            ebee_ratios.push(ek);
            native_ratios.push(nk);
        }
        let (column, row_problems) = check(row, kernel_available, out_dir);
        problems.extend(row_problems);
        let runtimes = [
            ("ebee", &row.ebee),
            ("kernel", &row.kernel),
            ("native", &row.native),
        ];
        for (who, outcome) in runtimes {
            match spread(outcome) {
                Some(s) if s > NOISY => {
                    noisy.push(format!("{} {who} {:.0} %", row.name, 100.0 * s))
                }
                _ => {}
            }
        }
        println!(
            "{:<16} {:>12} {:>13} {:>13} {:>11} {:>13}  {:>10} {:>10} {:>10}  {column}",
            row.name,
            ns_column(&row.ebee),
            ns_column(&row.kernel),
            ns_column(&row.native),
            fmt_ratio(ek),
            fmt_ratio(nk),
            r0_column(&row.ebee),
            r0_column(&row.kernel),
            r0_column(&row.native),
        );
    }
    match (geomean(&ebee_ratios), geomean(&native_ratios)) {
        (Some(ek), Some(nk)) => println!(
            "\ngeomean over the {} programs all three ran: ebee/kernel {}, native/kernel {}",
            ebee_ratios.len(),
            fmt_ratio(Some(ek)),
            fmt_ratio(Some(nk))
        ),
        _ if !kernel_available => println!("\ngeomean: - (no kernel)"),
        _ => println!("\ngeomean: - (no program ran in all three runtimes)"),
    }
    if bench && noisy.is_empty() {
        println!("every row's samples within 10 % (interquartile range / median)");
    } else if bench {
        println!(
            "spread samples (interquartile range over 10 % of the median): {}",
            noisy.join(", ")
        );
    }
    problems
}

fn main() {
    let bench = common::bench_mode();
    let settings = if bench { &BENCH } else { &SMOKE };
    let out_dir = common::out_dir("bench-bpf/suite");
    // Built before pinning, so that the compilers are not held to one CPU.
    // Arguments that are not flags select programs by name (`-- crc32 hash`).
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let built: Vec<Built> = programs()
        .iter()
        .filter(|(name, _)| filters.is_empty() || filters.iter().any(|f| name.contains(f)))
        .map(|(name, src)| build(name, src, &out_dir))
        .collect();
    let kernel = ebee_kernel::availability();
    let cpu = common::pin_to_current_cpu();
    let ncpus = ebee_kernel::num_possible_cpus()
        .unwrap_or_else(|_| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(cpu + 1);
    let kernel_available = kernel.is_ok();
    let setup = Setup {
        settings,
        kernel,
        cpu,
        ncpus,
        frame: packet(),
    };
    match settings.target_ns {
        Some(target) => println!(
            "suite_vs_kernel: {} programs, {}-byte frame, {} samples per runtime of ~{:.0} ms each (median shown), pinned to CPU {cpu}",
            built.len(),
            setup.frame.len(),
            settings.samples,
            target / 1e6
        ),
        None => println!(
            "suite_vs_kernel (smoke test): {} programs, {}-byte frame, {} run(s) x {} sample(s) per runtime, pinned to CPU {cpu}",
            built.len(),
            setup.frame.len(),
            settings.repeat,
            settings.samples
        ),
    }
    if let Err(why) = &setup.kernel {
        println!("kernel unavailable: {why}; ebee is checked against native");
    }
    let rows: Vec<Row> = built.iter().map(|b| measure_program(b, &setup)).collect();
    let problems = report(&rows, kernel_available, bench, &out_dir);
    for problem in &problems {
        println!("{problem}");
    }
    // As a test (`cargo test --all-targets`), every runtime must have run every program and
    // agreed on its return values.
    if !bench && !problems.is_empty() {
        eprintln!("suite_vs_kernel: {} problem(s), see above", problems.len());
        std::process::exit(1);
    }
}
