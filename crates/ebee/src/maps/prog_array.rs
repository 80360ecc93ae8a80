//! [`ProgramArray`]: `prog_array` maps, the tail-call targets.

use super::{check_type, decode, found, op_error, ViewError};
use ebee_maps::{Map, MapType};
use std::sync::Arc;

/// A typed view of a `prog_array` map: slot `index` holds the id of the program a
/// `bpf_tail_call(ctx, &map, index)` jumps to. Ids are [`Program::id`](crate::Program::id)s
/// of programs of the same object (tail calls reach only their own object's programs; an
/// unknown id behaves as an empty slot, the call falls through).
///
/// ```
/// use ebee::{Map, MapSpec, MapType, flags::BPF_ANY};
/// use ebee::maps::ProgramArray;
/// let map = Map::create(MapSpec::new("jump", MapType::ProgArray, 4, 4, 4), 1)?;
/// let jump = ProgramArray::try_from(&map)?;
/// jump.set(2, 17, BPF_ANY)?; // e.g. object.program("parse_ipv4").unwrap().id()
/// assert_eq!(jump.iter().collect::<Result<Vec<_>, _>>()?, [(2, 17)]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct ProgramArray {
    map: Arc<Map>,
}

super::view_impls!(
    ProgramArray[],
    "let map = Map::create(MapSpec::new(\"m\", MapType::ProgArray, 4, 4, 4), 1)?;\n\
     let view = ProgramArray::try_from(&map)?;"
);

impl ProgramArray {
    fn new(map: Arc<Map>) -> Result<Self, ViewError> {
        check_type(&map, "ProgramArray", &[MapType::ProgArray])?;
        Ok(ProgramArray { map })
    }

    /// The program id in slot `index`, `None` if the slot is empty; `ENOENT` past the end.
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType, flags::BPF_ANY};
    /// use ebee::maps::ProgramArray;
    /// let map = Map::create(MapSpec::new("p", MapType::ProgArray, 4, 4, 2), 1)?;
    /// let p = ProgramArray::try_from(&map)?;
    /// assert_eq!(p.get(0)?, None);
    /// p.set(0, 3, BPF_ANY)?;
    /// assert_eq!(p.get(0)?, Some(3));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get(&self, index: u32) -> Result<Option<u32>, ViewError> {
        let op = "get";
        if index >= self.map.max_entries() {
            return Err(op_error(&self.map, op, ebee_maps::Errno::ENOENT));
        }
        let id =
            found(self.map.lookup(&index.to_ne_bytes())).map_err(|e| op_error(&self.map, op, e))?;
        id.map(|id| decode(&self.map, op, &id)).transpose()
    }

    /// Puts program `program_id` in slot `index`. `flags` must be `BPF_ANY` (`EINVAL`
    /// otherwise, as in the kernel); an index past the end is `E2BIG`.
    ///
    /// ```
    /// use ebee::{Errno, Map, MapSpec, MapType, flags::*};
    /// use ebee::maps::ProgramArray;
    /// let map = Map::create(MapSpec::new("p", MapType::ProgArray, 4, 4, 2), 1)?;
    /// let p = ProgramArray::try_from(&map)?;
    /// p.set(1, 9, BPF_ANY)?;
    /// assert_eq!(p.set(2, 9, BPF_ANY).unwrap_err().errno(), Some(Errno::E2BIG));
    /// assert_eq!(p.set(1, 9, BPF_NOEXIST).unwrap_err().errno(), Some(Errno::EINVAL));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set(&self, index: u32, program_id: u32, flags: u64) -> Result<(), ViewError> {
        self.map
            .update(&index.to_ne_bytes(), &program_id.to_ne_bytes(), flags)
            .map_err(|e| op_error(&self.map, "set", e))
    }

    /// Empties slot `index`: `ENOENT` if it is empty.
    ///
    /// ```
    /// use ebee::{Errno, Map, MapSpec, MapType, flags::BPF_ANY};
    /// use ebee::maps::ProgramArray;
    /// let map = Map::create(MapSpec::new("p", MapType::ProgArray, 4, 4, 2), 1)?;
    /// let p = ProgramArray::try_from(&map)?;
    /// p.set(1, 9, BPF_ANY)?;
    /// p.remove(1)?;
    /// assert_eq!(p.remove(1).unwrap_err().errno(), Some(Errno::ENOENT));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn remove(&self, index: u32) -> Result<(), ViewError> {
        self.map
            .delete(&index.to_ne_bytes())
            .map_err(|e| op_error(&self.map, "remove", e))
    }

    /// The filled slots as `(index, program id)`, by index.
    ///
    /// ```
    /// use ebee::{Map, MapSpec, MapType, flags::BPF_ANY};
    /// use ebee::maps::ProgramArray;
    /// let map = Map::create(MapSpec::new("p", MapType::ProgArray, 4, 4, 8), 1)?;
    /// let p = ProgramArray::try_from(&map)?;
    /// p.set(5, 1, BPF_ANY)?;
    /// p.set(0, 2, BPF_ANY)?;
    /// assert_eq!(p.iter().collect::<Result<Vec<_>, _>>()?, [(0, 2), (5, 1)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = Result<(u32, u32), ViewError>> + '_ {
        (0..self.map.max_entries()).filter_map(|index| match self.get(index) {
            Ok(id) => id.map(|id| Ok((index, id))),
            Err(e) => Some(Err(e)),
        })
    }
}
