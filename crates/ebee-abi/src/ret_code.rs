//! Return codes of the program types that return neither a length nor an XDP or TC action:
//! the kernel's `enum bpf_ret_code` (lwt and flow dissector programs) and `enum sk_action`
//! (sk_skb, sk_msg, sk_lookup, sk_reuseport).

/// `BPF_OK`: continue (lwt), dissection done (flow dissector).
pub const BPF_OK: u32 = 0;
/// `BPF_DROP`: drop the packet.
pub const BPF_DROP: u32 = 2;
/// `BPF_REDIRECT`: the program redirected the packet (lwt_xmit).
pub const BPF_REDIRECT: u32 = 7;
/// `BPF_LWT_REROUTE`: route the packet again after encapsulating it (lwt_in, lwt_xmit).
pub const BPF_LWT_REROUTE: u32 = 128;
/// `BPF_FLOW_DISSECTOR_CONTINUE`: fall back to the kernel's own flow dissector.
pub const BPF_FLOW_DISSECTOR_CONTINUE: u32 = 129;

/// `SK_DROP`.
pub const SK_DROP: u32 = 0;
/// `SK_PASS`.
pub const SK_PASS: u32 = 1;
