//! Program types: one spec per type, in one file per context. A spec says everything about
//! the type: its context layout (each field's offset, size, who may read or write it and in
//! which sizes, whether it holds a pointer, and where ebee's host context keeps it), the
//! helpers the type may call, its return range, how a test run builds its input, and its
//! verdict names. The VM rewrites context accesses against the spec
//! ([`ProgramTypeSpec::translate`]), the runtime builds contexts from it, and the verifier
//! checks against it.
//!
//! | file | context | types |
//! |---|---|---|
//! | `xdp.rs` | `struct xdp_md` | XDP |
//! | `skb.rs`, `skb_types.rs` | `struct __sk_buff` | socket filter, TC, cgroup_skb, lwt_*, sk_skb |
//! | `flow_dissector.rs` | `__sk_buff` (data, flow_keys) and `struct bpf_flow_keys` | flow dissector |
//! | `pt_regs.rs` | `struct pt_regs`, `struct bpf_perf_event_data` | kprobe / uprobe, perf_event |
//! | `bytes.rs` | bytes (no structure) | tracepoint, raw_tracepoint, syscall |
//! | `sock.rs` | `struct bpf_sock` | cgroup/sock |
//! | `sock_addr.rs` | `struct bpf_sock_addr` | cgroup/bind*, connect*, sendmsg*, … |
//! | `sock_ops.rs` | `struct bpf_sock_ops` | sockops |
//! | `sk_msg.rs` | `struct sk_msg_md` | sk_msg |
//! | `sk_lookup.rs` | `struct bpf_sk_lookup` | sk_lookup |
//!
//! ```
//! use ebee_spec::program_type::{CtxAccess, XDP};
//! // A 4-byte read of `xdp_md.data` becomes an 8-byte read of the real pointer.
//! let host = XDP.translate(CtxAccess { offset: 0, size: 4, write: false })?;
//! assert_eq!((host.offset, host.size), (24, 8));
//! assert!(XDP.allows_helper(44)); // bpf_xdp_adjust_head
//! assert_eq!(XDP.verdict_name(2), "XDP_PASS");
//! # Ok::<(), String>(())
//! ```

mod bytes;
mod field;
mod flow_dissector;
mod pt_regs;
mod sk_lookup;
mod sk_msg;
mod skb;
mod skb_types;
mod sock;
mod sock_addr;
mod sock_ops;
mod translate;
mod xdp;

pub use bytes::{RAW_TRACEPOINT, SYSCALL, TRACEPOINT};
pub use field::{sizes, Field, FieldKind, RunFields, Who};
pub use flow_dissector::{FLOW_DISSECTOR, FLOW_KEYS_FIELDS, FLOW_KEYS_SIZE};
pub use pt_regs::{KPROBE, PERF_EVENT};
pub use sk_lookup::SK_LOOKUP;
pub use sk_msg::SK_MSG;
pub use skb::{SOCKET_FILTER, TC_ACT, TC_CLS};
pub use skb_types::{CGROUP_SKB_EGRESS, CGROUP_SKB_INGRESS, LWT_IN, LWT_OUT, LWT_XMIT, SK_SKB};
pub use sock::{
    CGROUP_SOCK_CREATE, CGROUP_SOCK_POST_BIND4, CGROUP_SOCK_POST_BIND6, CGROUP_SOCK_RELEASE,
};
pub use sock_addr::SOCK_ADDR;
pub use sock_ops::SOCK_OPS;
pub use xdp::XDP;

use ebee_abi::attach_type::{BPF_CGROUP_INET_INGRESS, BPF_CGROUP_INET_SOCK_CREATE};
use ebee_abi::prog_type::{BPF_PROG_TYPE_CGROUP_SKB, BPF_PROG_TYPE_CGROUP_SOCK};

/// Helpers every program type may call (the kernel's `bpf_base_func_proto`, for a loader
/// with `CAP_BPF` and `CAP_PERFMON`), in id order.
pub const BASE_HELPERS: &[u32] = &[
    1, 2, 3, 5, 6, 7, 8, 12, 14, 15, 16, 25, 42, 87, 88, 89, 93, 94, 105, 106, 112, 113, 114, 115,
    118, 125, 130, 131, 132, 133, 134, 160, 164, 165, 177, 181, 182, 195,
];

/// The helpers of [`BASE_HELPERS`] a loader may call only with `CAP_PERFMON` (the kernel's
/// `bpf_base_func_proto` returns them only to `perfmon_capable` loaders): trace_printk,
/// get_current_task, the probe_read_* family, snprintf_btf, per_cpu_ptr, this_cpu_ptr,
/// get_current_task_btf, task_pt_regs, trace_vprintk. In id order.
pub const PERFMON_HELPERS: &[u32] = &[6, 35, 112, 113, 114, 115, 149, 153, 154, 158, 175, 177];

/// Helpers a program without a spec (a tracing-style program, run with a context of host
/// bytes) may call beyond [`BASE_HELPERS`]: `probe_read` (4) and `probe_read_str` (45).
pub const GENERIC_HELPERS: &[u32] = &[4, 45];

/// Every program type ebee has a spec for but the sock_addr ones ([`SOCK_ADDR`], one per
/// attach type), each type's default attach type first.
pub static ALL: &[&ProgramTypeSpec] = &[
    &SOCKET_FILTER,
    &KPROBE,
    &TC_CLS,
    &TC_ACT,
    &TRACEPOINT,
    &XDP,
    &PERF_EVENT,
    &CGROUP_SKB_INGRESS,
    &CGROUP_SKB_EGRESS,
    &CGROUP_SOCK_CREATE,
    &CGROUP_SOCK_RELEASE,
    &CGROUP_SOCK_POST_BIND4,
    &CGROUP_SOCK_POST_BIND6,
    &LWT_IN,
    &LWT_OUT,
    &LWT_XMIT,
    &SOCK_OPS,
    &SK_SKB,
    &SK_MSG,
    &RAW_TRACEPOINT,
    &FLOW_DISSECTOR,
    &SK_LOOKUP,
    &SYSCALL,
];

/// Every spec: [`ALL`], then [`SOCK_ADDR`].
pub fn all() -> impl Iterator<Item = &'static ProgramTypeSpec> {
    ALL.iter().copied().chain(SOCK_ADDR.iter())
}

/// The spec of kernel program type `prog_type` (`BPF_PROG_TYPE_*`) loaded with expected
/// attach type `attach_type` (`None`: the section gave none), if ebee has one. Types whose
/// rules depend on the attach type have one spec per attach type; cgroup_skb without one is
/// ingress and cgroup/sock sock_create, as the kernel's load-time fixup makes them. A
/// sock_addr program needs its attach type (the kernel refuses it without one).
///
/// ```
/// use ebee_spec::program_type::{spec_for, CGROUP_SKB_EGRESS};
/// let spec = spec_for(8, Some(1)).unwrap(); // cgroup_skb, BPF_CGROUP_INET_EGRESS
/// assert!(std::ptr::eq(spec, &CGROUP_SKB_EGRESS));
/// assert_eq!(spec_for(18, Some(10)).unwrap().name, "cgroup_sock_addr"); // connect4
/// assert!(spec_for(26, None).is_none()); // tracing: no spec
/// ```
pub fn spec_for(prog_type: u32, attach_type: Option<u32>) -> Option<&'static ProgramTypeSpec> {
    let attach_type = attach_type.or(match prog_type {
        BPF_PROG_TYPE_CGROUP_SKB => Some(BPF_CGROUP_INET_INGRESS),
        BPF_PROG_TYPE_CGROUP_SOCK => Some(BPF_CGROUP_INET_SOCK_CREATE),
        _ => None,
    });
    all().find(|s| {
        s.kernel_type == prog_type && s.attach_type.is_none_or(|a| Some(a) == attach_type)
    })
}

/// One access a program makes to its context, in UAPI terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CtxAccess {
    /// Byte offset into the UAPI structure.
    pub offset: i16,
    /// Access size in bytes (1, 2, 4 or 8).
    pub size: u8,
    /// True for stores.
    pub write: bool,
}

/// Where that access goes in the host context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostField {
    /// Byte offset into the host structure.
    pub offset: i16,
    /// Access size in bytes in the host structure (8 for widened pointer fields).
    pub size: u8,
}

/// What a type's test run takes and builds (`BPF_PROG_TEST_RUN`'s rules differ per type).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PacketContext {
    /// `struct xdp_md` over an XDP frame.
    Xdp,
    /// `struct __sk_buff` over an skb; `pulls_ethernet`: the program sees the packet from the
    /// network header (every skb type but TC).
    Skb {
        /// Whether the Ethernet header is pulled before the program runs.
        pulls_ethernet: bool,
    },
    /// `bpf_prog_test_run_flow_dissector`: the packet from its Ethernet header, `ctx_in` a
    /// `struct bpf_flow_keys` giving only `flags`, `data_out` the flow keys the program
    /// filled in.
    FlowDissector,
    /// No packet (`data_in` is refused): r1 points to a context built from `ctx_in` alone.
    NoPacket(ContextInput),
}

/// How a type without a packet turns `ctx_in` into its context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContextInput {
    /// The UAPI structure: `ctx_in` of at most `ctx_size` bytes (longer only with zeros past
    /// it, as `bpf_ctx_init` allows), zero-filled to the whole structure, followed by the
    /// host's pointer slots. Fields outside `test_run_input` must be zero; fields narrower in
    /// the kernel keep only their `kernel_size` low bytes. `ctx_out` is the structure after
    /// the run (its `test_run_output` fields as the program left them).
    Struct,
    /// Bytes without structure, used as given: the context is exactly `ctx_in`, at most
    /// `ctx_size` bytes and at least up to the furthest byte the program accesses (the
    /// kernel's `max_ctx_offset` check); `ctx_out` is the bytes after the run.
    Bytes,
    /// `struct bpf_sk_lookup` as `bpf_prog_test_run_sk_lookup` takes it: a `ctx_in` is
    /// required, with `family` AF_INET or AF_INET6, `sk` 0, `local_port` at most 65535 and
    /// nothing set past it; the addresses of the other family read 0.
    SkLookup,
}

/// What a verdict does with the packet, for hooks that act on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// The packet goes on up the stack.
    Pass,
    /// The packet is dropped.
    Drop,
    /// The packet goes back out of the interface it came in on.
    Transmit,
    /// The packet goes where the program redirected it.
    Redirect,
    /// Dropped because of an error.
    Aborted,
    /// Anything else (consumed, queued, reclassified…).
    Other,
}

/// One named return value of a program type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// r0, truncated to 32 bits.
    pub value: u32,
    /// The kernel's name (`XDP_PASS`, `TC_ACT_SHOT`).
    pub name: &'static str,
    /// What it does to the packet.
    pub fate: Fate,
}

/// A program type's specification.
#[derive(Debug)]
pub struct ProgramTypeSpec {
    /// Name as libbpf's section names and `bpftool` say it (`xdp`, `sched_cls`, …).
    pub name: &'static str,
    /// `BPF_PROG_TYPE_*` value.
    pub kernel_type: u32,
    /// The expected attach type (`BPF_*` of `enum bpf_attach_type`) this spec is for, when the
    /// type's rules depend on it; `None` when one spec serves every attach type.
    pub attach_type: Option<u32>,
    /// Size of the UAPI context structure (for [`ContextInput::Bytes`]: the largest context).
    pub ctx_size: u16,
    /// The context's fields; bytes not covered by a field are inaccessible.
    pub fields: &'static [Field],
    /// The roles this type has among the types sharing its layout (see [`Who::Only`]).
    pub roles: u32,
    /// What its test run takes and builds.
    pub packet: PacketContext,
    /// Whether programs of this type may use the legacy packet loads (`ldabs*`, `ldind*`:
    /// BPF_LD|BPF_ABS, BPF_LD|BPF_IND), which read the skb in r6: the kernel's
    /// `may_access_skb` (socket filters, TC classifiers and actions).
    pub legacy_packet_access: bool,
    /// Kernel ids of the helpers programs of this type may call beyond [`BASE_HELPERS`], in
    /// id order: the ids the type's `func_proto` in the kernel gives a prototype for. The
    /// verifier's further per-helper checks (sleepable-only helpers, `get_func_ip`'s program
    /// types, `d_path`'s allow list) are not modelled.
    pub helpers: &'static [u32],
    /// Allowed return values (inclusive, of the low 32 bits), when the kernel restricts them
    /// (`check_return_code`).
    pub return_range: Option<(u32, u32)>,
    /// The named return values.
    pub verdicts: &'static [Verdict],
    /// The context fields a test run's `ctx_in` may set (the rest must be zero).
    pub test_run_input: RunFields,
    /// The context fields a test run reports back in `ctx_out` (the rest are as given).
    pub test_run_output: RunFields,
}

/// Offset in the host context of pointer slot `index`: the host context is the UAPI structure
/// followed by the real 64-bit pointers of its pointer fields.
pub fn pointer_slot(spec: &ProgramTypeSpec, index: u8) -> usize {
    spec.ctx_size as usize + 8 * index as usize
}

impl ProgramTypeSpec {
    /// Whether programs of this type may store into the packet directly (the kernel's
    /// `may_access_direct_pkt_data` for writes): XDP, TC, lwt_xmit, sk_skb and sk_msg.
    pub fn may_write_packet(&self) -> bool {
        use ebee_abi::prog_type::*;
        matches!(
            self.kernel_type,
            BPF_PROG_TYPE_XDP
                | BPF_PROG_TYPE_SCHED_CLS
                | BPF_PROG_TYPE_SCHED_ACT
                | BPF_PROG_TYPE_LWT_XMIT
                | BPF_PROG_TYPE_SK_SKB
                | BPF_PROG_TYPE_SK_MSG
        )
    }

    /// Whether programs of this type may call helper `id`.
    pub fn allows_helper(&self, id: u32) -> bool {
        BASE_HELPERS.binary_search(&id).is_ok() || self.helpers.binary_search(&id).is_ok()
    }

    /// Whether `retval` is in the type's return range (always, when it has none).
    pub fn allows_return(&self, retval: u64) -> bool {
        self.return_range
            .is_none_or(|(low, high)| (low..=high).contains(&(retval as u32)))
    }

    /// The verdict `retval` names, if it is one.
    pub fn verdict(&self, retval: u32) -> Option<&'static Verdict> {
        self.verdicts.iter().find(|v| v.value == retval)
    }

    /// The name of verdict `retval` (`XDP_PASS`); for other values `XDP_UNKNOWN(n)` (with
    /// the prefix of the type's verdict names), or the number for types without verdicts.
    pub fn verdict_name(&self, retval: u32) -> String {
        if let Some(v) = self.verdict(retval) {
            return v.name.to_string();
        }
        match self.verdicts.first() {
            Some(first) => {
                let prefix = first.name.rfind('_').map_or("", |at| &first.name[..=at]);
                format!("{prefix}UNKNOWN({})", retval as i32)
            }
            None => retval.to_string(),
        }
    }

    /// Byte offset of the UAPI field `name` (which must exist: specs name their own fields).
    pub fn offset_of(&self, name: &str) -> usize {
        self.field(name)
            .unwrap_or_else(|| panic!("{} has no field {name}", self.name))
            .offset as usize
    }

    /// Number of pointer slots after the UAPI structure in the host context.
    pub fn pointer_slots(&self) -> u8 {
        let slots = self.fields.iter().filter_map(|f| match f.kind {
            FieldKind::Pointer(slot) => Some(slot + 1),
            _ => None,
        });
        slots.max().unwrap_or(0)
    }

    /// Size of the host context structure: the UAPI structure and its pointer slots.
    pub fn host_ctx_size(&self) -> usize {
        pointer_slot(self, self.pointer_slots())
    }

    /// The field covering UAPI byte `offset`.
    pub fn field_at(&self, offset: i64) -> Option<&'static Field> {
        self.fields
            .iter()
            .find(|f| offset >= f.offset as i64 && offset < (f.offset + f.size) as i64)
    }

    /// The field named `name`.
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// `(value, name)` verdicts with their fates, for the specs' tables.
pub(crate) const fn verdict(value: i32, name: &'static str, fate: Fate) -> Verdict {
    Verdict {
        value: value as u32,
        name,
        fate,
    }
}
