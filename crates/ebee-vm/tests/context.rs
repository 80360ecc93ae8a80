//! Context rewriting: a program written against a UAPI context with 32-bit pointer fields
//! runs against a host context holding 64-bit pointers.

use ebee_vm::{ContextLayout, CtxAccess, Helpers, HostField, Memory, Vm, VmError};

/// UAPI `struct { __u32 data; __u32 data_end; __u32 mark; }`;
/// host `struct { u64 data; u64 data_end; u32 mark; }`.
struct PacketCtx;

impl ContextLayout for PacketCtx {
    fn translate(&self, a: CtxAccess) -> Result<HostField, String> {
        match (a.offset, a.size, a.write) {
            (0, 4, false) => Ok(HostField { offset: 0, size: 8 }),
            (4, 4, false) => Ok(HostField { offset: 8, size: 8 }),
            (8, 4, _) => Ok(HostField {
                offset: 16,
                size: 4,
            }),
            _ => Err(format!(
                "no field of {} bytes at offset {}",
                a.size, a.offset
            )),
        }
    }
}

fn host_ctx(packet: &mut [u8]) -> Vec<u8> {
    let start = packet.as_mut_ptr() as u64;
    let mut ctx = Vec::new();
    ctx.extend(start.to_le_bytes());
    ctx.extend((start + packet.len() as u64).to_le_bytes());
    ctx.extend(7u32.to_le_bytes());
    ctx.extend([0; 4]);
    ctx
}

#[test]
fn pointer_fields_are_widened_and_writes_land_in_the_host_field() {
    // r0 = packet[1] if data + 2 <= data_end; ctx->mark = r0; return mark read back.
    let asm = "mov %r6, %r1
ldxw %r2, [%r6+0]
ldxw %r3, [%r6+4]
mov %r4, %r2
add %r4, 2
mov %r0, 0
jgt %r4, %r3, out
ldxb %r0, [%r2+1]
stxw [%r6+8], %r0
ldxw %r0, [%r6+8]
out:
exit";
    let program = ebee_isa::assemble(asm).unwrap();
    let program = Vm::new(Helpers::new())
        .load_with_context(&program, &PacketCtx)
        .unwrap();
    let mut packet = vec![0xaa, 0x42, 0xbb];
    let mut ctx = host_ctx(&mut packet);
    let mut memory = Memory::new();
    memory.add_mut("packet", &mut packet);
    let ctx_addr = memory.add_mut("context", &mut ctx);
    assert_eq!(program.run(&memory, &[ctx_addr]).unwrap(), 0x42);
    drop(memory);
    assert_eq!(u32::from_le_bytes(ctx[16..20].try_into().unwrap()), 0x42);
}

#[test]
fn accesses_the_layout_refuses_fail_the_load() {
    let vm = Vm::new(Helpers::new());
    let program = ebee_isa::assemble("ldxdw %r0, [%r1+0]\nexit").unwrap();
    let err = vm.load_with_context(&program, &PacketCtx).unwrap_err();
    assert!(
        matches!(err, VmError::BadContextAccess { pc: 0, .. }),
        "{err}"
    );
    let program = ebee_isa::assemble("stw [%r1+0], 1\nmov %r0, 0\nexit").unwrap();
    assert!(vm.load_with_context(&program, &PacketCtx).is_err());
}
