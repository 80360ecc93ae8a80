//! Map operations in ebee and in the Linux kernel, side by side, in **ns per operation**.
//!
//! `benches/bpf/map_ops.bpf.c` has one XDP program per operation; each run does 64 operations
//! in a bounded loop. Every program runs 1,000 times per `test_run` in ebee
//! (`Program::test_run`, checked mode) and in the kernel (`BPF_PROG_TEST_RUN` with `repeat`,
//! JIT-compiled there), best of 20 calls; the best time per run of the `baseline` program (the
//! same loop without the helper call, sampled alternately with each program so that both see
//! the same machine load) is subtracted, and the rest divided by 64. The last column is
//! the `ebee_maps` call itself from Rust (`lookup_ptr`, `update_elem`, `ringbuf_output`): what
//! ebee costs beyond it is interpreter and helper glue. The process is pinned to one CPU, so
//! per-CPU maps and the kernel use the same CPU. Both runtimes report how many operations
//! succeeded, and a mismatch is printed (and fails the smoke test).
//!
//! Run: `cargo bench -p ebee --bench maps_vs_kernel` (about 30 s; needs clang-19 and the
//! libbpf headers; without bpf() it prints why and shows ebee's numbers only). Under
//! `cargo test --all-targets` (no `--bench` argument) it runs 10 iterations as a smoke test.

mod common;

use ebee_kernel::KernelObject;
use ebee_maps::{flags::BPF_ANY, Map};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

/// Operations per run, entries prefilled, and the key stride (as in map_ops.bpf.c).
const N_OPS: u32 = 64;
const N_ENTRIES: u32 = 10_000;
const STRIDE: u32 = 157;
const RINGBUF: &str = "ringbuf";

/// How a program's keys look.
#[derive(Clone, Copy)]
enum Key {
    /// `__u32` index.
    U32,
    /// LPM key: a /32 host address inside the prefixed /24.
    LpmHost,
    /// LPM key: the /24 prefix itself.
    LpmPrefix,
}

/// What the program's operation is in `ebee_maps` terms (for the native column).
#[derive(Clone, Copy)]
enum Op {
    None,
    Lookup(&'static str, Key),
    Update(&'static str, Key),
    RingbufOutput,
}

/// (program, operation label, native equivalent)
const CASES: &[(&str, &str, Op)] = &[
    ("helper_call", "helper call (get_prandom_u32)", Op::None),
    (
        "array_lookup",
        "array lookup",
        Op::Lookup("array", Key::U32),
    ),
    (
        "array_update",
        "array update",
        Op::Update("array", Key::U32),
    ),
    (
        "percpu_array_lookup",
        "percpu_array lookup",
        Op::Lookup("percpu_array", Key::U32),
    ),
    (
        "percpu_array_update",
        "percpu_array update",
        Op::Update("percpu_array", Key::U32),
    ),
    ("hash_lookup", "hash lookup", Op::Lookup("hash", Key::U32)),
    ("hash_update", "hash update", Op::Update("hash", Key::U32)),
    (
        "percpu_hash_lookup",
        "percpu_hash lookup",
        Op::Lookup("percpu_hash", Key::U32),
    ),
    (
        "percpu_hash_update",
        "percpu_hash update",
        Op::Update("percpu_hash", Key::U32),
    ),
    (
        "lru_hash_lookup",
        "lru_hash lookup",
        Op::Lookup("lru_hash", Key::U32),
    ),
    (
        "lru_hash_update",
        "lru_hash update",
        Op::Update("lru_hash", Key::U32),
    ),
    (
        "lpm_trie_lookup",
        "lpm_trie lookup (/32 in /24s)",
        Op::Lookup("lpm_trie", Key::LpmHost),
    ),
    (
        "lpm_trie_update",
        "lpm_trie update (/24)",
        Op::Update("lpm_trie", Key::LpmPrefix),
    ),
    (
        "ringbuf_output",
        "ringbuf output (8 bytes)",
        Op::RingbufOutput,
    ),
];

/// Maps prefilled with `N_ENTRIES` entries of value 1, and their key kind.
const PREFILLED: &[(&str, Key)] = &[
    ("array", Key::U32),
    ("percpu_array", Key::U32),
    ("hash", Key::U32),
    ("percpu_hash", Key::U32),
    ("lru_hash", Key::U32),
    ("lpm_trie", Key::LpmPrefix),
];

struct Settings {
    /// Runs per `test_run` (ebee and kernel alike).
    repeat: u32,
    /// `test_run` calls per program; the best counts.
    samples: usize,
    /// Rounds of 64 operations per sample of the native column.
    native_rounds: u32,
}

fn key_bytes(kind: Key, k: u32) -> Vec<u8> {
    let lpm = |prefixlen: u32, addr: u32| [prefixlen.to_ne_bytes(), addr.to_be_bytes()].concat();
    match kind {
        Key::U32 => k.to_ne_bytes().to_vec(),
        Key::LpmHost => lpm(32, 0x0a00_0000 | (k << 8) | 5),
        Key::LpmPrefix => lpm(24, 0x0a00_0000 | (k << 8)),
    }
}

/// The keys of one run with seed 0, as the programs compute them.
fn run_keys(kind: Key) -> Vec<Vec<u8>> {
    (0..N_OPS)
        .map(|i| key_bytes(kind, (i * STRIDE) % N_ENTRIES))
        .collect()
}

/// Compiles map_ops.bpf.c into the target directory.
fn compile() -> Vec<u8> {
    let src = common::bpf_src_dir().join("map_ops.bpf.c");
    let out = common::out_dir("bench-bpf").join("map_ops.bpf.o");
    common::compile_bpf(&src, &out).unwrap_or_else(|e| panic!("{e}"))
}

/// One value of 1 per CPU, in the bpf(2) per-CPU layout when `percpu`.
fn ones(percpu: bool, ncpus: usize) -> Vec<u8> {
    1u64.to_ne_bytes().repeat(if percpu { ncpus } else { 1 })
}

fn prefill_ebee(object: &ebee::Object) {
    for &(name, kind) in PREFILLED {
        let map = object.map(name).expect("map in object");
        for k in 0..N_ENTRIES {
            ebee::map_state::set_entry(map, &key_bytes(kind, k), &1u64.to_ne_bytes())
                .expect("prefill");
        }
    }
}

fn prefill_kernel(object: &KernelObject, ncpus: usize) -> Result<(), String> {
    for &(name, kind) in PREFILLED {
        let value = ones(name.starts_with("percpu"), ncpus);
        for k in 0..N_ENTRIES {
            object
                .map_update(name, &key_bytes(kind, k), &value, BPF_ANY)
                .map_err(|e| format!("prefilling {name}: {e}"))?;
        }
    }
    Ok(())
}

/// The packet: seed 0 in bytes 0..4, the count of successful operations comes back in 4..8.
const PACKET: [u8; 64] = [0; 64];

fn done_count(data_out: &[u8]) -> u32 {
    u32::from_ne_bytes(data_out[4..8].try_into().expect("packet out has 8 bytes"))
}

/// One `test_run`: mean ns per run, and the operations the last run did.
type Sample = (u64, u32);

/// What [`measure`] found: ns per operation, the baseline's ns per run, operations per run.
struct Measured {
    per_op: f64,
    baseline: f64,
    done: u32,
}

/// Best (lowest) ns per run of `program` and of the baseline, sampled alternately so that both
/// see the same machine load.
fn measure(
    samples: usize,
    program: &str,
    mut run: impl FnMut(&str) -> Result<Sample, String>,
) -> Result<Measured, String> {
    let (mut best, mut baseline, mut done) = (u64::MAX, u64::MAX, 0);
    for _ in 0..samples {
        baseline = baseline.min(run("baseline")?.0);
        let (ns, d) = run(program)?;
        best = best.min(ns);
        done = d;
    }
    let per_op = (best as f64 - baseline as f64) / N_OPS as f64;
    Ok(Measured {
        per_op,
        baseline: baseline as f64,
        done,
    })
}

fn ebee_run(
    object: &ebee::Object,
    program: &str,
    cpu: usize,
    repeat: u32,
) -> Result<Sample, String> {
    let program = object
        .program(program)
        .ok_or_else(|| format!("no program {program}"))?;
    let run = ebee::TestRun {
        data_in: &PACKET,
        repeat,
        cpu,
        ..Default::default()
    };
    let out = program.test_run(&run).map_err(|e| e.to_string())?;
    if let Some(ring) = object.map(RINGBUF) {
        ring.ringbuf_consume(|_| {}).map_err(|e| e.to_string())?;
    }
    Ok((out.duration_ns, done_count(&out.data_out)))
}

fn kernel_run(object: &mut KernelObject, program: &str, repeat: u32) -> Result<Sample, String> {
    let run = ebee_kernel::TestRun {
        data_in: &PACKET,
        repeat,
        data_size_out: 256,
        ..Default::default()
    };
    let out = object.test_run(program, &run).map_err(|e| e.to_string())?;
    if program == "ringbuf_output" {
        object.ringbuf_drain(RINGBUF).map_err(|e| e.to_string())?;
    }
    Ok((out.duration_ns as u64, done_count(&out.data_out)))
}

/// ns per operation of the `ebee_maps` call itself, one pinned guard per 64 operations.
fn native_ns(object: &ebee::Object, op: Op, cpu: usize, s: &Settings) -> Option<f64> {
    let (map, kind): (&Arc<Map>, Key) = match op {
        Op::None => return None,
        Op::Lookup(name, kind) | Op::Update(name, kind) => (object.map(name)?, kind),
        Op::RingbufOutput => (object.map(RINGBUF)?, Key::U32),
    };
    let keys = run_keys(kind);
    let value = 1u64.to_ne_bytes();
    let mut best = f64::MAX;
    for _ in 0..s.samples {
        let start = Instant::now();
        for _ in 0..s.native_rounds {
            let guard = ebee_maps::pin();
            for key in &keys {
                match op {
                    Op::Lookup(..) => {
                        black_box(map.lookup_ptr(black_box(key), cpu, &guard));
                    }
                    Op::Update(..) => {
                        black_box(map.update_elem(black_box(key), &value, BPF_ANY, cpu)).ok()?;
                    }
                    _ => black_box(map.ringbuf_output(black_box(&value), 0)).ok()?,
                }
            }
        }
        best = best.min(start.elapsed().as_nanos() as f64 / (s.native_rounds * N_OPS) as f64);
        if matches!(op, Op::RingbufOutput) {
            map.ringbuf_consume(|_| {}).ok()?;
        }
    }
    Some(best)
}

/// The kernel side: loaded and prefilled, or why not.
fn load_kernel(elf: &[u8], ncpus: usize) -> Result<KernelObject, String> {
    ebee_kernel::availability()?;
    let object = KernelObject::load(elf, &Default::default()).map_err(|e| e.to_string())?;
    prefill_kernel(&object, ncpus)?;
    Ok(object)
}

fn fmt(v: Option<f64>) -> String {
    // Rounding noise around zero prints as 0.0, not -0.0.
    v.map_or_else(
        || "-".to_string(),
        |v| format!("{:.1}", if v.abs() < 0.05 { 0.0 } else { v }),
    )
}

/// ebee / kernel, unless the kernel's cost is below a nanosecond (array lookups, which the
/// verifier inlines into the JIT-compiled program), where a ratio means nothing.
fn ratio(ebee: f64, kernel: Option<f64>) -> String {
    match kernel {
        Some(k) if k >= 1.0 => format!("{:.0}x", ebee / k),
        Some(_) => "(inlined)".to_string(),
        None => "-".to_string(),
    }
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this as a smoke test.
    let bench = common::bench_mode();
    let s = if bench {
        Settings {
            repeat: 1_000,
            samples: 20,
            native_rounds: 500,
        }
    } else {
        Settings {
            repeat: 10,
            samples: 1,
            native_rounds: 10,
        }
    };
    let cpu = common::pin_to_current_cpu();
    let ncpus = ebee_kernel::num_possible_cpus()
        .unwrap_or_else(|_| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(cpu + 1);

    let elf = compile();
    let ebee_object = ebee::Engine::new()
        .with_cpus(ncpus)
        .load(&elf)
        .expect("ebee loads map_ops.bpf.o");
    prefill_ebee(&ebee_object);
    let mut kernel = load_kernel(&elf, ncpus);

    println!(
        "maps_vs_kernel: {N_OPS} operations per run, repeat {}, best of {} samples, pinned to CPU {cpu}",
        s.repeat, s.samples
    );
    if let Err(why) = &kernel {
        println!("kernel unavailable: {why}");
    }
    println!(
        "\n{:<30} {:>11} {:>13} {:>12} {:>23}",
        "operation", "ebee ns/op", "kernel ns/op", "ebee/kernel", "ebee_maps native ns/op"
    );
    let (mut base_ebee, mut base_kernel) = (f64::MAX, f64::MAX);
    let mut problems = Vec::new();
    for &(program, label, op) in CASES {
        let ebee = measure(s.samples, program, |p| {
            ebee_run(&ebee_object, p, cpu, s.repeat)
        })
        .unwrap_or_else(|e| panic!("ebee {program}: {e}"));
        base_ebee = base_ebee.min(ebee.baseline);
        let kernel = match kernel.as_mut() {
            Ok(k) => measure(s.samples, program, |p| kernel_run(k, p, s.repeat))
                .map_err(|e| problems.push(format!("kernel {program}: {e}")))
                .ok(),
            Err(_) => None,
        };
        // Every operation succeeds, except in the helper-call row (a random bit).
        for (who, m) in [("ebee", Some(&ebee)), ("the kernel", kernel.as_ref())] {
            match m {
                Some(m) if program != "helper_call" && m.done != N_OPS => problems.push(format!(
                    "{program}: {who} did {} of {N_OPS} operations",
                    m.done
                )),
                _ => {}
            }
        }
        if let Some(k) = &kernel {
            base_kernel = base_kernel.min(k.baseline);
        }
        let kernel_ns = kernel.map(|k| k.per_op);
        println!(
            "{label:<30} {:>11} {:>13} {:>12} {:>23}",
            fmt(Some(ebee.per_op)),
            fmt(kernel_ns),
            ratio(ebee.per_op, kernel_ns),
            fmt(native_ns(&ebee_object, op, cpu, &s)),
        );
    }
    let base_kernel = Some(base_kernel).filter(|b| *b < f64::MAX);
    println!(
        "\nbaseline (the loop without the operation, subtracted above), ns/run: ebee {base_ebee:.0}, kernel {}",
        base_kernel.map_or_else(|| "-".to_string(), |b| format!("{b:.0}"))
    );
    for problem in &problems {
        println!("warning: {problem}");
    }
    // As a test (`cargo test --all-targets`), both runtimes must have done the same work.
    assert!(bench || problems.is_empty(), "{problems:?}");
}
