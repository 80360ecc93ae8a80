//! Contexts of the program types without a packet (kprobe, tracepoint, raw_tracepoint,
//! perf_event, sockops, cgroup/sock, sock_addr, sk_msg, sk_lookup, syscall): the host context
//! built from `ctx_in` alone, as the spec's [`ContextInput`] says.
//!
//! - [`ContextInput::Struct`]: the UAPI structure, zero-filled, then the pointer slots
//!   (left 0: these runs have no packet, so `sk_msg_md.data` and `data_end` are both 0, an
//!   empty range). Fields the spec does not let a test run set must be zero; each field
//!   keeps only its kernel field's width (`kernel_size`).
//! - [`ContextInput::Bytes`]: exactly the bytes given, at least up to the furthest byte the
//!   program accesses (the kernel's `max_ctx_offset` check of raw tracepoint and syscall test
//!   runs; for tracepoints it stands in for the attach-time check against the format).
//! - [`ContextInput::SkLookup`]: `bpf_prog_test_run_sk_lookup`'s checks and conversions.

use crate::program_type::{ContextInput, FieldKind, ProgramTypeSpec};
use ebee_vm::Memory;

/// `AF_INET` and `AF_INET6` (`linux/socket.h`).
const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;

/// A context test run: the host context and the input it came from.
pub(crate) struct ContextRun {
    spec: &'static ProgramTypeSpec,
    input: ContextInput,
    /// The host context (8-byte aligned for its pointer slots); `len` bytes of it are used.
    ctx: Vec<u64>,
    len: usize,
    /// The caller's context, padded to the structure: the base of `ctx_out`.
    ctx_in: Vec<u8>,
}

fn u16_at(bytes: &[u8], offset: usize) -> u16 {
    u16::from_ne_bytes([bytes[offset], bytes[offset + 1]])
}

fn u32_at(bytes: &[u8], offset: usize) -> u32 {
    u32::from_ne_bytes(bytes[offset..offset + 4].try_into().expect("4 bytes"))
}

impl ContextRun {
    pub(crate) fn new(spec: &'static ProgramTypeSpec, input: ContextInput) -> ContextRun {
        ContextRun {
            spec,
            input,
            ctx: Vec::new(),
            len: 0,
            ctx_in: Vec::new(),
        }
    }

    fn bytes(&mut self) -> &mut [u8] {
        let len = self.len;
        &mut bytemuck::cast_slice_mut(&mut self.ctx)[..len]
    }

    /// Builds the context from `ctx_in` for a program accessing its context up to
    /// `max_ctx_offset`, validating the input as the kernel does.
    pub(crate) fn prepare(
        &mut self,
        ctx_in: Option<&[u8]>,
        max_ctx_offset: usize,
    ) -> Result<(), String> {
        let spec = self.spec;
        let size = spec.ctx_size as usize;
        let given = ctx_in.unwrap_or_default();
        if self.input == ContextInput::Bytes {
            if given.len() > size {
                return Err(format!(
                    "context of {} bytes is longer than the {size} a {} program takes",
                    given.len(),
                    spec.name
                ));
            }
            if given.len() < max_ctx_offset {
                return Err(format!(
                    "context of {} bytes is shorter than the {max_ctx_offset} bytes the \
                     program accesses",
                    given.len()
                ));
            }
            self.ctx_in = given.to_vec();
            self.len = given.len();
            self.ctx.clear();
            self.ctx.resize(self.len.div_ceil(8), 0);
            self.bytes().copy_from_slice(given);
            return Ok(());
        }
        if self.input == ContextInput::SkLookup && ctx_in.is_none() {
            return Err("an sk_lookup test run needs a context (struct bpf_sk_lookup)".into());
        }
        if given.len() > size && given[size..].iter().any(|&b| b != 0) {
            return Err(format!(
                "context of {} bytes has non-zero bytes past the {size} of {}",
                given.len(),
                spec.name
            ));
        }
        self.ctx_in.clear();
        self.ctx_in
            .extend_from_slice(&given[..given.len().min(size)]);
        self.ctx_in.resize(size, 0);
        self.len = spec.host_ctx_size();
        self.ctx.clear();
        self.ctx.resize(self.len.div_ceil(8), 0);
        let mut uapi = self.ctx_in.clone();
        if self.input == ContextInput::SkLookup {
            sk_lookup(spec, &mut uapi)?;
        } else {
            self.refuse_unsettable_fields()?;
        }
        for f in spec.fields {
            let (start, end) = (f.offset as usize, (f.offset + f.size) as usize);
            if f.kind == FieldKind::Scalar
                && f.size <= 8
                && (f.kernel_size as usize) < f.size as usize
            {
                uapi[start + f.kernel_size as usize..end].fill(0);
            }
        }
        self.bytes()[..size].copy_from_slice(&uapi);
        Ok(())
    }

    /// Refuses a context that sets a field the type's test run does not take.
    fn refuse_unsettable_fields(&self) -> Result<(), String> {
        let spec = self.spec;
        let settable = |i: usize| {
            spec.field_at(i as i64)
                .is_some_and(|f| spec.test_run_input.includes(f))
        };
        match (0..self.ctx_in.len()).find(|&i| self.ctx_in[i] != 0 && !settable(i)) {
            Some(bad) => {
                let field = spec.field_at(bad as i64).map_or("padding", |f| f.name);
                Err(format!(
                    "{}: field {field} may not be set in a test run",
                    spec.name
                ))
            }
            None => Ok(()),
        }
    }

    /// Registers the context as the run's memory; returns r1.
    pub(crate) fn register<'m>(&'m mut self, memory: &mut Memory<'m>) -> u64 {
        memory.add_mut("context", self.bytes())
    }

    /// `ctx_out`: the input with the spec's output fields as the program left them (all of it
    /// for byte contexts).
    pub(crate) fn finish(&mut self) -> Vec<u8> {
        let spec = self.spec;
        if self.input == ContextInput::Bytes {
            return self.bytes().to_vec();
        }
        let mut out = self.ctx_in.clone();
        let host = self.bytes()[..spec.ctx_size as usize].to_vec();
        for f in spec
            .fields
            .iter()
            .filter(|f| spec.test_run_output.includes(f))
        {
            let range = f.offset as usize..(f.offset + f.size) as usize;
            out[range.clone()].copy_from_slice(&host[range]);
        }
        out
    }
}

/// `bpf_prog_test_run_sk_lookup`: checks `uapi` (the caller's `bpf_sk_lookup`) and turns it
/// into what the program reads.
fn sk_lookup(spec: &ProgramTypeSpec, uapi: &mut [u8]) -> Result<(), String> {
    let at = |name| spec.offset_of(name);
    let sk = at("sk");
    if uapi[sk..sk + 8].iter().any(|&b| b != 0) {
        return Err("bpf_sk_lookup: sk must be 0".into());
    }
    let end_of_local_port = at("local_port") + 4;
    if uapi[end_of_local_port..].iter().any(|&b| b != 0) {
        return Err("bpf_sk_lookup: nothing past local_port may be set".into());
    }
    if u32_at(uapi, at("local_port")) > u32::from(u16::MAX) {
        return Err("bpf_sk_lookup: local_port above 65535".into());
    }
    let family = u16_at(uapi, at("family"));
    let other_family = match family {
        AF_INET => ["remote_ip6", "local_ip6"],
        AF_INET6 => ["remote_ip4", "local_ip4"],
        _ => {
            return Err(format!(
                "bpf_sk_lookup: family {family} is neither AF_INET nor AF_INET6"
            ))
        }
    };
    for name in other_family {
        let field = spec.field(name).expect("sk_lookup's addresses");
        let start = field.offset as usize;
        uapi[start..start + field.size as usize].fill(0);
    }
    // The kernel keeps only what its 16-bit fields hold; the padding reads 0.
    let padding = at("padding");
    uapi[padding..padding + 2].fill(0);
    Ok(())
}
