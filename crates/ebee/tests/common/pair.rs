//! One object loaded twice, in ebee and in the Linux kernel, driven with the same inputs and
//! compared: return values, packets out, map contents, ring-buffer and perf records.

use ebee::CollectTrace;
use ebee::{Engine, Object, TestRun};
use ebee_kernel::{KernelObject, LoadOptions};
use ebee_maps::MapType;
use std::sync::Arc;

/// Entries of a map, sorted by key.
pub type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// The same object in ebee and in the kernel.
pub struct Pair {
    /// The object name (`tests/bpf/<name>.bpf.c`).
    pub name: String,
    pub ebee: Object,
    pub kernel: KernelObject,
    /// `num_possible_cpus()`: the CPUs per-CPU values are given for on both sides.
    pub ncpus: usize,
    /// ebee's `bpf_trace_printk` output.
    pub trace: Arc<CollectTrace>,
    /// The CPU runs happen on (the test thread is pinned to it).
    cpu: std::sync::atomic::AtomicUsize,
}

/// Outputs of one run on both sides (already checked equal where [`Pair::run`] says so).
#[derive(Debug)]
pub struct Both {
    pub ebee: ebee::TestRunResult,
    pub kernel: ebee_kernel::TestRunResult,
}

/// A 64-byte packet starting with `head`.
pub fn packet(head: &[u8]) -> Vec<u8> {
    let mut p = vec![0u8; 64.max(head.len())];
    p[..head.len()].copy_from_slice(head);
    p
}

impl Pair {
    /// Compiles and loads `tests/bpf/<name>.bpf.c` in both, with the test thread pinned to
    /// CPU 0. `None` (after printing why) when the kernel cannot be the oracle here.
    pub fn load(name: &str) -> Option<Pair> {
        Pair::load_with(name, &[])
    }

    /// [`Pair::load`] with `const volatile` globals set before load on both sides.
    pub fn load_with(name: &str, globals: &[(&str, Vec<u8>)]) -> Option<Pair> {
        // Compiled first: a missing clang-19 fails the test even where the kernel is absent.
        let path = super::compile(name);
        if let Err(reason) = ebee_kernel::availability() {
            eprintln!("skipping: the kernel cannot be the oracle here: {reason}");
            return None;
        }
        super::pin_to_cpu(0);
        let elf = std::fs::read(&path).expect("read the object");
        let ncpus = ebee_kernel::num_possible_cpus().expect("possible CPUs");
        let trace = Arc::new(CollectTrace::default());
        let engine = Engine::new().with_cpus(ncpus).with_trace(trace.clone());
        let mut builder = engine
            .open(&elf)
            .unwrap_or_else(|e| panic!("{name}: ebee parses: {e}"));
        for (global, bytes) in globals {
            builder
                .set_global(global, bytes)
                .unwrap_or_else(|e| panic!("ebee set_global {global}: {e}"));
        }
        let ebee = builder
            .load()
            .unwrap_or_else(|e| panic!("{name}: ebee loads: {e}"));
        let opts = LoadOptions {
            globals: globals
                .iter()
                .map(|(n, b)| (n.to_string(), b.clone()))
                .collect(),
        };
        let kernel = KernelObject::load(&elf, &opts)
            .unwrap_or_else(|e| panic!("{name}: the kernel loads: {e}"));
        let pair = Pair {
            name: name.to_string(),
            ebee,
            kernel,
            ncpus,
            trace,
            cpu: std::sync::atomic::AtomicUsize::new(0),
        };
        pair.assert_same_map_definitions();
        Some(pair)
    }

    /// Loads the object bytes `elf` in both, ebee's through `engine` (with its network
    /// environment, say), its trace output collected. `None` (after printing why) when the
    /// kernel cannot be the oracle here.
    pub fn load_with_engine(name: &str, elf: &[u8], engine: Engine) -> Option<Pair> {
        if let Err(reason) = ebee_kernel::availability() {
            eprintln!("skipping: the kernel cannot be the oracle here: {reason}");
            return None;
        }
        super::pin_to_cpu(0);
        let ncpus = engine.cpus();
        let trace = Arc::new(CollectTrace::default());
        let ebee = engine
            .with_trace(trace.clone())
            .load(elf)
            .unwrap_or_else(|e| panic!("{name}: ebee loads: {e}"));
        let kernel = KernelObject::load(elf, &LoadOptions::default())
            .unwrap_or_else(|e| panic!("{name}: the kernel loads: {e}"));
        let pair = Pair {
            name: name.to_string(),
            ebee,
            kernel,
            ncpus,
            trace,
            cpu: std::sync::atomic::AtomicUsize::new(0),
        };
        pair.assert_same_map_definitions();
        Some(pair)
    }

    /// Loads the object bytes `elf` in both from one parsed object, after `adjust` changed
    /// it through ebee's builder (map sizes, program types): ebee loads the builder, the
    /// kernel the builder's `ObjectSpec` through the raw-bpf(2) oracle
    /// (`KernelObject::load_spec`), so whatever format ebee-object reads is compared. `None`
    /// (after printing why) when the kernel cannot be the oracle here.
    pub fn load_spec(
        name: &str,
        elf: &[u8],
        adjust: impl FnOnce(&mut ebee::ObjectBuilder),
    ) -> Option<Pair> {
        if let Err(reason) = ebee_kernel::availability() {
            eprintln!("skipping: the kernel cannot be the oracle here: {reason}");
            return None;
        }
        super::pin_to_cpu(0);
        let ncpus = ebee_kernel::num_possible_cpus().expect("possible CPUs");
        let trace = Arc::new(CollectTrace::default());
        let engine = Engine::new().with_cpus(ncpus).with_trace(trace.clone());
        let mut builder = engine
            .open(elf)
            .unwrap_or_else(|e| panic!("{name}: ebee parses: {e}"));
        adjust(&mut builder);
        let spec = builder.spec().clone();
        let ebee = builder
            .load()
            .unwrap_or_else(|e| panic!("{name}: ebee loads: {e}"));
        let kernel = KernelObject::load_spec(elf, spec, &LoadOptions::default())
            .unwrap_or_else(|e| panic!("{name}: the kernel loads: {e}"));
        let pair = Pair {
            name: name.to_string(),
            ebee,
            kernel,
            ncpus,
            trace,
            cpu: std::sync::atomic::AtomicUsize::new(0),
        };
        pair.assert_same_map_definitions();
        Some(pair)
    }

    /// Runs from now on happen on `cpu`: pins the calling thread to it (the kernel runs an
    /// XDP or TC test on the caller's CPU) and gives ebee the same CPU.
    pub fn set_cpu(&self, cpu: usize) {
        super::pin_to_cpu(cpu);
        self.cpu.store(cpu, std::sync::atomic::Ordering::Relaxed);
    }

    /// Every ebee map exists in the kernel with the same type and sizes.
    fn assert_same_map_definitions(&self) {
        for map in self.ebee.maps() {
            let info = self
                .kernel
                .map_info(map.name())
                .unwrap_or_else(|e| panic!("{}: map {} in the kernel: {e}", self.name, map.name()));
            let ours = (
                map.map_type().kernel_id(),
                map.key_size() as u32,
                map.value_size() as u32,
                map.max_entries(),
            );
            let theirs = (
                info.map_type,
                info.key_size,
                info.value_size,
                info.max_entries,
            );
            assert_eq!(
                ours,
                theirs,
                "{}: map {} (type, key, value, max_entries)",
                self.name,
                map.name()
            );
        }
    }

    fn ebee_map(&self, name: &str) -> &Arc<ebee_maps::Map> {
        self.ebee
            .map(name)
            .unwrap_or_else(|| panic!("{}: no ebee map {name}", self.name))
    }

    /// Runs `program` on `data` in both without comparing.
    pub fn run_both(&self, program: &str, data: &[u8], ctx: Option<&[u8]>) -> Both {
        let prog = self
            .ebee
            .program(program)
            .unwrap_or_else(|| panic!("no ebee program {program}"));
        let ebee = prog
            .test_run(&TestRun {
                data_in: data,
                ctx_in: ctx,
                repeat: 1,
                cpu: self.cpu.load(std::sync::atomic::Ordering::Relaxed),
            })
            .unwrap_or_else(|e| panic!("{}: ebee runs {program}: {e}", self.name));
        let run = ebee_kernel::TestRun {
            data_in: data,
            ctx_in: ctx,
            data_size_out: if data.is_empty() {
                0
            } else {
                data.len() + 4096
            },
            ctx_size_out: ctx.map_or(0, <[u8]>::len),
            ..Default::default()
        };
        let kernel = self
            .kernel
            .test_run(program, &run)
            .unwrap_or_else(|e| panic!("{}: the kernel runs {program}: {e}", self.name));
        Both { ebee, kernel }
    }

    /// Runs `program` on the packet `data` in both, asserts equal return values and packets
    /// out, and returns the packet out.
    pub fn run(&self, program: &str, data: &[u8]) -> Vec<u8> {
        let both = self.run_both(program, data, None);
        assert_eq!(
            (both.ebee.retval, &both.ebee.data_out),
            (both.kernel.retval, &both.kernel.data_out),
            "{}: {program}: (retval, data_out) ebee vs kernel, input {data:02x?}",
            self.name
        );
        both.ebee.data_out
    }

    /// Host-side update on both sides (per-CPU values in the syscall layout); asserts the
    /// same outcome and returns ebee's errno.
    pub fn update(&self, map: &str, key: &[u8], value: &[u8], flags: u64) -> Result<(), i32> {
        let ours = self
            .ebee_map(map)
            .update(key, value, flags)
            .map_err(|e| e.as_neg_i64() as i32);
        let theirs = self
            .kernel
            .map_update(map, key, value, flags)
            .map_err(|e| errno_of(&e));
        assert_eq!(
            ours, theirs,
            "{}: host update of {map} {key:02x?}",
            self.name
        );
        ours
    }

    /// Host-side push on both sides (queues, stacks, bloom filters).
    pub fn push(&self, map: &str, value: &[u8], flags: u64) -> Result<(), i32> {
        let ours = self
            .ebee_map(map)
            .push(value, flags)
            .map_err(|e| e.as_neg_i64() as i32);
        let theirs = self
            .kernel
            .map_push(map, value, flags)
            .map_err(|e| errno_of(&e));
        assert_eq!(ours, theirs, "{}: host push into {map}", self.name);
        ours
    }

    /// Stores map `inner` under `key` of the map of maps `outer`, in the kernel only (for
    /// slots the object initialises itself, which ebee fills at load).
    pub fn kernel_set_inner(&self, outer: &str, key: &[u8], inner: &str) {
        use std::os::fd::AsRawFd;
        let fd = self.kernel.map_fd(inner).expect("inner map fd").as_raw_fd() as u32;
        self.kernel
            .map_update(outer, key, &fd.to_ne_bytes(), 0)
            .expect("kernel: store the inner map");
    }

    /// Stores map `inner` under `key` of the map of maps `outer` on both sides.
    pub fn set_inner(&self, outer: &str, key: &[u8], inner: &str) {
        let map = self.ebee_map(inner).clone();
        self.ebee
            .set_inner_map(outer, key, &map)
            .expect("ebee: store the inner map");
        self.kernel_set_inner(outer, key, inner);
    }

    /// Stores program `program` under `index` of the prog array `array` on both sides.
    pub fn set_program(&self, array: &str, index: u32, program: &str) {
        let id = self.ebee.program(program).expect("ebee program").id();
        self.ebee_map(array)
            .update(&index.to_ne_bytes(), &id.to_ne_bytes(), 0)
            .expect("ebee: store the program");
        self.kernel_set_program(array, index, program);
    }

    /// Stores program `program` under `index` of the prog array `array` in the kernel only.
    pub fn kernel_set_program(&self, array: &str, index: u32, program: &str) {
        use std::os::fd::AsRawFd;
        let fd = self
            .kernel
            .program_fd(program)
            .expect("program fd")
            .as_raw_fd() as u32;
        self.kernel
            .map_update(array, &index.to_ne_bytes(), &fd.to_ne_bytes(), 0)
            .expect("kernel: store the program");
    }

    /// Host-side delete on both sides; asserts the same outcome.
    pub fn delete(&self, map: &str, key: &[u8]) -> Result<(), i32> {
        let ours = self
            .ebee_map(map)
            .delete(key)
            .map_err(|e| e.as_neg_i64() as i32);
        let theirs = match self.kernel.map_delete(map, key) {
            Ok(true) => Ok(()),
            Ok(false) => Err(-2),
            Err(e) => Err(errno_of(&e)),
        };
        assert_eq!(
            ours, theirs,
            "{}: host delete from {map} {key:02x?}",
            self.name
        );
        ours
    }

    /// Pops a queue or stack empty on both sides and asserts the same values in the same
    /// order.
    pub fn assert_drain_equal(&self, map: &str) -> Vec<Vec<u8>> {
        let mut ours = Vec::new();
        while let Ok(v) = self.ebee_map(map).pop() {
            ours.push(v);
        }
        let mut theirs = Vec::new();
        while let Some(v) = self.kernel.map_pop(map).expect("kernel pop") {
            theirs.push(v);
        }
        assert_eq!(
            ours, theirs,
            "{}: {map} popped empty, ebee vs kernel",
            self.name
        );
        ours
    }

    /// ebee's entries of `map`, sorted.
    pub fn ebee_entries(&self, map: &str) -> Entries {
        // As the kernel oracle iterates: next_key, then lookup (prog arrays and maps of maps
        // have no batch lookup).
        let m = self.ebee_map(map);
        let mut entries = Vec::new();
        let mut key: Option<Vec<u8>> = None;
        while let Ok(next) = m.next_key(key.as_deref()) {
            match m.lookup(&next) {
                Ok(value) => entries.push((next.clone(), value)),
                Err(e) if e.as_neg_i64() == -2 => {}
                Err(e) => panic!("ebee lookup in {map}: {e}"),
            }
            key = Some(next);
        }
        entries.sort();
        entries
    }

    /// The kernel's entries of `map`, sorted.
    pub fn kernel_entries(&self, map: &str) -> Entries {
        let mut entries = self
            .kernel
            .map_entries(map)
            .unwrap_or_else(|e| panic!("kernel entries of {map}: {e}"));
        entries.sort();
        entries
    }

    /// Asserts equal contents of `map`; maps holding handles (prog arrays, maps of maps)
    /// compare their keys only (ids differ between ebee and the kernel).
    pub fn assert_map_equal(&self, map: &str) {
        let (ours, theirs) = (self.ebee_entries(map), self.kernel_entries(map));
        if holds_handles(self.ebee_map(map).map_type()) {
            let keys = |e: &Entries| e.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
            assert_eq!(
                keys(&ours),
                keys(&theirs),
                "{}: keys of {map}, ebee vs kernel",
                self.name
            );
        } else {
            assert_eq!(
                ours, theirs,
                "{}: contents of {map}, ebee vs kernel",
                self.name
            );
        }
    }

    /// Asserts equal contents of every map that has keys.
    pub fn assert_maps_equal(&self) {
        for map in self.ebee.maps() {
            if map.key_size() > 0 && !matches!(map.map_type(), MapType::PerfEventArray) {
                self.assert_map_equal(map.name());
            }
        }
    }
}

/// Runs one command on `program` in both, asserting equal packets out and equal maps after
/// it; returns `(res, out, out2)`.
pub fn step(
    pair: &Pair,
    program: &str,
    op: u32,
    key: u32,
    value: u64,
    flags: u64,
) -> (i64, u64, u64) {
    let out = pair.run(program, &cmd::packet(op, key, value, flags));
    pair.assert_maps_equal();
    cmd::result(&out)
}

/// The syscall layout of a per-CPU u64 value: `f(cpu)` for each CPU.
pub fn percpu_u64(pair: &Pair, f: impl Fn(usize) -> u64) -> Vec<u8> {
    (0..pair.ncpus)
        .flat_map(|cpu| f(cpu).to_ne_bytes())
        .collect()
}

/// Maps whose values are program or map handles.
fn holds_handles(map_type: MapType) -> bool {
    matches!(
        map_type,
        MapType::ProgArray | MapType::ArrayOfMaps | MapType::HashOfMaps
    )
}

/// The negative errno of a failed kernel map operation.
pub fn errno_of(e: &ebee_kernel::Error) -> i32 {
    match e.os_error() {
        Some(io) => -io.raw_os_error().unwrap_or(0),
        None => panic!("kernel error without an errno: {e}"),
    }
}

/// Little helpers to build and read the `struct cmd` of `tests/bpf/cmd.h`.
pub mod cmd {
    pub const LOOKUP: u32 = 1;
    pub const UPDATE: u32 = 2;
    pub const DELETE: u32 = 3;
    pub const ADD: u32 = 4;
    pub const PERCPU: u32 = 5;
    pub const PUSH: u32 = 6;
    pub const POP: u32 = 7;
    pub const PEEK: u32 = 8;

    /// The packet for one command.
    pub fn packet(op: u32, key: u32, value: u64, flags: u64) -> Vec<u8> {
        let mut head = Vec::with_capacity(48);
        head.extend(op.to_ne_bytes());
        head.extend(key.to_ne_bytes());
        head.extend(value.to_ne_bytes());
        head.extend(flags.to_ne_bytes());
        super::packet(&head)
    }

    /// `(res, out, out2)` of a packet out.
    pub fn result(out: &[u8]) -> (i64, u64, u64) {
        let word = |at: usize| u64::from_ne_bytes(out[at..at + 8].try_into().unwrap());
        (word(24) as i64, word(32), word(40))
    }
}

/// Asserts equal record lists, reporting the first difference compactly (records can be
/// kilobytes long).
pub fn assert_records_equal(what: &str, ours: &[Vec<u8>], theirs: &[Vec<u8>]) {
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        if a != b {
            let at = a
                .iter()
                .zip(b)
                .position(|(x, y)| x != y)
                .unwrap_or(a.len().min(b.len()));
            let window = |r: &[u8]| r[at.min(r.len())..(at + 16).min(r.len())].to_vec();
            panic!(
                "{what}: record {i} differs at byte {at} (lengths {} / {}): ebee {:02x?}…, kernel {:02x?}…",
                a.len(),
                b.len(),
                window(a),
                window(b)
            );
        }
    }
    assert_eq!(
        ours.len(),
        theirs.len(),
        "{what}: number of records, ebee vs kernel"
    );
}
