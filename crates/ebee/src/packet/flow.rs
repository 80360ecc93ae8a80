//! The flow dissector's test run (`bpf_prog_test_run_flow_dissector`, through
//! `bpf_flow_dissect`): the packet from its Ethernet header without head- or tailroom, and a
//! `struct bpf_flow_keys` the host context's `flow_keys` points to. `ctx_in` is a
//! `bpf_flow_keys` of which only `flags` may be set; the keys start zeroed but for
//! `nhoff` and `thoff` (the Ethernet header's length), `n_proto` (its type) and `flags`.
//! After the run `nhoff` is clamped to [14, packet length] and `thoff` to [nhoff, packet
//! length] (both at most 65535); `data_out` is the keys, `ctx_out` the input.

use super::{u32_at, PacketRun, Redirect, ETH_HLEN};
use crate::program_type::{pointer_slot, FLOW_KEYS_FIELDS, FLOW_KEYS_SIZE};

/// Offset of field `name` of `struct bpf_flow_keys`.
fn key(name: &str) -> usize {
    let field = FLOW_KEYS_FIELDS.iter().find(|f| f.name == name);
    field.expect("a bpf_flow_keys field").offset as usize
}

impl PacketRun {
    fn set_key_u16(&mut self, name: &str, value: u16) {
        let at = key(name);
        self.flow_keys[at..at + 2].copy_from_slice(&value.to_ne_bytes());
    }

    fn key_u16(&self, name: &str) -> u16 {
        let at = key(name);
        u16::from_ne_bytes([self.flow_keys[at], self.flow_keys[at + 1]])
    }

    /// Builds the packet and the keys (see the module documentation).
    pub(super) fn init_flow_dissector(
        &mut self,
        data_in: &[u8],
        ctx_in: Option<&[u8]>,
    ) -> Result<(), String> {
        self.ctx_in.clear();
        if let Some(c) = ctx_in {
            if c.len() > FLOW_KEYS_SIZE && c[FLOW_KEYS_SIZE..].iter().any(|&b| b != 0) {
                return Err(format!(
                    "context of {} bytes has non-zero bytes past the {FLOW_KEYS_SIZE} of \
                     struct bpf_flow_keys",
                    c.len()
                ));
            }
            self.ctx_in
                .extend_from_slice(&c[..c.len().min(FLOW_KEYS_SIZE)]);
        }
        self.ctx_in.resize(FLOW_KEYS_SIZE, 0);
        let flags_at = key("flags");
        let others = (0..FLOW_KEYS_SIZE).filter(|i| !(flags_at..flags_at + 4).contains(i));
        if others.into_iter().any(|i| self.ctx_in[i] != 0) {
            return Err("bpf_flow_keys: only flags may be set in a test run".into());
        }
        self.pulled = 0;
        self.buffer.clear();
        self.buffer.extend_from_slice(data_in);
        self.flow_keys.clear();
        self.flow_keys.resize(FLOW_KEYS_SIZE, 0);
        self.set_key_u16("nhoff", ETH_HLEN as u16);
        self.set_key_u16("thoff", ETH_HLEN as u16);
        let n_proto = key("n_proto");
        self.flow_keys[n_proto..n_proto + 2].copy_from_slice(&data_in[12..14]);
        let flags = u32_at(&self.ctx_in, flags_at);
        self.flow_keys[flags_at..flags_at + 4].copy_from_slice(&flags.to_ne_bytes());
        self.set_pointers(0, data_in.len(), 0);
        let keys = self.flow_keys.as_ptr() as u64;
        let at = pointer_slot(self.spec, 3);
        self.ctx_bytes()[at..at + 8].copy_from_slice(&keys.to_ne_bytes());
        Ok(())
    }

    /// `(data_out, ctx_out, redirect)`: the keys after `bpf_flow_dissect`'s clamping, the
    /// input context.
    pub(super) fn finish_flow_dissector(&mut self) -> (Vec<u8>, Vec<u8>, Option<Redirect>) {
        let hlen = self.buffer.len().min(u16::MAX as usize) as u16;
        let nhoff = self.key_u16("nhoff").clamp(ETH_HLEN as u16, hlen);
        let thoff = self.key_u16("thoff").clamp(nhoff, hlen);
        self.set_key_u16("nhoff", nhoff);
        self.set_key_u16("thoff", thoff);
        (self.flow_keys.clone(), self.ctx_in.clone(), None)
    }
}
