//! [`RingBuf`]: the consumer side of a `ringbuf` map.

use super::{check_type, op_error, ViewError};
use bytemuck::Pod;
use ebee_maps::{Map, MapType};
use std::mem::size_of;
use std::sync::Arc;
use std::time::Duration;

/// The consumer of a `ringbuf` map: reads the records programs submitted, in order, as
/// bytes or as a [`Pod`] type. Discarded records are skipped. One consumer reads at a
/// time (others wait); records a program has reserved but not yet submitted hold back the
/// records after them.
///
/// ```
/// use ebee::{Map, MapSpec, MapType};
/// use ebee::maps::RingBuf;
/// let map = Map::create(MapSpec::new("events", MapType::RingBuf, 0, 0, 4096), 1)?;
/// map.ringbuf_output(&7u32.to_ne_bytes(), 0)?; // what a program's bpf_ringbuf_output does
/// let events = RingBuf::try_from(&map)?;
/// assert_eq!(events.read_as::<u32>()?, Some(7));
/// assert_eq!(events.read()?, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct RingBuf {
    map: Arc<Map>,
}

super::view_impls!(
    RingBuf[],
    "let map = Map::create(MapSpec::new(\"m\", MapType::RingBuf, 0, 0, 4096), 1)?;\n\
     let view = RingBuf::try_from(&map)?;"
);

impl RingBuf {
    fn new(map: Arc<Map>) -> Result<Self, ViewError> {
        check_type(&map, "RingBuf", &[MapType::RingBuf])?;
        Ok(RingBuf { map })
    }

    /// The next record's bytes, `None` if no submitted record is waiting.
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType};
    /// use ebee::maps::RingBuf;
    /// let map = Map::create(MapSpec::new("rb", MapType::RingBuf, 0, 0, 4096), 1)?;
    /// map.ringbuf_output(b"hello", 0)?;
    /// let rb = RingBuf::try_from(&map)?;
    /// assert_eq!(rb.read()?.as_deref(), Some(&b"hello"[..]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read(&self) -> Result<Option<Vec<u8>>, ViewError> {
        self.map
            .ringbuf_read()
            .map_err(|e| op_error(&self.map, "read", e))
    }

    /// The next record as a `T`, `None` if no record is waiting. A record whose size is not
    /// `size_of::<T>()` is [`ViewError::RecordSize`] (and consumed).
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType};
    /// use ebee::maps::{RingBuf, ViewError};
    /// let map = Map::create(MapSpec::new("rb", MapType::RingBuf, 0, 0, 4096), 1)?;
    /// map.ringbuf_output(&[1u8, 2, 3], 0)?;
    /// let rb = RingBuf::try_from(&map)?;
    /// let err = rb.read_as::<u32>().unwrap_err();
    /// assert!(matches!(err, ViewError::RecordSize { actual: 3, expected: 4, .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_as<T: Pod>(&self) -> Result<Option<T>, ViewError> {
        let Some(record) = self.read()? else {
            return Ok(None);
        };
        bytemuck::try_pod_read_unaligned(&record)
            .map(Some)
            .map_err(|_| ViewError::RecordSize {
                map: self.map.name().to_string(),
                type_name: std::any::type_name::<T>().to_string(),
                expected: size_of::<T>(),
                actual: record.len(),
            })
    }

    /// Calls `f` on every waiting record, in order, and returns how many there were.
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType};
    /// use ebee::maps::RingBuf;
    /// let map = Map::create(MapSpec::new("rb", MapType::RingBuf, 0, 0, 4096), 1)?;
    /// map.ringbuf_output(b"a", 0)?;
    /// map.ringbuf_output(b"bc", 0)?;
    /// let mut seen = Vec::new();
    /// let n = RingBuf::try_from(&map)?.consume(|record| seen.push(record.to_vec()))?;
    /// assert_eq!((n, seen), (2, vec![b"a".to_vec(), b"bc".to_vec()]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn consume(&self, f: impl FnMut(&[u8])) -> Result<usize, ViewError> {
        self.map
            .ringbuf_consume(f)
            .map_err(|e| op_error(&self.map, "consume", e))
    }

    /// Blocks until a record is waiting (a program's submit wakes it, unless it passed
    /// `BPF_RB_NO_WAKEUP`) or `timeout` passes; returns whether data is there.
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType};
    /// use ebee::maps::RingBuf;
    /// use std::time::Duration;
    /// let map = Map::create(MapSpec::new("rb", MapType::RingBuf, 0, 0, 4096), 1)?;
    /// let rb = RingBuf::try_from(&map)?;
    /// assert!(!rb.wait(Duration::from_millis(1))?);
    /// map.ringbuf_output(b"x", 0)?;
    /// assert!(rb.wait(Duration::from_secs(1))?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wait(&self, timeout: Duration) -> Result<bool, ViewError> {
        self.map
            .ringbuf_wait(timeout)
            .map_err(|e| op_error(&self.map, "wait", e))
    }
}
