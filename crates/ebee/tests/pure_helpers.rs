//! The helpers that need no maps and no packet, called from tiny assembled programs
//! (`call N; exit` with r1–r5 from the run's arguments) over `ebee_vm::Memory` regions, and
//! compared with Linux running `bpf/pure_helpers.bpf.c` on the same inputs
//! (`BPF_PROG_TEST_RUN`; skipped when bpf() is unavailable).

#[path = "pure_helpers/oracle.rs"]
mod oracle;

use ebee::CollectTrace;
use ebee::Engine;
use ebee_vm::Memory;
use oracle::{Kernel, PrintfIn};
use std::sync::Arc;

const EFAULT: i64 = -14;
const EINVAL: i64 = -22;
const ERANGE: i64 = -34;

/// An engine with a trace sink to inspect, loading raw programs as XDP programs (whose
/// helpers include every helper tested here but the tracing ones).
struct Ebee {
    engine: Engine,
    trace: Arc<CollectTrace>,
}

impl Ebee {
    fn new() -> Ebee {
        let trace = Arc::new(CollectTrace::default());
        let engine = Engine::new().with_cpus(2).with_trace(trace.clone());
        Ebee { engine, trace }
    }

    fn run(&self, asm: &str, memory: &Memory<'_>, args: &[u64]) -> i64 {
        let program = ebee_isa::assemble(asm).unwrap();
        // probe_read and probe_read_str (4, 45) are tracing helpers.
        let tracing = asm.contains("call 4\n") || asm.contains("call 45\n");
        let program_type = (!tracing).then_some(&ebee::program_type::XDP);
        let program = self.engine.load_raw(&program, program_type).unwrap();
        program.run(memory, args).unwrap().retval as i64
    }

    fn call(&self, id: u32, memory: &Memory<'_>, args: &[u64]) -> i64 {
        self.run(&format!("call {id}\nexit"), memory, args)
    }

    fn csum_diff(&self, from: &[u8], to: &[u8], seed: u32) -> i64 {
        let mut memory = Memory::new();
        let f = memory.add("from", from);
        let t = memory.add("to", to);
        let args = [f, from.len() as u64, t, to.len() as u64, seed.into()];
        self.call(28, &memory, &args)
    }

    /// (r0, res) of strtol (105) or strtoul (106); res starts as 0x5555.
    fn strtox(&self, signed: bool, buf: &[u8], flags: u64) -> (i64, i64) {
        let mut res = 0x5555u64.to_ne_bytes();
        let r0 = {
            let mut memory = Memory::new();
            let b = memory.add("buf", buf);
            let r = memory.add_mut("res", &mut res);
            let id = if signed { 105 } else { 106 };
            self.call(id, &memory, &[b, buf.len() as u64, flags, r])
        };
        (r0, i64::from_ne_bytes(res))
    }

    /// Runs helper `id` (6, 165 or 177) on `input` laid out as the C program does (snprintf
    /// gets `data_len` bytes of arguments, as trace_vprintk): r0, the 256-byte output buffer
    /// (0xAA-prefilled) and the trace messages.
    fn printf(&self, id: u32, input: &PrintfIn<'_>) -> (i64, Vec<u8>, Vec<Vec<u8>>) {
        let before = self.trace.messages().len();
        let strs: Vec<u8> = input.strs.concat();
        let mut fmt = input.fmt.to_vec();
        fmt.resize(128, 0);
        let mut out = vec![0xAAu8; 256];
        let r0 = {
            let mut memory = Memory::new();
            let s = memory.add("strs", &strs);
            let f = memory.add("fmt", &fmt);
            let mut args = input.args;
            for (i, a) in args.iter_mut().enumerate() {
                if input.ptr_mask & (1 << i) != 0 {
                    *a = s + 128 * (*a % 4);
                }
            }
            let args_bytes: Vec<u8> = args.iter().flat_map(|a| a.to_ne_bytes()).collect();
            let a = memory.add("args", &args_bytes);
            let o = memory.add_mut("out", &mut out);
            let size = u64::from(input.size);
            let regs = match id {
                6 => [f, size, args[0], args[1], args[2]],
                165 => [o, size, f, a, u64::from(input.data_len)],
                _ => [f, size, a, u64::from(input.data_len), 0],
            };
            self.call(id, &memory, &regs)
        };
        (r0, out, self.trace.messages()[before..].to_vec())
    }
}

/// A deterministic byte stream (xorshift64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

#[test]
fn csum_diff_matches_the_kernel() {
    let ebee = Ebee::new();
    let mut cases: Vec<(Vec<u8>, Vec<u8>, u32)> = vec![
        (
            vec![],
            vec![0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef],
            0,
        ),
        (vec![], vec![], 0x1234_5678),
        (vec![0; 4], vec![0; 4], 0),
        (vec![0; 4], vec![], 0xffff_ffff),
        (vec![0xff; 64], vec![0xff; 64], 0xffff_ffff),
        (vec![], vec![0; 20], 0),
        (vec![1, 2, 3], vec![], 0),
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..200 {
        let (fs, ts) = (rng.next() % 65, rng.next() % 65);
        let seed = match rng.next() % 4 {
            0 => 0,
            1 => u32::MAX,
            _ => rng.next() as u32,
        };
        cases.push((rng.bytes(fs as usize), rng.bytes(ts as usize), seed));
    }
    let kernel = Kernel::plain();
    for (from, to, seed) in &cases {
        let ours = ebee.csum_diff(from, to, *seed);
        assert!((0..=0xffff).contains(&ours), "folded to 16 bits: {ours:#x}");
        if let Some(k) = &kernel {
            assert_eq!(
                ours,
                k.csum_diff(from, to, *seed),
                "from {from:02x?} to {to:02x?} seed {seed:#x}"
            );
        }
    }
    // Memory the program may not read.
    let memory = Memory::new();
    assert_eq!(ebee.call(28, &memory, &[0x1000, 4, 0, 0, 0]), EFAULT);
}

#[test]
fn strtol_and_strtoul_match_the_kernel() {
    let ebee = Ebee::new();
    // 64 bytes (the C program's buffer): only the first 63 count.
    let long_zeros = [&[b'0'; 62][..], b"12"].concat();
    let strings: Vec<Vec<u8>> = [
        &b"0"[..],
        b"123",
        b"-123",
        b"  42abc",
        b"\t\n\x0b\x0c\r 7",
        b"\xa0 9",
        b"+5",
        b"-",
        b" ",
        b"- 4",
        b"0x",
        b"0x1F",
        b"0XfF",
        b"0xg",
        b"017",
        b"019",
        b"08",
        b"12\x0034",
        b"9223372036854775807",
        b"9223372036854775808",
        b"-9223372036854775808",
        b"-9223372036854775809",
        b"18446744073709551615",
        b"18446744073709551616",
        b"ffffffffffffffff",
        b"0x8000000000000000",
        b"-0x10",
        b"--1",
        b"-0",
    ]
    .iter()
    .map(|s| s.to_vec())
    .chain([long_zeros, vec![b'7'; 64]])
    .collect();
    let kernel = Kernel::plain();
    for buf in &strings {
        for flags in [0, 8, 10, 16, 2, 0x20, 10 | 0x100] {
            for signed in [true, false] {
                let ours = ebee.strtox(signed, buf, flags);
                if let Some(k) = &kernel {
                    let theirs = k.strtox(signed, buf, flags);
                    assert_eq!(ours, theirs, "{buf:?} flags {flags:#x} signed {signed}");
                }
            }
        }
    }
    assert_eq!(ebee.strtox(true, b" -42;", 0), (4, -42));
    assert_eq!(ebee.strtox(false, b"0x1F", 0), (4, 31));
    assert_eq!(ebee.strtox(true, b"9223372036854775808", 10), (ERANGE, 0));
    assert_eq!(ebee.strtox(false, b"-1", 10), (EINVAL, 0));
    // An unreadable buffer or result slot is -EFAULT.
    let mut res = [0u8; 8];
    let mut memory = Memory::new();
    let r = memory.add_mut("res", &mut res);
    assert_eq!(ebee.call(105, &memory, &[0x1000, 4, 0, r]), EFAULT);
    assert_eq!(ebee.call(105, &memory, &[r, 4, 0, 0x1000]), EFAULT);
}

#[test]
fn strncmp_compares_like_the_kernel() {
    let ebee = Ebee::new();
    let cases: &[(&[u8], &[u8], i64)] = &[
        (b"abc", b"abc\0", 0),
        (b"abd", b"abc\0", 1),
        (b"abb", b"abc\0", -1),
        (b"abcdef", b"abc\0", 1),
        (b"ab\0zz", b"ab\0", 0),
        (b"\xff", b"a\0", 1),
    ];
    for (s1, s2, want) in cases {
        let mut memory = Memory::new();
        let a = memory.add("s1", s1);
        let b = memory.add("s2", s2);
        assert_eq!(
            ebee.call(182, &memory, &[a, s1.len() as u64, b]),
            *want,
            "{s1:?} {s2:?}"
        );
    }
    // s2 without a NUL inside readable memory.
    let mut memory = Memory::new();
    let a = memory.add("s1", b"abcd");
    let b = memory.add("s2", b"abcd");
    assert_eq!(ebee.call(182, &memory, &[a, 4, b]), 0, "4 bytes decide");
    assert_eq!(ebee.call(182, &memory, &[a, 4, 0x1000]), EFAULT);
    assert_eq!(ebee.call(182, &memory, &[0, 0, 0]), 0, "nothing to compare");
}

#[test]
fn probe_read_copies_or_zeroes() {
    let ebee = Ebee::new();
    let src = *b"kernel string\0tail";
    for id in [4u32, 112, 113] {
        let mut dst = [0xAAu8; 8];
        let r0 = {
            let mut memory = Memory::new();
            let s = memory.add("src", &src);
            let d = memory.add_mut("dst", &mut dst);
            ebee.call(id, &memory, &[d, 8, s])
        };
        assert_eq!((r0, &dst), (0, b"kernel s"), "helper {id}");
    }
    // Unreadable sources: zeroed destination and -EFAULT, or -ERANGE where x86-64 Linux's
    // copy_from_kernel_nofault_allowed refuses the address (NULL page, non-canonical).
    let cases: [(u64, [i64; 3]); 4] = [
        (0, [EFAULT, EFAULT, ERANGE]),
        (0x10_0000, [EFAULT; 3]),
        (0xdead_0000_0000_0000, [ERANGE, EFAULT, ERANGE]),
        (u64::MAX - 3, [EFAULT; 3]),
    ];
    for (addr, want) in cases {
        for (id, want) in [4u32, 112, 113].into_iter().zip(want) {
            let mut dst = [0xAAu8; 8];
            let r0 = {
                let mut memory = Memory::new();
                let d = memory.add_mut("dst", &mut dst);
                ebee.call(id, &memory, &[d, 8, addr])
            };
            assert_eq!((r0, dst), (want, [0; 8]), "helper {id} from {addr:#x}");
        }
    }
}

/// What Linux's probe_read_{kernel,user}[_str] return for addresses that are bad in both
/// worlds (the NULL page, non-canonical, wrapping) is what ebee returns.
#[test]
fn probe_read_errors_match_the_kernel() {
    let Some(kernel) = Kernel::plain() else {
        return;
    };
    let ebee = Ebee::new();
    for addr in [0u64, 8, 0xdead_0000_0000_0000, u64::MAX - 3] {
        for (variant, id) in [(0u32, 113u32), (1, 112), (2, 115), (3, 114)] {
            let mut dst = [0xAAu8; 8];
            let r0 = {
                let mut memory = Memory::new();
                let d = memory.add_mut("dst", &mut dst);
                ebee.call(id, &memory, &[d, 8, addr])
            };
            assert_eq!(
                (r0, dst),
                kernel.probe(variant, addr),
                "helper {id} from {addr:#x}"
            );
        }
    }
}

#[test]
fn probe_read_str_copies_up_to_the_nul() {
    let ebee = Ebee::new();
    let src = *b"kernel\0tail";
    for id in [45u32, 114, 115] {
        for (size, want_r0, want) in [
            (
                16u64,
                7,
                &b"kernel\0\xAA\xAA\xAA\xAA\xAA\xAA\xAA\xAA\xAA"[..],
            ),
            (
                4,
                4,
                b"ker\0\xAA\xAA\xAA\xAA\xAA\xAA\xAA\xAA\xAA\xAA\xAA\xAA",
            ),
            (0, 0, &[0xAA; 16]),
        ] {
            let mut dst = [0xAAu8; 16];
            let r0 = {
                let mut memory = Memory::new();
                let s = memory.add("src", &src);
                let d = memory.add_mut("dst", &mut dst);
                ebee.call(id, &memory, &[d, size, s])
            };
            assert_eq!((r0, &dst[..]), (want_r0, want), "helper {id} size {size}");
        }
        // A string running off readable memory faults.
        let mut dst = [0xAAu8; 16];
        let r0 = {
            let mut memory = Memory::new();
            let s = memory.add("src", b"no nul");
            let d = memory.add_mut("dst", &mut dst);
            ebee.call(id, &memory, &[d, 16, s])
        };
        assert_eq!((r0, dst), (EFAULT, [0; 16]), "helper {id}");
    }
}

#[test]
fn time_and_cpu_helpers() {
    let ebee = Ebee::new();
    let mut memory = Memory::new();
    // Two reads of each clock in one program: r6 = first, r0 = second - first.
    for id in [5u32, 125, 160, 118] {
        let asm = format!("call {id}\nmov %r6, %r0\ncall {id}\nsub %r0, %r6\nexit");
        let delta = ebee.run(&asm, &memory, &[]);
        assert!((0..1_000_000_000).contains(&delta), "helper {id}: {delta}");
    }
    let mono = ebee.call(5, &memory, &[]);
    let boot = ebee.call(125, &memory, &[]);
    assert!(boot >= mono && mono > 0);
    let jiffies = ebee.call(118, &memory, &[]) as u64;
    assert!(jiffies >= 0xfffe_db08, "jiffies start at INITIAL_JIFFIES");
    memory.set_cpu(1);
    assert_eq!(ebee.call(8, &memory, &[]), 1);
    assert_eq!(ebee.call(42, &memory, &[]), 0);
    let draws: std::collections::HashSet<i64> =
        (0..32).map(|_| ebee.call(7, &memory, &[])).collect();
    assert!(draws.len() > 28 && draws.iter().all(|&v| (0..=u32::MAX as i64).contains(&v)));
}

#[test]
fn process_helpers_describe_the_calling_thread() {
    let ebee = Ebee::new();
    let memory = Memory::new();
    let pid_tgid = ebee.call(14, &memory, &[]) as u64;
    assert_eq!((pid_tgid >> 32) as u32, std::process::id());
    let uid_gid = ebee.call(15, &memory, &[]) as u64;
    // SAFETY: getuid takes no arguments and cannot fail.
    let uid = unsafe { libc::getuid() };
    // SAFETY: likewise getgid.
    let gid = unsafe { libc::getgid() };
    assert_eq!(uid_gid, u64::from(gid) << 32 | u64::from(uid));
    let comm = std::thread::Builder::new()
        .name("pure-helpers-thread".into())
        .spawn(move || {
            let ebee = Ebee::new();
            let mut buf = [0xAAu8; 20];
            let r0 = {
                let mut memory = Memory::new();
                let b = memory.add_mut("buf", &mut buf);
                ebee.call(16, &memory, &[b, 20])
            };
            (r0, buf)
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(comm, (0, *b"pure-helpers-th\0\0\0\0\0"));
}

/// `BPF_PROG_TEST_RUN` runs a program in the calling thread: Linux's clocks and task helpers
/// there must agree with ebee's in the same thread.
#[test]
fn clocks_and_task_match_the_kernel() {
    let thread = std::thread::Builder::new().name("ebee-task-test".into());
    let handle = thread.spawn(|| {
        let Some(kernel) = Kernel::plain() else {
            return;
        };
        let ebee = Ebee::new();
        let memory = Memory::new();
        let clocks = [5u32, 125, 160];
        let before = clocks.map(|id| ebee.call(id, &memory, &[]) as u64);
        let (k, k_comm) = kernel.task();
        let after = clocks.map(|id| ebee.call(id, &memory, &[]) as u64);
        for i in 0..3 {
            let id = clocks[i];
            assert!(
                before[i] <= k[i] && k[i] <= after[i],
                "helper {id}: {before:?} {k:?} {after:?}"
            );
        }
        // jiffies: ebee assumes HZ=250; compare only on such kernels.
        let jiffies = ebee.call(118, &memory, &[]) as u64;
        let hz = (k[3] - 0xfffe_db08) as f64 / (k[0] as f64 / 1e9);
        if (240.0..260.0).contains(&hz) {
            assert!(
                jiffies.abs_diff(k[3]) < 250,
                "ebee {jiffies} kernel {}",
                k[3]
            );
        } else {
            eprintln!("kernel HZ is about {hz:.0}, not 250: jiffies64 not compared");
        }
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let own_pid_ns = status
            .lines()
            .any(|l| l.starts_with("NSpid:") && l.split_whitespace().count() > 2);
        if !own_pid_ns {
            assert_eq!(ebee.call(14, &memory, &[]) as u64, k[4], "pid_tgid");
        }
        let uid_map = std::fs::read_to_string("/proc/self/uid_map").unwrap_or_default();
        if uid_map.split_whitespace().collect::<Vec<_>>() == ["0", "0", "4294967295"] {
            assert_eq!(ebee.call(15, &memory, &[]) as u64, k[5], "uid_gid");
        }
        let mut comm = [0xAAu8; 16];
        let r0 = {
            let mut memory = Memory::new();
            let c = memory.add_mut("comm", &mut comm);
            ebee.call(16, &memory, &[c, 16])
        };
        assert_eq!((r0, comm), (0, k_comm), "comm");
    });
    handle.unwrap().join().unwrap();
}

#[path = "pure_helpers/printf.rs"]
mod printf;
