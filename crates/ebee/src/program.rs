//! A loaded program and its test run, with `BPF_PROG_TEST_RUN`'s semantics.

use crate::error::{vm_error_pc, Error};
use crate::packet::{PacketRun, Redirect};
use crate::program_type::ProgramTypeSpec;
use crate::runtime::{RunState, Runtime};
use ebee_object::{LinkedProgram, ProgramKind};
use ebee_vm::Memory;
use std::sync::Arc;
use std::time::Instant;

/// One loaded program of an [`crate::Object`]. Cheap to share between threads: runs on many
/// threads at once are safe.
pub struct Program {
    id: u32,
    linked: LinkedProgram,
    type_spec: Option<&'static ProgramTypeSpec>,
    vm: Arc<ebee_vm::Program>,
    runtime: Arc<Runtime>,
}

/// Input of a test run, as `BPF_PROG_TEST_RUN` takes it.
#[derive(Clone, Copy, Debug, Default)]
pub struct TestRun<'a> {
    /// The packet (XDP, TC, socket filter: starting with the Ethernet header; XDP with
    /// metadata first when `ctx_in` says so), or nothing for other types.
    pub data_in: &'a [u8],
    /// The UAPI context (`struct xdp_md`, `struct __sk_buff`) or, for generic programs, the
    /// bytes r1 points to.
    pub ctx_in: Option<&'a [u8]>,
    /// How many times to run (0 counts as 1); the packet and context carry over between
    /// runs, as in the kernel.
    pub repeat: u32,
    /// The worker (CPU) the run executes on, for per-CPU maps.
    pub cpu: usize,
}

/// Output of a test run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestRunResult {
    /// r0 of the last run, truncated to 32 bits as the kernel reports it.
    pub retval: u32,
    /// The packet after the run (XDP: from the metadata to the end).
    pub data_out: Vec<u8>,
    /// The UAPI context after the run (for generic programs, the context bytes).
    pub ctx_out: Vec<u8>,
    /// Mean duration of one run in nanoseconds.
    pub duration_ns: u64,
    /// Where the program redirected the packet, if it did.
    pub redirect: Option<Redirect>,
}

impl Program {
    pub(crate) fn new(
        id: u32,
        linked: LinkedProgram,
        type_spec: Option<&'static ProgramTypeSpec>,
        vm: Arc<ebee_vm::Program>,
        runtime: Arc<Runtime>,
    ) -> Program {
        Program {
            id,
            linked,
            type_spec,
            vm,
            runtime,
        }
    }

    /// The function name.
    pub fn name(&self) -> &str {
        &self.linked.name
    }

    /// The ELF section it came from (`xdp`, `tc`, `kprobe/…`).
    pub fn section(&self) -> &str {
        &self.linked.section
    }

    /// The program kind the section name gave.
    pub fn kind(&self) -> &ProgramKind {
        &self.linked.kind
    }

    /// The program type spec; `None` for generic programs (context = host bytes).
    pub fn type_spec(&self) -> Option<&'static ProgramTypeSpec> {
        self.type_spec
    }

    /// The id prog arrays hold to reach this program with a tail call.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The linked program: instructions, functions, BTF line info.
    pub fn linked(&self) -> &LinkedProgram {
        &self.linked
    }

    /// Number of instruction slots.
    pub fn len(&self) -> usize {
        self.vm.len()
    }

    /// Always false: loaded programs have instructions.
    pub fn is_empty(&self) -> bool {
        self.vm.is_empty()
    }

    /// Runs the program as `BPF_PROG_TEST_RUN` does.
    ///
    /// ```no_run
    /// # let object = ebee::Engine::new().load_file("xdp_pass.bpf.o")?;
    /// let program = object.program("xdp_pass").unwrap();
    /// let packet = [0u8; 64];
    /// let out = program.test_run(&ebee::TestRun { data_in: &packet, ..Default::default() })?;
    /// assert_eq!(out.retval, 2); // XDP_PASS
    /// # Ok::<(), ebee::Error>(())
    /// ```
    pub fn test_run(&self, run: &TestRun<'_>) -> Result<TestRunResult, Error> {
        let bad = |message: String| Error::BadInput {
            program: self.name().to_string(),
            message,
        };
        let mut packet = match self.type_spec {
            Some(spec) => Some(PacketRun::new(spec, run.data_in, run.ctx_in).map_err(bad)?),
            None if !run.data_in.is_empty() => {
                return Err(bad(format!(
                    "a {} program has no packet: data_in ({} bytes) has no place to go \
                     (its context, r1, comes from ctx_in)",
                    self.linked.kind,
                    run.data_in.len()
                )))
            }
            None => None,
        };
        let mut generic_ctx = run.ctx_in.map(<[u8]>::to_vec).unwrap_or_default();
        // Array values a program may address directly (`lddw` of a map value: global data),
        // writable unless the map is read-only for programs (`.rodata`).
        let global_data: Vec<(u64, u64, bool)> = self
            .runtime
            .maps()
            .iter()
            .filter_map(|m| {
                let writable = m.spec().map_flags & ebee_maps::flags::BPF_F_RDONLY_PROG == 0;
                m.value_ptr(0)
                    .map(|p| (p.as_ptr() as u64, m.value_size() as u64, writable))
            })
            .collect();
        let repeat = run.repeat.max(1);
        let mut retval = 0;
        let start = Instant::now();
        for _ in 0..repeat {
            let mut memory = Memory::new();
            memory.set_cpu(run.cpu);
            let (r1, state) = match packet.as_mut() {
                // SAFETY: `p` owns the packet buffer and host context, does not move or
                // resize them until `finish`, and holds no reference to them during the run.
                Some(p) => unsafe { p.register(&mut memory) },
                None => {
                    let address = memory.add_mut("context", &mut generic_ctx);
                    (address, None)
                }
            };
            for &(start, len, writable) in &global_data {
                // SAFETY: array map memory is allocated once and lives as long as the map;
                // `self.runtime` holds the map for the whole run, and ebee keeps no Rust
                // reference to map values.
                unsafe { memory.add_raw("global data", start, len, writable) };
            }
            let host = RunState::new(self.runtime.clone(), state);
            memory.set_host_state(&host);
            retval = self
                .vm
                .run(&memory, &[r1])
                .map_err(|source| self.run_error(source))?;
            if let (Some(p), Some(state)) = (packet.as_mut(), host.packet.as_ref()) {
                p.after_run(state);
            }
        }
        let duration_ns = (start.elapsed().as_nanos() / repeat as u128) as u64;
        let (data_out, ctx_out, redirect) = match packet {
            Some(p) => p.finish(),
            None => (Vec::new(), generic_ctx, None),
        };
        Ok(TestRunResult {
            retval: retval as u32,
            data_out,
            ctx_out,
            duration_ns,
            redirect,
        })
    }

    fn run_error(&self, error: ebee_vm::VmError) -> Error {
        let line = vm_error_pc(&error)
            .and_then(|pc| self.linked.source_line(pc))
            .map(|l| l.to_string());
        Error::Vm {
            program: self.name().to_string(),
            error: Box::new(error),
            line,
        }
    }
}
