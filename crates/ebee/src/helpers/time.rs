//! Clocks, randomness and the current CPU: `bpf_ktime_get_ns` (5), `bpf_get_prandom_u32` (7),
//! `bpf_get_smp_processor_id` (8), `bpf_get_numa_node_id` (42), `bpf_jiffies64` (118),
//! `bpf_ktime_get_boot_ns` (125) and `bpf_ktime_get_coarse_ns` (160). All are base helpers
//! in the kernel ([`Scope::Any`]).
//!
//! The clocks are the host kernel's own, read with `clock_gettime`, so values are comparable
//! with timestamps taken by kernel BPF programs and by `bpftool`:
//! - `ktime_get_ns`: `CLOCK_MONOTONIC` (the kernel's `ktime_get_mono_fast_ns`);
//! - `ktime_get_boot_ns`: `CLOCK_BOOTTIME` (monotonic plus time spent suspended);
//! - `ktime_get_coarse_ns`: `CLOCK_MONOTONIC_COARSE` (last tick, cheaper, tick resolution);
//! - `jiffies64`: derived from `CLOCK_MONOTONIC` (jiffies stop during suspend too) as
//!   `INITIAL_JIFFIES + ns * HZ / 10^9` with [`HZ`] = 250, the default `CONFIG_HZ` of the
//!   distribution kernels ebee targets. User space cannot read the kernel's `CONFIG_HZ`
//!   reliably (`/proc/config.gz` is optional and `sysconf(_SC_CLK_TCK)` is `USER_HZ`), so
//!   the value is close to, not equal to, the kernel's `jiffies_64`: same rate on HZ=250
//!   kernels, the same 5-minute-after-boot 32-bit wrap (`INITIAL_JIFFIES`), and a fraction
//!   of a second ahead because the tick starts a little after the monotonic clock (62
//!   jiffies on the Linux 6.18 test machine; `tests/pure_helpers.rs` checks < 1 s).
//!
//! `get_prandom_u32` uses a per-thread xorshift64* generator seeded from the standard
//! library's random hasher keys (the kernel uses a per-CPU Tausworthe generator; neither is
//! cryptographic). `get_smp_processor_id` is the worker index the run was given
//! ([`ebee_vm::Memory::set_cpu`]), and `get_numa_node_id` is always 0: ebee workers are not
//! pinned to nodes.

use super::HelperDef;
use ebee_vm::{HelperEnv, HelperError};

/// Ticks per second `jiffies64` counts (the kernel's `CONFIG_HZ`; see the module docs).
pub(crate) const HZ: u64 = 250;

/// The kernel's `INITIAL_JIFFIES`: jiffies start 300 seconds before the 32-bit wrap.
const INITIAL_JIFFIES: u64 = (-(300 * HZ as i64)) as u32 as u64;

/// Nanoseconds of `clock` (0 if the host refuses the clock, which Linux never does for these).
fn clock_ns(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; clock_gettime only writes it.
    if unsafe { libc::clock_gettime(clock, &mut ts) } != 0 {
        return 0;
    }
    (ts.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.tv_nsec as u64)
}

/// `jiffies_64` for a `CLOCK_MONOTONIC` reading of `mono_ns`.
fn jiffies_at(mono_ns: u64) -> u64 {
    INITIAL_JIFFIES.wrapping_add(mono_ns / (1_000_000_000 / HZ))
}

fn ktime_get_ns(_: &mut HelperEnv<'_, '_>, _: [u64; 5]) -> Result<u64, HelperError> {
    Ok(clock_ns(libc::CLOCK_MONOTONIC))
}

fn ktime_get_boot_ns(_: &mut HelperEnv<'_, '_>, _: [u64; 5]) -> Result<u64, HelperError> {
    Ok(clock_ns(libc::CLOCK_BOOTTIME))
}

fn ktime_get_coarse_ns(_: &mut HelperEnv<'_, '_>, _: [u64; 5]) -> Result<u64, HelperError> {
    Ok(clock_ns(libc::CLOCK_MONOTONIC_COARSE))
}

fn jiffies64(_: &mut HelperEnv<'_, '_>, _: [u64; 5]) -> Result<u64, HelperError> {
    Ok(jiffies_at(clock_ns(libc::CLOCK_MONOTONIC)))
}

/// The next number of this thread's xorshift64* generator.
fn prandom_u32() -> u32 {
    use std::cell::Cell;
    use std::hash::{BuildHasher, Hasher};
    thread_local! {
        static STATE: Cell<u64> = const { Cell::new(0) };
    }
    STATE.with(|state| {
        let mut x = state.get();
        if x == 0 {
            // RandomState's keys come from the OS random source (once per thread).
            let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
            hasher.write_u64(clock_ns(libc::CLOCK_MONOTONIC));
            x = hasher.finish() | 1;
        }
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        state.set(x);
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) as u32
    })
}

fn get_prandom_u32(_: &mut HelperEnv<'_, '_>, _: [u64; 5]) -> Result<u64, HelperError> {
    Ok(u64::from(prandom_u32()))
}

fn get_smp_processor_id(env: &mut HelperEnv<'_, '_>, _: [u64; 5]) -> Result<u64, HelperError> {
    Ok(env.cpu() as u64)
}

fn get_numa_node_id(_: &mut HelperEnv<'_, '_>, _: [u64; 5]) -> Result<u64, HelperError> {
    Ok(0)
}

/// The time, randomness and CPU helpers.
pub(crate) const HELPERS: &[HelperDef] = &[
    HelperDef::new(5, ktime_get_ns),
    HelperDef::new(7, get_prandom_u32),
    HelperDef::new(8, get_smp_processor_id),
    HelperDef::new(42, get_numa_node_id),
    HelperDef::new(118, jiffies64),
    HelperDef::new(125, ktime_get_boot_ns),
    HelperDef::new(160, ktime_get_coarse_ns),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jiffies_start_before_the_32_bit_wrap() {
        assert_eq!(INITIAL_JIFFIES, 0xfffe_db08);
        assert_eq!(jiffies_at(0), 0xfffe_db08);
        // 300 s after boot the low 32 bits wrap.
        assert_eq!(jiffies_at(300_000_000_000), 1 << 32);
        assert_eq!(jiffies_at(4_000_000) - jiffies_at(0), 1);
    }

    #[test]
    fn clocks_are_ordered_and_advance() {
        let mono = clock_ns(libc::CLOCK_MONOTONIC);
        let boot = clock_ns(libc::CLOCK_BOOTTIME);
        assert!(mono > 0 && boot >= mono);
        assert!(clock_ns(libc::CLOCK_MONOTONIC) >= mono);
        let coarse = clock_ns(libc::CLOCK_MONOTONIC_COARSE);
        // The coarse clock lags by at most a few ticks.
        assert!(coarse <= clock_ns(libc::CLOCK_MONOTONIC));
        assert!(mono.abs_diff(coarse) < 1_000_000_000);
    }

    #[test]
    fn prandom_varies() {
        let draws: std::collections::HashSet<u32> = (0..64).map(|_| prandom_u32()).collect();
        assert!(draws.len() > 60);
    }
}
