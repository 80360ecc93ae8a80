//! Flag values of `linux/bpf.h`: what `bpf(2)` map commands, map creation and
//! `BPF_PROG_TEST_RUN` take, what helpers take in their `flags` arguments, and the ring
//! buffer's constants. Each has the type of the field or argument it goes in (`u32` for
//! `map_flags` and test-run `flags`, `u64` for update flags and helper arguments).
//!
//! ```
//! use ebee_abi::flags::*;
//! assert_eq!(BPF_F_ACCESS_MASK, BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG);
//! assert_eq!(BPF_F_CURRENT_CPU, 0xffff_ffff);
//! ```

/// Update flag: create a new element or update an existing one.
pub const BPF_ANY: u64 = 0;
/// Update flag: create a new element only if it does not exist.
pub const BPF_NOEXIST: u64 = 1;
/// Update flag: update an existing element only.
pub const BPF_EXIST: u64 = 2;
/// Update/lookup flag: copy the value under its `bpf_spin_lock`.
pub const BPF_F_LOCK: u64 = 4;

/// Map flag: do not preallocate (required for LPM tries).
pub const BPF_F_NO_PREALLOC: u32 = 1 << 0;
/// Map flag: one LRU list per CPU (LRU hashes only).
pub const BPF_F_NO_COMMON_LRU: u32 = 1 << 1;
/// Map flag: `numa_node` is set.
pub const BPF_F_NUMA_NODE: u32 = 1 << 2;
/// Map flag: read-only for the host (syscall) side.
pub const BPF_F_RDONLY: u32 = 1 << 3;
/// Map flag: write-only for the host (syscall) side.
pub const BPF_F_WRONLY: u32 = 1 << 4;
/// Map flag: stack trace maps store build ids.
pub const BPF_F_STACK_BUILD_ID: u32 = 1 << 5;
/// Map flag: hash with seed 0, giving a reproducible element order.
pub const BPF_F_ZERO_SEED: u32 = 1 << 6;
/// Map flag: read-only for programs (libbpf sets it on `.rodata*` maps).
pub const BPF_F_RDONLY_PROG: u32 = 1 << 7;
/// Map flag: write-only for programs.
pub const BPF_F_WRONLY_PROG: u32 = 1 << 8;
/// Map flag: clone the map (local storage only).
pub const BPF_F_CLONE: u32 = 1 << 9;
/// Map flag: the array may be `mmap`ed (libbpf sets it on global data maps).
pub const BPF_F_MMAPABLE: u32 = 1 << 10;
/// Map flag: keep perf event array entries when the map file is closed.
pub const BPF_F_PRESERVE_ELEMS: u32 = 1 << 11;
/// Map flag: an array used as an inner map may differ in `max_entries`.
pub const BPF_F_INNER_MAP: u32 = 1 << 12;
/// All four access flags (the kernel's `BPF_F_ACCESS_MASK`, from `include/linux/bpf.h`).
pub const BPF_F_ACCESS_MASK: u32 =
    BPF_F_RDONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY | BPF_F_WRONLY_PROG;

/// `BPF_PROG_LOAD` flag: the verifier enforces alignment as on strict-alignment CPUs.
pub const BPF_F_STRICT_ALIGNMENT: u32 = 1 << 0;
/// `BPF_PROG_LOAD` flag: the verifier skips alignment checks (tests only).
pub const BPF_F_ANY_ALIGNMENT: u32 = 1 << 1;
/// `BPF_PROG_LOAD` flag: the program may sleep (syscall, sleepable LSM/tracing programs).
pub const BPF_F_SLEEPABLE: u32 = 1 << 4;

/// `BPF_PROG_TEST_RUN` flag: run on the CPU given in the request.
pub const BPF_F_TEST_RUN_ON_CPU: u32 = 1 << 0;
/// `BPF_PROG_TEST_RUN` flag: XDP frames are really transmitted/redirected.
pub const BPF_F_TEST_XDP_LIVE_FRAMES: u32 = 1 << 1;
/// `BPF_PROG_TEST_RUN` flag: the skb gets `CHECKSUM_COMPLETE`.
pub const BPF_F_TEST_SKB_CHECKSUM_COMPLETE: u32 = 1 << 2;

/// `bpf_skb_store_bytes`: update the checksum.
pub const BPF_F_RECOMPUTE_CSUM: u64 = 1 << 0;
/// `bpf_skb_store_bytes`: clear the skb's flow hash.
pub const BPF_F_INVALIDATE_HASH: u64 = 1 << 1;
/// `bpf_l3/l4_csum_replace`: the bits that give the size of the changed field.
pub const BPF_F_HDR_FIELD_MASK: u64 = 0xf;
/// `bpf_l4_csum_replace`: the field is part of the pseudo header.
pub const BPF_F_PSEUDO_HDR: u64 = 1 << 4;
/// `bpf_l4_csum_replace`: a zero result is stored as `0xffff` (UDP).
pub const BPF_F_MARK_MANGLED_0: u64 = 1 << 5;
/// `bpf_l4_csum_replace`: update even a zero checksum.
pub const BPF_F_MARK_ENFORCE: u64 = 1 << 6;
/// `bpf_l4_csum_replace`: the pseudo header is IPv6's.
pub const BPF_F_IPV6: u64 = 1 << 7;
/// `bpf_perf_event_output` flags: the index bits.
pub const BPF_F_INDEX_MASK: u64 = 0xffff_ffff;
/// `bpf_perf_event_output` index meaning "the CPU the program runs on".
pub const BPF_F_CURRENT_CPU: u64 = BPF_F_INDEX_MASK;
/// `bpf_skb/xdp_event_output` flags: how many context bytes to append.
pub const BPF_F_CTXLEN_MASK: u64 = 0xfffff << 32;
/// `bpf_redirect` (skb): redirect to the device's ingress instead of egress.
pub const BPF_F_INGRESS: u64 = 1 << 0;
/// `bpf_redirect_map` (XDP, devmaps): send to every device of the map.
pub const BPF_F_BROADCAST: u64 = 1 << 3;
/// `bpf_redirect_map` (XDP, devmaps): with [`BPF_F_BROADCAST`], not to the ingress device.
pub const BPF_F_EXCLUDE_INGRESS: u64 = 1 << 4;
/// `bpf_skb_load_bytes_relative`: offsets from the MAC header (`enum bpf_hdr_start_off`).
pub const BPF_HDR_START_MAC: u64 = 0;
/// `bpf_skb_load_bytes_relative`: offsets from the network header.
pub const BPF_HDR_START_NET: u64 = 1;

/// `bpf_skb_adjust_room` mode: adjust room at the network layer.
pub const BPF_ADJ_ROOM_NET: u32 = 0;
/// `bpf_skb_adjust_room` mode: adjust room at the MAC layer.
pub const BPF_ADJ_ROOM_MAC: u32 = 1;
/// `bpf_skb_adjust_room` flag: do not adjust `gso_size`.
pub const BPF_F_ADJ_ROOM_FIXED_GSO: u64 = 1 << 0;
/// `bpf_skb_adjust_room` flag: the added header is an outer IPv4 header.
pub const BPF_F_ADJ_ROOM_ENCAP_L3_IPV4: u64 = 1 << 1;
/// `bpf_skb_adjust_room` flag: the added header is an outer IPv6 header.
pub const BPF_F_ADJ_ROOM_ENCAP_L3_IPV6: u64 = 1 << 2;
/// `bpf_skb_adjust_room` flag: the outer header includes GRE.
pub const BPF_F_ADJ_ROOM_ENCAP_L4_GRE: u64 = 1 << 3;
/// `bpf_skb_adjust_room` flag: the outer header includes UDP.
pub const BPF_F_ADJ_ROOM_ENCAP_L4_UDP: u64 = 1 << 4;
/// `bpf_skb_adjust_room` flag: do not reset the checksum level.
pub const BPF_F_ADJ_ROOM_NO_CSUM_RESET: u64 = 1 << 5;
/// `bpf_skb_adjust_room` flag: the inner MAC header is Ethernet.
pub const BPF_F_ADJ_ROOM_ENCAP_L2_ETH: u64 = 1 << 6;
/// `bpf_skb_adjust_room` flag: remove an outer IPv4 header (Linux 6.3).
pub const BPF_F_ADJ_ROOM_DECAP_L3_IPV4: u64 = 1 << 7;
/// `bpf_skb_adjust_room` flag: remove an outer IPv6 header (Linux 6.3).
pub const BPF_F_ADJ_ROOM_DECAP_L3_IPV6: u64 = 1 << 8;
/// `BPF_F_ADJ_ROOM_ENCAP_L2(len)`: the inner MAC header's length, in the flags' top byte.
pub const BPF_ADJ_ROOM_ENCAP_L2_SHIFT: u32 = 56;
/// The mask of that length (before the shift).
pub const BPF_ADJ_ROOM_ENCAP_L2_MASK: u64 = 0xff;

/// Ring buffer submit/output flag: do not wake the consumer.
pub const BPF_RB_NO_WAKEUP: u64 = 1 << 0;
/// Ring buffer submit/output flag: always wake the consumer.
pub const BPF_RB_FORCE_WAKEUP: u64 = 1 << 1;
/// `bpf_ringbuf_query`: bytes not yet consumed.
pub const BPF_RB_AVAIL_DATA: u64 = 0;
/// `bpf_ringbuf_query`: size of the data area.
pub const BPF_RB_RING_SIZE: u64 = 1;
/// `bpf_ringbuf_query`: consumer position.
pub const BPF_RB_CONS_POS: u64 = 2;
/// `bpf_ringbuf_query`: producer position.
pub const BPF_RB_PROD_POS: u64 = 3;
/// Ring buffer record header: the record is reserved and not yet committed.
pub const BPF_RINGBUF_BUSY_BIT: u32 = 1 << 31;
/// Ring buffer record header: the record was discarded.
pub const BPF_RINGBUF_DISCARD_BIT: u32 = 1 << 30;
/// Size of a ring buffer record header.
pub const BPF_RINGBUF_HDR_SZ: u32 = 8;
