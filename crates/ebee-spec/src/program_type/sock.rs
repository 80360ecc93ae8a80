//! cgroup/sock programs: `struct bpf_sock`, with the attach-type rules of
//! `sock_filter_is_valid_access` (`bpf_sock_is_valid_access` and
//! `__sock_filter_check_attach_type`):
//!
//! - `bound_dev_if`, `mark`, `priority`: read and written (whole) by sock_create and
//!   sock_release programs only;
//! - `src_ip4` read by post_bind4, `src_ip6` by post_bind6, `src_port` by both;
//! - `family`, `type`, `protocol`, `dst_*`, `state`, `rx_queue_mapping`: read by all.
//!
//! Addresses may be read in part anywhere, `family`, `type`, `protocol`, `src_port`, `state`
//! and `rx_queue_mapping` only from their first byte; `dst_port` (2 bytes) also as 4 bytes.
//! The kernel runs no cgroup/sock test run; ebee's takes the caller's `bpf_sock` (every
//! field may be set) and reports it back as the program left it.

use super::sizes::{B4, UP_TO_4};
use super::{
    verdict, ContextInput, Fate, Field, PacketContext, ProgramTypeSpec, RunFields, Verdict, Who,
};
use ebee_abi::attach_type::{
    BPF_CGROUP_INET4_POST_BIND, BPF_CGROUP_INET6_POST_BIND, BPF_CGROUP_INET_SOCK_CREATE,
    BPF_CGROUP_INET_SOCK_RELEASE,
};
use ebee_abi::prog_type::BPF_PROG_TYPE_CGROUP_SOCK;

/// Role of sock_create and sock_release programs.
const CREATE: u32 = 1;
/// Role of post_bind4 programs.
const POST4: u32 = 2;
/// Role of post_bind6 programs.
const POST6: u32 = 4;

const fn read(name: &'static str, offset: u16, size: u16) -> Field {
    Field::read_only(name, offset, size, UP_TO_4)
}

/// A field of the socket's options, read and written whole by sock_create/release only.
const fn option(name: &'static str, offset: u16) -> Field {
    Field::read_only(name, offset, 4, B4)
        .readable_by(Who::Only(CREATE))
        .writable(Who::Only(CREATE), B4)
}

const FIELDS: &[Field] = &[
    option("bound_dev_if", 0),
    read("family", 4, 4).kernel(2).narrow_at_start(),
    read("type", 8, 4).kernel(2).narrow_at_start(),
    read("protocol", 12, 4).kernel(2).narrow_at_start(),
    option("mark", 16),
    option("priority", 20),
    read("src_ip4", 24, 4).readable_by(Who::Only(POST4)),
    read("src_ip6", 28, 16).readable_by(Who::Only(POST6)),
    read("src_port", 44, 4)
        .kernel(2)
        .narrow_at_start()
        .readable_by(Who::Only(POST4 | POST6)),
    read("dst_port", 48, 2),
    read("dst_ip4", 52, 4),
    read("dst_ip6", 56, 16),
    read("state", 72, 4).kernel(1).narrow_at_start(),
    read("rx_queue_mapping", 76, 4).narrow_at_start(),
];

/// `sock_filter_func_proto` beyond the base: get_cgroup_classid (17),
/// current_task_under_cgroup (37), get_socket_cookie (46), get_local_storage (81),
/// sk_storage_get (107), get_netns_cookie (122), get/set_retval (186, 187).
const HELPERS: &[u32] = &[17, 37, 46, 81, 107, 122, 186, 187];

const VERDICTS: &[Verdict] = &[
    verdict(0, "reject", Fate::Drop),
    verdict(1, "allow", Fate::Pass),
];

const fn sock_spec(attach_type: u32, roles: u32) -> ProgramTypeSpec {
    ProgramTypeSpec {
        name: "cgroup_sock",
        kernel_type: BPF_PROG_TYPE_CGROUP_SOCK,
        attach_type: Some(attach_type),
        ctx_size: 80,
        fields: FIELDS,
        roles,
        packet: PacketContext::NoPacket(ContextInput::Struct),
        legacy_packet_access: false,
        helpers: HELPERS,
        return_range: Some((0, 1)),
        verdicts: VERDICTS,
        test_run_input: RunFields::Scalars,
        test_run_output: RunFields::Scalars,
    }
}

/// `cgroup/sock_create` (and `cgroup/sock`): `BPF_CGROUP_INET_SOCK_CREATE`.
pub static CGROUP_SOCK_CREATE: ProgramTypeSpec = sock_spec(BPF_CGROUP_INET_SOCK_CREATE, CREATE);
/// `cgroup/sock_release`: `BPF_CGROUP_INET_SOCK_RELEASE`.
pub static CGROUP_SOCK_RELEASE: ProgramTypeSpec = sock_spec(BPF_CGROUP_INET_SOCK_RELEASE, CREATE);
/// `cgroup/post_bind4`: `BPF_CGROUP_INET4_POST_BIND`.
pub static CGROUP_SOCK_POST_BIND4: ProgramTypeSpec = sock_spec(BPF_CGROUP_INET4_POST_BIND, POST4);
/// `cgroup/post_bind6`: `BPF_CGROUP_INET6_POST_BIND`.
pub static CGROUP_SOCK_POST_BIND6: ProgramTypeSpec = sock_spec(BPF_CGROUP_INET6_POST_BIND, POST6);

#[cfg(test)]
mod tests {
    use super::super::translate::tests::{read, write};
    use super::*;

    #[test]
    fn attach_types_decide_the_socket_fields() {
        let (create, post4, post6) = (
            &CGROUP_SOCK_CREATE,
            &CGROUP_SOCK_POST_BIND4,
            &CGROUP_SOCK_POST_BIND6,
        );
        for offset in [0, 16, 20] {
            assert!(read(create, offset, 4).is_ok() && write(create, offset, 4).is_ok());
            assert!(read(post4, offset, 4).is_err() && write(post4, offset, 4).is_err());
            assert!(read(create, offset, 2).is_err(), "whole only");
        }
        assert!(read(post4, 24, 4).is_ok() && read(post4, 26, 1).is_ok());
        assert!(read(post6, 24, 4).is_err() && read(create, 24, 4).is_err());
        assert!(read(post6, 40, 4).is_ok() && read(post6, 30, 2).is_ok());
        assert!(read(post4, 44, 2).is_ok() && read(post6, 44, 4).is_ok());
        assert!(read(create, 44, 4).is_err());
        assert!(write(create, 4, 4).is_err(), "family is read-only");
    }

    #[test]
    fn narrow_reads_follow_bpf_sock_is_valid_access() {
        let s = &CGROUP_SOCK_POST_BIND4;
        assert!(read(s, 4, 2).is_ok() && read(s, 4, 1).is_ok());
        assert!(read(s, 5, 1).is_err(), "family only from its first byte");
        assert!(read(s, 6, 2).is_err());
        assert!(read(s, 72, 1).is_ok() && read(s, 73, 1).is_err());
        // dst_port: 2 bytes, readable as 4 (with the padding) but the padding not alone.
        assert_eq!(read(s, 48, 4).unwrap().size, 4);
        assert!(read(s, 49, 1).is_ok());
        assert!(read(s, 50, 2).is_err() && read(s, 51, 1).is_err());
        assert!(read(s, 53, 1).is_ok() && read(s, 60, 4).is_ok());
        assert!(read(s, 76, 4).is_ok() && read(s, 78, 2).is_err());
    }
}
