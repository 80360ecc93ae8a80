//! Byte-level map access by name, with raw `bpf(2)` map commands.
//!
//! Keys and values are plain byte slices in the kernel's layout, so the same bytes can
//! be compared with ebee's own maps. Per-CPU maps (`PERCPU_HASH`, `PERCPU_ARRAY`,
//! `LRU_PERCPU_HASH`, `PERCPU_CGROUP_STORAGE`) use the `bpf(2)` layout: one value per
//! possible CPU, each rounded up to 8 bytes, concatenated.

use crate::consts::{
    BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE,
    BPF_MAP_TYPE_PERCPU_HASH,
};
use crate::error::{Error, Result};
use crate::object::{KernelObject, MapSlot};
use crate::sys;

/// Whether `BPF_MAP_TYPE_*` `map_type` keeps one value per CPU.
pub(crate) fn is_per_cpu_type(map_type: u32) -> bool {
    matches!(
        map_type,
        BPF_MAP_TYPE_PERCPU_HASH
            | BPF_MAP_TYPE_PERCPU_ARRAY
            | BPF_MAP_TYPE_LRU_PERCPU_HASH
            | BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE
    )
}

/// The kernel's description of a map (`struct bpf_map_info`).
///
/// # Example
///
/// ```no_run
/// # let elf = std::fs::read("prog.o").unwrap();
/// # let obj = ebee_kernel::KernelObject::load(&elf, &Default::default()).unwrap();
/// let info = obj.map_info("counts")?;
/// assert_eq!(info.map_type, ebee_kernel::consts::BPF_MAP_TYPE_HASH);
/// println!("{} {}B -> {}B x{}", info.name, info.key_size, info.value_size, info.max_entries);
/// # Ok::<(), ebee_kernel::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapInfo {
    /// The map's name in the object (symbol or section name such as `.rodata`).
    pub name: String,
    /// The kernel's (possibly truncated to 15 bytes) map name.
    pub kernel_name: String,
    /// `BPF_MAP_TYPE_*` (see [`crate::consts`]).
    pub map_type: u32,
    /// Key size in bytes (0 for queues, stacks, ring buffers).
    pub key_size: u32,
    /// Value size in bytes, for one CPU.
    pub value_size: u32,
    /// `max_entries` as created (ring buffers: the byte size).
    pub max_entries: u32,
    /// `map_flags` as created (`BPF_F_NO_PREALLOC`, `BPF_F_RDONLY_PROG`, ...).
    pub map_flags: u32,
}

impl MapInfo {
    pub(crate) fn from_raw(name: &str, raw: &sys::RawMapInfo) -> Self {
        let end = raw
            .name
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(raw.name.len());
        Self {
            name: name.to_owned(),
            kernel_name: String::from_utf8_lossy(&raw.name[..end]).into_owned(),
            map_type: raw.map_type,
            key_size: raw.key_size,
            value_size: raw.value_size,
            max_entries: raw.max_entries,
            map_flags: raw.map_flags,
        }
    }

    /// Whether lookups return one value per possible CPU.
    ///
    /// ```
    /// let info = ebee_kernel::MapInfo {
    ///     name: "m".into(), kernel_name: "m".into(),
    ///     map_type: ebee_kernel::consts::BPF_MAP_TYPE_PERCPU_ARRAY,
    ///     key_size: 4, value_size: 4, max_entries: 1, map_flags: 0,
    /// };
    /// assert!(info.is_per_cpu());
    /// ```
    pub fn is_per_cpu(&self) -> bool {
        is_per_cpu_type(self.map_type)
    }

    /// The length of a value buffer for `bpf(2)`: `value_size`, or for per-CPU
    /// maps `round_up(value_size, 8) * num_possible_cpus()`.
    ///
    /// ```
    /// let info = ebee_kernel::MapInfo {
    ///     name: "m".into(), kernel_name: "m".into(),
    ///     map_type: ebee_kernel::consts::BPF_MAP_TYPE_PERCPU_ARRAY,
    ///     key_size: 4, value_size: 4, max_entries: 1, map_flags: 0,
    /// };
    /// let cpus = ebee_kernel::num_possible_cpus().unwrap();
    /// assert_eq!(info.syscall_value_len().unwrap(), 8 * cpus);
    /// ```
    pub fn syscall_value_len(&self) -> Result<usize> {
        let size = self.value_size as usize;
        if self.is_per_cpu() {
            Ok(size.div_ceil(8) * 8 * crate::num_possible_cpus()?)
        } else {
            Ok(size)
        }
    }
}

impl KernelObject {
    fn map_slot(&self, name: &str) -> Result<&MapSlot> {
        self.maps
            .get(name)
            .ok_or_else(|| Error::UnknownMap(name.to_owned()))
    }

    fn check_key(slot: &MapSlot, key: &[u8]) -> Result<()> {
        if key.len() != slot.info.key_size as usize {
            return Err(Error::InvalidArgument(format!(
                "map `{}` has {}-byte keys, got {} bytes",
                slot.info.name,
                slot.info.key_size,
                key.len()
            )));
        }
        Ok(())
    }

    /// The file descriptor of map `name`, e.g. to store it into a map of maps
    /// (`map_update(outer, key, &(fd.as_raw_fd() as u32).to_ne_bytes(), 0)`).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownMap`] when the object has no such map.
    pub fn map_fd(&self, name: &str) -> Result<std::os::fd::BorrowedFd<'_>> {
        Ok(self.map_slot(name)?.raw.fd())
    }

    /// Names of all maps of the object (including `.rodata`, `.data`, `.bss`), sorted.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # let elf = std::fs::read("prog.o").unwrap();
    /// # let obj = ebee_kernel::KernelObject::load(&elf, &Default::default()).unwrap();
    /// assert!(obj.map_names().contains(&".rodata".to_string()));
    /// ```
    pub fn map_names(&self) -> Vec<String> {
        self.maps.keys().cloned().collect()
    }

    /// The kernel's description of map `name`.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # let elf = std::fs::read("prog.o").unwrap();
    /// # let obj = ebee_kernel::KernelObject::load(&elf, &Default::default()).unwrap();
    /// let info = obj.map_info("counts")?;
    /// println!("max_entries = {}", info.max_entries);
    /// # Ok::<(), ebee_kernel::Error>(())
    /// ```
    pub fn map_info(&self, name: &str) -> Result<MapInfo> {
        Ok(self.map_slot(name)?.info.clone())
    }

    /// `BPF_MAP_UPDATE_ELEM`: sets `key` to `value` (flags: [`crate::consts::BPF_ANY`],
    /// `BPF_NOEXIST`, `BPF_EXIST`, `BPF_F_LOCK`). For per-CPU maps `value` holds
    /// every CPU's value (see [`MapInfo::syscall_value_len`]).
    ///
    /// # Example
    ///
    /// ```no_run
    /// # let elf = std::fs::read("prog.o").unwrap();
    /// # let obj = ebee_kernel::KernelObject::load(&elf, &Default::default()).unwrap();
    /// obj.map_update("counts", &1u32.to_ne_bytes(), &5u64.to_ne_bytes(), ebee_kernel::consts::BPF_ANY)?;
    /// # Ok::<(), ebee_kernel::Error>(())
    /// ```
    pub fn map_update(&self, name: &str, key: &[u8], value: &[u8], flags: u64) -> Result<()> {
        let slot = self.map_slot(name)?;
        Self::check_key(slot, key)?;
        let want = slot.raw.value_len();
        if value.len() != want {
            return Err(Error::InvalidArgument(format!(
                "map `{name}` needs {want}-byte values, got {} bytes",
                value.len()
            )));
        }
        slot.raw
            .update(key, value, flags)
            .map_err(|e| Error::syscall("BPF_MAP_UPDATE_ELEM", e))
    }

    /// `BPF_MAP_LOOKUP_ELEM`: the value at `key`, `None` when absent (`ENOENT`).
    /// For queues and stacks pass an empty key to peek.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # let elf = std::fs::read("prog.o").unwrap();
    /// # let obj = ebee_kernel::KernelObject::load(&elf, &Default::default()).unwrap();
    /// if let Some(v) = obj.map_lookup("counts", &1u32.to_ne_bytes())? {
    ///     println!("{v:?}");
    /// }
    /// # Ok::<(), ebee_kernel::Error>(())
    /// ```
    pub fn map_lookup(&self, name: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let slot = self.map_slot(name)?;
        Self::check_key(slot, key)?;
        let mut value = vec![0u8; slot.raw.value_len()];
        match slot.raw.lookup(key, &mut value) {
            Ok(()) => Ok(Some(value)),
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(None),
            Err(e) => Err(Error::syscall("BPF_MAP_LOOKUP_ELEM", e)),
        }
    }

    /// `BPF_MAP_DELETE_ELEM`: removes `key`; returns whether it was present.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # let elf = std::fs::read("prog.o").unwrap();
    /// # let obj = ebee_kernel::KernelObject::load(&elf, &Default::default()).unwrap();
    /// let was_there = obj.map_delete("counts", &1u32.to_ne_bytes())?;
    /// # Ok::<(), ebee_kernel::Error>(())
    /// ```
    pub fn map_delete(&self, name: &str, key: &[u8]) -> Result<bool> {
        let slot = self.map_slot(name)?;
        Self::check_key(slot, key)?;
        match slot.raw.delete(key) {
            Ok(()) => Ok(true),
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(false),
            Err(e) => Err(Error::syscall("BPF_MAP_DELETE_ELEM", e)),
        }
    }

    /// `BPF_MAP_LOOKUP_AND_DELETE_ELEM`: removes `key` and returns its value (`None`
    /// when absent). With an empty key on a queue or stack this is a pop.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # let elf = std::fs::read("prog.o").unwrap();
    /// # let obj = ebee_kernel::KernelObject::load(&elf, &Default::default()).unwrap();
    /// let old = obj.map_lookup_and_delete("counts", &1u32.to_ne_bytes())?;
    /// # Ok::<(), ebee_kernel::Error>(())
    /// ```
    pub fn map_lookup_and_delete(&self, name: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let slot = self.map_slot(name)?;
        Self::check_key(slot, key)?;
        let mut value = vec![0u8; slot.raw.value_len()];
        match slot.raw.lookup_and_delete(key, &mut value) {
            Ok(()) => Ok(Some(value)),
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(None),
            Err(e) => Err(Error::syscall("BPF_MAP_LOOKUP_AND_DELETE_ELEM", e)),
        }
    }

    /// Pushes `value` onto a queue or stack map (`BPF_MAP_UPDATE_ELEM` with no key;
    /// `flags` = [`crate::consts::BPF_EXIST`] overwrites the oldest when full).
    ///
    /// # Example
    ///
    /// ```no_run
    /// # let elf = std::fs::read("prog.o").unwrap();
    /// # let obj = ebee_kernel::KernelObject::load(&elf, &Default::default()).unwrap();
    /// obj.map_push("queue", &7u32.to_ne_bytes(), 0)?;
    /// assert_eq!(obj.map_pop("queue")?, Some(7u32.to_ne_bytes().to_vec()));
    /// # Ok::<(), ebee_kernel::Error>(())
    /// ```
    pub fn map_push(&self, name: &str, value: &[u8], flags: u64) -> Result<()> {
        self.map_update(name, &[], value, flags)
    }

    /// Pops from a queue (oldest) or stack (newest): `BPF_MAP_LOOKUP_AND_DELETE_ELEM`
    /// with no key. `None` when empty.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # let elf = std::fs::read("prog.o").unwrap();
    /// # let obj = ebee_kernel::KernelObject::load(&elf, &Default::default()).unwrap();
    /// while let Some(v) = obj.map_pop("queue")? {
    ///     println!("{v:?}");
    /// }
    /// # Ok::<(), ebee_kernel::Error>(())
    /// ```
    pub fn map_pop(&self, name: &str) -> Result<Option<Vec<u8>>> {
        self.map_lookup_and_delete(name, &[])
    }

    /// Every `(key, value)` of the map, in the kernel's `BPF_MAP_GET_NEXT_KEY` order
    /// (for arrays: every index `0..max_entries`, little-endian `u32` keys on x86).
    /// Keys deleted while iterating are skipped.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # let elf = std::fs::read("prog.o").unwrap();
    /// # let obj = ebee_kernel::KernelObject::load(&elf, &Default::default()).unwrap();
    /// for (k, v) in obj.map_entries("counts")? {
    ///     println!("{k:?} => {v:?}");
    /// }
    /// # Ok::<(), ebee_kernel::Error>(())
    /// ```
    pub fn map_entries(&self, name: &str) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let slot = self.map_slot(name)?;
        let key_size = slot.info.key_size as usize;
        if key_size == 0 {
            return Err(Error::InvalidArgument(format!(
                "map `{name}` has no keys to iterate (queue, stack or ring buffer?)"
            )));
        }
        let mut out = Vec::new();
        let mut prev: Option<Vec<u8>> = None;
        // Bound the walk: a map never holds more than max_entries keys, but a key
        // deleted concurrently makes GET_NEXT_KEY restart from the first key.
        let limit = u64::from(slot.info.max_entries).saturating_mul(2) + 16;
        for _ in 0..limit {
            let mut next = vec![0u8; key_size];
            match slot.raw.next_key(prev.as_deref(), &mut next) {
                Ok(()) => {}
                Err(e) if e.raw_os_error() == Some(libc::ENOENT) => return Ok(out),
                Err(e) => return Err(Error::syscall("BPF_MAP_GET_NEXT_KEY", e)),
            }
            if let Some(value) = self.map_lookup(name, &next)? {
                out.push((next.clone(), value));
            }
            prev = Some(next);
        }
        Err(Error::Map(format!(
            "map `{name}`: iteration did not end after {limit} keys"
        )))
    }
}
