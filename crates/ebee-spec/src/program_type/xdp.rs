//! XDP: `struct xdp_md`. All fields are read-only and read whole (4 bytes), as the kernel's
//! `xdp_is_valid_access` requires; `egress_ifindex` is readable only by devmap programs, which
//! ebee does not run, so it is refused.

use super::sizes::B4;
use super::{verdict, Fate, Field, FieldKind, PacketContext, ProgramTypeSpec, RunFields, Who};
use ebee_abi::prog_type::BPF_PROG_TYPE_XDP;
use ebee_abi::xdp_action::*;

const fn field(name: &'static str, offset: u16, readable: Who, kind: FieldKind) -> Field {
    Field::read_only(name, offset, 4, B4)
        .readable_by(readable)
        .kind(kind)
}

const FIELDS: &[Field] = &[
    field("data", 0, Who::Everyone, FieldKind::Pointer(0)),
    field("data_end", 4, Who::Everyone, FieldKind::Pointer(1)),
    field("data_meta", 8, Who::Everyone, FieldKind::Pointer(2)),
    field("ingress_ifindex", 12, Who::Everyone, FieldKind::Scalar),
    field("rx_queue_index", 16, Who::Everyone, FieldKind::Scalar),
    field("egress_ifindex", 20, Who::Nobody, FieldKind::Scalar),
];

/// `BPF_PROG_TYPE_XDP`: `xdp_md` over an XDP frame; verdicts `XDP_*`. Beyond the base
/// helpers, `xdp_func_proto`'s: redirect (23), csum_diff (28), xdp_adjust_head (44),
/// redirect_map (51), xdp_adjust_meta (54), xdp_adjust_tail (65), fib_lookup (69),
/// sk_lookup_tcp/udp (84, 85), sk_release (86), skc_lookup_tcp (99), check_mtu (163),
/// xdp_get_buff_len (188), xdp_load_bytes (189), xdp_store_bytes (190). The kernel checks no return range (devmap
/// and cpumap programs, which ebee does not run, have one).
pub static XDP: ProgramTypeSpec = ProgramTypeSpec {
    name: "xdp",
    kernel_type: BPF_PROG_TYPE_XDP,
    attach_type: None,
    ctx_size: 24,
    fields: FIELDS,
    roles: 0,
    packet: PacketContext::Xdp,
    legacy_packet_access: false,
    helpers: &[
        23, 28, 44, 51, 54, 65, 69, 84, 85, 86, 99, 163, 188, 189, 190,
    ],
    return_range: None,
    verdicts: &[
        verdict(XDP_ABORTED as i32, "XDP_ABORTED", Fate::Aborted),
        verdict(XDP_DROP as i32, "XDP_DROP", Fate::Drop),
        verdict(XDP_PASS as i32, "XDP_PASS", Fate::Pass),
        verdict(XDP_TX as i32, "XDP_TX", Fate::Transmit),
        verdict(XDP_REDIRECT as i32, "XDP_REDIRECT", Fate::Redirect),
    ],
    // `xdp_convert_md_to_buff`: the metadata length, the packet end and the device and
    // queue; `data_meta` must be 0. `xdp_convert_buff_to_md` reports the pointers back.
    test_run_input: RunFields::Named(&[
        "data",
        "data_end",
        "data_meta",
        "ingress_ifindex",
        "rx_queue_index",
    ]),
    test_run_output: RunFields::Named(&["data", "data_end", "data_meta"]),
};
