//! Bounded random testing (the `fuzz/` targets run the same code unbounded): random bytecode
//! into the decoder and random or mutated text into the assembler must never panic, and every
//! program that is accepted must survive disassemble → assemble byte for byte.

use ebee_isa::{
    assemble, decode_program, disassemble_conformance, encode_program, slots_from_bytes,
    slots_to_bytes, Instruction, Select, OPCODES,
};

const ITERATIONS: usize = 100_000;

/// SplitMix64: small, deterministic, good enough to drive input generation.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// Checks that a valid program disassembles to text that assembles to the same bytes.
fn assert_round_trip(program: &[Instruction], origin: &dyn Fn() -> String) {
    let bytes = slots_to_bytes(&encode_program(program));
    let text = disassemble_conformance(program);
    match assemble(&text) {
        Ok(again) => assert_eq!(
            slots_to_bytes(&encode_program(&again)),
            bytes,
            "round trip of {}:\n{text}",
            origin()
        ),
        Err(err) => panic!("{err} re-assembling {}:\n{text}", origin()),
    }
}

/// A slot that is often close to valid: a table opcode, its selecting field, small fields.
fn random_slot(rng: &mut Rng) -> [u8; 8] {
    let mut slot = rng.next().to_le_bytes();
    if rng.chance(15) {
        return slot;
    }
    let def = rng.pick(OPCODES);
    let dst = if rng.chance(50) {
        0
    } else {
        rng.below(12) as u8
    };
    let src = if rng.chance(60) {
        0
    } else {
        rng.below(12) as u8
    };
    let off: i16 = match rng.below(4) {
        0 => 0,
        1 => rng.below(7) as i16 - 3,
        2 => rng.next() as i16,
        _ => 1,
    };
    let imm: i32 = match rng.below(4) {
        0 => 0,
        1 => rng.below(7) as i32 - 3,
        _ => rng.next() as i32,
    };
    let (mut off, mut imm, mut src) = (off, imm, src);
    match def.select {
        Select::Off(v) => off = v,
        Select::Imm(v) => imm = v,
        Select::Src(v) => src = v,
        Select::None => {}
    }
    slot[0] = def.opcode;
    slot[1] = (src << 4) | dst;
    slot[2..4].copy_from_slice(&off.to_le_bytes());
    slot[4..8].copy_from_slice(&imm.to_le_bytes());
    slot
}

#[test]
fn random_bytecode_never_panics_and_valid_programs_round_trip() {
    let mut rng = Rng(0x0eb_ee00_dec0_de00);
    let mut valid = 0;
    for _ in 0..ITERATIONS {
        let mut bytes = Vec::new();
        for _ in 0..rng.below(6) {
            if rng.chance(10) {
                bytes.extend_from_slice(&[0; 8]); // a possible lddw continuation
            } else {
                bytes.extend_from_slice(&random_slot(&mut rng));
            }
        }
        if rng.chance(50) {
            bytes.extend_from_slice(&[0x95, 0, 0, 0, 0, 0, 0, 0]);
        }
        if rng.chance(3) {
            bytes.truncate(bytes.len().saturating_sub(1 + rng.below(7)));
        }
        let Ok(slots) = slots_from_bytes(&bytes) else {
            continue;
        };
        if let Ok(program) = decode_program(&slots) {
            valid += 1;
            assert_eq!(slots_to_bytes(&encode_program(&program)), bytes);
            assert_round_trip(&program, &|| format!("{bytes:02x?}"));
        }
    }
    assert!(
        valid > ITERATIONS / 50,
        "only {valid} valid programs generated"
    );
}

/// Lines covering every piece of the syntax, valid and not.
const SEED_LINES: &[&str] = &[
    "mov %r0, 1",
    "mov32 %r0, -3",
    "mov %r1, %r2",
    "add32 %r1, 0xffffffff",
    "ldxdw %r0, [%r1+2]",
    "ldxsb %r2, [%r10-8]",
    "ldxw %r0, [%r1]",
    "stw [%r1+2], 5",
    "stxdw [%r10-8], %r1",
    "lddw %r0, 0x1122334455667788",
    "lddw %r0, 2147483648",
    "be16 %r0",
    "le32 %r3",
    "bswap64 %r1",
    "swap16 %r0",
    "neg %r0",
    "movsx832 %r2, %r1",
    "sdiv %r1, -7",
    "smod32 %r1, %r3",
    "jne %r0, 15, fail",
    "jeq32 %r1, %r2, +3",
    "jsgt %r1, -1, -2",
    "ja label",
    "ja32 label",
    "ja exit",
    "call 5",
    "call local func1",
    "call %r2",
    "call kfunc 7, 2",
    "lock add [%r10-8], %r1",
    "lock fetch add32 [%r10-4], %r1",
    "lock xchg [%r1], %r2",
    "lock cmpxchg32 [%r1+4], %r2",
    "lock",
    "lock or [%r10-8]",
    "exit",
    "label:",
    "fail: mov %r0, 0",
    "func1:",
    "# comment",
    "exit # trailing comment",
    "",
    "ldxq %r0, %r1",
    "or %r0, %r50",
    "mov32 %r0, 0x100000000",
];

/// Tokens a mutation may insert.
const TOKENS: &[&str] = &[
    "%r",
    "%r11",
    "%r10",
    "[",
    "]",
    ",",
    "+",
    "-",
    ":",
    "#",
    "0x",
    "-0x8000",
    "0xffff",
    "99999999999999999999999999999999999999999",
    "lock",
    "fetch",
    "call",
    "local",
    "exit",
    "label",
    "é",
    "\u{2028}",
    "\t",
    " ",
    "\n",
    "\r\n",
    "-- asm",
    "x",
    "0",
    "%r1",
    "+-1",
];

fn mutate(text: &mut String, rng: &mut Rng) {
    let boundaries: Vec<usize> = (0..=text.len())
        .filter(|&i| text.is_char_boundary(i))
        .collect();
    let at = rng.pick(&boundaries);
    match rng.below(3) {
        0 => text.insert_str(at, rng.pick(TOKENS)),
        1 => {
            let end = boundaries.iter().copied().find(|&b| b > at).unwrap_or(at);
            text.replace_range(at..end, "");
        }
        _ => {
            let from = rng.pick(&boundaries);
            let (start, end) = (at.min(from), at.max(from));
            let piece = text[start..end].to_string();
            text.insert_str(end, &piece);
        }
    }
}

#[test]
fn random_text_never_panics_and_accepted_text_round_trips() {
    let mut rng = Rng(0xa55e_b1e5_0000_0001);
    let mut valid = 0;
    for _ in 0..ITERATIONS {
        let mut text = String::new();
        for _ in 0..1 + rng.below(5) {
            if rng.chance(20) {
                let def = rng.pick(OPCODES);
                text.push_str(def.mnemonic);
                text.push(' ');
                text.push_str(rng.pick(&["%r1, 2", "%r1, %r2", "[%r1+1], %r2", "%r3", "+0"]));
            } else {
                text.push_str(rng.pick(SEED_LINES));
            }
            text.push('\n');
        }
        for _ in 0..rng.below(4) {
            mutate(&mut text, &mut rng);
        }
        if rng.chance(60) {
            text.push_str("exit\nlabel: func1: fail: exit\n");
        }
        if let Ok(program) = assemble(&text) {
            valid += 1;
            assert_round_trip(&program, &|| format!("{text:?}"));
        }
    }
    assert!(valid > ITERATIONS / 50, "only {valid} texts assembled");
}
