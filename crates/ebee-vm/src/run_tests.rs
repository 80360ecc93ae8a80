//! Whole runs, small enough for Miri (`cargo +nightly miri test -p ebee-vm --lib`): every
//! path by which the interpreter and helpers touch memory — stack frames, host regions,
//! granted regions, atomics, helper reads and writes, callbacks, tail calls — so that Miri
//! checks their pointer provenance and aliasing.

use crate::{HelperEnv, HelperError, Helpers, Memory, Program, Region, Vm};
use std::sync::{Arc, Mutex};

fn load(helpers: Helpers, asm: &str) -> Program {
    Vm::new(helpers)
        .load(&ebee_isa::assemble(asm).unwrap())
        .unwrap()
}

#[test]
fn stack_frames_and_calls() {
    let program = load(
        Helpers::new(),
        "stdw [%r10-8], 11
mov %r1, 3
call local f
ldxdw %r1, [%r10-8]
add %r0, %r1
exit
f:
stxdw [%r10-16], %r1
ldxdw %r0, [%r10-16]
exit",
    );
    assert_eq!(program.run(&Memory::new(), &[]).unwrap(), 14);
}

#[test]
fn host_regions_and_atomics() {
    let program = load(
        Helpers::new(),
        "ldxw %r2, [%r1+0]
stxw [%r1+4], %r2
mov %r3, 5
lock add [%r1+8], %r3
stdw [%r10-8], 1
mov %r4, 2
lock fetch add [%r10-8], %r4
ldxdw %r0, [%r10-8]
add %r0, %r4
exit",
    );
    // 8-byte aligned, as atomics need.
    #[repr(C, align(8))]
    struct Input([u8; 16]);
    let mut input = Input([0; 16]);
    let bytes = &mut input.0;
    bytes[..4].copy_from_slice(&7u32.to_le_bytes());
    bytes[8..].copy_from_slice(&10u64.to_le_bytes());
    let mut memory = Memory::new();
    let address = memory.add_mut("input", bytes);
    // r0 = (1 + 2) + 1 (the fetched old value)
    assert_eq!(program.run(&memory, &[address]).unwrap(), 4);
    drop(memory);
    assert_eq!(bytes[4..8], 7u32.to_le_bytes());
    assert_eq!(bytes[8..], 15u64.to_le_bytes());
}

#[test]
fn helpers_read_write_grant_and_call_back() {
    static VALUE: Mutex<[u8; 8]> = Mutex::new([0; 8]);
    fn copy_in(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
        let bytes = env.read(a[0], 8)?;
        let sum = env.stack_bytes(a[0], 8).map_or(0, |b| b.iter().sum::<u8>());
        env.write(a[0], &[9; 8])?;
        Ok(u64::from(bytes[0]) + u64::from(sum))
    }
    fn lookup(env: &mut HelperEnv<'_, '_>, _: [u64; 5]) -> Result<u64, HelperError> {
        let address = VALUE.lock().unwrap().as_mut_ptr().expose_provenance() as u64;
        env.grant(Region {
            name: "value",
            start: address,
            len: 8,
            writable: true,
        });
        Ok(address)
    }
    fn each(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
        (0..a[0]).try_fold(0, |sum, i| {
            Ok(sum + env.call_function(a[1], [i, 0, 0, 0, 0])?)
        })
    }
    let mut helpers = Helpers::new();
    helpers.register_fn(1000, "copy_in", copy_in);
    helpers.register_fn(1001, "lookup", lookup);
    helpers.register_fn(1002, "each", each);
    let program = load(
        helpers.clone(),
        "stdw [%r10-8], 2
mov %r1, %r10
add %r1, -8
call 1000
ldxb %r6, [%r10-1]
add %r6, %r0
call 1001
stb [%r0+3], 4
ldxb %r0, [%r0+3]
add %r0, %r6
exit",
    );
    // copy_in: 2 + 2 (sum of the slot's bytes); then the slot holds 9s; value byte 3 = 4.
    assert_eq!(program.run(&Memory::new(), &[]).unwrap(), 4 + 9 + 4);

    let mut insns =
        ebee_isa::assemble("mov %r1, 3\nlddw %r2, 0\ncall 1002\nexit\nmov %r0, %r1\nexit")
            .unwrap()
            .into_instructions();
    insns[1].op = ebee_isa::Op::LddwFunc;
    insns[1].src = 4;
    insns[1].imm = 3; // slot 1 + 1 + 3 = 5: the callback
    let program = Vm::new(helpers)
        .load(&ebee_isa::Validated::new(insns).unwrap())
        .unwrap();
    assert_eq!(program.run(&Memory::new(), &[]).unwrap(), 3); // 0 + 1 + 2
}

#[test]
fn tail_calls_and_host_state() {
    let target: Arc<Mutex<Option<Arc<Program>>>> = Arc::new(Mutex::new(None));
    let slot = target.clone();
    let mut helpers = Helpers::new();
    helpers.register(12, "tail_call", move |env, _| {
        let program = slot.lock().unwrap().clone().expect("set");
        Ok(u64::from(!env.tail_call(program)))
    });
    helpers.register_fn(1000, "state", |env, _| {
        Ok(env.host_state::<u64>().copied().unwrap_or(0))
    });
    let program = Arc::new(load(
        helpers,
        "ldxdw %r2, [%r1+0]\nadd %r2, 1\nstxdw [%r1+0], %r2\ncall 12\ncall 1000\nexit",
    ));
    *target.lock().unwrap() = Some(program.clone());
    let mut counter = 0u64.to_le_bytes();
    let state = 77u64;
    let mut memory = Memory::new();
    let address = memory.add_mut("counter", &mut counter);
    let outcome = program.run_with_state(&memory, &state, &[address]).unwrap();
    assert_eq!(outcome.retval, 77);
    drop(memory);
    assert_eq!(u64::from_le_bytes(counter), 34); // 1 run + 33 tail calls
    target.lock().unwrap().take(); // break the program ↔ helper cycle of this test
}

#[test]
fn legacy_packet_loads_through_the_hook() {
    struct Skb;
    impl crate::ContextLayout for Skb {
        fn translate(&self, _: crate::CtxAccess) -> Result<crate::HostField, String> {
            Err("no fields".into())
        }
    }
    // The context is the packet's first byte; the packet is 6 bytes long.
    fn hook(
        env: &HelperEnv<'_, '_>,
        load: crate::LegacyPacketLoad,
    ) -> Result<Option<u64>, HelperError> {
        env.read(load.ctx, 1)?;
        let end = load.offset as i64 + i64::from(load.size);
        Ok((load.offset >= 0 && end <= 6).then(|| load.ctx + load.offset as u64))
    }
    let program = ebee_isa::assemble(
        "mov %r6, %r1
ldabsh 0
mov %r7, %r0
mov %r8, 2
ldindw %r8, 0
add %r0, %r7
ldindb %r8, 4
exit",
    )
    .unwrap();
    let program = Vm::new(Helpers::new())
        .with_legacy_packet_load(hook)
        .load_with_context(&program, &Skb)
        .unwrap();
    let packet = [0x01u8, 0x02, 0x10, 0x20, 0x30, 0x40];
    let mut memory = Memory::new();
    let address = memory.add("packet", &packet);
    // 0x0102 + 0x10203040, then ldindb at 2 + 4 is past the end: the program returns 0.
    assert_eq!(program.run(&memory, &[address]).unwrap(), 0);
    let program =
        ebee_isa::assemble("mov %r6, %r1\nldabsh 0\nmov %r7, %r0\nldabsw 2\nadd %r0, %r7\nexit")
            .unwrap();
    let program = Vm::new(Helpers::new())
        .with_legacy_packet_load(hook)
        .load_with_context(&program, &Skb)
        .unwrap();
    assert_eq!(
        program.run(&memory, &[address]).unwrap(),
        0x0102 + 0x1020_3040
    );
}
