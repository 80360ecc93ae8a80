//! The socket fields of `__sk_buff` (`family`, `remote_ip4` … `local_port`), which cgroup_skb
//! and sk_skb programs read through `skb->sk`: in a test run that is the socket
//! `bpf_prog_test_run_skb` makes, whose family and addresses come from the packet (IPv4:
//! `local_ip4` its source, `remote_ip4` its destination; IPv6 likewise) and whose ports are 0.

use super::PacketRun;

/// `AF_INET` and `AF_INET6` (`linux/socket.h`).
const AF_INET: u32 = 2;
const AF_INET6: u32 = 10;

impl PacketRun {
    /// Sets the socket fields for `frame` (from its Ethernet header), whose `skb->protocol`
    /// is `protocol` (the `__be16` as stored). IP frames are long enough for their header
    /// (the test run refuses shorter ones).
    pub(super) fn set_socket_fields(&mut self, frame: &[u8], protocol: u16) {
        let spec = self.spec;
        let (family, addresses) = match u16::from_be_bytes(protocol.to_ne_bytes()) {
            0x0800 => (
                AF_INET,
                [
                    ("local_ip4", &frame[26..30]),
                    ("remote_ip4", &frame[30..34]),
                ],
            ),
            0x86dd => (
                AF_INET6,
                [
                    ("local_ip6", &frame[22..38]),
                    ("remote_ip6", &frame[38..54]),
                ],
            ),
            _ => return,
        };
        let family_at = spec.offset_of("family");
        let ctx = self.ctx_bytes();
        ctx[family_at..family_at + 4].copy_from_slice(&family.to_ne_bytes());
        for (name, bytes) in addresses {
            let at = spec.offset_of(name);
            ctx[at..at + bytes.len()].copy_from_slice(bytes);
        }
    }
}
