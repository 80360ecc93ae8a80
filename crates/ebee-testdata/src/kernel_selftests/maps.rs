//! The maps a program references, created in the kernel as libbpf's
//! `bpf_object__create_maps` creates them: with the object's BTF key and value types (one
//! BTF object shared with the program), retried without them when refused; global data
//! filled and `.rodata` frozen; maps of maps with their inner template and initial maps.
//! For an unprivileged run, maps of types `test_loader.c` does not create unprivileged
//! (`is_unpriv_capable_map`) are left out, and their references poisoned as libbpf poisons
//! references to maps it did not create.

use std::collections::BTreeMap;

use ebee_abi::flags::BPF_F_ZERO_SEED;
use ebee_abi::MapType;
use ebee_kernel::{RawBtf, RawMapFd, RawMapSpec};
use ebee_object::{DataSection, MapOrigin, MapReference, MapSpec, SlotTarget};

use super::Unloadable;

/// libbpf's `POISON_LDIMM64_MAP_BASE`: a reference to map `i` that was not created becomes
/// two `call 2001000000 + i`, which the verifier refuses as an unknown function if reached.
pub const POISON_LDIMM64_MAP_BASE: i32 = 2_001_000_000;
/// The page size ring buffer sizes are rounded to (x86-64).
const PAGE_SIZE: u32 = 4096;

/// The maps of one load, by index into the object's maps; `None` for one left out.
pub(crate) struct CreatedMaps {
    pub(crate) maps: BTreeMap<usize, Option<RawMapFd>>,
}

/// Whether `test_loader.c` creates maps of this definition when it loads unprivileged.
pub fn is_unpriv_capable_map(map: &MapSpec) -> bool {
    use MapType::*;
    match MapType::from_kernel_id(map.map_type) {
        Some(Hash | PercpuHash | HashOfMaps) => map.map_flags & BPF_F_ZERO_SEED == 0,
        Some(
            PercpuCgroupStorage | Array | RingBuf | ProgArray | CgroupArray | PercpuArray
            | UserRingbuf | ArrayOfMaps | CgroupStorage | PerfEventArray,
        ) => true,
        _ => false,
    }
}

/// Map types the kernel takes no BTF key/value types for (libbpf's list).
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

/// The text of a kernel error without the request it was for (which holds fd numbers).
fn errno_text(error: &ebee_kernel::Error) -> String {
    let text = error.to_string();
    text.rsplit(": ").next().unwrap_or(&text).to_owned()
}

/// Creates one map definition (and its inner template).
fn create_one(map: &MapSpec, btf: Option<&RawBtf>, cpus: usize) -> Result<RawMapFd, Unloadable> {
    let map = map.adjusted_for_load(cpus, PAGE_SIZE);
    let inner = match &map.inner {
        Some(inner) => Some(create_one(inner, btf, cpus)?),
        None if map.is_map_in_map() => {
            return Err(Unloadable::Map(format!(
                "`{}`: a map of maps without an inner map definition",
                map.name
            )))
        }
        None => None,
    };
    let loaded_btf = btf
        .filter(|_| takes_btf(map.map_type))
        .and_then(|b| Some((b, map.key_type_id.unwrap_or(0), map.value_type_id?)));
    let mut spec = RawMapSpec {
        map_type: map.map_type,
        key_size: map.key_size,
        value_size: map.value_size,
        max_entries: map.max_entries,
        map_flags: map.map_flags,
        loaded_btf,
        inner_map: inner.as_ref(),
        map_extra: map.map_extra,
        ..RawMapSpec::default()
    };
    match RawMapFd::create(&map.name, &spec) {
        Ok(fd) => Ok(fd),
        Err(with_btf) if spec.loaded_btf.is_some() => {
            spec.loaded_btf = None;
            RawMapFd::create(&map.name, &spec).map_err(|e| {
                Unloadable::Map(format!(
                    "`{}` ({}): with BTF: {}; without: {}",
                    map.name,
                    type_name(&map),
                    errno_text(&with_btf),
                    errno_text(&e)
                ))
            })
        }
        Err(e) => Err(Unloadable::Map(format!(
            "`{}` ({}): {}{}",
            map.name,
            type_name(&map),
            errno_text(&e),
            if btf.is_none() && takes_btf(map.map_type) {
                " (without BTF)"
            } else {
                ""
            }
        ))),
    }
}

fn type_name(map: &MapSpec) -> String {
    MapType::from_kernel_id(map.map_type)
        .map_or_else(|| format!("type {}", map.map_type), |t| t.name().to_owned())
}

impl CreatedMaps {
    /// Creates the maps at `indices` of `all` (and the maps their initial slots name).
    pub(crate) fn create(
        all: &[MapSpec],
        indices: &[usize],
        btf: Option<&RawBtf>,
        unprivileged: bool,
    ) -> Result<CreatedMaps, Unloadable> {
        let cpus = ebee_kernel::num_possible_cpus()
            .map_err(|e| Unloadable::Setup(format!("possible CPUs: {e}")))?;
        let mut created = CreatedMaps {
            maps: BTreeMap::new(),
        };
        for &index in indices {
            created.ensure(all, index, btf, unprivileged, cpus)?;
        }
        Ok(created)
    }

    fn ensure(
        &mut self,
        all: &[MapSpec],
        index: usize,
        btf: Option<&RawBtf>,
        unprivileged: bool,
        cpus: usize,
    ) -> Result<(), Unloadable> {
        if self.maps.contains_key(&index) {
            return Ok(());
        }
        let map = all
            .get(index)
            .ok_or_else(|| Unloadable::Link(format!("a reference to map {index}, of none")))?;
        if unprivileged && !is_unpriv_capable_map(map) {
            self.maps.insert(index, None);
            return Ok(());
        }
        let fd = create_one(map, btf, cpus)?;
        if let Some(data) = &map.initial_data {
            fd.update(&0u32.to_ne_bytes(), data, 0)
                .map_err(|e| Unloadable::Map(format!("`{}`: initial data: {e}", map.name)))?;
            if matches!(map.origin, MapOrigin::GlobalData(DataSection::Rodata)) {
                fd.freeze()
                    .map_err(|e| Unloadable::Map(format!("`{}`: {e}", map.name)))?;
            }
        }
        self.maps.insert(index, Some(fd));
        for slot in &map.initial_slots {
            // Program slots (tail call targets) would need the auxiliary programs; the
            // verifier does not look into program arrays, so they stay empty.
            let SlotTarget::Map(target) = slot.target else {
                continue;
            };
            self.ensure(all, target, btf, unprivileged, cpus)?;
            let (Some(Some(outer)), Some(Some(inner))) =
                (self.maps.get(&index), self.maps.get(&target))
            else {
                continue;
            };
            outer
                .update(
                    &slot.index.to_ne_bytes(),
                    &inner.fd_number().to_ne_bytes(),
                    0,
                )
                .map_err(|e| {
                    Unloadable::Map(format!("`{}`: slot {}: {e}", map.name, slot.index))
                })?;
        }
        Ok(())
    }

    /// Rewrites the program's map references (`lddw` kinds 5 and 6 with map indices) to
    /// `BPF_PSEUDO_MAP_FD`/`BPF_PSEUDO_MAP_VALUE` with fds, or poisons them for maps left
    /// out.
    pub(crate) fn patch(&self, program: &ebee_object::LinkedProgram, insns: &mut [u64]) {
        use ebee_abi::pseudo::{BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE};
        for reference in program.map_references() {
            let pc = reference.pc;
            if pc + 1 >= insns.len() {
                continue;
            }
            match self.maps.get(&reference.map_index) {
                Some(Some(fd)) => {
                    let src = match reference.value_offset {
                        None => BPF_PSEUDO_MAP_FD,
                        Some(_) => BPF_PSEUDO_MAP_VALUE,
                    };
                    let first = insns[pc];
                    let regs = ((first >> 8) & 0x0f) | (u64::from(src) << 4);
                    insns[pc] = (first & 0xff) | (regs << 8) | (u64::from(fd.fd_number()) << 32);
                    let offset = reference.value_offset.unwrap_or(0);
                    insns[pc + 1] = u64::from(offset) << 32;
                }
                _ => poison(&reference, insns),
            }
        }
    }
}

/// Rewrites a map reference's `lddw` (both slots) into libbpf's poison for a map it did not
/// create: two `call` [`POISON_LDIMM64_MAP_BASE`]` + map index`. `insns` must hold both
/// slots.
fn poison(reference: &MapReference, insns: &mut [u64]) {
    // BPF_JMP | BPF_CALL, no registers, imm = base + map index.
    let imm = POISON_LDIMM64_MAP_BASE.wrapping_add(reference.map_index as i32);
    let call = 0x85 | (u64::from(imm as u32) << 32);
    insns[reference.pc] = call;
    insns[reference.pc + 1] = call;
}

/// `program`'s instruction slots as an unprivileged run gives them to a verifier: with the
/// references to the maps of `maps` it leaves out (not [`is_unpriv_capable_map`]) poisoned,
/// as [`kernel_verdict`](super::kernel_verdict) poisons them; `None` when it leaves none
/// out (the linked code is then what it loads).
pub fn unprivileged_slots(
    program: &ebee_object::LinkedProgram,
    maps: &[MapSpec],
) -> Option<Vec<u64>> {
    let left_out: Vec<MapReference> = program
        .map_references()
        .filter(|r| {
            maps.get(r.map_index)
                .is_some_and(|m| !is_unpriv_capable_map(m))
        })
        .collect();
    if left_out.is_empty() {
        return None;
    }
    let mut insns: Vec<u64> = program
        .to_bytes()
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
        .collect();
    for reference in &left_out {
        if reference.pc + 1 < insns.len() {
            poison(reference, &mut insns);
        }
    }
    Some(insns)
}
