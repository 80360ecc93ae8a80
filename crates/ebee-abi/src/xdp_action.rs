//! XDP verdicts: the kernel's `enum xdp_action`, what an XDP program returns.

/// Drop the packet and report an error (`trace_xdp_exception`).
pub const XDP_ABORTED: u32 = 0;
/// Drop the packet.
pub const XDP_DROP: u32 = 1;
/// Pass the packet on to the network stack.
pub const XDP_PASS: u32 = 2;
/// Send the packet back out of the interface it came in on.
pub const XDP_TX: u32 = 3;
/// Redirect the packet (`bpf_redirect`, `bpf_redirect_map`).
pub const XDP_REDIRECT: u32 = 4;
