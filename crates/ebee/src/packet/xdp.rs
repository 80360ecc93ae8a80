//! The XDP test run (`bpf_prog_test_run_xdp`, see the parent module's documentation).

use super::{
    u32_at, PacketRun, ETH_HLEN, XDP_FRAME_SIZE, XDP_FRAME_STRUCT, XDP_HEADROOM, XDP_MAX_METALEN,
    XDP_MAX_PACKET,
};

impl PacketRun {
    /// `bpf_prog_test_run_xdp`: the context may give a metadata length (`data`), which must
    /// be a multiple of 4 up to 32, with `data_meta` 0 and `data_end` the input length.
    pub(super) fn init_xdp(&mut self, data_in: &[u8]) -> Result<(), String> {
        let c = &self.ctx_in;
        let field = |name| u32_at(c, self.spec.offset_of(name));
        let (meta, end) = (field("data") as usize, field("data_end") as usize);
        let meta_field = field("data_meta");
        let (ingress, queue) = (field("ingress_ifindex"), field("rx_queue_index"));
        let given = c.iter().any(|&b| b != 0);
        if given {
            if meta_field != 0 || end > data_in.len() || meta > end {
                return Err("xdp_md: data_meta must be 0, data at most data_end, data_end at most the packet length".into());
            }
            if end < data_in.len() {
                // The kernel puts the bytes past data_end into fragments.
                return Err("xdp_md: data_end short of the packet length asks for a multi-buffer (frags) frame, which ebee does not support".into());
            }
            if meta % 4 != 0 || meta > XDP_MAX_METALEN || meta > XDP_HEADROOM - XDP_FRAME_STRUCT {
                return Err(format!(
                    "xdp_md: metadata of {meta} bytes: must be a multiple of 4 of at most {}",
                    XDP_HEADROOM - XDP_FRAME_STRUCT
                ));
            }
            if ingress == 0 && queue != 0 {
                return Err("xdp_md: rx_queue_index needs an ingress_ifindex".into());
            }
            // The kernel looks the device and queue up; ebee has only loopback's queue 0.
            if ingress > 1 || queue != 0 {
                return Err(format!(
                    "xdp_md: ingress_ifindex {ingress} queue {queue}: ebee has no network devices (only 1, loopback, with one queue)",
                ));
            }
        }
        if data_in.len() - meta < ETH_HLEN {
            return Err(format!(
                "packet of {} bytes after the metadata is shorter than an Ethernet header",
                data_in.len() - meta
            ));
        }
        if data_in.len() - meta > XDP_MAX_PACKET {
            return Err(format!(
                "packet of {} bytes exceeds the {XDP_MAX_PACKET} of one XDP buffer (the kernel would use fragments, which ebee does not support)",
                data_in.len() - meta
            ));
        }
        // The whole frame, as `bpf_prog_test_run_xdp` allocates it: `bpf_xdp_adjust_tail`
        // may grow the packet up to `XDP_FRAME_SIZE - TAILROOM`.
        let start = XDP_HEADROOM - meta;
        self.buffer.clear();
        self.buffer.resize(XDP_FRAME_SIZE, 0);
        self.buffer[start..start + data_in.len()].copy_from_slice(data_in);
        // Without an ingress_ifindex the test run uses loopback's queue 0.
        self.set_u32(self.spec.offset_of("ingress_ifindex"), ingress.max(1));
        self.set_u32(self.spec.offset_of("rx_queue_index"), queue);
        self.set_pointers(start + meta, start + data_in.len(), start);
        Ok(())
    }
}
