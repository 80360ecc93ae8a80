//! What an object's programs are and need, without loading them: no map is created and no
//! helper needs an implementation (listing and disassembly read only the object and the
//! helper table; only [`crate::ObjectBuilder::load`] needs every called helper).

use crate::engine::Engine;
use crate::error::Error;
use crate::helpers;
use crate::object::{attach_section, type_spec};
use ebee_isa::Op;
use ebee_object::{ObjectSpec, TypeRule};

/// One program of an object, as `ebee prog list` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProgramListing {
    /// The program's (function's) name.
    pub name: String,
    /// Its section.
    pub section: String,
    /// Its program type: the name of ebee's spec for it (`xdp`, `cgroup_sock_addr`), else
    /// bpftool's name of the kernel type, else `none` (a section no rule knows).
    pub program_type: String,
    /// The rule that chose the type.
    pub rule: TypeRule,
    /// The name whose libbpf rules give the expected attach type (the section, or the
    /// override's name).
    pub attach_section: String,
    /// Instruction slots after linking (the program and the subprograms it calls).
    pub slots: usize,
    /// The source file of its first instruction, when the object has BTF line info.
    pub source: Option<String>,
    /// The helpers it calls, by id, once each.
    pub helpers: Vec<HelperUse>,
}

/// A helper a program calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HelperUse {
    /// Helper id.
    pub id: u32,
    /// The kernel's name of it (`skb_change_tail`), if the id is a kernel helper.
    pub name: Option<&'static str>,
    /// Whether ebee (or the embedder, through the engine) provides it; a program calling a
    /// helper nobody provides lists, but does not load.
    pub provided: bool,
}

impl ProgramListing {
    /// The helpers it calls that nobody provides.
    pub fn missing_helpers(&self) -> impl Iterator<Item = &HelperUse> {
        self.helpers.iter().filter(|h| !h.provided)
    }
}

impl Engine {
    /// Lists the programs of a parsed object: type, the rule that chose it, size, helpers
    /// needed and which of them neither ebee nor this engine's embedder provides.
    ///
    /// ```no_run
    /// let spec = ebee_object::ObjectSpec::read("datapath.o")?;
    /// for program in ebee::Engine::new().list_programs(&spec)? {
    ///     let missing: Vec<_> = program.missing_helpers().filter_map(|h| h.name).collect();
    ///     println!("{} [{}] ({}) lacks {:?}", program.name, program.program_type, program.rule, missing);
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn list_programs(&self, spec: &ObjectSpec) -> Result<Vec<ProgramListing>, Error> {
        let linked = spec.link(None)?;
        Ok(linked
            .iter()
            .map(|program| {
                let program_type = match type_spec(program) {
                    Some(spec) => spec.name.to_string(),
                    None => program
                        .kind
                        .prog_type()
                        .and_then(ebee_abi::prog_type::prog_type_name)
                        .unwrap_or("none")
                        .to_string(),
                };
                let mut ids: Vec<u32> = program
                    .instructions
                    .iter()
                    .filter(|insn| insn.op == Op::CallHelper)
                    .map(|insn| insn.imm as u32)
                    .collect();
                ids.sort_unstable();
                ids.dedup();
                let helpers = ids
                    .into_iter()
                    .map(|id| HelperUse {
                        id,
                        name: helpers::kernel_name(id),
                        provided: helpers::by_id(id).is_some() || self.provides_helper(id),
                    })
                    .collect();
                ProgramListing {
                    name: program.name.clone(),
                    section: program.section.clone(),
                    program_type,
                    rule: program.rule.clone(),
                    attach_section: attach_section(program).to_string(),
                    slots: program.instructions.slots(),
                    source: program.line_info.first().map(|l| l.file.clone()),
                    helpers,
                }
            })
            .collect())
    }
}
