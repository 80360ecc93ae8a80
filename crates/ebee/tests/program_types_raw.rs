//! lwt_in/out/xmit, syscall and the unix sock_addr hooks (`tests/bpf/program_types_raw.bpf.c`)
//! in ebee and in Linux, which loads them from raw instructions (aya cannot). lwt and syscall
//! programs run in both with `BPF_PROG_TEST_RUN` and must give the same return values,
//! packets and contexts out; the kernel runs no sock_addr programs, but must load them.

mod common;

use ebee::TestRun;

fn elf() -> Vec<u8> {
    std::fs::read(common::compile("program_types_raw")).expect("read the object")
}

/// `(retval, data_out, ctx_out)`, or `None` when the run was refused.
type Outcome = Option<(u32, Vec<u8>, Vec<u8>)>;

fn ebee_run(object: &ebee::Object, program: &str, data: &[u8], ctx: Option<&[u8]>) -> Outcome {
    let prog = object.program(program).expect("ebee program");
    let run = TestRun {
        data_in: data,
        ctx_in: ctx,
        ..Default::default()
    };
    let r = prog.test_run(&run).ok()?;
    Some((r.retval, r.data_out, r.ctx_out))
}

fn frame(ethertype: [u8; 2], len: usize) -> Vec<u8> {
    let mut p: Vec<u8> = (0..len).map(|i| (i * 13) as u8).collect();
    p[0..12].copy_from_slice(&[2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]);
    p[12..14].copy_from_slice(&ethertype);
    p[14] = if ethertype == [0x86, 0xdd] {
        0x60
    } else {
        0x45
    };
    p
}

#[test]
fn lwt_fields() {
    let elf = elf();
    if let Err(reason) = ebee_kernel::availability() {
        eprintln!("skipping: the kernel cannot be the oracle here: {reason}");
        return;
    }
    let object = ebee::Engine::new().load(&elf).expect("ebee loads");
    let mut ctx = vec![0u8; 192];
    ctx[8..12].copy_from_slice(&0x1234_5678u32.to_ne_bytes()); // mark
    ctx[32..36].copy_from_slice(&0x0a0b_0c0du32.to_ne_bytes()); // priority
    for (i, b) in ctx[48..68].iter_mut().enumerate() {
        *b = 0x40 + i as u8; // cb
    }
    ctx[164..168].copy_from_slice(&2u32.to_ne_bytes()); // gso_segs
    let contexts = [None, Some(vec![0u8; 192]), Some(ctx)];
    let packets = [
        frame([0x08, 0x00], 64),
        frame([0x86, 0xdd], 80),
        frame([0x08, 0x06], 42),
        frame([0x08, 0x00], 20), // too short for IPv4: refused
    ];
    let mut ran = 0;
    for ty in ["lwt_in", "lwt_out", "lwt_xmit"] {
        for group in 0..3 {
            let name = format!("{ty}_{group}");
            let kernel = common::kernel_raw(&elf, &name)
                .unwrap_or_else(|e| panic!("the kernel loads {name}: {e}"));
            for packet in &packets {
                for ctx in &contexts {
                    let run = ebee_kernel::TestRun {
                        data_in: packet,
                        ctx_in: ctx.as_deref(),
                        data_size_out: packet.len() + 256,
                        ctx_size_out: ctx.as_ref().map_or(0, Vec::len),
                        ..Default::default()
                    };
                    let mut theirs = kernel
                        .test_run(&run)
                        .ok()
                        .map(|r| (r.retval, r.data_out, r.ctx_out));
                    let mut ours = ebee_run(&object, &name, packet, ctx.as_deref());
                    if ctx.is_none() {
                        if let Some(o) = ours.as_mut() {
                            o.2.clear();
                        }
                    }
                    if let (1, Some(o), Some(t)) = (group, ours.as_mut(), theirs.as_mut()) {
                        // Bit 0: skb->sk != 0. The kernel's test-run skb has a socket; ebee
                        // has none, so sk reads NULL.
                        assert_eq!((o.0 & 1, t.0 & 1), (0, 1), "{name}: skb->sk");
                        t.0 &= !1;
                    }
                    assert_eq!(ours, theirs, "{name} on {packet:02x?} with ctx {ctx:02x?}");
                    ran += ours.is_some() as usize;
                }
            }
        }
    }
    assert_eq!(ran, 3 * 3 * 3 * 3, "every run but the short packet's");
}

#[test]
fn syscall_buffer() {
    let elf = elf();
    if let Err(reason) = ebee_kernel::availability() {
        eprintln!("skipping: the kernel cannot be the oracle here: {reason}");
        return;
    }
    let object = ebee::Engine::new().load(&elf).expect("ebee loads");
    let kernel = common::kernel_raw(&elf, "sys").expect("the kernel loads sys");
    assert_eq!(object.program("sys").unwrap().max_ctx_offset(), 48);
    let mut ran = 0;
    for len in [0, 8, 40, 47, 48, 64, 200, 65535, 65536] {
        let ctx: Vec<u8> = (0..len).map(|i| (i * 31 + 7) as u8).collect();
        let run = ebee_kernel::TestRun {
            ctx_in: Some(&ctx),
            repeat: 0,
            ..Default::default()
        };
        let theirs = kernel
            .test_run(&run)
            .ok()
            .map(|r| (r.retval, r.ctx_in_after));
        let ours = ebee_run(&object, "sys", &[], Some(&ctx)).map(|(r, _, c)| (r, c));
        assert_eq!(ours, theirs, "a {len}-byte buffer");
        ran += ours.is_some() as usize;
    }
    // Refused by both: buffers shorter than the 48 bytes the program accesses, and longer
    // than 65535.
    assert_eq!(ran, 4);
    let err = object
        .program("sys")
        .unwrap()
        .test_run(&TestRun {
            data_in: &[0; 20],
            ctx_in: Some(&[0; 48]),
            ..Default::default()
        })
        .unwrap_err()
        .to_string();
    assert!(err.contains("a syscall program has no packet"), "{err}");
}

#[test]
fn unix_sock_addr_hooks() {
    let elf = elf();
    let object = ebee::Engine::new().load(&elf).expect("ebee loads");
    let kernel = ebee_kernel::availability();
    let mut ctx = vec![0u8; 72];
    ctx[0..4].copy_from_slice(&1u32.to_ne_bytes()); // user_family: AF_UNIX
    ctx[24..28].copy_from_slice(&0xabcd_1234u32.to_ne_bytes()); // user_port: 16 bits kept
    ctx[28..32].copy_from_slice(&1u32.to_ne_bytes()); // family
    ctx[32..36].copy_from_slice(&2u32.to_ne_bytes()); // type: SOCK_DGRAM
    for hook in [
        "connect",
        "sendmsg",
        "recvmsg",
        "getpeername",
        "getsockname",
    ] {
        let name = format!("{hook}_unix");
        let (retval, _, out) = ebee_run(&object, &name, &[], Some(&ctx)).expect("ebee runs");
        assert_eq!(retval, 1, "{name}");
        let port = u32::from_ne_bytes(out[24..28].try_into().unwrap());
        assert_eq!(
            port,
            (1 + 1 + 2 + 0x1234) & 0xffff,
            "{name}: user_port written"
        );
        assert_eq!(out[..24], ctx[..24], "{name}");
        match &kernel {
            Ok(()) => {
                common::kernel_raw(&elf, &name)
                    .unwrap_or_else(|e| panic!("the kernel loads {name}: {e}"));
            }
            Err(reason) => eprintln!("skipping the kernel side: {reason}"),
        }
    }
}
