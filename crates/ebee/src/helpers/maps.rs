//! Map helpers: lookup/update/delete, queue and stack operations, per-CPU lookups, iteration,
//! tail calls and spin locks.

use super::HelperDef;
use crate::runtime::{map_address, RunState, Runtime};
use ebee_maps::{Errno, Map};
use ebee_vm::{HelperEnv, HelperError, Region};
use std::borrow::Cow;
use std::sync::Arc;

/// The map a program passed, or the error the run stops with.
pub(crate) fn map_arg(runtime: &Runtime, address: u64) -> Result<Arc<Map>, HelperError> {
    runtime
        .map(address)
        .ok_or_else(|| format!("{address:#x} is not a map of this object").into())
}

/// The run's host state (every ebee run sets it); it outlives the helper call.
pub(crate) fn run_state<'r>(env: &HelperEnv<'_, 'r>) -> Result<&'r RunState, HelperError> {
    env.host_state::<RunState>()
        .ok_or_else(|| "run has no host state (not started by ebee)".into())
}

/// The map at `address` for the hot helpers: borrowed when it is one of the object's maps (no
/// reference-count traffic: a short scan of pointers is cheaper than two atomic operations),
/// else an inner map the host registered.
pub(crate) fn map_ref(rt: &Runtime, address: u64) -> Result<Cow<'_, Arc<Map>>, HelperError> {
    match rt.maps().iter().find(|m| map_address(m) == address) {
        Some(map) => Ok(Cow::Borrowed(map)),
        None => map_arg(rt, address).map(Cow::Owned),
    }
}

/// Keys and values up to this size are copied onto the stack rather than into a `Vec`.
const INLINE: usize = 64;

/// A key or value copied out of program memory.
pub(crate) enum Copied {
    Inline { bytes: [u8; INLINE], len: usize },
    Heap(Vec<u8>),
}

impl std::ops::Deref for Copied {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Copied::Inline { bytes, len } => &bytes[..*len],
            Copied::Heap(v) => v,
        }
    }
}

impl std::ops::DerefMut for Copied {
    fn deref_mut(&mut self) -> &mut [u8] {
        match self {
            Copied::Inline { bytes, len } => &mut bytes[..*len],
            Copied::Heap(v) => v,
        }
    }
}

impl Copied {
    fn zeroed(len: usize) -> Copied {
        if len <= INLINE {
            Copied::Inline {
                bytes: [0; INLINE],
                len,
            }
        } else {
            Copied::Heap(vec![0; len])
        }
    }
}

fn read_exact(env: &HelperEnv<'_, '_>, address: u64, len: usize) -> Result<Copied, HelperError> {
    let mut out = Copied::zeroed(len);
    env.read_into(address, &mut out)?;
    Ok(out)
}

/// A key or value the program passed: borrowed when it is on the stack, else copied.
pub(crate) enum Input<'a> {
    Stack(&'a [u8]),
    Copied(Copied),
}

impl std::ops::Deref for Input<'_> {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        match self {
            Input::Stack(bytes) => bytes,
            Input::Copied(copied) => copied,
        }
    }
}

/// The `len` bytes at `address` (stack or another readable region).
#[inline]
pub(crate) fn input<'a>(
    env: &'a HelperEnv<'_, '_>,
    address: u64,
    len: usize,
) -> Result<Input<'a>, HelperError> {
    match env.stack_bytes(address, len) {
        Some(bytes) => Ok(Input::Stack(bytes)),
        None => read_exact(env, address, len).map(Input::Copied),
    }
}

fn errno(result: Result<(), Errno>) -> u64 {
    match result {
        Ok(()) => 0,
        Err(e) => e.as_neg_i64() as u64,
    }
}

/// Grants the program the value memory at `ptr` of `map` and returns its address.
fn grant_value(env: &mut HelperEnv<'_, '_>, map: &Map, ptr: std::ptr::NonNull<u8>) -> u64 {
    let start = ptr.as_ptr() as u64;
    let writable = map.spec().map_flags & ebee_maps::flags::BPF_F_RDONLY_PROG == 0;
    env.grant(Region {
        name: "map value",
        start,
        len: map.value_size() as u64,
        writable,
    });
    start
}

fn lookup(
    rt: &Runtime,
    env: &mut HelperEnv<'_, '_>,
    a: [u64; 5],
    cpu: usize,
) -> Result<u64, HelperError> {
    let map = map_ref(rt, a[0])?;
    let key = input(env, a[1], map.key_size())?;
    let state = run_state(env)?;
    if let Some(inner) = map.inner_map(&key, &state.guard) {
        // Maps of maps: the program gets the inner map's address, usable as a map argument.
        let address = inner as *const Map as u64;
        return Ok(if rt.map(address).is_some() {
            address
        } else {
            0
        });
    }
    match map.lookup_ptr(&key, cpu, &state.guard) {
        Some(ptr) => Ok(grant_value(env, &map, ptr)),
        None => Ok(0),
    }
}

fn map_lookup_elem(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let rt = super::runtime(env)?;
    let cpu = env.cpu();
    lookup(rt, env, a, cpu)
}

fn map_lookup_percpu_elem(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let rt = super::runtime(env)?;
    let map = map_ref(rt, a[0])?;
    // The kernel's prototype takes `u32 cpu`: the upper 32 bits of r3 are ignored.
    let cpu = a[2] as u32 as usize;
    if !map.map_type().is_percpu() || cpu >= rt.ncpus {
        return Ok(0);
    }
    lookup(rt, env, a, cpu)
}

fn map_update_elem(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let rt = super::runtime(env)?;
    let map = map_ref(rt, a[0])?;
    let key = input(env, a[1], map.key_size())?;
    let value = input(env, a[2], map.value_size())?;
    Ok(errno(map.update_elem(&key, &value, a[3], env.cpu())))
}

fn map_delete_elem(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let rt = super::runtime(env)?;
    let map = map_ref(rt, a[0])?;
    let key = input(env, a[1], map.key_size())?;
    Ok(errno(map.delete_elem(&key)))
}

fn map_push_elem(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let rt = super::runtime(env)?;
    let map = map_ref(rt, a[0])?;
    let value = input(env, a[1], map.value_size())?;
    Ok(errno(map.push_elem(&value, a[2])))
}

fn map_pop_elem(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let rt = super::runtime(env)?;
    let map = map_ref(rt, a[0])?;
    let mut value = Copied::zeroed(map.value_size());
    let result = map.pop_elem(&mut value);
    if result.is_ok() {
        env.write(a[1], &value)?;
    }
    Ok(errno(result))
}

fn map_peek_elem(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let rt = super::runtime(env)?;
    let map = map_ref(rt, a[0])?;
    if map.map_type() == ebee_maps::MapType::BloomFilter {
        // Bloom filters take the value to test as input.
        let mut value = read_exact(env, a[1], map.value_size())?;
        return Ok(errno(map.peek_elem(&mut value)));
    }
    let mut value = Copied::zeroed(map.value_size());
    let result = map.peek_elem(&mut value);
    if result.is_ok() {
        env.write(a[1], &value)?;
    }
    Ok(errno(result))
}

fn for_each_map_elem(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let rt = super::runtime(env)?;
    let map = map_arg(rt, a[0])?;
    let (callback, callback_ctx, flags) = (a[1], a[2], a[3]);
    let guard = ebee_maps::pin();
    let cpu = env.cpu();
    let (key_size, value_size) = (map.key_size() as u64, map.value_size() as u64);
    let mut failure = None;
    let result = map.for_each_elem(cpu, &guard, flags, &mut |key, value| {
        env.grant(Region {
            name: "map key",
            start: key as u64,
            len: key_size,
            writable: false,
        });
        env.grant(Region {
            name: "map value",
            start: value as u64,
            len: value_size,
            writable: true,
        });
        match env.call_function(callback, [a[0], key as u64, value as u64, callback_ctx, 0]) {
            Ok(0) => 0,
            Ok(_) => 1,
            Err(e) => {
                failure = Some(e);
                1
            }
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(match result {
        Ok(n) => n as u64,
        Err(e) => e.as_neg_i64() as u64,
    })
}

/// `bpf_loop(u32 nr_loops, callback, ctx, flags)`: `-EINVAL` for flags, `-E2BIG` for more
/// than 1 << 23 iterations, as the kernel.
fn bpf_loop(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    const MAX_LOOPS: u64 = 1 << 23;
    let nr_loops = u64::from(a[0] as u32);
    if a[3] != 0 {
        return Ok(Errno::EINVAL.as_neg_i64() as u64);
    }
    if nr_loops > MAX_LOOPS {
        return Ok(Errno::E2BIG.as_neg_i64() as u64);
    }
    for i in 0..nr_loops {
        if env.call_function(a[1], [i, a[2], 0, 0, 0])? != 0 {
            return Ok(i + 1);
        }
    }
    Ok(nr_loops)
}

/// `bpf_tail_call(ctx, prog_array, index)`: on success the program ends and the target runs;
/// on failure (empty slot, index out of range, 33 tail calls done) execution continues.
fn tail_call(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let rt = super::runtime(env)?;
    let map = map_arg(rt, a[1])?;
    let target = u32::try_from(a[2])
        .ok()
        .and_then(|index| map.prog_array_get(index))
        .and_then(|id| rt.program(id));
    match target {
        Some(program) if env.tail_call(program.clone()) => Ok(0),
        _ => Ok(Errno::ENOENT.as_neg_i64() as u64),
    }
}

/// Checks that the 4-byte lock word at `address` is writable program memory.
fn lock_word(env: &mut HelperEnv<'_, '_>, address: u64) -> Result<*mut u8, HelperError> {
    if !address.is_multiple_of(4) {
        return Err(format!("spin lock at {address:#x} is not 4-byte aligned").into());
    }
    let word = env.read(address, 4)?;
    env.write(address, &word)?;
    Ok(address as *mut u8)
}

fn spin_lock(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let lock = lock_word(env, a[0])?;
    // SAFETY: `lock_word` proved the 4 bytes are aligned, writable memory the program owns
    // for this run (a map value it looked up, or its stack).
    unsafe { ebee_maps::bpf_spin_lock(lock) };
    Ok(0)
}

fn spin_unlock(env: &mut HelperEnv<'_, '_>, a: [u64; 5]) -> Result<u64, HelperError> {
    let lock = lock_word(env, a[0])?;
    // SAFETY: as in `spin_lock`.
    unsafe { ebee_maps::bpf_spin_unlock(lock) };
    Ok(0)
}

pub(crate) const HELPERS: &[HelperDef] = &[
    HelperDef::new(1, map_lookup_elem),
    HelperDef::new(2, map_update_elem),
    HelperDef::new(3, map_delete_elem),
    HelperDef::new(12, tail_call),
    HelperDef::new(87, map_push_elem),
    HelperDef::new(88, map_pop_elem),
    HelperDef::new(89, map_peek_elem),
    HelperDef::new(93, spin_lock),
    HelperDef::new(94, spin_unlock),
    HelperDef::new(164, for_each_map_elem),
    HelperDef::new(181, bpf_loop),
    HelperDef::new(195, map_lookup_percpu_elem),
];
