//! Legacy packet loads (`ldabs*`, `ldind*`) through a [`LegacyPacketLoadFn`] hook: the
//! offset arithmetic, network byte order, the function returning 0 when the bytes are out of
//! the packet, r1-r5 clobbered, and the load-time refusals (no hook, r6 not the context).

use ebee_vm::{ContextLayout, CtxAccess, HelperEnv, HelperError, Helpers, HostField};
use ebee_vm::{LegacyPacketLoad, Memory, Vm, VmError};

/// A context of two host pointers, `data` and `data_end`, with no UAPI fields.
struct Skb;

impl ContextLayout for Skb {
    fn translate(&self, a: CtxAccess) -> Result<HostField, String> {
        Err(format!("no field at {}", a.offset))
    }
}

/// The bytes `[data + offset, data + offset + size)` if they lie before `data_end`;
/// negative offsets are out of the packet here.
fn hook(env: &HelperEnv<'_, '_>, load: LegacyPacketLoad) -> Result<Option<u64>, HelperError> {
    let ctx = env.read(load.ctx, 16)?;
    let data = u64::from_le_bytes(ctx[..8].try_into().unwrap());
    let data_end = u64::from_le_bytes(ctx[8..].try_into().unwrap());
    if load.offset < 0 {
        return Ok(None);
    }
    let start = data + load.offset as u64;
    Ok((start + u64::from(load.size) <= data_end).then_some(start))
}

fn vm() -> Vm {
    Vm::new(Helpers::new()).with_legacy_packet_load(hook)
}

fn load(asm: &str) -> Result<ebee_vm::Program, VmError> {
    vm().load_with_context(&ebee_isa::assemble(asm).unwrap(), &Skb)
}

/// Runs `asm` with `r2` as its second argument over an 8-byte packet
/// `11 22 33 44 55 66 77 88`.
fn run(asm: &str, r2: u64) -> Result<ebee_vm::Outcome, VmError> {
    let program = load(asm).unwrap_or_else(|e| panic!("{asm}: {e}"));
    let mut packet = [0x11u8, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88];
    let data = packet.as_mut_ptr() as u64;
    let mut ctx = [0u8; 16];
    ctx[..8].copy_from_slice(&data.to_le_bytes());
    ctx[8..].copy_from_slice(&(data + 8).to_le_bytes());
    let mut memory = Memory::new();
    memory.add_mut("packet", &mut packet);
    let ctx = memory.add_mut("context", &mut ctx);
    program.run_counting(&memory, &[ctx, r2])
}

fn retval(asm: &str, r2: u64) -> u64 {
    run(asm, r2).unwrap_or_else(|e| panic!("{asm}: {e}")).retval
}

#[test]
fn loads_in_network_byte_order_up_to_the_end_of_the_packet() {
    let abs = |insn: &str| retval(&format!("mov %r6, %r1\nmov %r0, 99\n{insn}\nexit"), 0);
    assert_eq!(abs("ldabsb 0"), 0x11);
    assert_eq!(abs("ldabsh 1"), 0x2233);
    assert_eq!(abs("ldabsw 2"), 0x3344_5566);
    // The last bytes, then one past: the program exits with 0 (not 99).
    assert_eq!(abs("ldabsb 7"), 0x88);
    assert_eq!(abs("ldabsh 6"), 0x7788);
    assert_eq!(abs("ldabsw 4"), 0x5566_7788);
    for past in [
        "ldabsb 8",
        "ldabsh 7",
        "ldabsw 5",
        "ldabsw 0x7fffffff",
        "ldabsb -1",
    ] {
        assert_eq!(abs(past), 0, "{past}");
    }
    // A loaded word keeps all 32 bits, zero-extended.
    let word = retval("mov %r6, %r1\nldabsw 4\nrsh %r0, 31\nexit", 0);
    assert_eq!(word, 0);
}

#[test]
fn indirect_offsets_are_the_low_32_bits_of_src_plus_imm() {
    let ind = |imm: i32, r2: u64| {
        retval(
            &format!("mov %r6, %r1\nmov %r0, 99\nldindb %r2, {imm}\nexit"),
            r2,
        )
    };
    assert_eq!(ind(0, 3), 0x44);
    assert_eq!(ind(-2, 5), 0x44);
    assert_eq!(ind(1, 0x1_0000_0002), 0x44); // the high bits do not count
    assert_eq!(ind(4, 0xffff_ffff), 0x44); // wraps in 32 bits
    assert_eq!(ind(0, 0xffff_ffff), 0); // -1: out of the packet
    assert_eq!(ind(0, 8), 0);
    assert_eq!(ind(i32::MIN, 0x8000_0003), 0x44);
    let half = retval("mov %r6, %r1\nmov %r3, 6\nldindh %r3, 0\nexit", 0);
    assert_eq!(half, 0x7788);
}

/// As in the kernel, whose rewrite ends in `r0 = 0; exit`: out of range, the *function*
/// returns 0, so a bpf-to-bpf caller continues.
#[test]
fn out_of_range_returns_from_the_current_function() {
    let asm = "mov %r6, %r1
mov %r7, 100
call local f
add %r0, %r7
exit
f:
mov %r6, %r1
mov %r7, 5
ldindw %r2, 0
add %r0, 1
exit";
    assert_eq!(retval(asm, 0), 100 + 0x1122_3345);
    // In f the load is out of range: f returns 0, main adds its own r7.
    let outcome = run(asm, 8).unwrap();
    assert_eq!(outcome.retval, 100);
    // mov, mov, call, mov, mov, ldindw (its hidden exit is not an instruction), add, exit.
    assert_eq!(outcome.instructions, Some(8));
}

#[test]
fn r1_to_r5_are_clobbered_r6_to_r9_kept() {
    for reg in 1..=5 {
        let asm = format!("mov %r6, %r1\nmov %r{reg}, 1\nldabsb 0\nmov %r0, %r{reg}\nexit");
        assert_eq!(
            load(&asm).unwrap_err(),
            VmError::UninitializedRegister { pc: 3, reg },
            "r{reg}"
        );
    }
    let kept = "mov %r6, %r1\nmov %r7, 1\nmov %r8, 2\nmov %r9, 3\nldabsb 0\n\
                add %r0, %r7\nadd %r0, %r8\nadd %r0, %r9\nldxdw %r1, [%r6+0]\nexit";
    // The context (r6) is still the context: reading it is a context access, refused by
    // this layout, which has no fields.
    assert!(matches!(
        load(kept).unwrap_err(),
        VmError::BadContextAccess { pc: 8, .. }
    ));
    let kept = kept.replace("ldxdw %r1, [%r6+0]\n", "");
    assert_eq!(retval(&kept, 0), 0x11 + 6);
}

#[test]
fn r6_must_be_the_context() {
    let refused = |asm: &str| match load(asm).unwrap_err() {
        VmError::LegacyPacketAccess {
            pc,
            mnemonic,
            reason,
        } => (pc, mnemonic, reason),
        other => panic!("{asm}: {other}"),
    };
    assert_eq!(
        load("ldabsb 0\nexit").unwrap_err(),
        VmError::UninitializedRegister { pc: 0, reg: 6 }
    );
    let (pc, mnemonic, reason) = refused("mov %r6, 0\nldabsh 0\nexit");
    assert_eq!((pc, mnemonic), (1, "ldabsh"));
    assert!(reason.contains("r6 must hold the skb"), "{reason}");
    let (_, _, reason) = refused("mov %r6, %r1\nadd %r6, 8\nldindw %r1, 0\nexit");
    assert!(reason.contains("modified context pointer"), "{reason}");
    let (pc, _, reason) = refused("mov %r6, %r1\njeq %r2, 0, +1\nmov %r6, 0\nldabsb 0\nexit");
    assert_eq!(pc, 3);
    assert!(reason.contains("some paths only"), "{reason}");
    // The offset register must be readable.
    assert_eq!(
        load("mov %r6, %r1\nldindb %r7, 0\nexit").unwrap_err(),
        VmError::UninitializedRegister { pc: 1, reg: 7 }
    );
    // Through a spill and a bpf-to-bpf call the context is still the context.
    let asm = "stxdw [%r10-8], %r1
mov %r1, 0
ldxdw %r6, [%r10-8]
ldabsb 1
mov %r1, %r6
call local f
exit
f:
mov %r6, %r1
ldabsb 2
exit";
    assert_eq!(retval(asm, 0), 0x33);
    // Without a context there is no skb.
    let (_, _, reason) =
        match vm().load(&ebee_isa::assemble("mov %r6, %r1\nldabsb 0\nexit").unwrap()) {
            Err(VmError::LegacyPacketAccess {
                pc,
                mnemonic,
                reason,
            }) => (pc, mnemonic, reason),
            other => panic!("{other:?}"),
        };
    assert!(reason.contains("not the context pointer"), "{reason}");
}

/// As the kernel ("cannot use BPF_LD_[ABS|IND] within callback"): a callback's r6 is never
/// the context, so a legacy packet load in one is refused.
#[test]
fn callbacks_cannot_load_from_the_packet() {
    let mut insns = ebee_isa::assemble(
        "mov %r6, %r1
lddw %r2, 0
mov %r1, 1
call 181
exit
mov %r6, %r1
ldabsb 0
exit",
    )
    .unwrap()
    .into_instructions();
    insns[1].op = ebee_isa::Op::LddwFunc;
    insns[1].src = 4;
    insns[1].imm = 4; // slot 1 + 1 + 4 = 6: the callback
    let mut helpers = Helpers::new();
    helpers.register(181, "loop", |_, _| Ok(0));
    let err = Vm::new(helpers)
        .with_legacy_packet_load(hook)
        .load_with_context(&ebee_isa::Validated::new(insns).unwrap(), &Skb)
        .unwrap_err();
    assert!(
        matches!(err, VmError::LegacyPacketAccess { pc: 7, .. }),
        "{err}"
    );
}

#[test]
fn without_a_hook_the_instructions_are_refused_at_load() {
    let program = ebee_isa::assemble("mov %r6, %r1\nmov %r0, 0\nldindh %r0, 4\nexit").unwrap();
    let err = Vm::new(Helpers::new())
        .load_with_context(&program, &Skb)
        .unwrap_err();
    let VmError::LegacyPacketAccess { pc, mnemonic, .. } = &err else {
        panic!("{err}");
    };
    assert_eq!((*pc, *mnemonic), (2, "ldindh"));
    assert!(
        err.to_string()
            .starts_with("instruction 2 (ldindh): legacy packet access: there is no packet"),
        "{err}"
    );
}

#[test]
fn hook_errors_and_bad_addresses_stop_the_run() {
    fn failing(_: &HelperEnv<'_, '_>, _: LegacyPacketLoad) -> Result<Option<u64>, HelperError> {
        Err("no skb in this run".into())
    }
    fn wild(_: &HelperEnv<'_, '_>, _: LegacyPacketLoad) -> Result<Option<u64>, HelperError> {
        Ok(Some(0x10))
    }
    let program = ebee_isa::assemble("mov %r6, %r1\nldabsw 0\nexit").unwrap();
    for (hook, expected) in [
        (
            failing as ebee_vm::LegacyPacketLoadFn,
            "instruction 1 (ldabsw): legacy packet load: no skb in this run",
        ),
        (wild, "instruction 1: out-of-bounds read of 4 bytes at 0x10"),
    ] {
        let program = Vm::new(Helpers::new())
            .with_legacy_packet_load(hook)
            .load_with_context(&program, &Skb)
            .unwrap();
        let err = program.run(&Memory::new(), &[0]).unwrap_err().to_string();
        assert!(err.starts_with(expected), "{err}");
    }
}
