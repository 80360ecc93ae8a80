//! TC verdicts: the `TC_ACT_*` values of `linux/pkt_cls.h`, what a TC classifier or action
//! returns (as a 32-bit value; `TC_ACT_UNSPEC` is -1).

/// Use the default action configured for the qdisc (-1).
pub const TC_ACT_UNSPEC: i32 = -1;
/// Pass the packet on.
pub const TC_ACT_OK: i32 = 0;
/// Restart classification.
pub const TC_ACT_RECLASSIFY: i32 = 1;
/// Drop the packet.
pub const TC_ACT_SHOT: i32 = 2;
/// Continue with the next action.
pub const TC_ACT_PIPE: i32 = 3;
/// Consumed by the action.
pub const TC_ACT_STOLEN: i32 = 4;
/// Queued by the action.
pub const TC_ACT_QUEUED: i32 = 5;
/// Run the action again.
pub const TC_ACT_REPEAT: i32 = 6;
/// Redirected (`bpf_redirect`).
pub const TC_ACT_REDIRECT: i32 = 7;
/// Trapped to the CPU (hardware offload).
pub const TC_ACT_TRAP: i32 = 8;
