//! The address and port pools of the generated traffic, and its random numbers.

use std::net::{Ipv4Addr, Ipv6Addr};

/// The source/destination MAC addresses frames use (locally administered unicast).
pub const MAC_POOL: [[u8; 6]; 5] = [
    [0x02, 0, 0, 0, 0, 0x01],
    [0x02, 0, 0, 0, 0, 0x02],
    [0x02, 0, 0, 0, 0, 0x03],
    [0x02, 0, 0, 0, 0, 0x04],
    [0x02, 0, 0, 0, 0, 0x05],
];

/// The broadcast MAC address (ARP requests).
pub const BROADCAST_MAC: [u8; 6] = [0xff; 6];

/// The IPv4 addresses frames mostly use (about 1 in 8 is random instead).
pub const IPV4_POOL: [Ipv4Addr; 6] = [
    Ipv4Addr::new(10, 0, 0, 1),
    Ipv4Addr::new(10, 0, 0, 2),
    Ipv4Addr::new(10, 0, 0, 3),
    Ipv4Addr::new(192, 0, 2, 10),
    Ipv4Addr::new(198, 51, 100, 20),
    Ipv4Addr::new(203, 0, 113, 30),
];

/// The IPv6 addresses frames mostly use (about 1 in 8 is random instead).
pub const IPV6_POOL: [Ipv6Addr; 6] = [
    Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1),
    Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2),
    Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 3),
    Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 0x10),
    Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1),
    Ipv6Addr::new(0x2001, 0xdb8, 0xffff, 0, 0, 0, 0, 0x20),
];

/// The TCP/UDP ports frames mostly use as destination (and sometimes as source);
/// the other ports are random ephemeral ones.
pub const PORT_POOL: [u16; 8] = [22, 53, 80, 123, 443, 5353, 8080, 51820];

/// SplitMix64: tiny, fast, and fixed forever, so a seed always yields the same
/// frames (a crate such as `rand` may change its streams between versions).
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`0` when `n == 0`).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    pub(crate) fn percent(&mut self, p: usize) -> bool {
        self.below(100) < p
    }

    pub(crate) fn pick<T: Copy>(&mut self, items: &[T], fallback: T) -> T {
        items
            .get(self.below(items.len()))
            .copied()
            .unwrap_or(fallback)
    }

    pub(crate) fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }

    pub(crate) fn u16(&mut self) -> u16 {
        self.next() as u16
    }

    pub(crate) fn u32(&mut self) -> u32 {
        self.next() as u32
    }

    pub(crate) fn mac(&mut self) -> [u8; 6] {
        self.pick(&MAC_POOL, MAC_POOL[0])
    }

    pub(crate) fn ipv4(&mut self) -> [u8; 4] {
        if self.percent(12) {
            let mut a = [0u8; 4];
            a.copy_from_slice(&self.bytes(4));
            a
        } else {
            self.pick(&IPV4_POOL, IPV4_POOL[0]).octets()
        }
    }

    pub(crate) fn ipv6(&mut self) -> [u8; 16] {
        if self.percent(12) {
            let mut a = [0u8; 16];
            a.copy_from_slice(&self.bytes(16));
            a
        } else {
            self.pick(&IPV6_POOL, IPV6_POOL[0]).octets()
        }
    }

    /// (source, destination): a client port to a pool port, a pool port answering a
    /// client, or two random ports.
    pub(crate) fn ports(&mut self) -> (u16, u16) {
        let ephemeral = 49152 + self.below(16384) as u16;
        let service = self.pick(&PORT_POOL, 80);
        match self.below(10) {
            0..=5 => (ephemeral, service),
            6..=8 => (service, ephemeral),
            _ => (self.u16(), self.u16()),
        }
    }
}
