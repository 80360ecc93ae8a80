//! ebee's own verifier on a selftest program: the same linked code, maps and load attributes
//! [`kernel_verdict`](super::kernel_verdict) gives the kernel, as an
//! [`ebee::verifier::Environment`] built the way ebee builds it for an object it loads
//! ([`ebee::verification`]).

use ebee::program_type::ProgramTypeSpec;
use ebee::verifier::{Environment, MapInfo, Options, Privilege, Rejection, Verified};
use ebee_abi::flags::BPF_F_STRICT_ALIGNMENT;
use ebee_isa::Validated;

use super::kernel::load_attributes;
use super::maps::unprivileged_slots;
use super::{Mode, SelftestProgram, Unloadable};

/// What ebee's verifier is given for one run of a selftest program.
#[derive(Clone, Debug)]
pub struct EbeeInput {
    /// The instructions: the linked code, with the references to maps an unprivileged run
    /// leaves out poisoned as the kernel gets them.
    pub instructions: Validated,
    /// The object's maps ([`ebee::verification::map_infos`]).
    pub maps: Vec<MapInfo>,
    /// The program type's spec ([`ebee::verification::type_spec`]).
    pub type_spec: &'static ProgramTypeSpec,
    /// Privilege (root, or without `CAP_PERFMON` for [`Mode::Unprivileged`]) and strict
    /// alignment (`BPF_F_STRICT_ALIGNMENT` among the load's flags).
    pub options: Options,
    /// Whether the program has BTF function info.
    pub func_info: bool,
}

impl EbeeInput {
    /// The verifier's environment (kfuncs not allowed: ebee has no kfunc prototypes, and
    /// an engine without its own kfuncs refuses their calls).
    pub fn environment(&self) -> Environment<'_> {
        let mut env = Environment::new(Some(self.type_spec), &self.maps);
        env.func_info = self.func_info;
        env.options = self.options;
        env
    }

    /// Runs ebee's verifier.
    ///
    /// # Errors
    ///
    /// Its rejection.
    pub fn verify(&self) -> Result<Verified, Box<Rejection>> {
        ebee::verifier::verify(&self.instructions, &self.environment()).map_err(Box::new)
    }
}

/// Why ebee's verifier cannot be given a program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotVerifiable {
    /// It cannot be given to any verifier as the selftests give it (see [`Unloadable`]).
    Unloadable(Unloadable),
    /// ebee has no spec for its program type.
    NoSpec(String),
    /// The instructions, once poisoned for an unprivileged run, did not validate.
    Instructions(String),
}

impl NotVerifiable {
    /// One line: `link: …`, `no-spec: …`, `instructions: …`.
    pub fn reason(&self) -> String {
        match self {
            NotVerifiable::Unloadable(why) => why.to_string(),
            NotVerifiable::NoSpec(why) => format!("no-spec: {why}"),
            NotVerifiable::Instructions(why) => format!("instructions: {why}"),
        }
    }
}

/// What ebee's verifier said.
#[derive(Clone, Debug)]
pub enum EbeeVerdict {
    /// It accepted the program, with the work done.
    Accepted(Verified),
    /// It refused it.
    Rejected(Box<Rejection>),
    /// It could not be given the program.
    NotVerifiable(NotVerifiable),
    /// It panicked (a bug of ebee's verifier: it must refuse what it cannot handle), with
    /// the panic's message.
    Panicked(String),
}

impl EbeeVerdict {
    /// `accepted`, `rejected` or `not-verifiable`, as in the table.
    pub fn name(&self) -> &'static str {
        match self {
            EbeeVerdict::Accepted(_) => "accepted",
            EbeeVerdict::Rejected(_) => "rejected",
            EbeeVerdict::NotVerifiable(_) => "not-verifiable",
            EbeeVerdict::Panicked(_) => "panicked",
        }
    }
}

/// What ebee's verifier is given for `program` in `mode`.
///
/// # Errors
///
/// Why it cannot be given it: what [`load_attributes`] refuses (another architecture's
/// test, an object or program ebee-object cannot read or link, an attach target the
/// kernel's BTF lacks), a program type ebee has no spec for.
pub fn ebee_input(program: &SelftestProgram, mode: Mode) -> Result<EbeeInput, NotVerifiable> {
    let attributes = load_attributes(program).map_err(NotVerifiable::Unloadable)?;
    let (Ok(spec), Ok(linked)) = (&program.object.spec, &program.linked) else {
        return Err(NotVerifiable::Unloadable(Unloadable::Setup(
            "load_attributes checked these".into(),
        )));
    };
    let type_spec = ebee::verification::type_spec(linked).ok_or_else(|| {
        NotVerifiable::NoSpec(format!(
            "program type {} (section `{}`)",
            attributes.prog_type, linked.section
        ))
    })?;
    let cpus = ebee_kernel::num_possible_cpus().unwrap_or(1);
    let maps = ebee::verification::map_infos(spec, cpus);
    let func_info = ebee::verification::environment(linked, Some(type_spec), &maps).func_info;
    let poisoned = match mode {
        Mode::Unprivileged => unprivileged_slots(linked, spec.maps()),
        Mode::Privileged => None,
    };
    let instructions = match poisoned {
        None => linked.instructions.clone(),
        Some(slots) => {
            let bytes: Vec<u8> = slots.iter().flat_map(|s| s.to_le_bytes()).collect();
            ebee_isa::slots_from_bytes(&bytes)
                .and_then(|slots| ebee_isa::decode_program(&slots))
                .map_err(|e| NotVerifiable::Instructions(e.to_string()))?
        }
    };
    let options = Options {
        privilege: match mode {
            Mode::Privileged => Privilege::Root,
            Mode::Unprivileged => Privilege::NoPerfmon,
        },
        strict_alignment: attributes.prog_flags & BPF_F_STRICT_ALIGNMENT != 0,
        ..Options::default()
    };
    Ok(EbeeInput {
        instructions,
        maps,
        type_spec,
        options,
        func_info,
    })
}

/// ebee's verdict on `program` in `mode` (see [`ebee_input`]). A panic of the verifier is
/// caught and becomes [`EbeeVerdict::Panicked`] (the panic hook still reports it: a caller
/// judging many programs may install a quieter one).
pub fn ebee_verdict(program: &SelftestProgram, mode: Mode) -> EbeeVerdict {
    let input = match ebee_input(program, mode) {
        Ok(input) => input,
        Err(why) => return EbeeVerdict::NotVerifiable(why),
    };
    // The verifier holds no state across calls: nothing is left broken by an unwind.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| input.verify())) {
        Ok(Ok(done)) => EbeeVerdict::Accepted(done),
        Ok(Err(rejection)) => EbeeVerdict::Rejected(rejection),
        Err(payload) => EbeeVerdict::Panicked(
            payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".to_owned()),
        ),
    }
}
