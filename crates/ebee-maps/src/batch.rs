//! Batch reads: `BPF_MAP_LOOKUP_BATCH` and a whole-map snapshot.

use crate::map::{Kind, Map};
use ebee_abi::{flags::*, Errno};

/// A `(key, value)` pair copied out of a map (host value layout).
pub type Entry = (Vec<u8>, Vec<u8>);

/// Where a [`Map::lookup_batch`] continues: opaque, from the previous batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchCursor(Cursor);

#[derive(Clone, Debug, PartialEq, Eq)]
enum Cursor {
    /// Hash maps batch by bucket, as the kernel does.
    Bucket(usize),
    /// Other maps continue after this key (the kernel's generic batch).
    Key(Vec<u8>),
}

/// One [`Map::lookup_batch`] result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    /// `(key, value)` pairs (host value layout).
    pub entries: Vec<Entry>,
    /// Where the next batch starts; `None` once the whole map was read (the kernel then
    /// returns `-ENOENT` along with the last entries).
    pub next: Option<BatchCursor>,
}

impl Map {
    /// `BPF_MAP_LOOKUP_BATCH`: up to `max_count` entries from `cursor` (`None`: from the
    /// start). Hash maps return whole buckets, as in the kernel: `-ENOSPC` when the first
    /// bucket alone has more than `max_count` elements. `-ENOTSUPP` for map types without
    /// batch operations.
    pub fn lookup_batch(
        &self,
        cursor: Option<&BatchCursor>,
        max_count: u32,
    ) -> Result<Batch, Errno> {
        self.lookup_batch_with_flags(cursor, max_count, 0)
    }

    /// [`Map::lookup_batch`] with element flags (`BPF_F_LOCK`).
    pub fn lookup_batch_with_flags(
        &self,
        cursor: Option<&BatchCursor>,
        max_count: u32,
        elem_flags: u64,
    ) -> Result<Batch, Errno> {
        if elem_flags & !BPF_F_LOCK != 0 {
            return Err(Errno::EINVAL);
        }
        self.readable()?;
        self.check_lock_flag(elem_flags)?;
        let hash = matches!(self.kind, Kind::Hash(_));
        let generic = matches!(self.kind, Kind::Array(_) | Kind::MapArray(_) | Kind::Lpm(_));
        if !hash && !generic {
            return Err(Errno::ENOTSUPP);
        }
        if max_count == 0 {
            return Ok(Batch {
                entries: Vec::new(),
                next: cursor.cloned(),
            });
        }
        match (&self.kind, cursor.map(|c| &c.0)) {
            (Kind::Hash(h), None | Some(Cursor::Bucket(_))) => {
                let start = match cursor.map(|c| &c.0) {
                    Some(Cursor::Bucket(b)) => *b,
                    _ => 0,
                };
                let (entries, next) = h.batch(
                    start,
                    max_count as usize,
                    self.host_value_size(),
                    elem_flags,
                )?;
                Ok(Batch {
                    entries,
                    next: next.map(|b| BatchCursor(Cursor::Bucket(b))),
                })
            }
            (Kind::Hash(_), Some(Cursor::Key(_))) => Err(Errno::EINVAL),
            (_, Some(Cursor::Bucket(_))) => Err(Errno::EINVAL),
            (_, c) => {
                let mut prev = match c {
                    Some(Cursor::Key(k)) => Some(k.clone()),
                    _ => None,
                };
                let mut entries = Vec::new();
                while entries.len() < max_count as usize {
                    let Ok(key) = self.next_key(prev.as_deref()) else {
                        return Ok(Batch {
                            entries,
                            next: None,
                        });
                    };
                    match self.lookup_with_flags(&key, elem_flags) {
                        Ok(v) => entries.push((key.clone(), v)),
                        Err(Errno::ENOENT) => {}
                        Err(e) => return Err(e),
                    }
                    prev = Some(key);
                }
                Ok(Batch {
                    entries,
                    next: prev.map(|k| BatchCursor(Cursor::Key(k))),
                })
            }
        }
    }

    /// Every `(key, value)` of a map that supports batch lookups, read batch by batch.
    pub fn entries(&self) -> Result<Vec<Entry>, Errno> {
        let mut all = Vec::new();
        let mut cursor = None;
        let mut max = 64u32;
        loop {
            match self.lookup_batch(cursor.as_ref(), max) {
                Ok(batch) => {
                    all.extend(batch.entries);
                    match batch.next {
                        Some(c) => cursor = Some(c),
                        None => return Ok(all),
                    }
                }
                Err(Errno::ENOSPC) => max = max.saturating_mul(2),
                Err(e) => return Err(e),
            }
        }
    }
}
