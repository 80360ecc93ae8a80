//! `BPF_MAP_TYPE_LPM_TRIE` (`kernel/bpf/lpm_trie.c`): a binary trie of prefixes with
//! intermediate nodes. Keys are `struct bpf_lpm_trie_key { u32 prefixlen; u8 data[]; }`
//! (prefix length in host byte order, data most significant byte first). Lookups walk the
//! trie without locks and return the longest matching prefix; updates and deletes match
//! exactly and take the trie's lock. Replaced and removed nodes are retired to the epoch
//! collector, as the kernel frees them after an RCU grace period.

use crate::mem::{self, KeyBytes, Words};
use crate::Guard;
use crossbeam_epoch::{self as epoch, Atomic, Owned, Shared};
use ebee_abi::{flags::*, Errno};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, Ordering::*};
use std::sync::Mutex;

struct LpmNode {
    child: [Atomic<LpmNode>; 2],
    prefixlen: u32,
    /// An intermediate node: no value of its own. Set under the trie lock.
    im: AtomicBool,
    data: KeyBytes,
    value: Words,
}

pub(crate) struct LpmTrie {
    root: Atomic<LpmNode>,
    lock: Mutex<usize>,
    max_entries: usize,
    max_prefixlen: u32,
    value_size: usize,
}

fn bit(data: &[u8], index: u32) -> usize {
    let byte = data.get(index as usize / 8).copied().unwrap_or(0);
    usize::from(byte >> (7 - index % 8) & 1)
}

/// Splits a key into its prefix length and data.
fn split(key: &[u8]) -> (u32, &[u8]) {
    let mut len = [0u8; 4];
    len.copy_from_slice(&key[..4]);
    (u32::from_ne_bytes(len), &key[4..])
}

/// The leftmost non-intermediate node under `cur`: the first key in post-order.
fn leftmost<'g>(mut cur: Option<&'g LpmNode>, g: &'g epoch::Guard) -> Option<&'g LpmNode> {
    let mut next = None;
    while let Some(n) = cur {
        if n.im.load(Acquire) {
            cur = deref(n.child[0].load(Acquire, g));
        } else {
            next = Some(n);
            cur = deref(n.child[0].load(Acquire, g)).or_else(|| deref(n.child[1].load(Acquire, g)));
        }
    }
    next
}

fn deref<'g>(p: Shared<'g, LpmNode>) -> Option<&'g LpmNode> {
    // SAFETY: every node reachable from the trie is retired (never freed directly) after it
    // is unlinked, so it outlives the guard `p` was loaded under.
    unsafe { p.as_ref() }
}

impl LpmTrie {
    pub(crate) fn new(key_size: u32, value_size: u32, max_entries: u32) -> LpmTrie {
        let data_size = key_size as usize - 4;
        LpmTrie {
            root: Atomic::null(),
            lock: Mutex::new(0),
            max_entries: max_entries as usize,
            max_prefixlen: data_size as u32 * 8,
            value_size: value_size as usize,
        }
    }

    fn longest_prefix_match(&self, node: &LpmNode, prefixlen: u32, data: &[u8]) -> u32 {
        let limit = node.prefixlen.min(prefixlen);
        let (mut a, mut b) = (node.data.as_slice(), data);
        let mut matched = 0u32;
        // Compare 8, then 4, then 1 byte(s) at a time, most significant first.
        while a.len() >= 8 && b.len() >= 8 {
            let diff = u64::from_be_bytes(a[..8].try_into().unwrap_or_default())
                ^ u64::from_be_bytes(b[..8].try_into().unwrap_or_default());
            matched += diff.leading_zeros();
            if diff != 0 || matched >= limit {
                return matched.min(limit);
            }
            (a, b) = (&a[8..], &b[8..]);
        }
        while a.len() >= 4 && b.len() >= 4 {
            let diff = u32::from_be_bytes(a[..4].try_into().unwrap_or_default())
                ^ u32::from_be_bytes(b[..4].try_into().unwrap_or_default());
            matched += diff.leading_zeros();
            if diff != 0 || matched >= limit {
                return matched.min(limit);
            }
            (a, b) = (&a[4..], &b[4..]);
        }
        for (x, y) in a.iter().zip(b) {
            let diff = x ^ y;
            matched += diff.leading_zeros();
            if diff != 0 || matched >= limit {
                break;
            }
        }
        matched.min(limit)
    }

    /// The most specific stored (non-intermediate) prefix containing the key.
    fn best<'g>(&self, key: &[u8], g: &'g epoch::Guard) -> Option<&'g LpmNode> {
        let (prefixlen, data) = split(key);
        if prefixlen > self.max_prefixlen {
            return None;
        }
        let mut found = None;
        let mut cur = deref(self.root.load(Acquire, g));
        while let Some(node) = cur {
            let matchlen = self.longest_prefix_match(node, prefixlen, data);
            if matchlen == self.max_prefixlen {
                return Some(node);
            }
            if matchlen < node.prefixlen {
                break;
            }
            if !node.im.load(Acquire) {
                found = Some(node);
            }
            cur = deref(node.child[bit(data, node.prefixlen)].load(Acquire, g));
        }
        found
    }

    /// Longest-prefix lookup: a pointer to the value of the most specific stored prefix that
    /// contains the key.
    #[inline]
    pub(crate) fn lookup_ptr(&self, key: &[u8], guard: &Guard) -> Option<NonNull<u8>> {
        let node = self.best(key, &guard.0)?;
        NonNull::new(node.value.as_ptr().cast::<u8>().cast_mut())
    }

    /// Host-side lookup (also longest-prefix, as the kernel's syscall does).
    pub(crate) fn lookup_copy(&self, key: &[u8], out: &mut [u8]) -> Result<(), Errno> {
        let guard = epoch::pin();
        let node = self.best(key, &guard).ok_or(Errno::ENOENT)?;
        mem::read(&node.value, 0, out);
        Ok(())
    }

    fn new_node(
        &self,
        prefixlen: u32,
        data: &[u8],
        value: Option<&[u8]>,
    ) -> Result<LpmNode, Errno> {
        let words = match value {
            Some(_) => Words::new(self.value_size as u64).ok_or(Errno::ENOMEM)?,
            None => Words::new(0).ok_or(Errno::ENOMEM)?,
        };
        if let Some(v) = value {
            mem::write(&words, 0, v);
        }
        Ok(LpmNode {
            child: [Atomic::null(), Atomic::null()],
            prefixlen,
            im: AtomicBool::new(value.is_none()),
            data: KeyBytes::new(data),
            value: words,
        })
    }

    /// `trie_update_elem`: inserts or replaces the exact prefix. A full trie is `-ENOSPC`.
    pub(crate) fn update(&self, key: &[u8], value: &[u8], flags: u64) -> Result<(), Errno> {
        if flags > BPF_EXIST {
            return Err(Errno::EINVAL);
        }
        let (prefixlen, data) = split(key);
        if prefixlen > self.max_prefixlen {
            return Err(Errno::EINVAL);
        }
        let new = self.new_node(prefixlen, data, Some(value))?;
        let guard = epoch::pin();
        let mut n_entries = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let check_add = |n: &mut usize| -> Result<(), Errno> {
            if flags == BPF_EXIST {
                return Err(Errno::ENOENT);
            }
            if *n >= self.max_entries {
                return Err(Errno::ENOSPC);
            }
            *n += 1;
            Ok(())
        };
        let mut slot = &self.root;
        let mut matchlen = 0;
        let mut node = None;
        while let Some(n) = deref(slot.load(Acquire, &guard)) {
            matchlen = self.longest_prefix_match(n, prefixlen, data);
            node = Some(n);
            if n.prefixlen != matchlen || n.prefixlen == prefixlen {
                break;
            }
            slot = &n.child[bit(data, n.prefixlen)];
            node = None;
        }
        let Some(node) = node else {
            check_add(&mut n_entries)?;
            slot.store(Owned::new(new), Release);
            return Ok(());
        };
        if node.prefixlen == matchlen {
            // Same prefix: replace the node (a real one, or an intermediate one).
            if node.im.load(Acquire) {
                check_add(&mut n_entries)?;
            } else if flags == BPF_NOEXIST {
                return Err(Errno::EEXIST);
            }
            new.child[0].store(node.child[0].load(Acquire, &guard), Relaxed);
            new.child[1].store(node.child[1].load(Acquire, &guard), Relaxed);
            let old = slot.swap(Owned::new(new), AcqRel, &guard);
            // SAFETY: `old` was just unlinked under the trie lock, by this thread only.
            unsafe { guard.defer_destroy(old) };
            crate::note_retired(&guard);
            return Ok(());
        }
        check_add(&mut n_entries)?;
        let old = slot.load(Acquire, &guard);
        if matchlen == prefixlen {
            // The new prefix contains the node: insert it above.
            new.child[bit(node.data.as_slice(), matchlen)].store(old, Relaxed);
            slot.store(Owned::new(new), Release);
            return Ok(());
        }
        // Branch: an intermediate node holding both.
        let im = match self.new_node(matchlen, node.data.as_slice(), None) {
            Ok(im) => im,
            Err(e) => {
                *n_entries -= 1;
                return Err(e);
            }
        };
        let new = Owned::new(new).into_shared(&guard);
        if bit(data, matchlen) == 1 {
            im.child[0].store(old, Relaxed);
            im.child[1].store(new, Relaxed);
        } else {
            im.child[0].store(new, Relaxed);
            im.child[1].store(old, Relaxed);
        }
        slot.store(Owned::new(im), Release);
        Ok(())
    }

    /// `trie_delete_elem`: removes the exact prefix, pruning intermediate nodes.
    pub(crate) fn delete(&self, key: &[u8]) -> Result<(), Errno> {
        let (prefixlen, data) = split(key);
        if prefixlen > self.max_prefixlen {
            return Err(Errno::EINVAL);
        }
        let guard = epoch::pin();
        let mut n_entries = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut trim = &self.root;
        let mut trim2 = trim;
        let mut parent: Option<&LpmNode> = None;
        let mut node = None;
        let mut matchlen = 0;
        while let Some(n) = deref(trim.load(Acquire, &guard)) {
            matchlen = self.longest_prefix_match(n, prefixlen, data);
            node = Some(n);
            if n.prefixlen != matchlen || n.prefixlen == prefixlen {
                break;
            }
            parent = Some(n);
            trim2 = trim;
            trim = &n.child[bit(data, n.prefixlen)];
            node = None;
        }
        let node = match node {
            Some(n)
                if n.prefixlen == prefixlen && n.prefixlen == matchlen && !n.im.load(Acquire) =>
            {
                n
            }
            _ => return Err(Errno::ENOENT),
        };
        *n_entries -= 1;
        let c0 = node.child[0].load(Acquire, &guard);
        let c1 = node.child[1].load(Acquire, &guard);
        if !c0.is_null() && !c1.is_null() {
            node.im.store(true, Release);
            return Ok(());
        }
        let node_ptr = trim.load(Acquire, &guard);
        if let Some(p) = parent.filter(|p| p.im.load(Acquire) && c0.is_null() && c1.is_null()) {
            let p0 = p.child[0].load(Acquire, &guard);
            let sibling = if p0 == node_ptr {
                p.child[1].load(Acquire, &guard)
            } else {
                p0
            };
            let parent_ptr = trim2.swap(sibling, AcqRel, &guard);
            // SAFETY: the parent is unlinked now (under the trie lock, by this thread).
            unsafe { guard.defer_destroy(parent_ptr) };
            // SAFETY: so is the node.
            unsafe { guard.defer_destroy(node_ptr) };
            crate::note_retired(&guard);
            crate::note_retired(&guard);
            return Ok(());
        }
        let child = if !c0.is_null() { c0 } else { c1 };
        trim.store(child, Release);
        // SAFETY: unlinked just now under the trie lock, by this thread.
        unsafe { guard.defer_destroy(node_ptr) };
        crate::note_retired(&guard);
        Ok(())
    }

    fn key_of(&self, node: &LpmNode) -> Vec<u8> {
        let mut k = node.prefixlen.to_ne_bytes().to_vec();
        k.extend_from_slice(node.data.as_slice());
        k
    }

    /// `trie_get_next_key`: post-order (more specific prefixes first); the first key for no
    /// key or a key not in the trie.
    pub(crate) fn next_key(&self, key: Option<&[u8]>) -> Result<Vec<u8>, Errno> {
        let guard = epoch::pin();
        let g = &guard;
        let root = deref(self.root.load(Acquire, g)).ok_or(Errno::ENOENT)?;
        let first = || {
            leftmost(Some(root), g)
                .map(|n| self.key_of(n))
                .ok_or(Errno::ENOENT)
        };
        let Some((prefixlen, data)) = key.map(split).filter(|(p, _)| *p <= self.max_prefixlen)
        else {
            return first();
        };
        let mut stack: Vec<&LpmNode> = Vec::new();
        let mut cur = Some(root);
        let mut matchlen = 0;
        while let Some(n) = cur {
            stack.push(n);
            matchlen = self.longest_prefix_match(n, prefixlen, data);
            if n.prefixlen != matchlen || n.prefixlen == prefixlen {
                break;
            }
            cur = deref(n.child[bit(data, n.prefixlen)].load(Acquire, g));
        }
        match (cur, stack.last()) {
            (Some(n), _) if n.prefixlen == matchlen && !n.im.load(Acquire) => {}
            _ => return first(),
        }
        let mut node = stack.pop().ok_or(Errno::ENOENT)?;
        while let Some(&parent) = stack.last() {
            if std::ptr::eq(parent.child[0].load(Acquire, g).as_raw(), node) {
                if let Some(right) = deref(parent.child[1].load(Acquire, g)) {
                    return leftmost(Some(right), g)
                        .map(|n| self.key_of(n))
                        .ok_or(Errno::ENOENT);
                }
            }
            if !parent.im.load(Acquire) {
                return Ok(self.key_of(parent));
            }
            node = parent;
            stack.pop();
        }
        Err(Errno::ENOENT)
    }

    pub(crate) fn len(&self) -> usize {
        *self.lock.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for LpmTrie {
    fn drop(&mut self) {
        // SAFETY: `&mut self`: no other thread can reach the trie; every node still linked is
        // owned by it and visited once.
        let guard = unsafe { epoch::unprotected() };
        let mut stack = vec![self.root.swap(Shared::null(), Relaxed, guard)];
        while let Some(p) = stack.pop() {
            if p.is_null() {
                continue;
            }
            // SAFETY: see above.
            let node = unsafe { p.into_owned() };
            stack.push(node.child[0].load(Relaxed, guard));
            stack.push(node.child[1].load(Relaxed, guard));
        }
    }
}
