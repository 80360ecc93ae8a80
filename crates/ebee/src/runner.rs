//! Running one program many times: [`Runner`] keeps what a run needs between runs.

use crate::context::ContextRun;
use crate::error::Error;
use crate::helpers::tunnel::TunnelInfo;
use crate::packet::PacketRun;
use crate::program::{Program, TestRun, TestRunResult};
use crate::program_type::PacketContext;
use crate::runtime::RunState;
use ebee_vm::Memory;
use std::time::Instant;

/// Runs a [`Program`] as `BPF_PROG_TEST_RUN` does, as often as asked, keeping its memory
/// layout between runs: the packet buffer and host context (reused, not reallocated) and the
/// regions of the object's global data. Made by [`Program::runner`]; one per thread (a
/// `Program` may have many runners at once).
pub struct Runner<'p> {
    program: &'p Program,
    /// The packet or context of the last run.
    input: Input,
    /// `(address, length, writable)` of the array values the program may address directly
    /// (`lddw` of a map value: global data); writable unless the map is read-only for programs
    /// (`.rodata`).
    global_data: Vec<(u64, u64, bool)>,
    /// Whether the checked mode allows only the packet's own bytes (see
    /// [`Runner::exact_packet_bounds`]).
    exact_packet: bool,
    /// The user memory of the runs (see [`Runner::with_user_memory`]).
    user_memory: Option<&'p mut [u8]>,
}

/// What a run's r1 points to.
enum Input {
    /// A packet and the context over it (XDP, skb types, flow dissector).
    Packet(Box<PacketRun>),
    /// A context built from `ctx_in` alone (types without a packet).
    Context(ContextRun),
    /// The bytes of `ctx_in`, for programs without a spec.
    Generic(Vec<u8>),
}

impl<'p> Runner<'p> {
    pub(crate) fn new(program: &'p Program) -> Runner<'p> {
        let global_data = program
            .runtime()
            .maps()
            .iter()
            .filter_map(|m| {
                let writable = m.spec().map_flags & ebee_maps::flags::BPF_F_RDONLY_PROG == 0;
                m.value_ptr(0)
                    .map(|p| (p.as_ptr() as u64, m.value_size() as u64, writable))
            })
            .collect();
        let input = match program.type_spec() {
            Some(spec) => match spec.packet {
                PacketContext::NoPacket(how) => Input::Context(ContextRun::new(spec, how)),
                _ => {
                    let network = &program.runtime().network;
                    let tunnel = network.tunnel.as_ref().map(TunnelInfo::received);
                    Input::Packet(Box::new(PacketRun::new(spec, tunnel)))
                }
            },
            None => Input::Generic(Vec::new()),
        };
        Runner {
            program,
            input,
            global_data,
            exact_packet: false,
            user_memory: None,
        }
    }

    /// Gives the runs `memory` as the traced task's user memory: programs reach it through
    /// addresses the host puts in their context (a uprobe's registers, a syscall's
    /// arguments), read it with `bpf_probe_read_user` and write it with
    /// `bpf_probe_write_user`, which writes nothing else (`-EFAULT`). Its address is
    /// `memory.as_ptr()`.
    ///
    /// ```no_run
    /// # let object = ebee::Engine::new().load_file("uprobe.bpf.o")?;
    /// let mut user = [0u8; 64];
    /// let address = user.as_ptr() as u64;
    /// let mut regs = [0u8; 168];
    /// regs[112..120].copy_from_slice(&address.to_ne_bytes()); // rdi: the first argument
    /// let program = object.program("uprobe_write").unwrap();
    /// let mut runner = program.runner().with_user_memory(&mut user);
    /// runner.run(&ebee::TestRun { ctx_in: Some(&regs), ..Default::default() })?;
    /// # Ok::<(), ebee::Error>(())
    /// ```
    pub fn with_user_memory(mut self, memory: &'p mut [u8]) -> Self {
        self.user_memory = Some(memory);
        self
    }

    /// Lets the checked mode allow, of the packet buffer, only the bytes from `data_meta`
    /// to `data_end` as the run starts, not the headroom and tailroom around them that
    /// packet-resizing helpers grow into: an access even one byte past the packet is then an
    /// error, as a verifier soundness oracle needs (`tests/verifier_soundness.rs`). Programs
    /// that resize the packet (`xdp_adjust_head`, `skb_change_tail`, …) fail their accesses
    /// to what they grew.
    pub fn exact_packet_bounds(mut self) -> Self {
        self.exact_packet = true;
        self
    }

    /// One test run (`run.repeat` runs over the same packet and context, which carry over
    /// between them, as in the kernel).
    pub fn run(&mut self, run: &TestRun<'_>) -> Result<TestRunResult, Error> {
        let program = self.program;
        let bad = |message: String| Error::BadInput {
            program: program.name().to_string(),
            message,
        };
        if !run.data_in.is_empty() && !matches!(self.input, Input::Packet(_)) {
            return Err(bad(format!(
                "a {} program has no packet: data_in ({} bytes) has no place to go \
                 (its context, r1, comes from ctx_in)",
                program
                    .type_spec()
                    .map_or(program.kind().to_string(), |s| s.name.into()),
                run.data_in.len()
            )));
        }
        match &mut self.input {
            Input::Packet(packet) => packet.prepare(run.data_in, run.ctx_in).map_err(bad)?,
            Input::Context(context) => context
                .prepare(run.ctx_in, program.vm().max_ctx_offset())
                .map_err(bad)?,
            Input::Generic(bytes) => {
                bytes.clear();
                bytes.extend_from_slice(run.ctx_in.unwrap_or_default());
            }
        }
        let repeat = run.repeat.max(1);
        let mut retval = 0;
        let mut override_return = None;
        let start = Instant::now();
        for _ in 0..repeat {
            let (r0, overridden) = self.run_once(run.cpu)?;
            retval = r0;
            override_return = overridden;
        }
        let duration_ns = (start.elapsed().as_nanos() / repeat as u128) as u64;
        if let Some(spec) = program.type_spec() {
            if !spec.allows_return(retval) {
                return Err(bad(format!(
                    "returned {retval:#x}, outside the {} return range {:?}",
                    spec.name, spec.return_range
                )));
            }
        }
        let (data_out, ctx_out, redirect) = match &mut self.input {
            Input::Packet(packet) => packet.finish(),
            Input::Context(context) => (Vec::new(), context.finish(), None),
            Input::Generic(bytes) => (Vec::new(), bytes.clone(), None),
        };
        Ok(TestRunResult {
            retval: retval as u32,
            data_out,
            ctx_out,
            duration_ns,
            redirect,
            override_return,
        })
    }

    /// One run: r0 and the return value `bpf_override_return` asked for.
    fn run_once(&mut self, cpu: usize) -> Result<(u64, Option<u64>), Error> {
        let program = self.program;
        let mut memory = Memory::new();
        memory.set_cpu(cpu);
        let (r1, state) = match &mut self.input {
            // SAFETY: the packet run owns its buffer and host context and neither moves nor
            // resizes them until the next `prepare`; nothing references them during the run.
            Input::Packet(packet) => unsafe { packet.register(&mut memory, self.exact_packet) },
            Input::Context(context) => (context.register(&mut memory), None),
            Input::Generic(bytes) => (memory.add_mut("context", bytes), None),
        };
        for &(start, len, writable) in &self.global_data {
            // SAFETY: array map memory is allocated once and lives as long as the map; the
            // program holds the object's runtime, and with it the map, for the whole run, and
            // ebee keeps no Rust reference to map values.
            unsafe { memory.add_raw("global data", start, len, writable) };
        }
        let mut host = RunState::new(program.runtime().clone(), state);
        host.program_type = program.type_spec();
        if let Some(user) = self.user_memory.as_deref_mut() {
            let len = user.len() as u64;
            host.user_memory = Some((memory.add_mut("user memory", user), len));
        }
        let outcome = program
            .vm()
            .run_with_state(&memory, &host, &[r1])
            .map_err(|error| program.run_error(error))?;
        if let (Input::Packet(packet), Some(state)) = (&mut self.input, host.packet.as_ref()) {
            packet.after_run(state);
        }
        Ok((outcome.retval, host.override_return.get()))
    }
}
