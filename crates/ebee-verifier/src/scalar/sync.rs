//! Keeping the tnum and the eight bounds consistent: the kernel's `reg_bounds_sync`
//! (`__update_reg_bounds`, `__reg_deduce_bounds` with the 32 <-> 64-bit deductions,
//! `__reg_bound_offset`), as of Linux 6.12, plus one ebee step that moves every bound to the
//! nearest value the tnum allows.
//!
//! Every step is an implication that holds for each member of the set described before it,
//! so the described set never loses a member, whatever the input.

use super::Scalar;
use crate::tnum::Tnum;

impl Scalar {
    /// The kernel's `reg_bounds_sync`, then ebee's tightening to tnum members.
    pub(crate) fn sync(&mut self) {
        self.update_bounds();
        self.deduce_bounds();
        self.deduce_bounds();
        self.bound_offset();
        self.update_bounds();
        if self.tighten_to_members() {
            self.deduce_bounds();
            self.bound_offset();
            self.update_bounds();
        }
    }

    /// `sync` on a copy, `None` when the set is empty.
    pub(crate) fn synced_nonempty(mut self) -> Option<Scalar> {
        if !self.bounds_ordered() {
            return None;
        }
        self.sync();
        (self.bounds_ordered() && self.least_member().is_some()).then_some(self)
    }

    /// Every minimum at most its maximum and the tnum well formed.
    pub(crate) fn bounds_ordered(&self) -> bool {
        self.umin <= self.umax
            && self.smin <= self.smax
            && self.u32_min <= self.u32_max
            && self.s32_min <= self.s32_max
            && self.var_off.value & self.var_off.mask == 0
    }

    /// `__update_reg32_bounds` and `__update_reg64_bounds`: bounds from the known bits.
    fn update_bounds(&mut self) {
        let t = self.var_off.subreg();
        let (v, m) = (t.value as u32, t.mask as u32);
        self.s32_min = self.s32_min.max((v | (m & 0x8000_0000)) as i32);
        self.s32_max = self.s32_max.min((v | (m & 0x7fff_ffff)) as i32);
        self.u32_min = self.u32_min.max(v);
        self.u32_max = self.u32_max.min(v | m);
        let t = self.var_off;
        self.smin = self.smin.max((t.value | (t.mask & (1 << 63))) as i64);
        self.smax = self.smax.min((t.value | (t.mask & i64::MAX as u64)) as i64);
        self.umin = self.umin.max(t.value);
        self.umax = self.umax.min(t.max());
    }

    /// `__reg_deduce_bounds`.
    fn deduce_bounds(&mut self) {
        self.deduce32();
        self.deduce64();
        self.deduce_mixed();
    }

    /// Narrows the 32-bit bounds to `lo..=hi` (as s32) when `lo <= hi`.
    fn meet_s32(&mut self, lo: i32, hi: i32) {
        (self.s32_min, self.s32_max) = (self.s32_min.max(lo), self.s32_max.min(hi));
    }

    /// `__reg32_deduce_bounds`: 32-bit bounds from the 64-bit ones and from each other.
    fn deduce32(&mut self) {
        // The high halves of the bounds agree: the low halves bound the subregister.
        if self.umin >> 32 == self.umax >> 32 {
            self.u32_min = self.u32_min.max(self.umin as u32);
            self.u32_max = self.u32_max.min(self.umax as u32);
            if self.umin as i32 <= self.umax as i32 {
                self.meet_s32(self.umin as i32, self.umax as i32);
            }
        }
        if self.smin >> 32 == self.smax >> 32 {
            self.u32_min = self.u32_min.max(self.smin as u32);
            self.u32_max = self.u32_max.min(self.smax as u32);
            if self.smin as i32 <= self.smax as i32 {
                self.meet_s32(self.smin as i32, self.smax as i32);
            }
        }
        // Two consecutive high halves, the low halves going from negative to non-negative.
        if ((self.umin >> 32) as u32).wrapping_add(1) == (self.umax >> 32) as u32
            && (self.umin as i32) < 0
            && (self.umax as i32) >= 0
        {
            self.meet_s32(self.umin as i32, self.umax as i32);
        }
        if ((self.smin >> 32) as u32).wrapping_add(1) == (self.smax >> 32) as u32
            && (self.smin as i32) < 0
            && (self.smax as i32) >= 0
        {
            self.meet_s32(self.smin as i32, self.smax as i32);
        }
        // The u32 range on one side of the sign bit is an s32 range, and the other way.
        if self.u32_min as i32 <= self.u32_max as i32 {
            self.meet_s32(self.u32_min as i32, self.u32_max as i32);
        }
        if self.s32_min as u32 <= self.s32_max as u32 {
            self.u32_min = self.u32_min.max(self.s32_min as u32);
            self.u32_max = self.u32_max.min(self.s32_max as u32);
        }
    }

    /// `__reg64_deduce_bounds`: signed and unsigned 64-bit bounds from each other.
    fn deduce64(&mut self) {
        if self.umin as i64 <= self.umax as i64 {
            self.smin = self.smin.max(self.umin as i64);
            self.smax = self.smax.min(self.umax as i64);
        }
        if self.smin as u64 <= self.smax as u64 {
            self.umin = self.umin.max(self.smin as u64);
            self.umax = self.umax.min(self.smax as u64);
        } else if self.umax < self.smin as u64 {
            // The signed range is `smin..=-1` and `0..=smax`; the unsigned one excludes the
            // negative part.
            self.smin = self.umin as i64;
            self.umax = self.umax.min(self.smax as u64);
        } else if (self.smax as u64) < self.umin {
            // ... or the non-negative part.
            self.smax = self.umax as i64;
            self.umin = self.umin.max(self.smin as u64);
        }
    }

    /// `__reg_deduce_mixed_bounds`: 64-bit bounds from the 32-bit ones.
    fn deduce_mixed(&mut self) {
        const HIGH: u64 = !0xffff_ffff;
        let new_umin = (self.umin & HIGH) | self.u32_min as u64;
        let new_umax = (self.umax & HIGH) | self.u32_max as u64;
        self.umin = self.umin.max(new_umin);
        self.umax = self.umax.min(new_umax);
        let new_smin = ((self.smin as u64 & HIGH) | self.u32_min as u64) as i64;
        let new_smax = ((self.smax as u64 & HIGH) | self.u32_max as u64) as i64;
        self.smin = self.smin.max(new_smin);
        self.smax = self.smax.min(new_smax);
        // A value in s32 range whose low half is non-negative is its low half.
        if self.s32_min >= 0 && self.smin >= i32::MIN as i64 && self.smax <= i32::MAX as i64 {
            (self.smin, self.smax) = (self.s32_min as i64, self.s32_max as i64);
            (self.umin, self.umax) = (self.s32_min as u64, self.s32_max as u64);
            self.var_off = self.var_off.intersect(Tnum::range(self.umin, self.umax));
        }
    }

    /// `__reg_bound_offset`: known bits from the unsigned bounds.
    fn bound_offset(&mut self) {
        let t64 = self.var_off.intersect(Tnum::range(self.umin, self.umax));
        let t32 = t64
            .subreg()
            .intersect(Tnum::range(self.u32_min as u64, self.u32_max as u64));
        self.var_off = t64.with_subreg(t32);
    }

    /// ebee: every bound moved to the nearest value the tnum allows. Whether one moved.
    fn tighten_to_members(&mut self) -> bool {
        let before = *self;
        let (t, t32) = (self.var_off, self.var_off.subreg());
        if let (Some(lo), Some(hi)) = (t.next_member(self.umin), t.prev_member(self.umax)) {
            (self.umin, self.umax) = (lo, hi);
        }
        if let (Some(lo), Some(hi)) = (
            t.next_signed_member(self.smin),
            t.prev_signed_member(self.smax),
        ) {
            (self.smin, self.smax) = (lo, hi);
        }
        let (lo, hi) = (
            t32.next_member(self.u32_min as u64),
            t32.prev_member(self.u32_max as u64),
        );
        if let (Some(lo), Some(hi)) = (lo, hi) {
            (self.u32_min, self.u32_max) = (lo as u32, hi as u32);
        }
        let t32s = t32.sign_extend(32);
        let (lo, hi) = (
            t32s.next_signed_member(self.s32_min as i64),
            t32s.prev_signed_member(self.s32_max as i64),
        );
        if let (Some(lo), Some(hi)) = (lo, hi) {
            (self.s32_min, self.s32_max) = (lo as i32, hi as i32);
        }
        *self != before
    }
}
