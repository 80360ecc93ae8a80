//! Linking, as libbpf's `bpf_object__relocate` does: each program gets its own instruction
//! stream — its function, then every subprogram it calls or takes the address of,
//! transitively, appended in libbpf's depth-first order — with bpf-to-bpf calls and
//! `BPF_PSEUDO_FUNC` addresses fixed up to relative offsets, map references rewritten, and
//! CO-RE relocations applied.

use std::collections::HashMap;

use ebee_abi::pseudo::{BPF_PSEUDO_FUNC, BPF_PSEUDO_KFUNC_CALL};
use ebee_isa::{decode_program, CallKind, Insn, Semantics};

use crate::btf::Btf;
use crate::co_re::{self, Poisoned};
use crate::linked::{CoreDiagnostic, FunctionInfo, KfuncCall, LineInfo, LinkedProgram};
use crate::relocations::{apply_map_relocations, semantics, Reloc};
use crate::spec::{ObjectSpec, ProgramSpec};
use crate::ObjectError;

/// The code sections with map and CO-RE relocations applied, ready to be copied.
struct Prepared {
    slots: Vec<Vec<Insn>>,
    poisoned: Vec<Vec<Poisoned>>,
}

impl ObjectSpec {
    /// Links every program. CO-RE relocations are resolved against `target_btf` — the BTF
    /// of the structures the programs will really see — or, when it is `None`, against the
    /// object's own BTF (which keeps the offsets clang compiled).
    ///
    /// Map references in the result are `lddw` with `src` 5 or 6 and the map's index in
    /// [`ObjectSpec::maps`] (see [`crate::MapReference`]); call [`ObjectSpec::set_global`]
    /// before or after, the maps are not part of the result.
    pub fn link(&self, target_btf: Option<&Btf>) -> Result<Vec<LinkedProgram>, ObjectError> {
        let prepared = self.prepare(target_btf)?;
        self.programs
            .iter()
            .map(|program| self.link_one(&prepared, program))
            .collect()
    }

    /// Links one program by name; see [`ObjectSpec::link`].
    pub fn link_program(
        &self,
        name: &str,
        target_btf: Option<&Btf>,
    ) -> Result<LinkedProgram, ObjectError> {
        let program = self.program(name).ok_or_else(|| ObjectError::NotFound {
            what: "program",
            name: name.to_owned(),
            reason: "there is no such program".into(),
        })?;
        self.link_one(&self.prepare(target_btf)?, program)
    }

    fn prepare(&self, target_btf: Option<&Btf>) -> Result<Prepared, ObjectError> {
        let mut prepared = Prepared {
            slots: Vec::with_capacity(self.code.len()),
            poisoned: Vec::with_capacity(self.code.len()),
        };
        for code in &self.code {
            let mut slots = code.slots.clone();
            apply_map_relocations(code, &mut slots);
            let relos = self
                .ext
                .core_relos
                .get(&code.name)
                .map_or(&[][..], Vec::as_slice);
            let poisoned = match (&self.btf, relos.is_empty()) {
                (Some(local), false) => co_re::apply(
                    local,
                    target_btf.unwrap_or(local),
                    relos,
                    &code.name,
                    &mut slots,
                )?,
                _ => Vec::new(),
            };
            prepared.slots.push(slots);
            prepared.poisoned.push(poisoned);
        }
        Ok(prepared)
    }

    fn link_one(
        &self,
        prepared: &Prepared,
        program: &ProgramSpec,
    ) -> Result<LinkedProgram, ObjectError> {
        let mut linker = Linker {
            spec: self,
            prepared,
            program,
            slots: Vec::new(),
            origin: Vec::new(),
            placed: HashMap::new(),
            order: Vec::new(),
            kfunc_calls: Vec::new(),
        };
        linker.place(program.code, program.function);
        linker.resolve_calls()?;
        let instructions =
            decode_program(&linker.slots).map_err(|error| ObjectError::LinkedCode {
                program: program.name.clone(),
                error,
            })?;
        let (functions, line_info, core_diagnostics) = linker.debug_info();
        linker.kfunc_calls.sort_by_key(|call| call.pc);
        Ok(LinkedProgram {
            name: program.name.clone(),
            section: program.section.clone(),
            kind: program.kind.clone(),
            rule: program.rule.clone(),
            attach_target: program.attach_target.clone(),
            instructions,
            functions,
            line_info,
            kfunc_calls: linker.kfunc_calls,
            core_diagnostics,
        })
    }
}

/// The state of linking one program.
struct Linker<'a> {
    spec: &'a ObjectSpec,
    prepared: &'a Prepared,
    program: &'a ProgramSpec,
    /// The linked slots so far.
    slots: Vec<Insn>,
    /// For each linked slot, its code section and slot there.
    origin: Vec<(usize, usize)>,
    /// (code section, function) → first linked slot.
    placed: HashMap<(usize, usize), usize>,
    /// The placed functions in order, with their first linked slot.
    order: Vec<(usize, usize, usize)>,
    kfunc_calls: Vec<KfuncCall>,
}

impl Linker<'_> {
    /// Appends a function, returning its first linked slot.
    fn place(&mut self, code: usize, function: usize) -> usize {
        let base = self.slots.len();
        let f = &self.spec.code[code].functions[function];
        self.slots
            .extend_from_slice(&self.prepared.slots[code][f.start..f.start + f.len]);
        self.origin
            .extend((f.start..f.start + f.len).map(|slot| (code, slot)));
        self.placed.insert((code, function), base);
        self.order.push((code, function, base));
        base
    }

    fn error(&self, pc: usize, reason: String) -> ObjectError {
        let (code, slot) = self.origin[pc];
        ObjectError::link(
            &self.program.name,
            format!(
                "instruction {pc} (section {}, instruction {slot}): {reason}",
                self.spec.code[code].name
            ),
        )
    }

    /// Fixes up every call and function address, appending each subprogram at its first
    /// reference and walking it before the rest of its caller — the depth-first order of
    /// libbpf's `bpf_object__reloc_code`, so linked instruction indices match the kernel's.
    /// An explicit stack of (next slot, end) ranges keeps deep call chains off the stack.
    fn resolve_calls(&mut self) -> Result<(), ObjectError> {
        let mut pending = vec![(0, self.slots.len())];
        while let Some((pc, end)) = pending.pop() {
            if pc >= end {
                continue;
            }
            let is_lddw = matches!(
                semantics(&self.slots[pc]),
                Some(Semantics::LoadImm64 { .. })
            );
            let next = pc + if is_lddw { 2 } else { 1 };
            pending.push((next, end));
            let Some((target_code, target_slot)) = self.target(pc)? else {
                continue;
            };
            let section = &self.spec.code[target_code];
            let function = section.function_at(target_slot).ok_or_else(|| {
                self.error(
                    pc,
                    format!(
                        "target {target_slot} of section {} is in no function",
                        section.name
                    ),
                )
            })?;
            let base = match self.placed.get(&(target_code, function)) {
                Some(&base) => base,
                None => {
                    let base = self.place(target_code, function);
                    pending.push((base, self.slots.len()));
                    base
                }
            };
            let new_pc = base + (target_slot - section.functions[function].start);
            let offset = i32::try_from(new_pc as i64 - (pc as i64 + 1))
                .map_err(|_| self.error(pc, "program too large".into()))?;
            self.slots[pc].imm = offset;
            if is_lddw {
                if pc + 1 >= self.slots.len() {
                    return Err(self.error(pc, "lddw is cut short".into()));
                }
                self.slots[pc].src = BPF_PSEUDO_FUNC;
                self.slots[pc + 1].imm = 0;
            }
        }
        Ok(())
    }

    /// Where the call or function address at linked slot `pc` goes (code section, slot), if
    /// it is one; records kfunc calls on the way.
    fn target(&mut self, pc: usize) -> Result<Option<(usize, usize)>, ObjectError> {
        let insn = self.slots[pc];
        let (code, slot) = self.origin[pc];
        Ok(
            match (semantics(&insn), self.spec.code[code].relocs.get(&slot)) {
                (Some(Semantics::Call(_)), Some(Reloc::Call { code, slot })) => {
                    Some((*code, *slot))
                }
                (Some(Semantics::Call(_)), Some(Reloc::Kfunc(name))) => {
                    self.slots[pc].src = BPF_PSEUDO_KFUNC_CALL;
                    self.slots[pc].imm = 0;
                    self.kfunc_calls.push(KfuncCall {
                        pc,
                        name: name.clone(),
                    });
                    None
                }
                (Some(Semantics::Call(CallKind::Local)), None) => {
                    // A call within the section, without relocation: relative to its place.
                    let target = slot as i64 + i64::from(insn.imm) + 1;
                    let len = self.spec.code[code].slots.len();
                    let target = usize::try_from(target)
                        .ok()
                        .filter(|&t| t < len)
                        .ok_or_else(|| {
                            self.error(pc, format!("call target {target} is outside its section"))
                        })?;
                    Some((code, target))
                }
                (Some(Semantics::LoadImm64 { .. }), Some(Reloc::FuncAddr { code, slot })) => {
                    Some((*code, *slot))
                }
                (
                    Some(Semantics::LoadImm64 {
                        pseudo: BPF_PSEUDO_FUNC,
                    }),
                    None,
                ) => {
                    return Err(self.error(pc, "function address without a relocation".into()));
                }
                _ => None,
            },
        )
    }

    /// Functions, line info and CO-RE diagnostics of the placed functions, at their linked
    /// places.
    fn debug_info(&self) -> (Vec<FunctionInfo>, Vec<LineInfo>, Vec<CoreDiagnostic>) {
        let (mut functions, mut lines, mut diagnostics) = (Vec::new(), Vec::new(), Vec::new());
        let ext = &self.spec.ext;
        for &(code, function, base) in &self.order {
            let section = &self.spec.code[code];
            let f = &section.functions[function];
            let range = f.start..f.start + f.len;
            let pc = |slot: usize| base + slot - f.start;
            let btf_type_id = ext
                .func_info
                .get(&section.name)
                .and_then(|records| records.iter().find(|r| r.insn == f.start))
                .map(|r| r.type_id);
            functions.push(FunctionInfo {
                name: f.name.clone(),
                pc: base,
                len: f.len,
                btf_type_id,
            });
            if let (Some(records), Some(btf)) = (ext.line_info.get(&section.name), &self.spec.btf) {
                for r in records.iter().filter(|r| range.contains(&r.insn)) {
                    let text = |off| btf.string_at(off).unwrap_or("").to_owned();
                    lines.push(LineInfo {
                        pc: pc(r.insn),
                        file: text(r.file_off),
                        line: r.line,
                        column: r.column,
                        text: text(r.line_off),
                    });
                }
            }
            for p in self.prepared.poisoned[code]
                .iter()
                .filter(|p| range.contains(&p.slot))
            {
                diagnostics.push(CoreDiagnostic {
                    pc: pc(p.slot),
                    kind: p.kind,
                    access: p.access.clone(),
                    reason: p.reason.clone(),
                });
            }
        }
        lines.sort_by_key(|l| l.pc);
        diagnostics.sort_by_key(|d| d.pc);
        (functions, lines, diagnostics)
    }
}
