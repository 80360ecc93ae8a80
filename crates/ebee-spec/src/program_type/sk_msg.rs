//! sk_msg programs: `struct sk_msg_md`, read-only, every field read whole
//! (`sk_msg_is_valid_access`): `data`, `data_end` and `sk` as 8 bytes, the rest as 4.
//!
//! The kernel runs no sk_msg test run; ebee's takes the caller's `sk_msg_md` and has no
//! message data: `data` and `data_end` are both 0 (an empty range, so every bounds check
//! fails as for a message whose bytes are not yet pulled in). `sk` is the (never NULL)
//! socket, which ebee does not provide: loads of it are refused.

use super::sizes::{B4, B8};
use super::skb_types::SK_VERDICTS;
use super::{ContextInput, Field, FieldKind, PacketContext, ProgramTypeSpec, RunFields};
use ebee_abi::prog_type::BPF_PROG_TYPE_SK_MSG;

const fn u32_field(name: &'static str, offset: u16, size: u16, kernel_size: u8) -> Field {
    Field::read_only(name, offset, size, B4).kernel(kernel_size)
}

const FIELDS: &[Field] = &[
    Field::read_only("data", 0, 8, B8).kind(FieldKind::Pointer(0)),
    Field::read_only("data_end", 8, 8, B8).kind(FieldKind::Pointer(1)),
    u32_field("family", 16, 4, 2),
    u32_field("remote_ip4", 20, 4, 4),
    u32_field("local_ip4", 24, 4, 4),
    u32_field("remote_ip6", 28, 16, 8),
    u32_field("local_ip6", 44, 16, 8),
    u32_field("remote_port", 60, 4, 4),
    u32_field("local_port", 64, 4, 2),
    u32_field("size", 68, 4, 4),
    Field::read_only("sk", 72, 8, B8).kind(FieldKind::Unsupported("sockets")),
];

/// `BPF_PROG_TYPE_SK_MSG` (`sk_msg`): verdicts `SK_PASS`/`SK_DROP`, no return range. Helpers
/// beyond the base (`sk_msg_func_proto`): get_cgroup_classid (17), msg_redirect_map (60),
/// msg_apply_bytes (61), msg_cork_bytes (62), msg_pull_data (63), msg_redirect_hash (71),
/// msg_push_data (90), msg_pop_data (91), sk_storage (107, 108), get_netns_cookie (122), the
/// skc_to_* casts.
pub static SK_MSG: ProgramTypeSpec = ProgramTypeSpec {
    name: "sk_msg",
    kernel_type: BPF_PROG_TYPE_SK_MSG,
    attach_type: None,
    ctx_size: 80,
    fields: FIELDS,
    roles: 0,
    packet: PacketContext::NoPacket(ContextInput::Struct),
    legacy_packet_access: false,
    helpers: &[
        17, 60, 61, 62, 63, 71, 90, 91, 107, 108, 122, 136, 137, 138, 139, 140, 178, 196,
    ],
    return_range: None,
    verdicts: SK_VERDICTS,
    test_run_input: RunFields::Scalars,
    test_run_output: RunFields::Scalars,
};

#[cfg(test)]
mod tests {
    use super::super::translate::tests::{read, write};
    use super::*;

    #[test]
    fn everything_is_read_whole() {
        let s = &SK_MSG;
        assert_eq!(read(s, 0, 8).unwrap().offset, 80);
        assert_eq!(read(s, 8, 8).unwrap().offset, 88);
        assert!(read(s, 0, 4).is_err());
        assert!(read(s, 16, 4).is_ok() && read(s, 16, 2).is_err());
        assert!(read(s, 40, 4).is_ok() && read(s, 40, 8).is_err());
        assert!(write(s, 68, 4).is_err());
        assert!(read(s, 72, 8)
            .unwrap_err()
            .contains("field sk points to sockets"));
        assert_eq!(s.host_ctx_size(), 96);
    }
}
