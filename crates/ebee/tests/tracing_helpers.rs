//! The tracing helpers on contexts the host supplies (`tests/bpf/tracing_helpers.bpf.c`):
//! the kernel loads the object (it accepts the calls) but cannot test-run these types, so
//! ebee's answers are checked against what `linux/bpf.h` documents for the context given
//! (see `helpers/tracing.rs` for what ebee can and cannot know).

mod common;

use ebee::{Engine, Object, TestRun};

const RIP: usize = 128;
const CS: usize = 136;
const RDI: usize = 112;
const R8: usize = 72;
const RAX: usize = 80;
const USER_STACK: u64 = 1 << 8;
const USER_BUILD_ID: u64 = 1 << 11;

fn load() -> Object {
    let elf = std::fs::read(common::compile("tracing_helpers")).unwrap();
    if ebee_kernel::availability().is_ok() {
        // Without override_return and probe_write_user, which kernels without
        // CONFIG_BPF_KPROBE_OVERRIDE or locked down against user writes refuse.
        let path = common::compile_with("tracing_helpers", &["KERNEL_SUBSET"]);
        ebee_kernel::KernelObject::load(&std::fs::read(path).unwrap(), &Default::default())
            .expect("the kernel accepts the programs");
    }
    Engine::new().with_cpus(2).load(&elf).expect("ebee loads")
}

fn regs(set: &[(usize, u64)]) -> Vec<u8> {
    let mut regs = vec![0u8; 168];
    for &(at, value) in set {
        regs[at..at + 8].copy_from_slice(&value.to_ne_bytes());
    }
    regs
}

fn out(object: &Object, i: u32) -> u64 {
    let value = object.map("out").unwrap().lookup(&i.to_ne_bytes()).unwrap();
    u64::from_ne_bytes(value.try_into().unwrap())
}

fn run(object: &Object, program: &str, ctx: &[u8]) -> ebee::TestRunResult {
    object
        .program(program)
        .unwrap()
        .test_run(&TestRun {
            ctx_in: Some(ctx),
            ..Default::default()
        })
        .unwrap()
}

#[test]
fn get_stack_gives_the_frame_the_context_holds() {
    let object = load();
    let ip = 0xffff_ffff_8100_1234;
    for (cs, flags, ret, frame) in [
        (0x10, 0, 8, Some(ip)),
        (0x10, USER_STACK, 0, None),
        (0x10, 1, 0, None),
        (0x10, 2, -14, None),
        (0x10, 1 << 12, -22, None),
        (0x10, USER_BUILD_ID, -22, None),
        (0x33, USER_STACK, 8, Some(ip)),
        (0x33, 0, 0, None),
        (0x33, USER_STACK | 1, 0, None),
        (0x33, USER_STACK | 2, -14, None),
    ] {
        let ctx = regs(&[(RIP, ip), (CS, cs), (R8, flags)]);
        for i in 0..8u32 {
            object
                .map("out")
                .unwrap()
                .update(&i.to_ne_bytes(), &[0xff; 8], 0)
                .unwrap();
        }
        run(&object, "kprobe_stack", &ctx);
        assert_eq!(out(&object, 8) as i64, ret, "cs {cs:#x} flags {flags:#x}");
        assert_eq!(
            out(&object, 0),
            frame.unwrap_or(0),
            "cs {cs:#x} flags {flags:#x}"
        );
        for i in 1..8 {
            assert_eq!(out(&object, i), 0, "the rest of the buffer is zeroed");
        }
        assert_eq!(out(&object, 9), ip, "get_func_ip is the probed address");
    }
    // A user stack with build ids: one struct bpf_stack_build_id, status BPF_STACK_BUILD_ID_IP.
    let ctx = regs(&[
        (RIP, 0x40_1000),
        (CS, 0x33),
        (R8, USER_STACK | USER_BUILD_ID),
    ]);
    run(&object, "kprobe_stack", &ctx);
    assert_eq!(out(&object, 8), 32);
    assert_eq!(out(&object, 0) as u32, 2, "BPF_STACK_BUILD_ID_IP");
    assert_eq!(out(&object, 3), 0x40_1000, "the address, build id unknown");
    assert_eq!(out(&object, 4), 0, "only one frame");
    run(&object, "kprobe_stack_odd", &regs(&[(RIP, ip)]));
    assert_eq!(out(&object, 8) as i64, -22, "12 bytes are no multiple of 8");
    let tracepoint = object.program("tp_stack").unwrap();
    tracepoint
        .test_run(&TestRun {
            ctx_in: Some(&[0; 16]),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(out(&object, 8), 0, "a tracepoint's context has no frames");
}

#[test]
fn override_return_is_recorded_and_set_in_rax() {
    let object = load();
    let result = run(&object, "kprobe_override", &regs(&[(RDI, (-12i64) as u64)]));
    assert_eq!(out(&object, 0), 0);
    assert_eq!(result.override_return, Some((-12i64) as u64));
    assert_eq!(&result.ctx_out[RAX..RAX + 8], &(-12i64).to_ne_bytes());
    let result = run(&object, "kprobe_stack", &regs(&[]));
    assert_eq!(result.override_return, None, "programs that do not call it");
}

#[test]
fn probe_write_user_writes_only_registered_user_memory() {
    let object = load();
    let program = object.program("uprobe_write").unwrap();
    let mut user = [0u8; 16];
    let address = user.as_ptr() as u64;
    let run = TestRun {
        ctx_in: Some(&regs(&[(RDI, address + 4)])),
        ..Default::default()
    };
    program
        .runner()
        .with_user_memory(&mut user)
        .run(&run)
        .unwrap();
    assert_eq!(out(&object, 0), 0);
    assert_eq!(&user[4..9], b"ebee\0");
    assert_eq!(&user[..4], &[0; 4]);
    // Past its end, or without user memory: -EFAULT, nothing written.
    let mut user = [0u8; 8];
    let address = user.as_ptr() as u64;
    let run = TestRun {
        ctx_in: Some(&regs(&[(RDI, address + 4)])),
        ..Default::default()
    };
    program
        .runner()
        .with_user_memory(&mut user)
        .run(&run)
        .unwrap();
    assert_eq!(out(&object, 0) as i64, -14);
    assert_eq!(user, [0; 8]);
    let stack_like = regs(&[(RDI, 0x7fff_0000_1000)]);
    program
        .test_run(&TestRun {
            ctx_in: Some(&stack_like),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(out(&object, 0) as i64, -14);
}

#[test]
fn perf_event_read_of_output_events() {
    let object = load();
    let events = object.map("events").unwrap();
    let read = |flags: u64| {
        run(&object, "kprobe_perf_read", &regs(&[(RDI, flags)]));
        out(&object, 0) as i64
    };
    assert_eq!(read(0xffff_ffff), -2, "no event at the current CPU's index");
    events.perf_open(0, 4096).unwrap();
    assert_eq!(read(0xffff_ffff), 0, "a BPF output event counts nothing");
    assert_eq!(read(0), 0);
    events.perf_open(1, 4096).unwrap();
    assert_eq!(read(1), -22, "another CPU's event");
    assert_eq!(read(2), -2);
    assert_eq!(read(4), -7, "past max_entries");
    assert_eq!(read(1 << 32), -22, "flags beyond the index");
}
