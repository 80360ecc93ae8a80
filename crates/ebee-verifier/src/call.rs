//! Calls and returns: helper calls checked against their prototypes (the kernel's
//! `check_helper_call` and `check_func_arg`), references acquired and released, spin locks,
//! callbacks, bpf-to-bpf calls and exits, and legacy packet loads.

use crate::error::{uninit, Fault, Rule};
use crate::explore::{Step, Verifier};
use crate::mem::kernel_name;
use crate::scalar::Scalar;
use crate::stack::STACK_SIZE;
use crate::state::{Callback, Frame, Lock, Reference, State};
use crate::value::{Pointer, PtrKind, Reg, SocketKind};
use ebee_abi::MapType;
use ebee_isa::{Instruction, NUM_REGS};
use ebee_spec::helper::{Arg, Prototype, Ret};

/// The most call frames (the kernel's `MAX_CALL_FRAMES`).
const MAX_CALL_FRAMES: usize = 8;
/// Memory sizes a helper may be given (`BPF_MAX_VAR_SIZ`).
const MAX_VAR_SIZE: u64 = 1 << 29;

/// What the arguments of one call told about it.
#[derive(Default)]
struct CallMeta {
    map: Option<u16>,
    alloc_size: Option<u64>,
    release: Option<u32>,
    callback: Option<u32>,
    lock: Option<(u16, u32)>,
    socket_ref: u32,
}

impl Verifier<'_> {
    pub(crate) fn helper_call(&self, st: &mut State, pc: usize, id: u32) -> Result<Step, Fault> {
        let name = ebee_abi::helper_names::helper_name(id).unwrap_or("unknown");
        let Some((proto, allowed)) = self.env.helper(id) else {
            return Err(Fault::new(
                Rule::HelperNotAllowed,
                &[],
                format!("there is no helper {id} (invalid func unknown#{id})"),
            ));
        };
        if !allowed {
            let ty = self.env.spec.map_or("this", |s| s.name);
            return Err(Fault::new(
                Rule::HelperNotAllowed,
                &[],
                format!("{ty} programs may not call bpf_{name} (program of this type cannot use helper bpf_{name}#{id})"),
            ));
        }
        if st.lock.is_some() && id != 94 {
            return Err(Fault::new(Rule::SpinLock, &[], format!("bpf_{name} is called while a bpf_spin_lock is held (function calls are not allowed while holding a lock)")));
        }
        let mut meta = CallMeta::default();
        for (i, arg) in proto.args.iter().enumerate() {
            let r = i as u8 + 1;
            self.check_arg(st, proto, r, arg, &mut meta)?;
        }
        if let Some(m) = meta.map {
            let map = &self.maps[m as usize];
            if !crate::map_helpers::compatible(id, map.map_type) {
                return Err(Fault::new(
                    Rule::HelperArgument,
                    &[1],
                    format!("map '{}' of type {} cannot be given to bpf_{name} (cannot pass map_type {} into func bpf_{name}#{id})", map.name, map.map_type.name(), map.map_type.kernel_id()),
                ));
            }
        }
        match id {
            12 if !st.refs.is_empty() => {
                return Err(Fault::new(Rule::Reference, &[], "a tail call while holding a reference would leak it (tail_call would lead to reference leak)"));
            }
            12 if st.frames.len() > 1 && !self.env.func_info => {
                return Err(Fault::new(Rule::CallStack, &[], "tail calls from functions need BTF function info (tail_call is not allowed in subprogs without BTF)"));
            }
            12 => self.note_tail_call(st),
            93 => {
                let (map, lock_id) = meta.lock.expect("spin_lock's argument is a lock");
                st.lock = Some(Lock { map, id: lock_id, pc });
            }
            94 => match (st.lock, meta.lock) {
                (Some(held), Some((map, lock_id))) if held.map == map && held.id == lock_id => st.lock = None,
                (None, _) => return Err(Fault::new(Rule::SpinLock, &[1], "bpf_spin_unlock without a held lock (bpf_spin_unlock without taking a lock)")),
                _ => return Err(Fault::new(Rule::SpinLock, &[1], "bpf_spin_unlock of another lock than the one held (bpf_spin_unlock of different lock)")),
            },
            _ => {}
        }
        if let Some(released) = meta.release {
            release(st, released, self.env.options.allow_ptr_leaks());
        }
        // A tail call that succeeds never returns to the program; from a function, though,
        // the program it runs returns to that function's caller, and may have changed the
        // packet.
        let tail_call_in_function = id == 12 && st.frames.len() > 1;
        if ebee_spec::helper::changes_packet_data(id) || tail_call_in_function {
            // The packet may have moved: every packet pointer is now just a number.
            st.for_each_reg(|r| {
                if matches!(r, Reg::Ptr(p) if p.is_packet() || p.kind == PtrKind::PacketEnd) {
                    *r = Reg::unknown();
                }
            });
        }
        let callback = meta.callback.map(|target| (target, st.frame().regs));
        for r in 1..=5 {
            st.set(r, Reg::Uninit);
        }
        let r0 = self.return_value(st, pc, id, proto.ret, &meta);
        st.set(0, r0);
        match callback {
            Some((target, args)) => self.enter_callback(st, pc, id, target, &args, true),
            None => Ok(Step::Goto(pc + 1)),
        }
    }

    fn check_arg(
        &self,
        st: &mut State,
        proto: &Prototype,
        r: u8,
        arg: &Arg,
        meta: &mut CallMeta,
    ) -> Result<(), Fault> {
        let reg = st.reg(r);
        if reg == Reg::Uninit {
            return Err(uninit(r));
        }
        let expected = |what: &str| {
            let ty = match reg {
                Reg::Ptr(p) => {
                    kernel_name(p.kind).to_string() + if p.maybe_null { "_or_null" } else { "" }
                }
                _ => "scalar".to_string(),
            };
            Fault::new(Rule::HelperArgument, &[r], format!("argument {r} of bpf_{} must be {what}, not {reg} (R{r} type={ty} expected={what})", proto.name()))
        };
        let p = reg.pointer().copied();
        let nonnull = |p: Option<Pointer>| match p {
            Some(p) if p.maybe_null => Err(Fault::new(
                Rule::NullCheck,
                &[r],
                format!(
                    "r{r} may be NULL when passed to bpf_{} (R{r} type={}_or_null)",
                    proto.name(),
                    kernel_name(p.kind)
                ),
            )
            .suggest(format!("check r{r} against NULL before the call"))),
            _ => Ok(()),
        };
        match *arg {
            Arg::Anything => {
                if p.is_some() && !self.env.options.allow_ptr_leaks() {
                    return Err(Fault::new(Rule::PointerLeak, &[r], format!("a pointer is passed to bpf_{} as a number (R{r} leaks addr into helper function)", proto.name())));
                }
            }
            Arg::Scalar | Arg::Size { .. } | Arg::AllocSize if p.is_some() => return Err(expected("scalar")),
            Arg::Scalar | Arg::Size { .. } => {}
            Arg::AllocSize => match reg.scalar().and_then(|s| s.as_constant()) {
                Some(size) => meta.alloc_size = Some(size),
                None => return Err(Fault::new(Rule::HelperArgument, &[r], format!("the size given to bpf_{} must be a constant (R{r} is not a known constant)", proto.name()))),
            },
            Arg::MapPtr => match p {
                Some(Pointer { kind: PtrKind::Map(m), maybe_null: false, .. }) => meta.map = Some(m),
                _ => return Err(expected("map_ptr")),
            },
            Arg::MapKey | Arg::MapValue | Arg::MapValueOut | Arg::MapValueOrNull => {
                let Some(m) = meta.map else {
                    return Err(Fault::new(Rule::HelperArgument, &[r], "no map argument precedes the key or value (invalid map_ptr to access map->key)"));
                };
                if *arg == Arg::MapValueOrNull && reg.is_zero() {
                    return Ok(());
                }
                let map = &self.maps[m as usize];
                let size = if *arg == Arg::MapKey { map.key_size } else { map.value_size };
                let out = *arg == Arg::MapValueOut;
                self.helper_memory(st, r, size as u64, !out, out, proto)?;
            }
            Arg::ReadMem { nullable } | Arg::WriteMem { nullable } | Arg::ReadWriteMem { nullable } => {
                let size_reg = st.reg(r + 1);
                let zero_ok = matches!(proto.args.get(r as usize), Some(Arg::Size { zero_ok: true }));
                let size = match size_reg {
                    Reg::Uninit => return Err(uninit(r + 1)),
                    Reg::Scalar(s) => s,
                    Reg::Ptr(_) => return Err(Fault::new(Rule::HelperArgument, &[r + 1], format!("the size of argument {r} is a pointer (R{} type=ptr expected=scalar)", r + 1))),
                };
                if size.smin < 0 {
                    return Err(Fault::new(Rule::HelperArgument, &[r + 1], format!("the size of argument {r} may be negative (R{} min value is negative, either use unsigned or 'var &= const')", r + 1)));
                }
                if size.umax >= MAX_VAR_SIZE {
                    return Err(Fault::new(Rule::HelperArgument, &[r + 1], format!("the size of argument {r} has no upper bound (R{} unbounded memory access, use 'var &= const' or 'if (var < const)')", r + 1))
                        .suggest("bound the size, e.g. `if (len > sizeof(buf)) return 0;`"));
                }
                if size.umax == 0 && !zero_ok {
                    return Err(Fault::new(Rule::HelperArgument, &[r + 1], format!("argument {r}'s size is 0 (invalid zero-sized read)")));
                }
                if nullable && reg.is_zero() {
                    return Ok(());
                }
                if size.umax == 0 && reg.is_zero() {
                    return Ok(());
                }
                let reads = !matches!(arg, Arg::WriteMem { .. });
                let writes = !matches!(arg, Arg::ReadMem { .. });
                self.helper_memory(st, r, size.umax, reads, writes, proto)?;
            }
            Arg::FixedMem { size, write, uninit, .. } => {
                self.helper_memory(st, r, size as u64, !uninit, write || uninit, proto)?
            }
            Arg::Ctx { nullable } => match p {
                _ if nullable && reg.is_zero() => {}
                Some(ptr) if ptr.kind == PtrKind::Ctx => {
                    if ptr.off != 0 || !ptr.fixed() {
                        return Err(Fault::new(Rule::HelperArgument, &[r], format!("the context given to bpf_{} was moved (dereference of modified ctx ptr R{r} off={} disallowed)", proto.name(), ptr.off)));
                    }
                }
                _ => return Err(expected("ctx")),
            },
            Arg::Callback if !self.env.func_info => {
                return Err(Fault::new(Rule::ControlFlow, &[r], format!("bpf_{} takes a callback, which needs the program's BTF function info (missing btf func_info)", proto.name())));
            }
            Arg::Callback => match p {
                Some(Pointer { kind: PtrKind::Func(target), .. }) => meta.callback = Some(target),
                _ => return Err(expected("func")),
            },
            Arg::StackOrNull => match p {
                _ if reg.is_zero() => {}
                Some(Pointer { kind: PtrKind::Stack { .. }, .. }) => {}
                _ => return Err(expected("fp")),
            },
            Arg::ConstStr => match p {
                Some(Pointer { kind: PtrKind::MapValue(m), .. }) if self.maps[m as usize].read_only() => {}
                _ => return Err(Fault::new(Rule::HelperArgument, &[r], format!("argument {r} must point to a string in a read-only map (R{r} does not point to a readonly map)"))),
            },
            Arg::SpinLock => {
                nonnull(p)?;
                let Some(Pointer { kind: PtrKind::MapValue(m), off, var, id, .. }) = p else {
                    return Err(expected("map_value"));
                };
                let map = &self.maps[m as usize];
                let Some(lock) = map.spin_lock_offset else {
                    return Err(Fault::new(Rule::SpinLock, &[r], format!("map '{}' has no bpf_spin_lock in its value (map '{}' has to have BTF in order to use bpf_spin_lock)", map.name, map.name)));
                };
                if var.as_constant() != Some(0) || off != lock as i64 {
                    return Err(Fault::new(Rule::SpinLock, &[r], format!("off {off} doesn't point to 'struct bpf_spin_lock' that is at {lock}")));
                }
                meta.lock = Some((m, id));
            }
            Arg::RingbufRecord => match p {
                Some(ptr @ Pointer { kind: PtrKind::Mem { .. }, maybe_null: false, .. }) if ptr.ref_obj != 0 => {
                    if ptr.off != 0 || !ptr.fixed() {
                        return Err(Fault::new(Rule::Reference, &[r], format!("the record given to bpf_{} was moved by {} (R{r} must have zero offset when passed to release func)", proto.name(), ptr.off)));
                    }
                    meta.release = Some(ptr.ref_obj);
                }
                _ => {
                    nonnull(p)?;
                    return Err(expected("ringbuf_mem"));
                }
            },
            Arg::Socket { release, nullable } => match p {
                _ if nullable && reg.is_zero() => {}
                Some(ptr @ Pointer { kind: PtrKind::Socket(SocketKind::Full), maybe_null: false, .. }) => {
                    meta.socket_ref = ptr.ref_obj;
                    if release {
                        if ptr.ref_obj == 0 {
                            return Err(Fault::new(Rule::Reference, &[r], "the socket released was not acquired (release reference of a non-referenced pointer)"));
                        }
                        meta.release = Some(ptr.ref_obj);
                    }
                }
                _ => {
                    nonnull(p)?;
                    return Err(expected("sock"));
                }
            },
            Arg::SockCommon | Arg::BtfSockCommon { .. } => match p {
                Some(ptr @ Pointer { kind: PtrKind::Socket(_) | PtrKind::BtfObject, maybe_null: false, .. }) => {
                    meta.socket_ref = ptr.ref_obj;
                    if let Arg::BtfSockCommon { release: true, .. } = arg {
                        if ptr.ref_obj == 0 {
                            return Err(Fault::new(Rule::Reference, &[r], "the socket released was not acquired (release reference of a non-referenced pointer)"));
                        }
                        meta.release = Some(ptr.ref_obj);
                    }
                }
                _ => {
                    nonnull(p)?;
                    return Err(expected("sock_common"));
                }
            },
            Arg::BtfId { nullable, .. } => match p {
                _ if nullable && reg.is_zero() => {}
                Some(Pointer { kind: PtrKind::BtfObject, maybe_null: false, .. }) => {}
                _ => return Err(expected("ptr_")),
            },
            Arg::PercpuBtfId => match p {
                Some(Pointer { kind: PtrKind::BtfObject, .. }) => {}
                _ => return Err(expected("percpu_ptr_")),
            },
            _ => {
                return Err(Fault::new(Rule::Unsupported, &[r], format!("ebee does not check {arg:?} arguments yet (bpf_{})", proto.name())));
            }
        }
        Ok(())
    }

    /// Argument `r` points to `size` bytes the helper `reads` (so they must be initialized)
    /// and `writes` (so they must be writable, and what was there is gone).
    fn helper_memory(
        &self,
        st: &mut State,
        r: u8,
        size: u64,
        reads: bool,
        writes: bool,
        proto: &Prototype,
    ) -> Result<(), Fault> {
        let reg = st.reg(r);
        let Reg::Ptr(p) = reg else {
            return Err(Fault::new(Rule::HelperArgument, &[r], format!("argument {r} of bpf_{} must point to memory, not {reg} (R{r} type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem)", proto.name())));
        };
        if p.maybe_null {
            return Err(Fault::new(Rule::NullCheck, &[r], format!("r{r} may be NULL when passed to bpf_{} (R{r} type={}_or_null expected=fp, pkt, map_value)", proto.name(), kernel_name(p.kind)))
                .suggest(format!("check r{r} against NULL before the call")));
        }
        let size_i = size as i64;
        // The address is the base plus the offsets, as signed numbers (a huge unsigned
        // offset is a negative one); pointer arithmetic keeps them within +-2^29.
        let lo = p.off.saturating_add(p.var.smin);
        let hi = p.off.saturating_add(p.var.smax).saturating_add(size_i);
        let outside = |len: i64, what: &str| {
            Err(Fault::new(
                if what == "map value" { Rule::MapValue } else { Rule::InvalidMemoryAccess },
                &[r],
                format!("bpf_{} may access {size} bytes at offset {lo}..{hi} of a {what} of {len} bytes (invalid access to {what}, off={} size={size})", proto.name(), p.off),
            ))
        };
        match p.kind {
            PtrKind::Stack { frame } => {
                if !p.fixed() && !self.env.options.allow_ptr_leaks() {
                    return Err(Fault::new(Rule::Stack, &[r], format!("stack memory at a variable offset given to a helper (R{r} variable stack access prohibited for !root)")));
                }
                if lo < -STACK_SIZE || hi > 0 {
                    return Err(Fault::new(Rule::Stack, &[r], format!("bpf_{} may access stack bytes {lo}..{hi}, outside the frame (invalid indirect access to stack R{r} off={} size={size})", proto.name(), p.off)));
                }
                self.note_depth(st, frame, lo);
                let leaks = self.env.options.allow_ptr_leaks();
                let stack = &mut st.frames[frame as usize].stack;
                // As the kernel: a buffer at a variable offset must be initialized even when
                // the helper only writes it, since which bytes it writes is not known.
                if reads || !p.fixed() {
                    stack.check_readable(lo, hi, leaks, leaks).map_err(|(o, _)| {
                        Fault::new(Rule::Stack, &[r], format!("bpf_{} reads stack byte {o}, which was never written (invalid indirect read from stack R{r} off {lo}+0 size {size})", proto.name()))
                            .suggest("initialize the buffer (e.g. `= {}` or memset) before passing it")
                    })?;
                }
                if writes {
                    // What the helper writes is data: spilled registers there are gone.
                    stack.clobber(lo, hi);
                }
                Ok(())
            }
            PtrKind::Packet | PtrKind::PacketMeta => {
                if writes && !self.env.spec.is_some_and(|s| s.may_write_packet()) {
                    return Err(Fault::new(Rule::Packet, &[r], "this program type may not write the packet (helper access to the packet is not allowed)"));
                }
                if p.var.smin < 0 || p.off < 0 || p.off + size_i > p.range {
                    return Err(Fault::new(Rule::Packet, &[r], format!("bpf_{} may access {size} packet bytes at offset {} not proven inside the packet (invalid access to packet, off={} size={size}, R{r}(id={},off={},r={}))", proto.name(), p.off, p.off, p.id, p.off, p.range))
                        .suggest(format!("check `ptr + {} <= data_end` before the call", p.off + size_i)));
                }
                Ok(())
            }
            PtrKind::MapValue(m) => {
                let map = &self.maps[m as usize];
                if writes && map.read_only() {
                    return Err(Fault::new(Rule::MapValue, &[r], format!("bpf_{} would write the read-only map '{}' (write into map forbidden)", proto.name(), map.name)));
                }
                if lo < 0 || hi > map.value_size as i64 {
                    return outside(map.value_size as i64, "map value");
                }
                Ok(())
            }
            PtrKind::MapKey(m) if !writes => {
                let len = self.maps[m as usize].key_size as i64;
                if lo < 0 || hi > len {
                    return outside(len, "map key");
                }
                Ok(())
            }
            PtrKind::Mem { size: len, read_only } if !(writes && read_only) => {
                if lo < 0 || hi > len as i64 {
                    return outside(len as i64, "memory");
                }
                Ok(())
            }
            kind => Err(Fault::new(
                Rule::HelperArgument,
                &[r],
                format!("argument {r} of bpf_{} must point to memory, not {kind} (R{r} type={} expected=fp, pkt, pkt_meta, map_key, map_value, mem)", proto.name(), kernel_name(kind)),
            )),
        }
    }

    fn return_value(&self, st: &mut State, pc: usize, id: u32, ret: Ret, meta: &CallMeta) -> Reg {
        let fresh = |st: &mut State, kind, acquire: bool, ref_from: u32| {
            let mut p = Pointer::new(kind, 0);
            p.maybe_null = true;
            p.id = st.fresh_id();
            p.ref_obj = ref_from;
            if acquire {
                p.ref_obj = p.id;
                st.refs.push(Reference { id: p.id, pc });
            }
            Reg::Ptr(p)
        };
        let acquires = matches!(id, 84 | 85 | 99);
        match ret {
            Ret::Integer => Reg::unknown(),
            Ret::Void => Reg::Uninit,
            Ret::MapValue => Reg::Ptr(Pointer::new(PtrKind::MapValue(meta.map.unwrap_or(0)), 0)),
            Ret::MapValueOrNull => {
                let m = meta.map.unwrap_or(0);
                let kind = match (&self.maps[m as usize].map_type, self.inner_index(m)) {
                    (MapType::ArrayOfMaps | MapType::HashOfMaps, Some(inner)) => {
                        PtrKind::Map(inner)
                    }
                    _ => PtrKind::MapValue(m),
                };
                fresh(st, kind, false, 0)
            }
            Ret::RingbufRecordOrNull => {
                let size = meta.alloc_size.unwrap_or(0) as u32;
                fresh(
                    st,
                    PtrKind::Mem {
                        size,
                        read_only: false,
                    },
                    true,
                    0,
                )
            }
            Ret::DynptrMemOrNull => {
                let size = meta.alloc_size.unwrap_or(0) as u32;
                fresh(
                    st,
                    PtrKind::Mem {
                        size,
                        read_only: false,
                    },
                    false,
                    0,
                )
            }
            Ret::SocketOrNull => fresh(
                st,
                PtrKind::Socket(SocketKind::Full),
                acquires,
                meta.socket_ref,
            ),
            Ret::SockCommonOrNull => fresh(
                st,
                PtrKind::Socket(SocketKind::Common),
                acquires,
                meta.socket_ref,
            ),
            Ret::TcpSockOrNull => {
                fresh(st, PtrKind::Socket(SocketKind::Tcp), false, meta.socket_ref)
            }
            Ret::BtfId { nullable, .. } => {
                let mut p = Pointer::new(PtrKind::BtfObject, 0);
                if nullable {
                    p.maybe_null = true;
                    p.id = st.fresh_id();
                }
                Reg::Ptr(p)
            }
            Ret::MemOrBtfId => Reg::Ptr(Pointer::new(PtrKind::BtfObject, 0)),
            Ret::MemOrBtfIdOrNull => fresh(st, PtrKind::BtfObject, false, 0),
            _ => Reg::unknown(),
        }
    }

    /// Runs callback `target` of helper `id` called at `pc` with caller registers `args`,
    /// or (when `may_skip`, the helper may run it no time) skips it.
    pub(crate) fn enter_callback(
        &self,
        st: &mut State,
        pc: usize,
        id: u32,
        target: u32,
        args: &[Reg; NUM_REGS],
        may_skip: bool,
    ) -> Result<Step, Fault> {
        if st.frames.len() >= MAX_CALL_FRAMES {
            return Err(call_depth_fault(st.frames.len() + 1));
        }
        let mut regs = [Reg::Uninit; NUM_REGS];
        let map = |a: &Reg| a.pointer().map(|p| p.kind);
        match id {
            181 => {
                regs[1] = Reg::Scalar(Scalar::loaded(4, false));
                regs[2] = args[3];
            }
            164 => {
                let Some(PtrKind::Map(m)) = map(&args[1]) else {
                    return Err(Fault::new(
                        Rule::HelperArgument,
                        &[1],
                        "for_each_map_elem needs a map",
                    ));
                };
                regs[1] = args[1];
                regs[2] = Reg::Ptr(Pointer::new(PtrKind::MapKey(m), 0));
                regs[3] = Reg::Ptr(Pointer::new(PtrKind::MapValue(m), 0));
                regs[4] = args[3];
            }
            180 => {
                regs[1] = Reg::Ptr(Pointer::new(PtrKind::BtfObject, 0));
                regs[2] = Reg::Ptr(Pointer::new(PtrKind::BtfObject, 0));
                regs[3] = args[4];
            }
            _ => {
                return Err(Fault::new(
                    Rule::Unsupported,
                    &[],
                    format!("ebee does not check the callbacks of helper {id} yet"),
                ));
            }
        }
        let frame = st.frames.len() as u8;
        regs[10] = Reg::Ptr(Pointer::new(PtrKind::Stack { frame }, 0));
        let skipped = may_skip.then(|| st.clone());
        st.frames.push(Frame {
            regs,
            stack: Default::default(),
            return_pc: Some(pc + 1),
            function: target as usize,
            callback: Some(Callback {
                call_pc: pc,
                max_return: 1,
                args: *args,
                helper: id,
            }),
        });
        self.note_call(st.frames[frame as usize - 1].function, target as usize);
        Ok(match skipped {
            Some(caller) => Step::Fork {
                pc: target as usize,
                other: (pc + 1, caller),
                branch: None,
            },
            None => Step::Goto(target as usize),
        })
    }

    pub(crate) fn local_call(&self, st: &mut State, insn: &Instruction) -> Result<Step, Fault> {
        if st.frames.len() >= MAX_CALL_FRAMES {
            return Err(call_depth_fault(st.frames.len() + 1));
        }
        let target = insn.branch_target().expect("a local call has a target") as usize;
        let frame = st.frames.len() as u8;
        let mut regs = [Reg::Uninit; NUM_REGS];
        regs[1..=5].copy_from_slice(&st.frame().regs[1..=5]);
        regs[10] = Reg::Ptr(Pointer::new(PtrKind::Stack { frame }, 0));
        self.note_call(st.frame().function, target);
        st.frames.push(Frame {
            regs,
            stack: Default::default(),
            return_pc: Some(insn.pc + 1),
            function: target,
            callback: None,
        });
        Ok(Step::Goto(target))
    }

    pub(crate) fn exit(&self, st: &mut State) -> Result<Step, Fault> {
        let r0 = st.reg(0);
        if r0 == Reg::Uninit {
            return Err(uninit(0).suggest("set the return value (r0) on every path before exit"));
        }
        if st.frames.len() == 1 {
            return self.program_exit(st, r0);
        }
        let depth = st.frames.len() as u8 - 1;
        if let Reg::Ptr(Pointer {
            kind: PtrKind::Stack { frame },
            ..
        }) = r0
        {
            if frame == depth {
                return Err(Fault::new(Rule::Stack, &[0], "a function returns a pointer to its own stack (cannot return stack pointer to the caller frame)"));
            }
        }
        let callee = st.frames.pop().expect("more than one frame");
        let return_pc = callee.return_pc.expect("a called frame returns");
        match callee.callback {
            None => {
                st.set(0, r0);
                for r in 1..=5 {
                    st.set(r, Reg::Uninit);
                }
                Ok(Step::Goto(return_pc))
            }
            Some(cb) => {
                match r0 {
                    Reg::Scalar(v) if v.umax <= cb.max_return => {}
                    _ => {
                        return Err(Fault::new(Rule::ReturnValue, &[0], format!("a callback must return 0..={}, here r0 = {r0} (At callback return the register R0 should have been in [0, {}])", cb.max_return, cb.max_return)));
                    }
                }
                // Called again with what it left, widened so that the iterations converge.
                let mut again = st.clone();
                again.widen_scalar_spills();
                for r in 1..=5 {
                    st.set(r, Reg::Uninit);
                }
                st.set(0, Reg::unknown());
                let _ = self.enter_callback(
                    &mut again,
                    cb.call_pc,
                    cb.helper,
                    callee.function as u32,
                    &cb.args,
                    false,
                )?;
                Ok(Step::Fork {
                    pc: return_pc,
                    other: (callee.function, again),
                    branch: None,
                })
            }
        }
    }

    fn program_exit(&self, st: &State, r0: Reg) -> Result<Step, Fault> {
        if let Some(lock) = st.lock {
            return Err(Fault::new(Rule::SpinLock, &[], format!("the program exits holding the bpf_spin_lock taken at instruction {} (BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region)", lock.pc)));
        }
        if let Some(r) = st.refs.first() {
            return Err(Fault::new(Rule::Reference, &[], format!("the reference acquired at instruction {} is not released on this path (Unreleased reference id={} alloc_insn={})", r.pc, r.id, r.pc))
                .suggest("release it (bpf_sk_release, bpf_ringbuf_submit/discard) on every path before exit"));
        }
        let range = self.env.spec.and_then(|s| s.return_range);
        match (r0, range) {
            (Reg::Ptr(p), Some((lo, hi))) => Err(Fault::new(Rule::ReturnValue, &[0], format!("the program returns {p}, not a number in [{lo}, {hi}] (At program exit the register R0 is not a known value; should have been in [{lo}, {hi}])"))),
            (Reg::Ptr(p), None) if !self.env.options.allow_ptr_leaks() => Err(Fault::new(Rule::PointerLeak, &[0], format!("the program returns {p} (R0 leaks addr as return value)"))),
            (Reg::Scalar(v), Some((lo, hi))) if v.smin < lo as i64 || v.smax > hi as i64 => Err(Fault::new(
                Rule::ReturnValue,
                &[0],
                format!("the program may return {v}, outside [{lo}, {hi}] (At program exit the register R0 has smin={} smax={} should have been in [{lo}, {hi}])", v.smin, v.smax),
            )
            .suggest(format!("return only values in [{lo}, {hi}] for this program type")))
            ,
            _ => Ok(Step::End),
        }
    }

    pub(crate) fn legacy_packet_load(
        &self,
        st: &mut State,
        insn: &Instruction,
        size: u8,
        indirect: bool,
    ) -> Result<(), Fault> {
        if !self.env.spec.is_some_and(|s| s.legacy_packet_access) {
            return Err(Fault::new(Rule::LegacyPacketLoad, &[], "this program type has no skb for legacy packet loads (BPF_LD_[ABS|IND] instructions not allowed for this program type)"));
        }
        if !st.refs.is_empty() {
            return Err(Fault::new(Rule::Reference, &[], "legacy packet loads may exit the program, leaking the references held (BPF_LD_[ABS|IND] cannot be mixed with socket references)"));
        }
        if st.lock.is_some() {
            return Err(Fault::new(Rule::SpinLock, &[], "legacy packet load while holding a lock (BPF_LD_[ABS|IND] cannot be used inside bpf_spin_lock-ed region)"));
        }
        match st.reg(6) {
            Reg::Uninit => return Err(uninit(6)),
            Reg::Ptr(p) if p.kind == PtrKind::Ctx && p.off == 0 && p.fixed() => {}
            other => return Err(Fault::new(Rule::LegacyPacketLoad, &[6], format!("legacy packet loads read the skb in r6, which is {other} (at the time of BPF_LD_ABS|IND R6 != pointer to skb)"))),
        }
        if indirect && st.reg(insn.src) == Reg::Uninit {
            return Err(uninit(insn.src));
        }
        for r in 1..=5 {
            st.set(r, Reg::Uninit);
        }
        st.set(0, Reg::Scalar(Scalar::loaded(size, false)));
        Ok(())
    }
}

/// Drops reference `id`; every pointer that was it becomes a number (`as_number`, root) or
/// unreadable, as the kernel's `mark_reg_invalid`.
fn release(st: &mut State, id: u32, as_number: bool) {
    st.refs.retain(|r| r.id != id);
    let gone = if as_number {
        Reg::unknown()
    } else {
        Reg::Uninit
    };
    st.for_each_reg(|r| {
        if matches!(r, Reg::Ptr(p) if p.ref_obj == id) {
            *r = gone;
        }
    });
}

fn call_depth_fault(frames: usize) -> Fault {
    Fault::new(
        Rule::CallStack,
        &[],
        format!("calls nest deeper than 8 frames (the call stack of {frames} frames is too deep)"),
    )
}
