//! Engine speed on compute-heavy programs, in **nanoseconds per executed instruction**, for
//! the interpreter and the JIT (both in checked mode).
//!
//! Each criterion "iteration" is one executed eBPF instruction: a sample runs the program
//! enough times and divides the elapsed time by the instructions it executed, so the time
//! criterion prints is ns per instruction. The same computation in native Rust is printed
//! beside it (per byte of input, for scale). Run: `cargo bench -p ebee-vm --bench interpreter`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use ebee_vm::{Backend, Helpers, Memory, Vm};
use std::time::{Duration, Instant};

const INPUT_LEN: usize = 1024;

/// Sum of the bytes of the buffer at r1 (length r2), one byte load per iteration.
const SUM_LOOP: &str = "
mov %r0, 0
mov %r3, 0
loop:
jge %r3, %r2, done
mov %r4, %r1
add %r4, %r3
ldxb %r5, [%r4+0]
add %r0, %r5
add %r3, 1
ja loop
done:
exit";

/// 64-bit FNV-1a over the buffer: the README's bundled example program.
const FNV1A: &str = include_str!("../../../examples/fnv1a.s");

/// A branchy tokenizer: classifies every byte (digit, lower, upper, space, other) and counts
/// token starts; many short conditional jumps, as in header parsers.
const CLASSIFY: &str = "
mov %r0, 0
mov %r3, 0
mov %r7, 0
loop:
jge %r3, %r2, done
mov %r4, %r1
add %r4, %r3
ldxb %r5, [%r4+0]
add %r3, 1
mov %r6, 4
jlt %r5, 0x30, space
jgt %r5, 0x39, alpha
mov %r6, 0
ja count
alpha:
jlt %r5, 0x41, count
jgt %r5, 0x5a, lower
mov %r6, 2
ja count
lower:
jlt %r5, 0x61, count
jgt %r5, 0x7a, count
mov %r6, 1
ja count
space:
jne %r5, 0x20, count
mov %r6, 3
count:
jeq %r6, %r7, loop
mov %r7, %r6
add %r0, 1
ja loop
done:
exit";

fn input() -> Vec<u8> {
    let text = b"GET /index.html HTTP/1.1 Host: example 12345 user-agent: ebee/0.1 ";
    text.iter().copied().cycle().take(INPUT_LEN).collect()
}

fn native_sum(data: &[u8]) -> u64 {
    data.iter().map(|&b| b as u64).sum()
}

fn native_fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

fn native_classify(data: &[u8]) -> u64 {
    let (mut tokens, mut previous) = (0, 0);
    for &b in data {
        let class = match b {
            b'0'..=b'9' => 0,
            b'a'..=b'z' => 1,
            b'A'..=b'Z' => 2,
            b' ' => 3,
            _ => 4,
        };
        if class != previous {
            previous = class;
            tokens += 1;
        }
    }
    tokens
}

fn bench_program(c: &mut Criterion, name: &str, asm: &str, native: fn(&[u8]) -> u64) {
    let instructions = ebee_isa::assemble(asm).expect("benchmark program assembles");
    let mut backends = vec![Backend::Interpreter];
    if Backend::JIT_AVAILABLE {
        backends.push(Backend::Jit);
    }
    let programs: Vec<_> = backends
        .iter()
        .map(|&b| {
            let vm = Vm::new(Helpers::new()).with_backend(b);
            (b, vm.load(&instructions).expect("loads"))
        })
        .collect();
    let mut data = input();
    let expected = native(&data);
    let len = data.len() as u64;
    let mut memory = Memory::new();
    let addr = memory.add_mut("input", &mut data);
    let mut per_run = 0;
    for (backend, program) in &programs {
        let outcome = program.run_counting(&memory, &[addr, len]).expect("runs");
        assert_eq!(
            outcome.retval,
            expected,
            "{name}: {} and native disagree",
            backend.name()
        );
        per_run = outcome
            .instructions
            .expect("the interpreter counts instructions");
    }

    let mut group = c.benchmark_group(format!("{name} ({per_run} insns/run)"));
    for (backend, program) in &programs {
        let label = format!("{}, checked, ns per instruction", backend.name());
        group.bench_function(label, |b| {
            b.iter_custom(|iters| {
                let runs = iters.div_ceil(per_run).max(1);
                let start = Instant::now();
                for _ in 0..runs {
                    black_box(program.run(&memory, &[addr, len]).unwrap());
                }
                start
                    .elapsed()
                    .mul_f64(iters as f64 / (runs * per_run) as f64)
            })
        });
    }
    group.bench_function("native Rust, ns per input byte", |b| {
        b.iter_custom(|iters| {
            let runs = iters.div_ceil(INPUT_LEN as u64).max(1);
            let input = input();
            let start = Instant::now();
            for _ in 0..runs {
                black_box(native(black_box(&input)));
            }
            start
                .elapsed()
                .mul_f64(iters as f64 / (runs * INPUT_LEN as u64) as f64)
        })
    });
    group.finish();
}

fn interpreter(c: &mut Criterion) {
    bench_program(c, "sum_loop", SUM_LOOP, native_sum);
    bench_program(c, "fnv1a", FNV1A, native_fnv1a);
    bench_program(c, "classify", CLASSIFY, native_classify);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = interpreter
}
criterion_main!(benches);
