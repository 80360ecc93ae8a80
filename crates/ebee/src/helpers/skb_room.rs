//! `bpf_skb_adjust_room` (50) and `bpf_csum_update` (40), the TC helpers encapsulating and
//! decapsulating datapaths use, with the semantics of `net/core/filter.c` (Linux 6.18) on the
//! test run's linear, uncloned `CHECKSUM_NONE` skb, compared with the kernel by
//! `tests/packet_helpers/skb_room.rs`.
//!
//! `skb_adjust_room(skb, len_diff, mode, flags)` inserts `len_diff` zero bytes (or removes
//! `-len_diff` bytes) after the MAC header (`BPF_ADJ_ROOM_MAC`) or after the IPv4/IPv6
//! header (`BPF_ADJ_ROOM_NET`, the base header of `skb->protocol`), moving the MAC and
//! network headers with the data. In order, as the kernel checks:
//! - `-EINVAL` for flags outside `BPF_F_ADJ_ROOM_*`, `-EFAULT` for more than 0xfff bytes,
//!   `-ENOTSUPP` (524) for packets other than IPv4/IPv6 and for other modes;
//! - the decapsulation flags (`BPF_F_ADJ_ROOM_DECAP_L3_IPV4`/`_IPV6`) only when shrinking,
//!   one at a time (`-EINVAL`), and they set the shortest inner header that must remain;
//! - `-ENOTSUPP` when shrinking would leave less than that header after the network header,
//!   or growing a non-GSO packet would pass `BPF_SKB_MAX_LEN`;
//! - shrinking takes only `BPF_F_ADJ_ROOM_FIXED_GSO`, the decapsulation flags and
//!   `BPF_F_ADJ_ROOM_NO_CSUM_RESET` (`-EINVAL`); a GSO skb is `-ENOTSUPP` either way (the test
//!   run's GSO skb has no GSO type, so it is neither TCP nor UDP GSO); shrinking past the
//!   packet is `-ENOMEM`;
//! - growing with an encapsulation flag (`BPF_F_ADJ_ROOM_ENCAP_L3_IPV4`/`_IPV6`): both L3
//!   flags, both L4 flags (`_ENCAP_L4_GRE`, `_ENCAP_L4_UDP`), `_ENCAP_L2_ETH` with an inner MAC
//!   length (`BPF_F_ADJ_ROOM_ENCAP_L2(len)`) under 14, or an inner MAC length above
//!   `len_diff` are `-EINVAL`; an skb already encapsulated is `-EALREADY`. Success marks the
//!   skb encapsulated (which lasts over the repeats of a test run) and, for an outer header
//!   of the other family, changes `skb->protocol`; decapsulating to the other family does
//!   too.
//!
//! Success resets `CHECKSUM_UNNECESSARY` (what `csum_level` raised) unless
//! `BPF_F_ADJ_ROOM_NO_CSUM_RESET`. The inner header offsets and GSO type the kernel records
//! for segmentation are not kept: nothing a test run reports reads them.
//!
//! `csum_update(skb, csum)` adds `csum` to `skb->csum` of a `CHECKSUM_COMPLETE` skb and
//! returns it; ebee's skbs are `CHECKSUM_NONE` or `CHECKSUM_UNNECESSARY` (as the kernel's test
//! runs without `BPF_F_TEST_SKB_CHECKSUM_COMPLETE`, a flag ebee's test runs do not take), so
//! it returns `-ENOTSUPP`.

use super::probe::neg;
use super::skb::{ctx_u32, protocol, ETH_P_IP, ETH_P_IPV6};
use super::skb_change::{headroom, set_packet, set_protocol, skb};
use super::HelperDef;
use crate::packet::{PacketPlace, Pointers, SkbMeta, BPF_SKB_MAX_LEN};
use ebee_abi::errno::{EALREADY, EFAULT, EINVAL, ENOMEM, ENOTSUPP};
use ebee_vm::{HelperEnv, HelperError};

use ebee_abi::flags::{
    BPF_ADJ_ROOM_ENCAP_L2_MASK, BPF_ADJ_ROOM_ENCAP_L2_SHIFT as ENCAP_L2_SHIFT,
    BPF_ADJ_ROOM_MAC as ADJ_ROOM_MAC, BPF_ADJ_ROOM_NET as ADJ_ROOM_NET,
    BPF_F_ADJ_ROOM_DECAP_L3_IPV4 as DECAP_L3_IPV4, BPF_F_ADJ_ROOM_DECAP_L3_IPV6 as DECAP_L3_IPV6,
    BPF_F_ADJ_ROOM_ENCAP_L2_ETH as ENCAP_L2_ETH, BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 as ENCAP_L3_IPV4,
    BPF_F_ADJ_ROOM_ENCAP_L3_IPV6 as ENCAP_L3_IPV6, BPF_F_ADJ_ROOM_ENCAP_L4_GRE as ENCAP_L4_GRE,
    BPF_F_ADJ_ROOM_ENCAP_L4_UDP as ENCAP_L4_UDP, BPF_F_ADJ_ROOM_FIXED_GSO as FIXED_GSO,
    BPF_F_ADJ_ROOM_NO_CSUM_RESET as NO_CSUM_RESET,
};

/// `BPF_F_ADJ_ROOM_ENCAP_L2(len)`'s bits.
const ENCAP_L2_MASK: u64 = BPF_ADJ_ROOM_ENCAP_L2_MASK << ENCAP_L2_SHIFT;
const ENCAP_L3_MASK: u64 = ENCAP_L3_IPV4 | ENCAP_L3_IPV6;
const DECAP_L3_MASK: u64 = DECAP_L3_IPV4 | DECAP_L3_IPV6;
/// `BPF_F_ADJ_ROOM_MASK | BPF_F_ADJ_ROOM_NO_CSUM_RESET`.
const FLAGS: u64 = FIXED_GSO
    | ENCAP_L3_MASK
    | ENCAP_L4_GRE
    | ENCAP_L4_UDP
    | ENCAP_L2_ETH
    | ENCAP_L2_MASK
    | DECAP_L3_MASK
    | NO_CSUM_RESET;

/// `sizeof(struct iphdr)`, `sizeof(struct ipv6hdr)`, `ETH_HLEN`.
const IPV4_HLEN: u32 = 20;
const IPV6_HLEN: u32 = 40;
const ETH_HLEN: u8 = 14;

/// What one adjustment works on: the packet, its pointers, the skb state to change.
struct Room<'p> {
    place: &'p PacketPlace,
    p: Pointers,
    meta: SkbMeta,
    gso: bool,
    protocol: u16,
}

impl Room<'_> {
    /// `bpf_skb_net_hdr_push`: `len` zero bytes at `off` from `data`, the headers before
    /// them moving with `data`.
    fn push(&mut self, env: &mut HelperEnv<'_, '_>, off: u64, len: u64) -> Result<(), HelperError> {
        let head = env.read(self.p.data, off as usize)?;
        self.p.data -= len;
        env.write(self.p.data, &head)?;
        env.write(self.p.data + off, &vec![0; len as usize])?;
        self.meta.mac -= len;
        self.meta.network -= len;
        Ok(())
    }

    /// `bpf_skb_net_hdr_pop`: removes `len` bytes at `off`; `-ENOMEM` past the packet.
    fn pop(
        &mut self,
        env: &mut HelperEnv<'_, '_>,
        off: u64,
        len: u64,
    ) -> Result<bool, HelperError> {
        if off + len > self.p.len() {
            return Ok(false);
        }
        let head = env.read(self.p.data, off as usize)?;
        self.p.data += len;
        env.write(self.p.data, &head)?;
        self.meta.mac += len;
        self.meta.network += len;
        Ok(true)
    }

    /// `bpf_skb_net_grow`: 0 or a negative errno.
    fn grow(
        &mut self,
        env: &mut HelperEnv<'_, '_>,
        off: u64,
        len: u64,
        flags: u64,
    ) -> Result<u64, HelperError> {
        let inner_mac_len = (flags >> ENCAP_L2_SHIFT) as u8;
        let encap = flags & ENCAP_L3_MASK != 0;
        if self.gso {
            return Ok(neg(ENOTSUPP));
        }
        if !headroom(self.place, &self.p, len) {
            return Ok(neg(ENOMEM));
        }
        let mac_len = self.meta.network - self.meta.mac;
        if encap {
            let bad = flags & ENCAP_L3_MASK == ENCAP_L3_MASK
                || flags & (ENCAP_L4_GRE | ENCAP_L4_UDP) == ENCAP_L4_GRE | ENCAP_L4_UDP
                || (flags & ENCAP_L2_ETH != 0 && inner_mac_len < ETH_HLEN);
            if bad {
                return Ok(neg(EINVAL));
            }
            if self.meta.encapsulation {
                return Ok(neg(EALREADY));
            }
            if u64::from(inner_mac_len) > len {
                return Ok(neg(EINVAL));
            }
        }
        self.push(env, off, len)?;
        if encap {
            self.meta.encapsulation = true;
            self.meta.network = self.place.offset(self.p.data) + mac_len;
            match self.protocol {
                ETH_P_IP if flags & ENCAP_L3_IPV6 != 0 => self.protocol = ETH_P_IPV6,
                ETH_P_IPV6 if flags & ENCAP_L3_IPV4 != 0 => self.protocol = ETH_P_IP,
                _ => {}
            }
        }
        Ok(0)
    }

    /// `bpf_skb_net_shrink`: 0 or a negative errno.
    fn shrink(
        &mut self,
        env: &mut HelperEnv<'_, '_>,
        off: u64,
        len: u64,
        flags: u64,
    ) -> Result<u64, HelperError> {
        if flags & !(FIXED_GSO | DECAP_L3_MASK | NO_CSUM_RESET) != 0 {
            return Ok(neg(EINVAL));
        }
        if self.gso {
            return Ok(neg(ENOTSUPP));
        }
        if !self.pop(env, off, len)? {
            return Ok(neg(ENOMEM));
        }
        match self.protocol {
            ETH_P_IP if flags & DECAP_L3_IPV6 != 0 => self.protocol = ETH_P_IPV6,
            ETH_P_IPV6 if flags & DECAP_L3_IPV4 != 0 => self.protocol = ETH_P_IP,
            _ => {}
        }
        Ok(0)
    }
}

/// `bpf_skb_adjust_room(skb, len_diff, mode, flags)` (see the module documentation).
fn skb_adjust_room(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let (place, p) = skb(env, "skb_adjust_room")?;
    let (len_diff, mode, flags) = (a[1] as i32, a[2] as u32, a[3]);
    let (len, shrink) = (len_diff.unsigned_abs(), len_diff < 0);
    if flags & !FLAGS != 0 {
        return Ok(neg(EINVAL));
    }
    if len > 0xfff {
        return Ok(neg(EFAULT));
    }
    let proto = protocol(env, &place)?;
    let base_len = match proto {
        ETH_P_IP => IPV4_HLEN,
        ETH_P_IPV6 => IPV6_HLEN,
        _ => return Ok(neg(ENOTSUPP)),
    };
    let mac_len = place.skb.network - place.skb.mac;
    let off = match mode {
        ADJ_ROOM_NET => mac_len + u64::from(base_len),
        ADJ_ROOM_MAC => mac_len,
        _ => return Ok(neg(ENOTSUPP)),
    };
    let mut len_min = base_len;
    if flags & DECAP_L3_MASK != 0 {
        if !shrink {
            return Ok(neg(EINVAL));
        }
        len_min = match flags & DECAP_L3_MASK {
            DECAP_L3_IPV4 => IPV4_HLEN,
            DECAP_L3_IPV6 => IPV6_HLEN,
            _ => return Ok(neg(EINVAL)),
        };
    }
    let skb_len = ctx_u32(env, &place, "len")?;
    let gso = ctx_u32(env, &place, "gso_size")? != 0;
    let network_offset = place.at(place.skb.network).wrapping_sub(p.data) as u32;
    let len_cur = skb_len.wrapping_sub(network_offset);
    let refused = if shrink {
        len >= len_cur || len_cur - len < len_min
    } else {
        u64::from(skb_len) + u64::from(len) > BPF_SKB_MAX_LEN as u64 && !gso
    };
    if refused {
        return Ok(neg(ENOTSUPP));
    }
    let mut room = Room {
        place: &place,
        p,
        meta: place.skb,
        gso,
        protocol: proto,
    };
    let result = match shrink {
        true => room.shrink(env, off, u64::from(len), flags)?,
        false => room.grow(env, off, u64::from(len), flags)?,
    };
    if result != 0 {
        return Ok(result);
    }
    if flags & NO_CSUM_RESET == 0 && room.meta.csum_unnecessary {
        // __skb_reset_checksum_unnecessary.
        room.meta.csum_unnecessary = false;
        room.meta.csum_level = 0;
    }
    if room.protocol != proto {
        set_protocol(env, &place, room.protocol)?;
    }
    set_packet(env, &place, room.p.data, room.p.data_end, room.meta)?;
    Ok(0)
}

/// `bpf_csum_update(skb, csum)`: `-ENOTSUPP`, ebee's skbs never being `CHECKSUM_COMPLETE`
/// (see the module documentation).
fn csum_update(env: &mut HelperEnv<'_, '_>, _: [u64; 5]) -> Result<u64, HelperError> {
    skb(env, "csum_update")?;
    Ok(neg(ENOTSUPP))
}

pub(crate) const HELPERS: &[HelperDef] = &[
    HelperDef::new(40, csum_update),
    HelperDef::new(50, skb_adjust_room),
];
