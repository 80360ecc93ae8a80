//! Context layouts: how a program type's UAPI context (`struct xdp_md`, `struct __sk_buff`, …)
//! maps onto the host's context structure, and the load-time rewrite of context accesses
//! (the kernel's `convert_ctx_access`). Every `ebee_spec` program type is a layout; embedders
//! with contexts of their own implement [`ContextLayout`].
//!
//! The kernel's UAPI declares pointer fields such as `xdp_md.data` as 32-bit; the host context
//! holds real 64-bit pointers, and a program's 4-byte load of such a field becomes an 8-byte
//! load of the host field.

use crate::error::VmError;
use crate::program::Slot;
use ebee_isa::{Op, Semantics};

pub use ebee_spec::program_type::{CtxAccess, HostField};

/// A program type's context: translates UAPI accesses to host accesses, or refuses them.
///
/// ```
/// use ebee_vm::{ContextLayout, CtxAccess, HostField};
/// /// UAPI: `struct { __u32 data; __u32 len; }`; host: `struct { u64 data; u32 len; }`.
/// struct Example;
/// impl ContextLayout for Example {
///     fn translate(&self, a: CtxAccess) -> Result<HostField, String> {
///         match (a.offset, a.size, a.write) {
///             (0, 4, false) => Ok(HostField { offset: 0, size: 8 }),
///             (4, 4, _) => Ok(HostField { offset: 8, size: 4 }),
///             _ => Err(format!("invalid access of {} bytes at offset {}", a.size, a.offset)),
///         }
///     }
/// }
/// ```
pub trait ContextLayout: Send + Sync {
    /// Translates one access, or says why the program may not make it.
    fn translate(&self, access: CtxAccess) -> Result<HostField, String>;
}

/// Every program type's spec is its context layout.
impl ContextLayout for ebee_spec::program_type::ProgramTypeSpec {
    fn translate(&self, access: CtxAccess) -> Result<HostField, String> {
        ebee_spec::program_type::ProgramTypeSpec::translate(self, access)
    }
}

/// Rewrites the context access in `slot` (found by the data-flow analysis) to the host layout;
/// returns the end of the UAPI bytes it accesses (offset + size).
pub(crate) fn rewrite(
    layout: &dyn ContextLayout,
    pc: usize,
    slot: &mut Slot,
) -> Result<usize, VmError> {
    let bad = |reason: String| VmError::BadContextAccess { pc, reason };
    let (size, write, store_operand) = match slot.op.def().sem {
        Semantics::Load {
            sign_extend: true, ..
        } => return Err(bad("sign-extending load from the context".to_string())),
        Semantics::Load { size, .. } => (size, false, None),
        Semantics::Store { size, operand } => (size, true, Some(operand)),
        other => return Err(bad(format!("{other:?} on the context"))),
    };
    let access = CtxAccess {
        offset: slot.off,
        size,
        write,
    };
    let host = layout.translate(access).map_err(bad)?;
    let op = match store_operand {
        Some(operand) => Op::store(host.size, operand),
        None => Op::load(host.size, false),
    };
    slot.op =
        op.ok_or_else(|| bad(format!("host field size {} is not 1, 2, 4 or 8", host.size)))?;
    slot.off = host.offset;
    Ok((access.offset.max(0) as usize) + size as usize)
}
