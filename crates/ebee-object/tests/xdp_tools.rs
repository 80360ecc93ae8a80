//! Debian's xdp-tools and libxdp objects (`/usr/lib/x86_64-linux-gnu/bpf/*.o`), built by
//! another toolchain and used in production: every one parses, and every program links.

mod common;

use common::{xdp_tools_objects, XDP_TOOLS_DIR};
use ebee_isa::Op;
use ebee_object::{MapOrigin, ObjectSpec, ProgramKind};

fn spec(file: &str) -> ObjectSpec {
    xdp_tools_objects(); // fails with an install hint when they are missing
    ObjectSpec::read(format!("{XDP_TOOLS_DIR}/{file}")).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_object_parses_and_every_program_links() {
    for path in xdp_tools_objects() {
        let spec = ObjectSpec::read(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(!spec.programs().is_empty(), "{}", path.display());
        assert_eq!(spec.license(), "GPL", "{}", path.display());
        let programs = spec
            .link(None)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for program in &programs {
            assert!(
                !program.line_info.is_empty(),
                "{}: {}",
                path.display(),
                program.name
            );
            for reference in program.map_references() {
                assert!(reference.map_index < spec.maps().len());
            }
            assert!(program.core_diagnostics.is_empty());
        }
    }
}

#[test]
fn the_dispatcher_links_its_freplace_slots() {
    let mut spec = spec("xdp-dispatcher.o");
    let names: Vec<_> = spec.programs().iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["xdp_dispatcher", "xdp_pass"]);
    let dispatcher = spec.link_program("xdp_dispatcher", None).unwrap();
    assert_eq!(dispatcher.kind, ProgramKind::Xdp);
    let functions: Vec<_> = dispatcher
        .functions
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    let slots: Vec<String> = (0..10).map(|i| format!("prog{i}")).collect();
    for slot in &slots {
        assert!(functions.contains(&slot.as_str()), "{functions:?}");
    }
    let calls = dispatcher
        .instructions
        .iter()
        .filter(|i| i.op == Op::CallLocal)
        .count();
    assert!(calls >= 10, "{calls} local calls");
    // Its configuration is a static `.rodata` variable, set before loading.
    let conf = spec.global("conf").unwrap().clone();
    assert_eq!((conf.section.as_str(), conf.size), (".rodata", 124));
    assert!(conf.is_static);
    let mut config = vec![0u8; 124];
    config[2] = 3; // num_progs_enabled
    spec.set_global("conf", &config).unwrap();
    assert_eq!(
        spec.map(".rodata").unwrap().initial_data.as_deref(),
        Some(&config[..])
    );
}

#[test]
fn filter_maps_come_from_btf() {
    let spec = spec("xdpfilt_alw_tcp.o");
    let maps: Vec<_> = spec
        .maps()
        .iter()
        .map(|m| {
            (
                m.name.as_str(),
                m.type_name(),
                m.key_size,
                m.value_size,
                m.max_entries,
            )
        })
        .collect();
    assert_eq!(
        maps,
        [
            ("xdp_stats_map", Some("PERCPU_ARRAY"), 4, 16, 5),
            ("filter_ports", Some("PERCPU_ARRAY"), 4, 8, 65536),
        ]
    );
    assert!(spec
        .maps()
        .iter()
        .all(|m| m.origin == MapOrigin::Btf && m.pinning == 1));
    let program = spec.link_program("xdpfilt_alw_tcp", None).unwrap();
    let used: Vec<_> = program.map_references().map(|r| r.map_index).collect();
    assert_eq!(used, [1, 1, 0]);
}

#[test]
fn xdpdump_tracing_programs() {
    let spec = spec("xdpdump_bpf.o");
    let kinds: Vec<_> = spec
        .programs()
        .iter()
        .map(|p| (p.name.as_str(), p.kind.clone(), p.attach_target.as_deref()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("trace_on_entry", ProgramKind::Tracing, Some("func")),
            ("trace_on_exit", ProgramKind::Tracing, Some("func")),
        ]
    );
    let xdp = ObjectSpec::read(format!("{XDP_TOOLS_DIR}/xdpdump_xdp.o")).unwrap();
    assert_eq!(
        xdp.map("xdpdump_perf_map").unwrap().type_name(),
        Some("PERF_EVENT_ARRAY")
    );
    assert!(xdp.map(".data").is_some());
}
