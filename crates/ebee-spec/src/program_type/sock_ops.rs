//! sockops programs: `struct bpf_sock_ops`, after `sock_ops_is_valid_access`: every field is
//! read whole (4 bytes; `bytes_received`, `bytes_acked`, `skb_hwtstamp` and the pointers 8;
//! `skb_tcp_flags` also in part from its first byte), and only `reply` (`args[0]`) and
//! `sk_txhash` are written, whole.
//!
//! The kernel runs no sockops test run; ebee's takes the caller's `bpf_sock_ops` (every
//! number may be set, each keeping only its kernel field's width) and reports it back as the
//! program left it. ebee has no socket and no packet: `sk`, `skb_data` and `skb_data_end`
//! read 0, as in the kernel's callbacks without a full socket or a packet.

use super::sizes::{B4, B8, UP_TO_4};
use super::{ContextInput, Field, FieldKind, PacketContext, ProgramTypeSpec, RunFields, Who};
use ebee_abi::prog_type::BPF_PROG_TYPE_SOCK_OPS;

/// A 4-byte field read whole, backed by a kernel field of `kernel_size` bytes.
const fn u32_field(name: &'static str, offset: u16, kernel_size: u8) -> Field {
    Field::read_only(name, offset, 4, B4).kernel(kernel_size)
}

const fn u64_field(name: &'static str, offset: u16) -> Field {
    Field::read_only(name, offset, 8, B8)
}

const FIELDS: &[Field] = &[
    u32_field("op", 0, 1),
    // `args[0]`, `reply` and `replylong[0]` share these bytes; the rest of `args` and
    // `replylong` follow.
    u32_field("reply", 4, 4).writable(Who::Everyone, B4),
    Field::read_only("replylong", 8, 12, B4),
    u32_field("family", 20, 2),
    u32_field("remote_ip4", 24, 4),
    u32_field("local_ip4", 28, 4),
    Field::read_only("remote_ip6", 32, 16, B4),
    Field::read_only("local_ip6", 48, 16, B4),
    u32_field("remote_port", 64, 4),
    u32_field("local_port", 68, 2),
    u32_field("is_fullsock", 72, 1),
    u32_field("snd_cwnd", 76, 4),
    u32_field("srtt_us", 80, 4),
    u32_field("bpf_sock_ops_cb_flags", 84, 1),
    u32_field("state", 88, 1),
    u32_field("rtt_min", 92, 4),
    u32_field("snd_ssthresh", 96, 4),
    u32_field("rcv_nxt", 100, 4),
    u32_field("snd_nxt", 104, 4),
    u32_field("snd_una", 108, 4),
    u32_field("mss_cache", 112, 4),
    u32_field("ecn_flags", 116, 1),
    u32_field("rate_delivered", 120, 4),
    u32_field("rate_interval_us", 124, 4),
    u32_field("packets_out", 128, 4),
    u32_field("retrans_out", 132, 4),
    u32_field("total_retrans", 136, 4),
    u32_field("segs_in", 140, 4),
    u32_field("data_segs_in", 144, 4),
    u32_field("segs_out", 148, 4),
    u32_field("data_segs_out", 152, 4),
    u32_field("lost_out", 156, 4),
    u32_field("sacked_out", 160, 4),
    u32_field("sk_txhash", 164, 4).writable(Who::Everyone, B4),
    u64_field("bytes_received", 168),
    u64_field("bytes_acked", 176),
    u64_field("sk", 184).kind(FieldKind::Null),
    u64_field("skb_data", 192).kind(FieldKind::Null),
    u64_field("skb_data_end", 200).kind(FieldKind::Null),
    u32_field("skb_len", 208, 4),
    Field::read_only("skb_tcp_flags", 212, 4, UP_TO_4)
        .kernel(1)
        .narrow_at_start(),
    u64_field("skb_hwtstamp", 216),
];

/// `BPF_PROG_TYPE_SOCK_OPS` (`sockops`). Helpers beyond the base (`sock_ops_func_proto`):
/// get_socket_cookie (46), setsockopt (49), sock_map_update (53), getsockopt (57),
/// sock_ops_cb_flags_set (59), sock_hash_update (70), get_local_storage (81), tcp_sock (96),
/// sk_storage (107, 108), get_netns_cookie (122), the skc_to_* casts, load/store/reserve_hdr_opt
/// (142–144). Returns 0 or 1.
pub static SOCK_OPS: ProgramTypeSpec = ProgramTypeSpec {
    name: "sock_ops",
    kernel_type: BPF_PROG_TYPE_SOCK_OPS,
    attach_type: None,
    ctx_size: 224,
    fields: FIELDS,
    roles: 0,
    packet: PacketContext::NoPacket(ContextInput::Struct),
    legacy_packet_access: false,
    helpers: &[
        46, 49, 53, 57, 59, 70, 81, 96, 107, 108, 122, 136, 137, 138, 139, 140, 142, 143, 144, 178,
        196,
    ],
    return_range: Some((0, 1)),
    verdicts: &[],
    test_run_input: RunFields::Scalars,
    test_run_output: RunFields::Scalars,
};

#[cfg(test)]
mod tests {
    use super::super::translate::tests::{read, write};
    use super::*;

    #[test]
    fn fields_are_read_whole_and_only_reply_and_txhash_written() {
        let s = &SOCK_OPS;
        assert_eq!(s.offset_of("sk_txhash"), 164);
        assert_eq!(s.offset_of("skb_hwtstamp"), 216);
        assert!(read(s, 0, 4).is_ok() && read(s, 0, 1).is_err());
        assert!(read(s, 12, 4).is_ok() && write(s, 12, 4).is_err());
        assert!(write(s, 4, 4).is_ok() && write(s, 164, 4).is_ok());
        assert!(write(s, 4, 2).is_err() && write(s, 76, 4).is_err());
        assert!(read(s, 168, 8).is_ok() && read(s, 168, 4).is_err());
        assert!(read(s, 184, 8).is_ok() && read(s, 184, 4).is_err());
        assert!(read(s, 212, 1).is_ok() && read(s, 213, 1).is_err());
        assert!(read(s, 44, 4).is_ok(), "remote_ip6[3]");
        assert_eq!(s.host_ctx_size(), 224, "no pointer slots");
    }
}
