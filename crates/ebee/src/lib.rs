//! ebee: run the eBPF objects clang builds for Linux, outside the kernel, with the kernel's
//! semantics.
//!
//! An [`Engine`] loads an object (`clang -target bpf` with libbpf's headers) into an
//! [`Object`]: its maps created, its programs linked, checked against their program types and
//! loaded. A [`Program`] runs as `BPF_PROG_TEST_RUN` runs it ([`Program::test_run`], or a
//! [`Runner`] for many runs); its maps are read and written through [`Map`]'s byte API or the
//! typed views of [`maps`]. Embedders add their own helpers and kfuncs ([`HostFunction`]).
//!
//! ```no_run
//! use ebee::{maps::HashMap, Engine, TestRun};
//! let object = Engine::new().load_file("xdp_firewall.bpf.o")?;
//! HashMap::<u16, u8>::try_from(object.map("blocked_tcp_ports").unwrap())?.insert(22, 1, 0)?;
//! let out = object.program("xdp_firewall").unwrap().test_run(&TestRun {
//!     data_in: &std::fs::read("packet.bin")?,
//!     ..Default::default()
//! })?;
//! println!("{}", ebee::program_type::XDP.verdict_name(out.retval));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Programs outside any object (bytecode, assembly) load with [`Engine::load_raw`]:
//!
//! ```
//! use ebee::{Engine, HostFunction};
//! let double = HostFunction::wrap("double", |x: u64| 2 * x)?;
//! let engine = Engine::new().with_function(0x8000, double);
//! let program = ebee_isa::assemble("mov %r1, 21\ncall 0x8000\nexit")?;
//! let outcome = engine.load_raw(&program, None)?.run(&ebee_vm::Memory::new(), &[])?;
//! assert_eq!(outcome.retval, 42);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! | module | what |
//! |---|---|
//! | [`program_type`] | one spec per program type: context layout and access rules, helpers, verdicts (from `ebee-spec`) |
//! | [`helpers`] | the kernel helpers ebee implements, by id |
//! | [`host_function`] | typed Rust functions as helpers and kfuncs |
//! | [`maps`] | typed map views (`HashMap<K, V>`, `PerCpuArray<V>`, `RingBuf`, …) |
//! | [`network`] | the host network environment (interfaces, routes, neighbours, tunnel metadata) the identity helpers answer from |
//! | [`hooks`] | packets from pcaps through a program |
//! | [`map_state`] | map contents as `bpftool` dumps and sets them |
//! | [`trace_sink`] | where `bpf_trace_printk` output goes |
#![warn(missing_docs)]

mod context;
mod engine;
mod error;
pub mod helpers;
pub mod hooks;
pub mod host_function;
mod listing;
pub mod map_state;
pub mod maps;
pub mod network;
mod object;
mod packet;
mod program;
mod raw;
mod runner;
mod runtime;
pub mod trace_sink;
pub mod verification;

/// The program-type specs (from `ebee-spec`): context layouts, allowed helpers, verdicts.
pub use ebee_spec::program_type;

pub use ebee_maps::{flags, Errno, Map, MapError, MapSpec, MapType};
pub use ebee_verifier as verifier;
pub use ebee_vm::{Backend, HelperEnv, HelperError};
pub use engine::Engine;
pub use error::Error;
pub use host_function::HostFunction;
pub use listing::{HelperUse, ProgramListing};
pub use network::NetworkEnvironment;
pub use object::{Object, ObjectBuilder};
pub use packet::Redirect;
pub use program::{Program, TestRun, TestRunResult};
pub use raw::RawProgram;
pub use runner::Runner;
pub use trace_sink::{CollectTrace, StderrTrace, TraceSink};
pub use verification::ProgramVerdict;

// The README's examples are compiled (and its `rust` blocks run) as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctest;
