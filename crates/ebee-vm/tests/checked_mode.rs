//! Checked mode, the instruction budget, call frames and helpers, on small assembled programs.

use ebee_vm::{Access, Backend, Fault, HelperError, Helpers, Memory, Vm, VmError};

/// Helper 5 (`ktime_get_ns` in the kernel), returning 0: enough for the programs here.
fn test_helpers() -> Helpers {
    let mut helpers = Helpers::new();
    helpers.register(5, "ktime_get_ns", |_, _| Ok(0));
    helpers
}

fn load(asm: &str) -> ebee_vm::Program {
    let program = ebee_isa::assemble(asm).expect("assembles");
    Vm::new(test_helpers()).load(&program).expect("loads")
}

#[test]
fn out_of_bounds_read_names_instruction_address_and_nearest_region() {
    let program = load("ldxw %r0, [%r1+6]\nexit");
    let mut input = vec![0u8; 8];
    let mut memory = Memory::new();
    let addr = memory.add_mut("input", &mut input);
    let err = program.run(&memory, &[addr]).unwrap_err();
    let VmError::OutOfBounds {
        pc,
        fault:
            Fault {
                access,
                addr: bad,
                size,
                ref nearest,
            },
    } = err
    else {
        panic!("unexpected {err}");
    };
    assert_eq!((pc, access, bad, size), (0, Access::Read, addr + 6, 4));
    assert!(nearest.contains("input"), "{nearest}");
    assert!(err.to_string().contains("instruction 0"), "{err}");
}

#[test]
fn stores_to_read_only_memory_and_below_the_frame_are_refused() {
    let program = load("stb [%r1+0], 1\nmov %r0, 0\nexit");
    let input = vec![0u8; 4];
    let mut memory = Memory::new();
    let addr = memory.add("input", &input);
    let err = program.run(&memory, &[addr]).unwrap_err();
    assert!(err.to_string().contains("read-only"), "{err}");

    let below_stack = load("stdw [%r10-520], 1\nmov %r0, 0\nexit");
    let err = below_stack.run(&Memory::new(), &[]).unwrap_err();
    assert!(
        matches!(
            err,
            VmError::OutOfBounds {
                fault: Fault {
                    access: Access::Write,
                    ..
                },
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("stack"), "{err}");
}

#[test]
fn wild_pointers_are_errors_not_faults() {
    let program = load("lddw %r1, 0xdeadbeef00\nldxdw %r0, [%r1]\nexit");
    let err = program.run(&Memory::new(), &[]).unwrap_err();
    assert!(
        matches!(
            err,
            VmError::OutOfBounds {
                pc: 2,
                fault: Fault {
                    addr: 0xdeadbeef00,
                    ..
                },
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("nearest region is stack"), "{err}");
}

#[test]
fn budget_stops_an_infinite_loop() {
    let program = ebee_isa::assemble("mov %r0, 0\nloop:\nja loop\nexit").unwrap();
    let program = Vm::new(Helpers::new())
        .with_budget(1000)
        .load(&program)
        .unwrap();
    let err = program.run(&Memory::new(), &[]).unwrap_err();
    assert_eq!(
        err,
        VmError::BudgetExhausted {
            pc: 1,
            budget: 1000
        }
    );
}

#[test]
fn without_a_budget_runs_are_not_limited_and_only_the_interpreter_counts() {
    // 3 instructions per iteration, 10,000 iterations: far past a budget of 1,000.
    let source = "mov %r0, 0\nloop:\nadd %r0, 1\njlt %r0, 10000, loop\nexit";
    let program = ebee_isa::assemble(source).unwrap();
    for backend in backends() {
        let vm = Vm::new(Helpers::new()).with_backend(backend);
        let limited = vm.clone().with_budget(1000).load(&program).unwrap();
        assert!(
            matches!(
                limited.run(&Memory::new(), &[]),
                Err(VmError::BudgetExhausted { budget: 1000, .. })
            ),
            "{backend:?}"
        );
        let unlimited = vm.without_budget().load(&program).unwrap();
        assert_eq!(unlimited.budget(), None);
        let outcome = unlimited.run_counting(&Memory::new(), &[]).unwrap();
        assert_eq!(outcome.retval, 10000, "{backend:?}");
        let counted = (backend == Backend::Interpreter).then_some(1 + 2 * 10000 + 1);
        assert_eq!(outcome.instructions, counted, "{backend:?}");
    }
}

/// The engines this build has.
fn backends() -> Vec<Backend> {
    let mut backends = vec![Backend::Interpreter];
    if Backend::JIT_AVAILABLE {
        backends.push(Backend::Jit);
    }
    backends
}

#[test]
fn callee_gets_a_fresh_frame_and_caller_registers_survive() {
    let program = load(
        "mov %r6, 6
stdw [%r10-8], 11
call local f
ldxdw %r1, [%r10-8]
add %r0, %r1
add %r0, %r6
exit
f:
mov %r6, 100
stdw [%r10-8], 22
ldxdw %r0, [%r10-8]
exit",
    );
    // 22 (callee's own slot) + 11 (caller's slot untouched) + 6 (r6 restored)
    assert_eq!(program.run(&Memory::new(), &[]).unwrap(), 39);
}

#[test]
fn call_depth_is_limited_to_eight_frames() {
    let program = load("mov %r0, 0\ncall local f\nexit\nf:\ncall local f\nexit");
    let err = program.run(&Memory::new(), &[]).unwrap_err();
    assert!(
        matches!(err, VmError::CallDepthExceeded { max: 8, .. }),
        "{err}"
    );
}

#[test]
fn registered_helpers_read_program_memory_with_checks() {
    let mut helpers = Helpers::new();
    helpers.register(1000, "sum_bytes", |env, args| {
        let bytes = env.read(args[0], args[1] as usize)?;
        Ok(bytes.iter().map(|&b| b as u64).sum())
    });
    let program = ebee_isa::assemble("call 1000\nexit").unwrap();
    let program = Vm::new(helpers).load(&program).unwrap();
    let mut input = vec![1u8, 2, 3];
    let mut memory = Memory::new();
    let addr = memory.add_mut("input", &mut input);
    assert_eq!(program.run(&memory, &[addr, 3]).unwrap(), 6);
    let err = program.run(&memory, &[addr, 4]).unwrap_err();
    assert!(matches!(err, VmError::Helper { id: 1000, .. }), "{err}");
}

#[test]
fn unknown_helpers_and_unresolved_maps_are_refused_at_load() {
    let vm = Vm::new(test_helpers());
    let err = vm
        .load(&ebee_isa::assemble("call 9999\nexit").unwrap())
        .unwrap_err();
    assert_eq!(err, VmError::UnknownHelper { pc: 0, id: 9999 });
    // lddw with src = 1 (map fd), as an unrelocated object would have.
    let bytes = [
        [0x18, 0x11, 0, 0, 3, 0, 0, 0],
        [0; 8],
        [0xb7, 0, 0, 0, 0, 0, 0, 0],
        [0x95, 0, 0, 0, 0, 0, 0, 0],
    ]
    .concat();
    let err = vm.load_bytes(&bytes).unwrap_err();
    assert!(
        matches!(err, VmError::UnresolvedReference { pc: 0, .. }),
        "{err}"
    );
}

#[test]
fn misaligned_atomics_are_refused() {
    let program = load("stdw [%r10-16], 0\nmov %r1, 1\nlock add [%r10-12], %r1\nmov %r0, 0\nexit");
    let err = program.run(&Memory::new(), &[]).unwrap_err();
    assert!(
        matches!(err, VmError::MisalignedAtomic { pc: 2, .. }),
        "{err}"
    );
}

#[test]
fn programs_run_on_many_threads_at_once() {
    let program =
        load("mov %r0, 0\nmov %r2, 1000\nloop:\nadd %r0, %r2\nsub %r2, 1\njne %r2, 0, loop\nexit");
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..50 {
                    assert_eq!(program.run(&Memory::new(), &[]).unwrap(), 500_500);
                }
            });
        }
    });
}

#[test]
fn tail_calls_replace_the_program_and_are_limited() {
    use std::sync::{Arc, OnceLock};
    let target: Arc<OnceLock<Arc<ebee_vm::Program>>> = Arc::new(OnceLock::new());
    let mut helpers = Helpers::new();
    let slot = target.clone();
    helpers.register(12, "tail_call", move |env, _| {
        let program = slot.get().expect("set").clone();
        Ok(if env.tail_call(program) { 0 } else { u64::MAX })
    });
    let vm = Vm::new(helpers);
    // The target adds 1 to a counter behind r1 and tail-calls itself.
    let looping = "ldxdw %r2, [%r1+0]\nadd %r2, 1\nstxdw [%r1+0], %r2\ncall 12\nmov %r0, 7\nexit";
    let program = Arc::new(vm.load(&ebee_isa::assemble(looping).unwrap()).unwrap());
    target.set(program.clone()).unwrap();
    let mut counter = 0u64.to_le_bytes().to_vec();
    let mut memory = Memory::new();
    let addr = memory.add_mut("counter", &mut counter);
    // 1 initial run + 33 tail calls; the 34th attempt fails and the program returns 7.
    assert_eq!(program.run(&memory, &[addr]).unwrap(), 7);
    drop(memory);
    assert_eq!(u64::from_le_bytes(counter.try_into().unwrap()), 34);
}

#[test]
fn helpers_grant_memory_for_the_rest_of_the_run() {
    let value: &'static mut [u8] = Box::leak(vec![5u8; 8].into_boxed_slice());
    let addr = value.as_ptr() as u64;
    let mut helpers = Helpers::new();
    helpers.register(1, "lookup", move |env, _| {
        env.grant(ebee_vm::Region {
            name: "map value",
            start: addr,
            len: 8,
            writable: true,
        });
        Ok(addr)
    });
    let vm = Vm::new(helpers);
    let program = vm
        .load(&ebee_isa::assemble("call 1\nldxb %r0, [%r0+7]\nexit").unwrap())
        .unwrap();
    assert_eq!(program.run(&Memory::new(), &[]).unwrap(), 5);
    let program = vm
        .load(&ebee_isa::assemble("call 1\nldxb %r0, [%r0+8]\nexit").unwrap())
        .unwrap();
    let err = program.run(&Memory::new(), &[]).unwrap_err();
    assert!(err.to_string().contains("map value"), "{err}");
}

#[test]
fn helpers_call_back_into_the_program() {
    let mut helpers = Helpers::new();
    // A bpf_loop-like helper: calls the callback r2 with (i, r3) r1 times, summing results.
    helpers.register(181, "loop", |env, args| {
        let mut sum = 0;
        for i in 0..args[0] {
            sum += env.call_function(args[1], [i, args[2], 0, 0, 0])?;
        }
        Ok(sum)
    });
    let program = with_function_reference(
        "mov %r1, 4\nlddw %r2, 0\nmov %r3, 10\ncall 181\nexit\ncb:\nmov %r0, %r1\nadd %r0, %r2\nexit",
        1,
        6,
    );
    let program = Vm::new(helpers).load(&program).unwrap();
    // (0+10) + (1+10) + (2+10) + (3+10)
    assert_eq!(program.run(&Memory::new(), &[]).unwrap(), 46);
}

#[test]
fn helpers_with_large_ids_are_found() {
    let mut helpers = Helpers::new();
    helpers.register(70_000, "custom", |_, args| Ok(args[0] * 2));
    helpers.register(2000, "other", |_, _| Ok(1));
    assert_eq!(helpers.get(70_000).unwrap().name, "custom");
    assert!(helpers.get(69_999).is_none());
    let program = Vm::new(helpers)
        .load(&ebee_isa::assemble("mov %r1, 21\ncall 70000\nexit").unwrap())
        .unwrap();
    assert_eq!(program.run(&Memory::new(), &[]).unwrap(), 42);
}

#[test]
fn helpers_refuse_huge_lengths_before_allocating() {
    let mut helpers = Helpers::new();
    helpers.register(1, "read_all", |env, args| {
        env.read(args[0], args[1] as usize).map(|v| v.len() as u64)
    });
    let program = Vm::new(helpers)
        .load(
            &ebee_isa::assemble("mov %r1, %r10\nsub %r1, 8\nlddw %r2, 0x10000000000\ncall 1\nexit")
                .unwrap(),
        )
        .unwrap();
    let err = program.run(&Memory::new(), &[]).unwrap_err();
    assert!(matches!(err, VmError::Helper { id: 1, .. }), "{err}");
}

/// `asm` with its instruction `index` (an `lddw`) turned into a function reference
/// (BPF_PSEUDO_FUNC) to slot `target`, as an object loader makes them.
fn with_function_reference(asm: &str, index: usize, target: i64) -> ebee_isa::Validated {
    let mut insns = ebee_isa::assemble(asm).unwrap().into_instructions();
    let insn = &mut insns[index];
    insn.op = ebee_isa::Op::LddwFunc;
    insn.src = 4;
    insn.imm = target - insn.pc as i64 - 1;
    ebee_isa::Validated::new(insns).unwrap()
}

/// Regression: a helper's memory fault used to name instruction 0 inside a message about
/// the call's instruction, and callback errors were flattened into text.
#[test]
fn helper_errors_name_the_call_and_keep_their_structure() {
    let mut helpers = Helpers::new();
    helpers.register(1000, "read8", |env, args| {
        env.read(args[0], 8).map(|v| v[0] as u64)
    });
    helpers.register(181, "loop", |env, args| env.call_function(args[1], [0; 5]));
    let vm = Vm::new(helpers);
    let program = vm
        .load(&ebee_isa::assemble("mov %r0, 0\nmov %r1, 0\nmov %r2, 0\ncall 1000\nexit").unwrap())
        .unwrap();
    let err = program.run(&Memory::new(), &[]).unwrap_err();
    let VmError::Helper {
        pc: 3,
        id: 1000,
        error: HelperError::Fault(Fault {
            addr: 0, size: 8, ..
        }),
        ..
    } = &err
    else {
        panic!("unexpected {err:?}");
    };
    let text = err.to_string();
    assert!(
        text.starts_with("instruction 3: helper read8 (id 1000): out-of-bounds read"),
        "{text}"
    );
    assert_eq!(text.matches("instruction").count(), 1, "{text}");

    // A callback that faults at its own instruction 6.
    let program = with_function_reference(
        "mov %r1, 1\nlddw %r2, 0\nmov %r3, 0\ncall 181\nexit\ncb:\nldxdw %r0, [%r1+0]\nexit",
        1,
        6,
    );
    let err = vm
        .load(&program)
        .unwrap()
        .run(&Memory::new(), &[])
        .unwrap_err();
    let VmError::Helper {
        pc: 4,
        error: HelperError::Callback(inner),
        ..
    } = &err
    else {
        panic!("unexpected {err:?}");
    };
    assert!(
        matches!(**inner, VmError::OutOfBounds { pc: 6, .. }),
        "{inner:?}"
    );
    assert!(
        err.to_string()
            .contains("in a callback: instruction 6: out-of-bounds"),
        "{err}"
    );
}
