//! Running a packet program (XDP, TC) over many packets, and verdict tallies (verdict names
//! are the program type's: [`crate::program_type::ProgramTypeSpec::verdict_name`]).

use crate::packet::Redirect;
use crate::{Error, Program, TestRun, TestRunResult};
use std::collections::BTreeMap;

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
                Redirect::Neigh {
                    ifindex,
                    nexthop: Some(nexthop),
                } => format!("ifindex {ifindex} neighbour {nexthop}"),
                Redirect::Neigh { ifindex, .. } => format!("ifindex {ifindex} neighbour"),
                Redirect::Peer { ifindex } => format!("peer of ifindex {ifindex}"),
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
    let mut runner = program.runner();
    for (index, packet) in packets.into_iter().enumerate() {
        let result = runner.run(&TestRun {
            data_in: packet.as_ref(),
            cpu,
            ..Default::default()
        })?;
        each(index, &result)?;
    }
    Ok(())
}
