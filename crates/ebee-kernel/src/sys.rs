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
use std::os::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

// `enum bpf_cmd` values.
const BPF_MAP_CREATE: libc::c_long = 0;
const BPF_MAP_LOOKUP_ELEM: libc::c_long = 1;
const BPF_MAP_UPDATE_ELEM: libc::c_long = 2;
const BPF_MAP_DELETE_ELEM: libc::c_long = 3;
const BPF_MAP_GET_NEXT_KEY: libc::c_long = 4;
const BPF_PROG_LOAD: libc::c_long = 5;
const BPF_PROG_TEST_RUN: libc::c_long = 10;
const BPF_OBJ_GET_INFO_BY_FD: libc::c_long = 15;
const BPF_BTF_LOAD: libc::c_long = 18;
const BPF_MAP_LOOKUP_AND_DELETE_ELEM: libc::c_long = 21;
const BPF_MAP_FREEZE: libc::c_long = 22;

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

/// The `BPF_PROG_LOAD` member of `union bpf_attr`, up to `log_true_size`.
#[repr(C)]
#[derive(Default)]
struct ProgLoadAttr {
    prog_type: u32,
    insn_cnt: u32,
    insns: u64,
    license: u64,
    log_level: u32,
    log_size: u32,
    log_buf: u64,
    kern_version: u32,
    prog_flags: u32,
    prog_name: [u8; 16],
    prog_ifindex: u32,
    expected_attach_type: u32,
    prog_btf_fd: u32,
    func_info_rec_size: u32,
    func_info: u64,
    func_info_cnt: u32,
    line_info_rec_size: u32,
    line_info: u64,
    line_info_cnt: u32,
    attach_btf_id: u32,
    attach_prog_fd: u32,
    core_relo_cnt: u32,
    fd_array: u64,
    core_relos: u64,
    core_relo_rec_size: u32,
    log_true_size: u32,
}

/// The `BPF_MAP_CREATE` member of `union bpf_attr`, up to `map_extra`.
#[repr(C)]
#[derive(Default)]
struct MapCreateAttr {
    map_type: u32,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
    map_flags: u32,
    inner_map_fd: u32,
    numa_node: u32,
    map_name: [u8; 16],
    map_ifindex: u32,
    btf_fd: u32,
    btf_key_type_id: u32,
    btf_value_type_id: u32,
    btf_vmlinux_value_type_id: u32,
    map_extra: u64,
}

/// The `BPF_BTF_LOAD` member of `union bpf_attr`, whole.
#[repr(C)]
#[derive(Default)]
struct BtfLoadAttr {
    btf: u64,
    btf_log_buf: u64,
    btf_size: u32,
    btf_log_size: u32,
    btf_log_level: u32,
    btf_log_true_size: u32,
    btf_flags: u32,
    btf_token_fd: u32,
}

/// The `BPF_MAP_FREEZE` member of `union bpf_attr`.
#[repr(C)]
struct MapFdAttr {
    map_fd: u32,
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
unsafe fn bpf<T>(cmd: libc::c_long, attr: &mut T) -> io::Result<libc::c_long> {
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

pub(crate) fn fd_u32(fd: BorrowedFd<'_>) -> u32 {
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

fn len_u32(what: &str, len: usize) -> io::Result<u32> {
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
    // it (the kernel never reads or writes more than that for test runs), and all
    // slices are borrowed for the whole call.
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

/// Loads a program from raw instructions with `BPF_PROG_LOAD` (no verifier log).
pub(crate) fn prog_load(prog_type: u32, insns: &[u64]) -> io::Result<OwnedFd> {
    static LICENSE: &[u8] = b"GPL\0";
    let mut attr = ProgLoadAttr {
        prog_type,
        insn_cnt: len_u32("program", insns.len())?,
        insns: insns.as_ptr() as u64,
        license: LICENSE.as_ptr() as u64,
        ..ProgLoadAttr::default()
    };
    // SAFETY: `insns` is `insn_cnt` 8-byte instructions, `license` a NUL-terminated
    // static string, and no log buffer is passed (`log_size` 0).
    let fd = unsafe { bpf(BPF_PROG_LOAD, &mut attr) }?;
    owned_fd(fd)
}

/// Takes ownership of the file descriptor a successful `bpf()` command returned.
fn owned_fd(ret: libc::c_long) -> io::Result<OwnedFd> {
    let fd = RawFd::try_from(ret).map_err(|_| io::Error::other("bpf() returned a bad fd"))?;
    // SAFETY: a successful BPF_PROG_LOAD, BPF_MAP_CREATE or BPF_BTF_LOAD returns a new file
    // descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A kernel object name (`BPF_OBJ_NAME_LEN`): at most 15 bytes and a NUL, of the characters
/// the kernel accepts (`[A-Za-z0-9_.]`); others become `_`.
fn object_name(name: &str) -> [u8; 16] {
    let mut out = [0u8; 16];
    for (slot, b) in out[..15].iter_mut().zip(name.bytes()) {
        *slot = if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' {
            b
        } else {
            b'_'
        };
    }
    out
}

/// A log buffer for the kernel: pointer, size (checked to fit), or none.
fn log_parts(log: Option<&mut [u8]>) -> io::Result<(u64, u32)> {
    match log {
        Some(buf) if !buf.is_empty() => Ok((buf.as_mut_ptr() as u64, len_u32("log", buf.len())?)),
        _ => Ok((0, 0)),
    }
}

/// What [`map_create`] asks the kernel for.
pub(crate) struct MapCreate<'a> {
    pub(crate) map_type: u32,
    pub(crate) key_size: u32,
    pub(crate) value_size: u32,
    pub(crate) max_entries: u32,
    pub(crate) map_flags: u32,
    pub(crate) numa_node: u32,
    pub(crate) map_extra: u64,
    /// The map's name (cut to what the kernel takes, see `object_name`).
    pub(crate) name: &'a str,
    /// The template of a map of maps.
    pub(crate) inner_map: Option<BorrowedFd<'a>>,
    /// The object's BTF and the key and value type ids in it.
    pub(crate) btf: Option<(BorrowedFd<'a>, u32, u32)>,
}

/// `BPF_MAP_CREATE`.
pub(crate) fn map_create(map: &MapCreate<'_>) -> io::Result<OwnedFd> {
    let (btf_fd, btf_key_type_id, btf_value_type_id) = map
        .btf
        .map_or((0, 0, 0), |(fd, key, value)| (fd_u32(fd), key, value));
    let mut attr = MapCreateAttr {
        map_type: map.map_type,
        key_size: map.key_size,
        value_size: map.value_size,
        max_entries: map.max_entries,
        map_flags: map.map_flags,
        inner_map_fd: map.inner_map.map_or(0, fd_u32),
        numa_node: map.numa_node,
        map_name: object_name(map.name),
        btf_fd,
        btf_key_type_id,
        btf_value_type_id,
        map_extra: map.map_extra,
        ..MapCreateAttr::default()
    };
    // SAFETY: BPF_MAP_CREATE takes no pointers; the fds are borrowed for the call.
    let fd = unsafe { bpf(BPF_MAP_CREATE, &mut attr) }?;
    owned_fd(fd)
}

/// `BPF_MAP_FREEZE`: the map becomes read-only for `bpf(2)` (programs keep their access).
pub(crate) fn map_freeze(map: BorrowedFd<'_>) -> io::Result<()> {
    let mut attr = MapFdAttr {
        map_fd: fd_u32(map),
    };
    // SAFETY: BPF_MAP_FREEZE takes only the (borrowed) map fd.
    unsafe { bpf(BPF_MAP_FREEZE, &mut attr) }.map(drop)
}

/// `BPF_BTF_LOAD` of raw BTF `data`; with `log`, the kernel's BTF verifier writes its
/// messages there (NUL-terminated).
pub(crate) fn btf_load(data: &[u8], log: Option<&mut [u8]>) -> io::Result<OwnedFd> {
    let (btf_log_buf, btf_log_size) = log_parts(log)?;
    let mut attr = BtfLoadAttr {
        btf: data.as_ptr() as u64,
        btf_size: len_u32("BTF", data.len())?,
        btf_log_buf,
        btf_log_size,
        btf_log_level: u32::from(btf_log_size > 0),
        ..BtfLoadAttr::default()
    };
    // SAFETY: `btf` points to `btf_size` readable bytes, the log buffer (if any) to
    // `btf_log_size` writable bytes, both borrowed for the whole call.
    let fd = unsafe { bpf(BPF_BTF_LOAD, &mut attr) }?;
    owned_fd(fd)
}

/// What [`prog_load_with`] asks the kernel to load.
pub(crate) struct ProgLoad<'a> {
    pub(crate) prog_type: u32,
    pub(crate) expected_attach_type: u32,
    /// The instructions, 8 bytes each, in the kernel's `struct bpf_insn` layout.
    pub(crate) insns: &'a [u8],
    pub(crate) license: &'a std::ffi::CStr,
    pub(crate) kern_version: u32,
    pub(crate) prog_flags: u32,
    /// The program's name (cut to what the kernel takes, see `object_name`).
    pub(crate) name: &'a str,
    /// The object's BTF and `struct bpf_func_info` records (8 bytes each) into it.
    pub(crate) func_info: Option<(BorrowedFd<'a>, &'a [u8])>,
    /// The `log_level` when a log buffer is given (0 means 1, the verifier's messages).
    pub(crate) log_level: u32,
    /// The BTF id (in the kernel's BTF) of what a tracing or LSM program attaches to.
    pub(crate) attach_btf_id: u32,
}

/// Size of one `struct bpf_func_info` record (`insn_off`, `type_id`).
pub(crate) const FUNC_INFO_SIZE: usize = 8;

/// `BPF_PROG_LOAD`; with `log`, at `prog.log_level` (1 when that is 0), the verifier writes
/// its log there (NUL-terminated).
pub(crate) fn prog_load_with(prog: &ProgLoad<'_>, log: Option<&mut [u8]>) -> io::Result<OwnedFd> {
    if !prog.insns.len().is_multiple_of(8) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "instructions are not a whole number of 8-byte slots",
        ));
    }
    if prog
        .func_info
        .is_some_and(|(_, info)| !info.len().is_multiple_of(FUNC_INFO_SIZE))
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "func info is not a whole number of records",
        ));
    }
    let (log_buf, log_size) = log_parts(log)?;
    let (prog_btf_fd, func_info, func_info_cnt) = match prog.func_info {
        Some((btf, info)) => (
            fd_u32(btf),
            ptr_or_null(info),
            len_u32("func info", info.len() / FUNC_INFO_SIZE)?,
        ),
        None => (0, 0, 0),
    };
    let mut attr = ProgLoadAttr {
        prog_type: prog.prog_type,
        insn_cnt: len_u32("program", prog.insns.len() / 8)?,
        insns: prog.insns.as_ptr() as u64,
        license: prog.license.as_ptr() as u64,
        log_level: if log_size > 0 {
            prog.log_level.max(1)
        } else {
            0
        },
        log_size,
        log_buf,
        kern_version: prog.kern_version,
        prog_flags: prog.prog_flags,
        prog_name: object_name(prog.name),
        expected_attach_type: prog.expected_attach_type,
        prog_btf_fd,
        func_info_rec_size: if func_info_cnt > 0 {
            FUNC_INFO_SIZE as u32
        } else {
            0
        },
        func_info,
        func_info_cnt,
        attach_btf_id: prog.attach_btf_id,
        ..ProgLoadAttr::default()
    };
    // SAFETY: `insns` points to `insn_cnt` 8-byte slots, `license` to a NUL-terminated
    // string, `func_info` to `func_info_cnt` records of `func_info_rec_size` bytes, the log
    // buffer (if any) to `log_size` writable bytes; all borrowed for the whole call.
    let fd = unsafe { bpf(BPF_PROG_LOAD, &mut attr) }?;
    owned_fd(fd)
}

// No implicit padding: every byte handed to the kernel is a field (see the module docs).
const _: () = assert!(std::mem::size_of::<ProgLoadAttr>() == 144);
const _: () = assert!(std::mem::size_of::<MapCreateAttr>() == 72);
const _: () = assert!(std::mem::size_of::<BtfLoadAttr>() == 40);
const _: () = assert!(std::mem::size_of::<TestRunAttr>() == 80);
