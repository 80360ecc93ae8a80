//! sk_lookup programs: `struct bpf_sk_lookup`, read-only (`sk_lookup_is_valid_access`):
//! `sk` as 8 bytes, every other field also in part, `remote_port` (2 bytes) also as 4 bytes
//! with the zero padding after it, which may itself be read (as 0).
//!
//! Its test run (`bpf_prog_test_run_sk_lookup`, [`ContextInput::SkLookup`]) needs a context:
//! `family` AF_INET or AF_INET6, `sk` 0, `local_port` at most 65535, nothing set past
//! `local_port`. The kernel keeps `family`, `protocol`, `remote_port` and `local_port` as
//! 16-bit values, and only the selected family's addresses: the others read 0. `sk` reads
//! NULL (no socket is selected: ebee has none to select), and `ctx_out` is the input with
//! `cookie` 0.

use super::sizes::{B1, B2, B4, B8, UP_TO_4};
use super::skb_types::SK_VERDICTS;
use super::{ContextInput, Field, FieldKind, PacketContext, ProgramTypeSpec, RunFields};
use ebee_abi::prog_type::BPF_PROG_TYPE_SK_LOOKUP;

const fn read(name: &'static str, offset: u16, size: u16) -> Field {
    Field::read_only(name, offset, size, UP_TO_4)
}

const FIELDS: &[Field] = &[
    Field::read_only("sk", 0, 8, B8).kind(FieldKind::Null),
    read("family", 8, 4).kernel(2),
    read("protocol", 12, 4).kernel(2),
    read("remote_ip4", 16, 4),
    read("remote_ip6", 20, 16),
    Field::read_only("remote_port", 36, 2, B1 | B2 | B4),
    // The anonymous `__u16 :16` after `remote_port`.
    Field::read_only("padding", 38, 2, B1 | B2),
    read("local_ip4", 40, 4),
    read("local_ip6", 44, 16),
    read("local_port", 60, 4).kernel(2),
    read("ingress_ifindex", 64, 4),
];

/// `BPF_PROG_TYPE_SK_LOOKUP` (`sk_lookup`): returns `SK_DROP` or `SK_PASS`. Helpers beyond
/// the base (`sk_lookup_func_proto`): sk_release (86), sk_assign (124), the skc_to_* casts.
pub static SK_LOOKUP: ProgramTypeSpec = ProgramTypeSpec {
    name: "sk_lookup",
    kernel_type: BPF_PROG_TYPE_SK_LOOKUP,
    attach_type: None,
    ctx_size: 72,
    fields: FIELDS,
    roles: 0,
    packet: PacketContext::NoPacket(ContextInput::SkLookup),
    legacy_packet_access: false,
    helpers: &[86, 124, 136, 137, 138, 139, 140, 178, 196],
    return_range: Some((0, 1)),
    verdicts: SK_VERDICTS,
    test_run_input: RunFields::Named(&[
        "family",
        "protocol",
        "remote_ip4",
        "remote_ip6",
        "remote_port",
        "local_ip4",
        "local_ip6",
        "local_port",
    ]),
    test_run_output: RunFields::Named(&[]),
};

#[cfg(test)]
mod tests {
    use super::super::translate::tests::{read, write};
    use super::*;

    #[test]
    fn narrow_reads_and_the_remote_port() {
        let s = &SK_LOOKUP;
        assert!(read(s, 0, 8).is_ok() && read(s, 0, 4).is_err());
        assert!(read(s, 9, 1).is_ok() && read(s, 10, 2).is_ok());
        // family is a u16 in the kernel: its upper half reads the whole value.
        assert_eq!(read(s, 10, 2).unwrap().offset, 8);
        assert!(read(s, 36, 4).is_ok() && read(s, 37, 1).is_ok());
        assert!(read(s, 38, 2).is_ok() && read(s, 38, 4).is_err());
        assert!(read(s, 60, 4).is_ok() && read(s, 64, 2).is_ok());
        assert!(read(s, 68, 4).is_err(), "past the fields");
        assert!(write(s, 8, 4).is_err());
    }
}
