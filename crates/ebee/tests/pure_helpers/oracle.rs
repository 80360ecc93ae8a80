//! The kernel side of tests/pure_helpers.rs: `bpf/pure_helpers.bpf.c` compiled with
//! clang-19, loaded into Linux with `ebee-kernel`, and run with `BPF_PROG_TEST_RUN`.

use ebee_kernel::{KernelObject, LoadOptions, TestRun};
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

/// The C program's `struct printf_in` (packed little-endian): see the .bpf.c file.
pub struct PrintfIn<'a> {
    pub fmt: &'a [u8],
    pub args: [u64; 12],
    pub size: u32,
    pub ptr_mask: u32,
    pub data_len: u32,
    pub strs: [[u8; 128]; 4],
}

impl PrintfIn<'_> {
    fn packet(&self) -> Vec<u8> {
        let mut p = Vec::with_capacity(752);
        for a in self.args {
            p.extend_from_slice(&a.to_ne_bytes());
        }
        for v in [self.size, self.ptr_mask, self.data_len, 0] {
            p.extend_from_slice(&v.to_ne_bytes());
        }
        for s in &self.strs {
            p.extend_from_slice(s);
        }
        let mut fmt = self.fmt.to_vec();
        fmt.resize(128, 0);
        p.extend_from_slice(&fmt);
        p
    }
}

/// The compiled object (compiled once per test binary).
fn elf() -> &'static [u8] {
    static ELF: OnceLock<Vec<u8>> = OnceLock::new();
    ELF.get_or_init(|| {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bpf/pure_helpers.bpf.c");
        let dir = tempfile::tempdir().expect("temporary directory");
        let out = dir.path().join("pure_helpers.bpf.o");
        let output = Command::new("clang-19")
            .args(["-O2", "-g", "-target", "bpf", "-mcpu=v3"])
            .arg("-I/usr/include/x86_64-linux-gnu")
            .arg("-c")
            .arg(&src)
            .arg("-o")
            .arg(&out)
            .output()
            .expect("run clang-19 (apt-get install -y clang-19 libbpf-dev)");
        assert!(
            output.status.success(),
            "clang-19 failed on {}:\n{}",
            src.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        std::fs::read(&out).expect("read the compiled object")
    })
}

/// The loaded object; `None` (after saying why) when bpf() is unavailable.
pub struct Kernel(KernelObject);

impl Kernel {
    /// Loads with `snprintf_fmt` = `fmt` and `snprintf_nargs` = `nargs`. `Ok(None)`: no
    /// bpf() here; `Err`: the kernel refused the object (its verifier checks the format).
    pub fn load(fmt: &[u8], nargs: u32) -> Result<Option<Kernel>, String> {
        let elf = elf();
        if let Err(reason) = ebee_kernel::availability() {
            eprintln!("skipping the kernel comparison: {reason}");
            return Ok(None);
        }
        let mut f = fmt.to_vec();
        f.resize(128, 0);
        let globals = vec![
            ("snprintf_fmt".to_string(), f),
            ("snprintf_nargs".to_string(), nargs.to_ne_bytes().to_vec()),
        ];
        KernelObject::load(elf, &LoadOptions { globals })
            .map(|o| Some(Kernel(o)))
            .map_err(|e| e.to_string())
    }

    /// Loads with an empty snprintf format, for the other programs.
    pub fn plain() -> Option<Kernel> {
        Kernel::load(b"", 0).expect("load pure_helpers.bpf.o")
    }

    fn run(&self, program: &str, packet: &[u8]) -> Vec<u8> {
        let run = TestRun {
            data_in: packet,
            data_size_out: 2048,
            ..TestRun::default()
        };
        let r = self.0.test_run(program, &run).expect("BPF_PROG_TEST_RUN");
        assert_eq!(
            r.retval, 2,
            "{program} returned {} (input rejected)",
            r.retval
        );
        r.data_out
    }

    /// `bpf_csum_diff(from, from.len(), to, to.len(), seed)` (sizes up to 64).
    pub fn csum_diff(&self, from: &[u8], to: &[u8], seed: u32) -> i64 {
        let mut p = vec![0u8; 16 + 128];
        p[0..4].copy_from_slice(&(from.len() as u32).to_ne_bytes());
        p[4..8].copy_from_slice(&(to.len() as u32).to_ne_bytes());
        p[8..12].copy_from_slice(&seed.to_ne_bytes());
        p[16..16 + from.len()].copy_from_slice(from);
        p[80..80 + to.len()].copy_from_slice(to);
        word(&self.run("ph_csum_diff", &p), 0)
    }

    /// `bpf_strtol`/`bpf_strtoul(buf, buf.len(), flags, &res)`: (r0, res).
    pub fn strtox(&self, signed: bool, buf: &[u8], flags: u64) -> (i64, i64) {
        let mut p = vec![0u8; 16 + 64];
        p[0..8].copy_from_slice(&flags.to_ne_bytes());
        p[8..12].copy_from_slice(&(buf.len() as u32).to_ne_bytes());
        p[16..16 + buf.len()].copy_from_slice(buf);
        let out = self.run(if signed { "ph_strtol" } else { "ph_strtoul" }, &p);
        (word(&out, 0), word(&out, 8))
    }

    /// `bpf_snprintf` with this load's format: (r0, the 256-byte buffer, 0xAA-prefilled).
    pub fn snprintf(&self, input: &PrintfIn<'_>) -> (i64, Vec<u8>) {
        let out = self.run("ph_snprintf", &input.packet());
        (word(&out, 0), out[8..8 + 256].to_vec())
    }

    /// `bpf_trace_printk(fmt, size, args[0], args[1], args[2])`.
    pub fn trace_printk(&self, input: &PrintfIn<'_>) -> i64 {
        word(&self.run("ph_trace_printk", &input.packet()), 0)
    }

    /// `bpf_trace_vprintk(fmt, size, args, data_len)`.
    pub fn trace_vprintk(&self, input: &PrintfIn<'_>) -> i64 {
        word(&self.run("ph_trace_vprintk", &input.packet()), 0)
    }
}

impl Kernel {
    /// `bpf_probe_read_{kernel,user}[_str](buf, 8, addr)` (variant 0–3): (r0, buf).
    pub fn probe(&self, variant: u32, addr: u64) -> (i64, [u8; 8]) {
        let mut p = vec![0u8; 16];
        p[0..8].copy_from_slice(&addr.to_ne_bytes());
        p[8..12].copy_from_slice(&variant.to_ne_bytes());
        let out = self.run("ph_probe", &p);
        (word(&out, 0), out[8..16].try_into().unwrap())
    }

    /// `bpf_l3_csum_replace` (`l4` false) or `bpf_l4_csum_replace` on a CHECKSUM_NONE skb
    /// whose checksum field holds `sum`: (r0, the field afterwards).
    #[allow(dead_code)] // Used by the unit tests of src/helpers/checksum.rs.
    pub fn csum_replace(&self, l4: bool, sum: u16, from: u64, to: u64, flags: u64) -> (i64, u16) {
        let mut p = vec![0u8; 64];
        p[0..8].copy_from_slice(&from.to_ne_bytes());
        p[8..16].copy_from_slice(&to.to_ne_bytes());
        p[16..24].copy_from_slice(&flags.to_ne_bytes());
        p[24..26].copy_from_slice(&sum.to_ne_bytes());
        let program = if l4 {
            "ph_l4_csum_replace"
        } else {
            "ph_l3_csum_replace"
        };
        let run = TestRun {
            data_in: &p,
            data_size_out: 2048,
            ..TestRun::default()
        };
        let r = self.0.test_run(program, &run).expect("BPF_PROG_TEST_RUN");
        assert_eq!(r.retval, 0, "{program}: input rejected");
        let out = r.data_out;
        (word(&out, 32), u16::from_ne_bytes([out[24], out[25]]))
    }

    /// `[ktime_get_ns, ktime_get_boot_ns, ktime_get_coarse_ns, jiffies64, pid_tgid,
    /// uid_gid]` and the comm, read by the kernel in the calling thread.
    pub fn task(&self) -> ([u64; 6], [u8; 16]) {
        let out = self.run("ph_task", &[0u8; 64]);
        let words = std::array::from_fn(|i| word(&out, 8 * i) as u64);
        (words, out[48..64].try_into().unwrap())
    }
}

fn word(bytes: &[u8], at: usize) -> i64 {
    i64::from_ne_bytes(bytes[at..at + 8].try_into().unwrap())
}
