//! Every real-world BPF object the project reaches without a network (`ebee_testdata::
//! real_world`: Debian's packages, and the Linux 6.12 tree's selftests and samples compiled
//! here), with what `ebee prog list` does with it and what Linux does (loaded by libbpf).
//! The table, `real_world/objects.txt`, is checked in: this test fails when the recomputed
//! table differs (regenerate with `EBEE_BLESS=1 cargo test -p ebee-testdata --test
//! real_world_objects`), when ebee panics on an object, and, blessed or not, when an object
//! Linux loads is not listed by ebee unless its line gives the reason (`| why: …`, written by
//! hand and kept by blessing).
//!
//! Without `bpf()` (not root) the kernel part is skipped: Linux's results are taken from the
//! checked-in table and only ebee's are recomputed.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use ebee_testdata::kernel_selftests::check_table;
use ebee_testdata::real_world::{
    ebee_listing, parse_row, prepare, table_row, EbeeResult, LinuxResult, Row,
};

const TABLE: &str = "real_world/objects.txt";

const HEADER: &str = "\
# Real-world BPF objects (see README.md in this directory):
# name | ebee: what `ebee prog list` does | linux: what libbpf 1.5 and the running kernel do
# [| why: why ebee does not list an object Linux loads, written by hand].
# Regenerate: EBEE_BLESS=1 cargo test -p ebee-testdata --test real_world_objects
";

/// Linux's field of a checked-in row, as a result.
fn linux_from_row(row: &Row) -> LinuxResult {
    if let Some(count) = row.linux.strip_prefix("loads ") {
        LinuxResult::Loads(count.to_owned())
    } else if let Some(reason) = row.linux.strip_prefix("refuses: ") {
        LinuxResult::Refuses(reason.to_owned())
    } else {
        LinuxResult::NotCompiled
    }
}

#[test]
fn real_world_objects_match_the_checked_in_table() {
    let started = Instant::now();
    let corpus = prepare().unwrap_or_else(|e| panic!("preparing the real-world corpus: {e}"));
    let prepared = started.elapsed();

    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(TABLE);
    let checked_in: BTreeMap<String, Row> = std::fs::read_to_string(&path)
        .unwrap_or_default()
        .lines()
        .filter_map(parse_row)
        .map(|row| (row.name.clone(), row))
        .collect();

    let ebee: Vec<Option<EbeeResult>> = corpus
        .entries
        .iter()
        .map(|entry| entry.path().map(ebee_listing))
        .collect();
    let listed = started.elapsed();

    let kernel = ebee_kernel::availability();
    let linux: Vec<LinuxResult> = match &kernel {
        Ok(()) => corpus
            .linux_results()
            .unwrap_or_else(|e| panic!("building the libbpf loader: {e}")),
        Err(reason) => {
            eprintln!(
                "the kernel oracle is unavailable ({reason}): Linux's results are the checked-in \
                 table's, only ebee's are recomputed"
            );
            assert!(
                std::env::var_os("EBEE_BLESS").is_none(),
                "EBEE_BLESS needs the kernel oracle"
            );
            corpus
                .entries
                .iter()
                .map(|e| {
                    checked_in
                        .get(&e.name)
                        .map_or(LinuxResult::NotCompiled, linux_from_row)
                })
                .collect()
        }
    };

    let mut rows = Vec::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut panics = Vec::new();
    let mut unexplained = Vec::new();
    for ((entry, ebee), linux) in corpus.entries.iter().zip(&ebee).zip(&linux) {
        let origin = entry.name.rsplit_once('/').map_or("", |(dir, _)| dir);
        let ebee_word = match ebee {
            None => "not compiled",
            Some(EbeeResult::Lists(_)) => "listed by ebee",
            Some(EbeeResult::Fails { .. }) => "not listed by ebee",
            Some(EbeeResult::Panicked(_)) => "ebee panics",
        };
        *counts.entry(format!("{origin}: {ebee_word}")).or_default() += 1;
        if matches!(linux, LinuxResult::Loads(_)) {
            *counts.entry(format!("{origin}: Linux loads")).or_default() += 1;
        }
        if let Some(EbeeResult::Panicked(message)) = ebee {
            panics.push(format!("{}: {message}", entry.name));
        }
        // A reason is kept only while the object is still a gap.
        let why = checked_in.get(&entry.name).and_then(|r| r.why.as_deref());
        let mut row = table_row(entry, ebee.as_ref(), linux, None);
        let parsed = parse_row(&row).expect("a table row parses");
        if parsed.is_gap() {
            row = table_row(entry, ebee.as_ref(), linux, why);
            if why.is_none() {
                unexplained.push(row.clone());
            }
        }
        rows.push(row);
    }
    let table = format!("{HEADER}{}\n", rows.join("\n"));

    eprintln!(
        "{} entries (prepared in {prepared:.1?}, listed by ebee by {listed:.1?}, all in {:.1?})",
        corpus.entries.len(),
        started.elapsed()
    );
    for (what, n) in &counts {
        eprintln!("{n:>5} {what}");
    }

    let compared = check_table(&path, &table);
    assert!(
        panics.is_empty(),
        "ebee panicked listing these objects (a bug: listing must never panic):\n{}",
        panics.join("\n")
    );
    assert!(
        unexplained.is_empty(),
        "Linux loads these objects but ebee does not list them, and {TABLE} gives no reason: \
         fix ebee, or append `| why: <reason>` to the line:\n{}",
        unexplained.join("\n")
    );
    if let Err(diff) = compared {
        panic!(
            "the real-world objects' results differ from {TABLE} (- checked in, + now):\n{diff}\n\
             If the change is intended, regenerate it with \
             `EBEE_BLESS=1 cargo test -p ebee-testdata --test real_world_objects` and commit it."
        );
    }
}
