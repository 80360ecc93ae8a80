//! Plumbing for the kernel-oracle tests: raw `bpf(2)` map commands and one operation
//! language run on both kernel and ebee maps.
#![allow(dead_code)]

use ebee_maps::{Errno, Map, MapSpec, MapType};

pub const MAP_CREATE: i64 = 0;
pub const LOOKUP: i64 = 1;
pub const UPDATE: i64 = 2;
pub const DELETE: i64 = 3;
pub const NEXT_KEY: i64 = 4;
pub const LOOKUP_AND_DELETE: i64 = 21;
pub const FREEZE: i64 = 22;

#[repr(C, align(8))]
pub struct Attr([u8; 128]);

impl Default for Attr {
    fn default() -> Attr {
        Attr([0; 128])
    }
}

impl Attr {
    fn u32(mut self, off: usize, v: u32) -> Attr {
        self.0[off..off + 4].copy_from_slice(&v.to_ne_bytes());
        self
    }
    fn u64(mut self, off: usize, v: u64) -> Attr {
        self.0[off..off + 8].copy_from_slice(&v.to_ne_bytes());
        self
    }
}

pub fn sys_bpf(cmd: i64, attr: &mut Attr) -> Result<i64, Errno> {
    // SAFETY: `attr` is a valid, writable 128-byte `union bpf_attr` for the call's duration;
    // the pointers inside it point to live buffers of the sizes the map was created with.
    let r = unsafe { libc::syscall(libc::SYS_bpf, cmd, attr as *mut Attr, 128usize) };
    if r < 0 {
        Err(Errno(
            std::io::Error::last_os_error().raw_os_error().unwrap_or(0),
        ))
    } else {
        Ok(r)
    }
}

pub struct KMap {
    pub fd: i32,
    pub value_size: usize,
}

impl Drop for KMap {
    fn drop(&mut self) {
        // SAFETY: closing the map fd this struct owns.
        unsafe { libc::close(self.fd) };
    }
}

pub fn possible_cpus() -> usize {
    let s = std::fs::read_to_string("/sys/devices/system/cpu/possible").unwrap_or_default();
    s.trim()
        .split(',')
        .map(|r| match r.split_once('-') {
            Some((a, b)) => b.parse::<usize>().unwrap_or(0) - a.parse::<usize>().unwrap_or(0) + 1,
            None => 1,
        })
        .sum::<usize>()
        .max(1)
}

pub fn kcreate(spec: &MapSpec, inner_fd: Option<i32>) -> Result<KMap, Errno> {
    let mut attr = Attr::default()
        .u32(0, spec.map_type.kernel_id())
        .u32(4, spec.key_size)
        .u32(8, spec.value_size)
        .u32(12, spec.max_entries)
        .u32(16, spec.map_flags)
        .u32(20, inner_fd.unwrap_or(0) as u32)
        .u64(64, spec.map_extra);
    let fd = sys_bpf(MAP_CREATE, &mut attr)? as i32;
    let value_size = if spec.map_type.is_percpu() {
        spec.value_size.next_multiple_of(8) as usize * possible_cpus()
    } else {
        spec.value_size as usize
    };
    Ok(KMap { fd, value_size })
}

#[derive(Clone, Debug)]
pub enum Op {
    Update(Vec<u8>, Vec<u8>, u64),
    Lookup(Vec<u8>),
    LookupFlags(Vec<u8>, u64),
    Delete(Vec<u8>),
    NextKey(Option<Vec<u8>>),
    LookupAndDelete(Vec<u8>),
    /// Queue/stack push or bloom add (update with no key).
    Push(Vec<u8>, u64),
    Pop,
    Peek,
    /// Bloom filter membership (lookup with the value as input).
    BloomHas(Vec<u8>),
    Freeze,
}

pub type Outcome = Result<Option<Vec<u8>>, Errno>;

pub fn kernel_run(m: &KMap, key_size: usize, op: &Op) -> Outcome {
    let mut out = vec![0u8; m.value_size.max(4)];
    let mut next = vec![0u8; key_size.max(1)];
    let ptr = |v: &[u8]| if v.is_empty() { 0 } else { v.as_ptr() as u64 };
    let elem = |key: u64, val: u64, flags: u64| {
        Attr::default()
            .u32(0, m.fd as u32)
            .u64(8, key)
            .u64(16, val)
            .u64(24, flags)
    };
    match op {
        Op::Update(k, v, f) => sys_bpf(UPDATE, &mut elem(ptr(k), ptr(v), *f)).map(|_| None),
        Op::Push(v, f) => sys_bpf(UPDATE, &mut elem(0, ptr(v), *f)).map(|_| None),
        Op::Lookup(k) | Op::LookupFlags(k, _) => {
            let f = if let Op::LookupFlags(_, f) = op {
                *f
            } else {
                0
            };
            let mut a = elem(ptr(k), out.as_mut_ptr() as u64, f);
            sys_bpf(LOOKUP, &mut a).map(|_| Some(out[..m.value_size].to_vec()))
        }
        Op::Peek => sys_bpf(LOOKUP, &mut elem(0, out.as_mut_ptr() as u64, 0))
            .map(|_| Some(out[..m.value_size].to_vec())),
        Op::BloomHas(v) => sys_bpf(LOOKUP, &mut elem(0, ptr(v), 0)).map(|_| None),
        Op::Delete(k) => sys_bpf(DELETE, &mut elem(ptr(k), 0, 0)).map(|_| None),
        Op::NextKey(k) => {
            let key = k.as_deref().map_or(0, ptr);
            sys_bpf(NEXT_KEY, &mut elem(key, next.as_mut_ptr() as u64, 0))
                .map(|_| Some(next[..key_size].to_vec()))
        }
        Op::LookupAndDelete(k) => sys_bpf(
            LOOKUP_AND_DELETE,
            &mut elem(ptr(k), out.as_mut_ptr() as u64, 0),
        )
        .map(|_| Some(out[..m.value_size].to_vec())),
        Op::Pop => sys_bpf(LOOKUP_AND_DELETE, &mut elem(0, out.as_mut_ptr() as u64, 0))
            .map(|_| Some(out[..m.value_size].to_vec())),
        Op::Freeze => sys_bpf(FREEZE, &mut Attr::default().u32(0, m.fd as u32)).map(|_| None),
    }
}

pub fn ebee_run(m: &Map, op: &Op) -> Outcome {
    match op {
        Op::Update(k, v, f) => m.update(k, v, *f).map(|_| None),
        Op::Push(v, f) => m.push(v, *f).map(|_| None),
        Op::Lookup(k) => m.lookup(k).map(Some),
        Op::LookupFlags(k, f) => m.lookup_with_flags(k, *f).map(Some),
        Op::Peek => m.peek().map(Some),
        Op::BloomHas(v) => match m.bloom_contains(v) {
            Ok(true) => Ok(None),
            Ok(false) => Err(Errno::ENOENT),
            Err(e) => Err(e),
        },
        Op::Delete(k) => m.delete(k).map(|_| None),
        Op::NextKey(k) => m.next_key(k.as_deref()).map(Some),
        Op::LookupAndDelete(k) => m.lookup_and_delete(k, 0).map(Some),
        Op::Pop => m.pop().map(Some),
        Op::Freeze => m.freeze().map(|_| None),
    }
}

pub fn kernel_available() -> bool {
    let spec = MapSpec::new("probe", MapType::Array, 4, 4, 1);
    match kcreate(&spec, None) {
        Ok(_) => true,
        Err(e) => {
            eprintln!("kernel oracle skipped: bpf(BPF_MAP_CREATE) failed with {e}");
            false
        }
    }
}

/// Runs `ops` on both and asserts the outcomes are equal, op by op.
pub fn compare(spec: MapSpec, ops: &[Op]) {
    if !kernel_available() {
        return;
    }
    let k = kcreate(&spec, None).unwrap_or_else(|e| panic!("kernel refused {spec:?}: {e}"));
    let e = Map::create(spec.clone(), possible_cpus()).expect("ebee refused the spec");
    for (i, op) in ops.iter().enumerate() {
        let kr = kernel_run(&k, spec.key_size as usize, op);
        let er = ebee_run(&e, op);
        assert_eq!(er, kr, "{} op #{i} {op:?}: ebee vs kernel", spec.map_type);
    }
}

pub fn k32(v: u32) -> Vec<u8> {
    v.to_ne_bytes().to_vec()
}
pub fn v64(v: u64) -> Vec<u8> {
    v.to_ne_bytes().to_vec()
}
pub fn lpm(prefix: u32, ip: [u8; 4]) -> Vec<u8> {
    let mut k = prefix.to_ne_bytes().to_vec();
    k.extend_from_slice(&ip);
    k
}
