//! `Verified::call_maps`: a helper call is listed with its map only when every path reaches
//! it with that map in r1 (what lets a VM inline an array lookup).

use ebee_abi::prog_type::BPF_PROG_TYPE_XDP;
use ebee_abi::MapType;
use ebee_verifier::{verify, Environment, MapInfo};

/// Looks up key 0 in map `first`, or, when the packet is at least 8 bytes long (a branch
/// the verifier cannot decide), in map `second`; returns whether the value was found.
fn lookup_in(first: u32, second: u32) -> ebee_isa::Validated {
    let source = format!(
        "ldxw %r2, [%r1+0]
         ldxw %r3, [%r1+4]
         stw [%r10-4], 0
         lddw_map_fd %r1, {first}
         sub %r3, %r2
         jlt %r3, 8, +2
         lddw_map_fd %r1, {second}
         mov %r2, %r10
         add %r2, -4
         call 1
         jeq %r0, 0, +2
         mov %r0, 1
         exit
         mov %r0, 0
         exit"
    );
    ebee_isa::assemble(&source).expect("assembles")
}

fn call_maps(program: &ebee_isa::Validated) -> Vec<(usize, u16)> {
    let maps = [
        MapInfo::new("a", MapType::Array, 4, 8, 4),
        MapInfo::new("b", MapType::Array, 4, 16, 2),
    ];
    let spec = ebee_spec::program_type::spec_for(BPF_PROG_TYPE_XDP, None);
    let env = Environment::new(spec, &maps);
    verify(program, &env).expect("verifies").call_maps
}

/// The slot of the program's only helper call.
fn call_slot(program: &ebee_isa::Validated) -> usize {
    let call = program
        .iter()
        .find(|insn| matches!(insn.def().sem, ebee_isa::Semantics::Call(_)));
    call.map(|insn| insn.pc).expect("a call")
}

#[test]
fn a_call_that_sees_one_map_on_every_path_names_it() {
    let program = lookup_in(1, 1);
    assert_eq!(call_maps(&program), [(call_slot(&program), 1)]);
}

#[test]
fn a_call_that_sees_two_maps_names_none() {
    assert_eq!(call_maps(&lookup_in(0, 1)), []);
}
