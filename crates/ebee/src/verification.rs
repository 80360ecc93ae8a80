//! Verifying a linked program before it loads: the object's maps and the program's type as
//! the verifier sees them, the engine's own helpers and kfuncs allowed, and a refusal turned
//! into an [`Error::Verification`] naming the source line.
//!
//! The pieces of the verifier's [`Environment`] that come from the object ([`map_infos`],
//! [`type_spec`], [`environment`]) are public, for tools that judge ebee's verifier on
//! objects without an [`Engine`] (the kernel selftests harness of `ebee-testdata`).

use crate::engine::Engine;
use crate::error::Error;
use ebee_object::{DataSection, LinkedProgram, MapOrigin, ObjectSpec};
use ebee_spec::helper::Prototype;
use ebee_spec::program_type::ProgramTypeSpec;
use ebee_verifier::{Environment, MapInfo, Verified};

pub use crate::object::type_spec;

/// The verifier's view of the object's maps, after libbpf's load-time adjustments for a
/// machine with `ncpus` possible CPUs (per-CPU value sizes, ring buffer sizes): the
/// [`Environment::maps`] of the object's programs, indexed as their map references are.
/// `.rodata` maps are read-only to programs (`BPF_F_RDONLY_PROG`), as libbpf makes them.
pub fn map_infos(spec: &ObjectSpec, ncpus: usize) -> Vec<MapInfo> {
    spec.maps().iter().map(|def| map_info(def, ncpus)).collect()
}

fn map_info(def: &ebee_object::MapSpec, ncpus: usize) -> MapInfo {
    let adjusted = def.adjusted_for_load(ncpus, ebee_maps::PAGE_SIZE);
    let map_type =
        ebee_abi::MapType::from_kernel_id(adjusted.map_type).unwrap_or(ebee_abi::MapType::Unspec);
    let mut info = MapInfo::new(
        &adjusted.name,
        map_type,
        adjusted.key_size,
        adjusted.value_size,
        adjusted.max_entries,
    );
    info.flags = adjusted.map_flags;
    if def.origin == MapOrigin::GlobalData(DataSection::Rodata) {
        info.flags |= ebee_abi::flags::BPF_F_RDONLY_PROG;
    }
    info.spin_lock_offset = adjusted.spin_lock_offset;
    info.inner = adjusted
        .inner
        .as_ref()
        .map(|inner| Box::new(map_info(inner, ncpus)));
    info
}

/// The verifier's environment for `program` of type `type_spec` (see [`type_spec`]) using
/// `maps` (see [`map_infos`]), loaded by root with default options: whether it has BTF
/// function info, no helpers beyond the kernel's and no kfuncs (an [`Engine`] adds its own).
pub fn environment<'a>(
    program: &LinkedProgram,
    type_spec: Option<&'static ProgramTypeSpec>,
    maps: &'a [MapInfo],
) -> Environment<'a> {
    let mut env = Environment::new(type_spec, maps);
    env.func_info =
        !program.functions.is_empty() && program.functions.iter().all(|f| f.btf_type_id.is_some());
    env
}

/// Verifies `program` of type `type_spec` against `maps`, as `engine` will run it.
pub(crate) fn verify(
    engine: &Engine,
    program: &LinkedProgram,
    type_spec: Option<&'static ProgramTypeSpec>,
    maps: &[MapInfo],
) -> Result<Verified, Error> {
    // An embedder's own helpers: their arguments are not checked here (the host function
    // checks what it takes through the checked mode's memory rules when it runs).
    let extra: Vec<Prototype> = engine
        .custom()
        .iter()
        .filter_map(|c| c.key.as_ref().ok().map(|id| (*id, c.function.ret())))
        .filter(|(id, _)| ebee_spec::helper::prototype(*id).is_none())
        .map(|(id, ret)| Prototype {
            id,
            args: &[],
            ret,
            gpl_only: false,
        })
        .collect();
    let mut env = environment(program, type_spec, maps);
    env.extra_helpers = &extra;
    env.kfuncs = engine.custom().iter().any(|c| c.key.is_err());
    ebee_verifier::verify(&program.instructions, &env).map_err(|rejection| Error::Verification {
        program: program.name.clone(),
        line: program.source_line(rejection.pc).map(|l| l.to_string()),
        rejection: Box::new(rejection),
    })
}

/// What the verifier said of one program of an object.
#[derive(Debug)]
pub struct ProgramVerdict {
    /// The program (function) name.
    pub name: String,
    /// Its section.
    pub section: String,
    /// `Ok` with the work done, or why it does not verify.
    pub result: Result<Verified, Box<ebee_verifier::Rejection>>,
    /// The source line of the refused instruction, when BTF line info exists.
    pub line: Option<String>,
}

impl crate::ObjectBuilder {
    /// Verifies every program of the object (the `.text` entry points without a type
    /// excepted) without loading anything: what `ebee verify` prints.
    ///
    /// ```no_run
    /// let bytes = std::fs::read("prog.bpf.o")?;
    /// for verdict in ebee::Engine::new().open(&bytes)?.verify_programs()? {
    ///     match verdict.result {
    ///         Ok(done) => println!("{}: ok, {} instructions processed", verdict.name, done.stats.processed),
    ///         Err(why) => println!("{}: {}", verdict.name, why.report()),
    ///     }
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn verify_programs(&self) -> Result<Vec<ProgramVerdict>, Error> {
        let spec = self.spec();
        let maps = map_infos(spec, self.engine().cpus());
        let mut verdicts = Vec::new();
        for program in spec.link(None)? {
            if program.section == ".text" && program.rule == ebee_object::TypeRule::None {
                continue;
            }
            let type_spec = crate::object::type_spec(&program);
            let (result, line) = match verify(self.engine(), &program, type_spec, &maps) {
                Ok(done) => (Ok(done), None),
                Err(Error::Verification {
                    rejection, line, ..
                }) => (Err(rejection), line),
                Err(other) => return Err(other),
            };
            verdicts.push(ProgramVerdict {
                name: program.name.clone(),
                section: program.section.clone(),
                result,
                line,
            });
        }
        Ok(verdicts)
    }
}
