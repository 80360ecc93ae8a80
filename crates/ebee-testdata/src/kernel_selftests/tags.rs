//! The test annotations of `progs/bpf_misc.h` (`__success`, `__msg("…")`, …): BTF decl tags
//! `comment:test_*` on the program's `FUNC`, read as `test_loader.c`'s `parse_test_spec`
//! reads them.

use ebee_abi::flags::{BPF_F_ANY_ALIGNMENT, BPF_F_SLEEPABLE, BPF_F_STRICT_ALIGNMENT};
use ebee_object::{Btf, BtfKind};

/// `BPF_F_TEST_RND_HI32`: the verifier randomizes the upper halves of 32-bit results.
pub const BPF_F_TEST_RND_HI32: u32 = 1 << 2;
/// `BPF_F_TEST_STATE_FREQ`: the verifier checkpoints states at every jump.
pub const BPF_F_TEST_STATE_FREQ: u32 = 1 << 3;
/// `BPF_F_XDP_HAS_FRAGS`.
pub const BPF_F_XDP_HAS_FRAGS: u32 = 1 << 5;
/// `BPF_F_TEST_REG_INVARIANTS`: register bound violations fail verification (Linux 6.7).
pub const BPF_F_TEST_REG_INVARIANTS: u32 = 1 << 7;
/// The flags `test_loader.c` starts every program with (`testing_prog_flags()`, on a
/// kernel that has both).
pub const TESTING_PROG_FLAGS: u32 = BPF_F_TEST_RND_HI32 | BPF_F_TEST_REG_INVARIANTS;

/// `POINTER_VALUE` of `bpf_misc.h`: a `__retval` that accepts any return value.
pub const POINTER_VALUE: i64 = 0xcafe4a11;
/// `TEST_DATA_LEN` of `bpf_misc.h`.
pub const TEST_DATA_LEN: i64 = 64;

/// What the annotations expect of one load.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expect {
    /// `__success` (or nothing): the program loads; `__failure`: the verifier refuses it.
    pub success: bool,
    /// `__msg`: texts the verifier log contains, in this order; `{{…}}` parts are POSIX
    /// extended regular expressions.
    pub messages: Vec<String>,
    /// `__retval`: what `BPF_PROG_TEST_RUN` returns ([`POINTER_VALUE`]: anything).
    pub retval: Option<i64>,
}

/// Everything the annotations of one program say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expectations {
    /// The privileged run, when the program has one.
    pub privileged: Option<Expect>,
    /// The unprivileged run, when the program has unprivileged annotations; what these do
    /// not say is taken from the privileged ones, as `test_loader.c` does.
    pub unprivileged: Option<Expect>,
    /// `BPF_PROG_LOAD` flags: [`TESTING_PROG_FLAGS`] with the `__flag(…)`s set or cleared
    /// (`__flag(!X)`); the section's own flags (`.s` sleepable, `.frags`) come on top.
    pub prog_flags: u32,
    /// `__log_level(n)` (0 when not given).
    pub log_level: u32,
    /// `__description("…")`: the test's name in the selftests' output.
    pub description: Option<String>,
    /// `__auxiliary`/`__auxiliary_unpriv`: not a test, loaded alongside others.
    pub auxiliary: bool,
    /// `__arch_*`: the architectures the test is for (`X86_64`, `ARM64`, `RISCV64`); empty
    /// for all.
    pub arch: Vec<String>,
    /// `__btf_path("….bpf.o")`: the object whose BTF CO-RE relocations are resolved against.
    pub btf_path: Option<String>,
    /// Annotations that could not be read (an unknown `__flag`, a bad number), and tags
    /// this reader does not know; for the table, not fatal.
    pub problems: Vec<String>,
}

impl Expectations {
    /// Whether the test runs on x86-64 (no `__arch_*`, or `__arch_x86_64` among them).
    pub fn runs_on_x86_64(&self) -> bool {
        self.arch.is_empty() || self.arch.iter().any(|a| a == "X86_64")
    }
}

/// The `comment:test_*` decl tags on the `FUNC` named `function`, in BTF order.
pub fn decl_tags(btf: &Btf, function: &str) -> Vec<String> {
    let Some(func) = btf
        .types()
        .find(|(_, t)| t.name == function && matches!(t.kind, BtfKind::Func { .. }))
        .map(|(id, _)| id)
    else {
        return Vec::new();
    };
    btf.types()
        .filter_map(|(_, t)| match t.kind {
            BtfKind::DeclTag {
                target,
                component: -1,
            } if target == func => Some(t.name.clone()),
            _ => None,
        })
        .collect()
}

/// `<prefix><counter>=<text>` → `text` (`__msg` and friends carry a counter, since the
/// compiler drops a repeated identical tag).
fn after_counter<'a>(tag: &'a str, prefix: &str) -> Option<&'a str> {
    tag.strip_prefix(prefix)?.split_once('=').map(|(_, m)| m)
}

fn parse_int(text: &str) -> Option<i64> {
    match text.strip_prefix("0x") {
        Some(hex) => i64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

fn parse_retval(text: &str) -> Option<i64> {
    match text {
        "INT_MIN" => Some(i64::from(i32::MIN)),
        "POINTER_VALUE" => Some(POINTER_VALUE),
        "TEST_DATA_LEN" => Some(TEST_DATA_LEN),
        _ => parse_int(text),
    }
}

fn flag_value(name: &str) -> Option<u32> {
    Some(match name {
        "BPF_F_STRICT_ALIGNMENT" => BPF_F_STRICT_ALIGNMENT,
        "BPF_F_ANY_ALIGNMENT" => BPF_F_ANY_ALIGNMENT,
        "BPF_F_TEST_RND_HI32" => BPF_F_TEST_RND_HI32,
        "BPF_F_TEST_STATE_FREQ" => BPF_F_TEST_STATE_FREQ,
        "BPF_F_SLEEPABLE" => BPF_F_SLEEPABLE,
        "BPF_F_XDP_HAS_FRAGS" => BPF_F_XDP_HAS_FRAGS,
        "BPF_F_TEST_REG_INVARIANTS" => BPF_F_TEST_REG_INVARIANTS,
        other => u32::try_from(parse_int(other)?).ok()?,
    })
}

/// Reads the annotations from the tags [`decl_tags`] gives, with `test_loader.c`'s rules:
/// privileged annotations (`__success`, `__failure`, `__msg`, `__retval`, `__auxiliary`)
/// ask for a privileged run, unprivileged ones (`…_unpriv`) for an unprivileged run, no
/// annotation at all for a privileged run; the unprivileged run inherits the verdict, the
/// messages and the return value the privileged annotations give when it has none of its own.
///
/// ```
/// use ebee_testdata::kernel_selftests::parse_expectations;
/// let tags = ["comment:test_expect_failure", "comment:test_expect_msg=12=R1 !read_ok",
///             "comment:test_expect_success_unpriv"].map(String::from);
/// let e = parse_expectations(&tags);
/// let unpriv = e.unprivileged.unwrap();
/// assert!(!e.privileged.unwrap().success && unpriv.success);
/// assert_eq!(unpriv.messages, ["R1 !read_ok"]);
/// ```
pub fn parse_expectations(tags: &[String]) -> Expectations {
    let mut e = Expectations {
        prog_flags: TESTING_PROG_FLAGS,
        ..Expectations::default()
    };
    let (mut privileged, mut unprivileged) = (Expect::default(), Expect::default());
    privileged.success = true;
    let (mut want_priv, mut want_unpriv) = (false, false);
    let (mut unpriv_result, mut unpriv_retval) = (false, false);
    for tag in tags {
        let Some(body) = tag.strip_prefix("comment:") else {
            continue;
        };
        if let Some(text) = body.strip_prefix("test_description=") {
            e.description = Some(text.to_owned());
        } else if body == "test_expect_failure" || body == "test_expect_success" {
            privileged.success = body == "test_expect_success";
            want_priv = true;
        } else if body == "test_expect_failure_unpriv" || body == "test_expect_success_unpriv" {
            unprivileged.success = body == "test_expect_success_unpriv";
            want_unpriv = true;
            unpriv_result = true;
        } else if body == "test_auxiliary" {
            e.auxiliary = true;
            want_priv = true;
        } else if body == "test_auxiliary_unpriv" {
            e.auxiliary = true;
            want_unpriv = true;
        } else if let Some(msg) = after_counter(body, "test_expect_msg_unpriv=") {
            unprivileged.messages.push(msg.to_owned());
            want_unpriv = true;
        } else if let Some(msg) = after_counter(body, "test_expect_msg=") {
            privileged.messages.push(msg.to_owned());
            want_priv = true;
        } else if body.starts_with("test_expect_xlated") || body.starts_with("test_jited") {
            // Translated and JITed code are not judged here; they ask for their run as
            // `__msg` does.
            if body.contains("_unpriv=") {
                want_unpriv = true;
            } else {
                want_priv = true;
            }
        } else if let Some(value) = body.strip_prefix("test_retval_unpriv=") {
            match parse_retval(value) {
                Some(v) => unprivileged.retval = Some(v),
                None => e.problems.push(format!("bad __retval_unpriv `{value}`")),
            }
            want_unpriv = true;
            unpriv_retval = true;
        } else if let Some(value) = body.strip_prefix("test_retval=") {
            match parse_retval(value) {
                Some(v) => privileged.retval = Some(v),
                None => e.problems.push(format!("bad __retval `{value}`")),
            }
            want_priv = true;
        } else if let Some(value) = body.strip_prefix("test_log_level=") {
            match parse_int(value).and_then(|v| u32::try_from(v).ok()) {
                Some(level) => e.log_level = level,
                None => e.problems.push(format!("bad __log_level `{value}`")),
            }
        } else if let Some(value) = body.strip_prefix("test_prog_flags=") {
            let (clear, name) = match value.strip_prefix('!') {
                Some(name) => (true, name),
                None => (false, value),
            };
            match flag_value(name) {
                Some(flag) if clear => e.prog_flags &= !flag,
                Some(flag) => e.prog_flags |= flag,
                None => e.problems.push(format!("bad __flag `{value}`")),
            }
        } else if let Some(arch) = body.strip_prefix("test_arch=") {
            e.arch.push(arch.to_owned());
        } else if let Some(path) = body.strip_prefix("test_btf_path=") {
            e.btf_path = Some(path.to_owned());
        } else if body.starts_with("test_") {
            e.problems.push(format!("unknown annotation `{body}`"));
        }
    }
    if !want_priv && !want_unpriv {
        want_priv = true;
    }
    if !unpriv_result {
        unprivileged.success = privileged.success;
    }
    if !unpriv_retval {
        unprivileged.retval = privileged.retval;
    }
    if unprivileged.messages.is_empty() {
        unprivileged.messages = privileged.messages.clone();
    }
    e.privileged = want_priv.then_some(privileged);
    e.unprivileged = want_unpriv.then_some(unprivileged);
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(|t| format!("comment:{t}")).collect()
    }

    #[test]
    fn no_annotation_is_a_privileged_success() {
        let e = parse_expectations(&[]);
        assert_eq!(
            e.privileged,
            Some(Expect {
                success: true,
                ..Expect::default()
            })
        );
        assert_eq!(e.unprivileged, None);
        assert_eq!(e.prog_flags, TESTING_PROG_FLAGS);
    }

    #[test]
    fn unprivileged_only_and_inheritance() {
        let e = parse_expectations(&tags(&["test_expect_failure_unpriv"]));
        assert_eq!(e.privileged, None);
        assert!(!e.unprivileged.unwrap().success);

        let e = parse_expectations(&tags(&[
            "test_expect_failure",
            "test_expect_msg=1=first",
            "test_expect_msg=2=second",
            "test_retval_unpriv=0x10",
            "test_retval=INT_MIN",
        ]));
        let unpriv = e.unprivileged.unwrap();
        assert!(!unpriv.success);
        assert_eq!(unpriv.messages, ["first", "second"]);
        assert_eq!(unpriv.retval, Some(16));
        assert_eq!(e.privileged.unwrap().retval, Some(-(1 << 31)));
    }

    #[test]
    fn flags_level_arch_and_the_rest() {
        let e = parse_expectations(&tags(&[
            "test_prog_flags=BPF_F_ANY_ALIGNMENT",
            "test_prog_flags=!BPF_F_TEST_RND_HI32",
            "test_prog_flags=0x100",
            "test_log_level=2",
            "test_arch=ARM64",
            "test_description=a test",
            "test_auxiliary",
            "test_prog_flags=BPF_F_NONSENSE",
        ]));
        assert_eq!(
            e.prog_flags,
            BPF_F_ANY_ALIGNMENT | BPF_F_TEST_REG_INVARIANTS | 0x100
        );
        assert_eq!(e.log_level, 2);
        assert!(!e.runs_on_x86_64());
        assert_eq!(e.description.as_deref(), Some("a test"));
        assert!(e.auxiliary);
        assert_eq!(e.problems, ["bad __flag `BPF_F_NONSENSE`"]);
    }

    #[test]
    fn tags_come_from_the_function() {
        let mut btf = Btf::new();
        let proto = btf.add_type(ebee_object::BtfType::new(
            "",
            BtfKind::FuncProto {
                ret: 0,
                params: Vec::new(),
            },
        ));
        let func = btf.add_type(ebee_object::BtfType::new(
            "prog",
            BtfKind::Func { proto, linkage: 1 },
        ));
        for (name, component) in [("comment:test_expect_failure", -1), ("arg", 0)] {
            btf.add_type(ebee_object::BtfType::new(
                name,
                BtfKind::DeclTag {
                    target: func,
                    component,
                },
            ));
        }
        assert_eq!(decl_tags(&btf, "prog"), ["comment:test_expect_failure"]);
        assert!(decl_tags(&btf, "other").is_empty());
    }
}
