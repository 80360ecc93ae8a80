//! The kernel helper table: one row per helper with its kernel id, name, prototype and
//! implementation. The verifier reads the prototypes; [`build_registry`] turns the rows a
//! program type may call into the VM's [`ebee_vm::Helpers`] for one object.
//!
//! Families live in their own files: `time.rs`, `trace.rs` (trace_printk, snprintf),
//! `strings.rs` (strtol, strtoul, strncmp), `probe.rs` (probe_read_*), `checksum.rs`
//! (csum_diff, l3/l4_csum_replace), `process.rs` (pid, uid, comm).

pub(crate) mod checksum;
pub(crate) mod events;
pub(crate) mod maps;
pub(crate) mod probe;
pub(crate) mod process;
pub(crate) mod skb;
pub(crate) mod strings;
pub(crate) mod time;
pub(crate) mod trace;
pub(crate) mod xdp;

use crate::runtime::Runtime;
use ebee_vm::{HelperEnv, HelperError};

/// What a helper argument must be (a subset of the kernel's `enum bpf_arg_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    /// Any value.
    Anything,
    /// A map, as loaded by `lddw` of a map reference.
    MapPtr,
    /// Pointer to readable memory of the map's key size.
    MapKey,
    /// Pointer to readable memory of the map's value size.
    MapValue,
    /// Pointer to readable memory whose size is the next argument.
    ReadableMem,
    /// Pointer to writable memory whose size is the next argument.
    WritableMem,
    /// The size of the preceding memory argument (may be 0 where the kernel allows it).
    Size,
    /// The program's context.
    Ctx,
    /// A callback function (`lddw` of a function reference).
    Callback,
    /// Pointer to a NUL-terminated read-only string.
    ConstStr,
    /// Pointer to a writable 8-byte slot.
    LongPtr,
    /// Pointer to a `struct bpf_spin_lock` inside a map value.
    SpinLock,
    /// Pointer to memory returned by `ringbuf_reserve`.
    RingbufRecord,
}

/// What a helper returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ret {
    /// A number (often 0 or a negative errno).
    Integer,
    /// Nothing meaningful (`void` helpers).
    Void,
    /// A pointer to a map value, or NULL.
    MapValueOrNull,
    /// A pointer to a reserved ring-buffer record, or NULL.
    RingbufRecordOrNull,
}

/// Which program types may call a helper.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every program type.
    Any,
    /// XDP programs.
    Xdp,
    /// Programs whose context is a `__sk_buff` (socket filters and TC).
    Skb,
    /// TC programs only.
    Tc,
    /// XDP and TC programs (not socket filters).
    XdpOrTc,
    /// Tracing-style programs (kprobe, tracepoint, …) and generic programs.
    Tracing,
}

/// A helper implementation: the VM's view of the running program (whose host state is the
/// run's [`crate::runtime::RunState`], holding the object's [`Runtime`]) and r1–r5. Returns r0.
pub type Implementation = ebee_vm::HelperFn;

/// The object runtime of the running program.
pub(crate) fn runtime<'r>(env: &HelperEnv<'_, 'r>) -> Result<&'r Runtime, HelperError> {
    Ok(&maps::run_state(env)?.runtime)
}

/// One row of the helper table.
#[derive(Clone, Copy)]
pub struct HelperDef {
    /// Kernel id (`BPF_FUNC_*`).
    pub id: u32,
    /// Name without the `bpf_` prefix.
    pub name: &'static str,
    /// Argument kinds, r1 first.
    pub args: &'static [Arg],
    /// Return kind.
    pub ret: Ret,
    /// Which program types may call it.
    pub scope: Scope,
    /// What it does.
    pub imp: Implementation,
}

impl std::fmt::Debug for HelperDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "bpf_{} (id {})", self.name, self.id)
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

impl HelperDef {
    /// Which arguments the helper may write memory through (bit `i`: r(1+i)), from its
    /// prototype: writable memory, 8-byte result slots, and anything a callback receives.
    pub fn writes_through(&self) -> u8 {
        if self.args.contains(&Arg::Callback) {
            return ebee_vm::ALL_ARGS;
        }
        self.args
            .iter()
            .enumerate()
            .filter(|(_, arg)| matches!(arg, Arg::WritableMem | Arg::LongPtr))
            .fold(0, |mask, (i, _)| mask | (1 << i))
    }
}

/// Builds the VM registry for one program: every helper in scope for `allowed`. The
/// implementations find the object's runtime in each run's host state ([`RunState`]).
pub fn build_registry(allowed: impl Fn(Scope) -> bool) -> ebee_vm::Helpers {
    let mut helpers = ebee_vm::Helpers::new();
    for def in table().iter().filter(|d| allowed(d.scope)) {
        helpers.insert(ebee_vm::Helper {
            id: def.id,
            name: def.name.into(),
            imp: ebee_vm::HelperImpl::Fn(def.imp),
            writes_through: def.writes_through(),
        });
    }
    helpers
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_unique_and_names_match_the_kernel_list() {
        let rows = super::table();
        for pair in rows.windows(2) {
            assert_ne!(pair[0].id, pair[1].id, "{:?} and {:?}", pair[0], pair[1]);
        }
        for row in rows {
            assert_eq!(super::kernel_name(row.id), Some(row.name), "{row:?}");
        }
    }
}
