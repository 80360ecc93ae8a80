//! ebee: run the eBPF objects clang builds for Linux, outside the kernel.
//!
//! - [`program_type`]: one spec per program type (context layout, access rules, helpers).
//! - [`helpers`]: the kernel helper table (id, name, prototype, implementation).
//! - [`runtime`]: state shared by an object's helpers (trace output, CPU count, maps).
//! - [`maps`]: typed views of maps (`HashMap<K, V>`, `PerCpuArray<V>`, `RingBuf`, …) beside
//!   the byte-level [`Map`] API.
#![warn(missing_docs)]

mod error;
pub mod helpers;
pub mod hooks;
pub mod map_state;
pub mod maps;
mod object;
pub mod packet;
mod program;
pub mod program_type;
mod raw;
pub mod runtime;

pub use ebee_maps::{flags, Errno, Map, MapError, MapSpec, MapType};
pub use error::Error;
pub use object::{Engine, Object, ObjectBuilder};
pub use program::{Program, TestRun, TestRunResult};
pub use raw::RawProgram;
