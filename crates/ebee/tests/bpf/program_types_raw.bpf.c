// SPDX-License-Identifier: GPL-2.0
// Programs of types the kernel oracle loads from raw instructions (no maps):
// lwt_in/out/xmit, syscall and the unix sock_addr hooks (tests/program_types_raw.rs).
// lwt programs report what they read through the context fields a test run gives back
// (cb, mark, priority) and their return value; the syscall program through its buffer.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "ctx_access.h"

#define SKB(f) OFF(__sk_buff, f)

/* Three groups of reads: cb[0..4], mark and priority get seven values, r0 an eighth. */
static __always_inline int lwt(struct __sk_buff *s, int group)
{
	__u32 v[8];
	void *data = (void *)(long)s->data, *end = (void *)(long)s->data_end;

	if (group == 0) {
		v[0] = R32(s, SKB(len));
		v[1] = R32(s, SKB(pkt_type));
		v[2] = R32(s, SKB(queue_mapping));
		v[3] = R32(s, SKB(protocol));
		v[4] = R32(s, SKB(vlan_present));
		v[5] = R32(s, SKB(vlan_tci));
		v[6] = R32(s, SKB(vlan_proto));
		v[7] = R32(s, SKB(ingress_ifindex));
	} else if (group == 1) {
		v[0] = R32(s, SKB(ifindex));
		v[1] = R32(s, SKB(tc_index));
		v[2] = R32(s, SKB(hash));
		v[3] = R32(s, SKB(napi_id));
		v[4] = R32(s, SKB(gso_segs));
		v[5] = R32(s, SKB(gso_size));
		v[6] = end - data;
		v[7] = (s->sk != 0) | (data + 1 <= end ? *(__u8 *)data << 8 : 0);
	} else {
		/* What the context brought, and narrow reads. */
		v[0] = R32(s, SKB(mark)) ^ R32(s, SKB(priority));
		v[1] = R32(s, SKB(cb[0])) + R32(s, SKB(cb[4]));
		v[2] = R8(s, SKB(len) + 1) | R16(s, SKB(protocol) + 2) << 8;
		v[3] = R8(s, SKB(pkt_type) + 3) | R8(s, SKB(mark) + 1) << 8;
		v[4] = R64(s, SKB(cb[2])) >> 8;
		v[5] = R16(s, SKB(gso_segs)) | R16(s, SKB(tc_index) + 2) << 16;
		v[6] = R8(s, SKB(ifindex)) | R16(s, SKB(cb[1]) + 2) << 8;
		v[7] = R8(s, SKB(priority) + 2);
	}
	R32(s, SKB(cb[0])) = v[0];
	R32(s, SKB(cb[1])) = v[1];
	R32(s, SKB(cb[2])) = v[2];
	R32(s, SKB(cb[3])) = v[3];
	R32(s, SKB(cb[4])) = v[4];
	R32(s, SKB(mark)) = v[5];
	R32(s, SKB(priority)) = v[6];
	return v[7];
}

#define LWT(type, group)                                                                   \
	SEC(#type) int type##_##group(struct __sk_buff *s) { return lwt(s, group); }

LWT(lwt_in, 0)
LWT(lwt_in, 1)
LWT(lwt_in, 2)
LWT(lwt_out, 0)
LWT(lwt_out, 1)
LWT(lwt_out, 2)
LWT(lwt_xmit, 0)
LWT(lwt_xmit, 1)
LWT(lwt_xmit, 2)

/* Reads of every size from the first 32 bytes, results written to bytes 32..48. */
SEC("syscall")
int sys(void *ctx)
{
	R64(ctx, 32) = R64(ctx, 0) + R32(ctx, 8) + R32(ctx, 12);
	R32(ctx, 40) = R16(ctx, 16) | R8(ctx, 19) << 16;
	R16(ctx, 44) = R16(ctx, 22) ^ R8(ctx, 31);
	R8(ctx, 46) = R8(ctx, 24) + 1;
	R8(ctx, 47) = 0x5a;
	return R32(ctx, 28) ^ 0x55;
}

/* Unix sock_addr hooks: no addresses, only the port and the fixed fields. */
static __always_inline int unix_hook(struct bpf_sock_addr *a)
{
	__u32 sum = R32(a, OFF(bpf_sock_addr, user_family)) + R32(a, OFF(bpf_sock_addr, family)) +
		    R32(a, OFF(bpf_sock_addr, type)) + R32(a, OFF(bpf_sock_addr, protocol)) +
		    R16(a, OFF(bpf_sock_addr, user_port));

	R32(a, OFF(bpf_sock_addr, user_port)) = sum;
	return 1;
}

SEC("cgroup/connect_unix") int connect_unix(struct bpf_sock_addr *a) { return unix_hook(a); }
SEC("cgroup/sendmsg_unix") int sendmsg_unix(struct bpf_sock_addr *a) { return unix_hook(a); }
SEC("cgroup/recvmsg_unix") int recvmsg_unix(struct bpf_sock_addr *a) { return unix_hook(a); }
SEC("cgroup/getpeername_unix") int getpeername_unix(struct bpf_sock_addr *a) { return unix_hook(a); }
SEC("cgroup/getsockname_unix") int getsockname_unix(struct bpf_sock_addr *a) { return unix_hook(a); }

char _license[] SEC("license") = "GPL";
