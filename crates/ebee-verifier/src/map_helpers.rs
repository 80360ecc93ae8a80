//! Which helpers take which map types (the kernel's `check_map_func_compatibility`): a
//! helper that needs a certain map, and a map that only certain helpers may take.

use ebee_abi::MapType::{self, *};

/// The map types helper `id` requires of its map argument (`None`: any map).
fn required_by_helper(id: u32) -> Option<&'static [MapType]> {
    Some(match id {
        12 => &[ProgArray],
        22 | 25 | 55 | 111 | 121 => &[PerfEventArray],
        130 | 131 | 134 | 198 => &[RingBuf],
        27 | 67 => &[StackTrace],
        33 | 37 => &[CgroupArray],
        51 => &[Devmap, DevmapHash, Cpumap, Xskmap],
        52 | 53 | 60 => &[Sockmap],
        70..=72 => &[Sockhash],
        81 => &[CgroupStorage, PercpuCgroupStorage],
        82 => &[ReuseportSockarray, Sockmap, Sockhash],
        87 => &[Queue, Stack, BloomFilter],
        88 => &[Queue, Stack],
        89 => &[Queue, Stack, BloomFilter],
        107 | 108 => &[SkStorage],
        145 | 146 => &[InodeStorage],
        156 | 157 => &[TaskStorage],
        210 | 211 => &[CgrpStorage],
        164 => &[Hash, Array, PercpuHash, PercpuArray, LruHash, LruPercpuHash],
        195 => &[PercpuHash, PercpuArray, LruPercpuHash],
        209 => &[UserRingbuf],
        _ => return None,
    })
}

/// The helpers a map of type `map` may be given to (`None`: the generic ones and those
/// that require it).
fn allowed_for_map(map: MapType) -> Option<&'static [u32]> {
    Some(match map {
        ProgArray => &[12],
        PerfEventArray => &[22, 25, 55, 111, 121],
        RingBuf => &[130, 131, 134, 198],
        UserRingbuf => &[209],
        StackTrace => &[27, 67],
        CgroupArray => &[33, 37],
        CgroupStorage | PercpuCgroupStorage => &[81],
        Devmap | DevmapHash => &[51, 1],
        Cpumap => &[51],
        Xskmap => &[51, 1],
        Sockmap => &[52, 53, 60, 82, 1, 2, 3],
        Sockhash => &[70, 71, 72, 82, 1, 2, 3],
        ReuseportSockarray => &[82, 1, 2, 3],
        Queue | Stack => &[87, 88, 89],
        BloomFilter => &[87, 89],
        SkStorage => &[107, 108],
        InodeStorage => &[145, 146],
        TaskStorage => &[156, 157],
        CgrpStorage => &[210, 211],
        ArrayOfMaps | HashOfMaps => &[1],
        _ => return None,
    })
}

/// Whether helper `id` may take a map of type `map`.
pub(crate) fn compatible(id: u32, map: MapType) -> bool {
    let helper_ok = required_by_helper(id).is_none_or(|types| types.contains(&map));
    let map_ok = allowed_for_map(map).is_none_or(|ids| ids.contains(&id));
    helper_ok && map_ok
}
