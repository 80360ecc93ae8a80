//! Raw `bpf(2)` calls that aya 0.14 does not expose in the shape this crate needs.
//!
//! Each `#[repr(C)]` struct below mirrors one anonymous member of `union bpf_attr` in
//! `/usr/include/linux/bpf.h`. The kernel accepts an attribute buffer shorter than the
//! full union and zero-fills the rest, so passing only the member that a command uses
//! is valid (it is what libbpf does too).
//!
//! Memory safety: every pointer handed to the kernel points to a live buffer at least
//! as long as what the kernel reads or writes through it. For test runs the lengths
//! passed are the slices' own; for maps the kernel uses the map's key and value sizes,
//! so map commands go through [`RawMap`], which checks each buffer against the sizes
//! it read from the kernel for that very fd. The structs have no implicit padding (padding is spelled out as `_pad`
//! fields), so every byte the kernel reads is initialized; the kernel rejects
//! non-zero bytes past the last field a command uses.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

// `enum bpf_cmd` values.
const BPF_MAP_LOOKUP_ELEM: libc::c_long = 1;
const BPF_MAP_UPDATE_ELEM: libc::c_long = 2;
const BPF_MAP_DELETE_ELEM: libc::c_long = 3;
const BPF_MAP_GET_NEXT_KEY: libc::c_long = 4;
pub(crate) const BPF_PROG_LOAD: libc::c_long = 5;
const BPF_PROG_TEST_RUN: libc::c_long = 10;
const BPF_OBJ_GET_INFO_BY_FD: libc::c_long = 15;
const BPF_MAP_LOOKUP_AND_DELETE_ELEM: libc::c_long = 21;

/// The `BPF_MAP_*_ELEM` member of `union bpf_attr`.
#[repr(C)]
struct MapElemAttr {
    map_fd: u32,
    /// Explicit so that no byte handed to the kernel is uninitialized padding.
    _pad: u32,
    key: u64,
    /// `value` or `next_key`.
    value: u64,
    flags: u64,
}

impl MapElemAttr {
    fn new(map: BorrowedFd<'_>, key: u64, value: u64, flags: u64) -> Self {
        Self {
            map_fd: fd_u32(map),
            _pad: 0,
            key,
            value,
            flags,
        }
    }
}

/// The `BPF_PROG_TEST_RUN` member of `union bpf_attr`.
#[repr(C)]
#[derive(Default)]
struct TestRunAttr {
    prog_fd: u32,
    retval: u32,
    data_size_in: u32,
    data_size_out: u32,
    data_in: u64,
    data_out: u64,
    repeat: u32,
    duration: u32,
    ctx_size_in: u32,
    ctx_size_out: u32,
    ctx_in: u64,
    ctx_out: u64,
    flags: u32,
    cpu: u32,
    batch_size: u32,
    /// Explicit tail padding: the kernel rejects non-zero bytes past `batch_size`.
    _pad: u32,
}

/// The `BPF_OBJ_GET_INFO_BY_FD` member of `union bpf_attr`.
#[repr(C)]
#[derive(Default)]
struct InfoAttr {
    bpf_fd: u32,
    info_len: u32,
    info: u64,
}

/// Calls `bpf(cmd, attr, size_of::<T>())`, returning the non-negative result.
///
/// # Safety
///
/// `T` must be one of this module's `#[repr(C)]` mirrors of a `union bpf_attr`
/// member, matching `cmd`, and every pointer in it must be null or point to a buffer
/// that stays live for the call and is at least as long as what the kernel reads or
/// writes through it for `cmd`.
pub(crate) unsafe fn bpf<T>(cmd: libc::c_long, attr: &mut T) -> io::Result<libc::c_long> {
    let size = std::mem::size_of::<T>();
    // SAFETY: `attr` is a live, exclusively borrowed `#[repr(C)]` attribute struct of
    // exactly `size` bytes; the pointers inside it are valid per this function's
    // contract, which each caller upholds.
    let ret = unsafe { libc::syscall(libc::SYS_bpf, cmd, attr as *mut T, size) };
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

fn ptr_or_null(buf: &[u8]) -> u64 {
    if buf.is_empty() {
        0
    } else {
        buf.as_ptr() as u64
    }
}

fn fd_u32(fd: BorrowedFd<'_>) -> u32 {
    use std::os::fd::AsRawFd as _;
    // File descriptors are non-negative, so this cast is lossless.
    fd.as_raw_fd() as u32
}

/// A map fd bound to the key and value lengths the kernel uses for it, so that
/// every buffer handed to the kernel is checked against them first.
///
/// `value_len` is `bpf_map_value_size()` of `kernel/bpf/syscall.c`: for per-CPU
/// maps `round_up(value_size, 8) * num_possible_cpus`, else `value_size` (fd maps
/// have `value_size == 4`, which is what the kernel copies for them).
pub(crate) struct RawMap {
    fd: OwnedFd,
    key_size: usize,
    value_len: usize,
}

impl RawMap {
    /// Reads the map's shape from the kernel. `possible_cpus` must be the kernel's
    /// `num_possible_cpus()` (the count in `/sys/devices/system/cpu/possible`).
    pub(crate) fn new(fd: OwnedFd, possible_cpus: usize) -> io::Result<(Self, RawMapInfo)> {
        let info = map_info(fd.as_fd())?;
        let value_size = info.value_size as usize;
        let value_len = if crate::maps::is_per_cpu_type(info.map_type) {
            value_size
                .div_ceil(8)
                .checked_mul(8)
                .and_then(|v| v.checked_mul(possible_cpus))
                .ok_or_else(|| io::Error::other("per-CPU value size overflows"))?
        } else {
            value_size
        };
        let map = Self {
            fd,
            key_size: info.key_size as usize,
            value_len,
        };
        Ok((map, info))
    }

    /// The map's file descriptor.
    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// The length of value buffers for this map.
    pub(crate) fn value_len(&self) -> usize {
        self.value_len
    }

    fn check(&self, key: Option<&[u8]>, value: Option<usize>) -> io::Result<()> {
        let key_ok = key.is_none_or(|k| k.len() == self.key_size);
        let value_ok = value.is_none_or(|len| len >= self.value_len);
        if key_ok && value_ok {
            Ok(())
        } else {
            Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "key or value buffer does not match the map",
            ))
        }
    }

    /// # Safety
    ///
    /// `key` must be `None` or exactly `key_size` bytes, and `value` null or a
    /// pointer to a buffer of at least `value_len` bytes (for `GET_NEXT_KEY`:
    /// `key_size` bytes) that stays live for the call; `check` verifies lengths.
    unsafe fn elem(
        &self,
        cmd: libc::c_long,
        key: Option<&[u8]>,
        value: u64,
        flags: u64,
    ) -> io::Result<()> {
        let key = key.map_or(0, ptr_or_null);
        let mut attr = MapElemAttr::new(self.fd.as_fd(), key, value, flags);
        // SAFETY: this function's contract gives buffers of at least the lengths the
        // kernel uses for this map's fd and `cmd`, live for the whole call.
        unsafe { bpf(cmd, &mut attr) }.map(drop)
    }

    /// `BPF_MAP_LOOKUP_ELEM` (a peek for queues and stacks, whose key is empty).
    pub(crate) fn lookup(&self, key: &[u8], value: &mut [u8]) -> io::Result<()> {
        self.check(Some(key), Some(value.len()))?;
        // SAFETY: `check` verified the key and value lengths; both are borrowed.
        unsafe { self.elem(BPF_MAP_LOOKUP_ELEM, Some(key), value.as_mut_ptr() as u64, 0) }
    }

    /// `BPF_MAP_LOOKUP_AND_DELETE_ELEM` (a pop for queues and stacks).
    pub(crate) fn lookup_and_delete(&self, key: &[u8], value: &mut [u8]) -> io::Result<()> {
        self.check(Some(key), Some(value.len()))?;
        let value = value.as_mut_ptr() as u64;
        // SAFETY: `check` verified the key and value lengths; both are borrowed.
        unsafe { self.elem(BPF_MAP_LOOKUP_AND_DELETE_ELEM, Some(key), value, 0) }
    }

    /// `BPF_MAP_UPDATE_ELEM` (a push for queues and stacks).
    pub(crate) fn update(&self, key: &[u8], value: &[u8], flags: u64) -> io::Result<()> {
        self.check(Some(key), Some(value.len()))?;
        // SAFETY: `check` verified the key and value lengths; both are borrowed.
        unsafe { self.elem(BPF_MAP_UPDATE_ELEM, Some(key), value.as_ptr() as u64, flags) }
    }

    /// `BPF_MAP_DELETE_ELEM`.
    pub(crate) fn delete(&self, key: &[u8]) -> io::Result<()> {
        self.check(Some(key), None)?;
        // SAFETY: `check` verified the key length; no value pointer is passed.
        unsafe { self.elem(BPF_MAP_DELETE_ELEM, Some(key), 0, 0) }
    }

    /// `BPF_MAP_GET_NEXT_KEY`; `key == None` asks for the first key.
    pub(crate) fn next_key(&self, key: Option<&[u8]>, next: &mut [u8]) -> io::Result<()> {
        self.check(key, None)?;
        self.check(Some(next), None)?;
        // SAFETY: `check` verified that `key` (if any) and `next` are `key_size`
        // bytes, which is all GET_NEXT_KEY reads and writes.
        unsafe { self.elem(BPF_MAP_GET_NEXT_KEY, key, next.as_mut_ptr() as u64, 0) }
    }
}

/// What `BPF_PROG_TEST_RUN` wrote back.
pub(crate) struct RawTestRunOut {
    pub(crate) retval: u32,
    pub(crate) duration: u32,
    pub(crate) data_size_out: u32,
    pub(crate) ctx_size_out: u32,
}

/// Inputs of [`prog_test_run`]; sizes are the slice lengths (checked to fit in `u32`).
pub(crate) struct RawTestRunIn<'a> {
    pub(crate) data_in: &'a [u8],
    /// Mutable: syscall programs' test runs write the context back into it.
    pub(crate) ctx_in: Option<&'a mut [u8]>,
    pub(crate) data_out: &'a mut [u8],
    pub(crate) ctx_out: &'a mut [u8],
    pub(crate) repeat: u32,
    pub(crate) flags: u32,
    pub(crate) cpu: u32,
}

pub(crate) fn len_u32(what: &str, len: usize) -> io::Result<u32> {
    u32::try_from(len).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{what} is {len} bytes, more than a u32 can describe"),
        )
    })
}

/// `BPF_PROG_TEST_RUN`. On `ENOSPC` the sizes the kernel wanted are returned in the
/// error's companion value.
pub(crate) fn prog_test_run(
    prog: BorrowedFd<'_>,
    input: RawTestRunIn<'_>,
) -> Result<RawTestRunOut, (io::Error, RawTestRunOut)> {
    let zero = || RawTestRunOut {
        retval: 0,
        duration: 0,
        data_size_out: 0,
        ctx_size_out: 0,
    };
    let sizes = (|| {
        Ok::<_, io::Error>((
            len_u32("data_in", input.data_in.len())?,
            len_u32("data_out", input.data_out.len())?,
            len_u32("ctx_in", input.ctx_in.as_ref().map_or(0, |c| c.len()))?,
            len_u32("ctx_out", input.ctx_out.len())?,
        ))
    })();
    let (data_size_in, data_size_out, ctx_size_in, ctx_size_out) =
        sizes.map_err(|e| (e, zero()))?;
    let mut attr = TestRunAttr {
        prog_fd: fd_u32(prog),
        data_size_in,
        data_size_out,
        data_in: ptr_or_null(input.data_in),
        data_out: ptr_or_null(input.data_out),
        repeat: input.repeat,
        ctx_size_in,
        ctx_size_out,
        ctx_in: input.ctx_in.as_ref().map_or(0, |c| ptr_or_null(c)),
        ctx_out: ptr_or_null(input.ctx_out),
        flags: input.flags,
        cpu: input.cpu,
        ..TestRunAttr::default()
    };
    // SAFETY: each pointer comes from a slice whose length is the size passed with
    // it (the kernel never reads or writes more than that for test runs, and writes
    // only to the output slices and the exclusively borrowed `ctx_in`), and all slices
    // are borrowed for the whole call.
    let result = unsafe { bpf(BPF_PROG_TEST_RUN, &mut attr) };
    let out = RawTestRunOut {
        retval: attr.retval,
        duration: attr.duration,
        data_size_out: attr.data_size_out,
        ctx_size_out: attr.ctx_size_out,
    };
    match result {
        Ok(_) => Ok(out),
        Err(e) => Err((e, out)),
    }
}

/// `BPF_OBJ_GET_INFO_BY_FD` for a program, returning `bpf_prog_info.type`.
pub(crate) fn prog_type(prog: BorrowedFd<'_>) -> io::Result<u32> {
    // `struct bpf_prog_info` starts with `__u32 type`; the kernel copies at most
    // `info_len` bytes, so a 4-byte buffer is enough to read it.
    let mut ty = 0u32;
    let mut attr = InfoAttr {
        bpf_fd: fd_u32(prog),
        info_len: 4,
        info: std::ptr::addr_of_mut!(ty) as u64,
    };
    // SAFETY: `info` points to `ty`, 4 bytes, and `info_len` is 4.
    unsafe { bpf(BPF_OBJ_GET_INFO_BY_FD, &mut attr) }?;
    Ok(ty)
}

/// The leading fields of `struct bpf_map_info`.
#[repr(C)]
#[derive(Default)]
pub(crate) struct RawMapInfo {
    pub(crate) map_type: u32,
    pub(crate) id: u32,
    pub(crate) key_size: u32,
    pub(crate) value_size: u32,
    pub(crate) max_entries: u32,
    pub(crate) map_flags: u32,
    pub(crate) name: [u8; 16],
}

/// `BPF_OBJ_GET_INFO_BY_FD` for a map, returning the leading `bpf_map_info` fields.
fn map_info(map: BorrowedFd<'_>) -> io::Result<RawMapInfo> {
    let mut info = RawMapInfo::default();
    let mut attr = InfoAttr {
        bpf_fd: fd_u32(map),
        info_len: len_u32("bpf_map_info", std::mem::size_of::<RawMapInfo>())?,
        info: std::ptr::addr_of_mut!(info) as u64,
    };
    // SAFETY: `info` points to a live `RawMapInfo` and `info_len` is its size; the
    // kernel writes at most `info_len` bytes.
    unsafe { bpf(BPF_OBJ_GET_INFO_BY_FD, &mut attr) }?;
    Ok(info)
}
