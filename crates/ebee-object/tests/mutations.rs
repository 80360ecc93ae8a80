//! Bounded mutation testing of the loader in `cargo test`: 5,000 mutants of the project's
//! own compiled objects (byte flips, truncations, overwritten words), each parsed, its
//! globals set and its programs linked with and without a target BTF. None may panic. The
//! unbounded version is the `object` fuzz target (fuzz/fuzz_targets/object.rs).

mod common;

use std::time::Instant;

use ebee_object::{Btf, ObjectSpec};
use object::{Object, ObjectSection};

/// Mutants per run; `EBEE_MUTANTS` overrides it (and `EBEE_MUTATION_SEED` the seed) for
/// longer campaigns.
const MUTANTS: usize = 5_000;

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Byte ranges of the sections the loader reads (code, relocations, symbols, maps, BTF):
/// mutations aimed there reach further than ones in DWARF.
fn interesting_ranges(bytes: &[u8]) -> Vec<(usize, usize)> {
    let file = object::File::parse(bytes).unwrap();
    file.sections()
        .filter(|s| !s.name().unwrap_or("").starts_with(".debug"))
        .filter_map(|s| s.file_range())
        .map(|(start, len)| (start as usize, len as usize))
        .filter(|&(_, len)| len > 0)
        .collect()
}

fn target_btf() -> Btf {
    let mut btf = Btf::new();
    let int = btf.add_int("int", 4, true);
    let ptr = btf.add_pointer(int);
    btf.add_c_struct("task", &[("start", int), ("pid", int), ("parent", ptr)])
        .unwrap();
    btf
}

/// Parses and links; says whether it parsed and whether it linked.
fn exercise(bytes: &[u8], target: &Btf) -> (bool, bool) {
    let Ok(mut spec) = ObjectSpec::parse(bytes) else {
        return (false, false);
    };
    let globals: Vec<_> = spec.globals().to_vec();
    for global in globals {
        let _ = spec.set_global(&global.name, &vec![0xa5; global.size as usize]);
    }
    let linked = spec.link(None).map(|programs| {
        for program in &programs {
            let _ = program.map_references().count();
            let _ = program.source_line(0);
        }
    });
    let _ = spec.link(Some(target));
    (true, linked.is_ok())
}

#[test]
fn mutated_objects_never_panic() {
    let start = Instant::now();
    let target = target_btf();
    let objects: Vec<Vec<u8>> = common::bpf_programs()
        .iter()
        .map(|p| std::fs::read(&p.object).unwrap())
        .collect();
    let ranges: Vec<_> = objects.iter().map(|o| interesting_ranges(o)).collect();
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    let mutants = env("EBEE_MUTANTS").map_or(MUTANTS, |n| n as usize);
    let mut rng = Rng(env("EBEE_MUTATION_SEED").unwrap_or(0x5eed_0b1e_c7a1_1e55) | 1);
    let (mut parsed, mut linked) = (0, 0);
    for _ in 0..mutants {
        let which = rng.below(objects.len());
        let mut bytes = objects[which].clone();
        let (start, len) = if rng.below(4) == 0 {
            (0, bytes.len())
        } else {
            ranges[which][rng.below(ranges[which].len())]
        };
        match rng.below(4) {
            0 => bytes.truncate(start + rng.below(len)),
            1 => {
                let at = start + rng.below(len) / 4 * 4;
                let words = [0, 1, 0xffff_ffff, 0x7fff_ffff, 0x8000_0000, 0x18, 8, 0x1000];
                let word: u32 = words[rng.below(words.len())];
                if let Some(slot) = bytes.get_mut(at..at + 4) {
                    slot.copy_from_slice(&word.to_le_bytes());
                }
            }
            _ => {
                for _ in 0..1 + rng.below(4) {
                    let at = start + rng.below(len);
                    if let Some(b) = bytes.get_mut(at) {
                        *b ^= 1 << rng.below(8);
                    }
                }
            }
        }
        let (p, l) = exercise(&bytes, &target);
        parsed += usize::from(p);
        linked += usize::from(l);
    }
    eprintln!(
        "{mutants} mutants in {:?}: {parsed} parsed, {linked} linked",
        start.elapsed()
    );
}

#[test]
fn the_unmutated_objects_load() {
    let target = target_btf();
    for program in common::bpf_programs() {
        let bytes = std::fs::read(&program.object).unwrap();
        ObjectSpec::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", program.name));
        exercise(&bytes, &target);
    }
}
