//! Running one program many times: [`Runner`] keeps what a run needs between runs.

use crate::error::Error;
use crate::packet::PacketRun;
use crate::program::{Program, TestRun, TestRunResult};
use crate::runtime::RunState;
use ebee_vm::Memory;
use std::time::Instant;

/// Runs a [`Program`] as `BPF_PROG_TEST_RUN` does, as often as asked, keeping its memory
/// layout between runs: the packet buffer and host context (reused, not reallocated) and the
/// regions of the object's global data. Made by [`Program::runner`]; one per thread (a
/// `Program` may have many runners at once).
pub struct Runner<'p> {
    program: &'p Program,
    /// The packet of the last run, for program types with packets.
    packet: Option<PacketRun>,
    /// `(address, length, writable)` of the array values the program may address directly
    /// (`lddw` of a map value: global data); writable unless the map is read-only for programs
    /// (`.rodata`).
    global_data: Vec<(u64, u64, bool)>,
    /// The context bytes of a program without a packet.
    generic_ctx: Vec<u8>,
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
        Runner {
            program,
            packet: program.type_spec().map(PacketRun::new),
            global_data,
            generic_ctx: Vec::new(),
        }
    }

    /// One test run (`run.repeat` runs over the same packet and context, which carry over
    /// between them, as in the kernel).
    pub fn run(&mut self, run: &TestRun<'_>) -> Result<TestRunResult, Error> {
        let program = self.program;
        let bad = |message: String| Error::BadInput {
            program: program.name().to_string(),
            message,
        };
        match self.packet.as_mut() {
            Some(packet) => packet.prepare(run.data_in, run.ctx_in).map_err(bad)?,
            None if !run.data_in.is_empty() => {
                return Err(bad(format!(
                    "a {} program has no packet: data_in ({} bytes) has no place to go \
                     (its context, r1, comes from ctx_in)",
                    program.kind(),
                    run.data_in.len()
                )))
            }
            None => {
                self.generic_ctx.clear();
                self.generic_ctx
                    .extend_from_slice(run.ctx_in.unwrap_or_default());
            }
        }
        let repeat = run.repeat.max(1);
        let mut retval = 0;
        let start = Instant::now();
        for _ in 0..repeat {
            retval = self.run_once(run.cpu)?;
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
        let (data_out, ctx_out, redirect) = match self.packet.as_mut() {
            Some(packet) => packet.finish(),
            None => (Vec::new(), self.generic_ctx.clone(), None),
        };
        Ok(TestRunResult {
            retval: retval as u32,
            data_out,
            ctx_out,
            duration_ns,
            redirect,
        })
    }

    fn run_once(&mut self, cpu: usize) -> Result<u64, Error> {
        let program = self.program;
        let mut memory = Memory::new();
        memory.set_cpu(cpu);
        let (r1, state) = match self.packet.as_mut() {
            // SAFETY: the packet run owns its buffer and host context and neither moves nor
            // resizes them until the next `prepare`; nothing references them during the run.
            Some(packet) => unsafe { packet.register(&mut memory) },
            None => (memory.add_mut("context", &mut self.generic_ctx), None),
        };
        for &(start, len, writable) in &self.global_data {
            // SAFETY: array map memory is allocated once and lives as long as the map; the
            // program holds the object's runtime, and with it the map, for the whole run, and
            // ebee keeps no Rust reference to map values.
            unsafe { memory.add_raw("global data", start, len, writable) };
        }
        let host = RunState::new(program.runtime().clone(), state);
        let outcome = program
            .vm()
            .run_with_state(&memory, &host, &[r1])
            .map_err(|error| program.run_error(error))?;
        if let (Some(packet), Some(state)) = (self.packet.as_mut(), host.packet.as_ref()) {
            packet.after_run(state);
        }
        Ok(outcome.retval)
    }
}
