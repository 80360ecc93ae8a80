//! The object subcommands on the bundled example (`examples/xdp_firewall.bpf.c`, compiled
//! here with clang-19) and the bundled capture.

use std::path::{Path, PathBuf};
use std::process::Command;

const EBEE: &str = env!("CARGO_BIN_EXE_ebee");

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The bundled example, compiled once (the tests run in parallel; one rewriting the file
/// while another reads it would make the reader fail).
fn example_object() -> PathBuf {
    static OBJECT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    OBJECT
        .get_or_init(|| compile("examples/xdp_firewall.bpf.c", &[]))
        .clone()
}

/// Compiles the C program at `source` (from the repository root) with clang-19 into the
/// test's temporary directory, with `flags` after `-O2 -g -target bpf`.
fn compile(source: &str, flags: &[&str]) -> PathBuf {
    let name = Path::new(source).file_stem().unwrap().to_str().unwrap();
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.o"));
    let status = Command::new("clang-19")
        .args(["-O2", "-g", "-target", "bpf"])
        .args(flags)
        .args(["-I/usr/include/x86_64-linux-gnu", "-c"])
        .arg(repo().join(source))
        .arg("-o")
        .arg(&out)
        .status()
        .expect("clang-19 runs (apt-get install clang-19 libbpf-dev; scripts/test.sh does)");
    assert!(status.success(), "clang-19 failed on {source}");
    out
}

fn ebee(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(EBEE).args(args).output().expect("ebee runs");
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).to_string();
    (out.status.success(), text(out.stdout), text(out.stderr))
}

#[test]
fn xdp_over_the_bundled_pcap_counts_verdicts_and_writes_pcaps() {
    let object = example_object();
    let object = object.to_str().unwrap();
    let pcap = repo().join("examples/traffic.pcap");
    let pass = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pass.pcap");
    let maps = Path::new(env!("CARGO_TARGET_TMPDIR")).join("maps.json");
    let (ok, stdout, stderr) = ebee(&[
        "xdp",
        object,
        "--pcap",
        pcap.to_str().unwrap(),
        "--json",
        "--map-update",
        "blocked_tcp_ports:1600:01",
        "--write-pass",
        pass.to_str().unwrap(),
        "--maps-out",
        maps.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(json["packets"], 1000);
    let drop = json["verdicts"]["XDP_DROP"].as_u64().unwrap();
    let pass_count = json["verdicts"]["XDP_PASS"].as_u64().unwrap();
    assert!(
        drop > 0 && pass_count > 0 && drop + pass_count == 1000,
        "{json}"
    );
    // The passed capture holds exactly the passed packets.
    let passed = ebee::hooks::pcap::read(&pass).expect("a readable pcap");
    assert_eq!(passed.len() as u64, pass_count);
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&maps).unwrap()).unwrap();
    assert_eq!(state["blocked_tcp_ports"][0]["key"], "1600");
    // Without the map update nothing is dropped.
    let (ok, stdout, _) = ebee(&["xdp", object, "--pcap", pcap.to_str().unwrap(), "--json"]);
    assert!(ok);
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert!(json["verdicts"].get("XDP_DROP").is_none(), "{json}");
}

#[test]
fn prog_list_maps_and_run_describe_and_run_the_object() {
    let object = example_object();
    let object = object.to_str().unwrap();
    let (ok, stdout, stderr) = ebee(&["prog", "list", object]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("xdp_firewall")
            && stdout.contains("xdp")
            && stdout.contains("xdp_firewall.bpf.c"),
        "{stdout}"
    );
    let (ok, stdout, _) = ebee(&["maps", object, "--json"]);
    assert!(ok);
    let maps: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let names: Vec<&str> = maps
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"packets_per_protocol") && names.contains(&"blocked_tcp_ports"),
        "{names:?}"
    );

    // An IPv4/TCP packet to port 22, dropped once the port is blocked.
    let mut packet = vec![0u8; 64];
    packet[12..14].copy_from_slice(&[0x08, 0x00]);
    packet[14] = 0x45;
    packet[23] = 6; // TCP
    packet[36..38].copy_from_slice(&22u16.to_be_bytes());
    let data = Path::new(env!("CARGO_TARGET_TMPDIR")).join("packet.bin");
    std::fs::write(&data, &packet).unwrap();
    let data = data.to_str().unwrap();
    let (ok, stdout, stderr) = ebee(&["run", object, "--data-in", data, "--json"]);
    assert!(ok, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(json["retval"], 2, "XDP_PASS");
    assert_eq!(json["data_size_out"], 64);
    let (ok, stdout, _) = ebee(&[
        "run",
        object,
        "--data-in",
        data,
        "--json",
        "--map-update",
        "blocked_tcp_ports:1600:01",
    ]);
    assert!(ok);
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(json["retval"], 1, "XDP_DROP");
}

#[test]
fn object_errors_name_what_and_where() {
    let object = example_object();
    let object = object.to_str().unwrap();
    let not_pcap = Path::new(env!("CARGO_TARGET_TMPDIR")).join("not.pcap");
    std::fs::write(&not_pcap, b"this is not a capture").unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["xdp", object, "--pcap", not_pcap.to_str().unwrap()],
            "not a pcap file",
        ),
        (
            vec!["xdp", object, "--pcap", "/no/such.pcap"],
            "/no/such.pcap",
        ),
        (
            vec!["run", object, "--program", "nope"],
            "no program named nope",
        ),
        (
            vec!["run", object, "--map-update", "nosuchmap:00:00"],
            "no map named nosuchmap",
        ),
        (
            vec!["run", object, "--map-update", "blocked_tcp_ports:1600"],
            "MAP:KEYHEX:VALUEHEX",
        ),
        (
            vec!["run", object, "--map-update", "blocked_tcp_ports:16:01"],
            "blocked_tcp_ports",
        ),
        (
            vec!["run", object, "--data-in", "/dev/null"],
            "shorter than an Ethernet header",
        ),
    ];
    for (args, expected) in cases {
        let (ok, _, stderr) = ebee(&args);
        assert!(!ok, "{args:?} succeeded");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(
            stderr.contains(expected),
            "{args:?}: {stderr:?} lacks {expected:?}"
        );
    }
}

/// Regression: `--budget` used to be ignored for objects.
#[test]
fn run_applies_the_budget_to_objects() {
    let object = example_object();
    let packet = Path::new(env!("CARGO_TARGET_TMPDIR")).join("budget_packet.bin");
    std::fs::write(&packet, [0u8; 64]).unwrap();
    let args = |budget: &'static str| {
        let (object, packet) = (object.to_str().unwrap(), packet.to_str().unwrap());
        ebee(&["run", object, "--data-in", packet, "--budget", budget])
    };
    let (ok, _, stderr) = args("5");
    assert!(!ok, "a 5-instruction budget ran the program");
    assert!(
        stderr.contains("instruction budget of 5 exhausted"),
        "{stderr}"
    );
    let (ok, stdout, stderr) = args("100000");
    assert!(ok, "{stderr}");
    assert!(stdout.contains("retval 2"), "{stdout}");
}

/// `ebee run OBJ --program NAME --ctx-in FILE` on program types without a packet: a syscall
/// program's buffer and a sock_addr program's context come back through `--ctx-out`; a
/// packet for them is refused.
#[test]
fn run_takes_the_context_of_types_without_a_packet() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let object = compile(
        "crates/ebee/tests/bpf/program_types_raw.bpf.c",
        &["-mcpu=v3"],
    );
    let object = object.to_str().unwrap();
    let (ctx_in, ctx_out) = (dir.join("sys_ctx.bin"), dir.join("sys_ctx_out.bin"));
    let buffer: Vec<u8> = (0..48u8).collect();
    std::fs::write(&ctx_in, &buffer).unwrap();
    let args = |program: &'static str| {
        [
            "run",
            object,
            "--program",
            program,
            "--ctx-in",
            ctx_in.to_str().unwrap(),
            "--ctx-out",
            ctx_out.to_str().unwrap(),
            "--json",
        ]
    };
    let (ok, stdout, stderr) = ebee(&args("sys"));
    assert!(ok, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let word = u32::from_le_bytes(buffer[28..32].try_into().unwrap());
    assert_eq!(json["retval"], u64::from(word ^ 0x55));
    let out = std::fs::read(&ctx_out).unwrap();
    assert_eq!((out.len(), out[47], out[46]), (48, 0x5a, buffer[24] + 1));

    let mut addr = vec![0u8; 72];
    addr[24] = 0x10; // user_port
    std::fs::write(&ctx_in, &addr).unwrap();
    let (ok, stdout, stderr) = ebee(&args("connect_unix"));
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("\"retval\":1") || stdout.contains("\"retval\": 1"),
        "{stdout}"
    );
    assert_eq!(std::fs::read(&ctx_out).unwrap()[24], 0x10);

    let data = dir.join("sys_data.bin");
    std::fs::write(&data, [0u8; 64]).unwrap();
    let (ok, _, stderr) = ebee(&[
        "run",
        object,
        "--program",
        "sys",
        "--data-in",
        data.to_str().unwrap(),
    ]);
    assert!(
        !ok && stderr.contains("a syscall program has no packet"),
        "{stderr}"
    );
}

#[test]
fn both_engines_give_the_same_verdicts_and_a_bad_engine_is_refused() {
    let object = example_object();
    let object = object.to_str().unwrap();
    let pcap = repo().join("examples/traffic.pcap");
    let pcap = pcap.to_str().unwrap();
    let update = "blocked_tcp_ports:1600:01";
    let run = |engine: &str| {
        let args = [
            "xdp",
            object,
            "--pcap",
            pcap,
            "--json",
            "--map-update",
            update,
            "--engine",
            engine,
        ];
        let (ok, stdout, stderr) = ebee(&args);
        assert!(ok, "{engine}: {stderr}");
        serde_json::from_str::<serde_json::Value>(stdout.trim()).unwrap()
    };
    let (jit, interp) = (run("jit"), run("interp"));
    assert_eq!(jit, interp);
    assert!(jit["verdicts"]["XDP_DROP"].as_u64().unwrap() > 0, "{jit}");

    let (ok, _, stderr) = ebee(&["xdp", object, "--pcap", pcap, "--engine", "fast"]);
    assert!(!ok);
    assert!(stderr.contains("unknown engine `fast`"), "{stderr}");
}

/// Loads verify: a program the verifier refuses (`bpf_redirect_map` on an array, which Linux
/// refuses too) is not run, with the verifier's diagnostic and a failing exit; with
/// `--unverified` it runs in the checked mode.
#[test]
fn run_refuses_what_does_not_verify_unless_unverified() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let object = compile("crates/ebee/tests/bpf/packet_redirect_map.bpf.c", &[]);
    let packet = dir.join("redirect_packet.bin");
    std::fs::write(&packet, [0u8; 64]).unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "run",
            object.to_str().unwrap(),
            "--program",
            "xdp_redirect_map",
            "--data-in",
            packet.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        ebee(&args)
    };
    let (ok, _, stderr) = run(&[]);
    assert!(!ok, "refused");
    assert!(stderr.contains("does not verify"), "{stderr}");
    assert!(stderr.contains("bpf_redirect_map"), "{stderr}");
    let (ok, stdout, stderr) = run(&["--unverified"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("retval"), "{stdout}");
}
