//! Loads Debian's xdp-tools objects (real-world, libxdp-built ELF files: BTF maps,
//! pinned-by-name maps, per-CPU maps, `.rodata` configuration) into the kernel and
//! test-runs them.

mod common;

use std::path::Path;

use ebee_kernel::consts::{BPF_ANY, BPF_MAP_TYPE_PERCPU_ARRAY, BPF_PROG_TYPE_XDP};
use ebee_kernel::{num_possible_cpus, KernelObject, LoadOptions, TestRun};

const DIR: &str = "/usr/lib/x86_64-linux-gnu/bpf";
const XDP_DROP: u32 = 1;
const XDP_PASS: u32 = 2;

fn read(name: &str) -> Vec<u8> {
    let path = Path::new(DIR).join(name);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; install xdp-tools (apt-get install -y xdp-tools)",
            path.display()
        )
    })
}

/// Sums a per-CPU value made of `u64` fields: returns the per-field totals.
fn sum_per_cpu(value: &[u8], fields: usize) -> Vec<u64> {
    let cpus = num_possible_cpus().unwrap();
    assert_eq!(value.len(), cpus * fields * 8);
    let mut totals = vec![0u64; fields];
    for (i, chunk) in value.chunks(8).enumerate() {
        totals[i % fields] += u64::from_ne_bytes(chunk.try_into().unwrap());
    }
    totals
}

fn run(obj: &KernelObject, prog: &str, packet: &[u8]) -> ebee_kernel::TestRunResult {
    let run = TestRun {
        data_in: packet,
        data_size_out: 1514,
        ..TestRun::default()
    };
    obj.test_run(prog, &run)
        .unwrap_or_else(|e| panic!("{prog}: {e}"))
}

#[test]
fn xdpfilt_objects_load_and_run_with_empty_configuration() {
    if common::skip_without_bpf() {
        return;
    }
    let packet = common::udp_packet();
    for mode in ["alw", "dny"] {
        for proto in ["all", "eth", "ip", "tcp", "udp"] {
            let name = format!("xdpfilt_{mode}_{proto}");
            let obj = KernelObject::load(&read(&format!("{name}.o")), &LoadOptions::default())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let programs = obj.programs();
            assert_eq!(programs.len(), 1, "{programs:?}");
            assert_eq!(programs[0].name, name);
            assert_eq!(programs[0].prog_type, Some(BPF_PROG_TYPE_XDP));
            let stats = obj.map_info("xdp_stats_map").unwrap();
            assert_eq!(stats.map_type, BPF_MAP_TYPE_PERCPU_ARRAY);

            // With no rules, allow mode passes everything and deny mode drops it.
            let r = run(&obj, &name, &packet);
            let verdict = if mode == "alw" { XDP_PASS } else { XDP_DROP };
            assert_eq!(r.retval, verdict, "{name}");
            assert_eq!(r.data_out, packet, "{name}");

            // xdp_stats_map[action] = { packets, bytes } per CPU, fresh per load.
            let v = obj
                .map_lookup("xdp_stats_map", &verdict.to_ne_bytes())
                .unwrap()
                .unwrap();
            assert_eq!(sum_per_cpu(&v, 2), [1, 64], "{name}");
        }
    }
}

#[test]
fn xdpfilt_deny_mode_udp_port_rule() {
    if common::skip_without_bpf() {
        return;
    }
    const MAP_FLAG_DST: u64 = 1 << 1;
    const MAP_FLAG_UDP: u64 = 1 << 3;
    const COUNTER_SHIFT: u32 = 6;
    let obj = KernelObject::load(&read("xdpfilt_dny_udp.o"), &LoadOptions::default()).unwrap();
    let packet = common::udp_packet();
    assert_eq!(run(&obj, "xdpfilt_dny_udp", &packet).retval, XDP_DROP);

    // filter_ports is a per-CPU array indexed by the port in network byte order.
    let key = u32::from(5678u16.to_be()).to_ne_bytes();
    let rule: Vec<u8> = (0..num_possible_cpus().unwrap())
        .flat_map(|_| (MAP_FLAG_DST | MAP_FLAG_UDP).to_ne_bytes())
        .collect();
    obj.map_update("filter_ports", &key, &rule, BPF_ANY)
        .unwrap();
    assert_eq!(run(&obj, "xdpfilt_dny_udp", &packet).retval, XDP_PASS);

    // The hit counter lives above the flag bits, on the CPU that ran the program.
    let v = obj.map_lookup("filter_ports", &key).unwrap().unwrap();
    let cpus = num_possible_cpus().unwrap() as u64;
    let total = sum_per_cpu(&v, 1)[0];
    assert_eq!(
        total,
        cpus * (MAP_FLAG_DST | MAP_FLAG_UDP) + (1 << COUNTER_SHIFT)
    );
}

/// `struct xdp_dispatcher_config` of libxdp 1.3 (124 bytes in `.rodata`).
fn dispatcher_config(num_progs_enabled: u8, chain_call_actions: &[u32]) -> Vec<u8> {
    let mut conf = vec![0u8; 124];
    conf[2] = num_progs_enabled;
    for (i, actions) in chain_call_actions.iter().enumerate() {
        conf[4 + 4 * i..8 + 4 * i].copy_from_slice(&actions.to_ne_bytes());
    }
    conf
}

#[test]
fn xdp_dispatcher_rodata_configuration() {
    if common::skip_without_bpf() {
        return;
    }
    let elf = read("xdp-dispatcher.o");
    let packet = common::udp_packet();

    // Default (all-zero) configuration: no programs enabled, XDP_PASS.
    let obj = KernelObject::load(&elf, &LoadOptions::default()).unwrap();
    let names: Vec<_> = obj.programs().into_iter().map(|p| p.name).collect();
    assert_eq!(names, ["xdp_dispatcher", "xdp_pass"]);
    assert_eq!(run(&obj, "xdp_dispatcher", &packet).retval, XDP_PASS);
    assert_eq!(run(&obj, "xdp_pass", &packet).retval, XDP_PASS);

    // One slot enabled: the slot stub returns XDP_DISPATCHER_RETVAL (31); unless
    // the chain-call mask lets 31 continue, that is the dispatcher's verdict.
    let with = |conf: Vec<u8>| {
        let opts = LoadOptions {
            globals: vec![("conf".into(), conf)],
        };
        KernelObject::load(&elf, &opts).unwrap()
    };
    let stop = with(dispatcher_config(1, &[0]));
    assert_eq!(run(&stop, "xdp_dispatcher", &packet).retval, 31);
    let chain = with(dispatcher_config(1, &[1 << 31]));
    assert_eq!(run(&chain, "xdp_dispatcher", &packet).retval, XDP_PASS);
    let rodata = chain
        .map_lookup(".rodata", &0u32.to_ne_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(rodata, dispatcher_config(1, &[1 << 31]));
}

#[test]
fn other_xdp_tools_objects() {
    if common::skip_without_bpf() {
        return;
    }
    let packet = common::udp_packet();
    for (file, prog) in [
        ("xdpdump_xdp.o", "xdpdump"),
        ("xsk_def_xdp_prog.o", "xsk_def_prog"),
        ("xsk_def_xdp_prog_5.3.o", "xsk_def_prog"),
    ] {
        let obj = KernelObject::load(&read(file), &LoadOptions::default())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let r = run(&obj, prog, &packet);
        assert_eq!(r.retval, XDP_PASS, "{file}");
        assert_eq!(r.data_out, packet, "{file}");
    }

    // xdpdump's fentry/fexit programs attach to another BPF program chosen at run
    // time: the maps are created, the programs are listed as skipped.
    let obj = KernelObject::load(&read("xdpdump_bpf.o"), &LoadOptions::default()).unwrap();
    let programs = obj.programs();
    assert_eq!(programs.len(), 2);
    assert!(programs.iter().all(|p| p.skipped.is_some()), "{programs:?}");
    assert!(obj.map_names().contains(&"xdpdump_perf_map".to_string()));
    let err = obj
        .test_run("trace_on_entry", &TestRun::default())
        .unwrap_err();
    assert!(
        matches!(err, ebee_kernel::Error::ProgramNotLoaded { .. }),
        "{err}"
    );
}
