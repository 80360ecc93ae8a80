//! Debian's xdp-tools objects in ebee: every object loads, and the xdp-filter programs,
//! configured through their maps as `xdp-filter` configures them, give the kernel's verdict on
//! every packet of a generated mixed-traffic capture, in every scenario.

use ebee::{Engine, TestRun};
use ebee_testdata::{mixed_traffic, scenarios_with_cpus, Scenario, XDP_TOOLS_BPF_DIR};

const PACKETS: usize = 300;
const SEED: u64 = 0x00eb_ee00;

fn ebee_verdicts(engine: &Engine, scenario: &Scenario, packets: &[Vec<u8>]) -> Vec<u32> {
    let object = engine
        .load_file(&scenario.object)
        .expect("object loads in ebee");
    for update in &scenario.updates {
        let map = object
            .map(&update.map)
            .unwrap_or_else(|| panic!("map {}", update.map));
        map.update(&update.key, &update.value, 0)
            .expect("map update");
    }
    let program = object.program(&scenario.program).expect("program");
    packets
        .iter()
        .map(|packet| {
            program
                .test_run(&TestRun {
                    data_in: packet,
                    ..Default::default()
                })
                .unwrap_or_else(|e| panic!("{}: {e}", scenario.name))
                .retval
        })
        .collect()
}

#[test]
fn every_xdp_tools_object_loads() {
    let dir = std::path::Path::new(XDP_TOOLS_BPF_DIR);
    let mut loaded = 0;
    for entry in std::fs::read_dir(dir).expect("xdp-tools installed (apt-get install xdp-tools)") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "o") {
            let object = Engine::new().load_file(&path);
            if path.ends_with("xdpdump_bpf.o") {
                // fentry/fexit programs that call bpf_xdp_output, which ebee does not provide:
                // refused at load, naming the helper, its id and the source line.
                let err = object.err().expect("refused").to_string();
                assert!(
                    err.contains("xdp_output (id 121)") && err.contains("xdpdump_bpf.c"),
                    "{err}"
                );
                continue;
            }
            if path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("xsk_def_xdp_prog"))
            {
                // AF_XDP socket maps (xskmap) are not provided: a clear refusal, not a crash.
                let err = object.err().expect("refused").to_string();
                assert!(err.contains("xsks_map") && err.contains("xskmap"), "{err}");
                continue;
            }
            match object {
                Ok(object) => {
                    assert!(!object.programs().is_empty(), "{}", path.display());
                    loaded += 1;
                }
                Err(e) => panic!("{}: {e}", path.display()),
            }
        }
    }
    assert!(loaded >= 12, "only {loaded} objects");
}

#[test]
fn xdp_filter_verdicts_equal_the_kernel() {
    if let Some(reason) = ebee_testdata::kernel_skip_reason() {
        eprintln!("skipping: the kernel is not available as oracle: {reason}");
        return;
    }
    let ncpus = ebee_kernel::num_possible_cpus().expect("cpus");
    let engine = Engine::new().with_cpus(ncpus);
    let packets = mixed_traffic(SEED, PACKETS);
    let mut mismatches = Vec::new();
    for scenario in scenarios_with_cpus(ncpus) {
        let kernel = ebee_testdata::kernel_verdicts(&scenario, &packets).expect("kernel run");
        let ours = ebee_verdicts(&engine, &scenario, &packets);
        for (i, (k, e)) in kernel.iter().zip(&ours).enumerate() {
            if k != e {
                mismatches.push(format!(
                    "{}: packet {i}: kernel {k}, ebee {e}",
                    scenario.name
                ));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
