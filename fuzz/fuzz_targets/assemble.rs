//! Any text into the assembler (and the `.data` parser): no panic; an accepted program
//! survives disassemble → assemble byte for byte.
#![no_main]

use ebee_isa::{assemble, disassemble_conformance, encode_program, ConformanceTest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(test) = ConformanceTest::parse(text) {
        let _ = test.program();
    }
    let Ok(program) = assemble(text) else {
        return;
    };
    let printed = disassemble_conformance(&program);
    let again = assemble(&printed).expect("disassembly of an assembled program assembles");
    assert_eq!(
        encode_program(&again),
        encode_program(&program),
        "{printed}"
    );
});
