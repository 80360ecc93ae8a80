//! ebee's flow hash for `bpf_get_hash_recalc`: the fields the kernel's flow dissector feeds
//! `__flow_hash_from_keys` (network protocol, IP protocol, addresses, ports of TCP, UDP,
//! UDP-Lite, SCTP and DCCP when the packet is not a fragment), ordered like
//! `__flow_hash_consistentify` so that both directions of a flow hash the same, hashed with
//! `jhash2` and seed 0 (the kernel's seed is random per boot), 0 replaced by 1.

/// Bytes of the network and transport headers the hash may look at (IPv6 + ports).
pub(super) const HEADER_BYTES: usize = 44;

/// What the hash takes from a network header: IP protocol, source and destination
/// addresses, and the ports (the transport header's first 4 bytes) when there are any.
type Fields<'a> = (u8, &'a [u8], &'a [u8], Option<&'a [u8]>);

/// Transport protocols whose first 4 bytes are the ports.
const PORT_PROTOCOLS: [u8; 5] = [6, 17, 33, 132, 136];

/// The flow hash of a packet with network protocol `protocol` (`skb->protocol`, as its
/// bytes) whose network header starts with `headers`.
pub(super) fn flow_hash(protocol: [u8; 2], headers: &[u8]) -> u32 {
    let mut words = Vec::with_capacity(10);
    let mut ip_proto = 0u8;
    let fields = match protocol {
        [0x08, 0x00] => ipv4(headers),
        [0x86, 0xdd] => ipv6(headers),
        _ => None,
    };
    if let Some((proto, mut src, mut dst, ports)) = fields {
        ip_proto = proto;
        let (mut sport, mut dport) = ports.map_or((0, 0), |p| {
            (
                u16::from_ne_bytes([p[0], p[1]]),
                u16::from_ne_bytes([p[2], p[3]]),
            )
        });
        if dst < src || (dst == src && dport < sport) {
            std::mem::swap(&mut src, &mut dst);
            std::mem::swap(&mut sport, &mut dport);
        }
        words.extend(
            src.chunks_exact(4)
                .chain(dst.chunks_exact(4))
                .map(|w| u32::from_ne_bytes([w[0], w[1], w[2], w[3]])),
        );
        words.push(u32::from(sport) | u32::from(dport) << 16);
    }
    words.push(u32::from(u16::from_ne_bytes(protocol)) | u32::from(ip_proto) << 16);
    match jhash2(&words, 0) {
        0 => 1,
        hash => hash,
    }
}

/// `(protocol, source, destination, ports)` of an IPv4 header.
fn ipv4(h: &[u8]) -> Option<Fields<'_>> {
    let ihl = usize::from(*h.first()? & 0xf) * 4;
    if h.len() < 20 || ihl < 20 {
        return None;
    }
    let fragment = u16::from_be_bytes([h[6], h[7]]) & 0x3fff != 0;
    let ports = (!fragment && PORT_PROTOCOLS.contains(&h[9]))
        .then(|| h.get(ihl..ihl + 4))
        .flatten();
    Some((h[9], &h[12..16], &h[16..20], ports))
}

/// `(next header, source, destination, ports)` of an IPv6 header (no extension headers).
fn ipv6(h: &[u8]) -> Option<Fields<'_>> {
    if h.len() < 40 {
        return None;
    }
    let ports = PORT_PROTOCOLS
        .contains(&h[6])
        .then(|| h.get(40..44))
        .flatten();
    Some((h[6], &h[8..24], &h[24..40], ports))
}

/// Bob Jenkins' lookup3 `jhash2` over 32-bit words, as `include/linux/jhash.h` has it.
fn jhash2(words: &[u32], initval: u32) -> u32 {
    fn rol(x: u32, k: u32) -> u32 {
        x.rotate_left(k)
    }
    let init = 0xdead_beef_u32
        .wrapping_add((words.len() as u32) << 2)
        .wrapping_add(initval);
    let (mut a, mut b, mut c) = (init, init, init);
    let mut k = words;
    while k.len() > 3 {
        a = a.wrapping_add(k[0]);
        b = b.wrapping_add(k[1]);
        c = c.wrapping_add(k[2]);
        // __jhash_mix
        a = a.wrapping_sub(c) ^ rol(c, 4);
        c = c.wrapping_add(b);
        b = b.wrapping_sub(a) ^ rol(a, 6);
        a = a.wrapping_add(c);
        c = c.wrapping_sub(b) ^ rol(b, 8);
        b = b.wrapping_add(a);
        a = a.wrapping_sub(c) ^ rol(c, 16);
        c = c.wrapping_add(b);
        b = b.wrapping_sub(a) ^ rol(a, 19);
        a = a.wrapping_add(c);
        c = c.wrapping_sub(b) ^ rol(b, 4);
        b = b.wrapping_add(a);
        k = &k[3..];
    }
    if k.is_empty() {
        return c;
    }
    a = a.wrapping_add(k[0]);
    if let Some(&w) = k.get(1) {
        b = b.wrapping_add(w);
    }
    if let Some(&w) = k.get(2) {
        c = c.wrapping_add(w);
    }
    // __jhash_final
    c = (c ^ b).wrapping_sub(rol(b, 14));
    a = (a ^ c).wrapping_sub(rol(c, 11));
    b = (b ^ a).wrapping_sub(rol(a, 25));
    c = (c ^ b).wrapping_sub(rol(b, 16));
    a = (a ^ c).wrapping_sub(rol(c, 4));
    b = (b ^ a).wrapping_sub(rol(a, 14));
    (c ^ b).wrapping_sub(rol(b, 24))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jhash2_matches_lookup3() {
        // hashword() of lookup3.c: the empty key gives the initial value.
        assert_eq!(jhash2(&[], 0), 0xdead_beef);
        assert_eq!(jhash2(&[], 1), 0xdead_bef0);
        assert_ne!(jhash2(&[1, 2, 3, 4], 0), jhash2(&[1, 2, 3, 5], 0));
    }

    #[test]
    fn both_directions_hash_the_same() {
        let mut forward = vec![0u8; 44];
        forward[0] = 0x45;
        forward[9] = 6;
        forward[12..16].copy_from_slice(&[10, 0, 0, 1]);
        forward[16..20].copy_from_slice(&[10, 0, 0, 2]);
        forward[20..24].copy_from_slice(&[0x30, 0x39, 0x00, 0x50]);
        let mut reverse = forward.clone();
        reverse[12..16].copy_from_slice(&[10, 0, 0, 2]);
        reverse[16..20].copy_from_slice(&[10, 0, 0, 1]);
        reverse[20..24].copy_from_slice(&[0x00, 0x50, 0x30, 0x39]);
        let h = flow_hash([0x08, 0x00], &forward);
        assert_eq!(h, flow_hash([0x08, 0x00], &reverse));
        forward[23] = 0x51;
        assert_ne!(h, flow_hash([0x08, 0x00], &forward));
        assert_ne!(flow_hash([0x08, 0x06], &[]), 0);
    }
}
