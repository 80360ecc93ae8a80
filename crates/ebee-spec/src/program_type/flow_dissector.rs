//! The flow dissector: `struct __sk_buff` of which it may read only `data`, `data_end` (4-byte
//! packet pointers) and `flow_keys` (an 8-byte pointer to a `struct bpf_flow_keys`, which the
//! program reads and writes freely within its 56 bytes: the kernel's
//! `check_flow_keys_access`), after `flow_dissector_is_valid_access`.
//!
//! Its test run (`bpf_prog_test_run_flow_dissector`) takes the packet from its Ethernet
//! header (`data` is its first byte) and a `struct bpf_flow_keys` as `ctx_in` of which only
//! `flags` may be set; the keys start zeroed with `nhoff` and `thoff` 14, `n_proto` the
//! Ethernet type and `flags` as given. After the run `nhoff` is clamped to [14, packet length]
//! and `thoff` to [`nhoff`, packet length]; `data_out` is the keys, `ctx_out` the input.

use super::sizes::ANY;
use super::skb::{FIELDS, FLOW};
use super::{verdict, Fate, Field, PacketContext, ProgramTypeSpec, RunFields, Who};
use ebee_abi::prog_type::BPF_PROG_TYPE_FLOW_DISSECTOR;
use ebee_abi::ret_code::{BPF_DROP, BPF_FLOW_DISSECTOR_CONTINUE, BPF_OK};

/// `sizeof(struct bpf_flow_keys)`.
pub const FLOW_KEYS_SIZE: usize = 56;

const fn key(name: &'static str, offset: u16, size: u16) -> Field {
    Field::read_only(name, offset, size, ANY).writable(Who::Everyone, ANY)
}

/// `struct bpf_flow_keys`, what `__sk_buff.flow_keys` points to. `ipv4_src` and `ipv4_dst`
/// share the first 8 bytes of `ipv6_src` (a union).
pub const FLOW_KEYS_FIELDS: &[Field] = &[
    key("nhoff", 0, 2),
    key("thoff", 2, 2),
    key("addr_proto", 4, 2),
    key("is_frag", 6, 1),
    key("is_first_frag", 7, 1),
    key("is_encap", 8, 1),
    key("ip_proto", 9, 1),
    key("n_proto", 10, 2),
    key("sport", 12, 2),
    key("dport", 14, 2),
    key("ipv6_src", 16, 16),
    key("ipv6_dst", 32, 16),
    key("flags", 48, 4),
    key("flow_label", 52, 4),
];

/// `BPF_PROG_TYPE_FLOW_DISSECTOR` (`flow_dissector`). Helpers beyond the base
/// (`flow_dissector_func_proto`): skb_load_bytes (26: `bpf_flow_dissector_load_bytes`, which
/// reads the skb, so it fails with `-EFAULT` in test runs, which have none), the skc_to_*
/// casts. The kernel checks no return range; `BPF_OK` means the keys are filled in.
pub static FLOW_DISSECTOR: ProgramTypeSpec = ProgramTypeSpec {
    name: "flow_dissector",
    kernel_type: BPF_PROG_TYPE_FLOW_DISSECTOR,
    attach_type: None,
    ctx_size: 192,
    fields: FIELDS,
    roles: FLOW,
    packet: PacketContext::FlowDissector,
    legacy_packet_access: false,
    helpers: &[26, 136, 137, 138, 139, 140, 178, 196],
    return_range: None,
    verdicts: &[
        verdict(BPF_OK as i32, "BPF_OK", Fate::Pass),
        verdict(BPF_DROP as i32, "BPF_DROP", Fate::Drop),
        verdict(
            BPF_FLOW_DISSECTOR_CONTINUE as i32,
            "BPF_FLOW_DISSECTOR_CONTINUE",
            Fate::Other,
        ),
    ],
    test_run_input: RunFields::Named(&[]),
    test_run_output: RunFields::Named(&[]),
};

#[cfg(test)]
mod tests {
    use super::super::translate::tests::{read, write};
    use super::*;

    #[test]
    fn reads_only_the_packet_and_the_keys() {
        let s = &FLOW_DISSECTOR;
        assert_eq!(read(s, 76, 4).unwrap().offset, 192);
        assert_eq!(read(s, 80, 4).unwrap().offset, 200);
        let keys = read(s, 144, 8).unwrap();
        assert_eq!((keys.offset, keys.size), (216, 8));
        assert!(read(s, 144, 4).is_err(), "flow_keys only whole");
        assert!(read(s, 0, 4).is_err(), "len");
        assert!(read(s, 140, 4).is_err(), "data_meta");
        assert!(write(s, 48, 4).is_err(), "cb");
        let last = FLOW_KEYS_FIELDS.last().unwrap();
        assert_eq!((last.offset + last.size) as usize, FLOW_KEYS_SIZE);
    }
}
