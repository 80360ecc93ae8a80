//! What packet helpers need of a run's packet: its place (context and buffer addresses) and
//! the data, data_end and data_meta pointers of the host context, read and written through
//! the VM's checked memory access.

use super::{Redirect, SkbMeta};
use crate::program_type::{pointer_slot, ProgramTypeSpec};
use crate::runtime::RunState;
use ebee_vm::{HelperEnv, HelperError};

/// The packet pointers of the host context (absolute addresses into the buffer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Pointers {
    /// `data`: the first byte of the packet.
    pub data: u64,
    /// `data_end`: one past the last byte.
    pub data_end: u64,
    /// `data_meta`: the first byte of the metadata (equal to `data` when there is none).
    pub data_meta: u64,
}

impl Pointers {
    /// `data_end - data`: the packet length.
    pub fn len(&self) -> u64 {
        self.data_end.saturating_sub(self.data)
    }
}

/// Where a run's packet lives, copied out of the run's [`PacketState`] so that a helper can
/// write program memory while using it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PacketPlace {
    /// The program type (its context layout and packet kind).
    pub spec: &'static ProgramTypeSpec,
    /// Address of the host context.
    pub ctx: u64,
    /// First byte of the buffer.
    pub buffer_start: u64,
    /// One past the last byte of the buffer.
    pub buffer_end: u64,
    /// The skb state beyond the context, as the run's state had it when this was taken.
    pub skb: SkbMeta,
}

impl PacketPlace {
    /// The packet of the running program, or an error for programs without one.
    pub(crate) fn of(env: &HelperEnv<'_, '_>, helper: &str) -> Result<PacketPlace, HelperError> {
        let state = env
            .host_state::<RunState>()
            .and_then(|s| s.packet.as_ref())
            .ok_or_else(|| {
                format!("bpf_{helper} needs a packet context (XDP, TC or socket filter)")
            })?;
        Ok(PacketPlace {
            spec: state.spec,
            ctx: state.ctx,
            buffer_start: state.buffer_start,
            buffer_end: state.buffer_end,
            skb: state.skb.get(),
        })
    }

    /// Address of pointer slot `slot` (0 = data, 1 = data_end, 2 = data_meta).
    fn slot(&self, slot: u8) -> u64 {
        self.ctx + pointer_slot(self.spec, slot) as u64
    }

    /// The current packet pointers, as the program would read them; an error if they are
    /// not ordered inside the buffer (only an unverified program could have overwritten
    /// them).
    pub(crate) fn pointers(&self, env: &HelperEnv<'_, '_>) -> Result<Pointers, HelperError> {
        let read = |slot| -> Result<u64, HelperError> {
            let bytes = env.read(self.slot(slot), 8)?;
            let bytes: [u8; 8] = bytes
                .try_into()
                .map_err(|_| "short read of a packet pointer")?;
            Ok(u64::from_ne_bytes(bytes))
        };
        let p = Pointers {
            data: read(0)?,
            data_end: read(1)?,
            data_meta: read(2)?,
        };
        self.check(p)?;
        Ok(p)
    }

    /// Checks that `p` is ordered (`data_meta <= data <= data_end`) inside the buffer.
    fn check(&self, p: Pointers) -> Result<(), HelperError> {
        let ordered = self.buffer_start <= p.data_meta
            && p.data_meta <= p.data
            && p.data <= p.data_end
            && p.data_end <= self.buffer_end;
        if !ordered {
            return Err(format!(
                "packet bounds {p:x?} outside the buffer {:#x}..{:#x}",
                self.buffer_start, self.buffer_end
            )
            .into());
        }
        Ok(())
    }

    /// Stores new packet pointers in the host context, after checking them.
    pub(crate) fn set_pointers(
        &self,
        env: &mut HelperEnv<'_, '_>,
        p: Pointers,
    ) -> Result<(), HelperError> {
        self.check(p)?;
        for (slot, value) in [(0, p.data), (1, p.data_end), (2, p.data_meta)] {
            env.write(self.slot(slot), &value.to_ne_bytes())?;
        }
        Ok(())
    }

    /// Absolute address of the buffer offset `offset`.
    pub(crate) fn at(&self, offset: u64) -> u64 {
        self.buffer_start + offset
    }

    /// The buffer offset of the address `address`.
    pub(crate) fn offset(&self, address: u64) -> u64 {
        address - self.buffer_start
    }

    /// Stores the skb state beyond the context.
    pub(crate) fn set_skb(env: &HelperEnv<'_, '_>, skb: SkbMeta) {
        if let Some(state) = env.host_state::<RunState>().and_then(|s| s.packet.as_ref()) {
            state.skb.set(skb);
        }
    }

    /// Records where the program asked the packet to go.
    pub(crate) fn set_redirect(env: &HelperEnv<'_, '_>, redirect: Redirect) {
        if let Some(state) = env.host_state::<RunState>().and_then(|s| s.packet.as_ref()) {
            state.redirect.set(Some(redirect));
        }
    }
}
