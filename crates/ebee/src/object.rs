//! Loading an object: maps created, programs linked, map references resolved to real
//! addresses, helpers checked against the table and the program type, programs loaded into
//! the VM with their context layout.

use crate::engine::{Custom, Engine, KFUNC_IDS};
use crate::error::Error;
use crate::helpers;
use crate::program::Program;
use crate::program_type::{self, ProgramTypeSpec};
use crate::runtime::{map_address, Runtime};
use ebee_isa::{Instruction, Op, Semantics};
use ebee_maps::Map;
use ebee_object::{DataSection, MapOrigin, ObjectSpec, SlotTarget, TypeRule};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// A parsed object whose globals can still be set, as with a libbpf skeleton before load.
pub struct ObjectBuilder {
    engine: Engine,
    spec: ObjectSpec,
    verify: bool,
}

impl ObjectBuilder {
    pub(crate) fn new(engine: Engine, spec: ObjectSpec) -> ObjectBuilder {
        ObjectBuilder {
            engine,
            spec,
            verify: true,
        }
    }

    /// Loads programs without verifying them, as the explicit opt-in for code the verifier
    /// refuses (the CLI's `--unverified`). By default [`ObjectBuilder::load`] refuses a
    /// program the verifier cannot prove safe ([`Error::Verification`]), as Linux does. An
    /// unverified program runs in the checked mode, where each memory access is checked
    /// as it happens, so it cannot harm the host either; it is only slower.
    ///
    /// ```no_run
    /// let bytes = std::fs::read("prog.bpf.o")?;
    /// let object = ebee::Engine::new().open(&bytes)?.unverified().load()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn unverified(mut self) -> Self {
        self.verify = false;
        self
    }

    /// The engine it loads into.
    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The parsed object.
    pub fn spec(&self) -> &ObjectSpec {
        &self.spec
    }

    /// Sets global variable `name` (in `.rodata`, `.data`, `.bss`, …) to `bytes`.
    pub fn set_global(&mut self, name: &str, bytes: &[u8]) -> Result<&mut Self, Error> {
        self.spec.set_global(name, bytes)?;
        Ok(self)
    }

    /// Sets map `name`'s value size before it is created (libbpf's
    /// `bpf_map__set_value_size`); an invalid size is refused when the map is created.
    ///
    /// ```no_run
    /// let bytes = std::fs::read("agent.bpf.o")?;
    /// let mut builder = ebee::Engine::new().open(&bytes)?;
    /// builder.set_map_value_size("scratch", 256)?.set_max_entries("events", 4096)?;
    /// builder.set_program_type(None, "xdp")?; // every program, as `--type xdp`
    /// let object = builder.load()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_map_value_size(&mut self, name: &str, size: u32) -> Result<&mut Self, Error> {
        self.spec.set_map_value_size(name, size)?;
        Ok(self)
    }

    /// Sets map `name`'s key size before it is created (`bpf_map__set_key_size`).
    pub fn set_map_key_size(&mut self, name: &str, size: u32) -> Result<&mut Self, Error> {
        self.spec.set_map_key_size(name, size)?;
        Ok(self)
    }

    /// Sets map `name`'s `max_entries` before it is created (`bpf_map__set_max_entries`).
    pub fn set_max_entries(&mut self, name: &str, max_entries: u32) -> Result<&mut Self, Error> {
        self.spec.set_max_entries(name, max_entries)?;
        Ok(self)
    }

    /// Gives program `program` (every program with `None`) the type `type_name` instead of
    /// the one its section says, as `bpftool prog load … type` does: a program type as
    /// bpftool names it (`xdp`, `sched_cls`) or a section name libbpf knows (`classifier`,
    /// `cgroup/connect4`, which also gives the expected attach type).
    pub fn set_program_type(
        &mut self,
        program: Option<&str>,
        type_name: &str,
    ) -> Result<&mut Self, Error> {
        let kind = ebee_object::program_type_by_name(type_name)
            .ok_or_else(|| Error::UnknownProgramType(type_name.to_string()))?;
        match program {
            Some(name) => self.spec.set_program_type(name, kind, type_name)?,
            None => self.spec.set_all_program_types(&kind, type_name),
        }
        Ok(self)
    }

    /// Creates the maps and loads every program (but the `.text` entry points no type was
    /// given: see [`ObjectBuilder::set_program_type`]).
    pub fn load(self) -> Result<Object, Error> {
        let engine = self.engine;
        let spec = self.spec;
        let maps = create_maps(&spec, engine.cpus())?;
        let runtime = Arc::new(Runtime::new(
            engine.cpus(),
            engine.trace(),
            engine.network(),
            maps,
        ));
        let linked = spec.link(None)?;
        let map_infos = crate::verification::map_infos(&spec, engine.cpus());
        let mut programs = Vec::new();
        for program in linked {
            // A `.text` function no section calls has no type until the host gives it one
            // (`set_program_type`); as the kernel cannot load it without one, it is listed
            // ([`Engine::list_programs`]) but not loaded.
            if program.section == ".text" && program.rule == TypeRule::None {
                continue;
            }
            let type_spec = type_spec(&program);
            let mut instructions = program.instructions.clone().into_instructions();
            resolve_map_references(&mut instructions, runtime.maps(), &program.name)?;
            engine.bind_kfuncs(&mut instructions, &program);
            check_calls(&instructions, &program, type_spec, engine.custom())?;
            let verified = match self.verify {
                true => Some(crate::verification::verify(
                    &engine, &program, type_spec, &map_infos,
                )?),
                false => None,
            };
            let mut registry = helpers::build_registry(type_spec);
            engine.register_custom(&mut registry);
            let mut vm = ebee_vm::Vm::new(registry).with_backend(engine.backend());
            vm = match (engine.budget(), &verified) {
                (Some(budget), _) => vm.with_budget(budget),
                // The verifier proved termination: run without a limit, as Linux does.
                (None, Some(_)) => vm.without_budget(),
                (None, None) => vm.with_budget(ebee_vm::DEFAULT_BUDGET),
            };
            if type_spec.is_some_and(|t| t.legacy_packet_access) {
                vm = vm.with_legacy_packet_load(helpers::skb::legacy_packet_load);
            }
            let instructions = ebee_isa::Validated::new(instructions)
                .map_err(|source| Error::load(&program, ebee_vm::VmError::Isa(source)))?;
            let context = type_spec.map(|spec| spec as &dyn ebee_vm::ContextLayout);
            let array_lookups = match &verified {
                Some(verified) => array_lookups(verified, &instructions, runtime.maps(), &engine),
                None => Vec::new(),
            };
            let proofs = ebee_vm::Proofs {
                safe_accesses: verified.as_ref().map_or(&[][..], |v| &v.safe_accesses),
                array_lookups: &array_lookups,
            };
            // `safe_accesses` is what the verifier proved of these instructions (the same
            // slots, map references resolved to the maps `map_infos` describes) with this
            // program type's context and helpers: those accesses stay in bounds. The array
            // lookups are calls of ebee's own `map_lookup_elem` whose map is, on every path,
            // that array (`call_maps`), with a key the verifier proved readable; the arrays
            // live in `runtime`, which every handle that runs the program holds.
            // SAFETY: so `proofs` holds of these instructions, as `load_verified` requires.
            let loaded = unsafe { vm.load_verified(&instructions, context, &proofs) }
                .map_err(|source| Error::load(&program, source))?;
            let loaded = Arc::new(loaded);
            let id = next_program_id();
            runtime.register_program(id, loaded.clone());
            programs.push(Program::new(
                id,
                program,
                type_spec,
                loaded,
                runtime.clone(),
            ));
        }
        fill_prog_arrays(&spec, &runtime, &programs)?;
        Ok(Object {
            license: spec.license().to_string(),
            warnings: spec.warnings().to_vec(),
            runtime,
            programs,
        })
    }
}

/// A loaded object: its maps and programs.
pub struct Object {
    license: String,
    warnings: Vec<String>,
    runtime: Arc<Runtime>,
    programs: Vec<Program>,
}

impl Object {
    /// Every program, in object order.
    pub fn programs(&self) -> &[Program] {
        &self.programs
    }

    /// The program named `name` (its function name).
    pub fn program(&self, name: &str) -> Option<&Program> {
        self.programs.iter().find(|p| p.name() == name)
    }

    /// Every map, in object order (global data sections included, named like libbpf does:
    /// `.rodata`, `.bss`, …).
    pub fn maps(&self) -> &[Arc<Map>] {
        self.runtime.maps()
    }

    /// The map named `name`.
    pub fn map(&self, name: &str) -> Option<&Arc<Map>> {
        self.runtime.maps().iter().find(|m| m.name() == name)
    }

    /// Stores `inner` under `key` of the map of maps `outer`, and lets programs use it.
    pub fn set_inner_map(&self, outer: &str, key: &[u8], inner: &Arc<Map>) -> Result<(), Error> {
        let map = self
            .map(outer)
            .ok_or_else(|| Error::NoSuchMap(outer.to_string()))?;
        map.update_inner_map(key, inner, 0)
            .map_err(|errno| Error::MapOperation {
                map: outer.to_string(),
                errno,
            })?;
        self.runtime.register_inner_map(inner);
        Ok(())
    }

    /// What the object has that Linux accepts but a careful toolchain would not write
    /// (`e_machine` 0), for the host to show.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The license string of the object.
    pub fn license(&self) -> &str {
        &self.license
    }
}

fn next_program_id() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The spec of a program: its kind's program type with the expected attach type its section
/// gives (sock_addr, cgroup_skb and cgroup/sock rules depend on it), or the name of a type
/// override gives. `None` (types without a spec) runs the program with a generic context of
/// host bytes.
pub fn type_spec(program: &ebee_object::LinkedProgram) -> Option<&'static ProgramTypeSpec> {
    let prog_type = program.kind.prog_type()?;
    let attach_type = ebee_object::expected_attach_type(attach_section(program));
    program_type::spec_for(prog_type, attach_type)
}

/// The name whose libbpf rules give a program's expected attach type: its section, or the
/// name a type override was given.
pub(crate) fn attach_section(program: &ebee_object::LinkedProgram) -> &str {
    match &program.rule {
        TypeRule::Override(name) => name,
        _ => &program.section,
    }
}

fn create_maps(spec: &ObjectSpec, ncpus: usize) -> Result<Vec<Arc<Map>>, Error> {
    let mut maps = Vec::with_capacity(spec.maps().len());
    for def in spec.maps() {
        let map = Map::create(convert_spec(def, ncpus)?, ncpus)?;
        if let Some(data) = &def.initial_data {
            map.update(&0u32.to_ne_bytes(), data, 0)
                .map_err(|errno| Error::MapOperation {
                    map: def.name.clone(),
                    errno,
                })?;
        }
        // As libbpf does, `.rodata*` is frozen once filled: the host may no longer write it.
        if def.origin == MapOrigin::GlobalData(DataSection::Rodata) {
            map.freeze().map_err(|errno| Error::MapOperation {
                map: def.name.clone(),
                errno,
            })?;
        }
        maps.push(map);
    }
    for (def, map) in spec.maps().iter().zip(&maps) {
        for slot in &def.initial_slots {
            if let SlotTarget::Map(index) = slot.target {
                let inner = maps
                    .get(index)
                    .ok_or_else(|| Error::NoSuchMap(format!("#{index}")))?;
                map.update_inner_map(&slot.index.to_ne_bytes(), inner, 0)
                    .map_err(|errno| Error::MapOperation {
                        map: def.name.clone(),
                        errno,
                    })?;
            }
        }
    }
    Ok(maps)
}

/// The ebee-maps spec of a map definition, with libbpf's load-time adjustments
/// ([`ebee_object::MapSpec::adjusted_for_load`]: perf event array defaults from `ncpus`,
/// ring buffer sizes rounded up to a power-of-two number of pages).
fn convert_spec(def: &ebee_object::MapSpec, ncpus: usize) -> Result<ebee_maps::MapSpec, Error> {
    let def = &def.adjusted_for_load(ncpus, ebee_maps::PAGE_SIZE);
    let map_type = ebee_maps::implemented_type(&def.name, def.map_type)?;
    let max_entries = def.max_entries;
    let mut spec = ebee_maps::MapSpec::new(
        &def.name,
        map_type,
        def.key_size,
        def.value_size,
        max_entries,
    )
    .with_flags(def.map_flags)
    .with_extra(def.map_extra);
    if let Some(offset) = def.spin_lock_offset {
        spec = spec.with_spin_lock(offset);
    }
    if let Some(inner) = &def.inner {
        spec = spec.with_inner(convert_spec(inner, ncpus)?);
    }
    Ok(spec)
}

/// Turns `lddw` map references (map index, or map index + value offset) into the map's
/// address or the address of its value.
fn resolve_map_references(
    instructions: &mut [Instruction],
    maps: &[Arc<Map>],
    program: &str,
) -> Result<(), Error> {
    for insn in instructions.iter_mut() {
        let Some(reference) = ebee_object::MapReference::from_instruction(insn) else {
            continue;
        };
        let map = maps.get(reference.map_index).ok_or_else(|| Error::Link {
            program: program.to_string(),
            pc: insn.pc,
            message: format!("map index {} out of range", reference.map_index),
        })?;
        let address = match reference.value_offset {
            None => map_address(map),
            Some(offset) => {
                let value = map.value_ptr(0).ok_or_else(|| Error::Link {
                    program: program.to_string(),
                    pc: insn.pc,
                    message: format!(
                        "direct value access to map {} which is not an array",
                        map.name()
                    ),
                })?;
                value.as_ptr() as u64 + offset as u64
            }
        };
        insn.op = Op::Lddw;
        insn.src = 0;
        insn.imm = address as i64;
    }
    Ok(())
}

/// The calls of `map_lookup_elem` whose map is one array on every path (the verifier's
/// `call_maps`), for the JIT to compute inline; none when the embedder replaced the helper.
fn array_lookups(
    verified: &ebee_verifier::Verified,
    instructions: &ebee_isa::Validated,
    maps: &[Arc<Map>],
    engine: &Engine,
) -> Vec<ebee_vm::ArrayLookup> {
    let is_lookup = |id: i64| {
        u32::try_from(id).is_ok_and(|id| {
            ebee_abi::helper_names::helper_name(id) == Some("map_lookup_elem")
                && !engine.custom().iter().any(|c| c.key == Ok(id))
        })
    };
    let at = |pc: usize| {
        let i = instructions
            .binary_search_by_key(&pc, |insn| insn.pc)
            .ok()?;
        Some(&instructions[i])
    };
    let mut lookups = Vec::new();
    for &(pc, map) in &verified.call_maps {
        let Some(insn) = at(pc).filter(|insn| is_lookup(insn.imm)) else {
            continue;
        };
        let Some(map) = maps.get(map as usize) else {
            continue;
        };
        let Some(layout) = map.array_layout() else {
            continue;
        };
        let (Ok(elem_size), Ok(copies)) = (
            u32::try_from(layout.elem_size),
            u32::try_from(layout.copies),
        ) else {
            continue;
        };
        lookups.push(ebee_vm::ArrayLookup {
            pc: insn.pc,
            values: layout.values.as_ptr() as u64,
            max_entries: layout.max_entries,
            elem_size,
            copies,
            per_cpu: map.map_type().is_percpu(),
            writable: map.spec().map_flags & ebee_maps::flags::BPF_F_RDONLY_PROG == 0,
        });
    }
    lookups
}

/// Refuses, at load, calls to helpers ebee does not provide or the program type may not call,
/// kfunc calls, and legacy packet loads in program types without an skb.
fn check_calls(
    instructions: &[Instruction],
    program: &ebee_object::LinkedProgram,
    type_spec: Option<&ProgramTypeSpec>,
    custom: &[Custom],
) -> Result<(), Error> {
    for insn in instructions {
        let line = || program.source_line(insn.pc).map(|l| l.to_string());
        match insn.op {
            Op::CallHelper => {
                let id = insn.imm as u32;
                let provided = |c: &Custom| c.key == Ok(id) || (id >= KFUNC_IDS && c.key.is_err());
                if custom.iter().any(provided) {
                    continue;
                }
                match helpers::by_id(id) {
                    Some(_) if helpers::allowed(type_spec, id) => {}
                    Some(def) => {
                        return Err(Error::HelperNotAllowed {
                            program: program.name.clone(),
                            pc: insn.pc,
                            helper: def.name().to_string(),
                            id,
                            program_type: type_spec.map_or("generic", |t| t.name).to_string(),
                            line: line(),
                        })
                    }
                    None => {
                        return Err(Error::UnknownHelper {
                            program: program.name.clone(),
                            pc: insn.pc,
                            id,
                            name: helpers::kernel_name(id).map(str::to_string),
                            line: line(),
                        })
                    }
                }
            }
            Op::CallKfunc => {
                let name = program
                    .kfunc_calls
                    .iter()
                    .find(|k| k.pc == insn.pc)
                    .map(|k| k.name.clone());
                return Err(Error::Kfunc {
                    program: program.name.clone(),
                    pc: insn.pc,
                    name: name.unwrap_or_else(|| format!("BTF id {}", insn.imm)),
                });
            }
            _ if matches!(insn.def().sem, Semantics::LegacyPacketLoad { .. })
                && !type_spec.is_some_and(|t| t.legacy_packet_access) =>
            {
                return Err(Error::LegacyPacketAccessNotAllowed {
                    program: program.name.clone(),
                    pc: insn.pc,
                    mnemonic: insn.def().mnemonic,
                    program_type: type_spec.map_or("generic", |t| t.name).to_string(),
                    line: line(),
                });
            }
            _ => {}
        }
    }
    Ok(())
}

/// Prog arrays initialised in the object (`__array(values, …)` with programs).
fn fill_prog_arrays(
    spec: &ObjectSpec,
    runtime: &Runtime,
    programs: &[Program],
) -> Result<(), Error> {
    for (def, map) in spec.maps().iter().zip(runtime.maps()) {
        for slot in &def.initial_slots {
            if let SlotTarget::Program(name) = &slot.target {
                let program = programs
                    .iter()
                    .find(|p| p.name() == name)
                    .ok_or_else(|| Error::NoSuchProgram(name.clone()))?;
                map.update(&slot.index.to_ne_bytes(), &program.id().to_ne_bytes(), 0)
                    .map_err(|errno| Error::MapOperation {
                        map: def.name.clone(),
                        errno,
                    })?;
            }
        }
    }
    Ok(())
}
