//! The eBPF verifier of ebee.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod scalar;
pub mod tnum;
