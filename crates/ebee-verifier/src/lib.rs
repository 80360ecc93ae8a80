//! The eBPF verifier of ebee: proves, before a program runs, that every path through it is
//! safe — every register read was written, every memory access is inside an object the
//! program may touch in the way it touches it, every helper gets arguments of its
//! prototype's kinds, every acquired reference is released, every loop ends — with the Linux
//! verifier's rules, and says why when it cannot, in terms a person can act on.
//!
//! The verifier is an abstract interpreter in the manner of the kernel's: it walks every
//! path ([`explore`](crate::explore), depth first, with state pruning), keeping for each
//! register what it may hold ([`value::Reg`]: a [`scalar::Scalar`] with ranges and known
//! bits, or a pointer of a kind with its offset), for each stack byte what was written
//! ([`stack`]), and the references and lock held ([`state`]). It reads the program type's
//! context rules and helper set from `ebee-spec` and the helper prototypes from
//! `ebee_spec::helper`: no second copy of either.
//!
//! ```
//! use ebee_verifier::{verify, Environment, Rule};
//! use ebee_spec::program_type::XDP;
//! let ok = ebee_isa::assemble("mov %r0, 2\nexit")?;
//! assert!(verify(&ok, &Environment::new(Some(&XDP), &[])).is_ok());
//! // Reading the packet without a bounds check is refused, naming the rule.
//! let bad = ebee_isa::assemble("ldxw %r2, [%r1+0]\nldxb %r0, [%r2+0]\nexit")?;
//! let err = verify(&bad, &Environment::new(Some(&XDP), &[])).unwrap_err();
//! assert_eq!(err.rule, Rule::Packet);
//! assert_eq!(err.pc, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// A rejection is a whole diagnostic (registers, path, suggestion), made once per refused
// program: its size on the error path costs nothing that matters.
#![allow(clippy::result_large_err)]

mod alu;
mod call;
mod cfg;
mod demand;
mod env;
mod error;
mod explore;
mod jump;
mod map_helpers;
mod mem;
pub mod scalar;
pub mod stack;
pub mod state;
pub mod tnum;
pub mod value;

pub use env::{Environment, MapInfo, Options, Privilege};
pub use error::{Branch, Rejection, Rule, Stats};

/// What verification proved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The work it took.
    pub stats: Stats,
    /// The slots of the loads, stores and atomics proved in bounds on every path, through
    /// pointers to memory whose size the verifier knows (stack, context, packet, map keys
    /// and values, helper-returned memory), ascending: the accesses a VM may run without a
    /// runtime check.
    pub safe_accesses: Vec<usize>,
    /// The helper calls whose r1 is the same map on every path (the kernel's
    /// `map_ptr_state`), as (slot, index in [`Environment::maps`]), ascending: calls a VM
    /// may specialise for their map, as Linux inlines array lookups.
    pub call_maps: Vec<(usize, u16)>,
}

/// Verifies `program` in `env`: `Ok` when every path is safe, else the first error found.
pub fn verify(program: &ebee_isa::Validated, env: &Environment) -> Result<Verified, Rejection> {
    // Pruning assumes which conditional jumps some path finds decided (`demand.rs`); until
    // a run finds no jump decided that it did not assume, explore again assuming those too.
    // A refusal stands: it is a path from the entry, whatever was pruned.
    let mut decided = std::collections::BTreeSet::new();
    let mut micros = 0;
    loop {
        let mut verifier = explore::Verifier::new(program.instructions(), env, decided.clone())?;
        let mut stats = verifier.run()?;
        micros += stats.micros;
        let newly = verifier.newly_decided();
        if newly.is_empty() {
            stats.micros = micros;
            let safe_accesses = verifier.direct_accesses();
            let call_maps = verifier.call_maps();
            return Ok(Verified {
                stats,
                safe_accesses,
                call_maps,
            });
        }
        decided.extend(newly);
    }
}
