//! Every case of the verifier corpus loaded into the running kernel with raw `bpf(2)`: the
//! kernel's verdict, and for rejections its log, must be what the corpus file says. Cases for
//! a loader without `CAP_PERFMON`/`CAP_SYS_ADMIN` load on a thread that dropped them.

use std::collections::BTreeMap;

use ebee_kernel::caps::{without_capabilities, CAP_PERFMON, CAP_SYS_ADMIN};
use ebee_kernel::{Error, RawMapFd, RawMapSpec, RawProgram};
use ebee_testdata::verifier_corpus::{load_all, spin_lock_value_btf, Case, Privilege, Verdict};

/// What the kernel did with one case: `Ok` when it loaded, else the log and error text.
fn kernel_load(case: &Case) -> Result<Result<(), String>, String> {
    let mut maps = Vec::new();
    for map in &case.maps {
        let btf = if map.spin_lock {
            Some(spin_lock_value_btf(map.value_size).ok_or_else(|| {
                format!(
                    "{}: map `{}`: a spin-lock value must be a multiple of 4 of at least 8 bytes",
                    case.location(),
                    map.name
                )
            })?)
        } else {
            None
        };
        let spec = RawMapSpec {
            map_type: map.map_type as u32,
            key_size: map.key_size,
            value_size: map.value_size,
            max_entries: map.max_entries,
            map_flags: map.map_flags,
            btf: btf
                .as_ref()
                .map(|(data, key, value)| (data.as_slice(), *key, *value)),
            ..RawMapSpec::default()
        };
        maps.push(
            RawMapFd::create(&map.name, &spec).map_err(|e| format!("{}: {e}", case.location()))?,
        );
    }
    let mut slots = case.slots().map_err(|e| e.to_string())?;
    for slot in &mut slots {
        let map_ref = slot.opcode == 0x18
            && (slot.src == ebee_abi::pseudo::BPF_PSEUDO_MAP_FD
                || slot.src == ebee_abi::pseudo::BPF_PSEUDO_MAP_VALUE);
        if map_ref {
            // The parser checked that every reference names a defined map.
            slot.imm = maps[slot.imm as usize].fd_number() as i32;
        }
    }
    let insns: Vec<u64> = slots
        .iter()
        .map(|s| u64::from_le_bytes(s.to_bytes()))
        .collect();
    let load = || {
        RawProgram::load(
            &case.name,
            case.prog_type,
            case.attach_type,
            case.prog_flags,
            &insns,
        )
    };
    let loaded = match case.privilege {
        Privilege::Privileged => load(),
        Privilege::NoPerfmon => {
            without_capabilities(&[CAP_SYS_ADMIN, CAP_PERFMON], load).map_err(|e| e.to_string())?
        }
    };
    Ok(match loaded {
        Ok(_) => Ok(()),
        Err(Error::ProgramLoad {
            message,
            verifier_log,
            ..
        }) => Err(format!("{verifier_log}\n(load error: {message})")),
        Err(other) => Err(other.to_string()),
    })
}

#[test]
fn kernel_verdicts_match_the_corpus() {
    if let Err(reason) = ebee_kernel::availability() {
        eprintln!("skipping: the kernel oracle is unavailable: {reason}");
        return;
    }
    let cases = load_all().unwrap_or_else(|e| panic!("{e}"));
    let mut wrong = Vec::new();
    let mut per_category: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for case in &cases {
        let outcome = kernel_load(case).unwrap_or_else(|e| panic!("{e}"));
        let counts = per_category.entry(&case.category).or_default();
        match (&case.expect, &outcome) {
            (Verdict::Accept, Ok(())) => counts.0 += 1,
            (Verdict::Reject { message }, Err(log)) if log.contains(message.as_str()) => {
                counts.1 += 1
            }
            (Verdict::Accept, Err(log)) => wrong.push(format!(
                "{} `{}`: expected accept, kernel rejected:\n{log}",
                case.location(),
                case.name
            )),
            (Verdict::Reject { message }, Ok(())) => wrong.push(format!(
                "{} `{}`: expected reject ({message}), kernel accepted",
                case.location(),
                case.name
            )),
            (Verdict::Reject { message }, Err(log)) => wrong.push(format!(
                "{} `{}`: kernel rejected, but its log lacks `{message}`:\n{log}",
                case.location(),
                case.name
            )),
        }
    }
    for (category, (accepts, rejects)) in &per_category {
        eprintln!("{category:<24} {accepts:>3} accepted {rejects:>3} rejected, as the corpus says");
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases disagree with the kernel:\n\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n\n")
    );
}
