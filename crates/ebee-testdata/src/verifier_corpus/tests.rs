use std::path::Path;

use super::*;

fn error(text: &str) -> CorpusError {
    parse(Path::new("dir/cat.txt"), text).expect_err("must not parse")
}

const HEAD: &str = "category: a test category\n";

#[test]
fn reads_every_key() {
    let text = format!(
        "{HEAD}# comment\n== one\ntype: sched_cls\nattach: cgroup_inet_ingress\nflags: strict_alignment\n\
         mode: unpriv\nmap: m hash key=4 value=0x10 entries=2 flags=1\nmap: l array key=4 value=8 entries=1 spin_lock\n\
         expect: reject invalid access\n--\nlddw_map_fd %r1, 1\nmov %r0, 0\nexit\n== two\ntype: xdp\nexpect: accept\n-- raw\n0xb7\n0x95\n"
    );
    let cases = parse(Path::new("dir/cat.txt"), &text).unwrap();
    assert_eq!(cases.len(), 2);
    let one = &cases[0];
    assert_eq!(
        (one.name.as_str(), one.category.as_str(), one.line),
        ("one", "cat", 3)
    );
    assert_eq!(one.category_title, "a test category");
    assert_eq!(
        (one.prog_type, one.attach_type, one.prog_flags),
        (3, 0, BPF_F_STRICT_ALIGNMENT)
    );
    assert_eq!(one.privilege, Privilege::NoPerfmon);
    assert_eq!(one.maps[0].map_type, MapType::Hash);
    assert_eq!(
        (
            one.maps[0].value_size,
            one.maps[0].map_flags,
            one.maps[0].spin_lock
        ),
        (16, 1, false)
    );
    assert!(one.maps[1].spin_lock);
    assert_eq!(
        one.expect,
        Verdict::Reject {
            message: "invalid access".into()
        }
    );
    assert_eq!(one.slots().unwrap().len(), 4);
    assert_eq!(cases[1].source, Source::Raw(vec![0xb7, 0x95]));
    assert_eq!(cases[1].expect, Verdict::Accept);
}

#[test]
fn errors_name_file_and_line() {
    let e = error(&format!("{HEAD}== a\ntype: nope\n"));
    assert_eq!((e.file.as_path(), e.line), (Path::new("dir/cat.txt"), 3));
    assert!(e.message.contains("unknown program type `nope`"), "{e}");
    assert!(e.to_string().starts_with("dir/cat.txt:3: case `a`"), "{e}");
    let e = error(&format!(
        "{HEAD}== a\ntype: xdp\nexpect: accept\n--\nmov %r0, 0\nfoo %r1\nexit\n"
    ));
    assert_eq!(e.line, 7, "{e}");
    let e = error("== a\n");
    assert!(e.message.contains("category"), "{e}");
    let e = error(&format!("{HEAD}== a\ntype: xdp\n--\nexit\n"));
    assert!(e.message.contains("no `expect:`"), "{e}");
    let e = error(&format!(
        "{HEAD}== a\ntype: xdp\nexpect: accept\n--\nlddw_map_fd %r1, 0\nexit\n"
    ));
    assert!(e.message.contains("references map 0"), "{e}");
    let e = error(&format!(
        "{HEAD}== a\ntype: xdp\nexpect: accept\nmap: m bogus key=4\n--\nexit\n"
    ));
    assert_eq!(e.line, 5, "{e}");
    let e = error(&format!("{HEAD}== A-b\n"));
    assert!(e.message.contains("lower-case"), "{e}");
    let e = error(&format!("{HEAD}== a\ntype: xdp\nexpect: maybe\n--\nexit\n"));
    assert!(e.message.contains("`accept` or `reject MESSAGE`"), "{e}");
}

#[test]
fn the_checked_in_corpus_parses_and_assembles() {
    let cases = load_all().unwrap_or_else(|e| panic!("{e}"));
    for case in &cases {
        case.slots().unwrap_or_else(|e| panic!("{e}"));
    }
    let categories: std::collections::BTreeSet<&str> =
        cases.iter().map(|c| c.category.as_str()).collect();
    assert!(categories.len() >= 15, "{categories:?}");
    assert!(cases.len() >= 200, "{} cases", cases.len());
    let accepts = cases.iter().filter(|c| c.expect == Verdict::Accept).count();
    // Accepts near the boundaries matter as much as rejects: keep them at least 45% of the
    // corpus (184 of 390 today).
    assert!(
        accepts * 100 >= cases.len() * 45,
        "{accepts} accepts of {}",
        cases.len()
    );
}
