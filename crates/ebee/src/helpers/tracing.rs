//! Tracing helpers on the contexts the host supplies (kprobe/uprobe and perf_event programs:
//! `struct pt_regs` first; tracepoints and raw tracepoints: bytes), which the kernel cannot
//! test-run, so these follow `linux/bpf.h` and `kernel/trace/bpf_trace.c` for what ebee
//! knows: `perf_event_read` (22), `probe_write_user` (36), `override_return` (58),
//! `get_stack` (67) and `get_func_ip` (173).
//!
//! - `perf_event_read(map, flags)`: the counter of the perf event at an index of a perf
//!   event array. ebee's entries are the host's BPF output buffers
//!   ([`ebee_maps::Map::perf_open`]), software events that count nothing: 0 for the current
//!   CPU's; `-EINVAL` for flags beyond the index or another CPU's event, `-E2BIG` past the
//!   array, `-ENOENT` for an empty entry. There are no hardware counters.
//! - `probe_write_user(dst, src, len)`: writes only the user memory the host registered for
//!   the run ([`crate::Runner::with_user_memory`]); any other destination is `-EFAULT`, as a
//!   kernel address is to `copy_to_user_nofault`.
//! - `override_return(regs, rc)`: sets `rax` of the context to `rc` (visible in `ctx_out`) and
//!   records `rc` in the run's result ([`crate::TestRunResult::override_return`]); the
//!   kernel also points `rip` at a function that returns at once, which has no meaning for
//!   a host context and is not done. Always 0.
//! - `get_stack(ctx, buf, size, flags)`: the stack is what the context holds: one frame, the
//!   `rip` of the `pt_regs`, a kernel stack when `cs` says kernel mode (`cs & 3 == 0`), a
//!   user stack when it says user mode. Deeper frames would need the memory the frame
//!   pointers point into, which ebee does not have. A stack of the other kind, and any
//!   stack of a context without registers (tracepoints), has no frames. The kernel's rules
//!   otherwise: `-EINVAL` (and `buf` zeroed) for unknown flags, `BPF_F_USER_BUILD_ID`
//!   without `BPF_F_USER_STACK`, or a size that is not a multiple of the element (8 bytes,
//!   or 32 for `struct bpf_stack_build_id`, which ebee fills as the kernel does when it finds
//!   no build id: `BPF_STACK_BUILD_ID_IP` with the address); `-EFAULT` (zeroed) when the
//!   skip count (`flags & 0xff`) passes the frames; else the frames after the skipped ones
//!   that fit, the rest of `buf` zeroed, and their size in bytes.
//! - `get_func_ip(ctx)`: the probed address, which for a host-supplied `pt_regs` is its
//!   `rip` (the host says where the probe is: for a kprobe at a function's entry, the
//!   function); 0 for contexts without registers, as for a kprobe inside a function.

use super::maps::{map_arg, run_state};
use super::probe::{neg, zero_mem};
use super::HelperDef;
use ebee_abi::errno::{EFAULT, EINVAL};
use ebee_vm::{HelperEnv, HelperError};

/// `BPF_F_SKIP_FIELD_MASK`, `BPF_F_USER_STACK`, `BPF_F_USER_BUILD_ID`.
const SKIP_FIELD_MASK: u64 = 0xff;
const USER_STACK: u64 = 1 << 8;
const USER_BUILD_ID: u64 = 1 << 11;
/// `sizeof(struct bpf_stack_build_id)` and `BPF_STACK_BUILD_ID_IP`.
const BUILD_ID_ELEM: usize = 32;
const BUILD_ID_IP: i32 = 2;

/// The `pt_regs` field `name` of the context at `ctx`, if the running program's context
/// has registers.
fn register(env: &HelperEnv<'_, '_>, ctx: u64, name: &str) -> Result<Option<u64>, HelperError> {
    let Some(spec) = run_state(env)?.program_type else {
        return Ok(None);
    };
    let Some(field) = spec.field(name) else {
        return Ok(None);
    };
    let bytes = env.read(ctx + u64::from(field.offset), 8)?;
    Ok(Some(u64::from_ne_bytes(
        bytes.try_into().map_err(|_| "short register read")?,
    )))
}

/// `bpf_perf_event_read(map, flags)` (see the module documentation).
fn perf_event_read(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let map = map_arg(super::runtime(env)?, a[0])?;
    Ok(match map.perf_event_read(env.cpu(), a[1]) {
        Ok(count) => count,
        Err(errno) => errno.as_neg_i64() as u64,
    })
}

/// `bpf_probe_write_user(dst, src, len)` (see the module documentation).
fn probe_write_user(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let (dst, src, len) = (a[0], a[1], u64::from(a[2] as u32));
    let inside = run_state(env)?.user_memory.is_some_and(|(start, size)| {
        dst >= start && dst.checked_add(len).is_some_and(|end| end <= start + size)
    });
    if !inside {
        return Ok(neg(EFAULT));
    }
    let bytes = env.read(src, len as usize)?;
    env.write(dst, &bytes)?;
    Ok(0)
}

/// `bpf_override_return(regs, rc)` (see the module documentation).
fn override_return(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let state = run_state(env)?;
    let field = state
        .program_type
        .and_then(|spec| spec.field("rax"))
        .ok_or("bpf_override_return needs a pt_regs context")?;
    state.override_return.set(Some(a[1]));
    env.write(a[0] + u64::from(field.offset), &a[1].to_ne_bytes())?;
    Ok(0)
}

/// `bpf_get_stack(ctx, buf, size, flags)` (see the module documentation).
fn get_stack(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let (ctx, buf, size, flags) = (a[0], a[1], a[2] as u32 as usize, a[3]);
    let user = flags & USER_STACK != 0;
    let build_id = flags & USER_BUILD_ID != 0;
    let elem = if build_id { BUILD_ID_ELEM } else { 8 };
    let fail = |env: &mut HelperEnv<'_, '_>, errno| {
        zero_mem(env, buf, size);
        Ok(neg(errno))
    };
    if flags & !(SKIP_FIELD_MASK | USER_STACK | USER_BUILD_ID) != 0
        || (build_id && !user)
        || size % elem != 0
    {
        return fail(env, EINVAL);
    }
    let frames: Vec<u64> = match (register(env, ctx, "rip")?, register(env, ctx, "cs")?) {
        (Some(ip), Some(cs)) if (cs & 3 == 3) == user => vec![ip],
        _ => Vec::new(),
    };
    let skip = (flags & SKIP_FIELD_MASK) as usize;
    if frames.len() < skip {
        return fail(env, EFAULT);
    }
    let kept: Vec<u64> = frames[skip..].iter().take(size / elem).copied().collect();
    let mut out = vec![0u8; size];
    for (i, ip) in kept.iter().enumerate() {
        if build_id {
            let at = i * BUILD_ID_ELEM;
            out[at..at + 4].copy_from_slice(&BUILD_ID_IP.to_ne_bytes());
            out[at + 24..at + 32].copy_from_slice(&ip.to_ne_bytes());
        } else {
            out[i * 8..i * 8 + 8].copy_from_slice(&ip.to_ne_bytes());
        }
    }
    env.write(buf, &out)?;
    Ok((kept.len() * elem) as u64)
}

/// `bpf_get_func_ip(ctx)` (see the module documentation).
fn get_func_ip(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    Ok(register(env, a[0], "rip")?.unwrap_or(0))
}

pub(crate) const HELPERS: &[HelperDef] = &[
    HelperDef::new(22, perf_event_read),
    HelperDef::new(36, probe_write_user),
    HelperDef::new(58, override_return),
    HelperDef::new(67, get_stack),
    HelperDef::new(173, get_func_ip),
];
