//! [`KernelObject`]: an ELF object loaded into the kernel, and running its programs. Both
//! loaders ([`Loader`]) produce the same struct: program fds, map fds with their kernel
//! shape, and what the object's load left to say; everything after loading is shared.

use std::collections::BTreeMap;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use crate::error::{Error, Result};
use crate::events::PerfState;
use crate::sys;

/// What to change in the object before it is loaded.
///
/// # Example
///
/// ```
/// use ebee_kernel::LoadOptions;
///
/// // `const volatile __u32 verdict = 1;` in .rodata, set to 2 before load.
/// let opts = LoadOptions { globals: vec![("verdict".into(), 2u32.to_ne_bytes().to_vec())] };
/// assert_eq!(opts.globals.len(), 1);
/// ```
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Global variables (`.rodata`, `.data`, `.bss` symbols) to overwrite before the
    /// object's maps are created: `(symbol name, bytes)`. The byte length must equal
    /// the symbol's size, and the symbol must exist.
    pub globals: Vec<(String, Vec<u8>)>,
}

/// One program of a [`KernelObject`].
///
/// # Example
///
/// ```no_run
/// # let elf = std::fs::read("prog.o").unwrap();
/// # let obj = ebee_kernel::KernelObject::load(&elf, &Default::default()).unwrap();
/// for p in obj.programs() {
///     println!("{} type={:?} skipped={:?}", p.name, p.prog_type, p.skipped);
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramInfo {
    /// The program's function name.
    pub name: String,
    /// The kernel's `BPF_PROG_TYPE_*` value (`None` when the program was skipped).
    pub prog_type: Option<u32>,
    /// Why the program was not loaded, if it was not (types such as `fentry` need an
    /// attach target at load time, which the ELF does not fully determine).
    pub skipped: Option<String>,
}

/// Which loader puts an object into the kernel.
///
/// Both create the maps (legacy and BTF-defined maps, global data as array maps with
/// [`LoadOptions::globals`] applied), relocate and load every program with its type from
/// its section name, and give the same [`KernelObject`]; they differ in who reads the ELF:
///
/// - [`Loader::Aya`] ([`KernelObject::load`]): aya 0.14 parses, relocates (CO-RE against the
///   running kernel's BTF) and loads. It shares no code with ebee, which makes it the better
///   oracle for the formats it knows: a disagreement with ebee then cannot come from a
///   parsing bug both share.
/// - [`Loader::EbeeObject`] ([`KernelObject::load_parsed`]): ebee's own parser and linker
///   (`ebee_object::ObjectSpec`) read and link the object; this crate creates the maps and
///   loads the linked programs with raw `bpf(2)`, as libbpf would. It loads whatever
///   ebee-object reads; use it for objects aya cannot load (iproute2's `struct
///   bpf_elf_map`, libbpf 0.x section names such as `xdp/name`, section names libbpf does
///   not know, `bpf_spin_lock` values, maps of maps and program arrays with initial values,
///   kfunc calls...), and to check that what ebee parses is what the kernel accepts.
///
/// ```
/// use ebee_kernel::Loader;
/// assert_eq!(Loader::ALL, [Loader::Aya, Loader::EbeeObject]);
/// assert_eq!(Loader::EbeeObject.to_string(), "ebee-object");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Loader {
    /// aya parses, relocates and loads.
    Aya,
    /// ebee-object parses and links; raw `bpf(2)` creates and loads.
    EbeeObject,
}

impl Loader {
    /// Both loaders, for tests that compare them.
    pub const ALL: [Loader; 2] = [Loader::Aya, Loader::EbeeObject];
}

impl std::fmt::Display for Loader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Loader::Aya => "aya",
            Loader::EbeeObject => "ebee-object",
        })
    }
}

/// Inputs of one `BPF_PROG_TEST_RUN`.
///
/// # Example
///
/// ```
/// use ebee_kernel::TestRun;
///
/// let packet = [0u8; 64];
/// let run = TestRun { data_in: &packet, data_size_out: 64, ..TestRun::default() };
/// assert_eq!(run.repeat, 1);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct TestRun<'a> {
    /// The packet: for XDP the frame handed to the program; for TC and socket
    /// programs a frame starting with an Ethernet header (at least 14 bytes).
    pub data_in: &'a [u8],
    /// The context in: `struct xdp_md` for XDP, `struct __sk_buff` for TC/socket
    /// programs; `None` lets the kernel build a default one.
    pub ctx_in: Option<&'a [u8]>,
    /// How many times the kernel runs the program (0 means 1; raw tracepoint and syscall
    /// test runs refuse anything but 0).
    pub repeat: u32,
    /// Size of the buffer for the packet out; 0 asks for no packet out.
    pub data_size_out: usize,
    /// Size of the buffer for the context out; 0 asks for no context out.
    pub ctx_size_out: usize,
    /// `BPF_F_TEST_*` flags. The kernel accepts only some per program type:
    /// XDP takes [`crate::consts::BPF_F_TEST_XDP_LIVE_FRAMES`], skb programs
    /// [`crate::BPF_F_TEST_SKB_CHECKSUM_COMPLETE`], raw tracepoints
    /// [`crate::BPF_F_TEST_RUN_ON_CPU`]; others give `EINVAL`. Without
    /// `BPF_F_TEST_RUN_ON_CPU` the program runs on the calling thread's CPU.
    pub flags: u32,
    /// The CPU to run on when `flags` has [`crate::BPF_F_TEST_RUN_ON_CPU`]
    /// (must be 0 otherwise).
    pub cpu: u32,
}

impl Default for TestRun<'_> {
    fn default() -> Self {
        Self {
            data_in: &[],
            ctx_in: None,
            repeat: 1,
            data_size_out: 0,
            ctx_size_out: 0,
            flags: 0,
            cpu: 0,
        }
    }
}

/// What `BPF_PROG_TEST_RUN` returned.
///
/// # Example
///
/// ```
/// let r = ebee_kernel::TestRunResult {
///     retval: 2,
///     duration_ns: 10,
///     data_out: vec![],
///     ctx_out: vec![],
///     ctx_in_after: vec![],
/// };
/// assert_eq!(r.retval, 2); // XDP_PASS
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestRunResult {
    /// The program's return value (`r0`, truncated to 32 bits by the kernel).
    pub retval: u32,
    /// Average run time per repetition in nanoseconds, as the kernel measured it.
    pub duration_ns: u32,
    /// The packet after the run (what the kernel wrote back, at most `data_size_out`).
    pub data_out: Vec<u8>,
    /// The context after the run (at most `ctx_size_out` bytes).
    pub ctx_out: Vec<u8>,
    /// The `ctx_in` buffer after the run: syscall programs' test runs write the context back
    /// there (they take no `ctx_out`); for other types it is `ctx_in` unchanged.
    pub ctx_in_after: Vec<u8>,
}

/// A kernel-side map: an owned duplicate of its fd, bound to its kernel-reported shape.
pub(crate) struct MapSlot {
    pub(crate) raw: sys::RawMap,
    pub(crate) info: crate::MapInfo,
}

/// A program: what [`KernelObject::programs`] reports, and its fd when it was loaded.
pub(crate) struct ProgramSlot {
    pub(crate) info: ProgramInfo,
    pub(crate) fd: Option<OwnedFd>,
}

impl ProgramSlot {
    /// A loaded program, its type as the kernel reports it.
    pub(crate) fn loaded(name: &str, fd: OwnedFd) -> Result<Self> {
        let ty =
            sys::prog_type(fd.as_fd()).map_err(|e| Error::syscall("BPF_OBJ_GET_INFO_BY_FD", e))?;
        Ok(Self {
            info: ProgramInfo {
                name: name.to_owned(),
                prog_type: Some(ty),
                skipped: None,
            },
            fd: Some(fd),
        })
    }

    /// A program that was not loaded, and why.
    pub(crate) fn skipped(name: &str, reason: String) -> Self {
        Self {
            info: ProgramInfo {
                name: name.to_owned(),
                prog_type: None,
                skipped: Some(reason),
            },
            fd: None,
        }
    }
}

impl MapSlot {
    /// A map by its fd, with the shape the kernel reports for it.
    pub(crate) fn new(name: &str, fd: OwnedFd, possible_cpus: usize) -> Result<Self> {
        let (raw, raw_info) = sys::RawMap::new(fd, possible_cpus)
            .map_err(|e| Error::syscall("BPF_OBJ_GET_INFO_BY_FD", e))?;
        let info = crate::MapInfo::from_raw(name, &raw_info);
        Ok(Self { raw, info })
    }
}

/// An ELF object loaded into the running kernel: its maps created and every
/// program it could load verified and loaded.
///
/// Dropping it closes every fd, which frees the programs and maps. Whichever
/// [`Loader`] made it, it is used the same way.
///
/// # Example
///
/// ```no_run
/// use ebee_kernel::{KernelObject, LoadOptions, Loader, TestRun};
///
/// let elf = std::fs::read("xdp_prog.o")?;
/// for loader in Loader::ALL {
///     let obj = KernelObject::load_with(loader, &elf, &LoadOptions::default())?;
///     let packet = [0u8; 64];
///     let r = obj.test_run("xdp_prog", &TestRun { data_in: &packet, data_size_out: 256, ..Default::default() })?;
///     println!("{loader}: retval {}", r.retval);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct KernelObject {
    pub(crate) loader: Loader,
    pub(crate) programs: BTreeMap<String, ProgramSlot>,
    pub(crate) maps: BTreeMap<String, MapSlot>,
    pub(crate) perf: BTreeMap<String, PerfState>,
    /// Why the kernel refused the object's BTF (ebee-object path only).
    pub(crate) btf_error: Option<String>,
}

impl std::fmt::Debug for KernelObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KernelObject")
            .field("loader", &self.loader)
            .field("programs", &self.programs())
            .field("maps", &self.maps.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl KernelObject {
    /// Loads `elf` with aya ([`Loader::Aya`]): parses it, applies `opts.globals`, creates
    /// its maps (legacy and BTF `.maps`, `.rodata`/`.data`/`.bss`), performs relocations
    /// (including CO-RE against the running kernel's BTF) and loads every program whose type is
    /// known from its section name (`xdp`, `tc`/`classifier`, `socket`, `kprobe`,
    /// `tracepoint`, `cgroup_skb/...`, ...; libbpf's `tc`, `tc/...` and `tcx/...`
    /// names are first rewritten to aya's `classifier`, see the crate docs).
    ///
    /// Programs that need an attach target at load time (`fentry`, `fexit`, `lsm`,
    /// `tp_btf`, `iter`, `freplace`) are listed in [`Self::programs`] as skipped.
    ///
    /// # Errors
    ///
    /// [`Error::Object`] when parsing/map creation fails, [`Error::ProgramLoad`]
    /// (with the verifier log) when the kernel rejects a program.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use ebee_kernel::{KernelObject, LoadOptions};
    ///
    /// let elf = std::fs::read("prog.o")?;
    /// let opts = LoadOptions { globals: vec![("limit".into(), 7u32.to_ne_bytes().to_vec())] };
    /// let obj = KernelObject::load(&elf, &opts)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn load(elf: &[u8], opts: &LoadOptions) -> Result<Self> {
        crate::aya_loader::load(elf, opts)
    }

    /// Loads `elf` as ebee reads it ([`Loader::EbeeObject`]): `ebee_object::ObjectSpec`
    /// parses and links it, and this crate creates and loads the rest with raw `bpf(2)`, the
    /// way libbpf does:
    ///
    /// - `opts.globals` are set with `ObjectSpec::set_global`;
    /// - the object's BTF is loaded (`BPF_BTF_LOAD`) after the fix-ups libbpf makes (data
    ///   section sizes and variable offsets from the ELF, extern functions and variables
    ///   made loadable); if the kernel refuses it, everything is loaded without BTF, as
    ///   libbpf does, and [`Self::btf_error`] says why;
    /// - every map is created (`BPF_MAP_CREATE`: type, sizes, `max_entries`, flags,
    ///   `map_extra`, NUMA node, BTF key and value types when the object's BTF has them,
    ///   the inner map's template for maps of maps); perf event arrays without
    ///   `max_entries` get one entry per possible CPU and ring buffer sizes are rounded up to
    ///   a power-of-two number of pages, as in libbpf;
    /// - global data maps get their initial contents, `.rodata*` maps are then frozen;
    /// - maps of maps and program arrays declared with initial values get them;
    /// - each program is linked (CO-RE against the running kernel's BTF when the object
    ///   has CO-RE relocations, kfunc calls resolved in it), its map references rewritten
    ///   to `BPF_PSEUDO_MAP_FD`/`BPF_PSEUDO_MAP_VALUE`, and it is loaded with the program
    ///   type and expected attach type of its section, its BTF function info, the
    ///   object's license, and the kernel version for kprobes.
    ///
    /// Programs of section names no program type has, and programs that need an attach
    /// target at load time (`fentry`, `fexit`, `fmod_ret`, `tp_btf`, `iter`, `lsm`,
    /// `freplace`, `struct_ops`), are listed in [`Self::programs`] as skipped.
    ///
    /// # Errors
    ///
    /// [`Error::Object`] when ebee-object refuses the object, a global does not exist or
    /// has another size, or a map cannot be created or filled; [`Error::ProgramLoad`]
    /// (with the verifier log) when the kernel rejects a program.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use ebee_kernel::{KernelObject, LoadOptions};
    ///
    /// // An iproute2 object with `struct bpf_elf_map` definitions, which aya refuses.
    /// let elf = std::fs::read("tc_prog.o")?;
    /// let obj = KernelObject::load_parsed(&elf, &LoadOptions::default())?;
    /// println!("{:?}", obj.programs());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn load_parsed(elf: &[u8], opts: &LoadOptions) -> Result<Self> {
        crate::parsed::load(elf, opts)
    }

    /// [`Self::load_parsed`] for an object ebee-object has already parsed, and the host may
    /// have changed: program types set ([`ObjectSpec::set_program_type`]), map sizes set
    /// ([`ObjectSpec::set_map_value_size`], [`ObjectSpec::set_max_entries`]), globals set.
    /// `elf` is the file `spec` was parsed from (its BTF is loaded from it).
    ///
    /// # Errors
    ///
    /// Those of [`Self::load_parsed`].
    ///
    /// # Example
    ///
    /// ```no_run
    /// use ebee_kernel::{KernelObject, LoadOptions};
    /// use ebee_object::{program_type_by_name, ObjectSpec};
    ///
    /// let elf = std::fs::read("prog.o")?;
    /// let mut spec = ObjectSpec::parse(&elf)?;
    /// spec.set_all_program_types(&program_type_by_name("xdp").unwrap(), "xdp");
    /// let obj = KernelObject::load_spec(&elf, spec, &LoadOptions::default())?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// [`ObjectSpec::set_program_type`]: ebee_object::ObjectSpec::set_program_type
    /// [`ObjectSpec::set_map_value_size`]: ebee_object::ObjectSpec::set_map_value_size
    /// [`ObjectSpec::set_max_entries`]: ebee_object::ObjectSpec::set_max_entries
    pub fn load_spec(
        elf: &[u8],
        spec: ebee_object::ObjectSpec,
        opts: &LoadOptions,
    ) -> Result<Self> {
        crate::parsed::load_spec(elf, spec, opts)
    }

    /// Loads `elf` with `loader`: [`Self::load`] or [`Self::load_parsed`].
    ///
    /// # Errors
    ///
    /// Those of the loader.
    pub fn load_with(loader: Loader, elf: &[u8], opts: &LoadOptions) -> Result<Self> {
        match loader {
            Loader::Aya => Self::load(elf, opts),
            Loader::EbeeObject => Self::load_parsed(elf, opts),
        }
    }

    /// The loader that made this object.
    pub fn loader(&self) -> Loader {
        self.loader
    }

    /// Why the kernel refused the object's BTF, when [`Self::load_parsed`] loaded it
    /// without (the verifier's BTF log). `None` when the BTF was loaded, when the object has
    /// none, and for [`Loader::Aya`] (aya does its own BTF handling).
    pub fn btf_error(&self) -> Option<&str> {
        self.btf_error.as_deref()
    }

    /// Every program of the object, sorted by name, loaded or skipped.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # let elf = std::fs::read("prog.o").unwrap();
    /// # let obj = ebee_kernel::KernelObject::load(&elf, &Default::default()).unwrap();
    /// let names: Vec<_> = obj.programs().into_iter().map(|p| p.name).collect();
    /// ```
    pub fn programs(&self) -> Vec<ProgramInfo> {
        self.programs.values().map(|p| p.info.clone()).collect()
    }

    /// The file descriptor of loaded program `program`, e.g. to store it into a
    /// prog array (`map_update(jmp, key, &(fd.as_raw_fd() as u32).to_ne_bytes(), 0)`).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownProgram`] when there is no such program,
    /// [`Error::ProgramNotLoaded`] when it was not loaded.
    pub fn program_fd(&self, program: &str) -> Result<BorrowedFd<'_>> {
        let slot = self
            .programs
            .get(program)
            .ok_or_else(|| Error::UnknownProgram(program.to_owned()))?;
        match (&slot.fd, &slot.info.skipped) {
            (Some(fd), _) => Ok(fd.as_fd()),
            (None, reason) => Err(Error::ProgramNotLoaded {
                program: program.to_owned(),
                reason: reason.clone().unwrap_or_default(),
            }),
        }
    }

    /// Runs program `program` once (or `run.repeat` times) with
    /// `BPF_PROG_TEST_RUN`, the kernel's own test harness.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownProgram`], [`Error::ProgramNotLoaded`],
    /// [`Error::OutputTooSmall`] on `ENOSPC`, [`Error::Syscall`] otherwise (e.g.
    /// `EINVAL` for a packet shorter than an Ethernet header, `ENOTSUPP` for a
    /// program type without test-run support).
    ///
    /// # Example
    ///
    /// ```no_run
    /// use ebee_kernel::{KernelObject, LoadOptions, TestRun};
    ///
    /// # let elf = std::fs::read("prog.o")?;
    /// let obj = KernelObject::load(&elf, &LoadOptions::default())?;
    /// let packet = vec![0u8; 64];
    /// let run = TestRun { data_in: &packet, data_size_out: 1514, ..TestRun::default() };
    /// let r = obj.test_run("xdp_pass", &run)?;
    /// assert_eq!(r.retval, 2); // XDP_PASS
    /// assert_eq!(r.data_out, packet);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn test_run(&self, program: &str, run: &TestRun<'_>) -> Result<TestRunResult> {
        let fd = self.program_fd(program)?;

        crate::raw::run_program(fd.as_fd(), run)
    }
}
