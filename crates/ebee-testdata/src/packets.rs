//! The deterministic traffic generator behind [`mixed_traffic`].
//!
//! Frames are built from small address/port pools (the `*_POOL` constants) so that
//! filter rules naming pool members hit some packets and miss others. Well-formed
//! frames are built with [`etherparse`]: it computes the IPv4 header checksum, the
//! TCP/UDP/ICMP/ICMPv6 checksums over the right pseudo-headers, and the length and
//! next-header fields through IPv4 options and IPv6 extension chains, which a hand
//! rolled builder would have to get right case by case. The link layer (Ethernet,
//! 802.1Q, QinQ) is written here: it has no checksum and is a few fixed bytes.

use crate::pools::Rng;
pub use crate::pools::{BROADCAST_MAC, IPV4_POOL, IPV6_POOL, MAC_POOL, PORT_POOL};

use etherparse::{
    ArpEthIpv4Packet, ArpOperation, ArpPacket, IpFragOffset, IpHeaders, IpNumber, Ipv4Extensions,
    Ipv4Header, Ipv4Options, Ipv6Extensions, Ipv6FragmentHeader, Ipv6Header, Ipv6RawExtHeader,
    Ipv6RoutingExtensions, PacketBuilder, TcpHeader, TcpOptionElement,
};

/// VLAN identifiers of tagged frames.
const VLAN_IDS: [u16; 4] = [10, 20, 100, 4094];

/// Ethernet frames shorter than this (without FCS) are padded with zeros, as on a wire.
pub const MIN_FRAME: usize = 60;

/// `BPF_PROG_TEST_RUN` rejects XDP input shorter than an Ethernet header, so even
/// truncated frames keep at least this many bytes.
pub const ETH_HLEN: usize = 14;

const ETH_P_IPV4: u16 = 0x0800;
const ETH_P_ARP: u16 = 0x0806;
const ETH_P_8021Q: u16 = 0x8100;
const ETH_P_8021AD: u16 = 0x88a8;
const ETH_P_IPV6: u16 = 0x86dd;
const ETH_P_LLDP: u16 = 0x88cc;

/// Link-layer tagging of a frame.
#[derive(Clone, Copy)]
enum Tags {
    None,
    Vlan(u16),
    QinQ(u16, u16),
}

impl Tags {
    fn len(self) -> usize {
        match self {
            Tags::None => ETH_HLEN,
            Tags::Vlan(_) => ETH_HLEN + 4,
            Tags::QinQ(..) => ETH_HLEN + 8,
        }
    }
}

/// Ethernet header (+ tags) for `ethertype`, then `payload`.
fn ethernet(dst: [u8; 6], src: [u8; 6], tags: Tags, ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(tags.len() + payload.len() + 4);
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    let tag = |f: &mut Vec<u8>, tpid: u16, vid: u16| {
        f.extend_from_slice(&tpid.to_be_bytes());
        f.extend_from_slice(&(vid & 0x0fff).to_be_bytes());
    };
    match tags {
        Tags::None => {}
        Tags::Vlan(vid) => tag(&mut f, ETH_P_8021Q, vid),
        Tags::QinQ(outer, inner) => {
            tag(&mut f, ETH_P_8021AD, outer);
            tag(&mut f, ETH_P_8021Q, inner);
        }
    }
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    if f.len() < MIN_FRAME {
        f.resize(MIN_FRAME, 0);
    }
    f
}

/// What sits on top of IP.
#[derive(Clone, Copy, PartialEq)]
enum L4 {
    Tcp,
    Udp,
    Icmp,
}

fn ipv4_headers(rng: &mut Rng) -> Option<IpHeaders> {
    let mut ip = Ipv4Header::new(0, 64, IpNumber::TCP, rng.ipv4(), rng.ipv4()).ok()?;
    ip.identification = rng.u16();
    ip.dont_fragment = rng.percent(50);
    if rng.percent(12) {
        let options: &[u8] = match rng.below(3) {
            0 => &[0x94, 0x04, 0x00, 0x00], // router alert
            1 => &[0x01, 0x01, 0x01, 0x00], // NOPs, end of list
            _ => &[0x07, 0x07, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00], // record route
        };
        ip.options = Ipv4Options::try_from(options).ok()?;
    }
    if rng.percent(5) {
        // The first fragment of a larger datagram: headers are all there.
        ip.dont_fragment = false;
        ip.more_fragments = true;
    }
    Some(IpHeaders::Ipv4(ip, Ipv4Extensions::default()))
}

fn ipv6_headers(rng: &mut Rng) -> Option<IpHeaders> {
    let ip = Ipv6Header {
        traffic_class: 0,
        flow_label: Default::default(),
        payload_length: 0,
        next_header: IpNumber::TCP,
        hop_limit: 64,
        source: rng.ipv6(),
        destination: rng.ipv6(),
    };
    let mut exts = Ipv6Extensions::default();
    if rng.percent(20) {
        // PadN options; etherparse links the next-header fields when writing.
        let pad = [0x01, 0x04, 0, 0, 0, 0];
        let routing = [253, 0, 0, 0, 0, 0]; // experimental type, no segments left
        match rng.below(5) {
            0 => {
                exts.hop_by_hop_options = Some(Ipv6RawExtHeader::new_raw(IpNumber::TCP, &pad).ok()?)
            }
            1 => {
                exts.destination_options =
                    Some(Ipv6RawExtHeader::new_raw(IpNumber::TCP, &pad).ok()?)
            }
            2 => {
                exts.routing = Some(Ipv6RoutingExtensions {
                    routing: Ipv6RawExtHeader::new_raw(IpNumber::TCP, &routing).ok()?,
                    final_destination_options: None,
                })
            }
            3 => {
                exts.fragment = Some(Ipv6FragmentHeader::new(
                    IpNumber::TCP,
                    IpFragOffset::ZERO,
                    false,
                    rng.u32(),
                ))
            }
            _ => {
                exts.hop_by_hop_options =
                    Some(Ipv6RawExtHeader::new_raw(IpNumber::TCP, &pad).ok()?);
                exts.destination_options =
                    Some(Ipv6RawExtHeader::new_raw(IpNumber::TCP, &pad).ok()?);
                exts.fragment = Some(Ipv6FragmentHeader::new(
                    IpNumber::TCP,
                    IpFragOffset::ZERO,
                    false,
                    rng.u32(),
                ));
            }
        }
    }
    Some(IpHeaders::Ipv6(ip, exts))
}

/// IP header(s), transport header and payload, all checksums correct.
fn ip_packet(rng: &mut Rng, v6: bool, l4: L4) -> Option<Vec<u8>> {
    let ip = if v6 {
        ipv6_headers(rng)?
    } else {
        ipv4_headers(rng)?
    };
    let dst_for_ndp = rng.ipv6();
    let builder = PacketBuilder::ip(ip);
    let payload_len = rng.below(48);
    let payload = rng.bytes(payload_len);
    let mut out = Vec::new();
    let (sport, dport) = rng.ports();
    match l4 {
        L4::Tcp => {
            let mut tcp = TcpHeader::new(sport, dport, rng.u32(), 64240);
            match rng.below(4) {
                0 => tcp.syn = true,
                1 => {
                    tcp.syn = true;
                    tcp.ack = true;
                    tcp.acknowledgment_number = rng.u32();
                }
                2 => {
                    tcp.psh = true;
                    tcp.ack = true;
                    tcp.acknowledgment_number = rng.u32();
                }
                _ => {
                    tcp.fin = true;
                    tcp.ack = true;
                }
            }
            if tcp.syn && rng.percent(70) {
                let options = [
                    TcpOptionElement::MaximumSegmentSize(1460),
                    TcpOptionElement::Noop,
                    TcpOptionElement::WindowScale(7),
                ];
                tcp.set_options(&options).ok()?;
            }
            builder.tcp_header(tcp).write(&mut out, &payload).ok()?;
        }
        L4::Udp => builder.udp(sport, dport).write(&mut out, &payload).ok()?,
        L4::Icmp if v6 => {
            let (kind, id, seq) = (rng.below(4), rng.u16(), rng.u16());
            let step = match kind {
                0 => builder.icmpv6_echo_request(id, seq),
                1 => builder.icmpv6_echo_reply(id, seq),
                // Neighbour solicitation (135) / advertisement (136): the target
                // address is the body.
                2 => builder.icmpv6_raw(135, 0, [0; 4]),
                _ => builder.icmpv6_raw(136, 0, [0x60, 0, 0, 0]),
            };
            let body = if kind >= 2 {
                dst_for_ndp.to_vec()
            } else {
                payload
            };
            step.write(&mut out, &body).ok()?;
        }
        L4::Icmp => {
            let (id, seq) = (rng.u16(), rng.u16());
            let step = if rng.percent(50) {
                builder.icmpv4_echo_request(id, seq)
            } else {
                builder.icmpv4_echo_reply(id, seq)
            };
            step.write(&mut out, &payload).ok()?;
        }
    }
    Some(out)
}

/// An IPv4 fragment other than the first: no transport header, arbitrary bytes.
fn ipv4_later_fragment(rng: &mut Rng) -> Option<Vec<u8>> {
    let payload_len = 8 + rng.below(40);
    let payload = rng.bytes(payload_len);
    let mut ip = Ipv4Header::new(0, 64, IpNumber::UDP, rng.ipv4(), rng.ipv4()).ok()?;
    ip.dont_fragment = false;
    ip.more_fragments = rng.percent(50);
    ip.fragment_offset = IpFragOffset::try_new(1 + rng.below(400) as u16).ok()?;
    ip.identification = rng.u16();
    ip.set_payload_len(payload.len()).ok()?;
    ip.header_checksum = ip.calc_header_checksum();
    let mut out = ip.to_bytes().to_vec();
    out.extend_from_slice(&payload);
    Some(out)
}

fn arp(rng: &mut Rng, src_mac: [u8; 6]) -> Vec<u8> {
    let request = rng.percent(60);
    let packet = ArpEthIpv4Packet {
        operation: if request {
            ArpOperation::REQUEST
        } else {
            ArpOperation::REPLY
        },
        sender_mac: src_mac,
        sender_ipv4: rng.ipv4(),
        target_mac: if request { [0; 6] } else { rng.mac() },
        target_ipv4: rng.ipv4(),
    };
    ArpPacket::from(packet).to_bytes().to_vec()
}

/// Damages a well-formed frame whose network header starts at `l3`.
fn malform(rng: &mut Rng, mut f: Vec<u8>, l3: usize, v6: bool) -> Vec<u8> {
    let l4 = if v6 {
        l3 + 40
    } else {
        l3 + 4 * usize::from(f.get(l3).map_or(5, |b| b & 0x0f))
    };
    match rng.below(6) {
        // Cut anywhere after the Ethernet header.
        0 | 1 => {
            let end = ETH_HLEN + rng.below(f.len().saturating_sub(ETH_HLEN));
            f.truncate(end.max(ETH_HLEN));
        }
        // IPv4 IHL pointing past the end, or below the minimum of 5.
        2 if !v6 => {
            if let Some(b) = f.get_mut(l3) {
                *b = if rng.percent(50) {
                    0x4f
                } else {
                    0x40 | rng.below(5) as u8
                };
            }
        }
        // Wrong IP version in the first nibble.
        2 => {
            if let Some(b) = f.get_mut(l3) {
                *b = 0x40 | (*b & 0x0f);
            }
        }
        // TCP data offset past the end or below 5 (UDP/ICMP: scribbles the header).
        3 => {
            if let Some(b) = f.get_mut(l4 + 12) {
                *b = if rng.percent(50) {
                    0xf0
                } else {
                    (rng.below(5) as u8) << 4
                };
            }
        }
        // The transport header cut short.
        4 => f.truncate((l4 + rng.below(8)).max(ETH_HLEN)),
        // Random bytes after the network header's start.
        _ => {
            let len = f.len();
            if let Some(tail) = f.get_mut(l3..len) {
                let noise = rng.bytes(tail.len());
                tail.copy_from_slice(&noise);
            }
        }
    }
    f
}

/// One frame and whether it is well-formed (every header complete and consistent,
/// checksums correct); `None` only if etherparse refused a header (never for the
/// values used).
fn frame(rng: &mut Rng) -> Option<(Vec<u8>, bool)> {
    let src = rng.mac();
    let mut dst = rng.mac();
    if dst == src {
        dst = rng.mac();
    }
    let tags = match rng.below(100) {
        0..=69 => Tags::None,
        70..=91 => Tags::Vlan(rng.pick(&VLAN_IDS, 10)),
        _ => Tags::QinQ(rng.pick(&VLAN_IDS, 10), rng.pick(&VLAN_IDS, 20)),
    };
    let kind = rng.below(100);
    let (v6, l4) = match kind {
        0..=27 => (false, L4::Tcp),
        28..=45 => (false, L4::Udp),
        46..=50 => (false, L4::Icmp),
        51..=64 => (true, L4::Tcp),
        65..=75 => (true, L4::Udp),
        76..=80 => (true, L4::Icmp),
        81..=84 => {
            let dst = if rng.percent(60) { BROADCAST_MAC } else { dst };
            return Some((ethernet(dst, src, tags, ETH_P_ARP, &arp(rng, src)), true));
        }
        85..=86 => {
            let body = rng.bytes(46);
            return Some((ethernet(dst, src, tags, ETH_P_LLDP, &body), true));
        }
        87..=88 => {
            let body = ipv4_later_fragment(rng)?;
            return Some((ethernet(dst, src, tags, ETH_P_IPV4, &body), true));
        }
        89 => {
            // A VLAN tag announced but cut off.
            let mut f = ethernet(dst, src, Tags::None, ETH_P_8021Q, &[]);
            f.truncate(ETH_HLEN + rng.below(4));
            return Some((f, false));
        }
        _ => {
            let v6 = rng.percent(40);
            let l4 = rng.pick(&[L4::Tcp, L4::Tcp, L4::Udp, L4::Icmp], L4::Tcp);
            let body = ip_packet(rng, v6, l4)?;
            let ethertype = if v6 { ETH_P_IPV6 } else { ETH_P_IPV4 };
            let f = ethernet(dst, src, tags, ethertype, &body);
            return Some((malform(rng, f, tags.len(), v6), false));
        }
    };
    let body = ip_packet(rng, v6, l4)?;
    let ethertype = if v6 { ETH_P_IPV6 } else { ETH_P_IPV4 };
    Some((ethernet(dst, src, tags, ethertype, &body), true))
}

/// `count` Ethernet frames of mixed traffic, the same for the same `seed`.
///
/// About 28% IPv4/TCP, 18% IPv4/UDP, 5% ICMP, 14% IPv6/TCP, 11% IPv6/UDP, 5%
/// ICMPv6 (echo, neighbour solicitation/advertisement), 4% ARP, 2% LLDP, 2%
/// non-first IPv4 fragments, 1% cut-off VLAN tags and 10% malformed frames
/// (truncated, bad IHL/version/TCP data offset, noise). 22% of frames carry an
/// 802.1Q tag and 8% two tags (802.1ad outer, QinQ); 12% of IPv4 headers carry
/// options and 20% of IPv6 headers extension headers (hop-by-hop, destination
/// options, routing, fragment). Addresses and ports come mostly from
/// [`MAC_POOL`], [`IPV4_POOL`], [`IPV6_POOL`] and [`PORT_POOL`].
///
/// Well-formed frames have correct checksums and are padded to [`MIN_FRAME`] bytes;
/// every frame is at least [`ETH_HLEN`] bytes (what `BPF_PROG_TEST_RUN` accepts)
/// and at most a few hundred.
///
/// # Example
///
/// ```
/// let a = ebee_testdata::mixed_traffic(7, 100);
/// assert_eq!(a.len(), 100);
/// assert_eq!(a, ebee_testdata::mixed_traffic(7, 100));
/// assert!(a.iter().all(|f| f.len() >= 14));
/// ```
pub fn mixed_traffic(seed: u64, count: usize) -> Vec<Vec<u8>> {
    labelled_traffic(seed, count)
        .into_iter()
        .map(|(f, _)| f)
        .collect()
}

/// [`mixed_traffic`] with each frame's well-formedness (for this crate's tests).
pub(crate) fn labelled_traffic(seed: u64, count: usize) -> Vec<(Vec<u8>, bool)> {
    let mut rng = Rng(seed);
    (0..count)
        .map(|_| {
            // etherparse refuses none of the values used here; should it ever, a
            // zero frame keeps the count and determinism instead of panicking.
            frame(&mut rng).unwrap_or_else(|| (vec![0; MIN_FRAME], false))
        })
        .collect()
}

#[cfg(test)]
#[path = "packets_tests.rs"]
mod tests;
