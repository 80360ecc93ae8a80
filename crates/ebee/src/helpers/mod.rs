//! The kernel helper implementations: one row per helper ebee runs, pairing a kernel id with
//! its implementation. Each helper's name and prototype are the spec's
//! ([`ebee_spec::helper`]), which programs types may call it is the program type's spec
//! ([`ebee_spec::program_type`]); [`build_registry`] turns the rows a program may call into
//! the VM's [`ebee_vm::Helpers`].
//!
//! Families live in their own files: `maps.rs`, `events.rs` (perf and ring buffers),
//! `time.rs`, `trace.rs` (trace_printk, snprintf), `strings.rs` (strtol, strtoul, strncmp),
//! `probe.rs` (probe_read_*), `checksum.rs` (csum_diff, l3/l4_csum_replace), `process.rs`
//! (pid, uid, comm), `xdp.rs` and `skb.rs` (packet helpers), `skb_change.rs` (skb length and
//! header changes: change_tail/head/proto, VLAN push/pop), `skb_room.rs` (skb_adjust_room,
//! csum_update), `tunnel.rs` (skb_get/set_tunnel_key), `identity.rs` (socket cookie, cgroup
//! ids, MTU, socket lookups) and `fib.rs` (fib_lookup), answered from the host's
//! [`crate::NetworkEnvironment`] (by default an empty network namespace), `tracing.rs`
//! (perf_event_read, override_return, probe_write_user, get_stack, get_func_ip on
//! host-supplied contexts).

pub(crate) mod checksum;
pub(crate) mod events;
pub(crate) mod fib;
pub(crate) mod identity;
pub(crate) mod maps;
pub(crate) mod probe;
pub(crate) mod process;
pub(crate) mod skb;
pub(crate) mod skb_change;
pub(crate) mod skb_room;
pub(crate) mod strings;
pub(crate) mod time;
pub(crate) mod trace;
pub(crate) mod tracing;
pub(crate) mod tunnel;
pub(crate) mod xdp;

use crate::runtime::Runtime;
use ebee_spec::helper::Prototype;
use ebee_spec::program_type::{ProgramTypeSpec, BASE_HELPERS, GENERIC_HELPERS};
use ebee_vm::{HelperEnv, HelperError};

/// A helper implementation: the VM's view of the running program (whose host state is the
/// run's state, holding the object's maps and trace sink) and r1–r5. Returns r0.
pub type Implementation = ebee_vm::HelperFn;

/// The object runtime of the running program.
pub(crate) fn runtime<'r>(env: &HelperEnv<'_, 'r>) -> Result<&'r Runtime, HelperError> {
    Ok(&maps::run_state(env)?.runtime)
}

/// One row: a kernel helper id and what runs when a program calls it.
#[derive(Clone, Copy)]
pub struct HelperDef {
    /// Kernel id (`BPF_FUNC_*`).
    pub id: u32,
    /// What it does.
    pub imp: Implementation,
}

impl HelperDef {
    pub(crate) const fn new(id: u32, imp: Implementation) -> HelperDef {
        HelperDef { id, imp }
    }

    /// The kernel's name, without the `bpf_` prefix.
    pub fn name(&self) -> &'static str {
        ebee_abi::helper_names::helper_name(self.id).unwrap_or("unknown")
    }

    /// The helper's prototype (every implemented helper has one; a test checks).
    pub fn prototype(&self) -> Option<&'static Prototype> {
        ebee_spec::helper::prototype(self.id)
    }
}

impl std::fmt::Debug for HelperDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "bpf_{} (id {})", self.name(), self.id)
    }
}

/// Whether a program of `program_type` (`None`: a program without a spec, such as a
/// tracing program) may call helper `id`.
pub fn allowed(program_type: Option<&ProgramTypeSpec>, id: u32) -> bool {
    match program_type {
        Some(spec) => spec.allows_helper(id),
        None => BASE_HELPERS.contains(&id) || GENERIC_HELPERS.contains(&id),
    }
}

/// Every helper ebee provides, in id order.
pub fn table() -> &'static [HelperDef] {
    use std::sync::OnceLock;
    static TABLE: OnceLock<Vec<HelperDef>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut rows: Vec<HelperDef> = [
            maps::HELPERS,
            events::HELPERS,
            time::HELPERS,
            trace::HELPERS,
            strings::HELPERS,
            probe::HELPERS,
            checksum::HELPERS,
            process::HELPERS,
            xdp::HELPERS,
            skb::HELPERS,
            skb_change::HELPERS,
            skb_room::HELPERS,
            tunnel::HELPERS,
            identity::HELPERS,
            tracing::HELPERS,
        ]
        .concat();
        rows.sort_by_key(|h| h.id);
        rows
    })
}

/// The row for kernel id `id`.
pub fn by_id(id: u32) -> Option<&'static HelperDef> {
    let rows = table();
    rows.binary_search_by_key(&id, |h| h.id)
        .ok()
        .map(|i| &rows[i])
}

/// The kernel's name of helper `id` (whether or not ebee provides it).
pub fn kernel_name(id: u32) -> Option<&'static str> {
    ebee_abi::helper_names::helper_name(id)
}

/// Builds the VM registry for a program of `program_type`: every implemented helper it may
/// call, with what its prototype says it writes through. The implementations find the
/// object's runtime in each run's host state.
pub fn build_registry(program_type: Option<&ProgramTypeSpec>) -> ebee_vm::Helpers {
    let mut helpers = ebee_vm::Helpers::new();
    for def in table().iter().filter(|d| allowed(program_type, d.id)) {
        helpers.insert(ebee_vm::Helper {
            id: def.id,
            name: def.name().into(),
            imp: ebee_vm::HelperImpl::Fn(def.imp),
            writes_through: def
                .prototype()
                .map_or(ebee_vm::ALL_ARGS, Prototype::writes_through),
        });
    }
    helpers
}

#[cfg(test)]
mod tests {
    use ebee_spec::program_type::{SOCKET_FILTER, TC_ACT, TC_CLS, XDP};

    #[test]
    fn ids_are_unique_and_every_implemented_helper_has_a_prototype() {
        let rows = super::table();
        for pair in rows.windows(2) {
            assert_ne!(pair[0].id, pair[1].id, "{:?} and {:?}", pair[0], pair[1]);
        }
        for row in rows {
            assert!(row.prototype().is_some(), "{row:?} has no prototype");
        }
    }

    #[test]
    fn every_helper_a_program_type_allows_is_implemented() {
        for spec in [&XDP, &SOCKET_FILTER, &TC_CLS, &TC_ACT] {
            let ids = ebee_spec::program_type::BASE_HELPERS
                .iter()
                .chain(spec.helpers);
            for &id in ids {
                assert!(super::by_id(id).is_some(), "{}: helper {id}", spec.name);
            }
        }
    }
}
