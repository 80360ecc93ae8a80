//! [`RawMapFd`]: a map created from its numbers alone (type, key and value size, entries,
//! flags, and optionally a BTF blob describing the value), for programs given as raw
//! instructions whose `lddw` map references are patched to its fd.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use crate::error::{Error, Result};
use crate::sys;

/// What [`RawMapFd::create`] asks the kernel for.
///
/// ```
/// let spec = ebee_kernel::RawMapSpec { map_type: 2, key_size: 4, value_size: 8, max_entries: 1, ..Default::default() };
/// assert_eq!(spec.map_flags, 0);
/// ```
#[derive(Clone, Debug, Default)]
pub struct RawMapSpec<'a> {
    /// `BPF_MAP_TYPE_*`.
    pub map_type: u32,
    /// Key size in bytes.
    pub key_size: u32,
    /// Value size in bytes.
    pub value_size: u32,
    /// Maximum number of entries.
    pub max_entries: u32,
    /// `BPF_F_*` map flags.
    pub map_flags: u32,
    /// Raw BTF (`struct btf_header` and what follows) with the key and value type ids in
    /// it, for values the kernel only accepts with BTF (`struct bpf_spin_lock` fields).
    pub btf: Option<(&'a [u8], u32, u32)>,
    /// Instead of `btf`: an already loaded BTF object (shared with programs) and the key and
    /// value type ids in it.
    pub loaded_btf: Option<(&'a crate::RawBtf, u32, u32)>,
    /// For a map of maps: a map of the kind its values are (the kernel's template).
    pub inner_map: Option<&'a RawMapFd>,
    /// `map_extra` (a bloom filter's number of hashes, an arena's start address).
    pub map_extra: u64,
}

/// A map created by [`RawMapFd::create`]; dropping it closes its fd (programs that
/// reference it keep the map alive).
///
/// ```no_run
/// use ebee_kernel::{RawMapFd, RawMapSpec};
/// // An array of one 8-byte value (BPF_MAP_TYPE_ARRAY = 2).
/// let map = RawMapFd::create("counts", &RawMapSpec { map_type: 2, key_size: 4, value_size: 8, max_entries: 1, ..Default::default() })?;
/// println!("fd {}", map.fd_number());
/// # Ok::<(), ebee_kernel::Error>(())
/// ```
#[derive(Debug)]
pub struct RawMapFd {
    fd: OwnedFd,
}

impl RawMapFd {
    /// Creates the map `spec` describes, named `name`.
    ///
    /// # Errors
    ///
    /// [`Error::Map`] naming the map and the kernel's error (with the BTF verifier's log
    /// when the BTF is refused).
    pub fn create(name: &str, spec: &RawMapSpec<'_>) -> Result<Self> {
        if spec.btf.is_some() && spec.loaded_btf.is_some() {
            return Err(Error::InvalidArgument(format!(
                "map `{name}`: give `btf` or `loaded_btf`, not both"
            )));
        }
        let btf = match spec.btf {
            Some((data, key, value)) => {
                let mut log = vec![0u8; 1 << 16];
                let fd = sys::btf_load(data, Some(&mut log)).map_err(|e| {
                    let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
                    Error::Map(format!(
                        "BTF of map `{name}` refused: {e}: {}",
                        String::from_utf8_lossy(&log[..end])
                    ))
                })?;
                Some((fd, key, value))
            }
            None => None,
        };
        let create = sys::MapCreate {
            map_type: spec.map_type,
            key_size: spec.key_size,
            value_size: spec.value_size,
            max_entries: spec.max_entries,
            map_flags: spec.map_flags,
            numa_node: 0,
            map_extra: spec.map_extra,
            name,
            inner_map: spec.inner_map.map(RawMapFd::fd),
            btf: btf
                .as_ref()
                .map(|(fd, key, value)| (fd.as_fd(), *key, *value))
                .or(spec
                    .loaded_btf
                    .map(|(btf, key, value)| (btf.fd(), key, value))),
        };
        let fd = sys::map_create(&create)
            .map_err(|e| Error::Map(format!("creating map `{name}` ({spec:?}): {e}")))?;
        Ok(Self { fd })
    }

    /// The fd number, as `lddw` map references carry it in their immediate.
    pub fn fd_number(&self) -> u32 {
        sys::fd_u32(self.fd.as_fd())
    }

    /// The map's fd.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// `BPF_MAP_UPDATE_ELEM` of `key` to `value` with `flags` (`BPF_ANY`, …): global data
    /// and initial contents. Per-CPU maps take one value per possible CPU, 8-byte aligned.
    ///
    /// # Errors
    ///
    /// [`Error::Map`] when the lengths do not fit the map or the kernel refuses.
    pub fn update(&self, key: &[u8], value: &[u8], flags: u64) -> Result<()> {
        let fd = self
            .fd
            .try_clone()
            .map_err(|e| Error::Map(format!("duplicating a map fd: {e}")))?;
        let (map, _) = sys::RawMap::new(fd, crate::num_possible_cpus()?)
            .map_err(|e| Error::Map(format!("reading the map's info: {e}")))?;
        map.update(key, value, flags)
            .map_err(|e| Error::Map(format!("BPF_MAP_UPDATE_ELEM: {e}")))
    }

    /// `BPF_MAP_FREEZE`: read-only for `bpf(2)` from now on, so the verifier treats loads
    /// from it as constants (libbpf freezes `.rodata`).
    ///
    /// # Errors
    ///
    /// [`Error::Map`] when the kernel refuses.
    pub fn freeze(&self) -> Result<()> {
        sys::map_freeze(self.fd.as_fd()).map_err(|e| Error::Map(format!("BPF_MAP_FREEZE: {e}")))
    }
}
