//! [`Queue`], [`Stack`] and [`BloomFilter`]: the keyless map types.

use super::{check_type, check_value, decode, found, op_error, ViewError};
use bytemuck::Pod;
use ebee_maps::{Map, MapType};
use std::borrow::Borrow;
use std::marker::PhantomData;
use std::sync::Arc;

/// Push, pop and peek, shared by queues and stacks (the map decides the order).
fn push<V: Pod>(map: &Map, value: &V, flags: u64) -> Result<(), ViewError> {
    map.push(bytemuck::bytes_of(value), flags)
        .map_err(|e| op_error(map, "push", e))
}

fn take<V: Pod>(
    map: &Map,
    op: &'static str,
    result: Result<Vec<u8>, ebee_maps::Errno>,
) -> Result<Option<V>, ViewError> {
    let value = found(result).map_err(|e| op_error(map, op, e))?;
    value.map(|v| decode(map, op, &v)).transpose()
}

/// A typed view of a `queue` map: values `V`, first in, first out.
///
/// ```
/// use ebee::{Map, MapSpec, MapType, flags::BPF_ANY};
/// use ebee::maps::Queue;
/// let map = Map::create(MapSpec::new("jobs", MapType::Queue, 0, 4, 8), 1)?;
/// let jobs = Queue::<u32>::try_from(&map)?;
/// jobs.push(1, BPF_ANY)?;
/// jobs.push(2, BPF_ANY)?;
/// assert_eq!(jobs.pop()?, Some(1));
/// assert_eq!(jobs.pop()?, Some(2));
/// assert_eq!(jobs.pop()?, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Queue<V> {
    map: Arc<Map>,
    _types: PhantomData<fn() -> V>,
}

super::view_impls!(
    Queue[V],
    "let map = Map::create(MapSpec::new(\"m\", MapType::Queue, 0, 4, 8), 1)?;\n\
     let view = Queue::<u32>::try_from(&map)?;"
);

impl<V: Pod> Queue<V> {
    fn new(map: Arc<Map>) -> Result<Self, ViewError> {
        check_type(&map, "Queue", &[MapType::Queue])?;
        check_value::<V>(&map)?;
        Ok(Queue {
            map,
            _types: PhantomData,
        })
    }

    /// Appends `value`. A full queue is `E2BIG`, unless `flags` is `BPF_EXIST`: then the
    /// oldest value is dropped to make room.
    ///
    /// ```
    /// use ebee::{Errno, Map, MapSpec, MapType, flags::*};
    /// use ebee::maps::Queue;
    /// let map = Map::create(MapSpec::new("q", MapType::Queue, 0, 4, 1), 1)?;
    /// let q = Queue::<u32>::try_from(&map)?;
    /// q.push(1, BPF_ANY)?;
    /// assert_eq!(q.push(2, BPF_ANY).unwrap_err().errno(), Some(Errno::E2BIG));
    /// q.push(3, BPF_EXIST)?;
    /// assert_eq!(q.pop()?, Some(3));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn push(&self, value: impl Borrow<V>, flags: u64) -> Result<(), ViewError> {
        push(&self.map, value.borrow(), flags)
    }

    /// Removes and returns the oldest value, `None` when the queue is empty.
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType, flags::BPF_ANY};
    /// use ebee::maps::Queue;
    /// let map = Map::create(MapSpec::new("q", MapType::Queue, 0, 8, 4), 1)?;
    /// let q = Queue::<u64>::try_from(&map)?;
    /// q.push(5, BPF_ANY)?;
    /// assert_eq!(q.pop()?, Some(5));
    /// assert_eq!(q.pop()?, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pop(&self) -> Result<Option<V>, ViewError> {
        take(&self.map, "pop", self.map.pop())
    }

    /// The oldest value without removing it, `None` when the queue is empty.
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType, flags::BPF_ANY};
    /// use ebee::maps::Queue;
    /// let map = Map::create(MapSpec::new("q", MapType::Queue, 0, 8, 4), 1)?;
    /// let q = Queue::<u64>::try_from(&map)?;
    /// q.push(5, BPF_ANY)?;
    /// assert_eq!(q.peek()?, Some(5));
    /// assert_eq!(q.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn peek(&self) -> Result<Option<V>, ViewError> {
        take(&self.map, "peek", self.map.peek())
    }

    /// The number of queued values.
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType, flags::BPF_ANY};
    /// use ebee::maps::Queue;
    /// let map = Map::create(MapSpec::new("q", MapType::Queue, 0, 8, 4), 1)?;
    /// let q = Queue::<u64>::try_from(&map)?;
    /// q.push(5, BPF_ANY)?;
    /// assert_eq!(q.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when no value is queued.
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType};
    /// use ebee::maps::Queue;
    /// let map = Map::create(MapSpec::new("q", MapType::Queue, 0, 8, 4), 1)?;
    /// assert!(Queue::<u64>::try_from(&map)?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// A typed view of a `stack` map: values `V`, last in, first out.
///
/// ```
/// use ebee::{Map, MapSpec, MapType, flags::BPF_ANY};
/// use ebee::maps::Stack;
/// let map = Map::create(MapSpec::new("frames", MapType::Stack, 0, 4, 8), 1)?;
/// let frames = Stack::<u32>::try_from(&map)?;
/// frames.push(1, BPF_ANY)?;
/// frames.push(2, BPF_ANY)?;
/// assert_eq!(frames.pop()?, Some(2));
/// assert_eq!(frames.pop()?, Some(1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Stack<V> {
    map: Arc<Map>,
    _types: PhantomData<fn() -> V>,
}

super::view_impls!(
    Stack[V],
    "let map = Map::create(MapSpec::new(\"m\", MapType::Stack, 0, 4, 8), 1)?;\n\
     let view = Stack::<u32>::try_from(&map)?;"
);

impl<V: Pod> Stack<V> {
    fn new(map: Arc<Map>) -> Result<Self, ViewError> {
        check_type(&map, "Stack", &[MapType::Stack])?;
        check_value::<V>(&map)?;
        Ok(Stack {
            map,
            _types: PhantomData,
        })
    }

    /// Pushes `value` on top. A full stack is `E2BIG`, unless `flags` is `BPF_EXIST`: then
    /// the oldest (bottom) value is dropped to make room.
    ///
    /// ```
    /// use ebee::{Errno, Map, MapSpec, MapType, flags::*};
    /// use ebee::maps::Stack;
    /// let map = Map::create(MapSpec::new("s", MapType::Stack, 0, 4, 1), 1)?;
    /// let s = Stack::<u32>::try_from(&map)?;
    /// s.push(1, BPF_ANY)?;
    /// assert_eq!(s.push(2, BPF_ANY).unwrap_err().errno(), Some(Errno::E2BIG));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn push(&self, value: impl Borrow<V>, flags: u64) -> Result<(), ViewError> {
        push(&self.map, value.borrow(), flags)
    }

    /// Removes and returns the top value, `None` when the stack is empty.
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType, flags::BPF_ANY};
    /// use ebee::maps::Stack;
    /// let map = Map::create(MapSpec::new("s", MapType::Stack, 0, 4, 4), 1)?;
    /// let s = Stack::<u32>::try_from(&map)?;
    /// assert_eq!(s.pop()?, None);
    /// s.push(3, BPF_ANY)?;
    /// assert_eq!(s.pop()?, Some(3));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pop(&self) -> Result<Option<V>, ViewError> {
        take(&self.map, "pop", self.map.pop())
    }

    /// The top value without removing it, `None` when the stack is empty.
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType, flags::BPF_ANY};
    /// use ebee::maps::Stack;
    /// let map = Map::create(MapSpec::new("s", MapType::Stack, 0, 4, 4), 1)?;
    /// let s = Stack::<u32>::try_from(&map)?;
    /// s.push(3, BPF_ANY)?;
    /// s.push(4, BPF_ANY)?;
    /// assert_eq!(s.peek()?, Some(4));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn peek(&self) -> Result<Option<V>, ViewError> {
        take(&self.map, "peek", self.map.peek())
    }

    /// The number of values on the stack.
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType, flags::BPF_ANY};
    /// use ebee::maps::Stack;
    /// let map = Map::create(MapSpec::new("s", MapType::Stack, 0, 4, 4), 1)?;
    /// let s = Stack::<u32>::try_from(&map)?;
    /// s.push(3, BPF_ANY)?;
    /// assert_eq!(s.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when the stack is empty.
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType};
    /// use ebee::maps::Stack;
    /// let map = Map::create(MapSpec::new("s", MapType::Stack, 0, 4, 4), 1)?;
    /// assert!(Stack::<u32>::try_from(&map)?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// A typed view of a `bloom_filter` map over values `V`: a set that may report values it
/// does not hold (false positives), never the reverse.
///
/// ```
/// use ebee::{Map, MapSpec, MapType, flags::BPF_ANY};
/// use ebee::maps::BloomFilter;
/// let map = Map::create(MapSpec::new("seen", MapType::BloomFilter, 0, 4, 100), 1)?;
/// let seen = BloomFilter::<u32>::try_from(&map)?;
/// seen.insert(0xc0a8_0001, BPF_ANY)?;
/// assert!(seen.contains(&0xc0a8_0001)?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct BloomFilter<V> {
    map: Arc<Map>,
    _types: PhantomData<fn() -> V>,
}

super::view_impls!(
    BloomFilter[V],
    "let map = Map::create(MapSpec::new(\"m\", MapType::BloomFilter, 0, 4, 8), 1)?;\n\
     let view = BloomFilter::<u32>::try_from(&map)?;"
);

impl<V: Pod> BloomFilter<V> {
    fn new(map: Arc<Map>) -> Result<Self, ViewError> {
        check_type(&map, "BloomFilter", &[MapType::BloomFilter])?;
        check_value::<V>(&map)?;
        Ok(BloomFilter {
            map,
            _types: PhantomData,
        })
    }

    /// Adds `value` to the set. `flags` must be `BPF_ANY` (`EINVAL` otherwise).
    ///
    /// ```
    /// use ebee::{Errno, Map, MapSpec, MapType, flags::*};
    /// use ebee::maps::BloomFilter;
    /// let map = Map::create(MapSpec::new("b", MapType::BloomFilter, 0, 8, 16), 1)?;
    /// let b = BloomFilter::<u64>::try_from(&map)?;
    /// b.insert(1, BPF_ANY)?;
    /// assert_eq!(b.insert(2, BPF_NOEXIST).unwrap_err().errno(), Some(Errno::EINVAL));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn insert(&self, value: impl Borrow<V>, flags: u64) -> Result<(), ViewError> {
        self.map
            .push(bytemuck::bytes_of(value.borrow()), flags)
            .map_err(|e| op_error(&self.map, "insert", e))
    }

    /// Whether `value` may be in the set: `false` means surely not.
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType, flags::BPF_ANY};
    /// use ebee::maps::BloomFilter;
    /// let map = Map::create(MapSpec::new("b", MapType::BloomFilter, 0, 8, 16), 1)?;
    /// let b = BloomFilter::<u64>::try_from(&map)?;
    /// assert!(!b.contains(&1)?); // nothing added yet
    /// b.insert(1, BPF_ANY)?;
    /// assert!(b.contains(&1)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn contains(&self, value: &V) -> Result<bool, ViewError> {
        self.map
            .bloom_contains(bytemuck::bytes_of(value))
            .map_err(|e| op_error(&self.map, "contains", e))
    }
}
