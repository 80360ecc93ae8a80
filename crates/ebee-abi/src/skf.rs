//! The special offsets of the legacy packet loads (`SKF_*` of `linux/filter.h`): an
//! `ldabs*`/`ldind*` offset of `SKF_NET_OFF + n` reads `n` bytes after the network header,
//! `SKF_LL_OFF + n` after the link-layer (MAC) header; the kernel's
//! `bpf_skb_load_helper_convert_offset`.

/// Offsets from here (up to 0) count from the network header.
pub const SKF_NET_OFF: i32 = -0x10_0000;
/// Offsets from here up to [`SKF_NET_OFF`] count from the link-layer header.
pub const SKF_LL_OFF: i32 = -0x20_0000;
