use super::*;
use crate::helpers::Helper;

fn facts_with(asm: &str, has_ctx: bool, helpers: &Helpers) -> Result<Vec<usize>, VmError> {
    let program = ebee_isa::assemble(asm).expect("assembles");
    analyze(&program, has_ctx, helpers).map(|f| f.ctx_accesses)
}

fn facts(asm: &str, has_ctx: bool) -> Result<Vec<usize>, VmError> {
    facts_with(asm, has_ctx, &Helpers::new())
}

fn refused(asm: &str) -> String {
    match facts(asm, true) {
        Err(VmError::BadContextAccess { reason, .. }) => reason,
        other => panic!("not refused: {other:?}"),
    }
}

/// Helper 1000 reads memory only; 1001 writes through r1.
fn helpers() -> Helpers {
    fn nothing(_: &mut crate::HelperEnv<'_, '_>, _: [u64; 5]) -> Result<u64, crate::HelperError> {
        Ok(0)
    }
    let mut helpers = Helpers::new();
    for (id, writes_through) in [(1000, 0), (1001, 0b1)] {
        helpers.insert(Helper {
            id,
            name: "test".into(),
            imp: crate::HelperImpl::Fn(nothing),
            writes_through,
        });
    }
    helpers
}

#[test]
fn reads_of_unwritten_registers_are_refused() {
    let err = facts("or %r0, %r10\nexit", false).unwrap_err();
    assert_eq!(err, VmError::UninitializedRegister { pc: 0, reg: 0 });
    let err = facts("jeq %r1, 0, +1\nmov %r0, 1\nexit", false).unwrap_err();
    assert_eq!(err, VmError::UninitializedRegister { pc: 2, reg: 0 });
    let err = facts("call 5\nmov %r0, %r1\nexit", false).unwrap_err();
    assert_eq!(err, VmError::UninitializedRegister { pc: 1, reg: 1 });
    assert!(facts("call 5\nexit", false).is_ok());
}

#[test]
fn context_accesses_are_found_through_copies_spills_and_calls() {
    let asm = "mov %r6, %r1
ldxw %r0, [%r6+4]
stxdw [%r10-8], %r6
ldxdw %r7, [%r10-8]
ldxw %r2, [%r7+0]
call local f
exit
f:
ldxw %r0, [%r1+8]
exit";
    // Slot 1 (via r6), slot 4 (via the reloaded spill), slot 7 (callee's r1).
    assert_eq!(facts(asm, true).unwrap(), vec![1, 4, 7]);
    assert_eq!(facts(asm, false).unwrap(), Vec::<usize>::new());
}

/// Regression: spills through a copy of r10 used to be missed, and the reload read the
/// wrong field.
#[test]
fn spills_through_a_copy_of_the_frame_pointer_are_followed() {
    let asm = "mov %r2, %r10
stxdw [%r2-8], %r1
mov %r3, %r10
add %r3, -16
ldxdw %r4, [%r3+8]
ldxw %r0, [%r4+0]
exit";
    assert_eq!(facts(asm, true).unwrap(), vec![5]);
    // A constant offset through a register works too.
    let asm = "mov %r5, -8
mov %r2, %r10
add %r2, %r5
stxdw [%r2+0], %r1
ldxdw %r4, [%r10-8]
ldxw %r0, [%r4+0]
exit";
    assert_eq!(facts(asm, true).unwrap(), vec![5]);
}

/// Regression: a spilled context pointer overwritten in part used to stay the context.
#[test]
fn partly_overwritten_spills_are_no_longer_the_context() {
    let reason = refused(
        "stxdw [%r10-8], %r1
stw [%r10-4], 0
ldxdw %r3, [%r10-8]
ldxw %r0, [%r3+0]
exit",
    );
    assert!(reason.contains("modified"), "{reason}");
    // A misaligned 8-byte store across the slot, through a copy of r10.
    let reason = refused(
        "stxdw [%r10-16], %r1
mov %r2, %r10
stdw [%r2-12], 0
ldxdw %r3, [%r10-16]
ldxw %r0, [%r3+0]
exit",
    );
    assert!(reason.contains("modified"), "{reason}");
    // Reading part of the spill gives no context pointer either.
    let reason = refused("stxdw [%r10-8], %r1\nldxw %r3, [%r10-8]\nldxw %r0, [%r3+0]\nexit");
    assert!(reason.contains("modified"), "{reason}");
}

#[test]
fn stores_at_unknown_stack_offsets_forget_spills() {
    let reason = refused(
        "stxdw [%r10-8], %r1
mov %r2, %r10
ldxw %r3, [%r1+0]
add %r2, %r3
stb [%r2-64], 0
ldxdw %r4, [%r10-8]
ldxw %r0, [%r4+0]
exit",
    );
    assert!(reason.contains("modified"), "{reason}");
    // A load at an unknown stack offset may be the spilled context.
    let reason = refused(
        "stxdw [%r10-8], %r1
mov %r2, %r10
ldxw %r3, [%r1+0]
add %r2, %r3
ldxdw %r4, [%r2+0]
ldxw %r0, [%r4+0]
exit",
    );
    assert!(reason.contains("some paths"), "{reason}");
}

#[test]
fn context_pointers_are_stored_only_in_fixed_stack_slots() {
    let reason = refused("stxdw [%r2+0], %r1\nmov %r0, 0\nexit");
    assert!(reason.contains("outside a fixed stack slot"), "{reason}");
    let reason = refused("stxw [%r10-8], %r1\nmov %r0, 0\nexit");
    assert!(reason.contains("in part"), "{reason}");
}

#[test]
fn helpers_writing_through_stack_pointers_forget_spills_there() {
    let program = |helper: u32| {
        format!(
            "stxdw [%r10-8], %r1
mov %r1, %r10
add %r1, -16
mov %r2, 16
call {helper}
ldxdw %r4, [%r10-8]
ldxw %r0, [%r4+0]
exit"
        )
    };
    let helpers = helpers();
    // Reads only: the spill survives.
    assert_eq!(facts_with(&program(1000), true, &helpers).unwrap(), vec![6]);
    // Writes 16 bytes from r10-16: over the spill.
    let err = facts_with(&program(1001), true, &helpers).unwrap_err();
    assert!(err.to_string().contains("modified"), "{err}");
    // Writes 8 bytes from r10-16: below the spill, which survives.
    let below = program(1001).replace("mov %r2, 16", "mov %r2, 8");
    assert_eq!(facts_with(&below, true, &helpers).unwrap(), vec![6]);
    // A local call that receives a pointer to the frame may write anything above it.
    let local = "stxdw [%r10-8], %r1
mov %r1, %r10
add %r1, -16
call local f
ldxdw %r4, [%r10-8]
ldxw %r0, [%r4+0]
exit
f:
mov %r0, 0
exit";
    let err = facts(local, true).unwrap_err();
    assert!(err.to_string().contains("modified"), "{err}");
}

#[test]
fn modified_or_ambiguous_context_pointers_are_refused() {
    let err = facts("add %r1, 4\nldxw %r0, [%r1+0]\nexit", true).unwrap_err();
    assert!(
        matches!(err, VmError::BadContextAccess { pc: 1, .. }),
        "{err}"
    );
    let asm = "mov %r2, %r10\njeq %r3, 0, +1\nmov %r2, %r1\nldxw %r0, [%r2-4]\nexit";
    let err = facts(asm, true).unwrap_err();
    assert!(err.to_string().contains("some paths"), "{err}");
}
