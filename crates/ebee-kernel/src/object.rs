//! [`KernelObject`]: an ELF object loaded into the kernel, and running its programs.

use std::collections::BTreeMap;
use std::os::fd::AsFd;

use aya::maps::{Map, MapData};
use aya::programs::{Program, ProgramError};
use aya::{Ebpf, EbpfLoader};

use crate::error::{chain, Error, Result};
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

/// An ELF object loaded into the running kernel: its maps created and every
/// program it could load verified and loaded.
///
/// Dropping it closes every fd, which frees the programs and maps.
///
/// # Example
///
/// ```no_run
/// use ebee_kernel::{KernelObject, LoadOptions, TestRun};
///
/// let elf = std::fs::read("xdp_prog.o")?;
/// let obj = KernelObject::load(&elf, &LoadOptions::default())?;
/// let packet = [0u8; 64];
/// let r = obj.test_run("xdp_prog", &TestRun { data_in: &packet, data_size_out: 256, ..Default::default() })?;
/// println!("retval {}", r.retval);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct KernelObject {
    pub(crate) ebpf: Ebpf,
    pub(crate) programs: BTreeMap<String, ProgramInfo>,
    pub(crate) maps: BTreeMap<String, MapSlot>,
    pub(crate) perf: BTreeMap<String, PerfState>,
}

impl std::fmt::Debug for KernelObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KernelObject")
            .field("programs", &self.programs)
            .field("maps", &self.maps.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl KernelObject {
    /// Parses `elf`, applies `opts.globals`, creates its maps (legacy and BTF
    /// `.maps`, `.rodata`/`.data`/`.bss`), performs relocations (including CO-RE
    /// against the running kernel's BTF) and loads every program whose type is
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
        let mut loader = EbpfLoader::new();
        loader.allow_unsupported_maps();
        for (name, value) in &opts.globals {
            loader.override_global(name.as_str(), value.as_slice(), true);
        }
        // Nothing is pinned, so nothing touches bpffs (see `crate::unpin`).
        let elf = crate::unpin::strip_pinning(elf);
        let elf = crate::elf_fixup::rename_tc_sections(&elf);
        let mut ebpf = loader.load(&elf).map_err(|e| Error::Object(chain(&e)))?;

        let mut names: Vec<String> = ebpf.programs().map(|(n, _)| n.to_owned()).collect();
        names.sort();
        let mut programs = BTreeMap::new();
        for name in names {
            let Some(program) = ebpf.program_mut(&name) else {
                continue;
            };
            let info = match load_program(program) {
                Ok(None) => {
                    let fd = program
                        .fd()
                        .map_err(|e| Error::Object(format!("program `{name}`: {}", chain(&e))))?;
                    let ty = sys::prog_type(fd.as_fd())
                        .map_err(|e| Error::syscall("BPF_OBJ_GET_INFO_BY_FD", e))?;
                    ProgramInfo {
                        name: name.clone(),
                        prog_type: Some(ty),
                        skipped: None,
                    }
                }
                Ok(Some(reason)) => ProgramInfo {
                    name: name.clone(),
                    prog_type: None,
                    skipped: Some(reason),
                },
                Err(ProgramError::LoadError {
                    io_error,
                    verifier_log,
                }) => {
                    return Err(Error::ProgramLoad {
                        program: name,
                        message: io_error.to_string(),
                        verifier_log: verifier_log.to_string(),
                    })
                }
                Err(e) => {
                    return Err(Error::Object(format!("program `{name}`: {}", chain(&e))));
                }
            };
            programs.insert(name, info);
        }

        let cpus = crate::num_possible_cpus()?;
        let mut maps = BTreeMap::new();
        for (name, map) in ebpf.maps() {
            let fd = map_data(map)
                .fd()
                .as_fd()
                .try_clone_to_owned()
                .map_err(|e| Error::syscall("dup", e))?;
            let (raw, raw_info) = sys::RawMap::new(fd, cpus)
                .map_err(|e| Error::syscall("BPF_OBJ_GET_INFO_BY_FD", e))?;
            let info = crate::MapInfo::from_raw(name, &raw_info);
            maps.insert(name.to_owned(), MapSlot { raw, info });
        }

        Ok(Self {
            ebpf,
            programs,
            maps,
            perf: BTreeMap::new(),
        })
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
        self.programs.values().cloned().collect()
    }

    /// The file descriptor of loaded program `program`, e.g. to store it into a
    /// prog array (`map_update(jmp, key, &(fd.as_raw_fd() as u32).to_ne_bytes(), 0)`).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownProgram`] when there is no such program, [`Error::Object`]
    /// when it was not loaded.
    pub fn program_fd(&self, program: &str) -> Result<std::os::fd::BorrowedFd<'_>> {
        let prog = self
            .ebpf
            .program(program)
            .ok_or_else(|| Error::UnknownProgram(program.to_owned()))?;
        let fd = prog
            .fd()
            .map_err(|e| Error::Object(format!("program `{program}`: {}", chain(&e))))?;
        Ok(fd.as_fd())
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
        let info = self
            .programs
            .get(program)
            .ok_or_else(|| Error::UnknownProgram(program.to_owned()))?;
        if let Some(reason) = &info.skipped {
            return Err(Error::ProgramNotLoaded {
                program: program.to_owned(),
                reason: reason.clone(),
            });
        }
        let prog = self
            .ebpf
            .program(program)
            .ok_or_else(|| Error::UnknownProgram(program.to_owned()))?;
        let fd = prog
            .fd()
            .map_err(|e| Error::Object(format!("program `{program}`: {}", chain(&e))))?;

        crate::raw::run_program(fd.as_fd(), run)
    }
}

/// Loads one program. `Ok(Some(reason))` means it was skipped.
fn load_program(program: &mut Program) -> Result<Option<String>, ProgramError> {
    let needs_target = |kind: &str| Ok(Some(format!("{kind} programs need an attach target")));
    match program {
        Program::KProbe(p) => p.load(),
        Program::UProbe(p) => p.load(),
        Program::TracePoint(p) => p.load(),
        Program::SocketFilter(p) => p.load(),
        Program::ReusePortSocketFilter(p) => p.load(),
        Program::Xdp(p) => p.load(),
        Program::SkMsg(p) => p.load(),
        Program::SkSkb(p) => p.load(),
        Program::CgroupSockAddr(p) => p.load(),
        Program::SockOps(p) => p.load(),
        Program::SchedClassifier(p) => p.load(),
        Program::CgroupSkb(p) => p.load(),
        Program::CgroupSysctl(p) => p.load(),
        Program::CgroupSockopt(p) => p.load(),
        Program::LircMode2(p) => p.load(),
        Program::PerfEvent(p) => p.load(),
        Program::RawTracePoint(p) => p.load(),
        Program::FlowDissector(p) => p.load(),
        Program::SkLookup(p) => p.load(),
        Program::SkReuseport(p) => p.load(),
        Program::CgroupSock(p) => p.load(),
        Program::CgroupDevice(p) => p.load(),
        Program::Lsm(_) | Program::LsmCgroup(_) => return needs_target("lsm"),
        Program::BtfTracePoint(_) => return needs_target("tp_btf"),
        Program::FEntry(_) => return needs_target("fentry"),
        Program::FExit(_) => return needs_target("fexit"),
        Program::Extension(_) => return needs_target("freplace"),
        Program::Iter(_) => return needs_target("iter"),
    }
    .map(|()| None)
}

/// The [`MapData`] inside any [`Map`] variant (aya has no accessor for it).
pub(crate) fn map_data(map: &Map) -> &MapData {
    match map {
        Map::Array(m)
        | Map::ArrayOfMaps(m)
        | Map::BloomFilter(m)
        | Map::CgroupArray(m)
        | Map::CgroupStorage(m)
        | Map::CgrpStorage(m)
        | Map::CpuMap(m)
        | Map::DevMap(m)
        | Map::DevMapHash(m)
        | Map::HashMap(m)
        | Map::HashOfMaps(m)
        | Map::InodeStorage(m)
        | Map::LpmTrie(m)
        | Map::LruHashMap(m)
        | Map::PerCpuArray(m)
        | Map::PerCpuCgroupStorage(m)
        | Map::PerCpuHashMap(m)
        | Map::PerCpuLruHashMap(m)
        | Map::PerfEventArray(m)
        | Map::ProgramArray(m)
        | Map::Queue(m)
        | Map::ReusePortSockArray(m)
        | Map::RingBuf(m)
        | Map::SockHash(m)
        | Map::SockMap(m)
        | Map::SkStorage(m)
        | Map::Stack(m)
        | Map::StackTraceMap(m)
        | Map::Unsupported(m)
        | Map::XskMap(m) => m,
    }
}
