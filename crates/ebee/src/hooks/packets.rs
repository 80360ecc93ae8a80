//! Running a packet program (XDP, TC) over many packets: verdict names and tallies.

use crate::packet::Redirect;
use crate::{Error, Program, TestRun, TestRunResult};
use std::collections::BTreeMap;

/// The name of an XDP verdict (`XDP_PASS`, …), or the number for unknown values.
pub fn xdp_verdict_name(retval: u32) -> String {
    match retval {
        0 => "XDP_ABORTED".into(),
        1 => "XDP_DROP".into(),
        2 => "XDP_PASS".into(),
        3 => "XDP_TX".into(),
        4 => "XDP_REDIRECT".into(),
        other => format!("XDP_UNKNOWN({other})"),
    }
}

/// The name of a TC verdict (`TC_ACT_OK`, …), or the number for unknown values.
pub fn tc_verdict_name(retval: u32) -> String {
    match retval as i32 {
        -1 => "TC_ACT_UNSPEC".into(),
        0 => "TC_ACT_OK".into(),
        1 => "TC_ACT_RECLASSIFY".into(),
        2 => "TC_ACT_SHOT".into(),
        3 => "TC_ACT_PIPE".into(),
        4 => "TC_ACT_STOLEN".into(),
        5 => "TC_ACT_QUEUED".into(),
        6 => "TC_ACT_REPEAT".into(),
        7 => "TC_ACT_REDIRECT".into(),
        8 => "TC_ACT_TRAP".into(),
        other => format!("TC_ACT_UNKNOWN({other})"),
    }
}

/// Verdict counts over a run of many packets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Packets per verdict name.
    pub verdicts: BTreeMap<String, u64>,
    /// Redirected packets per target (`ifindex 3`, `map 7 key 0`).
    pub redirects: BTreeMap<String, u64>,
}

impl Tally {
    /// Counts one result.
    pub fn add(&mut self, verdict: String, redirect: Option<Redirect>) {
        *self.verdicts.entry(verdict).or_default() += 1;
        if let Some(target) = redirect {
            let name = match target {
                Redirect::Ifindex { ifindex, .. } => format!("ifindex {ifindex}"),
                Redirect::Map { map_id, key } => format!("map {map_id} key {key}"),
            };
            *self.redirects.entry(name).or_default() += 1;
        }
    }
}

/// Runs `program` once per packet on worker `cpu`; calls `each` with every result.
pub fn run_each(
    program: &Program,
    packets: impl IntoIterator<Item = impl AsRef<[u8]>>,
    cpu: usize,
    mut each: impl FnMut(usize, &TestRunResult) -> Result<(), Error>,
) -> Result<(), Error> {
    for (index, packet) in packets.into_iter().enumerate() {
        let result = program.test_run(&TestRun {
            data_in: packet.as_ref(),
            cpu,
            ..Default::default()
        })?;
        each(index, &result)?;
    }
    Ok(())
}
