//! XDP: `struct xdp_md`. All fields are read-only and read whole (4 bytes), as the kernel's
//! `xdp_is_valid_access` requires; `egress_ifindex` is readable only by devmap programs, which
//! ebee does not run, so it is refused.

use super::{Field, FieldKind, ProgramTypeSpec, Who};
use ebee_abi::prog_type::BPF_PROG_TYPE_XDP;

const fn field(name: &'static str, offset: u16, readable: Who, kind: FieldKind) -> Field {
    Field {
        name,
        offset,
        size: 4,
        narrow_reads: false,
        kernel_size: 4,
        readable,
        writable: Who::Nobody,
        kind,
    }
}

const FIELDS: &[Field] = &[
    field("data", 0, Who::Everyone, FieldKind::Pointer(0)),
    field("data_end", 4, Who::Everyone, FieldKind::Pointer(1)),
    field("data_meta", 8, Who::Everyone, FieldKind::Pointer(2)),
    field("ingress_ifindex", 12, Who::Everyone, FieldKind::Scalar),
    field("rx_queue_index", 16, Who::Everyone, FieldKind::Scalar),
    field("egress_ifindex", 20, Who::Nobody, FieldKind::Scalar),
];

/// `BPF_PROG_TYPE_XDP`. Verdicts: `XDP_ABORTED` 0, `XDP_DROP` 1, `XDP_PASS` 2, `XDP_TX` 3,
/// `XDP_REDIRECT` 4.
pub static XDP: ProgramTypeSpec = ProgramTypeSpec {
    name: "xdp",
    kernel_type: BPF_PROG_TYPE_XDP,
    ctx_size: 24,
    fields: FIELDS,
    is_tc: false,
    helpers: &[],
    return_range: None,
};
