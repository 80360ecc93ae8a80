//! What each eBPF program type and helper is, as data: the contract the verifier checks and
//! the VM and the runtime implement.
//!
//! - [`program_type`]: one [`ProgramTypeSpec`](program_type::ProgramTypeSpec) per program
//!   type: context fields with their access rules and host layout, allowed helpers, return
//!   range, test-run input, verdict names.
//! - [`helper`]: every helper's [`Prototype`](helper::Prototype) (argument and return
//!   kinds), by kernel id.
//!
//! The kernel's numbers (program type ids, helper names, verdict values) come from
//! `ebee-abi`; this crate adds what the kernel's verifier and `BPF_PROG_TEST_RUN` decide per
//! type, and where ebee's host context keeps each field.
//!
//! ```
//! use ebee_spec::{helper, program_type};
//! let tc = &program_type::TC_CLS;
//! assert!(tc.allows_helper(9)); // bpf_skb_store_bytes
//! assert!(!program_type::SOCKET_FILTER.allows_helper(9));
//! assert_eq!(helper::prototype(9).unwrap().name(), "skb_store_bytes");
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod helper;
pub mod program_type;
