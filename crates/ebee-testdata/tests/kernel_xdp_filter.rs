//! Runs every xdp-filter scenario in the kernel over 300 mixed frames and checks
//! that the rules matter (both PASS and DROP occur) and that the program's own
//! counters agree with the verdicts: `xdp_stats_map` per action, and the hit
//! counters in the rule entries. Skips, saying why, where bpf() is unavailable.

use ebee_testdata::{
    kernel_skip_reason, kernel_verdicts, mixed_traffic, run_kernel, scenarios, Policy, Scenario,
    MAC_POOL, STATS_ENTRIES, XDP_ABORTED, XDP_DROP, XDP_PASS,
};

const SEED: u64 = 0x00eb_ee00;
const PACKETS: usize = 300;

fn check(scenario: &Scenario, packets: &[Vec<u8>]) -> String {
    let name = &scenario.name;
    let run = run_kernel(scenario, packets).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(run.verdicts.len(), packets.len(), "{name}");

    let count = |v: u32| run.verdicts.iter().filter(|&&x| x == v).count();
    let (pass, drop, aborted) = (count(XDP_PASS), count(XDP_DROP), count(XDP_ABORTED));
    assert_eq!(
        pass + drop + aborted,
        packets.len(),
        "{name}: unexpected actions"
    );
    assert!(
        pass > 0 && drop > 0,
        "{name}: the rules never matter (PASS {pass}, DROP {drop})"
    );

    // xdp_stats_map[action] = {packets, bytes}, summed over CPUs.
    for action in 0..STATS_ENTRIES {
        let (n, bytes) = packets
            .iter()
            .zip(&run.verdicts)
            .filter(|(_, &v)| v as usize == action)
            .fold((0u64, 0u64), |(n, b), (p, _)| (n + 1, b + p.len() as u64));
        assert_eq!(
            run.stats[action],
            (n, bytes),
            "{name}: xdp_stats_map[{action}]"
        );
    }

    // Only rule hits give the hit verdict, and every hit is counted once.
    let hits: u64 = run.hits.iter().map(|h| h.hits).sum();
    let expected = count(scenario.policy().hit_verdict()) as u64;
    assert_eq!(hits, expected, "{name}: hit counters vs verdicts");
    for (h, u) in run.hits.iter().zip(&scenario.updates) {
        let written = ebee_testdata::filter_value_hits(&u.value).0;
        assert_eq!(h.flags, written, "{name}: rule flags changed in {}", h.map);
    }

    // The exported function gives the same verdicts on a fresh load.
    let again = kernel_verdicts(scenario, packets).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again, run.verdicts, "{name}: verdicts not reproducible");

    format!(
        "{name:36} {:18} PASS {pass:3}  DROP {drop:3}  ABORTED {aborted:3}  hits {hits}",
        scenario.program
    )
}

#[test]
fn every_scenario_passes_and_drops_and_counts_add_up() {
    if let Some(reason) = kernel_skip_reason() {
        eprintln!("skipping: bpf() is unavailable here: {reason}");
        return;
    }
    let packets = mixed_traffic(SEED, PACKETS);
    let all = scenarios();
    assert!(all.len() >= 15);
    for policy in [Policy::Allow, Policy::Deny] {
        assert!(all.iter().any(|s| s.policy() == policy));
    }
    for scenario in &all {
        println!("{}", check(scenario, &packets));
    }
}

#[test]
fn allow_policy_without_rules_passes_well_formed_frames_and_deny_drops_them() {
    if let Some(reason) = kernel_skip_reason() {
        eprintln!("skipping: bpf() is unavailable here: {reason}");
        return;
    }
    let packets = mixed_traffic(SEED, PACKETS);
    for scenario in scenarios() {
        let empty = Scenario {
            rules: Vec::new(),
            updates: Vec::new(),
            ..scenario
        };
        let verdicts = kernel_verdicts(&empty, &packets).unwrap_or_else(|e| panic!("{e}"));
        let miss = empty.policy().miss_verdict();
        assert!(
            verdicts.iter().all(|&v| v == miss || v == XDP_ABORTED),
            "{}: a verdict other than {miss} or ABORTED without rules",
            empty.program
        );
    }
}

#[test]
fn source_mac_rule_decides_exactly_the_frames_from_that_mac() {
    if let Some(reason) = kernel_skip_reason() {
        eprintln!("skipping: bpf() is unavailable here: {reason}");
        return;
    }
    // xdpfilt_alw_eth checks only MAC addresses, before parsing anything else, so
    // the verdict is a function of the source MAC alone.
    let packets = mixed_traffic(SEED, PACKETS);
    let scenario = scenarios()
        .into_iter()
        .find(|s| s.name == "alw_eth_src")
        .expect("scenario alw_eth_src");
    let verdicts = kernel_verdicts(&scenario, &packets).unwrap_or_else(|e| panic!("{e}"));
    for (p, v) in packets.iter().zip(verdicts) {
        let expected = if p[6..12] == MAC_POOL[0] {
            XDP_DROP
        } else {
            XDP_PASS
        };
        assert_eq!(v, expected, "frame {p:02x?}");
    }
}

#[test]
fn kernel_verdicts_reports_a_missing_object() {
    if kernel_skip_reason().is_some() {
        return;
    }
    let mut scenario = scenarios().remove(0);
    scenario.object = "/nonexistent/xdpfilt_alw_all.o".into();
    let err = kernel_verdicts(&scenario, &mixed_traffic(1, 3)).unwrap_err();
    assert!(err.contains("/nonexistent/xdpfilt_alw_all.o"), "{err}");
    assert!(!err.starts_with("skipped: "), "{err}");
}
