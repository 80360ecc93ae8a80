//! Test support for ebee: load the same clang-built eBPF ELF objects into the
//! running Linux kernel and run them with `BPF_PROG_TEST_RUN`, so tests can compare
//! ebee's results (return value, packet out, maps) with the kernel's.
//!
//! ```no_run
//! use ebee_kernel::{availability, consts::BPF_ANY, KernelObject, LoadOptions, TestRun};
//!
//! if let Err(reason) = availability() {
//!     eprintln!("skipping: {reason}");
//!     return Ok(());
//! }
//! let elf = std::fs::read("prog.o")?;
//! let opts = LoadOptions { globals: vec![("verdict".into(), 2u32.to_ne_bytes().to_vec())] };
//! let obj = KernelObject::load(&elf, &opts)?;
//! obj.map_update("counts", &1u32.to_ne_bytes(), &0u64.to_ne_bytes(), BPF_ANY)?;
//! let packet = [0u8; 64];
//! let r = obj.test_run("xdp_prog", &TestRun { data_in: &packet, data_size_out: 256, ..TestRun::default() })?;
//! println!("retval={} out={:?}", r.retval, r.data_out);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Two loaders
//!
//! An object gets into the kernel one of two ways ([`Loader`]); both give the same
//! [`KernelObject`], so a test can use either, or both and compare them:
//!
//! * **[`KernelObject::load`]: aya 0.14** ([`Loader::Aya`]). aya is pure Rust (no
//!   libbpf/C toolchain at build time) and does everything a real loader must: legacy and
//!   BTF-defined `.maps`, global data (`.rodata`/`.data`/`.bss` as array maps, with
//!   [`LoadOptions::globals`] applied through `EbpfLoader::override_global`), relocations
//!   including CO-RE against the running kernel's BTF, BTF sanitizing, program types from
//!   section names, and verifier logs on failure. It shares no code with ebee, so **use it
//!   for objects aya can load**: a disagreement between ebee and the kernel then cannot
//!   come from a parsing bug the two share. 0.14.0 is the newest aya release that builds
//!   on stable Rust 1.95: 0.15 and 0.16 declare `rust-version = 1.98`.
//! * **[`KernelObject::load_parsed`]: ebee-object + raw `bpf(2)`**
//!   ([`Loader::EbeeObject`]). ebee's own parser and linker (`ebee_object::ObjectSpec`)
//!   read the object; this crate loads its BTF (with libbpf's fix-ups), creates the maps,
//!   fills global data (freezing `.rodata`), maps of maps and program arrays, rewrites map
//!   references to fds, resolves kfunc calls, and loads each program with its type and
//!   expected attach type (module `parsed`). **Use it for objects aya refuses** (iproute2's
//!   `struct bpf_elf_map`, libbpf 0.x names such as `xdp/<name>`, sections libbpf does not
//!   know, `bpf_spin_lock` values, maps of maps and program arrays with initial values,
//!   kfuncs, ...), and to check that what ebee parses is what the kernel accepts. Its
//!   results are ebee-object's reading of the file: it is no independent check of that.
//!
//! Where the two knowingly differ: the ebee-object path makes global data with non-static
//! variables `BPF_F_MMAPABLE` and keeps a perf event array's declared `max_entries`, as
//! libbpf does (aya does neither for xdpdump's perf map); skipped programs give their
//! reasons in other words. `tests/loaders.rs` loads every C test program of the
//! project and every xdp-tools object both ways and compares the results.
//!
//! # Design
//!
//! * **`BPF_PROG_TEST_RUN` and byte-level map commands are raw `bpf(2)` calls**
//!   (module `sys`, `#[repr(C)]` mirrors of `union bpf_attr` members from
//!   `linux/bpf.h`). aya 0.14 does have a `TestRun` trait, but it only accepts the
//!   `BPF_F_TEST_XDP_LIVE_FRAMES` flag (no `BPF_F_TEST_RUN_ON_CPU`/`cpu`, no
//!   `CHECKSUM_COMPLETE`), covers only some program types, and on `ENOSPC` drops the
//!   output sizes the kernel reports; its maps are typed (`HashMap<K, V>` over `Pod` types), while an
//!   oracle must handle keys and values as raw bytes of sizes known only at run time.
//! * **libbpf's `SEC("tc")` names are renamed for aya.** aya-obj (all releases up to
//!   0.6) knows tc classifiers only as `SEC("classifier")` and rejects `tc`,
//!   `tc/ingress`, `tcx/...`. Before parsing, a private copy of the ELF gets those
//!   program sections renamed to `classifier...` in the section-name table and in
//!   `.BTF.ext` (which names sections through the `.BTF` string table), by appending
//!   the new tables at the end of the file; nothing else moves.
//! * **Maps are never pinned.** Maps declared with `LIBBPF_PIN_BY_NAME` (libxdp's
//!   are) would be pinned as `/sys/fs/bpf/<name>` and reused by the next load, and
//!   loading would fail where no bpffs is mounted. The private copy of the object has
//!   its pinning stripped before aya parses it (module `unpin`), so every
//!   [`KernelObject`] starts from fresh maps and nothing needs or touches bpffs. The
//!   ebee-object path pins nothing either (it ignores `pinning`).
//! * **Ring buffers and perf event arrays use aya's mmap readers** (`RingBuf`,
//!   `PerfEventArray`, over a duplicate of the map's fd whichever loader made it), which
//!   get the memory ordering of the producer/consumer positions right.
//!
//! Keys and values are passed in the kernel's byte layout (native endian). Nothing
//! here panics on bad input: sizes are checked against the map before any syscall.

#![deny(missing_docs)]

mod aya_loader;
pub mod caps;
pub mod consts;
mod elf_fixup;
mod error;
mod events;
mod kernel_btf;
mod maps;
mod object;
mod parsed;
mod raw;
mod raw_btf;
mod raw_map;
mod sys;
mod trace;
mod unpin;

pub use consts::{BPF_F_TEST_RUN_ON_CPU, BPF_F_TEST_SKB_CHECKSUM_COMPLETE};
pub use error::{Error, Result};
pub use events::PerfRecord;
pub use maps::MapInfo;
pub use object::{KernelObject, LoadOptions, Loader, ProgramInfo, TestRun, TestRunResult};
pub use raw::{RawProgram, RawProgramSpec};
pub use raw_btf::{btf_for_kernel, RawBtf};
pub use raw_map::{RawMapFd, RawMapSpec};
pub use trace::TraceCapture;

/// The number of possible CPUs (from `/sys/devices/system/cpu/possible`): the
/// number of values in a per-CPU map's `bpf(2)` value buffer.
///
/// # Errors
///
/// [`Error::Map`] when the sysfs file cannot be read or parsed.
///
/// # Example
///
/// ```
/// let n = ebee_kernel::num_possible_cpus().unwrap();
/// assert!(n >= 1);
/// ```
pub fn num_possible_cpus() -> Result<usize> {
    aya::util::nr_cpus().map_err(|(path, e)| Error::Map(format!("reading {path}: {e}")))
}

/// Whether `bpf()` can load and test-run programs here: loads a two-instruction XDP
/// program (`r0 = XDP_PASS; exit`) and test-runs it once.
///
/// Returns `Err(reason)` when that is impossible, e.g. `ENOSYS` (no bpf syscall, as in
/// some sandboxes) or `EPERM` (missing `CAP_BPF`/`CAP_NET_ADMIN`, a seccomp filter, or
/// `kernel.unprivileged_bpf_disabled`). Tests should skip with the reason only then.
///
/// # Example
///
/// ```
/// match ebee_kernel::availability() {
///     Ok(()) => println!("kernel oracle available"),
///     Err(reason) => eprintln!("skipping kernel comparison: {reason}"),
/// }
/// ```
pub fn availability() -> Result<(), String> {
    const MOV_R0_XDP_PASS: u64 = 0xb7 | (2 << 32);
    const EXIT: u64 = 0x95;
    let hint = |e: &std::io::Error| match e.raw_os_error() {
        Some(libc::EPERM) | Some(libc::EACCES) => {
            " (needs root or CAP_BPF + CAP_NET_ADMIN, and no seccomp filter on bpf())"
        }
        Some(libc::ENOSYS) => " (this kernel or sandbox has no bpf() syscall)",
        _ => "",
    };
    let prog = sys::prog_load(consts::BPF_PROG_TYPE_XDP, &[MOV_R0_XDP_PASS, EXIT])
        .map_err(|e| format!("bpf(BPF_PROG_LOAD) failed: {e}{}", hint(&e)))?;
    let packet = [0u8; 64];
    let input = sys::RawTestRunIn {
        data_in: &packet,
        ctx_in: None,
        data_out: &mut [],
        ctx_out: &mut [],
        repeat: 1,
        flags: 0,
        cpu: 0,
    };
    let out = sys::prog_test_run(std::os::fd::AsFd::as_fd(&prog), input)
        .map_err(|(e, _)| format!("bpf(BPF_PROG_TEST_RUN) failed: {e}{}", hint(&e)))?;
    if out.retval != 2 {
        return Err(format!(
            "BPF_PROG_TEST_RUN of a constant XDP_PASS program returned {}",
            out.retval
        ));
    }
    Ok(())
}
