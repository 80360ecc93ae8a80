//! The numbers of the Linux kernel's eBPF user-space ABI, in one place.
//!
//! Everything here is what `/usr/include/linux/bpf.h` (and, for error numbers,
//! `asm-generic/errno-base.h` and `asm-generic/errno.h`) define, with the kernel's names and
//! values: every other ebee crate takes these numbers from here instead of writing its own
//! copy. The crate has no dependencies and knows nothing about how ebee uses the numbers:
//! which map types ebee implements is `ebee-maps`' decision, which program types it runs is
//! `ebee`'s.
//!
//! | module | from `linux/bpf.h` |
//! |---|---|
//! | [`map_type`] | `enum bpf_map_type` as [`MapType`], with bpftool's names |
//! | [`prog_type`] | `enum bpf_prog_type` (`BPF_PROG_TYPE_*`) |
//! | [`attach_type`] | `enum bpf_attach_type` (`BPF_CGROUP_INET_INGRESS` …) |
//! | [`flags`] | map create and update flags, test-run flags, helper flags, ring buffer constants |
//! | [`pseudo`] | the `src` kinds of pseudo `lddw` and `call` instructions (`BPF_PSEUDO_*`) |
//! | [`helper_names`] | `__BPF_FUNC_MAPPER`: every helper id and its name |
//! | [`xdp_action`] | `enum xdp_action` (`XDP_PASS` …) |
//! | [`ret_code`] | `enum bpf_ret_code` (lwt, flow dissector) and `enum sk_action` (`SK_PASS` …) |
//! | [`tc_act`] | `TC_ACT_*` of `linux/pkt_cls.h` |
//! | [`skf`] | `SKF_NET_OFF`, `SKF_LL_OFF` of `linux/filter.h`: legacy packet load offsets |
//! | [`errno`] | Linux error numbers as [`Errno`], independent of the host's libc |
//!
//! The values are those of Linux 6.1's header (Debian's `linux-libc-dev`), which the tests
//! compare against `/usr/include/linux/bpf.h` when it is installed, plus the few later
//! additions each module names (for example the `arena` map type of Linux 6.9).
//!
//! ```
//! use ebee_abi::{flags, helper_names, prog_type, pseudo, Errno, MapType};
//!
//! assert_eq!(MapType::from_kernel_id(27), Some(MapType::RingBuf));
//! assert_eq!(MapType::LruHash.name(), "lru_hash");
//! assert_eq!(prog_type::BPF_PROG_TYPE_XDP, 6);
//! assert_eq!(flags::BPF_F_RDONLY_PROG, 1 << 7);
//! assert_eq!(pseudo::BPF_PSEUDO_MAP_IDX_VALUE, 6);
//! assert_eq!(helper_names::helper_name(1), Some("map_lookup_elem"));
//! assert_eq!(Errno::ENOENT.as_neg_i64(), -2);
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// Defines one `pub const NAME: u32` per entry of a kernel C enum and a table of
/// `(value, lower-case name)` pairs in declaration order.
macro_rules! kernel_enum {
    (
        $(#[$table_doc:meta])* $table:ident;
        $( $(#[$doc:meta])* $name:ident = $value:literal, $short:literal; )*
    ) => {
        $( $(#[$doc])* pub const $name: u32 = $value; )*

        $(#[$table_doc])*
        pub const $table: &[(u32, &str)] = &[ $( ($value, $short), )* ];
    };
}

pub mod attach_type;
pub mod errno;
pub mod flags;
pub mod helper_names;
pub mod map_type;
pub mod prog_type;
pub mod pseudo;
pub mod ret_code;
pub mod skf;
pub mod tc_act;
pub mod xdp_action;

pub use errno::Errno;
pub use map_type::MapType;

/// The name in `table` (a `kernel_enum!` table whose values are its indices) of `value`.
fn name_in(table: &'static [(u32, &'static str)], value: u32) -> Option<&'static str> {
    let (found, name) = table.get(usize::try_from(value).ok()?)?;
    (*found == value).then_some(*name)
}

#[cfg(test)]
mod tests {
    #[test]
    fn enum_tables_are_indexed_by_value() {
        for table in [
            crate::prog_type::PROG_TYPES,
            crate::attach_type::ATTACH_TYPES,
        ] {
            for (index, &(value, name)) in table.iter().enumerate() {
                assert_eq!(value as usize, index, "{name}");
                assert_eq!(crate::name_in(table, value), Some(name));
            }
            assert_eq!(crate::name_in(table, table.len() as u32), None);
        }
    }
}
