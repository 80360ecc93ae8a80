//! Time, CPU, task, string, loop, iteration, spin-lock, trace and snprintf helpers, in ebee
//! and in the Linux kernel (`tests/bpf/helpers_misc.bpf.c`, `helpers_trace.bpf.c`).
//! Deterministic helpers must give the kernel's exact results; clocks, random numbers and
//! task ids are checked for plausibility on both sides. The coverage table is in
//! `kernel_maps.rs`.

mod common;

use common::pair::{packet, Pair};

/// The packet of little-endian words `w`, padded to 64 bytes.
fn words_packet(w: &[u64]) -> Vec<u8> {
    packet(&w.iter().flat_map(|x| x.to_ne_bytes()).collect::<Vec<u8>>())
}

fn words_of(bytes: &[u8]) -> Vec<u64> {
    bytes
        .chunks_exact(8)
        .map(|c| u64::from_ne_bytes(c.try_into().unwrap()))
        .collect()
}

/// Runs `program` on words `w` in both; returns `(ebee words, kernel words)` without
/// comparing them.
fn run_words(pair: &Pair, program: &str, w: &[u64]) -> (Vec<u64>, Vec<u64>) {
    let both = pair.run_both(program, &words_packet(w), None);
    assert_eq!(both.ebee.retval, both.kernel.retval, "{program}: retval");
    (
        words_of(&both.ebee.data_out),
        words_of(&both.kernel.data_out),
    )
}

/// Runs `program` on words `w` in both, asserts equal packets out, returns the words.
fn same_words(pair: &Pair, program: &str, w: &[u64]) -> Vec<u64> {
    words_of(&pair.run(program, &words_packet(w)))
}

fn clock(id: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec for clock_gettime to fill.
    assert_eq!(unsafe { libc::clock_gettime(id, &mut ts) }, 0);
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

#[test]
fn clocks_are_plausible_on_both_sides() {
    let Some(pair) = Pair::load("helpers_misc") else {
        return;
    };
    let (mono0, boot0, coarse0) = (
        clock(libc::CLOCK_MONOTONIC),
        clock(libc::CLOCK_BOOTTIME),
        clock(libc::CLOCK_MONOTONIC_COARSE),
    );
    let (ours, theirs) = run_words(&pair, "clocks", &[]);
    let (mono1, boot1) = (clock(libc::CLOCK_MONOTONIC), clock(libc::CLOCK_BOOTTIME));
    for (side, w) in [("ebee", &ours), ("kernel", &theirs)] {
        assert!(
            mono0 <= w[0] && w[0] <= w[1] && w[1] <= mono1,
            "{side}: ktime_get_ns {w:?} not within [{mono0}, {mono1}]"
        );
        assert!(
            boot0 <= w[2] && w[2] <= boot1,
            "{side}: ktime_get_boot_ns {} not within [{boot0}, {boot1}]",
            w[2]
        );
        assert!(
            coarse0 <= w[3] && w[3] <= mono1,
            "{side}: ktime_get_coarse_ns {} not within [{coarse0}, {mono1}]",
            w[3]
        );
    }
    // jiffies: the kernel's HZ is unknown to user space; ebee assumes 250. Both count up
    // from INITIAL_JIFFIES (5 minutes before the 32-bit wrap) at some rate.
    let initial = u64::from((-300i64 * 250) as u32);
    let kernel_hz = (theirs[4].wrapping_sub(initial)) as f64 / (theirs[0] as f64 / 1e9);
    let ebee_hz = (ours[4].wrapping_sub(initial)) as f64 / (ours[0] as f64 / 1e9);
    eprintln!(
        "jiffies64: kernel {} (~{kernel_hz:.1} Hz if HZ = 250), ebee {} ({ebee_hz:.1} Hz)",
        theirs[4], ours[4]
    );
    assert!((ebee_hz - 250.0).abs() < 2.0, "ebee jiffies rate {ebee_hz}");
    if (kernel_hz - 250.0).abs() < 2.0 {
        // Same rate: the values are close (the kernel's jiffies and CLOCK_MONOTONIC start a
        // fraction of a second apart).
        assert!(
            ours[4].abs_diff(theirs[4]) < 1000,
            "jiffies64: ebee {} vs kernel {}",
            ours[4],
            theirs[4]
        );
    }
    let (later, _) = run_words(&pair, "clocks", &[]);
    assert!(
        later[0] >= ours[1] && later[4] >= ours[4],
        "ebee clocks go back"
    );
}

#[test]
fn cpu_numa_and_random() {
    let Some(pair) = Pair::load("helpers_misc") else {
        return;
    };
    // Pinned to CPU 0 (and ebee told so): the same CPU id; one NUMA node.
    let (ours, theirs) = run_words(&pair, "cpu_and_random", &[]);
    assert_eq!((ours[0], ours[1]), (theirs[0], theirs[1]));
    assert_eq!(ours[0], 0);
    if common::online_cpus() > 1 {
        common::pin_to_cpu(1);
        let kernel = pair.kernel.test_run(
            "cpu_and_random",
            &ebee_kernel::TestRun {
                data_in: &[0; 64],
                data_size_out: 64,
                ..Default::default()
            },
        );
        let ebee = pair
            .ebee
            .program("cpu_and_random")
            .unwrap()
            .test_run(&ebee::TestRun {
                data_in: &[0; 64],
                cpu: 1,
                ..Default::default()
            });
        assert_eq!(words_of(&ebee.unwrap().data_out)[0], 1);
        assert_eq!(words_of(&kernel.unwrap().data_out)[0], 1);
        common::pin_to_cpu(0);
    }
    // prandom: only that it runs and draws 32-bit values.
    assert!(ours[2] <= u64::from(u32::MAX) && ours[3] <= u64::from(u32::MAX));
}

#[test]
fn current_task() {
    let Some(pair) = Pair::load("helpers_misc") else {
        return;
    };
    std::thread::scope(|s| {
        // A thread with a known name (the task's comm), pinned like the test thread.
        std::thread::Builder::new()
            .name("ebee-comm-check".into())
            .spawn_scoped(s, || {
                common::pin_to_cpu(0);
                let (ours, theirs) = run_words(&pair, "task", &[]);
                assert_eq!(ours, theirs, "pid_tgid, uid_gid, comm: ebee vs kernel");
                let pid = std::process::id();
                // SAFETY: gettid takes no arguments and cannot fail.
                let tid = unsafe { libc::gettid() };
                // SAFETY: likewise getuid.
                let uid = unsafe { libc::getuid() };
                // SAFETY: likewise getgid.
                let gid = unsafe { libc::getgid() };
                assert_eq!(ours[0], (pid as u64) << 32 | tid as u64);
                assert_eq!(ours[1], u64::from(gid) << 32 | u64::from(uid));
                let comm: Vec<u8> = ours[3..5].iter().flat_map(|w| w.to_ne_bytes()).collect();
                assert_eq!((ours[2], &comm[..]), (0, &b"ebee-comm-check\0"[..]));
                assert_eq!((ours[5], &ours[6].to_ne_bytes()[..4]), (0, &b"ebe\0"[..]));
            })
            .unwrap();
    });
}

/// The `struct str_in` packet: base flags, length, the bytes.
fn str_packet(text: &[u8], len: u32, flags: u64) -> Vec<u8> {
    let mut p = vec![0u8; 128];
    p[0..8].copy_from_slice(&flags.to_ne_bytes());
    p[8..12].copy_from_slice(&len.to_ne_bytes());
    p[16..16 + text.len()].copy_from_slice(text);
    p
}

#[test]
fn strtol_strtoul_strncmp() {
    let Some(pair) = Pair::load("helpers_misc") else {
        return;
    };
    let cases: &[(&[u8], u64)] = &[
        (b"123", 0),
        (b"  -42xyz", 10),
        (b"0x1f", 0),
        (b"0x1f", 16),
        (b"1f", 16),
        (b"0777", 0),
        (b"0789", 0),
        (b"-0", 0),
        (b"-", 0),
        (b"   ", 0),
        (b"+7", 0),
        (b"\n\t12", 0),
        (b"9223372036854775807", 0),
        (b"9223372036854775808", 0),
        (b"-9223372036854775808", 0),
        (b"18446744073709551615", 0),
        (b"18446744073709551616", 0),
        (b"12", 2),
        (b"12", 10 | 0x20),
        (b"hello", 0),
        (b"hell", 0),
        (b"help", 0),
        (b"hello world", 0),
        (b"\xa07", 0),
        (b"\xff", 0),
        (b"", 0),
    ];
    for (text, flags) in cases {
        // The text alone, the text with its NUL, and a prefix of it.
        for len in [
            text.len() as u32,
            text.len() as u32 + 1,
            (text.len() as u32).max(2) - 1,
        ] {
            let len = len.max(1);
            pair.run("strings", &str_packet(text, len, *flags));
        }
    }
}

#[test]
fn bpf_loop() {
    let Some(pair) = Pair::load("helpers_misc") else {
        return;
    };
    // nr_loops, stop index, flags: complete runs, an early stop, none, bad flags, more than
    // 1 << 23 loops (-E2BIG), and nr_loops beyond 32 bits (the kernel takes a u32).
    for (n, stop, flags) in [
        (10, 100, 0),
        (10, 3, 0),
        (0, 0, 0),
        (5, 100, 1),
        ((1 << 23) + 1, 0, 0),
        ((1 << 32) + 3, 100, 0),
    ] {
        same_words(&pair, "loops", &[n, stop, flags]);
    }
    let result =
        |n: u64, stop: u64, flags: u64| same_words(&pair, "loops", &[n, stop, flags])[3] as i64;
    assert_eq!(
        (result(10, 100, 0), result(10, 3, 0), result(3, 0, 2)),
        (10, 4, -22)
    );
    assert_eq!(
        (
            result(1 << 23, 0, 0),
            result((1 << 23) + 1, 0, 0),
            result((1 << 32) + 3, 9, 0)
        ),
        (1, -7, 3)
    );
}

#[test]
fn for_each_map_elem() {
    let Some(pair) = Pair::load("helpers_misc") else {
        return;
    };
    for i in 0..6u32 {
        pair.update(
            "iter_array",
            &i.to_ne_bytes(),
            &u64::from(i * 3).to_ne_bytes(),
            0,
        )
        .unwrap();
    }
    for key in [9u32, 3, 14, 1, 7] {
        pair.update(
            "iter_hash",
            &key.to_ne_bytes(),
            &u64::from(key * 1000).to_ne_bytes(),
            0,
        )
        .unwrap();
    }
    let percpu: Vec<u8> = (0..pair.ncpus as u64)
        .flat_map(|c| (c * 10 + 5).to_ne_bytes())
        .collect();
    pair.update("iter_percpu", &1u32.to_ne_bytes(), &percpu, 0)
        .unwrap();
    for map in 0..3 {
        for (stop, flags) in [(100, 0), (2, 0), (1, 0), (100, 1)] {
            same_words(&pair, "for_each", &[map, stop, flags]);
            pair.assert_maps_equal();
        }
    }
}

#[test]
fn spin_lock_and_unlock() {
    let Some(pair) = Pair::load("helpers_misc") else {
        return;
    };
    let value = |counter: u64| {
        [0u32.to_ne_bytes(), 0u32.to_ne_bytes()]
            .concat()
            .into_iter()
            .chain(counter.to_ne_bytes())
            .collect::<Vec<u8>>()
    };
    pair.update("locks", &1u32.to_ne_bytes(), &value(40), 0)
        .unwrap();
    // BPF_F_LOCK: the host update takes the lock (the map has one).
    pair.update("locks", &2u32.to_ne_bytes(), &value(7), 0)
        .unwrap();
    pair.update("locks", &2u32.to_ne_bytes(), &value(8), 4)
        .unwrap();
    for (key, add) in [(1, 2), (1, 3), (2, 10), (3, 1)] {
        same_words(&pair, "spin", &[key, add]);
        pair.assert_maps_equal();
    }
}

/// The words `w` as a 128-byte packet.
fn wide_packet(w: &[u64]) -> Vec<u8> {
    let mut p = vec![0u8; 128];
    for (i, x) in w.iter().enumerate() {
        p[i * 8..i * 8 + 8].copy_from_slice(&x.to_ne_bytes());
    }
    p
}

#[test]
fn trace_printk_and_trace_vprintk() {
    let Some(pair) = Pair::load("helpers_trace") else {
        return;
    };
    let neg = |x: i64| x as u64;
    // (format index, arguments, the message ebee must have traced; None: an error)
    let cases: &[(u64, [u64; 4], Option<&str>)] = &[
        (0, [neg(-5), 7, 255, 0], Some("a=-5 b=7 c=ff\n")),
        (
            1,
            [neg(-1), u64::MAX, 0xdead_beef_cafe, 0],
            Some("big -1 18446744073709551615 deadbeefcafe"),
        ),
        (2, [b'Z' as u64, 42, 0, 0], Some("name=ebee ch=Z [   42]\n")),
        (3, [0; 4], Some("no conversions")),
        (4, [1, 0, 0, 0], None),
        (5, [0; 4], None),
        (6, [0xab, neg(-42), 9, 0], Some("ab    |-00042|+9%")),
    ];
    let capture = ebee_kernel::TraceCapture::start().expect("tracefs for the kernel's trace");
    for (index, args, message) in cases {
        let before = pair.trace.messages().len();
        let w = [*index, args[0], args[1], args[2], args[3]];
        let out = pair.run("printk", &wide_packet(&w));
        let ret = words_of(&out)[7] as i64;
        let traced = pair.trace.texts()[before..].to_vec();
        let kernel_traced = capture.take().expect("the kernel's trace output");
        match message {
            Some(text) => {
                assert_eq!(traced, vec![text.to_string()], "format {index}");
                assert_eq!(
                    kernel_traced,
                    vec![text.as_bytes().to_vec()],
                    "format {index}"
                );
                assert_eq!(
                    ret,
                    text.len() as i64,
                    "format {index}: the kernel's return value is the length"
                );
            }
            None => {
                assert_eq!((ret, traced.len()), (-22, 0), "format {index}");
                assert!(
                    kernel_traced.is_empty(),
                    "format {index}: {kernel_traced:?}"
                );
            }
        }
    }
    let before = pair.trace.messages().len();
    let out = pair.run("vprintk", &wide_packet(&[0, 1, neg(-2), 3, 4, 5]));
    assert_eq!(
        pair.trace.texts()[before..],
        ["v: 1 -2 3 4 5 vp".to_string()]
    );
    assert_eq!(capture.take().unwrap(), [b"v: 1 -2 3 4 5 vp".to_vec()]);
    assert_eq!(words_of(&out)[7], 16);
}

#[test]
fn snprintf() {
    let Some(pair) = Pair::load("helpers_trace") else {
        return;
    };
    let neg = |x: i64| x as u64;
    // (format index and arguments, the text, the return value: the whole length + 1)
    let cases: &[([u64; 6], &str, u64)] = &[
        (
            [0, neg(-1), 2, 3_000_000_000, 0xbeef, 0xbeef],
            "-1|2|3000000000|beef|BEEF",
            26,
        ),
        ([8, neg(-1), 2, 3, 0xbeef, 0xbeef], "-1|2|3|", 17), // 8 bytes of room: cut short
        (
            [
                1,
                neg(-9_000_000_000),
                u64::MAX,
                0x1234_5678_9abc,
                neg(-7),
                0,
            ],
            "-9000000000 18446744073709551615 123456789abc -7",
            49,
        ),
        (
            [2, 42, 42, 42, 42, 42],
            "[   42] [42   ] [00042] [+42] [ 42]",
            36,
        ),
        (
            [2, neg(-42), neg(-42), neg(-42), neg(-42), neg(-42)],
            "[  -42] [-42  ] [-0042] [-42] [-42]",
            36,
        ),
        (
            [3, 0, b'q' as u64, 0, 0, 0],
            "snp,q|%|192.168.1.254|192.168.001.254",
            38,
        ),
        (
            [4, neg(-3), u64::MAX, 0xff, 0xabc, 0],
            "-3 18446744073709551615 ff ABC",
            31,
        ),
        ([5, 0, 0, 0, 0, 0], "plain text", 11),
    ];
    for (w, want, ret) in cases {
        let out = pair.run("format", &wide_packet(w));
        let text = &out[64..];
        let shown = &text[..text.iter().position(|&b| b == 0).unwrap_or(64)];
        assert_eq!(
            (String::from_utf8_lossy(shown).as_ref(), words_of(&out)[7]),
            (*want, *ret)
        );
    }
}
