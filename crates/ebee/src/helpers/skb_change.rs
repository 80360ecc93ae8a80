//! skb helpers that change the packet's length or headers (TC; `change_tail`/`change_head`
//! also for lwt_xmit and sk_skb), with the semantics of
//! `net/core/filter.c` and `net/core/skbuff.c` on the test run's linear, uncloned,
//! `CHECKSUM_NONE` skb: `skb_change_tail` (38), `skb_change_head` (43), `skb_vlan_push`
//! (18), `skb_vlan_pop` (19) and `skb_change_proto` (31).
//!
//! Besides the packet bytes they move `data`/`data_end`, `skb->len` (the context's `len`),
//! the MAC and network headers and `mac_len` ([`crate::packet::SkbMeta`]), the hardware VLAN
//! tag (the context's `vlan_present`, `vlan_tci`, `vlan_proto`) and `skb->protocol`.
//! Where the kernel reallocates the head or tail (`skb_cow`, `pskb_expand_head`), ebee's
//! buffer already has the room, up to [`crate::packet::SKB_EXTRA_ROOM`] beyond what `BPF_SKB_MAX_LEN`
//! needs; past it the helpers fail with `-ENOMEM` as a failed reallocation would (the kernel
//! may still succeed there: only repeated `skb_vlan_push`es or a GSO skb's `change_head`
//! grow a packet that far).

use super::probe::neg;
use super::skb::{ctx_u32, is_vlan, protocol, set_ctx_u32, ETH_P_8021AD, ETH_P_8021Q};
use super::skb::{ETH_P_IP, ETH_P_IPV6};
use super::HelperDef;
use crate::packet::{PacketPlace, Pointers, SkbMeta, BPF_SKB_MAX_LEN, ETH_HLEN, TAILROOM};
use crate::program_type::PacketContext;
use ebee_vm::{HelperEnv, HelperError};

/// `VLAN_HLEN`.
const VLAN_HLEN: u64 = 4;
/// The kernel's internal `ENOTSUPP` (524), which `skb_change_proto` returns for other
/// translations.
const ENOTSUPP: i32 = 524;

/// The skb of the running TC program and its pointers.
pub(crate) fn skb(
    env: &HelperEnv<'_, '_>,
    helper: &str,
) -> Result<(PacketPlace, Pointers), HelperError> {
    let place = PacketPlace::of(env, helper)?;
    if !matches!(place.spec.packet, PacketContext::Skb { .. }) {
        return Err(format!("bpf_{helper} needs an __sk_buff context").into());
    }
    Ok((place, place.pointers(env)?))
}

/// Whether `bytes` more may be pushed before `data` (the kernel would reallocate the head;
/// ebee has room up to the start of its buffer).
pub(crate) fn headroom(place: &PacketPlace, p: &Pointers, bytes: u64) -> bool {
    p.data - place.buffer_start >= bytes
}

/// Stores the new packet pointers (no metadata: `data_meta` is `data`), `skb->len` and the
/// state beyond the context.
pub(crate) fn set_packet(
    env: &mut HelperEnv<'_, '_>,
    place: &PacketPlace,
    data: u64,
    data_end: u64,
    meta: SkbMeta,
) -> Result<(), HelperError> {
    place.set_pointers(
        env,
        Pointers {
            data,
            data_end,
            data_meta: data,
        },
    )?;
    set_ctx_u32(env, place, "len", (data_end - data) as u32)?;
    PacketPlace::set_skb(env, meta);
    Ok(())
}

/// `skb_gso_reset` after a length change: a GSO skb (the context gave a `gso_size`) loses
/// its GSO size and segment count.
fn gso_reset(env: &mut HelperEnv<'_, '_>, place: &PacketPlace) -> Result<(), HelperError> {
    if ctx_u32(env, place, "gso_size")? != 0 {
        set_ctx_u32(env, place, "gso_size", 0)?;
        set_ctx_u32(env, place, "gso_segs", 0)?;
    }
    Ok(())
}

/// `bpf_skb_change_tail(skb, len, flags)`: trims or grows (zero-filled) the packet to `len`
/// bytes. `-EINVAL` for flags, a length above `BPF_SKB_MAX_LEN` or one that would cut into
/// the MAC header (`__bpf_skb_min_len`: the network header's offset from `data`).
fn skb_change_tail(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let (place, p) = skb(env, "skb_change_tail")?;
    let (new_len, flags) = (u64::from(a[1] as u32), a[2]);
    let min_len = place.at(place.skb.network).saturating_sub(p.data);
    if flags != 0 || new_len > BPF_SKB_MAX_LEN as u64 || new_len < min_len {
        return Ok(neg(libc::EINVAL));
    }
    let data_end = p.data + new_len;
    if data_end > place.buffer_end - TAILROOM as u64 {
        return Ok(neg(libc::ENOMEM));
    }
    if data_end > p.data_end {
        env.write(p.data_end, &vec![0; (data_end - p.data_end) as usize])?;
    }
    set_packet(env, &place, p.data, data_end, place.skb)?;
    gso_reset(env, &place)?;
    Ok(0)
}

/// `bpf_skb_change_head(skb, len, flags)`: pushes `len` zero bytes before the packet, which
/// become the MAC header (`mac_len` up to the network header, which stays). `-EINVAL` for
/// flags or (without GSO) a resulting length above `BPF_SKB_MAX_LEN`.
fn skb_change_head(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let (place, p) = skb(env, "skb_change_head")?;
    let (head_room, flags) = (a[1] as u32, a[2]);
    let new_len = (p.len() as u32).wrapping_add(head_room);
    let gso = ctx_u32(env, &place, "gso_size")? != 0;
    if flags != 0 || (!gso && new_len as usize > BPF_SKB_MAX_LEN) || new_len < p.len() as u32 {
        return Ok(neg(libc::EINVAL));
    }
    let head_room = u64::from(head_room);
    if !headroom(&place, &p, head_room) {
        return Ok(neg(libc::ENOMEM));
    }
    let data = p.data - head_room;
    env.write(data, &vec![0; head_room as usize])?;
    let mut meta = place.skb;
    meta.mac = place.offset(data);
    meta.mac_len = meta.network.saturating_sub(meta.mac);
    set_packet(env, &place, data, p.data_end, meta)?;
    Ok(0)
}

/// The hardware-accelerated VLAN tag: `(vlan_proto as stored, vlan_tci)`, if present.
fn vlan_tag(
    env: &HelperEnv<'_, '_>,
    place: &PacketPlace,
) -> Result<Option<(u16, u16)>, HelperError> {
    let tag = (
        ctx_u32(env, place, "vlan_proto")? as u16,
        ctx_u32(env, place, "vlan_tci")? as u16,
    );
    Ok((tag != (0, 0)).then_some(tag))
}

/// `__vlan_hwaccel_put_tag` / `__vlan_hwaccel_clear_tag`.
fn set_vlan_tag(
    env: &mut HelperEnv<'_, '_>,
    place: &PacketPlace,
    tag: Option<(u16, u16)>,
) -> Result<(), HelperError> {
    let (proto, tci) = tag.unwrap_or((0, 0));
    set_ctx_u32(env, place, "vlan_present", u32::from(tag.is_some()))?;
    set_ctx_u32(env, place, "vlan_proto", u32::from(proto))?;
    set_ctx_u32(env, place, "vlan_tci", u32::from(tci))
}

/// Stores `skb->protocol` (host order).
pub(crate) fn set_protocol(
    env: &mut HelperEnv<'_, '_>,
    place: &PacketPlace,
    ethertype: u16,
) -> Result<(), HelperError> {
    let stored = u16::from_ne_bytes(ethertype.to_be_bytes());
    set_ctx_u32(env, place, "protocol", u32::from(stored))
}

/// `bpf_skb_vlan_push(skb, proto, tci)`: the tag becomes the skb's hardware VLAN tag
/// (`proto` other than 802.1Q and 802.1AD is taken as 802.1Q); a tag already there is first
/// written into the packet after the MAC addresses (`__vlan_insert_tag`), which then has that
/// tag's protocol. Errors of the insertion: `-EINVAL` when `data` is not at the MAC header or
/// the packet is shorter than an Ethernet header, `-ENOMEM` without headroom.
fn skb_vlan_push(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let (place, p) = skb(env, "skb_vlan_push")?;
    let requested = u16::from_be_bytes((a[1] as u16).to_ne_bytes());
    let proto = if matches!(requested, ETH_P_8021Q | ETH_P_8021AD) {
        requested
    } else {
        ETH_P_8021Q
    };
    let tci = a[2] as u16;
    let mut meta = place.skb;
    let mut data = p.data;
    let mut result = 0;
    if let Some((old_proto, old_tci)) = vlan_tag(env, &place)? {
        if p.data != place.at(meta.mac) || p.len() < ETH_HLEN as u64 {
            result = neg(libc::EINVAL);
        } else if !headroom(&place, &p, VLAN_HLEN) {
            result = neg(libc::ENOMEM);
        } else {
            let addresses = env.read(p.data, 12)?;
            data = p.data - VLAN_HLEN;
            env.write(data, &addresses)?;
            env.write(data + 12, &old_proto.to_ne_bytes())?;
            env.write(data + 14, &old_tci.to_be_bytes())?;
            meta.mac -= VLAN_HLEN;
            meta.network -= VLAN_HLEN;
            set_ctx_u32(env, &place, "protocol", u32::from(old_proto))?;
        }
    }
    if result == 0 {
        let stored = u16::from_ne_bytes(proto.to_be_bytes());
        set_vlan_tag(env, &place, Some((stored, tci)))?;
    }
    meta.mac_len = meta.network.saturating_sub(meta.mac);
    set_packet(env, &place, data, p.data_end, meta)?;
    Ok(result)
}

/// `__skb_vlan_pop`: removes the VLAN header after the MAC addresses, sets `skb->protocol`
/// to what it encapsulated (`vlan_set_encap_proto`) and returns its TCI; `-EINVAL` when
/// `data` is not at the MAC header, `-ENOMEM` for a packet shorter than a VLAN Ethernet
/// header.
fn vlan_pop_payload(
    env: &mut HelperEnv<'_, '_>,
    place: &PacketPlace,
    data: &mut u64,
    data_end: u64,
    meta: &mut SkbMeta,
) -> Result<Result<u16, u64>, HelperError> {
    if *data != place.at(meta.mac) {
        return Ok(Err(neg(libc::EINVAL)));
    }
    if data_end - *data < ETH_HLEN as u64 + VLAN_HLEN {
        return Ok(Err(neg(libc::ENOMEM)));
    }
    let header = env.read(*data, 20)?;
    let tci = u16::from_be_bytes([header[14], header[15]]);
    let inner = u16::from_be_bytes([header[16], header[17]]);
    let ethertype = if inner >= 0x600 {
        inner
    } else if header[18..20] == [0xff, 0xff] {
        0x0001 // ETH_P_802_3
    } else {
        0x0004 // ETH_P_802_2
    };
    set_protocol(env, place, ethertype)?;
    env.write(*data + VLAN_HLEN, &header[..12])?;
    *data += VLAN_HLEN;
    meta.mac += VLAN_HLEN;
    if meta.network < place.offset(*data) + ETH_HLEN as u64 {
        meta.network = place.offset(*data) + ETH_HLEN as u64;
    }
    meta.mac_len = meta.network.saturating_sub(meta.mac);
    Ok(Ok(tci))
}

/// `bpf_skb_vlan_pop(skb)`: clears the hardware VLAN tag, or without one removes the VLAN
/// header of an 802.1Q/AD packet; a VLAN header under it then becomes the hardware tag. 0
/// for a packet without VLAN tags; errors of `__skb_vlan_pop`.
fn skb_vlan_pop(env: &mut HelperEnv<'_, '_>, _: [u64; 5]) -> Result<u64, HelperError> {
    let (place, p) = skb(env, "skb_vlan_pop")?;
    let mut meta = place.skb;
    let mut data = p.data;
    let mut result = 0;
    if vlan_tag(env, &place)?.is_some() {
        set_vlan_tag(env, &place, None)?;
    } else if is_vlan(protocol(env, &place)?) {
        if let Err(errno) = vlan_pop_payload(env, &place, &mut data, p.data_end, &mut meta)? {
            result = errno;
        }
    } else {
        return Ok(0);
    }
    if result == 0 {
        let proto = protocol(env, &place)?;
        if is_vlan(proto) {
            match vlan_pop_payload(env, &place, &mut data, p.data_end, &mut meta)? {
                Ok(tci) => {
                    let stored = u16::from_ne_bytes(proto.to_be_bytes());
                    set_vlan_tag(env, &place, Some((stored, tci)))?;
                }
                Err(errno) => result = errno,
            }
        }
    }
    set_packet(env, &place, data, p.data_end, meta)?;
    Ok(result)
}

/// `bpf_skb_change_proto(skb, proto, flags)`: IPv4 → IPv6 makes 20 zero bytes of room after
/// the MAC header (`bpf_skb_proto_4_to_6`), IPv6 → IPv4 removes the 20 bytes there
/// (`-ENOMEM` if the packet is shorter); `skb->protocol` changes and the hash is cleared.
/// The program rewrites the header itself. `-EINVAL` for flags, `-ENOTSUPP` (524) for other
/// protocol pairs.
fn skb_change_proto(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let (place, p) = skb(env, "skb_change_proto")?;
    if a[2] != 0 {
        return Ok(neg(libc::EINVAL));
    }
    let to = u16::from_be_bytes((a[1] as u16).to_ne_bytes());
    let from = protocol(env, &place)?;
    const DIFF: u64 = 20;
    let mut meta = place.skb;
    let off = meta.network - meta.mac;
    let data = match (from, to) {
        (ETH_P_IP, ETH_P_IPV6) => {
            if !headroom(&place, &p, DIFF) {
                return Ok(neg(libc::ENOMEM));
            }
            let head = env.read(p.data, off as usize)?;
            let data = p.data - DIFF;
            env.write(data, &head)?;
            env.write(data + off, &[0; DIFF as usize])?;
            meta.mac -= DIFF;
            meta.network -= DIFF;
            data
        }
        (ETH_P_IPV6, ETH_P_IP) => {
            if p.len() < off + DIFF {
                return Ok(neg(libc::ENOMEM));
            }
            let head = env.read(p.data, off as usize)?;
            let data = p.data + DIFF;
            env.write(data, &head)?;
            meta.mac += DIFF;
            meta.network += DIFF;
            data
        }
        _ => return Ok(neg(ENOTSUPP)),
    };
    set_protocol(env, &place, to)?;
    env.write(
        place.ctx + place.spec.offset_of("hash") as u64,
        &0u32.to_ne_bytes(),
    )?;
    meta.hash_set = false;
    set_packet(env, &place, data, p.data_end, meta)?;
    Ok(0)
}

pub(crate) const HELPERS: &[HelperDef] = &[
    HelperDef::new(18, skb_vlan_push),
    HelperDef::new(19, skb_vlan_pop),
    HelperDef::new(31, skb_change_proto),
    HelperDef::new(38, skb_change_tail),
    HelperDef::new(43, skb_change_head),
];
