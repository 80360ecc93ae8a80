//! Numeric constants from `/usr/include/linux/bpf.h` used with this crate's API.
//!
//! A deliberate copy: the aya path and everything after loading share no code with the
//! system under test, so they do not take these from `ebee-abi` (the ebee-object path,
//! which is ebee's parser by design, takes its attach types from there). `tests/consts_match_header.rs` checks every one against
//! `ebee-abi` and against the header as a C compiler sees it.
//!
//! # Example
//!
//! ```
//! use ebee_kernel::consts::{BPF_ANY, BPF_MAP_TYPE_HASH, BPF_PROG_TYPE_XDP};
//!
//! assert_eq!((BPF_ANY, BPF_MAP_TYPE_HASH, BPF_PROG_TYPE_XDP), (0, 1, 6));
//! ```

/// Map update flag: create or replace.
pub const BPF_ANY: u64 = 0;
/// Map update flag: create only (fails with `EEXIST`).
pub const BPF_NOEXIST: u64 = 1;
/// Map update flag: replace only (fails with `ENOENT`).
pub const BPF_EXIST: u64 = 2;
/// Map update/lookup flag: take the value's `bpf_spin_lock`.
pub const BPF_F_LOCK: u64 = 4;

/// Test-run flag: run on [`crate::TestRun::cpu`].
pub const BPF_F_TEST_RUN_ON_CPU: u32 = 1 << 0;
/// Test-run flag: XDP frames are transmitted after processing.
pub const BPF_F_TEST_XDP_LIVE_FRAMES: u32 = 1 << 1;
/// Test-run flag: skb gets `CHECKSUM_COMPLETE`.
pub const BPF_F_TEST_SKB_CHECKSUM_COMPLETE: u32 = 1 << 2;

/// `BPF_PROG_TYPE_SOCKET_FILTER`.
pub const BPF_PROG_TYPE_SOCKET_FILTER: u32 = 1;
/// `BPF_PROG_TYPE_SCHED_CLS` (tc classifier).
pub const BPF_PROG_TYPE_SCHED_CLS: u32 = 3;
/// `BPF_PROG_TYPE_SCHED_ACT` (tc action).
pub const BPF_PROG_TYPE_SCHED_ACT: u32 = 4;
/// `BPF_PROG_TYPE_XDP`.
pub const BPF_PROG_TYPE_XDP: u32 = 6;
/// `BPF_PROG_TYPE_CGROUP_SKB`.
pub const BPF_PROG_TYPE_CGROUP_SKB: u32 = 8;
/// `BPF_MAP_TYPE_UNSPEC`.
pub const BPF_MAP_TYPE_UNSPEC: u32 = 0;
/// `BPF_MAP_TYPE_HASH`.
pub const BPF_MAP_TYPE_HASH: u32 = 1;
/// `BPF_MAP_TYPE_ARRAY`.
pub const BPF_MAP_TYPE_ARRAY: u32 = 2;
/// `BPF_MAP_TYPE_PROG_ARRAY`.
pub const BPF_MAP_TYPE_PROG_ARRAY: u32 = 3;
/// `BPF_MAP_TYPE_PERF_EVENT_ARRAY`.
pub const BPF_MAP_TYPE_PERF_EVENT_ARRAY: u32 = 4;
/// `BPF_MAP_TYPE_PERCPU_HASH`.
pub const BPF_MAP_TYPE_PERCPU_HASH: u32 = 5;
/// `BPF_MAP_TYPE_PERCPU_ARRAY`.
pub const BPF_MAP_TYPE_PERCPU_ARRAY: u32 = 6;
/// `BPF_MAP_TYPE_STACK_TRACE`.
pub const BPF_MAP_TYPE_STACK_TRACE: u32 = 7;
/// `BPF_MAP_TYPE_CGROUP_ARRAY`.
pub const BPF_MAP_TYPE_CGROUP_ARRAY: u32 = 8;
/// `BPF_MAP_TYPE_LRU_HASH`.
pub const BPF_MAP_TYPE_LRU_HASH: u32 = 9;
/// `BPF_MAP_TYPE_LRU_PERCPU_HASH`.
pub const BPF_MAP_TYPE_LRU_PERCPU_HASH: u32 = 10;
/// `BPF_MAP_TYPE_LPM_TRIE`.
pub const BPF_MAP_TYPE_LPM_TRIE: u32 = 11;
/// `BPF_MAP_TYPE_ARRAY_OF_MAPS`.
pub const BPF_MAP_TYPE_ARRAY_OF_MAPS: u32 = 12;
/// `BPF_MAP_TYPE_HASH_OF_MAPS`.
pub const BPF_MAP_TYPE_HASH_OF_MAPS: u32 = 13;
/// `BPF_MAP_TYPE_DEVMAP`.
pub const BPF_MAP_TYPE_DEVMAP: u32 = 14;
/// `BPF_MAP_TYPE_SOCKMAP`.
pub const BPF_MAP_TYPE_SOCKMAP: u32 = 15;
/// `BPF_MAP_TYPE_CPUMAP`.
pub const BPF_MAP_TYPE_CPUMAP: u32 = 16;
/// `BPF_MAP_TYPE_XSKMAP`.
pub const BPF_MAP_TYPE_XSKMAP: u32 = 17;
/// `BPF_MAP_TYPE_SOCKHASH`.
pub const BPF_MAP_TYPE_SOCKHASH: u32 = 18;
/// `BPF_MAP_TYPE_CGROUP_STORAGE`.
pub const BPF_MAP_TYPE_CGROUP_STORAGE: u32 = 19;
/// `BPF_MAP_TYPE_REUSEPORT_SOCKARRAY`.
pub const BPF_MAP_TYPE_REUSEPORT_SOCKARRAY: u32 = 20;
/// `BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE`.
pub const BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE: u32 = 21;
/// `BPF_MAP_TYPE_QUEUE`.
pub const BPF_MAP_TYPE_QUEUE: u32 = 22;
/// `BPF_MAP_TYPE_STACK`.
pub const BPF_MAP_TYPE_STACK: u32 = 23;
/// `BPF_MAP_TYPE_SK_STORAGE`.
pub const BPF_MAP_TYPE_SK_STORAGE: u32 = 24;
/// `BPF_MAP_TYPE_DEVMAP_HASH`.
pub const BPF_MAP_TYPE_DEVMAP_HASH: u32 = 25;
/// `BPF_MAP_TYPE_STRUCT_OPS`.
pub const BPF_MAP_TYPE_STRUCT_OPS: u32 = 26;
/// `BPF_MAP_TYPE_RINGBUF`.
pub const BPF_MAP_TYPE_RINGBUF: u32 = 27;
/// `BPF_MAP_TYPE_INODE_STORAGE`.
pub const BPF_MAP_TYPE_INODE_STORAGE: u32 = 28;
/// `BPF_MAP_TYPE_TASK_STORAGE`.
pub const BPF_MAP_TYPE_TASK_STORAGE: u32 = 29;
/// `BPF_MAP_TYPE_BLOOM_FILTER`.
pub const BPF_MAP_TYPE_BLOOM_FILTER: u32 = 30;
/// `BPF_MAP_TYPE_USER_RINGBUF`.
pub const BPF_MAP_TYPE_USER_RINGBUF: u32 = 31;
