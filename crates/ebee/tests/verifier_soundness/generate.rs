//! The program generator of the soundness fuzzer: random programs biased so that many
//! verify, and often just outside what is safe.

use ebee_abi::helper_names::helper_name;
use ebee_spec::program_type::{FieldKind, ProgramTypeSpec, TC_CLS, XDP};

/// The two maps every program has: `m0` an array, `m1` a hash, 4-byte keys.
pub(crate) const MAPS: usize = 2;
/// Entries of each map.
pub(crate) const MAX_ENTRIES: u32 = 4;
/// The `lddw` immediate standing for map `i` until the ELF relocation replaces it.
pub(crate) const MAP_MARK: i64 = 0x7e57_0000_0000;

/// A helper's id by its kernel name (`map_lookup_elem`), from the one helper table.
pub(crate) fn helper(name: &str) -> u32 {
    (0..1000)
        .find(|&id| helper_name(id) == Some(name))
        .unwrap_or_else(|| panic!("no helper {name}"))
}

/// The largest `2^k - 1` not above `max` (0 for `max < 1`).
pub(crate) fn low_mask(max: i64) -> i64 {
    let n = (max.max(0) as u64) + 1;
    ((1u64 << n.ilog2()) - 1) as i64
}

/// One generated program and what it needs.
pub(crate) struct Case {
    pub(crate) seed: u64,
    pub(crate) xdp: bool,
    pub(crate) value_sizes: [u32; MAPS],
    pub(crate) text: String,
}

impl Case {
    pub(crate) fn spec(&self) -> &'static ProgramTypeSpec {
        if self.xdp {
            &XDP
        } else {
            &TC_CLS
        }
    }
}

pub(crate) struct Gen {
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

pub(crate) fn generate(seed: u64) -> Case {
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
