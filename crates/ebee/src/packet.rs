//! Packets for the program types that have them (XDP, the skb types, the flow dissector): the
//! buffer with headroom and tailroom, the host context pointing into it, and what packet
//! helpers change.
//!
//! Test runs follow `bpf_prog_test_run_xdp` / `bpf_prog_test_run_skb` of Linux 6.18, checked
//! against the kernel by `tests/packet_helpers.rs`:
//! - XDP: one 4096-byte frame; metadata (`xdp_md.data` bytes at the start of the input, a
//!   multiple of 4 up to 216) right before the packet at offset 256; the packet may grow up
//!   to 320 bytes before the frame's end. `data_out` runs from the metadata to `data_end`;
//!   `ctx_out` is the input with `data` (metadata length) and `data_end` updated.
//!   Multi-buffer frames (`data_end` short of the input, or more than 3520 bytes) are
//!   refused: ebee has no fragments. The only device is loopback (ifindex 1, one queue):
//!   `ingress_ifindex` reads 1 when the context leaves it 0, other devices are refused.
//! - skb: `eth_type_trans` against the loopback device (`pkt_type`: all-zero destination
//!   host, group bit multicast, else other host; `protocol` with the 802.3/802.2 fallbacks);
//!   IPv4 and IPv6 packets too short for their header are refused; every type but TC sees
//!   the packet from the network header and gets the Ethernet header back zeroed in
//!   `data_out`. The socket fields cgroup_skb and sk_skb programs read (`family`, the
//!   addresses, the ports) are those of the test run's socket (`skb_socket.rs`).
//! - flow dissector: `flow.rs`.

use std::cell::Cell;

/// Where a program asked the packet to go (`bpf_redirect`, `bpf_redirect_map`,
/// `bpf_redirect_neigh`, `bpf_redirect_peer`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Redirect {
    /// To the interface with this index (`flags` as given).
    Ifindex {
        /// Target interface.
        ifindex: u32,
        /// Flags passed to the helper.
        flags: u64,
    },
    /// Out of the interface with this index, to the neighbour of the next hop
    /// (`bpf_redirect_neigh`): the one the program gave, or (`None`) the one a FIB lookup
    /// of the packet's destination finds when it is sent. Parameters of a family other
    /// than IPv4 and IPv6 (which the kernel drops the packet for when it sends it) are
    /// recorded as `None` too.
    Neigh {
        /// Target interface.
        ifindex: u32,
        /// The next hop the program gave.
        nexthop: Option<std::net::IpAddr>,
    },
    /// To the peer of the interface with this index, in its namespace
    /// (`bpf_redirect_peer`: the other end of a veth or netkit pair).
    Peer {
        /// Target interface (the peer's other end).
        ifindex: u32,
    },
    /// Through entry `key` of a devmap/cpumap/xskmap.
    Map {
        /// The map's id.
        map_id: u32,
        /// The entry.
        key: u32,
    },
}

/// Per-run packet state packet helpers read and change.
#[derive(Debug)]
pub(crate) struct PacketState {
    /// The program type (its context layout and packet kind).
    pub spec: &'static ProgramTypeSpec,
    /// Address of the host context structure (UAPI fields followed by the data, data_end and
    /// data_meta pointers).
    pub ctx: u64,
    /// Address of the first byte of the packet buffer (start of the headroom).
    pub buffer_start: u64,
    /// Address one past the last byte of the buffer (end of the tailroom).
    pub buffer_end: u64,
    /// The redirect the program asked for, if any.
    pub redirect: Cell<Option<Redirect>>,
    /// The skb's state outside the UAPI context (skb types; unused for the others).
    pub skb: Cell<SkbMeta>,
}

/// What an skb keeps beyond `struct __sk_buff` that helpers read and change: header
/// positions, checksum state, whether the hash is set, the socket cookie. Offsets count from
/// the start of the buffer. It carries over between the runs of one test run (the kernel
/// reuses its skb) and starts afresh with each test run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct SkbMeta {
    /// `skb->mac_header`.
    pub mac: u64,
    /// `skb->network_header`.
    pub network: u64,
    /// `skb->mac_len` (0 after `eth_type_trans`; set by the helpers that call
    /// `skb_reset_mac_len`).
    pub mac_len: u64,
    /// `skb->ip_summed == CHECKSUM_UNNECESSARY` (otherwise `CHECKSUM_NONE`, the test run's).
    pub csum_unnecessary: bool,
    /// `skb->csum_level`.
    pub csum_level: u8,
    /// `skb->sw_hash || skb->l4_hash`: `skb_get_hash` returns `skb->hash` without
    /// computing it.
    pub hash_set: bool,
    /// The cookie of the test run's socket, 0 until `get_socket_cookie` first asks.
    pub socket_cookie: u64,
    /// `skb->encapsulation`: `skb_adjust_room` added an outer header.
    pub encapsulation: bool,
    /// The tunnel metadata (`skb_tunnel_info`): the host's for a received packet, or what
    /// `skb_set_tunnel_key` set.
    pub tunnel: Option<crate::helpers::tunnel::TunnelInfo>,
}

use crate::program_type::{pointer_slot, PacketContext, ProgramTypeSpec};
use ebee_vm::Memory;

mod access;
mod flow;
mod skb_socket;
mod xdp;
pub(crate) use access::{PacketPlace, Pointers};

/// `XDP_PACKET_HEADROOM`.
pub const XDP_HEADROOM: usize = 256;
/// Headroom of a test-run skb (`NET_SKB_PAD + NET_IP_ALIGN` on x86-64).
pub const SKB_HEADROOM: usize = 64;
/// `BPF_SKB_MAX_LEN` (`SKB_MAX_ALLOC`: four pages less the shared info): the longest packet
/// `bpf_skb_change_tail` and `bpf_skb_change_head` make.
pub const BPF_SKB_MAX_LEN: usize = 16384 - TAILROOM;
/// Room ebee's skb buffer has before the kernel's headroom, and after the packet beyond what
/// `BPF_SKB_MAX_LEN` needs: where the kernel reallocates the head to grow the packet
/// (`skb_cow`, `pskb_expand_head`), ebee's buffer is already large enough, up to this much
/// (beyond it the helpers fail with `-ENOMEM`, as a failed reallocation does).
pub const SKB_EXTRA_ROOM: usize = 2 * BPF_SKB_MAX_LEN;
/// Tailroom reserved after the packet (`SKB_DATA_ALIGN(sizeof(struct skb_shared_info))`).
pub const TAILROOM: usize = 320;
/// Size of a test-run XDP frame (`frame_sz`, one page): the buffer from `data_hard_start`
/// with the headroom, the packet, room to grow it, and the reserved tailroom.
pub const XDP_FRAME_SIZE: usize = 4096;
/// Largest packet a non-frags XDP test run accepts (`PAGE_SIZE - headroom - tailroom`).
pub const XDP_MAX_PACKET: usize = XDP_FRAME_SIZE - XDP_HEADROOM - TAILROOM;
/// `sizeof(struct xdp_frame)` on x86-64: the start of the XDP headroom the kernel keeps for
/// the frame structure; neither metadata nor packet may start in it.
pub const XDP_FRAME_STRUCT: usize = 40;
/// Largest XDP metadata length (`xdp_metalen_invalid`: the 8-bit `skb_shared_info.meta_len`;
/// lengths must also be multiples of 4).
pub const XDP_MAX_METALEN: usize = 255;
/// Ethernet header length.
pub const ETH_HLEN: usize = 14;

/// A packet test run in progress: the buffer, the host context, and what to report after.
pub(crate) struct PacketRun {
    spec: &'static ProgramTypeSpec,
    /// Headroom + packet + tailroom.
    buffer: Vec<u8>,
    /// The host context: UAPI fields, then the data, data_end and data_meta pointers.
    ctx: Vec<u64>,
    /// The UAPI context the caller passed (or zeros), the base of `ctx_out`.
    ctx_in: Vec<u8>,
    /// Socket filters see the packet from the network header (the kernel pulls the Ethernet
    /// header and zeroes it in the output).
    pulled: usize,
    redirect: Option<Redirect>,
    /// The flow dissector's `struct bpf_flow_keys` (empty for other types).
    flow_keys: Vec<u8>,
    /// The skb state beyond the context (skb types).
    skb: SkbMeta,
    /// The tunnel metadata every received skb gets (the host's network environment).
    tunnel: Option<crate::helpers::tunnel::TunnelInfo>,
}

fn u32_at(bytes: &[u8], offset: usize) -> u32 {
    bytes
        .get(offset..offset + 4)
        .map_or(0, |b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
}

/// `skb->protocol` as `eth_type_trans` sets it (the `__be16` value as stored): the
/// EtherType when it is one (at least 0x600), else `ETH_P_802_3` for raw 802.3 frames
/// (payload starting with 0xffff) and `ETH_P_802_2` for the others.
fn eth_type_trans_protocol(frame: &[u8]) -> u16 {
    let ethertype = u16::from_be_bytes([frame[12], frame[13]]);
    let be = if ethertype >= 0x600 {
        ethertype
    } else if frame.get(14..16) == Some(&[0xff, 0xff]) {
        0x0001 // ETH_P_802_3
    } else {
        0x0004 // ETH_P_802_2
    };
    u16::from_ne_bytes(be.to_be_bytes())
}

impl PacketRun {
    /// No packet yet; [`PacketRun::prepare`] builds one, reusing the buffers of the last.
    /// Received skbs carry the tunnel metadata `tunnel`.
    pub(crate) fn new(
        spec: &'static ProgramTypeSpec,
        tunnel: Option<crate::helpers::tunnel::TunnelInfo>,
    ) -> PacketRun {
        PacketRun {
            spec,
            buffer: Vec::new(),
            ctx: Vec::new(),
            ctx_in: Vec::new(),
            pulled: 0,
            redirect: None,
            flow_keys: Vec::new(),
            skb: SkbMeta::default(),
            tunnel,
        }
    }

    /// Builds the buffer and host context for `data_in` and `ctx_in`, validating the input
    /// as the kernel does.
    pub(crate) fn prepare(&mut self, data_in: &[u8], ctx_in: Option<&[u8]>) -> Result<(), String> {
        let spec = self.spec;
        if data_in.len() < ETH_HLEN {
            return Err(format!(
                "packet of {} bytes is shorter than an Ethernet header",
                data_in.len()
            ));
        }
        self.ctx.clear();
        self.ctx.resize(spec.host_ctx_size().div_ceil(8), 0);
        self.redirect = None;
        if spec.packet == PacketContext::FlowDissector {
            return self.init_flow_dissector(data_in, ctx_in);
        }
        let ctx_size = spec.ctx_size as usize;
        let ctx_given = ctx_in.is_some();
        self.ctx_in.clear();
        if let Some(c) = ctx_in {
            if c.len() > ctx_size && c[ctx_size..].iter().any(|&b| b != 0) {
                return Err(format!(
                    "context of {} bytes has non-zero bytes past the {ctx_size} of {}",
                    c.len(),
                    spec.name
                ));
            }
            self.ctx_in.extend_from_slice(&c[..c.len().min(ctx_size)]);
        }
        self.ctx_in.resize(ctx_size, 0);
        self.pulled = 0;
        self.refuse_unsettable_fields()?;
        match spec.packet {
            PacketContext::Xdp => self.init_xdp(data_in),
            PacketContext::Skb { pulls_ethernet } => {
                self.init_skb(data_in, ctx_given, pulls_ethernet)
            }
            PacketContext::FlowDissector | PacketContext::NoPacket(_) => {
                unreachable!("{} has no skb or XDP packet", spec.name)
            }
        }
    }

    fn ctx_bytes(&mut self) -> &mut [u8] {
        let len = self.ctx.len() * 8;
        // SAFETY: a `Vec<u64>` of `len / 8` elements is `len` initialized bytes; u8 has no
        // alignment or validity requirements.
        unsafe { std::slice::from_raw_parts_mut(self.ctx.as_mut_ptr().cast::<u8>(), len) }
    }

    fn set_u32(&mut self, offset: usize, value: u32) {
        self.ctx_bytes()[offset..offset + 4].copy_from_slice(&value.to_ne_bytes());
    }

    fn set_pointers(&mut self, data: usize, data_end: usize, data_meta: usize) {
        let base = self.buffer.as_ptr() as u64;
        for (slot, offset) in [(0u8, data), (1, data_end), (2, data_meta)] {
            let at = pointer_slot(self.spec, slot);
            let value = base + offset as u64;
            self.ctx_bytes()[at..at + 8].copy_from_slice(&value.to_ne_bytes());
        }
    }

    /// Offset of pointer `slot` in the buffer (clamped to it: helpers keep the pointers in
    /// the buffer, but an unverified program in checked mode could overwrite them).
    fn pointer(&self, slot: u8) -> usize {
        let index = pointer_slot(self.spec, slot) / 8;
        let offset = self.ctx[index].saturating_sub(self.buffer.as_ptr() as u64);
        offset.min(self.buffer.len() as u64) as usize
    }

    /// Refuses a context that sets a field the type's test run does not take (the spec's
    /// `test_run_input`).
    fn refuse_unsettable_fields(&self) -> Result<(), String> {
        let settable = |offset: usize| {
            let field = self.spec.field_at(offset as i64);
            field.is_some_and(|f| self.spec.test_run_input.includes(f))
        };
        let c = &self.ctx_in;
        match (0..c.len()).find(|&i| c[i] != 0 && !settable(i)) {
            Some(bad) => {
                let field = self.spec.field_at(bad as i64).map_or("padding", |f| f.name);
                Err(format!(
                    "{}: field {field} may not be set in a test run",
                    self.spec.name
                ))
            }
            None => Ok(()),
        }
    }

    /// `bpf_prog_test_run_skb`: only the spec's `test_run_input` fields may be set. Without
    /// a context (`ctx_given` false) the kernel skips `convert___skb_to_skb`, leaving
    /// `wire_len` 0. `pulls_ethernet`: the program sees the packet from the network header.
    fn init_skb(
        &mut self,
        data_in: &[u8],
        ctx_given: bool,
        pulls_ethernet: bool,
    ) -> Result<(), String> {
        let c = self.ctx_in.clone();
        let at = |name| self.spec.offset_of(name);
        let ifindex = u32_at(&c, at("ifindex"));
        if ifindex > 1 {
            return Err(format!(
                "__sk_buff: ifindex {ifindex}: ebee has no network devices (only 1, loopback)"
            ));
        }
        let len = data_in.len();
        let wire_len = u32_at(&c, at("wire_len"));
        // Socket filters' skb starts at the network header (convert___skb_to_skb runs after
        // eth_type_trans pulled the Ethernet header).
        self.pulled = if pulls_ethernet { ETH_HLEN } else { 0 };
        let skb_len = len - self.pulled;
        if wire_len != 0 && (wire_len as usize) < skb_len {
            return Err("__sk_buff: wire_len is shorter than the packet".into());
        }
        // GSO_LEGACY_MAX_SIZE and GSO_MAX_SEGS.
        if wire_len > 65536 || u32_at(&c, at("gso_segs")) > 65535 {
            return Err("__sk_buff: wire_len above 65536 or gso_segs above 65535".into());
        }
        // The test run refuses IP packets too short for their network header.
        let network_header = match [data_in[12], data_in[13]] {
            [0x08, 0x00] => 20,
            [0x86, 0xdd] => 40,
            _ => 0,
        };
        if len - ETH_HLEN < network_header {
            return Err(format!(
                "packet of {len} bytes is too short for its {network_header}-byte IP header"
            ));
        }
        // The kernel's buffer is headroom, packet and tailroom; ebee's has room to grow on
        // both sides (see SKB_EXTRA_ROOM).
        let head = SKB_EXTRA_ROOM + SKB_HEADROOM;
        let tail = BPF_SKB_MAX_LEN.saturating_sub(len) + SKB_EXTRA_ROOM + TAILROOM;
        self.buffer.clear();
        self.buffer.resize(head + len + tail, 0);
        self.buffer[head..head + len].copy_from_slice(data_in);
        let protocol = eth_type_trans_protocol(data_in);
        // eth_type_trans against the loopback device, whose address and broadcast address
        // are all zeros: ff:ff:ff:ff:ff:ff is multicast, not broadcast.
        let destination = &data_in[..6];
        let pkt_type = if destination == [0; 6] {
            0 // PACKET_HOST
        } else if destination[0] & 1 != 0 {
            2 // PACKET_MULTICAST
        } else {
            3 // PACKET_OTHERHOST
        };
        let skb_len = skb_len as u32;
        let fields = [
            (at("len"), skb_len),
            (at("pkt_type"), pkt_type),
            (at("protocol"), protocol as u32),
            (at("ifindex"), 1), // loopback
            (
                at("wire_len"),
                match (ctx_given, wire_len) {
                    (false, _) => 0,
                    (true, 0) => skb_len,
                    (true, w) => w,
                },
            ),
            // skb_shinfo(skb)->gso_size is a u16.
            (at("gso_size"), u32_at(&c, at("gso_size")) & 0xffff),
        ];
        let ctx_size = self.spec.ctx_size as usize;
        let ctx = self.ctx_bytes();
        ctx[..ctx_size].copy_from_slice(&c[..ctx_size]);
        for (offset, value) in fields {
            ctx[offset..offset + 4].copy_from_slice(&value.to_ne_bytes());
        }
        self.set_socket_fields(data_in, protocol);
        let data = head + self.pulled;
        self.set_pointers(data, head + len, data);
        self.skb = SkbMeta {
            mac: head as u64,
            network: (head + ETH_HLEN) as u64,
            tunnel: self.tunnel,
            ..SkbMeta::default()
        };
        Ok(())
    }

    /// Registers the buffer (only its bytes from data_meta to data_end when `exact`) and
    /// host context as the run's memory; returns r1 (the context) and the packet state for
    /// the helpers.
    ///
    /// # Safety
    /// `self` must not be moved, and its buffer and context not be touched, while `memory`
    /// is used to run programs.
    pub(crate) unsafe fn register(
        &mut self,
        memory: &mut Memory<'_>,
        exact: bool,
    ) -> (u64, Option<PacketState>) {
        let buffer_start = self.buffer.as_mut_ptr() as u64;
        let buffer_end = buffer_start + self.buffer.len() as u64;
        let ctx = self.ctx.as_mut_ptr() as u64;
        let (start, end) = match exact {
            true => (self.pointer(2).min(self.pointer(0)), self.pointer(1)),
            false => (0, self.buffer.len()),
        };
        let (start, len) = (
            buffer_start + start as u64,
            end.saturating_sub(start) as u64,
        );
        // SAFETY: guaranteed by the caller (see above); `as u64` exposed the provenance, and
        // `pointer` keeps `start..start + len` inside the buffer.
        unsafe { memory.add_raw("packet", start, len, true) };
        // SAFETY: likewise for the host context.
        unsafe { memory.add_raw("context", ctx, self.ctx.len() as u64 * 8, true) };
        if !self.flow_keys.is_empty() {
            let keys = self.flow_keys.as_mut_ptr() as u64;
            let len = self.flow_keys.len() as u64;
            // SAFETY: likewise for the flow keys, which the host context points to.
            unsafe { memory.add_raw("flow keys", keys, len, true) };
        }
        let state = PacketState {
            spec: self.spec,
            ctx,
            buffer_start,
            buffer_end,
            redirect: Cell::new(None),
            skb: Cell::new(self.skb),
        };
        (ctx, Some(state))
    }

    /// Takes what helpers recorded during one run.
    pub(crate) fn after_run(&mut self, state: &PacketState) {
        if let Some(redirect) = state.redirect.get() {
            self.redirect = Some(redirect);
        }
        self.skb = state.skb.get();
    }

    /// `(data_out, ctx_out, redirect)` as the kernel reports them.
    pub(crate) fn finish(&mut self) -> (Vec<u8>, Vec<u8>, Option<Redirect>) {
        let data_end = self.pointer(1);
        let data = self.pointer(0).min(data_end);
        let data_meta = self.pointer(2).min(data);
        let spec = self.spec;
        match spec.packet {
            PacketContext::Xdp => {
                let out = self.buffer[data_meta..data_end].to_vec();
                let mut ctx = self.ctx_in.clone();
                // xdp_convert_buff_to_md: offsets from the metadata, data_meta 0.
                let values = [data - data_meta, data_end - data_meta, 0];
                for (name, value) in spec.test_run_output.names().iter().zip(values) {
                    let offset = spec.offset_of(name);
                    ctx[offset..offset + 4].copy_from_slice(&(value as u32).to_ne_bytes());
                }
                (out, ctx, self.redirect)
            }
            PacketContext::Skb { .. } => {
                let mut out = vec![0; self.pulled];
                out.extend_from_slice(&self.buffer[data..data_end]);
                let host = self.ctx_bytes()[..spec.ctx_size as usize].to_vec();
                let mut ctx = self.ctx_in.clone();
                for field in spec
                    .fields
                    .iter()
                    .filter(|f| spec.test_run_output.includes(f))
                {
                    let range = field.offset as usize..(field.offset + field.size) as usize;
                    ctx[range.clone()].copy_from_slice(&host[range]);
                }
                (out, ctx, self.redirect)
            }
            PacketContext::FlowDissector => self.finish_flow_dissector(),
            PacketContext::NoPacket(_) => unreachable!("{} has no packet", spec.name),
        }
    }
}
