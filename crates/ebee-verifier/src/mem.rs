//! Loads, stores and atomics (the kernel's `check_mem_access` and `check_atomic`): each
//! pointer kind with its bounds, alignment and access-mode rules, and what a load gives.

use crate::error::{uninit, Fault, Rule};
use crate::explore::Verifier;
use crate::scalar::Scalar;
use crate::stack::{StackFault, STACK_SIZE};
use crate::state::State;
use crate::value::{Pointer, PtrKind, Reg, SocketKind};
use ebee_spec::program_type::{CtxAccess, FieldKind, FLOW_KEYS_SIZE};

/// Sizes of `struct bpf_sock` and `struct bpf_tcp_sock` (`linux/bpf.h`).
const BPF_SOCK_SIZE: i64 = 80;
const BPF_TCP_SOCK_SIZE: i64 = 112;
/// The kernel's `NET_IP_ALIGN` on x86: where strict alignment assumes the IP header starts.
const NET_IP_ALIGN: i64 = 2;

/// What an access does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    /// A load of this many bytes, sign-extended or not.
    Load { sign_extend: bool },
    /// A store of this value (`None`: unknown bytes).
    Store(Option<Reg>),
    /// An atomic read-modify-write.
    Atomic,
}

impl Access {
    fn writes(self) -> bool {
        !matches!(self, Access::Load { .. })
    }
    fn verb(self) -> &'static str {
        if self.writes() {
            "write"
        } else {
            "read"
        }
    }
}

impl Verifier<'_> {
    /// Checks an access of `size` bytes at `r + off` and performs it on the state; a load
    /// returns the value read.
    pub(crate) fn access(
        &self,
        st: &mut State,
        r: u8,
        off: i64,
        size: u8,
        access: Access,
    ) -> Result<Reg, Fault> {
        let p = match st.reg(r) {
            Reg::Uninit => return Err(uninit(r)),
            Reg::Scalar(_) => {
                return Err(Fault::new(
                    Rule::InvalidMemoryAccess,
                    &[r],
                    format!("r{r} is a number, not a pointer (R{r} invalid mem access 'scalar')"),
                ))
            }
            Reg::Ptr(p) => p,
        };
        if p.maybe_null {
            return Err(Fault::new(
                Rule::NullCheck,
                &[r],
                format!(
                    "r{r} may be NULL here (R{r} invalid mem access '{}_or_null')",
                    kernel_name(p.kind)
                ),
            )
            .suggest(format!("check `if (r{r} == NULL)` before the access")));
        }
        if let (Access::Store(Some(Reg::Ptr(v))), false) =
            (access, self.env.options.allow_ptr_leaks())
        {
            if !matches!(p.kind, PtrKind::Stack { .. }) {
                return Err(Fault::new(
                    Rule::PointerLeak,
                    &[r],
                    format!(
                        "a pointer ({}) is stored into {} (leaks addr into {})",
                        v.kind,
                        p.kind,
                        kernel_name(p.kind)
                    ),
                ));
            }
        }
        if access == Access::Atomic
            && !matches!(
                p.kind,
                PtrKind::Stack { .. } | PtrKind::MapValue(_) | PtrKind::Mem { .. }
            )
        {
            return Err(Fault::new(
                Rule::InvalidMemoryAccess,
                &[r],
                format!(
                    "atomic operation on {} (BPF_ATOMIC stores into R{r} {} is not allowed)",
                    p.kind,
                    kernel_name(p.kind)
                ),
            ));
        }
        if access == Access::Atomic {
            // Atomics are always aligned, strict mode or not (the kernel's
            // `strict_alignment_once`); the VM would refuse a misaligned one.
            self.alignment(r, &p, off, size, 0, true)?;
        }
        let loaded = |sign_extend| Reg::Scalar(Scalar::loaded(size, sign_extend));
        let value = match access {
            Access::Load { sign_extend } => loaded(sign_extend),
            _ => Reg::Uninit,
        };
        match p.kind {
            PtrKind::Stack { frame } => self.stack_access(st, r, &p, frame, off, size, access),
            PtrKind::Ctx => self.ctx_access(st, r, &p, off, size, access),
            PtrKind::Packet | PtrKind::PacketMeta => {
                self.packet_access(st, r, &p, off, size, access)?;
                Ok(value)
            }
            PtrKind::MapValue(m) => {
                let map = &self.maps[m as usize];
                if access.writes() && map.read_only() {
                    return Err(Fault::new(
                        Rule::MapValue,
                        &[r],
                        format!("store into the read-only map '{}' (write into map forbidden, value_size={} off={} size={size})", map.name, map.value_size, p.off + off),
                    ));
                }
                self.region(r, &p, off, size as u64, map.value_size as i64, "map value")?;
                self.alignment(r, &p, off, size, 0, false)?;
                if let Some(lock) = map.spin_lock_offset {
                    let (lo, hi) = (
                        p.off + off + p.var.smin,
                        p.off + off + p.var.smax + size as i64,
                    );
                    if lo < lock as i64 + 4 && hi > lock as i64 {
                        return Err(Fault::new(
                            Rule::SpinLock,
                            &[r],
                            "the bpf_spin_lock of a map value is accessed directly (bpf_spin_lock cannot be accessed directly by load/store)",
                        ));
                    }
                }
                Ok(value)
            }
            PtrKind::MapKey(m) if !access.writes() => {
                self.region(
                    r,
                    &p,
                    off,
                    size as u64,
                    self.maps[m as usize].key_size as i64,
                    "map key",
                )?;
                Ok(value)
            }
            PtrKind::Mem {
                size: len,
                read_only,
            } if !(read_only && access.writes()) => {
                self.region(r, &p, off, size as u64, len as i64, "memory")?;
                Ok(value)
            }
            PtrKind::FlowKeys => {
                self.region(r, &p, off, size as u64, FLOW_KEYS_SIZE as i64, "flow keys")?;
                Ok(value)
            }
            PtrKind::Socket(kind) if !access.writes() => {
                let len = if kind == SocketKind::Tcp {
                    BPF_TCP_SOCK_SIZE
                } else {
                    BPF_SOCK_SIZE
                };
                let o = p.off + off;
                if !p.fixed() || o < 0 || o + size as i64 > len || o % size as i64 != 0 {
                    return Err(Fault::new(
                        Rule::InvalidMemoryAccess,
                        &[r],
                        format!("read of {size} bytes at offset {o} of {} (invalid sock access off={o} size={size})", p.kind),
                    ));
                }
                Ok(value)
            }
            PtrKind::BtfObject => Err(Fault::new(
                Rule::Unsupported,
                &[r],
                format!(
                    "r{r} is a BTF-typed kernel pointer; ebee does not check accesses through them"
                ),
            )),
            _ => Err(Fault::new(
                Rule::InvalidMemoryAccess,
                &[r],
                format!(
                    "{} of {} (R{r} invalid mem access '{}')",
                    access.verb(),
                    p.kind,
                    kernel_name(p.kind)
                ),
            )),
        }
    }

    /// `[p + off, p + off + size)` inside `0..len` for every value of the variable part.
    fn region(
        &self,
        r: u8,
        p: &Pointer,
        off: i64,
        size: u64,
        len: i64,
        what: &str,
    ) -> Result<(), Fault> {
        let base = p.off + off;
        let fail = |message: String| {
            Err(Fault::new(
                if what == "map value" {
                    Rule::MapValue
                } else {
                    Rule::InvalidMemoryAccess
                },
                &[r],
                message,
            ))
        };
        if p.var.smin < 0 && base + p.var.smin < 0 {
            return fail(format!(
                "r{r} ({p}) may point before the start of the {what} (R{r} min value is negative, either use unsigned index or 'var &= const')"
            ));
        }
        let lo = base + p.var.smin.max(0);
        let hi = (base as i128) + (p.var.umax as i128) + size as i128;
        if lo < 0 {
            return fail(format!(
                "access at offset {lo} before the start of the {what} (invalid access to {what}, off={lo} size={size}; R{r} min value is outside of the allowed memory range)"
            ));
        }
        if hi > len as i128 {
            return Err(Fault::new(
                if what == "map value" { Rule::MapValue } else { Rule::InvalidMemoryAccess },
                &[r],
                format!(
                    "access of {size} bytes at offset {} may reach byte {hi} of a {what} of {len} bytes (invalid access to {what}, value_size={len} off={base} size={size}; R{r} max value is outside of the allowed memory range)",
                    if p.fixed() { base.to_string() } else { format!("{base} + {}", p.var) },
                ),
            )
            .suggest(format!("bound the offset so that offset + {size} <= {len}")));
        }
        Ok(())
    }

    /// Strict alignment (`BPF_F_STRICT_ALIGNMENT`, or `always`): `ip_align + p + off` a
    /// multiple of size.
    #[allow(clippy::too_many_arguments)]
    fn alignment(
        &self,
        r: u8,
        p: &Pointer,
        off: i64,
        size: u8,
        ip_align: i64,
        always: bool,
    ) -> Result<(), Fault> {
        if !(always || self.env.options.strict_alignment) || size == 1 {
            return Ok(());
        }
        let known_low = p.var.var_off.mask & (size as u64 - 1) == 0;
        let total = ip_align + p.off + off + p.var.var_off.value as i64;
        if !known_low || total % size as i64 != 0 {
            let what = if ip_align != 0 { "packet" } else { "value" };
            return Err(Fault::new(
                Rule::Alignment,
                &[r],
                format!(
                    "misaligned {what} access off {ip_align}+{}+{}+{off} size {size}",
                    p.var, p.off
                ),
            ));
        }
        Ok(())
    }

    fn packet_access(
        &self,
        st: &State,
        r: u8,
        p: &Pointer,
        off: i64,
        size: u8,
        access: Access,
    ) -> Result<(), Fault> {
        if access.writes() && !self.env.spec.is_some_and(|s| s.may_write_packet()) {
            return Err(Fault::new(
                Rule::Packet,
                &[r],
                "this program type may not write the packet (cannot write into packet)",
            ));
        }
        if p.var.smin < 0 {
            return Err(Fault::new(Rule::Packet, &[r], format!("r{r} ({p}) may be before the packet (R{r} min value is negative, either use unsigned index or 'var &= const')")));
        }
        let o = p.off + off;
        if o < 0 || o + size as i64 > p.range {
            let _ = st;
            return Err(Fault::new(
                Rule::Packet,
                &[r],
                format!(
                    "read or write of {size} bytes at packet offset {o} not proven inside the packet (invalid access to packet, off={o} size={size}, R{r}(id={},off={},r={}))",
                    p.id, p.off, p.range
                ),
            )
            .suggest(format!(
                "add a check against data_end before accessing {size} bytes at offset {o}: `if (ptr + {} > data_end) return ...;`",
                o + size as i64 - p.off
            )));
        }
        self.alignment(
            r,
            p,
            off,
            size,
            if self.env.options.strict_alignment {
                NET_IP_ALIGN
            } else {
                0
            },
            false,
        )
    }

    fn ctx_access(
        &self,
        st: &mut State,
        r: u8,
        p: &Pointer,
        off: i64,
        size: u8,
        access: Access,
    ) -> Result<Reg, Fault> {
        if !p.fixed() {
            return Err(Fault::new(Rule::Context, &[r], format!("context access at a variable offset (variable ctx access var_off={} disallowed)", p.var)));
        }
        if p.off != 0 {
            return Err(Fault::new(Rule::Context, &[r], format!("access through a context pointer moved by {} (dereference of modified ctx ptr R{r} off={} disallowed)", p.off, p.off))
                .suggest("access the field as ctx->field from the original context pointer"));
        }
        let Some(spec) = self.env.spec else {
            return Err(Fault::new(Rule::Unsupported, &[r], "ebee has no context layout for this program type, so it cannot check context accesses"));
        };
        let fail = |why: String| {
            Fault::new(
                Rule::Context,
                &[r],
                format!("{why} (invalid bpf_context access off={off} size={size})"),
            )
        };
        let offset = i16::try_from(off)
            .map_err(|_| fail(format!("offset {off} is outside {}'s context", spec.name)))?;
        spec.translate(CtxAccess {
            offset,
            size,
            write: access.writes(),
        })
        .map_err(fail)?;
        let field = spec.field_at(off).expect("translate found a field");
        if access == (Access::Load { sign_extend: true })
            && matches!(field.kind, FieldKind::Pointer(_))
        {
            return Err(fail(format!(
                "a sign-extending load of the pointer field {}",
                field.name
            )));
        }
        Ok(match (access, field.kind) {
            (Access::Load { .. }, FieldKind::Pointer(_)) => Reg::Ptr(Pointer::new(
                match field.name {
                    "data_end" => PtrKind::PacketEnd,
                    "data_meta" => PtrKind::PacketMeta,
                    "flow_keys" => PtrKind::FlowKeys,
                    _ => PtrKind::Packet,
                },
                0,
            )),
            // ebee has no sockets, so the host's `sk` is always NULL; the kernel's type is
            // a socket or NULL (sock_common in `__sk_buff`), which the program must check.
            (Access::Load { .. }, FieldKind::Null) if field.name == "sk" && size == 8 => {
                let skb = matches!(
                    spec.packet,
                    ebee_spec::program_type::PacketContext::Skb { .. }
                );
                let kind = if skb {
                    SocketKind::Common
                } else {
                    SocketKind::Full
                };
                let mut socket = Pointer::new(PtrKind::Socket(kind), 0);
                socket.maybe_null = true;
                socket.id = st.fresh_id();
                Reg::Ptr(socket)
            }
            (Access::Load { sign_extend }, _) => Reg::Scalar(Scalar::loaded(size, sign_extend)),
            _ => Reg::Uninit,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn stack_access(
        &self,
        st: &mut State,
        r: u8,
        p: &Pointer,
        frame: u8,
        off: i64,
        size: u8,
        access: Access,
    ) -> Result<Reg, Fault> {
        let opts = self.env.options;
        let leaks = opts.allow_ptr_leaks();
        let verb = access.verb();
        let base = p.off + off;
        if !p.fixed() {
            if !leaks {
                return Err(Fault::new(Rule::Stack, &[r], format!("stack access at a variable offset (R{r} variable stack access prohibited for !root)")));
            }
            let (lo, hi) = (base + p.var.smin, base + p.var.smax + size as i64);
            if lo < -STACK_SIZE || hi > 0 {
                return Err(Fault::new(Rule::Stack, &[r], format!("variable stack access may reach outside the frame: bytes {lo}..{hi} (invalid variable-offset {verb} stack R{r} var_off={} off={off} size={size})", p.var)));
            }
            if p.var.var_off.mask & (size as u64 - 1) != 0
                || (base + p.var.var_off.value as i64) % size as i64 != 0
            {
                return Err(Fault::new(
                    Rule::Alignment,
                    &[r],
                    format!(
                        "misaligned stack access off {}+{}+{off} size {size}",
                        p.var, p.off
                    ),
                ));
            }
            self.note_depth(st, frame, lo);
            let stack = &mut st.frames[frame as usize].stack;
            return match access {
                Access::Load { sign_extend } => {
                    stack.check_readable(lo, hi, leaks, leaks).map_err(|(o, _)| {
                        Fault::new(Rule::Stack, &[r], format!("variable stack read may read byte {o} never written (invalid variable-offset read from stack R{r})"))
                    })?;
                    Ok(Reg::Scalar(Scalar::loaded(size, sign_extend)))
                }
                _ => {
                    stack.clobber(lo, hi);
                    Ok(Reg::Uninit)
                }
            };
        }
        if base % size as i64 != 0 {
            return Err(Fault::new(Rule::Alignment, &[r], format!("stack access of {size} bytes at offset {base} is misaligned (misaligned stack access off 0+{}+{off} size {size})", p.off)));
        }
        if base < -STACK_SIZE || base + size as i64 > 0 {
            return Err(Fault::new(Rule::Stack, &[r], format!("{verb} of {size} bytes at stack offset {base}, outside the 512-byte frame (invalid {verb} to stack R{r} off={base} size={size})")));
        }
        self.note_depth(st, frame, base);
        let current = st.frames.len() - 1;
        let stack = &mut st.frames[frame as usize].stack;
        match access {
            Access::Load { .. } => stack.read(base, size, leaks).map_err(|fault| match fault {
                StackFault::PartialFill => Fault::new(Rule::Stack, &[r], format!("a spilled pointer is read in part ({size} bytes at {base}) (invalid size of register fill)")),
                _ => Fault::new(Rule::Stack, &[r], format!("read of stack bytes {base}..{} never written (invalid read from stack R{r} off={base} size={size})", base + size as i64))
                    .suggest("initialize the variable (or the whole struct, e.g. with memset or = {}) before reading it"),
            }),
            Access::Store(value) => {
                if let Some(Reg::Ptr(v)) = value {
                    if matches!(v.kind, PtrKind::Stack { .. }) && (frame as usize) < current {
                        return Err(Fault::new(Rule::Stack, &[r], "a stack pointer is stored into a caller's frame (cannot spill pointers to stack into stack frame of the caller)"));
                    }
                }
                let spill = value.is_some();
                stack.write(base, size, value, spill, leaks).map_err(|fault| match fault {
                    StackFault::PartialSpill => Fault::new(Rule::Stack, &[r], format!("a pointer is stored in {size} bytes (invalid size of register spill)")),
                    _ => Fault::new(Rule::PointerLeak, &[r], "part of a spilled pointer is overwritten (attempt to corrupt spilled pointer on stack)"),
                })?;
                Ok(Reg::Uninit)
            }
            Access::Atomic => {
                stack.check_readable(base, base + size as i64, false, false).map_err(|_| {
                    Fault::new(Rule::Stack, &[r], format!("atomic operation on stack bytes {base}..{} not all written (invalid read from stack off {base} size {size})", base + size as i64))
                })?;
                stack.clobber(base, base + size as i64);
                Ok(Reg::Uninit)
            }
        }
    }
}

/// The kernel's name of a pointer kind, as its messages quote it.
pub(crate) fn kernel_name(kind: PtrKind) -> &'static str {
    match kind {
        PtrKind::Ctx => "ctx",
        PtrKind::Stack { .. } => "fp",
        PtrKind::Packet => "pkt",
        PtrKind::PacketMeta => "pkt_meta",
        PtrKind::PacketEnd => "pkt_end",
        PtrKind::Map(_) => "map_ptr",
        PtrKind::MapValue(_) => "map_value",
        PtrKind::MapKey(_) => "map_key",
        PtrKind::Mem { .. } => "mem",
        PtrKind::FlowKeys => "flow_keys",
        PtrKind::Socket(SocketKind::Full) => "sock",
        PtrKind::Socket(SocketKind::Common) => "sock_common",
        PtrKind::Socket(SocketKind::Tcp) => "tcp_sock",
        PtrKind::BtfObject => "ptr_",
        PtrKind::Func(_) => "func",
    }
}
