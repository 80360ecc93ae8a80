//! Any bytes into the decoder: no panic; an accepted program encodes back to the same bytes
//! and survives disassemble → assemble unchanged.
#![no_main]

use ebee_isa::{
    assemble, decode_program, disassemble_conformance, encode_program, slots_from_bytes,
    slots_to_bytes,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(slots) = slots_from_bytes(data) else {
        return;
    };
    let Ok(program) = decode_program(&slots) else {
        return;
    };
    assert_eq!(slots_to_bytes(&encode_program(&program)), data);
    let text = disassemble_conformance(&program);
    let again = assemble(&text).expect("disassembly of a valid program assembles");
    assert_eq!(slots_to_bytes(&encode_program(&again)), data, "{text}");
});
