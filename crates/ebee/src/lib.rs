//! ebee: run the eBPF objects clang builds for Linux, outside the kernel.
//!
//! - [`program_type`]: one spec per program type (context layout, access rules, helpers).
//! - [`helpers`]: the kernel helper table (id, name, prototype, implementation).
//! - [`trace_sink`]: where `bpf_trace_printk` output goes.
//! - [`maps`]: typed views of maps (`HashMap<K, V>`, `PerCpuArray<V>`, `RingBuf`, …) beside
//!   the byte-level [`Map`] API.
#![warn(missing_docs)]

mod error;
pub mod helpers;
pub mod hooks;
pub mod map_state;
pub mod maps;
mod object;
mod packet;
mod program;
mod raw;

/// The program-type specs (from `ebee-spec`): context layouts, allowed helpers, verdicts.
pub use ebee_spec::program_type;
mod runtime;
pub mod trace_sink;

pub use ebee_maps::{flags, Errno, Map, MapError, MapSpec, MapType};
pub use error::Error;
pub use object::{Engine, Object, ObjectBuilder};
pub use packet::Redirect;
pub use program::{Program, TestRun, TestRunResult};
pub use raw::RawProgram;
pub use trace_sink::{CollectTrace, StderrTrace, TraceSink};
