//! cgroup sock_addr programs (`cgroup/bind4`, `connect6`, `sendmsg4`, `recvmsg_unix`, …):
//! `struct bpf_sock_addr`, one spec per attach type ([`SOCK_ADDR`]), after
//! `sock_addr_is_valid_access`:
//!
//! - `user_ip4` belongs to the IPv4 attach types, `user_ip6` to the IPv6 ones, `msg_src_ip4`
//!   to sendmsg4 and `msg_src_ip6` to sendmsg6 (read and written; the unix types have none);
//! - `user_port` is read and written by all; `user_family`, `family`, `type`, `protocol` are
//!   read whole;
//! - addresses and the port may be read in part; the IPv6 addresses also in 8-byte loads and
//!   stores at 8-aligned offsets inside them;
//! - `sk` is the (never NULL) socket, which ebee does not provide: loads of it are refused.
//!
//! Return ranges (`check_return_code`): bind [0, 3], recvmsg, getpeername and getsockname
//! [1, 1], the others [0, 1]. The kernel runs no sock_addr test run; ebee's takes the caller's
//! `bpf_sock_addr` and reports it back as the program left it.

use super::sizes::{ANY, B4, B8, UP_TO_4};
use super::{
    verdict, ContextInput, Fate, Field, FieldKind, PacketContext, ProgramTypeSpec, RunFields,
    Verdict, Who,
};
use ebee_abi::attach_type::*;
use ebee_abi::prog_type::BPF_PROG_TYPE_CGROUP_SOCK_ADDR;

/// Role of the IPv4 attach types (`user_ip4`).
const IP4: u32 = 1;
/// Role of the IPv6 attach types (`user_ip6`).
const IP6: u32 = 2;
/// Role of sendmsg4 (`msg_src_ip4`).
const SEND4: u32 = 4;
/// Role of sendmsg6 (`msg_src_ip6`).
const SEND6: u32 = 8;

/// A 4-byte field read whole and never written.
const fn fixed(name: &'static str, offset: u16) -> Field {
    Field::read_only(name, offset, 4, B4).kernel(2)
}

/// An address of the attach types with `role`, read and written.
const fn address(name: &'static str, offset: u16, size: u16, role: u32) -> Field {
    let (reads, writes) = if size == 4 {
        (UP_TO_4, B4)
    } else {
        (ANY, B4 | B8)
    };
    Field::read_only(name, offset, size, reads)
        .readable_by(Who::Only(role))
        .writable(Who::Only(role), writes)
}

const FIELDS: &[Field] = &[
    fixed("user_family", 0),
    address("user_ip4", 4, 4, IP4),
    address("user_ip6", 8, 16, IP6),
    Field::read_only("user_port", 24, 4, UP_TO_4)
        .kernel(2)
        .writable(Who::Everyone, B4),
    fixed("family", 28),
    fixed("type", 32),
    fixed("protocol", 36),
    address("msg_src_ip4", 40, 4, SEND4),
    address("msg_src_ip6", 44, 16, SEND6),
    Field::read_only("sk", 64, 8, B8).kind(FieldKind::Unsupported("sockets")),
];

/// `sock_addr_func_proto` beyond the base for every attach type: get_cgroup_classid,
/// current_task_under_cgroup, get_socket_cookie, get_local_storage, the socket lookups and
/// sk_release, sk_storage, get_netns_cookie, the skc_to_* casts (`COMMON`). The inet types
/// and connect/sendmsg/recvmsg_unix may also call setsockopt/getsockopt (49, 57:
/// `SOCKOPT`); all but recvmsg, getpeername and getsockname get/set_retval (186, 187:
/// `RETVAL`); connect4/6 also bind (64: `CONNECT`).
const COMMON: &[u32] = &[
    17, 37, 46, 81, 84, 85, 86, 99, 107, 108, 122, 136, 137, 138, 139, 140, 178, 196,
];
const SOCKOPT: &[u32] = &[
    17, 37, 46, 49, 57, 81, 84, 85, 86, 99, 107, 108, 122, 136, 137, 138, 139, 140, 178, 196,
];
const RETVAL: &[u32] = &[
    17, 37, 46, 49, 57, 81, 84, 85, 86, 99, 107, 108, 122, 136, 137, 138, 139, 140, 178, 186, 187,
    196,
];
const CONNECT: &[u32] = &[
    17, 37, 46, 49, 57, 64, 81, 84, 85, 86, 99, 107, 108, 122, 136, 137, 138, 139, 140, 178, 186,
    187, 196,
];

const VERDICTS: &[Verdict] = &[
    verdict(0, "reject", Fate::Drop),
    verdict(1, "allow", Fate::Pass),
];

const fn spec(
    attach_type: u32,
    roles: u32,
    helpers: &'static [u32],
    low: u32,
    high: u32,
) -> ProgramTypeSpec {
    ProgramTypeSpec {
        name: "cgroup_sock_addr",
        kernel_type: BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
        attach_type: Some(attach_type),
        ctx_size: 72,
        fields: FIELDS,
        roles,
        packet: PacketContext::NoPacket(ContextInput::Struct),
        legacy_packet_access: false,
        helpers,
        return_range: Some((low, high)),
        verdicts: VERDICTS,
        test_run_input: RunFields::Scalars,
        test_run_output: RunFields::Scalars,
    }
}

/// `BPF_PROG_TYPE_CGROUP_SOCK_ADDR`, one spec per attach type.
pub static SOCK_ADDR: &[ProgramTypeSpec] = &[
    spec(BPF_CGROUP_INET4_BIND, IP4, RETVAL, 0, 3),
    spec(BPF_CGROUP_INET6_BIND, IP6, RETVAL, 0, 3),
    spec(BPF_CGROUP_INET4_CONNECT, IP4, CONNECT, 0, 1),
    spec(BPF_CGROUP_INET6_CONNECT, IP6, CONNECT, 0, 1),
    spec(BPF_CGROUP_UDP4_SENDMSG, IP4 | SEND4, RETVAL, 0, 1),
    spec(BPF_CGROUP_UDP6_SENDMSG, IP6 | SEND6, RETVAL, 0, 1),
    spec(BPF_CGROUP_UDP4_RECVMSG, IP4, SOCKOPT, 1, 1),
    spec(BPF_CGROUP_UDP6_RECVMSG, IP6, SOCKOPT, 1, 1),
    spec(BPF_CGROUP_INET4_GETPEERNAME, IP4, SOCKOPT, 1, 1),
    spec(BPF_CGROUP_INET6_GETPEERNAME, IP6, SOCKOPT, 1, 1),
    spec(BPF_CGROUP_INET4_GETSOCKNAME, IP4, SOCKOPT, 1, 1),
    spec(BPF_CGROUP_INET6_GETSOCKNAME, IP6, SOCKOPT, 1, 1),
    spec(BPF_CGROUP_UNIX_CONNECT, 0, RETVAL, 0, 1),
    spec(BPF_CGROUP_UNIX_SENDMSG, 0, RETVAL, 0, 1),
    spec(BPF_CGROUP_UNIX_RECVMSG, 0, SOCKOPT, 1, 1),
    spec(BPF_CGROUP_UNIX_GETPEERNAME, 0, COMMON, 1, 1),
    spec(BPF_CGROUP_UNIX_GETSOCKNAME, 0, COMMON, 1, 1),
];

#[cfg(test)]
mod tests {
    use super::super::spec_for;
    use super::super::translate::tests::{read, write};
    use super::*;

    fn of(attach: u32) -> &'static ProgramTypeSpec {
        spec_for(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, Some(attach)).unwrap()
    }

    #[test]
    fn addresses_belong_to_their_family() {
        let (c4, c6, s4, s6) = (
            of(BPF_CGROUP_INET4_CONNECT),
            of(BPF_CGROUP_INET6_CONNECT),
            of(BPF_CGROUP_UDP4_SENDMSG),
            of(BPF_CGROUP_UDP6_SENDMSG),
        );
        assert!(read(c4, 4, 4).is_ok() && write(c4, 4, 4).is_ok() && read(c4, 5, 1).is_ok());
        assert!(read(c6, 4, 4).is_err() && read(c4, 8, 4).is_err());
        assert!(read(c6, 8, 8).is_ok() && read(c6, 16, 8).is_ok() && write(c6, 16, 8).is_ok());
        assert!(read(c6, 12, 8).is_err(), "8-byte loads 8-aligned");
        assert!(write(c6, 10, 2).is_err() && read(c6, 10, 2).is_ok());
        assert!(read(c4, 40, 4).is_err() && read(s4, 40, 4).is_ok() && write(s4, 40, 4).is_ok());
        assert!(read(s6, 48, 8).is_ok(), "msg_src_ip6[1..3] as 8 bytes");
        assert!(read(s6, 44, 8).is_err() && read(s6, 56, 8).is_err());
        let unix = of(BPF_CGROUP_UNIX_CONNECT);
        assert!(read(unix, 4, 4).is_err() && read(unix, 8, 4).is_err());
        assert!(read(unix, 24, 4).is_ok() && write(unix, 24, 4).is_ok());
        // user_port is a 2-byte kernel field: stores keep 2 bytes.
        assert_eq!(write(unix, 24, 4).unwrap().size, 2);
    }

    #[test]
    fn fixed_fields_and_the_socket() {
        let s = of(BPF_CGROUP_INET4_BIND);
        for offset in [0, 28, 32, 36] {
            assert!(read(s, offset, 4).is_ok() && read(s, offset, 2).is_err());
            assert!(write(s, offset, 4).is_err());
        }
        let err = read(s, 64, 8).unwrap_err();
        assert!(
            err.contains("field sk points to sockets, which ebee does not provide"),
            "{err}"
        );
        assert!(read(s, 60, 4).is_err(), "padding");
    }

    #[test]
    fn return_ranges_and_helpers_follow_the_attach_type() {
        assert_eq!(of(BPF_CGROUP_INET6_BIND).return_range, Some((0, 3)));
        assert_eq!(of(BPF_CGROUP_UDP4_RECVMSG).return_range, Some((1, 1)));
        assert_eq!(of(BPF_CGROUP_UNIX_SENDMSG).return_range, Some((0, 1)));
        assert!(of(BPF_CGROUP_INET4_CONNECT).allows_helper(64));
        assert!(!of(BPF_CGROUP_INET4_BIND).allows_helper(64));
        assert!(of(BPF_CGROUP_INET4_BIND).allows_helper(187));
        assert!(!of(BPF_CGROUP_INET4_GETPEERNAME).allows_helper(187));
        assert!(!of(BPF_CGROUP_UNIX_GETSOCKNAME).allows_helper(49));
        assert!(spec_for(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, None).is_none());
        assert_eq!(SOCK_ADDR.len(), 17);
    }
}
