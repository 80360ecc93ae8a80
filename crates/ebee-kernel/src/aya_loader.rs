//! [`Loader::Aya`]: aya parses, relocates and loads the object; the result keeps duplicates
//! of aya's program and map fds, so aya's own object is dropped once loading is done.

use std::collections::BTreeMap;
use std::os::fd::AsFd;

use aya::maps::{Map, MapData};
use aya::programs::{Program, ProgramError};
use aya::EbpfLoader;

use crate::error::{chain, Error, Result};
use crate::object::{KernelObject, LoadOptions, Loader, MapSlot, ProgramSlot};

/// See [`KernelObject::load`].
pub(crate) fn load(elf: &[u8], opts: &LoadOptions) -> Result<KernelObject> {
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
        let slot = match load_program(program) {
            Ok(None) => {
                let fd = program
                    .fd()
                    .map_err(|e| Error::Object(format!("program `{name}`: {}", chain(&e))))?
                    .as_fd()
                    .try_clone_to_owned()
                    .map_err(|e| Error::syscall("dup", e))?;
                ProgramSlot::loaded(&name, fd)?
            }
            Ok(Some(reason)) => ProgramSlot::skipped(&name, reason),
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
        programs.insert(name, slot);
    }

    let cpus = crate::num_possible_cpus()?;
    let mut maps = BTreeMap::new();
    for (name, map) in ebpf.maps() {
        let fd = map_data(map)
            .fd()
            .as_fd()
            .try_clone_to_owned()
            .map_err(|e| Error::syscall("dup", e))?;
        maps.insert(name.to_owned(), MapSlot::new(name, fd, cpus)?);
    }

    Ok(KernelObject {
        loader: Loader::Aya,
        programs,
        maps,
        perf: BTreeMap::new(),
        btf_error: None,
    })
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
fn map_data(map: &Map) -> &MapData {
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
