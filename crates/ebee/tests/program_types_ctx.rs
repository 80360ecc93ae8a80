//! The program types without a packet (`tests/bpf/program_types_ctx.bpf.c`): each program
//! reads its context as `tests/bpf/program_types_reads.h` lists, one slot of `out` per read,
//! and writes the fields it may write. The kernel loads every program (its verifier accepts
//! the same reads and writes; `Pair::load` fails otherwise); raw_tp and sk_lookup, which
//! `BPF_PROG_TEST_RUN` runs, run in both and must give the same results, slots and contexts
//! out, and refuse the same inputs. The types the kernel cannot run (kprobe, tracepoint,
//! perf_event, sockops, cgroup/sock, sock_addr, sk_msg) run in ebee on a context the test
//! builds, and each slot must hold the bytes the context has there.

mod common;

use common::pair::Pair;
use ebee::program_type::{self, ProgramTypeSpec};
use ebee::TestRun;

/// The `(offset, bytes)` reads of list `name` in `program_types_reads.h`.
fn reads(name: &str) -> Vec<(usize, usize)> {
    let text = include_str!("bpf/program_types_reads.h");
    let start = text
        .find(&format!("#define {name}(X)"))
        .unwrap_or_else(|| panic!("no list {name}"));
    let mut body = String::new();
    for line in text[start..].lines() {
        body.push_str(line);
        if !line.ends_with('\\') {
            break;
        }
    }
    let body = &body[format!("#define {name}(X)").len()..];
    body.split("X(")
        .skip(1)
        .map(|item| {
            let item = &item[..item.find(')').expect("X(offset, bytes)")];
            let (offset, bytes) = item.split_once(',').expect("X(offset, bytes)");
            (
                offset.trim().parse().unwrap(),
                bytes.trim().parse().unwrap(),
            )
        })
        .collect()
}

/// The little-endian value of `bytes` bytes of `ctx` at `offset`.
fn value(ctx: &[u8], offset: usize, bytes: usize) -> u64 {
    let mut v = [0u8; 8];
    v[..bytes].copy_from_slice(&ctx[offset..offset + bytes]);
    u64::from_le_bytes(v)
}

/// A context of `spec` with a byte pattern in every field a test run may set, each field
/// holding no more than its kernel field does.
fn context(spec: &ProgramTypeSpec, seed: u8) -> Vec<u8> {
    let mut ctx = vec![0u8; spec.ctx_size as usize];
    for f in spec
        .fields
        .iter()
        .filter(|f| spec.test_run_input.includes(f))
    {
        let kept = if f.size <= 8 {
            f.kernel_size as u16
        } else {
            f.size
        };
        for i in f.offset..f.offset + kept {
            ctx[i as usize] = seed.wrapping_add((i as u8).wrapping_mul(37)) | 1;
        }
    }
    ctx
}

/// ebee's `out` slots.
fn slots(pair: &Pair) -> Vec<u64> {
    pair.ebee_entries("out")
        .iter()
        .map(|(_, v)| u64::from_ne_bytes(v[..8].try_into().unwrap()))
        .collect()
}

fn ebee_run(pair: &Pair, program: &str, ctx: &[u8]) -> Result<ebee::TestRunResult, ebee::Error> {
    pair.ebee
        .program(program)
        .expect("ebee program")
        .test_run(&TestRun {
            ctx_in: Some(ctx),
            ..Default::default()
        })
}

/// Runs `program` in ebee on `ctx`; asserts slot `first + n` holds read `n` of each list
/// (`(first slot, list)`); returns the result.
fn check(pair: &Pair, program: &str, ctx: &[u8], lists: &[(usize, &str)]) -> ebee::TestRunResult {
    let result = ebee_run(pair, program, ctx).unwrap_or_else(|e| panic!("{program}: {e}"));
    let slots = slots(pair);
    for &(first, list) in lists {
        for (n, (offset, bytes)) in reads(list).into_iter().enumerate() {
            assert_eq!(
                slots[first + n],
                value(ctx, offset, bytes),
                "{program}: read {n} of {list} ({bytes} bytes at {offset})"
            );
        }
    }
    result
}

#[test]
fn tracing_contexts() {
    let Some(pair) = Pair::load("program_types_ctx") else {
        return;
    };
    let regs = context(&program_type::KPROBE, 3);
    let out = check(&pair, "kprobe", &regs, &[(0, "KPROBE_READS")]);
    assert_eq!(out.ctx_out, regs, "pt_regs come back unchanged");
    // Shorter pt_regs are zero-filled; longer ones must be zero past the structure.
    let short = &regs[..100];
    let result = check(&pair, "kprobe", short, &[]);
    assert_eq!(&result.ctx_out[..100], short);
    assert!(ebee_run(&pair, "kprobe", &[regs.clone(), vec![1]].concat()).is_err());
    let err = pair.ebee.program("kprobe").unwrap().test_run(&TestRun {
        data_in: &[0; 64],
        ..Default::default()
    });
    assert!(err
        .unwrap_err()
        .to_string()
        .contains("a kprobe program has no packet"));

    let record: Vec<u8> = (0..64u32).map(|i| (i * 5 + 1) as u8).collect();
    let out = check(&pair, "tracepoint", &record, &[(0, "TRACEPOINT_READS")]);
    assert_eq!(out.ctx_out, record);
    assert_eq!(
        pair.ebee.program("tracepoint").unwrap().max_ctx_offset(),
        40
    );
    check(
        &pair,
        "tracepoint",
        &record[..40],
        &[(0, "TRACEPOINT_READS")],
    );
    let err = ebee_run(&pair, "tracepoint", &record[..39])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("shorter than the 40 bytes the program accesses"),
        "{err}"
    );

    let sample = context(&program_type::PERF_EVENT, 9);
    check(&pair, "pe", &sample, &[(0, "PERF_EVENT_READS")]);
}

#[test]
fn socket_contexts() {
    let Some(pair) = Pair::load("program_types_ctx") else {
        return;
    };
    let ops = context(&program_type::SOCK_OPS, 1);
    let out = check(&pair, "ops", &ops, &[(0, "SOCK_OPS_READS")]);
    assert_eq!(out.retval, 1);
    let mut expected = ops.clone();
    expected[4..8].copy_from_slice(&(u32::from(ops[0]) + 1).to_ne_bytes()); // reply
    expected[164..168].copy_from_slice(&0xabcd_1234u32.to_ne_bytes()); // sk_txhash
    assert_eq!(out.ctx_out, expected);
    // op is one byte in the kernel: the rest is dropped.
    let mut wide = ops.clone();
    wide[0..4].copy_from_slice(&0x1ffu32.to_ne_bytes());
    ebee_run(&pair, "ops", &wide).unwrap();
    assert_eq!(slots(&pair)[0], 0xff);
    // The socket and packet pointers cannot be given.
    let mut sk = ops.clone();
    sk[184] = 1;
    let err = ebee_run(&pair, "ops", &sk).unwrap_err().to_string();
    assert!(err.contains("field sk may not be set"), "{err}");

    let sock = context(&program_type::CGROUP_SOCK_CREATE, 2);
    let out = check(&pair, "sock_create", &sock, &[(0, "SOCK_CREATE_READS")]);
    for at in [0, 16, 20] {
        assert_eq!(
            value(&out.ctx_out, at, 4),
            value(&sock, at, 4) + 1,
            "written at {at}"
        );
    }
    check(&pair, "post_bind4", &sock, &[(0, "POST_BIND4_READS")]);
    check(&pair, "post_bind6", &sock, &[(0, "POST_BIND6_READS")]);

    let base = [(0, "SOCK_ADDR_READS")];
    let addr = context(program_type::spec_for(18, Some(10)).unwrap(), 5);
    let out = check(&pair, "connect4", &addr, &[base[0], (64, "IP4_READS")]);
    assert_eq!(value(&out.ctx_out, 4, 4), 0x0100_007f);
    assert_eq!(
        value(&out.ctx_out, 24, 4),
        0x5678,
        "user_port keeps 16 bits"
    );
    let out = check(&pair, "connect6", &addr, &[base[0], (64, "IP6_READS")]);
    assert_eq!(value(&out.ctx_out, 8, 4), 0);
    assert_eq!(value(&out.ctx_out, 16, 8), 0x0100_0000_0000_0000);
    let out = check(
        &pair,
        "sendmsg4",
        &addr,
        &[base[0], (64, "IP4_READS"), (96, "MSG_SRC4_READS")],
    );
    assert_eq!(value(&out.ctx_out, 40, 4), 0x0a00_000a);
    let out = check(
        &pair,
        "sendmsg6",
        &addr,
        &[base[0], (64, "IP6_READS"), (96, "MSG_SRC6_READS")],
    );
    assert_eq!(value(&out.ctx_out, 48, 8), 0x1111_1111_2222_2222);
    assert_eq!(value(&out.ctx_out, 56, 4), 0x3333_3333);
    assert_eq!(
        check(&pair, "bind4", &addr, &[base[0], (64, "IP4_READS")]).retval,
        3
    );
    assert_eq!(
        check(&pair, "recvmsg6", &addr, &[base[0], (64, "IP6_READS")]).retval,
        1
    );

    let msg = context(&program_type::SK_MSG, 7);
    let out = check(&pair, "msg", &msg, &[(0, "SK_MSG_READS")]);
    assert_eq!(out.retval, 1, "SK_PASS");
    assert_eq!(slots(&pair)[63], 0, "no message data: data_end - data");
    assert_eq!(out.ctx_out, msg);
}

/// Runs `program` in both with `ctx` (`ctx_out`: asking for the 72 bytes of an sk_lookup
/// context back; raw_tp takes no `ctx_out` and no `repeat`); asserts equal outcomes (and
/// `out`); returns whether it ran.
fn compare(pair: &Pair, program: &str, ctx: Option<&[u8]>, ctx_out: bool) -> bool {
    let run = ebee_kernel::TestRun {
        ctx_in: ctx,
        repeat: if ctx_out { 1 } else { 0 },
        // The whole structure comes back, however short the input.
        ctx_size_out: if ctx_out { 72 } else { 0 },
        ..Default::default()
    };
    let theirs = pair.kernel.test_run(program, &run);
    let ours = pair.ebee.program(program).unwrap().test_run(&TestRun {
        ctx_in: ctx,
        ..Default::default()
    });
    let what = format!("{program} with {ctx:02x?}");
    match (ours, theirs) {
        (Ok(ours), Ok(theirs)) => {
            assert_eq!(ours.retval, theirs.retval, "{what}: retval");
            if ctx_out {
                assert_eq!(ours.ctx_out, theirs.ctx_out, "{what}: ctx_out");
            }
            assert_eq!(
                pair.ebee_entries("out"),
                pair.kernel_entries("out"),
                "{what}: out"
            );
            true
        }
        (Err(_), Err(_)) => false,
        (ours, theirs) => panic!(
            "{what}: ebee {:?}, kernel {:?}",
            ours.map(|r| r.retval),
            theirs.map(|r| r.retval)
        ),
    }
}

#[test]
fn raw_tracepoint_args() {
    let Some(pair) = Pair::load("program_types_ctx") else {
        return;
    };
    let args: Vec<u8> = (0..104)
        .map(|i| (i as u8).wrapping_mul(11) ^ 0x5a)
        .collect();
    let mut ran = 0;
    for len in [0, 8, 95, 96, 104] {
        ran += compare(&pair, "raw_tp", Some(&args[..len]), false) as usize;
    }
    ran += compare(&pair, "raw_tp", None, false) as usize;
    // Only the 96-byte arguments: the program reads up to byte 96, and there are at most 12.
    assert_eq!(ran, 1);
}

#[test]
fn sk_lookup_fields() {
    let Some(pair) = Pair::load("program_types_ctx") else {
        return;
    };
    let lookup = |family: u32, f: &dyn Fn(&mut Vec<u8>)| {
        let mut ctx: Vec<u8> = (0..72).map(|i| (i as u8).wrapping_mul(29) | 0x80).collect();
        ctx[0..8].fill(0); // sk
        ctx[64..72].fill(0); // ingress_ifindex and padding
        ctx[8..12].copy_from_slice(&family.to_ne_bytes());
        ctx[60..64].copy_from_slice(&8080u32.to_ne_bytes()); // local_port
        f(&mut ctx);
        ctx
    };
    let contexts = [
        lookup(2, &|_| {}),
        lookup(10, &|_| {}),
        lookup(0x1_000a, &|_| {}), // family keeps 16 bits
        lookup(2, &|c| {
            c[12..16].copy_from_slice(&0x3_0011u32.to_ne_bytes())
        }),
        lookup(1, &|_| {}),       // AF_UNIX: refused
        lookup(2, &|c| c[0] = 1), // sk: refused
        lookup(2, &|c| c[60..64].copy_from_slice(&70000u32.to_ne_bytes())), // local_port
        lookup(2, &|c| c[64] = 1), // ingress_ifindex
    ];
    let mut ran = 0;
    for verdict in [0u64, 1] {
        pair.update("wr", &0u32.to_ne_bytes(), &verdict.to_ne_bytes(), 0)
            .unwrap();
        for ctx in &contexts {
            ran += compare(&pair, "lookup", Some(ctx), true) as usize;
        }
        ran += compare(&pair, "lookup", None, true) as usize;
        ran += compare(&pair, "lookup", Some(&contexts[0][..40]), true) as usize;
    }
    // Run: v4, v6, the wide family and protocol, and a context cut after local_ip4 (the
    // rest zero: local_port 0); the rest refused by both.
    assert_eq!(ran, 2 * 5);
}
