//! Every row of `PROTOTYPES` re-derived from the kernel's C: with `EBEE_LINUX_SRC` naming a
//! Linux source tree (the table follows 6.12: `apt-get install linux-source-6.12`, unpack
//! `kernel/`, `net/`, `drivers/media/rc/` and `include/`), each helper's `struct
//! bpf_func_proto` is parsed and its argument kinds, return kind and `gpl_only` compared.
//! Without the variable the test says so and passes.

use ebee_spec::helper::{prototype, Arg, BtfType, DynptrKind, Ret, PROTOTYPES};
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

/// Where the protos are defined.
const DIRS: &[&str] = &["kernel", "net", "drivers/media/rc"];

/// Helpers whose row is not `bpf_<name>_proto` (the rows' comments say why).
const PICKS: &[(u32, &str)] = &[
    (4, "bpf_probe_read_compat_proto"),
    (45, "bpf_probe_read_compat_str_proto"),
    (49, "bpf_sk_setsockopt_proto"),
    (51, "bpf_xdp_redirect_map_proto"),
    (57, "bpf_sk_getsockopt_proto"),
    (69, "bpf_skb_fib_lookup_proto"),
    (73, "bpf_lwt_in_push_encap_proto"),
    (77, "rc_repeat_proto"),
    (78, "rc_keydown_proto"),
    (82, "sk_select_reuseport_proto"),
    (92, "rc_pointer_rel_proto"),
    (122, "bpf_get_netns_cookie_sock_proto"),
    (142, "bpf_sock_ops_load_hdr_opt_proto"),
    (143, "bpf_sock_ops_store_hdr_opt_proto"),
    (144, "bpf_sock_ops_reserve_hdr_opt_proto"),
    (163, "bpf_skb_check_mtu_proto"),
    (173, "bpf_get_func_ip_proto_tracing"),
    (174, "bpf_get_attach_cookie_proto_trace"),
];

type Fields = HashMap<String, String>;

fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(['/']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(body) = tail.strip_prefix("/*") {
            rest = body.find("*/").map_or("", |end| &body[end + 2..]);
        } else if tail.starts_with("//") {
            rest = tail.find('\n').map_or("", |end| &tail[end..]);
        } else {
            out.push('/');
            rest = &tail[1..];
        }
    }
    out + rest
}

/// The `.c` files under `dir` that mention `needle`, comments stripped.
fn sources(dir: &Path, needle: &str, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, needle, out);
        } else if path.extension().is_some_and(|e| e == "c") {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            if text.contains(needle) {
                out.push(strip_comments(&text));
            }
        }
    }
}

/// After each occurrence of `start` followed by a word (or nothing) and `open`: the word and
/// the text up to the next `close`.
fn blocks<'a>(text: &'a str, start: &str, open: &str, close: &str) -> Vec<(&'a str, &'a str)> {
    let mut found = Vec::new();
    for (i, _) in text.match_indices(start) {
        let after = &text[i + start.len()..];
        let (Some(o), Some(c)) = (after.find(open), after.find(close)) else {
            continue;
        };
        let name = after[..o].trim();
        if o < c && name.chars().all(|ch| ch.is_alphanumeric() || ch == '_') {
            found.push((name, &after[o + open.len()..c]));
        }
    }
    found
}

/// Every `struct bpf_func_proto NAME = { .field = value, … };`.
fn protos(files: &[String]) -> HashMap<String, Fields> {
    let mut all = HashMap::new();
    for text in files {
        for (name, body) in blocks(text, "struct bpf_func_proto ", "= {", "};") {
            let fields = body.split(',').filter_map(|f| {
                let (k, v) = f.trim().strip_prefix('.')?.split_once('=')?;
                Some((
                    k.trim().to_string(),
                    v.split_whitespace().collect::<String>(),
                ))
            });
            all.insert(name.to_string(), fields.collect());
        }
    }
    all
}

/// `list[index]` → struct name, from `BTF_ID_LIST*` and `btf_ids.h`'s type enums.
fn btf_names(files: &[String], btf_ids_h: &str) -> HashMap<String, String> {
    let mut names = HashMap::new();
    let args = |s: &str| {
        s.split(',')
            .map(|a| a.trim().to_string())
            .collect::<Vec<_>>()
    };
    for text in files.iter().map(String::as_str).chain([btf_ids_h]) {
        for (_, a) in blocks(text, "BTF_ID_LIST_SINGLE", "(", ")")
            .into_iter()
            .chain(blocks(text, "BTF_ID_LIST_GLOBAL_SINGLE", "(", ")"))
        {
            let a = args(a);
            names.insert(format!("{}[0]", a[0]), a[2].clone());
        }
        for (i, _) in text.match_indices("BTF_ID_LIST(") {
            let rest = &text[i + "BTF_ID_LIST(".len()..];
            let list = &rest[..rest.find(')').unwrap()];
            let mut ids = rest.lines().skip(1);
            let mut n = 0;
            while let Some(a) = ids.next().and_then(|l| l.trim().strip_prefix("BTF_ID(")) {
                names.insert(
                    format!("{list}[{n}]"),
                    args(&a[..a.find(')').unwrap()])[1].clone(),
                );
                n += 1;
            }
        }
        for (list, tag) in [
            ("btf_sock_ids", "BTF_SOCK_TYPE("),
            ("btf_tracing_ids", "BTF_TRACING_TYPE("),
        ] {
            for (_, a) in blocks(text, tag, "", ")") {
                let a = args(a);
                if a.len() == 2 {
                    names.insert(format!("{list}[{}]", a[0]), a[1].clone());
                }
            }
        }
    }
    // bpf_tcp_ca.c fills it at init from `btf_find_by_name_kind(btf, "tcp_sock", …)`.
    names.insert("tcp_sock_id".into(), "tcp_sock".into());
    names
}

fn btf_type(id: Option<&String>, names: &HashMap<String, String>) -> BtfType {
    let id = id.expect("a BTF id").trim_start_matches('&');
    if id == "BPF_PTR_POISON" {
        return BtfType::KptrField;
    }
    let name = names.get(id).unwrap_or_else(|| panic!("BTF id {id}"));
    BtfType::Struct(name.clone().leak())
}

/// The flags of a kind, aliases expanded: `ARG_PTR_TO_UNINIT_MEM | …` → base and flags.
fn flags(decl: &str) -> (String, BTreeSet<String>) {
    let mut set: BTreeSet<String> = decl.split('|').map(str::to_string).collect();
    for (alias, parts) in [
        (
            "ARG_PTR_TO_UNINIT_MEM",
            "ARG_PTR_TO_MEM|MEM_UNINIT|MEM_WRITE",
        ),
        ("ARG_PTR_TO_FIXED_SIZE_MEM", "ARG_PTR_TO_MEM|MEM_FIXED_SIZE"),
    ] {
        if set.remove(alias) {
            set.extend(parts.split('|').map(str::to_string));
        }
    }
    let base = set
        .iter()
        .find(|f| f.starts_with("ARG_") || f.starts_with("RET_"));
    let mut base = base.expect(decl).clone();
    set.remove(&base);
    if let Some(b) = base.strip_suffix("_OR_NULL") {
        base = b.to_string();
        set.insert("PTR_MAYBE_NULL".into());
    }
    (base, set)
}

fn arg(decl: &str, btf: impl Fn() -> BtfType, size: Option<&String>) -> Arg {
    let (base, mut f) = flags(decl);
    let mut has = |flag: &str| f.remove(flag);
    let nullable = has("PTR_MAYBE_NULL");
    let release = has("OBJ_RELEASE");
    let (uninit, write, rdonly) = (has("MEM_UNINIT"), has("MEM_WRITE"), has("MEM_RDONLY"));
    let (fixed, aligned) = (has("MEM_FIXED_SIZE"), has("MEM_ALIGNED"));
    let kind = match (has("DYNPTR_TYPE_LOCAL"), has("DYNPTR_TYPE_RINGBUF")) {
        (true, _) => DynptrKind::Local,
        (_, true) => DynptrKind::Ringbuf,
        _ => DynptrKind::Any,
    };
    assert!(f.is_empty(), "{decl}: flags {f:?} not folded");
    let size = || match size.map(String::as_str) {
        Some("sizeof(u32)") => 4,
        Some("sizeof(u64)" | "sizeof(s64)") => 8,
        Some("sizeof(structiphdr)" | "sizeof(structtcphdr)") => 20,
        Some("sizeof(structipv6hdr)") => 40,
        other => panic!("{decl}: size {other:?}"),
    };
    match base.as_str() {
        "ARG_ANYTHING" => Arg::Anything,
        "ARG_SCALAR" => Arg::Scalar,
        "ARG_CONST_MAP_PTR" => Arg::MapPtr,
        "ARG_PTR_TO_MAP_KEY" => Arg::MapKey,
        "ARG_PTR_TO_MAP_VALUE" if uninit && write => Arg::MapValueOut,
        "ARG_PTR_TO_MAP_VALUE" if nullable => Arg::MapValueOrNull,
        "ARG_PTR_TO_MAP_VALUE" => Arg::MapValue,
        "ARG_PTR_TO_MEM" if fixed => Arg::FixedMem {
            size: size(),
            write,
            uninit,
            aligned,
        },
        "ARG_PTR_TO_MEM" if rdonly => Arg::ReadMem { nullable },
        "ARG_PTR_TO_MEM" if uninit && write => Arg::WriteMem { nullable },
        "ARG_PTR_TO_MEM" => Arg::ReadWriteMem { nullable },
        "ARG_CONST_SIZE" => Arg::Size { zero_ok: false },
        "ARG_CONST_SIZE_OR_ZERO" => Arg::Size { zero_ok: true },
        "ARG_CONST_ALLOC_SIZE_OR_ZERO" => Arg::AllocSize,
        "ARG_PTR_TO_ARENA" => Arg::Arena,
        "ARG_PTR_TO_CTX" => Arg::Ctx { nullable },
        "ARG_PTR_TO_FUNC" => Arg::Callback,
        "ARG_PTR_TO_STACK" if nullable => Arg::StackOrNull,
        "ARG_PTR_TO_CONST_STR" => Arg::ConstStr,
        "ARG_PTR_TO_SPIN_LOCK" => Arg::SpinLock,
        "ARG_PTR_TO_TIMER" => Arg::Timer,
        "ARG_KPTR_XCHG_DEST" => Arg::Kptr,
        "ARG_PTR_TO_PERCPU_BTF_ID" => Arg::PercpuBtfId,
        "ARG_PTR_TO_SOCK_COMMON" => Arg::SockCommon,
        "ARG_PTR_TO_RINGBUF_MEM" if release => Arg::RingbufRecord,
        "ARG_PTR_TO_SOCKET" => Arg::Socket { release, nullable },
        "ARG_PTR_TO_BTF_ID_SOCK_COMMON" => Arg::BtfSockCommon { nullable, release },
        "ARG_PTR_TO_BTF_ID" => Arg::BtfId {
            ty: btf(),
            nullable,
            release,
        },
        // A dynptr the helper neither initializes nor releases is `MEM_RDONLY`.
        "ARG_PTR_TO_DYNPTR" if (uninit && write) || release || rdonly => Arg::Dynptr {
            kind,
            init: uninit && write,
            release,
        },
        _ => panic!("{decl}: no Arg"),
    }
}

fn ret(decl: &str, btf: impl Fn() -> BtfType) -> Ret {
    let (base, mut f) = flags(decl);
    let (nullable, rdonly) = (f.remove("PTR_MAYBE_NULL"), f.remove("MEM_RDONLY"));
    assert!(f.is_empty(), "{decl}: flags {f:?} not folded");
    let mem_or_btf = base == "RET_PTR_TO_MEM_OR_BTF_ID";
    assert_eq!(
        rdonly, mem_or_btf,
        "{decl}: MEM_RDONLY is folded into MemOrBtfId only"
    );
    match (base.as_str(), nullable) {
        ("RET_INTEGER", false) => Ret::Integer,
        ("RET_VOID", false) => Ret::Void,
        ("RET_PTR_TO_MAP_VALUE", false) => Ret::MapValue,
        ("RET_PTR_TO_MAP_VALUE", true) => Ret::MapValueOrNull,
        ("RET_PTR_TO_RINGBUF_MEM", true) => Ret::RingbufRecordOrNull,
        ("RET_PTR_TO_SOCKET", true) => Ret::SocketOrNull,
        ("RET_PTR_TO_TCP_SOCK", true) => Ret::TcpSockOrNull,
        ("RET_PTR_TO_SOCK_COMMON", true) => Ret::SockCommonOrNull,
        ("RET_PTR_TO_MEM_OR_BTF_ID", false) => Ret::MemOrBtfId,
        ("RET_PTR_TO_MEM_OR_BTF_ID", true) => Ret::MemOrBtfIdOrNull,
        ("RET_PTR_TO_DYNPTR_MEM", true) => Ret::DynptrMemOrNull,
        ("RET_PTR_TO_BTF_ID", _) => Ret::BtfId {
            ty: btf(),
            nullable,
            trusted: false,
        },
        ("RET_PTR_TO_BTF_ID_TRUSTED", false) => Ret::BtfId {
            ty: btf(),
            nullable,
            trusted: true,
        },
        _ => panic!("{decl}: no Ret"),
    }
}

#[test]
fn prototypes_match_the_kernel_source() {
    let Some(root) = std::env::var_os("EBEE_LINUX_SRC") else {
        eprintln!("skipped: EBEE_LINUX_SRC is not set (a Linux 6.12 source tree)");
        return;
    };
    let root = Path::new(&root);
    let (mut files, mut btf_files) = (Vec::new(), Vec::new());
    for dir in DIRS {
        sources(&root.join(dir), "bpf_func_proto", &mut files);
        sources(&root.join(dir), "BTF_ID_LIST", &mut btf_files);
    }
    let btf_ids_h = std::fs::read_to_string(root.join("include/linux/btf_ids.h")).unwrap();
    let uapi = std::fs::read_to_string(root.join("include/uapi/linux/bpf.h")).unwrap();
    let (protos, names) = (protos(&files), btf_names(&btf_files, &btf_ids_h));
    assert!(
        protos.len() > 200,
        "{} protos under {}",
        protos.len(),
        root.display()
    );

    // The tree's helper list is the table's.
    let mapper = &uapi[uapi.find("#define ___BPF_FUNC_MAPPER").unwrap()..];
    let helpers = mapper
        .lines()
        .skip(1)
        .take_while(|l| l.trim_start().starts_with("FN("));
    assert_eq!(
        helpers.count(),
        PROTOTYPES.len() + 1,
        "FN(unspec) and one per helper"
    );

    let mut wrong = Vec::new();
    for p in PROTOTYPES {
        let default = format!("bpf_{}_proto", p.name());
        let pick = PICKS
            .iter()
            .find(|(id, _)| *id == p.id)
            .map_or(&*default, |(_, n)| n);
        let f = protos
            .get(pick)
            .unwrap_or_else(|| panic!("{pick} is not defined"));
        let get = |field: String| f.get(&field);
        let args: Vec<Arg> = (1..=5)
            .map_while(|i| {
                let decl = get(format!("arg{i}_type")).filter(|d| *d != "ARG_DONTCARE")?;
                let btf = || btf_type(get(format!("arg{i}_btf_id")), &names);
                Some(arg(decl, btf, get(format!("arg{i}_size"))))
            })
            .collect();
        let ret_decl = get("ret_type".into()).map_or("RET_INTEGER", String::as_str);
        let ret = ret(ret_decl, || btf_type(get("ret_btf_id".into()), &names));
        let gpl = get("gpl_only".into()).is_some_and(|g| g == "true");
        if (&*args, ret, gpl) != (p.args, p.ret, p.gpl_only) {
            wrong.push(format!(
                "{} ({pick}): kernel {args:?} -> {ret:?} gpl {gpl}",
                p.name()
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "rows differing from the C:\n{}",
        wrong.join("\n")
    );
    assert!(prototype(212).is_none());
}
