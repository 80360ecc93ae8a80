//! The two loaders side by side: every C test program of the project and every xdp-tools
//! object loaded with aya ([`Loader::Aya`]) and with ebee-object ([`Loader::EbeeObject`]),
//! checked to load the same programs and maps and to give the same test-run results and map
//! contents; what only the ebee-object path can load; and the verifier log on a refusal.
//!
//! Results are compared where the kernel's own results repeat: each object is loaded twice
//! with aya, and a run (or a map's contents after it) that differs between those two loads
//! (time stamps, random numbers) is not held against the ebee-object load.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ebee_kernel::consts::{
    BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_CGROUP_ARRAY, BPF_MAP_TYPE_CPUMAP,
    BPF_MAP_TYPE_DEVMAP, BPF_MAP_TYPE_DEVMAP_HASH, BPF_MAP_TYPE_HASH_OF_MAPS,
    BPF_MAP_TYPE_PERF_EVENT_ARRAY, BPF_MAP_TYPE_PROG_ARRAY, BPF_MAP_TYPE_SOCKHASH,
    BPF_MAP_TYPE_SOCKMAP, BPF_MAP_TYPE_XSKMAP, BPF_PROG_TYPE_XDP,
};
use ebee_kernel::{num_possible_cpus, Error, KernelObject, LoadOptions, Loader, TestRun};

const XDP_TOOLS: &str = "/usr/lib/x86_64-linux-gnu/bpf";
/// `BPF_F_MMAPABLE` (`linux/bpf.h`).
const BPF_F_MMAPABLE: u32 = 1 << 10;

/// Pins the calling thread to CPU 0, so per-CPU values land in the same slot on every load.
fn pin_to_cpu0() {
    // SAFETY: a zeroed cpu_set_t is a valid empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: CPU_SET writes inside the set.
    unsafe { libc::CPU_SET(0, &mut set) };
    // SAFETY: sched_setaffinity(0, ..) only reads the set and affects the calling thread.
    let rc = unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) };
    assert_eq!(
        rc,
        0,
        "sched_setaffinity: {}",
        std::io::Error::last_os_error()
    );
}

/// The C test programs of a crate's directory, sorted.
fn sources(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.to_str().is_some_and(|s| s.ends_with(".bpf.c")))
        .collect();
    files.sort();
    files
}

/// Maps whose values user space reads as ids or not at all (fds of programs, maps,
/// devices, sockets): their contents are not comparable between two loads.
fn holds_fds(map_type: u32) -> bool {
    matches!(
        map_type,
        BPF_MAP_TYPE_PROG_ARRAY
            | BPF_MAP_TYPE_PERF_EVENT_ARRAY
            | BPF_MAP_TYPE_ARRAY_OF_MAPS
            | BPF_MAP_TYPE_HASH_OF_MAPS
            | BPF_MAP_TYPE_CGROUP_ARRAY
            | BPF_MAP_TYPE_DEVMAP
            | BPF_MAP_TYPE_DEVMAP_HASH
            | BPF_MAP_TYPE_CPUMAP
            | BPF_MAP_TYPE_XSKMAP
            | BPF_MAP_TYPE_SOCKMAP
            | BPF_MAP_TYPE_SOCKHASH
    )
}

/// One run's outcome: return value and packet out, or the error.
fn run(obj: &KernelObject, program: &str, packet: &[u8]) -> Result<(u32, Vec<u8>), String> {
    let run = TestRun {
        data_in: packet,
        data_size_out: 1514,
        ..TestRun::default()
    };
    obj.test_run(program, &run)
        .map(|r| (r.retval, r.data_out))
        .map_err(|e| e.to_string())
}

/// A map's `(key, value)` pairs.
type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// The contents of every map that has comparable contents.
fn contents(obj: &KernelObject) -> BTreeMap<String, Result<Entries, String>> {
    obj.map_names()
        .into_iter()
        .filter(|name| {
            let info = obj.map_info(name).unwrap();
            info.key_size > 0 && !holds_fds(info.map_type)
        })
        .map(|name| {
            let entries = obj.map_entries(&name).map_err(|e| e.to_string());
            (name, entries)
        })
        .collect()
}

/// What comparing the two loaders on one object found.
#[derive(Debug, Default, PartialEq, Eq)]
struct Compared {
    /// Runs and map contents compared and equal.
    equal: usize,
    /// Runs and map contents that differed between two aya loads, so not compared.
    unrepeatable: usize,
}

/// What loading one object with both loaders gave.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// Both loaded it; the counts of what was compared.
    Both(Compared),
    /// Only the ebee-object path loads it (aya refuses the object).
    OnlyEbeeObject,
    /// The kernel's verifier refuses this program through both.
    KernelRefuses(String),
    /// Both refuse it before the kernel could: aya the object, ebee-object the object or
    /// (after linking it) the kernel a program.
    BothRefuse,
}

/// Loads `elf` with both loaders and compares them (see the module docs).
fn compare(name: &str, elf: &[u8]) -> Outcome {
    let opts = LoadOptions::default();
    let aya = KernelObject::load_with(Loader::Aya, elf, &opts);
    let parsed = KernelObject::load_with(Loader::EbeeObject, elf, &opts);
    let (aya, parsed) = match (aya, parsed) {
        (Ok(aya), Ok(parsed)) => (aya, parsed),
        (
            Err(Error::ProgramLoad { program: a, .. }),
            Err(Error::ProgramLoad { program: p, .. }),
        ) => {
            assert_eq!(a, p, "{name}: the kernel refuses another program");
            return Outcome::KernelRefuses(a);
        }
        (Err(Error::Object(a)), Err(p)) => {
            eprintln!("{name}: both refuse it:\n  aya: {a}\n  ebee-object: {p}");
            return Outcome::BothRefuse;
        }
        (Err(Error::Object(a)), Ok(_)) => {
            eprintln!("{name}: only the ebee-object path loads it (aya: {a})");
            return Outcome::OnlyEbeeObject;
        }
        (aya, parsed) => panic!(
            "{name}: the loaders disagree:\n  aya: {:?}\n  ebee-object: {:?}",
            aya.map(|_| ()),
            parsed.map(|_| ())
        ),
    };
    assert_eq!(parsed.loader(), Loader::EbeeObject);
    assert_eq!(
        parsed.btf_error(),
        None,
        "{name}: the kernel refused the object's BTF"
    );
    // The same programs, of the same types, loaded or skipped (the reasons are worded
    // differently).
    let programs = |obj: &KernelObject| {
        obj.programs()
            .into_iter()
            .map(|p| (p.name, p.prog_type, p.skipped.is_some()))
            .collect::<Vec<_>>()
    };
    assert_eq!(programs(&aya), programs(&parsed), "{name}: programs");
    assert_eq!(aya.map_names(), parsed.map_names(), "{name}: maps");
    for map in aya.map_names() {
        let (a, p) = (aya.map_info(&map).unwrap(), parsed.map_info(&map).unwrap());
        // ebee-object makes global data with non-static variables mmapable, as libbpf
        // does; aya does not.
        // aya 0.14 sizes xdpdump's perf event array (`__uint(max_entries, 256)`) with its
        // fallback for arrays without max_entries, one entry per possible CPU; ebee-object,
        // like libbpf, keeps the declared size.
        let aya_fallback = a.map_type == BPF_MAP_TYPE_PERF_EVENT_ARRAY
            && a.max_entries != p.max_entries
            && a.max_entries as usize == num_possible_cpus().unwrap();
        if aya_fallback {
            eprintln!(
                "{name}: map {map}: aya made {} entries, ebee-object {}",
                a.max_entries, p.max_entries
            );
        }
        let max_entries = |i: &ebee_kernel::MapInfo| {
            if aya_fallback {
                0
            } else {
                i.max_entries
            }
        };
        let shape = |i: &ebee_kernel::MapInfo| {
            (
                i.map_type,
                i.key_size,
                i.value_size,
                max_entries(i),
                i.map_flags & !BPF_F_MMAPABLE,
            )
        };
        assert_eq!(shape(&a), shape(&p), "{name}: map {map}");
    }

    // A second aya load tells what repeats.
    let again = KernelObject::load_with(Loader::Aya, elf, &opts).unwrap();
    let packet = common::udp_packet();
    let mut compared = Compared::default();
    let loaded: Vec<String> = aya
        .programs()
        .into_iter()
        .filter(|p| p.skipped.is_none())
        .map(|p| p.name)
        .collect();
    for program in &loaded {
        let (a, b, p) = (
            run(&aya, program, &packet),
            run(&again, program, &packet),
            run(&parsed, program, &packet),
        );
        compared.check(&format!("{name}: run of {program}"), &a, &b, &p);
        let (a, b, p) = (contents(&aya), contents(&again), contents(&parsed));
        for (map, a) in &a {
            compared.check(
                &format!("{name}: {map} after {program}"),
                a,
                &b[map],
                &p[map],
            );
        }
    }
    eprintln!(
        "{name}: {} results equal, {} not repeatable",
        compared.equal, compared.unrepeatable
    );
    Outcome::Both(compared)
}

impl Compared {
    /// `parsed` must equal `aya` when `aya` equals `again` (the same from a second aya load).
    fn check<T: PartialEq + std::fmt::Debug>(
        &mut self,
        what: &str,
        aya: &T,
        again: &T,
        parsed: &T,
    ) {
        if aya != again {
            self.unrepeatable += 1;
        } else {
            assert_eq!(aya, parsed, "{what}: aya (left), ebee-object (right)");
            self.equal += 1;
        }
    }
}

/// The project's objects that both loaders do not simply load, and what happens instead.
const NOT_LOADED_BY_BOTH: &[(&str, Expected)] = &[
    // Formats only ebee reads: `xdp/<name>`, `SEC("custom/...")`, maps with spin locks
    // and initial values, map-in-map definitions aya's BTF reader refuses.
    (
        "ebee-kernel/tests/progs/legacy.bpf.c",
        Expected::OnlyEbeeObject,
    ),
    (
        "ebee-kernel/tests/progs/loader.bpf.c",
        Expected::OnlyEbeeObject,
    ),
    (
        "ebee-kernel/tests/progs/kfunc.bpf.c",
        Expected::OnlyEbeeObject,
    ),
    (
        "ebee-object/tests/bpf/btf_maps.bpf.c",
        Expected::OnlyEbeeObject,
    ),
    (
        "ebee-object/tests/bpf/linking.bpf.c",
        Expected::OnlyEbeeObject,
    ),
    // iproute2's maps of maps (`inner_id`), a map in `maps/seen`.
    (
        "ebee/tests/bpf/iproute2_maps.bpf.c",
        Expected::OnlyEbeeObject,
    ),
    // A scratch array of value size 0, which its host sizes before load
    // (tests/legacy_formats.rs does; as compiled, both refuse it).
    ("ebee/tests/bpf/legacy_formats.bpf.c", Expected::BothRefuse),
    // lwt_*, syscall and the unix sock_addr hooks, which aya 0.14 cannot load.
    (
        "ebee/tests/bpf/program_types_raw.bpf.c",
        Expected::OnlyEbeeObject,
    ),
    // Written to be refused by the verifier.
    (
        "ebee-kernel/tests/progs/reject.bpf.c",
        Expected::KernelRefuses("xdp_reject"),
    ),
    (
        "ebee/tests/bpf/packet_redirect_map.bpf.c",
        Expected::KernelRefuses("xdp_redirect_map"),
    ),
    (
        "ebee-object/tests/bpf/branches.bpf.c",
        Expected::KernelRefuses("branches"),
    ),
    // bpf_override_return and bpf_probe_write_user, which this kernel build refuses (see the file).
    (
        "ebee/tests/bpf/tracing_helpers.bpf.c",
        Expected::KernelRefuses("kprobe_override"),
    ),
    // Kfuncs of ebee's embedder, which the kernel does not have.
    (
        "ebee/tests/bpf/embedder_functions.bpf.c",
        Expected::BothRefuse,
    ),
    // CO-RE relocations against types the kernel lacks (`struct task`): aya refuses the
    // relocation kind, ebee-object poisons the instruction and the verifier refuses it.
    ("ebee-object/tests/bpf/core.bpf.c", Expected::BothRefuse),
];

/// [`Outcome`] without the counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expected {
    OnlyEbeeObject,
    KernelRefuses(&'static str),
    BothRefuse,
}

#[test]
fn project_objects_load_alike_through_both_loaders() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let objects: Vec<(PathBuf, &str)> = [
        ("ebee-kernel/tests/progs", "v3"),
        ("ebee/tests/bpf", "v3"),
        ("ebee-object/tests/bpf", "v4"),
    ]
    .into_iter()
    .flat_map(|(dir, mcpu)| sources(dir).into_iter().map(move |p| (p, mcpu)))
    .collect();
    let compiled: Vec<(String, Vec<u8>)> = objects
        .iter()
        .map(|(path, mcpu)| {
            let name = path.strip_prefix(&root).unwrap_or(path);
            (name.display().to_string(), common::compile_file(path, mcpu))
        })
        .collect();
    if common::skip_without_bpf() {
        return;
    }
    pin_to_cpu0();
    let mut both = 0;
    for (name, elf) in &compiled {
        let expected = NOT_LOADED_BY_BOTH
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, e)| *e);
        let outcome = compare(name, elf);
        match (&outcome, expected) {
            (Outcome::Both(c), None) => {
                assert!(c.equal > 0, "{name}: nothing compared");
                both += 1;
            }
            (Outcome::OnlyEbeeObject, Some(Expected::OnlyEbeeObject))
            | (Outcome::BothRefuse, Some(Expected::BothRefuse)) => {}
            (Outcome::KernelRefuses(p), Some(Expected::KernelRefuses(e))) if p == e => {}
            _ => panic!("{name}: {outcome:?}, expected {expected:?}"),
        }
    }
    eprintln!("{both} of {} objects loaded alike by both", compiled.len());
    assert!(both >= 20, "only {both} objects compared");
}

#[test]
fn xdp_tools_objects_load_through_ebee_object() {
    if common::skip_without_bpf() {
        return;
    }
    pin_to_cpu0();
    let mut files: Vec<PathBuf> = std::fs::read_dir(XDP_TOOLS)
        .unwrap_or_else(|e| panic!("{XDP_TOOLS}: {e}; install xdp-tools"))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "o"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "xdp-tools objects: {files:?}");
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let elf = std::fs::read(file).unwrap();
        let obj = KernelObject::load_parsed(&elf, &LoadOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!obj.programs().is_empty(), "{name}");
        assert_eq!(obj.btf_error(), None, "{name}");
        for program in obj.programs().into_iter().filter(|p| p.skipped.is_some()) {
            // Only xdpdump's fentry/fexit programs, which attach to a program chosen at
            // run time.
            assert_eq!(name, "xdpdump_bpf.o", "{program:?}");
            let err = obj
                .test_run(&program.name, &TestRun::default())
                .unwrap_err();
            assert!(matches!(err, Error::ProgramNotLoaded { .. }), "{err}");
        }
        match compare(&name, &elf) {
            // xdpdump_bpf.o has only fentry/fexit programs, skipped by both: its maps are
            // compared, there is nothing to run.
            Outcome::Both(c) => assert!(
                c.equal > 0 || name == "xdpdump_bpf.o",
                "{name}: nothing compared"
            ),
            other => panic!("{name}: {other:?}"),
        }
    }
}

const XDP_PASS: u32 = 2;
const XDP_TX: u32 = 3;
/// `BPF_PROG_TYPE_KPROBE`, `BPF_PROG_TYPE_CGROUP_SOCK_ADDR` (`linux/bpf.h`).
const BPF_PROG_TYPE_KPROBE: u32 = 2;
const BPF_PROG_TYPE_CGROUP_SOCK_ADDR: u32 = 18;

fn run_xdp(obj: &KernelObject, program: &str) -> u32 {
    let packet = common::udp_packet();
    let (retval, data_out) = run(obj, program, &packet).unwrap();
    assert_eq!(data_out, packet);
    retval
}

fn u64_at(value: &[u8], at: usize) -> u64 {
    u64::from_ne_bytes(value[at..at + 8].try_into().unwrap())
}

#[test]
fn spin_locks_maps_of_maps_program_arrays_and_global_data() {
    let elf = common::compile("loader");
    if common::skip_without_bpf() {
        return;
    }
    let globals = vec![("increment".to_string(), 9u32.to_ne_bytes().to_vec())];
    let mut obj = KernelObject::load_parsed(&elf, &LoadOptions { globals }).unwrap();
    // The spin lock map needs the object's BTF in the kernel.
    assert_eq!(obj.btf_error(), None);
    let programs: Vec<_> = obj
        .programs()
        .into_iter()
        .map(|p| (p.name, p.prog_type, p.skipped))
        .collect();
    let skipped = "fentry programs need an attach target (the BTF id of the kernel function, \
                   hook or program they attach to, given at load time)";
    assert_eq!(
        programs,
        [
            (
                "connect4".into(),
                Some(BPF_PROG_TYPE_CGROUP_SOCK_ADDR),
                None
            ),
            ("fentry_nanosleep".into(), None, Some(skipped.into())),
            ("kprobe_nanosleep".into(), Some(BPF_PROG_TYPE_KPROBE), None),
            ("tail_target".into(), Some(BPF_PROG_TYPE_XDP), None),
            ("xdp_loader".into(), Some(BPF_PROG_TYPE_XDP), None),
        ]
    );
    // 5000 bytes asked for: two pages.
    assert_eq!(obj.map_info("ring").unwrap().max_entries, 8192);

    // XDP_TX: the tail call through `jumps[1]`, set from the declaration.
    assert_eq!(run_xdp(&obj, "xdp_loader"), XDP_TX);
    assert_eq!(run_xdp(&obj, "xdp_loader"), XDP_TX);

    let zero = 0u32.to_ne_bytes();
    let locked = obj.map_lookup("locked", &zero).unwrap().unwrap();
    assert_eq!(u64_at(&locked, 8), 2);
    // `outer[1]` is `inner_b`, from the declaration; the increment set before load.
    let inner = |name| obj.map_lookup(name, &zero).unwrap().unwrap();
    assert_eq!(inner("inner_a"), 0u32.to_ne_bytes());
    assert_eq!(inner("inner_b"), 18u32.to_ne_bytes());
    assert_eq!(
        u64_at(&obj.map_lookup(".data", &zero).unwrap().unwrap(), 0),
        9
    );
    assert_eq!(
        u64_at(&obj.map_lookup(".bss", &zero).unwrap().unwrap(), 0),
        4
    );
    let records = obj.ringbuf_drain("ring").unwrap();
    assert_eq!(records, [8u64.to_ne_bytes(), 9u64.to_ne_bytes()]);

    // .rodata holds the value set before load, and is frozen.
    let rodata = obj.map_lookup(".rodata", &zero).unwrap().unwrap();
    assert_eq!(rodata, 9u32.to_ne_bytes());
    let err = obj
        .map_update(".rodata", &zero, &1u32.to_ne_bytes(), 0)
        .unwrap_err();
    assert!(
        matches!(&err, Error::Syscall { error, .. } if error.raw_os_error() == Some(libc::EPERM)),
        "{err}"
    );
}

#[test]
fn formats_aya_does_not_load() {
    let elf = common::compile("legacy");
    if common::skip_without_bpf() {
        return;
    }
    // aya refuses the libbpf 0.x section name `xdp/legacy_count`.
    assert!(matches!(
        KernelObject::load(&elf, &LoadOptions::default()),
        Err(Error::Object(_))
    ));
    check_legacy(&elf);

    // The same object with e_machine EM_NONE, as some old toolchains wrote it: loaded the
    // same once ebee-object reads such files (whatever it parses, this path loads).
    let mut machine_none = elf.clone();
    machine_none[18..20].copy_from_slice(&0u16.to_le_bytes());
    match ebee_object::ObjectSpec::parse(&machine_none) {
        Ok(_) => check_legacy(&machine_none),
        Err(e) => eprintln!("not checked: ebee-object does not read e_machine 0 ({e})"),
    }
}

/// `legacy.bpf.c`, loaded by the ebee-object path.
fn check_legacy(elf: &[u8]) {
    let obj = KernelObject::load_parsed(elf, &LoadOptions::default()).unwrap();
    let programs = obj.programs();
    assert_eq!(programs.len(), 1);
    assert_eq!(programs[0].name, "legacy_count");
    assert_eq!(programs[0].prog_type, Some(BPF_PROG_TYPE_XDP));
    // The iproute2 `struct bpf_elf_map` record, 36 bytes.
    let info = obj.map_info("legacy_counts").unwrap();
    assert_eq!(
        (
            info.map_type,
            info.key_size,
            info.value_size,
            info.max_entries
        ),
        (BPF_MAP_TYPE_ARRAY, 4, 8, 4)
    );
    assert_eq!(run_xdp(&obj, "legacy_count"), XDP_PASS);
    let count = obj
        .map_lookup("legacy_counts", &2u32.to_ne_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(count, 64u64.to_ne_bytes());
}

#[test]
fn kfunc_calls_resolve_in_the_kernel_btf() {
    let elf = common::compile("kfunc");
    if common::skip_without_bpf() {
        return;
    }
    let obj = KernelObject::load_parsed(&elf, &LoadOptions::default()).unwrap();
    // The object's BTF declares the kfuncs extern, in a `.ksyms` section that does not
    // exist: fixed up, the kernel takes it.
    assert_eq!(obj.btf_error(), None);
    assert_eq!(run_xdp(&obj, "xdp_kfunc"), XDP_PASS);
}

#[test]
fn verifier_rejection_carries_the_log() {
    let elf = common::compile("reject");
    if common::skip_without_bpf() {
        return;
    }
    let err = KernelObject::load_parsed(&elf, &LoadOptions::default()).unwrap_err();
    match &err {
        Error::ProgramLoad {
            program,
            message,
            verifier_log,
        } => {
            assert_eq!(program, "xdp_reject");
            assert!(message.contains("os error 13"), "{message}");
            assert!(
                verifier_log.contains("invalid access to packet"),
                "verifier log: {verifier_log}"
            );
        }
        other => panic!("expected ProgramLoad, got {other}"),
    }
}

#[test]
fn bad_input_is_an_error() {
    let elf = common::compile("basic");
    if common::skip_without_bpf() {
        return;
    }
    let load = |elf: &[u8], globals: Vec<(String, Vec<u8>)>| {
        KernelObject::load_parsed(elf, &LoadOptions { globals })
    };
    assert!(matches!(load(b"not an elf", vec![]), Err(Error::Object(_))));
    assert!(matches!(
        load(&elf, vec![("verdict".into(), vec![1, 2])]),
        Err(Error::Object(_))
    ));
    assert!(matches!(
        load(&elf, vec![("no_such_symbol".into(), vec![0; 4])]),
        Err(Error::Object(_))
    ));
    let obj = load(&elf, vec![]).unwrap();
    assert!(matches!(
        obj.test_run("nope", &TestRun::default()),
        Err(Error::UnknownProgram(_))
    ));
    assert!(matches!(
        obj.program_fd("nope"),
        Err(Error::UnknownProgram(_))
    ));
    assert!(matches!(obj.map_info("nope"), Err(Error::UnknownMap(_))));
}
