//! Running a [`Scenario`] in the Linux kernel (the oracle) with `ebee-kernel`.

use std::fmt;

use ebee_abi::flags::BPF_ANY;
use ebee_abi::xdp_action::XDP_REDIRECT;
use ebee_kernel::{KernelObject, LoadOptions, TestRun};

use crate::filter::{filter_value_hits, stats_totals, MAP_STATS};
use crate::scenarios::Scenario;

/// Number of entries of `xdp_stats_map` (`XDP_ABORTED` ..= `XDP_REDIRECT`).
pub const STATS_ENTRIES: usize = XDP_REDIRECT as usize + 1;

/// Why a kernel run gave no verdicts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KernelError {
    /// `bpf()` cannot load and test-run programs here (no root/`CAP_BPF`, a
    /// sandbox without the syscall, ...): tests should skip with this reason.
    Unavailable(String),
    /// Anything else: a missing object file, a load or verifier failure, a map
    /// update or test run the kernel refused.
    Failed(String),
}

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KernelError::Unavailable(r) => write!(f, "skipped: kernel oracle unavailable: {r}"),
            KernelError::Failed(r) => write!(f, "{r}"),
        }
    }
}

impl std::error::Error for KernelError {}

/// The hits a rule entry counted in the kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleHits {
    /// The map name.
    pub map: String,
    /// The key bytes.
    pub key: Vec<u8>,
    /// The rule flags found in each CPU's slot after the run (hit counters removed).
    pub flags: Vec<u64>,
    /// Hits summed over all CPUs.
    pub hits: u64,
}

/// Everything one kernel run of a scenario produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelRun {
    /// The program's return value for each packet, in order.
    pub verdicts: Vec<u32>,
    /// `xdp_stats_map` after the run: `(packets, bytes)` summed over CPUs, indexed
    /// by XDP action.
    pub stats: [(u64, u64); STATS_ENTRIES],
    /// Each [`Scenario::updates`] entry read back after the run.
    pub hits: Vec<RuleHits>,
}

/// `Some(reason)` when the kernel cannot be used as an oracle here (see
/// [`ebee_kernel::availability`]); tests should then skip with the reason.
///
/// ```
/// if let Some(reason) = ebee_testdata::kernel_skip_reason() {
///     eprintln!("skipping: {reason}");
/// }
/// ```
pub fn kernel_skip_reason() -> Option<String> {
    ebee_kernel::availability().err()
}

fn failed(what: &str, scenario: &Scenario, e: impl fmt::Display) -> KernelError {
    KernelError::Failed(format!("{}: {what}: {e}", scenario.name))
}

/// Loads `scenario.object` into the kernel (fresh maps), writes
/// `scenario.updates`, runs every packet once through `scenario.program` with
/// `BPF_PROG_TEST_RUN`, and reads back the stats map and the rule entries.
///
/// The updates must have been made for [`ebee_kernel::num_possible_cpus`] CPUs
/// (as [`crate::scenarios`] does).
///
/// # Errors
///
/// [`KernelError::Unavailable`] when `bpf()` is unusable here, otherwise
/// [`KernelError::Failed`] (e.g. the object is missing: `apt-get install xdp-tools`;
/// a packet shorter than 14 bytes, which `BPF_PROG_TEST_RUN` rejects).
///
/// # Example
///
/// ```no_run
/// let packets = ebee_testdata::mixed_traffic(1, 300);
/// let scenario = &ebee_testdata::scenarios()[0];
/// let run = ebee_testdata::run_kernel(scenario, &packets)?;
/// println!("PASS {:?}", run.stats[2]);
/// # Ok::<(), ebee_testdata::KernelError>(())
/// ```
pub fn run_kernel(scenario: &Scenario, packets: &[Vec<u8>]) -> Result<KernelRun, KernelError> {
    if let Some(reason) = kernel_skip_reason() {
        return Err(KernelError::Unavailable(reason));
    }
    let elf = std::fs::read(&scenario.object).map_err(|e| {
        let hint = "(Debian: apt-get install xdp-tools)";
        failed(
            &format!("reading {} {hint}", scenario.object.display()),
            scenario,
            e,
        )
    })?;
    let obj = KernelObject::load(&elf, &LoadOptions::default())
        .map_err(|e| failed("loading the object", scenario, e))?;
    for u in &scenario.updates {
        obj.map_update(&u.map, &u.key, &u.value, BPF_ANY)
            .map_err(|e| failed(&format!("updating {}", u.map), scenario, e))?;
    }
    let mut verdicts = Vec::with_capacity(packets.len());
    for (i, packet) in packets.iter().enumerate() {
        let run = TestRun {
            data_in: packet,
            ..TestRun::default()
        };
        let r = obj
            .test_run(&scenario.program, &run)
            .map_err(|e| failed(&format!("test run of packet {i}"), scenario, e))?;
        verdicts.push(r.retval);
    }
    let mut stats = [(0, 0); STATS_ENTRIES];
    for (action, slot) in stats.iter_mut().enumerate() {
        let key = (action as u32).to_ne_bytes();
        let value = obj
            .map_lookup(MAP_STATS, &key)
            .map_err(|e| failed("reading xdp_stats_map", scenario, e))?;
        *slot = value.as_deref().map(stats_totals).unwrap_or((0, 0));
    }
    let mut hits = Vec::with_capacity(scenario.updates.len());
    for u in &scenario.updates {
        let value = obj
            .map_lookup(&u.map, &u.key)
            .map_err(|e| failed(&format!("reading {}", u.map), scenario, e))?
            .unwrap_or_default();
        let (flags, count) = filter_value_hits(&value);
        hits.push(RuleHits {
            map: u.map.clone(),
            key: u.key.clone(),
            flags,
            hits: count,
        });
    }
    Ok(KernelRun {
        verdicts,
        stats,
        hits,
    })
}

/// The kernel's verdict (XDP action) for each packet of `packets` under `scenario`,
/// each packet run once in order on one freshly loaded object: the reference ebee's
/// verdicts are compared with, packet by packet.
///
/// # Errors
///
/// A message when there are no verdicts. When the kernel cannot be used here the
/// message starts with `"skipped: "` (call [`kernel_skip_reason`] first to skip
/// cleanly); anything else is a real failure. See [`run_kernel`].
///
/// # Example
///
/// ```no_run
/// let packets = ebee_testdata::mixed_traffic(42, 300);
/// for s in ebee_testdata::scenarios() {
///     match ebee_testdata::kernel_verdicts(&s, &packets) {
///         Ok(v) => assert_eq!(v.len(), packets.len()),
///         Err(e) if e.starts_with("skipped: ") => eprintln!("{e}"),
///         Err(e) => panic!("{e}"),
///     }
/// }
/// ```
pub fn kernel_verdicts(scenario: &Scenario, packets: &[Vec<u8>]) -> Result<Vec<u32>, String> {
    run_kernel(scenario, packets)
        .map(|r| r.verdicts)
        .map_err(|e| e.to_string())
}
