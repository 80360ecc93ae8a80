// SPDX-License-Identifier: GPL-2.0
// Nothing but the return: the per-run overhead of a test run.
#include "suite.h"

SEC("xdp") int empty(struct xdp_md *ctx)
{
	return XDP_PASS;
}
