//! Soundness fuzzing of the verifier, with the checked mode as the oracle: random XDP and TC
//! programs, biased so that many verify (context loads, packet bounds checks, stack and map
//! value accesses at offsets bounded by `&`, shifts, 32-bit and signed compares, spills and
//! fills, bounded loops, helpers taking memory, bpf-to-bpf calls passing stack pointers) and
//! often just outside what is safe, go through ebee's whole load path (an ELF object with
//! legacy maps, linked, verified as root); each accepted program then runs in the checked
//! mode on random packets (lengths 0 and small included), random map contents and random
//! writable context fields. A checked-mode error of a verified program (an access outside
//! every region, a helper refusing a region, an exhausted budget) is a soundness bug: the
//! test fails printing the seed, the program, the input and the error. The same program is
//! also run on the JIT, which runs the accesses the verifier proved without any check
//! (`ebee_verifier::Verified::safe_accesses`), on the same inputs: it must run without error
//! (results are not compared, as programs call `bpf_get_prandom_u32` and may return
//! pointers; an unsound proof there may crash the test process instead of failing it).
//!
//! `cargo test -p ebee --test verifier_soundness` runs 20,000 programs and prints the
//! accepted fraction and a histogram of the rules that refused the rest. A long run:
//! `EBEE_SOUNDNESS_PROGRAMS=500000 EBEE_SOUNDNESS_SEED=7 cargo test --release -p ebee --test
//! verifier_soundness -- --nocapture` (program `i` uses seed `EBEE_SOUNDNESS_SEED + i`, so a
//! failure's seed reproduces it alone with `EBEE_SOUNDNESS_PROGRAMS=1`; add
//! `EBEE_SOUNDNESS_LIST=1` to list the programs the VM's own load checks refuse). In release
//! 500,000 programs take about 100 seconds on one core; about 43% verify.
//!
//! The packet runs with [`ebee::Runner::exact_packet_bounds`]: without it the headroom and
//! tailroom around the packet are memory the checked mode allows, and a verifier lenient by
//! a few bytes would go unseen. A verifier made lenient by one byte (packet range, map value
//! size) or with one `&` bound too tight fails here within the first few thousand programs.
//!
//! The VM's load-time checks are path-insensitive: a verified program reading a register in
//! code the verifier proved dead is refused there. That is counted, not a soundness bug.

use ebee_abi::helper_names::helper_name;
use ebee_abi::MapType;
use ebee_isa::{assemble, encode_program, slots_to_bytes, Op};
use ebee_spec::program_type::{FieldKind, ProgramTypeSpec, TC_CLS, XDP};
use object::elf;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The two maps every program has: `m0` an array, `m1` a hash, 4-byte keys.
const MAPS: usize = 2;
/// Entries of each map.
const MAX_ENTRIES: u32 = 4;
/// The `lddw` immediate standing for map `i` until the ELF relocation replaces it.
const MAP_MARK: i64 = 0x7e57_0000_0000;

/// A helper's id by its kernel name (`map_lookup_elem`), from the one helper table.
fn helper(name: &str) -> u32 {
    (0..1000)
        .find(|&id| helper_name(id) == Some(name))
        .unwrap_or_else(|| panic!("no helper {name}"))
}

/// The largest `2^k - 1` not above `max` (0 for `max < 1`).
fn low_mask(max: i64) -> i64 {
    let n = (max.max(0) as u64) + 1;
    ((1u64 << n.ilog2()) - 1) as i64
}

/// One generated program and what it needs.
struct Case {
    seed: u64,
    xdp: bool,
    value_sizes: [u32; MAPS],
    text: String,
}

impl Case {
    fn spec(&self) -> &'static ProgramTypeSpec {
        if self.xdp {
            &XDP
        } else {
            &TC_CLS
        }
    }
}

struct Gen {
    rng: fastrand::Rng,
    spec: &'static ProgramTypeSpec,
    value_sizes: [u32; MAPS],
    lines: Vec<String>,
    subs: Vec<String>,
    labels: usize,
    /// Whether the code being generated is a callee's.
    in_callee: bool,
}

impl Gen {
    fn emit(&mut self, line: impl Into<String>) {
        self.lines.push(line.into());
    }

    fn label(&mut self) -> String {
        self.labels += 1;
        format!("l{}", self.labels)
    }

    fn chance(&mut self, percent: u8) -> bool {
        self.rng.u8(..100) < percent
    }

    /// A size in bytes and its mnemonic suffix.
    fn size(&mut self) -> (i64, &'static str) {
        [(1, "b"), (2, "h"), (4, "w"), (8, "dw")][self.rng.usize(..4)]
    }

    /// A number near `edge` (mostly at or below it, sometimes one past).
    fn near(&mut self, edge: i64) -> i64 {
        match self.rng.u8(..10) {
            0 => edge + 1,
            1 => edge,
            2 => edge - 1,
            _ => self.rng.i64(0..=edge.max(0)),
        }
    }

    fn ctx_offset(&self, name: &str) -> i64 {
        self.spec
            .fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.offset as i64)
            .unwrap_or_else(|| panic!("{} has no {name}", self.spec.name))
    }

    /// Loads a context field (a valid one of an allowed size mostly) into `reg`.
    fn ctx_load(&mut self, reg: u8) {
        let fields: Vec<_> = self
            .spec
            .fields
            .iter()
            .filter(|f| f.readable.includes(self.spec.roles) && f.kind == FieldKind::Scalar)
            .collect();
        let f = fields[self.rng.usize(..fields.len())];
        let (mut size, mut suffix) = self.size();
        while f.reads & size as u8 == 0 && !self.chance(3) {
            (size, suffix) = self.size();
        }
        let mut off = f.offset as i64 + self.rng.i64(0..(f.size as i64 / size).max(1)) * size;
        if self.chance(3) {
            off = self.rng.i64(-8..self.spec.ctx_size as i64 + 8);
        }
        self.emit(format!("ldx{suffix} %r{reg}, [%r6{off:+}]"));
    }

    /// Stores to a writable context field (TC: mark, priority, cb, …).
    fn ctx_store(&mut self) {
        let fields: Vec<_> = self
            .spec
            .fields
            .iter()
            .filter(|f| f.writable.includes(self.spec.roles) && f.writes != 0)
            .collect();
        if fields.is_empty() {
            return self.ctx_load(2);
        }
        let f = fields[self.rng.usize(..fields.len())];
        let (size, suffix) = self.size();
        let off = f.offset as i64 + self.rng.i64(0..(f.size as i64 / size).max(1)) * size;
        let v = self.rng.i32(..);
        self.emit(format!("st{suffix} [%r6{off:+}], {v}"));
    }

    /// Puts a number the verifier does not know into `reg`.
    fn unknown(&mut self, reg: u8) {
        match self.rng.u8(..4) {
            0 => {
                self.emit(format!("call {}", helper("get_prandom_u32")));
                if self.chance(50) {
                    let shift = self.rng.u8(0..40);
                    self.emit(format!("lsh %r0, {shift}"));
                    self.emit(format!("call {}", helper("get_smp_processor_id")));
                    self.emit("mov %r0, %r0");
                }
                self.emit(format!("mov %r{reg}, %r0"));
            }
            1 => self.ctx_load(reg),
            2 => {
                // Random bytes spilled and filled back.
                self.emit(format!("call {}", helper("get_prandom_u32")));
                self.emit("lsh %r0, 32");
                self.emit(format!("call {}", helper("get_prandom_u32")));
                self.emit("stxdw [%r10-8], %r0");
                let (_, suffix) = self.size();
                self.emit(format!("ldx{suffix} %r{reg}, [%r10-8]"));
            }
            _ => {
                let v = self.rng.i64(..);
                self.emit(format!("lddw %r{reg}, {v:#x}"));
            }
        }
    }

    /// Bounds `reg` (mostly to `0..=max`, by a random means), jumping to `skip` on paths
    /// it takes out. Some means are not enough, or leave one too many.
    fn bound(&mut self, reg: u8, max: i64, skip: &str) {
        let r = format!("%r{reg}");
        match self.rng.u8(..22) {
            0 => {
                let mask = if self.chance(80) {
                    // The largest 2^k - 1 not above max.
                    low_mask(max)
                } else {
                    self.near(max)
                };
                self.emit(format!("and {r}, {mask}"));
            }
            1 => {
                let mask = self.near(max);
                self.emit(format!("and32 {r}, {mask}"));
            }
            2 => {
                // Shift right until it fits.
                let bits = 64 - (max + 1).max(1).ilog2() as i64;
                let bits = if self.chance(85) { bits } else { bits - 1 };
                self.emit(format!("rsh {r}, {bits}"));
            }
            3 => {
                let bits = 32 - (max + 1).max(1).ilog2() as i64;
                let bits = if self.chance(85) { bits } else { bits - 1 };
                self.emit(format!("rsh32 {r}, {}", bits.max(0)));
            }
            4 => {
                let b = self.near(max);
                let op = ["jgt", "jge"][self.rng.usize(..2)];
                let b = if op == "jge" { b + 1 } else { b };
                self.emit(format!("{op} {r}, {b}, {skip}"));
            }
            5 => {
                // Unsigned compare against a register holding the bound.
                let b = self.near(max);
                self.emit(format!("mov %r5, {b}"));
                if self.chance(50) {
                    self.emit(format!("jgt {r}, %r5, {skip}"));
                } else {
                    let next = self.label();
                    self.emit(format!("jge %r5, {r}, {next}"));
                    self.emit(format!("ja {skip}"));
                    self.emit(format!("{next}:"));
                }
            }
            6 => {
                // Signed compares: both sides needed.
                let b = self.near(max);
                self.emit(format!("jsgt {r}, {b}, {skip}"));
                if self.chance(85) {
                    self.emit(format!("jslt {r}, 0, {skip}"));
                }
            }
            7 => {
                // 32-bit compares: enough only when the upper half is known 0.
                if self.chance(80) {
                    self.emit(format!("mov32 {r}, {r}"));
                }
                let b = self.near(max);
                self.emit(format!("jgt32 {r}, {b}, {skip}"));
            }
            8 => {
                // Signed 32-bit compares.
                if self.chance(80) {
                    self.emit(format!("mov32 {r}, {r}"));
                }
                let b = self.near(max);
                self.emit(format!("jsgt32 {r}, {b}, {skip}"));
                if self.chance(85) {
                    self.emit(format!("jslt32 {r}, 0, {skip}"));
                }
            }
            9 => {
                // Modulo.
                let m = self.near(max) + 1;
                self.emit(format!("mod {r}, {}", m.max(1)));
            }
            10 => {
                // Arithmetic shifts of a masked value, or a sign extension.
                let mask = low_mask(max);
                self.emit(format!("and {r}, {mask}"));
                let s = self.rng.i64(0..4);
                self.emit(format!("lsh {r}, {}", 32 + s));
                self.emit(format!("arsh {r}, {}", 32 + s));
                if self.chance(60) {
                    self.emit(format!("jslt {r}, 0, {skip}"));
                }
            }
            12 => {
                // Range arithmetic across a 32-bit wrap: x & 0xff, - 16, as u32, compared.
                self.emit(format!("and {r}, 255"));
                self.emit(format!("sub32 {r}, 16"));
                let b = self.near(max);
                self.emit(format!("jgt32 {r}, {b}, {skip}"));
                if self.chance(70) {
                    self.emit(format!("mov32 {r}, {r}"));
                }
            }
            13 => {
                // Two bounded parts added.
                let m1 = low_mask(max / 2);
                let m2 = if self.chance(85) {
                    max - m1
                } else {
                    max - m1 + 1
                };
                self.emit(format!("mov %r5, {r}"));
                self.emit("rsh %r5, 8");
                self.emit(format!("and {r}, {m1}"));
                self.emit(format!("and %r5, {}", low_mask(m2)));
                self.emit(format!("add {r}, %r5"));
            }
            14 => {
                // A multiple: (x & m) * k.
                let k = self.rng.i64(1..5);
                let m = low_mask(max / k);
                let m = if self.chance(85) { m } else { m + 1 };
                self.emit(format!("and {r}, {m}"));
                let op = ["mul", "mul32", "lsh"][self.rng.usize(..3)];
                match op {
                    "lsh" => {
                        let bits = (k as u64).ilog2();
                        self.emit(format!("lsh {r}, {bits}"));
                    }
                    _ => self.emit(format!("{op} {r}, {k}")),
                }
            }
            15 => {
                // Sign extension of a byte or half, then signed bounds.
                let op = ["movsx864", "movsx1664", "movsx3264"][self.rng.usize(..3)];
                self.emit(format!("{op} {r}, {r}"));
                let b = self.near(max);
                self.emit(format!("jsgt {r}, {b}, {skip}"));
                if self.chance(85) {
                    self.emit(format!("jslt {r}, 0, {skip}"));
                }
            }
            16 => {
                // jset: a clear bit test keeps the bits outside the mask at 0.
                let mask = low_mask(max);
                let mask = if self.chance(85) { mask } else { mask + 1 };
                self.emit(format!("jset {r}, {}, {skip}", !mask));
            }
            17 => {
                // A byte swapped into the high byte of 16 bits, shifted down.
                self.emit(format!("and {r}, 255"));
                self.emit(format!("be16 {r}"));
                let bits = 16 - (max + 1).max(1).ilog2() as i64;
                let bits = if self.chance(85) { bits } else { bits - 1 };
                self.emit(format!("rsh {r}, {}", bits.clamp(0, 16)));
            }
            18 => {
                // Division and signed modulo of a masked value.
                self.emit(format!("and {r}, {}", low_mask(4 * max + 3)));
                if self.chance(50) {
                    self.emit(format!("div {r}, 4"));
                } else {
                    let m = self.near(max) + 1;
                    self.emit(format!("smod {r}, {}", m.max(1)));
                    self.emit(format!("jslt {r}, 0, {skip}"));
                }
            }
            19 => {
                // A bounded register compared with another bounded register.
                let b = self.near(max);
                self.emit(format!("mov %r5, %r{reg}"));
                self.emit(format!("and %r5, {}", low_mask(b)));
                self.emit(format!("jgt {r}, %r5, {skip}"));
            }
            20 => {
                // Negation twice, and xor of a masked value.
                self.emit(format!("and {r}, {}", low_mask(max)));
                if self.chance(50) {
                    self.emit(format!("neg {r}"));
                    self.emit(format!("neg {r}"));
                } else {
                    self.emit(format!("xor {r}, {}", low_mask(max)));
                }
            }
            _ => {
                // A lower bound too: subtract it back.
                let lo = self.rng.i64(0..16);
                let b = self.near(max);
                self.emit(format!("jlt {r}, {lo}, {skip}"));
                self.emit(format!("jgt {r}, {}, {skip}", b + lo));
                self.emit(format!("sub {r}, {lo}"));
            }
        }
        if self.chance(15) {
            // Through the stack and back, as a compiler spills.
            let off = -8 * self.rng.i64(1..8);
            self.emit(format!("stxdw [%r10{off:+}], {r}"));
            let fill = if self.chance(80) { "dw" } else { "w" };
            self.emit(format!("ldx{fill} {r}, [%r10{off:+}]"));
        }
        if self.chance(10) {
            self.emit(format!("add32 {r}, 0"));
        }
    }

    /// A packet access at a constant offset after a bounds check.
    fn packet_const(&mut self) {
        let skip = self.label();
        let checked = self.rng.i64(0..80);
        let (size, suffix) = self.size();
        let off = self.near(checked - size);
        self.emit("mov %r2, %r7");
        self.emit(format!("add %r2, {checked}"));
        match self.rng.u8(..4) {
            0 => self.emit(format!("jgt %r2, %r8, {skip}")),
            1 => self.emit(format!("jge %r2, %r8, {skip}")),
            2 => {
                let next = self.label();
                self.emit(format!("jle %r2, %r8, {next}"));
                self.emit(format!("ja {skip}"));
                self.emit(format!("{next}:"));
            }
            _ => self.emit(format!("jlt %r8, %r2, {skip}")),
        }
        self.access("%r7", off, size, suffix);
        self.emit(format!("{skip}:"));
    }

    /// A load or store of `size` bytes at `base + off`.
    fn access(&mut self, base: &str, off: i64, size: i64, suffix: &str) {
        let _ = size;
        match self.rng.u8(..3) {
            0 => self.emit(format!("ldx{suffix} %r0, [{base}{off:+}]")),
            1 => self.emit(format!("st{suffix} [{base}{off:+}], 7")),
            _ => {
                // r9 is not the callee's: it is uninitialized there.
                let value = if self.in_callee { "%r4" } else { "%r9" };
                if self.in_callee {
                    self.emit("mov %r4, 7");
                }
                self.emit(format!("stx{suffix} [{base}{off:+}], {value}"))
            }
        }
    }

    /// A packet access at a variable offset, bounded then checked against data_end.
    fn packet_var(&mut self) {
        let skip = self.label();
        self.unknown(3);
        let max = self.rng.i64(0..200);
        self.bound(3, max, &skip);
        let (size, suffix) = self.size();
        let off = self.rng.i64(0..8);
        self.emit("mov %r4, %r7");
        self.emit("add %r4, %r3");
        self.emit("mov %r5, %r4");
        let end = self.near(off + size);
        self.emit(format!("add %r5, {end}"));
        self.emit(format!("jgt %r5, %r8, {skip}"));
        self.access("%r4", off, size, suffix);
        self.emit(format!("{skip}:"));
    }

    /// A packet check through one pointer, then an access through another: a spilled and
    /// filled copy of the checked one, or one at a bounded variable offset from it.
    fn packet_alias(&mut self) {
        let skip = self.label();
        let checked = self.rng.i64(1..64);
        self.emit("mov %r2, %r7");
        self.emit(format!("add %r2, {checked}"));
        let (size, suffix) = self.size();
        if self.chance(50) {
            self.emit("stxdw [%r10-16], %r7");
            self.emit(format!("jgt %r2, %r8, {skip}"));
            self.emit("ldxdw %r4, [%r10-16]");
            let off = self.near(checked - size);
            self.access("%r4", off, size, suffix);
        } else {
            self.emit(format!("jgt %r2, %r8, {skip}"));
            self.emit("mov %r0, %r2");
            self.unknown(3);
            self.emit("mov %r2, %r0");
            let max = self.near(checked - size);
            self.bound(3, max, &skip);
            self.emit("mov %r4, %r7");
            self.emit("add %r4, %r3");
            self.access("%r4", 0, size, suffix);
        }
        self.emit(format!("{skip}:"));
    }

    /// Paths that join with an offset bounded differently on each (sometimes not at all on
    /// one), in a register or a stack slot, then used: what state pruning must get right.
    fn join(&mut self) {
        let (skip, other, joined) = (self.label(), self.label(), self.label());
        let vs = self.value_sizes[0] as i64;
        let (size, suffix) = self.size();
        // A map value to index, in r9 (for the stack and packet, r10 and r7 would do, but a
        // map value's size is exact).
        self.emit("stw [%r10-4], 0");
        self.emit(format!("lddw %r1, {MAP_MARK:#x}"));
        self.emit("mov %r2, %r10");
        self.emit("add %r2, -4");
        self.emit(format!("call {}", helper("map_lookup_elem")));
        self.emit(format!("jeq %r0, 0, {skip}"));
        self.emit("mov %r9, %r0");
        self.unknown(3);
        self.emit("mov %r0, %r3");
        self.unknown(4);
        self.emit("mov %r3, %r0");
        let in_stack = self.chance(40);
        let cond = ["jgt", "jsgt", "jgt32", "jset", "jeq"][self.rng.usize(..5)];
        let k = self.rng.i64(0..64);
        self.emit(format!("{cond} %r4, {k}, {other}"));
        // One path: a constant, or a bound.
        let max = self.near(vs - size);
        if self.chance(50) {
            let c = self.near(max);
            self.emit(format!("mov %r3, {c}"));
        } else {
            self.bound(3, max, &skip);
        }
        if in_stack {
            self.emit("stxdw [%r10-24], %r3");
        }
        self.emit(format!("ja {joined}"));
        // The other: another bound, sometimes none.
        self.emit(format!("{other}:"));
        if self.chance(85) {
            let max = self.near(vs - size);
            self.bound(3, max, &skip);
        }
        if in_stack {
            self.emit("stxdw [%r10-24], %r3");
        }
        self.emit(format!("{joined}:"));
        if in_stack {
            self.emit("ldxdw %r3, [%r10-24]");
        }
        self.emit("mov %r0, %r9");
        self.emit("add %r0, %r3");
        self.access("%r0", 0, size, suffix);
        self.emit(format!("{skip}:"));
        self.emit("mov %r9, 0");
    }

    /// An access to the XDP metadata, checked against data.
    fn packet_meta(&mut self) {
        if !self.spec.fields.iter().any(|f| f.name == "data_meta") || self.spec.name != "xdp" {
            return self.packet_const();
        }
        let skip = self.label();
        let meta = self.ctx_offset("data_meta");
        let checked = 4 * self.rng.i64(0..9);
        let (size, suffix) = self.size();
        let off = self.near(checked - size);
        self.emit(format!("ldxw %r2, [%r6{meta:+}]"));
        self.emit("mov %r3, %r2");
        self.emit(format!("add %r3, {checked}"));
        self.emit(format!("jgt %r3, %r7, {skip}"));
        self.access("%r2", off, size, suffix);
        self.emit(format!("{skip}:"));
    }

    /// Stack stores and loads at constant offsets (sometimes out of the frame, sometimes of
    /// bytes never written).
    fn stack_const(&mut self) {
        let (size, suffix) = self.size();
        let mut off = -self.rng.i64(1..=64) * size;
        if self.chance(5) {
            off = [-520, -513, 0, -1 + size, 8][self.rng.usize(..5)];
        }
        if self.chance(70) {
            self.emit(format!("stx{suffix} [%r10{off:+}], %r9"));
        }
        let (_, suffix) = self.size();
        self.emit(format!("ldx{suffix} %r0, [%r10{off:+}]"));
    }

    /// A stack access at a variable offset in an initialized buffer.
    fn stack_var(&mut self) {
        let skip = self.label();
        let len = 8 * self.rng.i64(1..=16);
        for i in 0..len / 8 {
            self.emit(format!("stdw [%r10{:+}], 0", -len + 8 * i));
        }
        self.unknown(3);
        let (size, suffix) = self.size();
        let max = self.near(len - size);
        self.bound(3, max, &skip);
        if self.chance(70) {
            self.emit(format!("and %r3, {}", -size));
        }
        self.emit("mov %r4, %r10");
        self.emit(format!("add %r4, {}", -len));
        if self.chance(50) {
            self.emit("add %r4, %r3");
        } else {
            self.emit("mov %r2, %r3");
            self.emit("add %r2, %r4");
            self.emit("mov %r4, %r2");
        }
        self.access("%r4", 0, size, suffix);
        self.emit(format!("{skip}:"));
    }

    /// A map lookup, a null check (mostly) and value accesses.
    fn map_access(&mut self) {
        let skip = self.label();
        let map = self.rng.usize(..MAPS);
        let vs = self.value_sizes[map] as i64;
        let key = self.rng.i64(0..=MAX_ENTRIES as i64);
        self.emit(format!("stw [%r10-4], {key}"));
        self.emit(format!("lddw %r1, {:#x}", MAP_MARK + map as i64));
        self.emit("mov %r2, %r10");
        self.emit("add %r2, -4");
        self.emit(format!("call {}", helper("map_lookup_elem")));
        if self.chance(93) {
            self.emit(format!("jeq %r0, 0, {skip}"));
        }
        for _ in 0..self.rng.usize(1..3) {
            let (size, suffix) = self.size();
            if self.chance(50) {
                let off = self.near(vs - size);
                self.access("%r0", off, size, suffix);
            } else {
                self.emit("mov %r9, %r0");
                self.unknown(3);
                let max = self.near(vs - size);
                self.bound(3, max, &skip);
                self.emit("mov %r0, %r9");
                self.emit("add %r0, %r3");
                self.access("%r0", 0, size, suffix);
            }
        }
        self.emit(format!("{skip}:"));
        self.emit("mov %r9, 0");
    }

    /// A pointer spilled and filled back, then used.
    fn spill_pointer(&mut self) {
        let skip = self.label();
        let off = -8 * self.rng.i64(1..16);
        let which = ["%r7", "%r6", "%r10"][self.rng.usize(..3)];
        self.emit(format!("stxdw [%r10{off:+}], {which}"));
        if self.chance(10) {
            self.emit(format!("stw [%r10{off:+}], 0"));
        }
        self.emit(format!("ldxdw %r2, [%r10{off:+}]"));
        match which {
            "%r7" => {
                let n = self.rng.i64(1..40);
                self.emit("mov %r3, %r2");
                self.emit(format!("add %r3, {n}"));
                self.emit(format!("jgt %r3, %r8, {skip}"));
                let (size, suffix) = self.size();
                let off = self.near(n - size);
                self.access("%r2", off, size, suffix);
            }
            "%r6" => {
                let f = self.ctx_offset(if self.spec.name == "xdp" {
                    "data"
                } else {
                    "len"
                });
                self.emit(format!("ldxw %r0, [%r2{f:+}]"));
            }
            _ => {
                let (_, suffix) = self.size();
                self.emit(format!("stx{suffix} [%r2-256], %r9"));
            }
        }
        self.emit(format!("{skip}:"));
    }

    /// A bounded loop writing a stack buffer by index.
    fn stack_loop(&mut self) {
        let len = self.rng.i64(1..=24);
        let top = self.label();
        let n = self.near(len);
        self.emit("mov %r4, 0");
        self.emit(format!("{top}:"));
        self.emit("mov %r5, %r10");
        self.emit(format!("add %r5, {}", -len));
        self.emit("add %r5, %r4");
        self.emit("stb [%r5+0], 1");
        self.emit("add %r4, 1");
        let cond = ["jlt", "jne", "jslt"][self.rng.usize(..3)];
        self.emit(format!("{cond} %r4, {n}, {top}"));
    }

    /// csum_diff or map_update_elem over stack (or map value, or packet) memory.
    fn memory_helper(&mut self) {
        let skip = self.label();
        let len = 8 * self.rng.i64(1..=8);
        let init = if self.chance(90) { len } else { len - 8 };
        for i in 0..init / 8 {
            self.emit(format!("stdw [%r10{:+}], 0", -len + 8 * i));
        }
        if self.chance(50) {
            let size = match self.rng.u8(..4) {
                0 => {
                    // A size bounded at run time.
                    self.unknown(2);
                    let max = self.near(len);
                    self.bound(2, max, &skip);
                    self.emit("and %r2, -4");
                    self.emit("mov %r9, %r2");
                    None
                }
                _ => Some(4 * self.rng.i64(0..=len / 4 + 1)),
            };
            let from = self.rng.u8(..4);
            match from {
                0 if self.spec.name == "xdp" || self.chance(50) => {
                    let n = size.unwrap_or(len);
                    self.emit("mov %r1, %r7");
                    self.emit("mov %r3, %r7");
                    let end = self.near(n);
                    self.emit(format!("add %r3, {end}"));
                    self.emit(format!("jgt %r3, %r8, {skip}"));
                }
                _ => {
                    self.emit("mov %r1, %r10");
                    self.emit(format!("add %r1, {}", -len));
                }
            }
            match size {
                Some(s) => self.emit(format!("mov %r2, {s}")),
                None => self.emit("mov %r2, %r9"),
            }
            self.emit("mov %r3, 0");
            self.emit("mov %r4, 0");
            self.emit("mov %r5, 0");
            self.emit(format!("call {}", helper("csum_diff")));
        } else {
            let map = self.rng.usize(..MAPS);
            let vs = self.value_sizes[map] as i64;
            let key = self.rng.i64(0..=MAX_ENTRIES as i64);
            // The value: `vs` bytes from `-start`, which must hold them.
            let start = self.near(len).max(vs - 1);
            self.emit(format!("stw [%r10-{}], {key}", len + 8));
            self.emit(format!("lddw %r1, {:#x}", MAP_MARK + map as i64));
            self.emit("mov %r2, %r10");
            self.emit(format!("add %r2, -{}", len + 8));
            self.emit("mov %r3, %r10");
            self.emit(format!("add %r3, -{start}"));
            self.emit("mov %r4, 0");
            self.emit(format!("call {}", helper("map_update_elem")));
        }
        self.emit(format!("{skip}:"));
    }

    /// A bpf-to-bpf call passing a stack pointer (and a bounded offset), the callee
    /// accessing the caller's frame through it.
    fn local_call(&mut self) {
        let n = self.subs.len();
        let len = 8 * self.rng.i64(1..=6);
        for i in 0..len / 8 {
            self.emit(format!("stdw [%r10{:+}], 0", -len + 8 * i));
        }
        self.emit("mov %r1, %r10");
        self.emit(format!("add %r1, {}", -len));
        self.unknown(2);
        self.emit("mov %r1, %r10");
        self.emit(format!("add %r1, {}", -len));
        self.emit(format!("call local sub{n}"));
        let returns_stack = self.chance(5);
        if returns_stack {
            self.emit("ldxb %r0, [%r0+0]");
        }
        // The callee.
        let outer = std::mem::take(&mut self.lines);
        self.in_callee = true;
        let ret = format!("sub{n}_ret");
        self.emit(format!("sub{n}:"));
        let (size, suffix) = self.size();
        let max = self.near(len - size);
        self.bound(2, max, &ret);
        self.emit("add %r1, %r2");
        self.access("%r1", 0, size, suffix);
        if self.chance(30) {
            self.emit("stdw [%r10-8], 1");
        }
        self.emit(format!("{ret}:"));
        if returns_stack {
            self.emit("mov %r0, %r10");
            self.emit("add %r0, -8");
        } else {
            self.emit("mov %r0, 0");
        }
        self.emit("exit");
        let sub = std::mem::replace(&mut self.lines, outer);
        self.in_callee = false;
        self.subs.extend(sub);
    }

    fn snippet(&mut self) {
        match self.rng.u8(..15) {
            14 => self.packet_meta(),
            11 => self.packet_alias(),
            12 | 13 => self.join(),
            0 => self.ctx_load(0),
            1 => self.ctx_store(),
            2 => self.packet_const(),
            3 => self.packet_var(),
            4 => self.stack_const(),
            5 => self.stack_var(),
            6 => self.map_access(),
            7 => self.spill_pointer(),
            8 => self.stack_loop(),
            9 => self.memory_helper(),
            _ => self.local_call(),
        }
    }
}

fn generate(seed: u64) -> Case {
    let mut rng = fastrand::Rng::with_seed(seed);
    let xdp = rng.bool();
    let sizes = [4, 8, 12, 16, 24, 48, 64];
    let value_sizes = [
        sizes[rng.usize(..sizes.len())],
        sizes[rng.usize(..sizes.len())],
    ];
    let spec: &'static ProgramTypeSpec = if xdp { &XDP } else { &TC_CLS };
    let mut g = Gen {
        rng,
        spec,
        value_sizes,
        lines: Vec::new(),
        subs: Vec::new(),
        labels: 0,
        in_callee: false,
    };
    g.emit("mov %r6, %r1");
    let (data, end) = (g.ctx_offset("data"), g.ctx_offset("data_end"));
    g.emit(format!("ldxw %r7, [%r6{data:+}]"));
    g.emit(format!("ldxw %r8, [%r6{end:+}]"));
    g.emit("mov %r9, 0");
    for _ in 0..g.rng.usize(1..5) {
        g.snippet();
    }
    let ret = match g.rng.u8(..20) {
        0 => "mov %r0, %r7".to_string(),
        1 => String::new(),
        _ if xdp => format!("mov %r0, {}", g.rng.u8(1..4)),
        _ => format!("mov %r0, {}", [0, 2][g.rng.usize(..2)]),
    };
    g.emit(ret);
    g.emit("exit");
    let mut text = g.lines.join("\n");
    for line in &g.subs {
        text.push('\n');
        text.push_str(line);
    }
    Case {
        seed,
        xdp,
        value_sizes,
        text,
    }
}

/// One section of the object file.
struct Section {
    name: String,
    kind: u32,
    flags: u64,
    data: Vec<u8>,
    link: u32,
    info: u32,
    entsize: u64,
}

fn section(name: &str, kind: u32, flags: u32, data: Vec<u8>) -> Section {
    Section {
        name: name.to_string(),
        kind,
        flags: flags.into(),
        data,
        link: 0,
        info: 0,
        entsize: 0,
    }
}

fn add_string(table: &mut Vec<u8>, name: &str) -> u32 {
    let offset = table.len() as u32;
    table.extend(name.as_bytes());
    table.push(0);
    offset
}

/// A relocatable BPF object: the program `prog` in its type's section, the maps as legacy
/// `struct bpf_map_def` records, the `lddw`s marked with [`MAP_MARK`] relocated to them.
fn object_file(case: &Case, code: &[u8], map_refs: &[(usize, usize)]) -> Vec<u8> {
    let section_name = if case.xdp { "xdp" } else { "tc" };
    let mut strtab = vec![0];
    let mut symtab = vec![0; 24];
    let mut symbol = |name: &str, info: u8, shndx: u16, value: u64, size: u64| {
        let name = add_string(&mut strtab, name);
        symtab.extend(name.to_le_bytes());
        symtab.extend([info, 0]);
        symtab.extend(shndx.to_le_bytes());
        symtab.extend(value.to_le_bytes());
        symtab.extend(size.to_le_bytes());
    };
    let global = elf::STB_GLOBAL << 4;
    symbol("prog", global | elf::STT_FUNC, 1, 0, code.len() as u64);
    let mut maps = Vec::new();
    for (i, vs) in case.value_sizes.iter().enumerate() {
        let ty = if i == 0 {
            MapType::Array
        } else {
            MapType::Hash
        };
        for field in [ty as u32, 4, *vs, MAX_ENTRIES, 0] {
            maps.extend(field.to_le_bytes());
        }
        symbol(
            &format!("m{i}"),
            global | elf::STT_OBJECT,
            2,
            20 * i as u64,
            20,
        );
    }
    let mut rel = Vec::new();
    for &(slot, map) in map_refs {
        rel.extend((slot as u64 * 8).to_le_bytes());
        rel.extend((((2 + map as u64) << 32) | u64::from(elf::R_BPF_64_64)).to_le_bytes());
    }
    let exec = elf::SHF_ALLOC | elf::SHF_EXECINSTR;
    let mut sections = vec![
        section(section_name, elf::SHT_PROGBITS, exec, code.to_vec()),
        section(
            "maps",
            elf::SHT_PROGBITS,
            elf::SHF_ALLOC | elf::SHF_WRITE,
            maps,
        ),
        section(
            "license",
            elf::SHT_PROGBITS,
            elf::SHF_ALLOC,
            b"GPL\0".to_vec(),
        ),
        Section {
            link: 5,
            info: 1,
            entsize: 24,
            ..section(".symtab", elf::SHT_SYMTAB, 0, symtab)
        },
        section(".strtab", elf::SHT_STRTAB, 0, strtab),
        Section {
            link: 4,
            info: 1,
            entsize: 16,
            ..section(&format!(".rel{section_name}"), elf::SHT_REL, 0, rel)
        },
    ];
    let mut shstrtab = vec![0];
    let mut names: Vec<u32> = sections
        .iter()
        .map(|s| add_string(&mut shstrtab, &s.name))
        .collect();
    names.push(add_string(&mut shstrtab, ".shstrtab"));
    sections.push(section(".shstrtab", elf::SHT_STRTAB, 0, shstrtab));

    let mut out = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    out.extend(elf::ET_REL.to_le_bytes());
    out.extend(elf::EM_BPF.to_le_bytes());
    out.extend(1u32.to_le_bytes());
    out.extend([0; 16]); // e_entry, e_phoff
    let shoff_at = out.len();
    out.extend([0; 8]);
    out.extend(0u32.to_le_bytes());
    let count = sections.len() as u16;
    for half in [64, 0, 0, 64, count + 1, count] {
        out.extend(half.to_le_bytes());
    }
    let mut offsets = Vec::new();
    for s in &sections {
        while out.len() % 8 != 0 {
            out.push(0);
        }
        offsets.push(out.len() as u64);
        out.extend(&s.data);
    }
    while out.len() % 8 != 0 {
        out.push(0);
    }
    let shoff = out.len() as u64;
    out[shoff_at..shoff_at + 8].copy_from_slice(&shoff.to_le_bytes());
    out.extend([0; 64]);
    for ((s, name), offset) in sections.iter().zip(names).zip(offsets) {
        out.extend(name.to_le_bytes());
        out.extend(s.kind.to_le_bytes());
        out.extend(s.flags.to_le_bytes());
        out.extend(0u64.to_le_bytes());
        out.extend(offset.to_le_bytes());
        out.extend((s.data.len() as u64).to_le_bytes());
        out.extend(s.link.to_le_bytes());
        out.extend(s.info.to_le_bytes());
        out.extend(8u64.to_le_bytes());
        out.extend(s.entsize.to_le_bytes());
    }
    out
}

/// The object file of a program text; `None` when it does not assemble.
fn build(case: &Case) -> Option<Vec<u8>> {
    let program = assemble(&case.text).ok()?;
    let mut slots = encode_program(program.instructions());
    let mut refs = Vec::new();
    for (slot, insn) in program.instructions().iter().map(|i| (i.pc, i)) {
        if insn.op == Op::Lddw && (insn.imm & !0xff) == MAP_MARK {
            refs.push((slot, (insn.imm - MAP_MARK) as usize));
            slots[slot].imm = 0;
            slots[slot + 1].imm = 0;
        }
    }
    Some(object_file(case, &slots_to_bytes(&slots), &refs))
}

/// The program, one instruction a line with its slot, for failure reports.
fn listing(case: &Case) -> String {
    let mut out = String::new();
    let mut slot = 0;
    for line in case.text.lines() {
        if line.ends_with(':') {
            let _ = writeln!(out, "      {line}");
            continue;
        }
        let _ = writeln!(out, "{slot:4}:   {line}");
        slot += if line.starts_with("lddw") { 2 } else { 1 };
    }
    out
}

#[derive(Default)]
struct Tally {
    programs: usize,
    accepted: usize,
    runs: usize,
    refused_inputs: usize,
    load_refused: usize,
    input_reasons: BTreeMap<String, usize>,
    rules: BTreeMap<String, usize>,
}

/// Verifies and, when accepted, runs one program; `Err` describes a soundness bug.
fn check(case: &Case, tally: &mut Tally) -> Result<(), String> {
    tally.programs += 1;
    let Some(elf) = build(case) else {
        *tally.rules.entry("(does not assemble)".into()).or_default() += 1;
        return Ok(());
    };
    // The interpreter checks every access, verified or not: it is the oracle (the JIT runs
    // a verified program's proved accesses unchecked).
    let engine = ebee::Engine::new()
        .with_budget(1_000_000)
        .with_backend(ebee::Backend::Interpreter);
    let builder = engine.open(&elf).map_err(|e| format!("open: {e}"))?;
    let verdicts = builder.verify_programs().map_err(|e| format!("{e}"))?;
    match &verdicts[0].result {
        Err(why) => {
            *tally.rules.entry(format!("{:?}", why.rule)).or_default() += 1;
            return Ok(());
        }
        Ok(_) => tally.accepted += 1,
    }
    // The VM's own load-time checks are path-insensitive (a register read in code the
    // verifier proved dead is refused): not a soundness matter, only counted.
    let object = match builder.load() {
        Ok(object) => object,
        Err(e) => {
            tally.load_refused += 1;
            if tally.load_refused <= 3 {
                eprintln!("seed {}: verified, refused at load: {e}", case.seed);
                if std::env::var_os("EBEE_SOUNDNESS_LIST").is_some() {
                    eprintln!("{}", listing(case));
                }
            }
            return Ok(());
        }
    };
    let program = object.program("prog").expect("prog");
    let mut runner = program.runner().exact_packet_bounds();
    // The same program on the JIT, which runs the accesses the verifier proved unchecked:
    // it must give the interpreter's results on every input.
    let jit_engine = ebee::Engine::new()
        .with_budget(1_000_000)
        .with_backend(ebee::Backend::Jit);
    let jit_object = jit_engine
        .open(&elf)
        .and_then(|b| b.load())
        .map_err(|e| format!("the JIT refuses what the interpreter loads: {e}"))?;
    let jit_program = jit_object.program("prog").expect("prog");
    let mut jit_runner = jit_program.runner();
    let mut rng = fastrand::Rng::with_seed(case.seed ^ 0x5eed);
    for _ in 0..4 {
        // Random map contents.
        for (i, vs) in case.value_sizes.iter().enumerate() {
            let map = object.map(&format!("m{i}")).expect("map");
            let jit_map = jit_object.map(&format!("m{i}")).expect("map");
            for key in 0..MAX_ENTRIES {
                if i == 0 || rng.bool() {
                    let value: Vec<u8> = (0..*vs).map(|_| rng.u8(..)).collect();
                    let _ = map.update(&key.to_ne_bytes(), &value, 0);
                    let _ = jit_map.update(&key.to_ne_bytes(), &value, 0);
                } else {
                    let _ = map.delete_elem(&key.to_ne_bytes());
                    let _ = jit_map.delete_elem(&key.to_ne_bytes());
                }
            }
        }
        // Test runs refuse packets shorter than an Ethernet header, as Linux does.
        let len = match rng.u8(..4) {
            0 => rng.usize(14..18),
            1 => rng.usize(14..40),
            2 => rng.usize(14..100),
            _ => rng.usize(14..300),
        };
        let packet: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
        let mut ctx = vec![0u8; case.spec().ctx_size as usize];
        let with_ctx = rng.bool();
        if case.xdp {
            // Metadata first: data_meta 0, data after it, data_end the packet's length.
            let meta = 4 * rng.usize(0..=(len - 14).min(32) / 4);
            let put = |ctx: &mut [u8], name: &str, v: usize| {
                let at = case.spec().offset_of(name);
                ctx[at..at + 4].copy_from_slice(&(v as u32).to_ne_bytes());
            };
            put(&mut ctx, "data", meta);
            put(&mut ctx, "data_end", len);
        }
        if with_ctx && !case.xdp {
            for name in ["mark", "priority", "cb"] {
                if let Some(f) = case.spec().fields.iter().find(|f| f.name == name) {
                    let at = f.offset as usize;
                    for b in &mut ctx[at..at + f.size as usize] {
                        *b = rng.u8(..);
                    }
                }
            }
        }
        let run = ebee::TestRun {
            data_in: &packet,
            ctx_in: with_ctx.then_some(&ctx[..]),
            ..Default::default()
        };
        match runner.run(&run) {
            Ok(_) => {
                tally.runs += 1;
                // Results are not compared: programs call bpf_get_prandom_u32 and may
                // return pointers.
                jit_runner.run(&run).map_err(|e| {
                    format!(
                        "the JIT failed where the interpreter ran: {e}\ninput: packet {packet:02x?}"
                    )
                })?;
            }
            Err(ebee::Error::Vm { error, .. }) => {
                return Err(format!(
                    "verified, but the checked mode stopped it: {error}\n\
                     input: packet {packet:02x?}\nctx: {:02x?}",
                    run.ctx_in
                ));
            }
            Err(e) => {
                tally.refused_inputs += 1;
                let reason: String = e.to_string().chars().take(70).collect();
                *tally.input_reasons.entry(reason).or_default() += 1;
            }
        }
    }
    Ok(())
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn verified_programs_never_fault_in_the_checked_mode() {
    let programs = env_u64("EBEE_SOUNDNESS_PROGRAMS", 20_000);
    let first = env_u64("EBEE_SOUNDNESS_SEED", 1);
    let mut tally = Tally::default();
    let mut failures = Vec::new();
    for seed in first..first + programs {
        let case = generate(seed);
        if let Err(why) = check(&case, &mut tally) {
            eprintln!(
                "SOUNDNESS BUG, seed {seed} ({}, value sizes {:?}):\n{}{why}\n",
                case.spec().name,
                case.value_sizes,
                listing(&case)
            );
            failures.push(seed);
            if failures.len() >= 5 {
                break;
            }
        }
    }
    eprintln!(
        "{} programs, {} accepted ({:.1}%), {} of them refused by the VM's load checks, {} \
         runs, {} inputs refused",
        tally.programs,
        tally.accepted,
        100.0 * tally.accepted as f64 / tally.programs.max(1) as f64,
        tally.load_refused,
        tally.runs,
        tally.refused_inputs
    );
    for (reason, n) in &tally.input_reasons {
        eprintln!("  input refused: {reason}: {n}");
    }
    for (rule, n) in &tally.rules {
        eprintln!("  refused by {rule}: {n}");
    }
    assert!(failures.is_empty(), "soundness bugs at seeds {failures:?}");
    assert!(
        tally.accepted * 5 >= tally.programs,
        "the generator's bias is off: too few programs verify"
    );
}

/// Verifies a fixed XDP program (maps as in the fuzzer, value sizes 16): `Ok` or the rule.
fn verdict(text: &str) -> Result<(), String> {
    let case = Case {
        seed: 0,
        xdp: true,
        value_sizes: [16, 16],
        text: text.to_string(),
    };
    let elf = build(&case).expect("assembles");
    let builder = ebee::Engine::new().open(&elf).expect("opens");
    let verdicts = builder.verify_programs().expect("links");
    match &verdicts[0].result {
        Ok(_) => Ok(()),
        Err(why) => Err(why.report()),
    }
}

/// The object builder's map references reach the verifier: a lookup's value is usable after
/// a null check, and only then.
#[test]
fn map_references_reach_the_verifier() {
    let lookup = format!(
        "stw [%r10-4], 0\nlddw %r1, {MAP_MARK:#x}\nmov %r2, %r10\nadd %r2, -4\ncall {}\n",
        helper("map_lookup_elem")
    );
    let checked = format!("{lookup}jeq %r0, 0, out\nldxdw %r0, [%r0+8]\nout:\nmov %r0, 2\nexit");
    assert_eq!(verdict(&checked), Ok(()));
    let unchecked = format!("{lookup}ldxdw %r0, [%r0+8]\nmov %r0, 2\nexit");
    assert!(verdict(&unchecked).unwrap_err().contains("NullCheck"));
    let past = format!("{lookup}jeq %r0, 0, out\nldxdw %r0, [%r0+9]\nout:\nmov %r0, 2\nexit");
    assert!(verdict(&past).is_err());
}

/// The oracle itself: with exact packet bounds, the checked mode stops a (not verified)
/// read one byte past the packet, which the tailroom otherwise absorbs.
#[test]
fn exact_packet_bounds_stop_a_read_one_byte_past_the_packet() {
    let case = Case {
        seed: 0,
        xdp: true,
        value_sizes: [16, 16],
        text: "ldxw %r2, [%r1+0]\nldxb %r0, [%r2+14]\nmov %r0, 2\nexit".into(),
    };
    let elf = build(&case).expect("assembles");
    let engine = ebee::Engine::new().with_backend(ebee::Backend::Interpreter);
    let builder = engine.open(&elf).expect("opens");
    let object = builder.unverified().load().expect("loads unverified");
    let program = object.program("prog").expect("prog");
    let run = ebee::TestRun {
        data_in: &[0; 14],
        ..Default::default()
    };
    assert_eq!(program.runner().run(&run).expect("runs").retval, 2);
    let err = program
        .runner()
        .exact_packet_bounds()
        .run(&run)
        .unwrap_err();
    assert!(
        matches!(&err, ebee::Error::Vm { error, .. }
            if matches!(**error, ebee_vm::VmError::OutOfBounds { .. })),
        "{err}"
    );
    let run = ebee::TestRun {
        data_in: &[0; 15],
        ..Default::default()
    };
    let exact = program.runner().exact_packet_bounds().run(&run);
    assert_eq!(exact.expect("in bounds").retval, 2);
}
