//! [`Loader::EbeeObject`]: ebee-object parses and links the object; this module creates its
//! BTF, maps and programs in the kernel with raw `bpf(2)`, following libbpf
//! (`bpf_object__load`): BTF first, then maps (with their initial contents, `.rodata`
//! frozen, maps of maps filled), then programs (map references turned into fds), then
//! program arrays. See [`KernelObject::load_parsed`] for what is supported.
//!
//! Instructions are rewritten in their byte form (`LinkedProgram::to_bytes`, little-endian
//! `struct bpf_insn`: the oracle runs on x86-64).

use std::collections::{BTreeMap, HashMap};
use std::ffi::CString;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::OnceLock;

use ebee_abi::attach_type as at;
use ebee_abi::pseudo::{BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE};
use ebee_abi::MapType;
use ebee_object::{
    Btf, BtfKind, DataSection, LinkedProgram, MapOrigin, MapSpec, ObjectSpec, ProgramKind,
    SlotTarget, TypeRule,
};

use crate::error::{chain, Error, Result};
use crate::object::{KernelObject, LoadOptions, Loader, MapSlot, ProgramSlot};
use crate::sys::{self, fd_u32};

/// `enum bpf_attach_type` values newer than the Linux 6.1 header that ebee-abi and the
/// installed `linux/bpf.h` stop at (the enum is append-only: 44 is `BPF_STRUCT_OPS`, 45
/// `BPF_NETFILTER`, then these).
const BPF_TCX_INGRESS: u32 = 46;
const BPF_TCX_EGRESS: u32 = 47;
const BPF_TRACE_UPROBE_MULTI: u32 = 48;
const BPF_CGROUP_UNIX_CONNECT: u32 = 49;
const BPF_CGROUP_UNIX_SENDMSG: u32 = 50;
const BPF_CGROUP_UNIX_RECVMSG: u32 = 51;
const BPF_CGROUP_UNIX_GETPEERNAME: u32 = 52;
const BPF_CGROUP_UNIX_GETSOCKNAME: u32 = 53;
const BPF_NETKIT_PRIMARY: u32 = 54;
const BPF_NETKIT_PEER: u32 = 55;
const BPF_TRACE_KPROBE_SESSION: u32 = 56;
const BPF_TRACE_UPROBE_SESSION: u32 = 57;
/// `BPF_NETFILTER`.
const BPF_NETFILTER: u32 = 45;

use ebee_abi::flags::BPF_F_SLEEPABLE;
/// `BPF_PROG_LOAD` flag (`linux/bpf.h`).
const BPF_F_XDP_HAS_FRAGS: u32 = 1 << 5;

/// The `lddw` opcode (`BPF_LD | BPF_IMM | BPF_DW`).
const LDDW: u8 = 0x18;
/// The running kernel's BTF.
const VMLINUX_BTF: &str = "/sys/kernel/btf/vmlinux";
/// Verifier log sizes tried, in turn, when a program is refused.
const LOG_SIZES: [usize; 3] = [1 << 20, 16 << 20, 128 << 20];

/// See [`KernelObject::load_parsed`].
pub(crate) fn load(elf: &[u8], opts: &LoadOptions) -> Result<KernelObject> {
    let spec = ObjectSpec::parse(elf).map_err(|e| Error::Object(chain(&e)))?;
    load_spec(elf, spec, opts)
}

/// See [`KernelObject::load_spec`].
pub(crate) fn load_spec(
    elf: &[u8],
    mut spec: ObjectSpec,
    opts: &LoadOptions,
) -> Result<KernelObject> {
    for (name, value) in &opts.globals {
        spec.set_global(name, value)
            .map_err(|e| Error::Object(format!("global `{name}`: {}", chain(&e))))?;
    }
    let cpus = crate::num_possible_cpus()?;
    let (btf, btf_error) = match spec.btf() {
        None => (None, None),
        Some(btf) => match load_btf(elf, btf) {
            Ok(fd) => (Some(fd), None),
            Err(reason) => (None, Some(reason)),
        },
    };
    let ctx = Context {
        spec: &spec,
        btf: btf.as_ref().map(AsFd::as_fd),
        btf_error: btf_error.as_deref(),
        cpus,
    };
    let mut linked = ctx.link(elf)?;
    // In name order, as the aya path loads them: the first program the kernel refuses is
    // the same on both paths.
    linked.sort_by(|a, b| a.name.cmp(&b.name));

    let mut maps = Vec::with_capacity(spec.maps().len());
    for map in spec.maps() {
        let fd = ctx.create_map(map)?;
        maps.push(MapSlot::new(&map.name, fd, cpus)?);
    }
    ctx.fill_data(&maps)?;
    ctx.fill_map_slots(&maps)?;

    let license = CString::new(spec.license().replace('\0', ""))
        .map_err(|e| Error::Object(format!("license: {e}")))?;
    let mut programs = BTreeMap::new();
    for program in &linked {
        let slot = ctx.load_program(program, &maps, &license)?;
        programs.insert(program.name.clone(), slot);
    }
    ctx.fill_program_slots(&maps, &programs)?;

    let maps = spec
        .maps()
        .iter()
        .zip(maps)
        .map(|(map, slot)| (map.name.clone(), slot))
        .collect();
    Ok(KernelObject {
        loader: Loader::EbeeObject,
        programs,
        maps,
        perf: BTreeMap::new(),
        btf_error,
    })
}

/// Loads the object's BTF, fixed up for the kernel; `Err` is the kernel's reason (its BTF
/// log when it gave one).
fn load_btf(elf: &[u8], btf: &Btf) -> Result<OwnedFd, String> {
    let data = crate::kernel_btf::for_kernel(elf, btf);
    match sys::btf_load(&data, None) {
        Ok(fd) => Ok(fd),
        Err(first) => {
            let mut log = vec![0u8; LOG_SIZES[0]];
            let _ = sys::btf_load(&data, Some(&mut log));
            let log = log_text(&log);
            Err(format!("BPF_BTF_LOAD failed: {first}\n{}", log.trim_end()))
        }
    }
}

/// The kernel's BTF, parsed once per process: what CO-RE relocations and kfunc calls resolve
/// against. `Err` says why it cannot be had.
fn vmlinux() -> &'static Result<Vmlinux, String> {
    static VMLINUX: OnceLock<Result<Vmlinux, String>> = OnceLock::new();
    VMLINUX.get_or_init(|| {
        let bytes = std::fs::read(VMLINUX_BTF).map_err(|e| format!("{VMLINUX_BTF}: {e}"))?;
        let btf = Btf::parse(&bytes).map_err(|e| format!("{VMLINUX_BTF}: {}", chain(&e)))?;
        let funcs = btf
            .types()
            .filter(|(_, t)| matches!(t.kind, BtfKind::Func { .. }))
            .map(|(id, t)| (t.name.clone(), id))
            .collect();
        Ok(Vmlinux { btf, funcs })
    })
}

/// The kernel's BTF, and its functions by name.
struct Vmlinux {
    btf: Btf,
    funcs: HashMap<String, u32>,
}

/// Whether the object's `.BTF.ext` holds CO-RE relocations (its header's `core_relo_len`).
fn has_core_relocations(elf: &[u8]) -> bool {
    use object::{Object, ObjectSection};
    let Ok(file) = object::File::parse(elf) else {
        return false;
    };
    let Some(data) = file.section_by_name(".BTF.ext").and_then(|s| s.data().ok()) else {
        return false;
    };
    let u32_at = |at: usize| {
        data.get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_le_bytes)
    };
    // struct btf_ext_header: magic, version, flags, hdr_len, func_info_off/len,
    // line_info_off/len, then (when hdr_len covers them) core_relo_off/len.
    matches!((u32_at(4), u32_at(28)), (Some(hdr_len), Some(len)) if hdr_len >= 32 && len > 0)
}

/// What loading one object needs at every step.
struct Context<'a> {
    spec: &'a ObjectSpec,
    btf: Option<BorrowedFd<'a>>,
    btf_error: Option<&'a str>,
    cpus: usize,
}

impl Context<'_> {
    /// Links every program: CO-RE against the kernel's BTF when there are CO-RE
    /// relocations and it can be read (else against the object's own, as ebee does).
    fn link(&self, elf: &[u8]) -> Result<Vec<LinkedProgram>> {
        let target = if has_core_relocations(elf) {
            vmlinux().as_ref().ok().map(|v| &v.btf)
        } else {
            None
        };
        self.spec.link(target).map_err(|e| Error::Object(chain(&e)))
    }

    /// What to say about the BTF in an error, when the kernel refused it.
    fn btf_note(&self) -> String {
        match self.btf_error {
            Some(reason) => format!(" (loaded without BTF, which the kernel refused: {reason})"),
            None => String::new(),
        }
    }

    /// `BPF_MAP_CREATE` for one map (and the template of its inner map), as libbpf's
    /// `bpf_object__create_map` does: with BTF key and value types when there are, retried
    /// without them when the kernel refuses.
    fn create_map(&self, map: &MapSpec) -> Result<OwnedFd> {
        let inner = match &map.inner {
            Some(inner) => Some(self.create_map(inner)?),
            None if map.is_map_in_map() => {
                return Err(Error::Object(format!(
                    "map `{}`: a map of maps needs an inner map definition \
                     (`__array(values, struct inner)`)",
                    map.name
                )))
            }
            None => None,
        };
        // libbpf's adjustments: perf event array defaults, ring buffer sizes.
        let map = &map.adjusted_for_load(self.cpus, page_size());
        let btf = self
            .btf
            .filter(|_| takes_btf(map.map_type))
            .and_then(|fd| Some((fd, map.key_type_id.unwrap_or(0), map.value_type_id?)));
        let mut request = sys::MapCreate {
            map_type: map.map_type,
            key_size: map.key_size,
            value_size: map.value_size,
            max_entries: map.max_entries,
            map_flags: map.map_flags,
            numa_node: map.numa_node,
            map_extra: map.map_extra,
            name: &map.name,
            inner_map: inner.as_ref().map(AsFd::as_fd),
            btf,
        };
        match sys::map_create(&request) {
            Ok(fd) => Ok(fd),
            Err(with_btf) if request.btf.is_some() => {
                request.btf = None;
                sys::map_create(&request).map_err(|e| {
                    Error::Object(format!(
                        "map `{}`: BPF_MAP_CREATE failed: with BTF: {with_btf}; without: {e}",
                        map.name
                    ))
                })
            }
            Err(e) => Err(Error::Object(format!(
                "map `{}`: BPF_MAP_CREATE failed: {e}{}",
                map.name,
                self.btf_note()
            ))),
        }
    }

    /// Global data maps get their contents; `.rodata*` maps are frozen after, as libbpf's
    /// `bpf_object__populate_internal_map` does.
    fn fill_data(&self, maps: &[MapSlot]) -> Result<()> {
        for (map, slot) in self.spec.maps().iter().zip(maps) {
            let Some(data) = &map.initial_data else {
                continue;
            };
            slot.raw
                .update(&0u32.to_ne_bytes(), data, 0)
                .map_err(|e| Error::Object(format!("map `{}`: initial data: {e}", map.name)))?;
            if matches!(map.origin, MapOrigin::GlobalData(DataSection::Rodata)) {
                sys::map_freeze(slot.raw.fd()).map_err(|e| {
                    Error::Object(format!("map `{}`: BPF_MAP_FREEZE: {e}", map.name))
                })?;
            }
        }
        Ok(())
    }

    /// Maps of maps declared with initial values (`.values = { [i] = &inner }`).
    fn fill_map_slots(&self, maps: &[MapSlot]) -> Result<()> {
        for (map, slot) in self.spec.maps().iter().zip(maps) {
            for init in &map.initial_slots {
                let SlotTarget::Map(index) = &init.target else {
                    continue;
                };
                let target = maps.get(*index).ok_or_else(|| {
                    Error::Object(format!(
                        "map `{}`: slot {}: no map {index}",
                        map.name, init.index
                    ))
                })?;
                set_slot(map, slot, init.index, target.raw.fd())?;
            }
        }
        Ok(())
    }

    /// Program arrays declared with initial values (`.values = { [i] = &prog }`).
    fn fill_program_slots(
        &self,
        maps: &[MapSlot],
        programs: &BTreeMap<String, ProgramSlot>,
    ) -> Result<()> {
        for (map, slot) in self.spec.maps().iter().zip(maps) {
            for init in &map.initial_slots {
                let SlotTarget::Program(name) = &init.target else {
                    continue;
                };
                let fd = programs
                    .get(name)
                    .and_then(|p| p.fd.as_ref())
                    .ok_or_else(|| {
                        Error::Object(format!(
                            "map `{}`: slot {}: program `{name}` was not loaded",
                            map.name, init.index
                        ))
                    })?;
                set_slot(map, slot, init.index, fd.as_fd())?;
            }
        }
        Ok(())
    }

    /// Loads one linked program, or says why it is skipped.
    fn load_program(
        &self,
        program: &LinkedProgram,
        maps: &[MapSlot],
        license: &CString,
    ) -> Result<ProgramSlot> {
        let name = &program.name;
        let Some(prog_type) = program.kind.prog_type() else {
            let reason = format!("section `{}` names no program type", program.section);
            return Ok(ProgramSlot::skipped(name, reason));
        };
        if let Some(reason) = needs_attach_target(&program.kind, &program.section) {
            return Ok(ProgramSlot::skipped(name, reason));
        }
        // The expected attach type: from the section, or from the name a type override
        // was given.
        let section = match &program.rule {
            TypeRule::Override(name) => name.as_str(),
            _ => program
                .section
                .strip_prefix('?')
                .unwrap_or(&program.section),
        };
        let spec = self.spec.program(name);
        let mut prog_flags = 0;
        if spec.is_some_and(|p| p.sleepable) {
            prog_flags |= BPF_F_SLEEPABLE;
        }
        if spec.is_some_and(|p| p.frags) {
            prog_flags |= BPF_F_XDP_HAS_FRAGS;
        }
        let kern_version = match program.kind {
            ProgramKind::Kprobe => self.spec.kernel_version().unwrap_or_else(|| {
                aya::util::KernelVersion::current().map_or(0, aya::util::KernelVersion::code)
            }),
            _ => 0,
        };
        let insns = self.code_for_kernel(program, maps)?;
        let func_info = self.btf.and_then(|btf| Some((btf, func_info(program)?)));
        let load = sys::ProgLoad {
            prog_type,
            expected_attach_type: expected_attach_type(section),
            insns: &insns,
            license,
            kern_version,
            prog_flags,
            name,
            func_info: func_info
                .as_ref()
                .map(|(btf, info)| (*btf, info.as_slice())),
            log_level: 0,
            attach_btf_id: 0,
        };
        let first = match sys::prog_load_with(&load, None) {
            Ok(fd) => return ProgramSlot::loaded(name, fd),
            Err(e) => e,
        };
        // As libbpf: the first attempt without a log (fast), the log on failure.
        let mut verifier_log = String::new();
        for size in LOG_SIZES {
            let mut log = vec![0u8; size];
            match sys::prog_load_with(&load, Some(&mut log)) {
                Ok(fd) => return ProgramSlot::loaded(name, fd),
                Err(e) => {
                    verifier_log = log_text(&log);
                    if e.raw_os_error() != Some(libc::ENOSPC) {
                        break;
                    }
                }
            }
        }
        Err(Error::ProgramLoad {
            program: name.clone(),
            message: format!("{first}{}", self.btf_note()),
            verifier_log,
        })
    }

    /// The program's bytecode with map references as the kernel takes them (fds instead of
    /// map indices) and kfunc calls given their BTF ids in the kernel's BTF.
    fn code_for_kernel(&self, program: &LinkedProgram, maps: &[MapSlot]) -> Result<Vec<u8>> {
        let name = &program.name;
        let mut code = program.to_bytes();
        for reference in program.map_references() {
            let map = maps.get(reference.map_index).ok_or_else(|| {
                Error::Object(format!(
                    "program `{name}`: instruction {} refers to map {}, which the object does \
                     not have",
                    reference.pc, reference.map_index
                ))
            })?;
            let at = reference.pc * 8;
            let insn = code
                .get_mut(at..at + 16)
                .filter(|insn| insn[0] == LDDW && insn[8] == 0)
                .ok_or_else(|| {
                    Error::Object(format!(
                        "program `{name}`: instruction {} is not an lddw",
                        reference.pc
                    ))
                })?;
            let (src, second_imm) = match reference.value_offset {
                None => (BPF_PSEUDO_MAP_FD, 0),
                Some(offset) => (BPF_PSEUDO_MAP_VALUE, offset),
            };
            let fd = fd_u32(map.raw.fd());
            insn[1] = (src << 4) | (insn[1] & 0x0f);
            insn[4..8].copy_from_slice(&fd.to_le_bytes());
            insn[12..16].copy_from_slice(&second_imm.to_le_bytes());
        }
        if !program.kfunc_calls.is_empty() {
            let vmlinux = vmlinux().as_ref().map_err(|reason| {
                Error::Object(format!(
                    "program `{name}` calls kfuncs, which need the kernel's BTF: {reason}"
                ))
            })?;
            for call in &program.kfunc_calls {
                let id = vmlinux.funcs.get(&call.name).ok_or_else(|| {
                    Error::Object(format!(
                        "program `{name}`: kfunc `{}` is not a function of the kernel's BTF \
                         ({VMLINUX_BTF}; kfuncs of modules are not looked up)",
                        call.name
                    ))
                })?;
                let at = call.pc * 8;
                let insn = code.get_mut(at..at + 8).ok_or_else(|| {
                    Error::Object(format!("program `{name}`: no instruction {}", call.pc))
                })?;
                // `off` 0: the id is in vmlinux's BTF, not a module's.
                insn[2..4].copy_from_slice(&0u16.to_le_bytes());
                insn[4..8].copy_from_slice(&id.to_le_bytes());
            }
        }
        Ok(code)
    }
}

/// Stores `target`'s fd at `index` of map-in-map or program array `map`.
fn set_slot(map: &MapSpec, slot: &MapSlot, index: u32, target: BorrowedFd<'_>) -> Result<()> {
    let value = fd_u32(target).to_ne_bytes();
    slot.raw
        .update(&index.to_ne_bytes(), &value, 0)
        .map_err(|e| Error::Object(format!("map `{}`: initial slot {index}: {e}", map.name)))
}

/// The `struct bpf_func_info` records of a program: every function's first instruction and
/// BTF `FUNC` type, or `None` when some function has no BTF type (then none is passed).
fn func_info(program: &LinkedProgram) -> Option<Vec<u8>> {
    let mut functions: Vec<(u32, u32)> = program
        .functions
        .iter()
        .map(|f| Some((u32::try_from(f.pc).ok()?, f.btf_type_id?)))
        .collect::<Option<_>>()?;
    if functions.is_empty() {
        return None;
    }
    functions.sort_unstable();
    Some(
        functions
            .into_iter()
            .flat_map(|(pc, id)| [pc.to_ne_bytes(), id.to_ne_bytes()])
            .flatten()
            .collect(),
    )
}

/// The text of a NUL-terminated log buffer.
fn log_text(log: &[u8]) -> String {
    let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
    String::from_utf8_lossy(&log[..end]).into_owned()
}

/// Map types the kernel takes no BTF key/value types for (libbpf's list in
/// `bpf_object__create_map`), and struct_ops maps, whose value type is vmlinux's.
fn takes_btf(map_type: u32) -> bool {
    !matches!(
        MapType::from_kernel_id(map_type),
        Some(
            MapType::PerfEventArray
                | MapType::CgroupArray
                | MapType::StackTrace
                | MapType::ArrayOfMaps
                | MapType::HashOfMaps
                | MapType::Devmap
                | MapType::DevmapHash
                | MapType::Cpumap
                | MapType::Xskmap
                | MapType::Sockmap
                | MapType::Sockhash
                | MapType::Queue
                | MapType::Stack
                | MapType::StructOps
                | MapType::Arena
        )
    )
}

/// The host's page size (ring buffer sizes are whole pages).
fn page_size() -> u32 {
    // SAFETY: sysconf only reads a configuration value.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u32::try_from(page).ok().filter(|&p| p > 0).unwrap_or(4096)
}

/// Why a program of this kind cannot be loaded without knowing more than the object says.
fn needs_attach_target(kind: &ProgramKind, section: &str) -> Option<String> {
    let section = section.strip_prefix('?').unwrap_or(section);
    let base = section.split('/').next().unwrap_or(section);
    let what = match kind {
        ProgramKind::Tracing | ProgramKind::Lsm | ProgramKind::Ext => base,
        ProgramKind::StructOps => {
            return Some(
                "struct_ops programs are loaded with their struct_ops map, against the \
                 kernel's struct they implement"
                    .into(),
            )
        }
        _ => return None,
    };
    Some(format!(
        "{what} programs need an attach target (the BTF id of the kernel function, hook or \
         program they attach to, given at load time)"
    ))
}

/// The expected attach type of a section's programs (libbpf's `section_defs`); 0 where
/// libbpf gives none (0 is also `BPF_CGROUP_INET_INGRESS`, which the kernel only checks for
/// program types that need an attach type).
fn expected_attach_type(section: &str) -> u32 {
    let exact: &[(&str, u32)] = &[
        (
            "sk_reuseport/migrate",
            at::BPF_SK_REUSEPORT_SELECT_OR_MIGRATE,
        ),
        ("sk_reuseport", at::BPF_SK_REUSEPORT_SELECT),
        ("tc/ingress", BPF_TCX_INGRESS),
        ("tc/egress", BPF_TCX_EGRESS),
        ("tcx/ingress", BPF_TCX_INGRESS),
        ("tcx/egress", BPF_TCX_EGRESS),
        ("netkit/primary", BPF_NETKIT_PRIMARY),
        ("netkit/peer", BPF_NETKIT_PEER),
        ("xdp.frags/devmap", at::BPF_XDP_DEVMAP),
        ("xdp/devmap", at::BPF_XDP_DEVMAP),
        ("xdp.frags/cpumap", at::BPF_XDP_CPUMAP),
        ("xdp/cpumap", at::BPF_XDP_CPUMAP),
        ("xdp.frags", at::BPF_XDP),
        ("sk_skb/stream_parser", at::BPF_SK_SKB_STREAM_PARSER),
        ("sk_skb/stream_verdict", at::BPF_SK_SKB_STREAM_VERDICT),
        ("sk_skb/verdict", at::BPF_SK_SKB_VERDICT),
        ("cgroup_skb/ingress", at::BPF_CGROUP_INET_INGRESS),
        ("cgroup_skb/egress", at::BPF_CGROUP_INET_EGRESS),
        ("cgroup/sock_create", at::BPF_CGROUP_INET_SOCK_CREATE),
        ("cgroup/sock_release", at::BPF_CGROUP_INET_SOCK_RELEASE),
        ("cgroup/sock", at::BPF_CGROUP_INET_SOCK_CREATE),
        ("cgroup/post_bind4", at::BPF_CGROUP_INET4_POST_BIND),
        ("cgroup/post_bind6", at::BPF_CGROUP_INET6_POST_BIND),
        ("cgroup/bind4", at::BPF_CGROUP_INET4_BIND),
        ("cgroup/bind6", at::BPF_CGROUP_INET6_BIND),
        ("cgroup/connect4", at::BPF_CGROUP_INET4_CONNECT),
        ("cgroup/connect6", at::BPF_CGROUP_INET6_CONNECT),
        ("cgroup/connect_unix", BPF_CGROUP_UNIX_CONNECT),
        ("cgroup/sendmsg4", at::BPF_CGROUP_UDP4_SENDMSG),
        ("cgroup/sendmsg6", at::BPF_CGROUP_UDP6_SENDMSG),
        ("cgroup/sendmsg_unix", BPF_CGROUP_UNIX_SENDMSG),
        ("cgroup/recvmsg4", at::BPF_CGROUP_UDP4_RECVMSG),
        ("cgroup/recvmsg6", at::BPF_CGROUP_UDP6_RECVMSG),
        ("cgroup/recvmsg_unix", BPF_CGROUP_UNIX_RECVMSG),
        ("cgroup/getpeername4", at::BPF_CGROUP_INET4_GETPEERNAME),
        ("cgroup/getpeername6", at::BPF_CGROUP_INET6_GETPEERNAME),
        ("cgroup/getpeername_unix", BPF_CGROUP_UNIX_GETPEERNAME),
        ("cgroup/getsockname4", at::BPF_CGROUP_INET4_GETSOCKNAME),
        ("cgroup/getsockname6", at::BPF_CGROUP_INET6_GETSOCKNAME),
        ("cgroup/getsockname_unix", BPF_CGROUP_UNIX_GETSOCKNAME),
        ("cgroup/sysctl", at::BPF_CGROUP_SYSCTL),
        ("cgroup/getsockopt", at::BPF_CGROUP_GETSOCKOPT),
        ("cgroup/setsockopt", at::BPF_CGROUP_SETSOCKOPT),
        ("cgroup/dev", at::BPF_CGROUP_DEVICE),
        ("netfilter", BPF_NETFILTER),
    ];
    // `name` or `name/...`, most specific first.
    let prefix: &[(&str, u32)] = &[
        ("kprobe.multi", at::BPF_TRACE_KPROBE_MULTI),
        ("kretprobe.multi", at::BPF_TRACE_KPROBE_MULTI),
        ("kprobe.session", BPF_TRACE_KPROBE_SESSION),
        ("uprobe.multi.s", BPF_TRACE_UPROBE_MULTI),
        ("uretprobe.multi.s", BPF_TRACE_UPROBE_MULTI),
        ("uprobe.multi", BPF_TRACE_UPROBE_MULTI),
        ("uretprobe.multi", BPF_TRACE_UPROBE_MULTI),
        ("uprobe.session.s", BPF_TRACE_UPROBE_SESSION),
        ("uprobe.session", BPF_TRACE_UPROBE_SESSION),
        // libbpf 0.x's names for devmap and cpumap programs.
        ("xdp_devmap", at::BPF_XDP_DEVMAP),
        ("xdp_cpumap", at::BPF_XDP_CPUMAP),
        ("xdp", at::BPF_XDP),
        ("sockops", at::BPF_CGROUP_SOCK_OPS),
        ("sk_msg", at::BPF_SK_MSG_VERDICT),
        ("lirc_mode2", at::BPF_LIRC_MODE2),
        ("flow_dissector", at::BPF_FLOW_DISSECTOR),
        ("sk_lookup", at::BPF_SK_LOOKUP),
    ];
    if let Some((_, attach)) = exact.iter().find(|(name, _)| *name == section) {
        return *attach;
    }
    prefix
        .iter()
        .find(|(name, _)| {
            section
                .strip_prefix(name)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
        .map_or(0, |(_, attach)| *attach)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attach_types_follow_libbpf() {
        assert_eq!(expected_attach_type("xdp"), at::BPF_XDP);
        assert_eq!(expected_attach_type("xdp/legacy_name"), at::BPF_XDP);
        assert_eq!(expected_attach_type("xdp/devmap"), at::BPF_XDP_DEVMAP);
        assert_eq!(expected_attach_type("tc"), 0);
        assert_eq!(expected_attach_type("tcx/ingress"), BPF_TCX_INGRESS);
        assert_eq!(
            expected_attach_type("cgroup/connect4"),
            at::BPF_CGROUP_INET4_CONNECT
        );
        assert_eq!(expected_attach_type("kprobe/do_exit"), 0);
        assert_eq!(
            expected_attach_type("kprobe.multi/do_*"),
            at::BPF_TRACE_KPROBE_MULTI
        );
        assert_eq!(expected_attach_type("xdpfoo"), 0);
        assert_eq!(expected_attach_type("xdp_devmap/f"), at::BPF_XDP_DEVMAP);
    }

    #[test]
    fn attach_target_skips() {
        assert!(needs_attach_target(&ProgramKind::Tracing, "fentry/f")
            .unwrap()
            .starts_with("fentry programs"));
        assert!(needs_attach_target(&ProgramKind::Xdp, "xdp").is_none());
    }
}
