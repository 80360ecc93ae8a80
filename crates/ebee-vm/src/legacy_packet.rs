//! How the legacy packet loads (`ldabs*`, `ldind*`: BPF_LD|BPF_ABS and BPF_LD|BPF_IND, what
//! clang's `load_byte`/`load_half`/`load_word` compile to) reach the packet: through a hook
//! the embedder gives the [`Vm`](crate::Vm), for program types whose context is an skb.
//!
//! The VM knows no packets. Linux does not run these instructions either: its verifier
//! rewrites each into a call of `bpf_skb_load_helper_{8,16,32}_no_cache(skb = r6, offset)`
//! followed by "if the result is negative, return 0" (`bpf_gen_ld_abs`). ebee splits the
//! same way: the hook ([`LegacyPacketLoadFn`]) says *where* the bytes are, the VM does the
//! rest with the instruction's semantics:
//!
//! - the offset: `imm` (ABS) or the low 32 bits of `src + imm` (IND), as the `int` the
//!   kernel's helper takes;
//! - the hook resolves it against the skb in r6 (negative offsets `SKF_NET_OFF + n` and
//!   `SKF_LL_OFF + n` count from the network and link-layer headers) to an address, or to
//!   nothing when the bytes are outside the packet;
//! - the VM reads the bytes there (bounds-checked in checked mode, like any load) and
//!   converts them from network byte order into r0; for nothing, the current function
//!   returns 0 (the whole program, in the main function; the caller continues with r0 = 0
//!   after a bpf-to-bpf call, as the kernel's hidden `exit` does).
//!
//! At load the data-flow analysis requires r6 to hold the unmodified context pointer and
//! treats r1–r5 as clobbered afterwards, as the kernel's `check_ld_abs` does; a program with
//! legacy packet loads loads only into a `Vm` with a hook.
//!
//! Why a field of [`Vm`](crate::Vm) rather than a helper under a reserved id: a hook is not
//! callable by `call` or `callx`, its signature returns an address rather than r0 (so the
//! load itself stays a VM memory access, checked and converted in one place), and a `Vm`
//! without one refuses the instructions at load with an error that says so.

use crate::env::HelperEnv;
use crate::error::HelperError;

/// One legacy packet load, as the hook sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LegacyPacketLoad {
    /// r6: the context (load-time analysis proved it is the unmodified context pointer).
    pub ctx: u64,
    /// The offset the kernel's load helper gets: `imm`, or the low 32 bits of `src + imm`.
    pub offset: i32,
    /// The access size in bytes: 1, 2 or 4.
    pub size: u8,
}

/// Resolves a [`LegacyPacketLoad`] to the address of the `size` bytes it reads, `Ok(None)`
/// when they are outside the packet (the function then returns 0). An error stops the run
/// ([`crate::VmError::LegacyPacketLoad`]). The hook gets the run's [`HelperEnv`] read-only:
/// memory reads and the host state, as a helper has them.
///
/// ```
/// use ebee_vm::{ContextLayout, CtxAccess, HelperEnv, HelperError, HostField};
/// use ebee_vm::{Helpers, LegacyPacketLoad, Memory, Vm};
///
/// /// The context is the address of an 8-byte packet.
/// struct Skb;
/// impl ContextLayout for Skb {
///     fn translate(&self, _: CtxAccess) -> Result<HostField, String> {
///         Err("no fields".into())
///     }
/// }
/// fn packet(_: &HelperEnv<'_, '_>, load: LegacyPacketLoad) -> Result<Option<u64>, HelperError> {
///     let inside = load.offset >= 0 && load.offset as u64 + load.size as u64 <= 8;
///     Ok(inside.then(|| load.ctx + load.offset as u64))
/// }
/// let program = ebee_isa::assemble("mov %r6, %r1\nldabsh 2\nexit")?;
/// let vm = Vm::new(Helpers::new()).with_legacy_packet_load(packet);
/// let program = vm.load_with_context(&program, &Skb)?;
/// let bytes = [0, 0, 0x12, 0x34, 0, 0, 0, 0];
/// let mut memory = Memory::new();
/// let address = memory.add("packet", &bytes);
/// assert_eq!(program.run(&memory, &[address])?, 0x1234); // network byte order
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type LegacyPacketLoadFn =
    fn(&HelperEnv<'_, '_>, LegacyPacketLoad) -> Result<Option<u64>, HelperError>;
