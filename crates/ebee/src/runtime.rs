//! State an object's helpers share: where trace output goes, how many CPUs (workers) there
//! are, and (with the maps) what the object's map references point to; and the state of one
//! run. Internal: embedders see it through [`crate::Object`] and [`crate::Program`].

use crate::network::NetworkEnvironment;
use crate::trace_sink::TraceSink;
use ebee_maps::Map;
use std::sync::{Arc, RwLock};

/// The object-level state every helper implementation receives.
pub(crate) struct Runtime {
    /// Where trace output goes.
    pub(crate) trace: Arc<dyn TraceSink>,
    /// Number of CPUs (workers) per-CPU maps hold values for.
    pub(crate) ncpus: usize,
    /// The network namespace the identity helpers answer for.
    pub(crate) network: Arc<NetworkEnvironment>,
    /// The object's maps, in object order; a program refers to map `i` by the address of
    /// `maps[i]`.
    maps: Vec<Arc<Map>>,
    /// `(address, index into maps)`, sorted by address.
    by_address: Vec<(u64, usize)>,
    /// Inner maps the host put into maps of maps (a program may hold their addresses).
    inner: RwLock<Vec<Arc<Map>>>,
    /// Programs tail calls can reach, by program id.
    programs: RwLock<Vec<(u32, Arc<ebee_vm::Program>)>>,
}

impl Runtime {
    /// A runtime with `ncpus` workers, trace output to `trace`, helpers answering for
    /// `network`, and the object's `maps`.
    pub(crate) fn new(
        ncpus: usize,
        trace: Arc<dyn TraceSink>,
        network: Arc<NetworkEnvironment>,
        maps: Vec<Arc<Map>>,
    ) -> Runtime {
        let mut by_address: Vec<(u64, usize)> = maps
            .iter()
            .enumerate()
            .map(|(i, m)| (map_address(m), i))
            .collect();
        by_address.sort_unstable();
        Runtime {
            trace,
            ncpus,
            network,
            maps,
            by_address,
            inner: RwLock::new(Vec::new()),
            programs: RwLock::new(Vec::new()),
        }
    }

    /// The object's maps, in object order.
    pub(crate) fn maps(&self) -> &[Arc<Map>] {
        &self.maps
    }

    /// The map a program refers to with `address` (one of the object's maps, or an inner map
    /// the host registered). Never dereferences `address` itself.
    pub(crate) fn map(&self, address: u64) -> Option<Arc<Map>> {
        if let Ok(i) = self.by_address.binary_search_by_key(&address, |e| e.0) {
            return Some(self.maps[self.by_address[i].1].clone());
        }
        let inner = self.inner.read().ok()?;
        inner.iter().find(|m| map_address(m) == address).cloned()
    }

    /// Records an inner map the host stored into a map of maps, so that programs may use the
    /// address a lookup of the outer map gives them.
    pub(crate) fn register_inner_map(&self, map: &Arc<Map>) {
        if let Ok(mut inner) = self.inner.write() {
            if !inner.iter().any(|m| Arc::ptr_eq(m, map)) {
                inner.push(map.clone());
            }
        }
    }

    /// Makes `program` reachable by tail calls through prog-array entries holding `id`.
    pub(crate) fn register_program(&self, id: u32, program: Arc<ebee_vm::Program>) {
        if let Ok(mut programs) = self.programs.write() {
            programs.retain(|p| p.0 != id);
            programs.push((id, program));
        }
    }

    /// The program with id `id`, for a tail call.
    pub(crate) fn program(&self, id: u32) -> Option<Arc<ebee_vm::Program>> {
        let programs = self.programs.read().ok()?;
        programs.iter().find(|p| p.0 == id).map(|p| p.1.clone())
    }
}

/// The value a program's `lddw` of a map reference loads: the map object's address.
pub(crate) fn map_address(map: &Arc<Map>) -> u64 {
    Arc::as_ptr(map) as u64
}

/// Per-run host state the helpers reach through `HelperEnv::host_state`: the object's
/// runtime, the epoch guard that keeps map values alive for the run, ring-buffer records
/// reserved so far, and the sockets lookups returned.
pub(crate) struct RunState {
    /// The object's runtime (maps, programs, trace sink).
    pub(crate) runtime: Arc<Runtime>,
    /// Pinned for the whole run.
    pub(crate) guard: ebee_maps::Guard,
    /// `(record address, ring)` of records reserved and not yet submitted or discarded.
    pub(crate) reserved: std::cell::RefCell<Vec<(u64, Arc<Map>)>>,
    /// Packet state for program types with packets.
    pub(crate) packet: Option<crate::packet::PacketState>,
    /// The program's type (`None` for generic programs).
    pub(crate) program_type: Option<&'static crate::program_type::ProgramTypeSpec>,
    /// `(address, length)` of the user memory the host registered for the run, the only
    /// memory `bpf_probe_write_user` writes.
    pub(crate) user_memory: Option<(u64, u64)>,
    /// The return value `bpf_override_return` asked for.
    pub(crate) override_return: std::cell::Cell<Option<u64>>,
    /// The sockets the socket lookups handed out.
    pub(crate) sockets: crate::helpers::identity::SocketHandles,
}

impl RunState {
    /// State for one run of a program of `runtime`'s object: pins the epoch.
    pub(crate) fn new(
        runtime: Arc<Runtime>,
        packet: Option<crate::packet::PacketState>,
    ) -> RunState {
        RunState {
            runtime,
            guard: ebee_maps::pin(),
            reserved: std::cell::RefCell::new(Vec::new()),
            packet,
            program_type: None,
            user_memory: None,
            override_return: std::cell::Cell::new(None),
            sockets: Default::default(),
        }
    }
}
