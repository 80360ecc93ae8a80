//! State an object's helpers share: where trace output goes, how many CPUs (workers) there
//! are, and (with the maps) what the object's map references point to.

use ebee_maps::Map;
use std::sync::{Arc, RwLock};

/// Receives `bpf_trace_printk` (and `bpf_trace_vprintk`) output, one formatted message per
/// call: the bytes the kernel's trace event records (up to the first NUL, at most 1023), which
/// need not be UTF-8.
pub trait TraceSink: Send + Sync {
    /// One message, formatted as the kernel formats it.
    fn trace(&self, message: &[u8]);
}

/// Writes trace messages to standard error as `bpf_trace_printk: MESSAGE`, as the kernel's
/// trace pipe shows them after the task/CPU/timestamp prefix (bytes that are not UTF-8 as
/// U+FFFD).
#[derive(Debug, Default)]
pub struct StderrTrace;

impl TraceSink for StderrTrace {
    fn trace(&self, message: &[u8]) {
        let text = String::from_utf8_lossy(message);
        eprintln!("bpf_trace_printk: {}", text.trim_end_matches('\n'));
    }
}

/// Collects trace messages in memory (tests, embedders that forward them).
///
/// ```
/// use ebee::runtime::{CollectTrace, TraceSink};
/// let trace = CollectTrace::default();
/// trace.trace(b"hello\n");
/// assert_eq!(trace.messages(), [b"hello\n".to_vec()]);
/// assert_eq!(trace.texts(), ["hello\n"]);
/// ```
#[derive(Debug, Default)]
pub struct CollectTrace {
    messages: std::sync::Mutex<Vec<Vec<u8>>>,
}

impl CollectTrace {
    /// The messages so far, as bytes.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        self.messages.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// The messages so far as text (bytes that are not UTF-8 as U+FFFD).
    pub fn texts(&self) -> Vec<String> {
        let messages = self.messages();
        messages
            .iter()
            .map(|m| String::from_utf8_lossy(m).into_owned())
            .collect()
    }
}

impl TraceSink for CollectTrace {
    fn trace(&self, message: &[u8]) {
        if let Ok(mut messages) = self.messages.lock() {
            messages.push(message.to_vec());
        }
    }
}

/// The object-level state every helper implementation receives.
pub struct Runtime {
    /// Where trace output goes.
    pub trace: Arc<dyn TraceSink>,
    /// Number of CPUs (workers) per-CPU maps hold values for.
    pub ncpus: usize,
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
    /// A runtime with `ncpus` workers, trace output to `trace`, and the object's `maps`.
    pub fn new(ncpus: usize, trace: Arc<dyn TraceSink>, maps: Vec<Arc<Map>>) -> Runtime {
        let mut by_address: Vec<(u64, usize)> = maps
            .iter()
            .enumerate()
            .map(|(i, m)| (map_address(m), i))
            .collect();
        by_address.sort_unstable();
        Runtime {
            trace,
            ncpus,
            maps,
            by_address,
            inner: RwLock::new(Vec::new()),
            programs: RwLock::new(Vec::new()),
        }
    }

    /// The object's maps, in object order.
    pub fn maps(&self) -> &[Arc<Map>] {
        &self.maps
    }

    /// The map a program refers to with `address` (one of the object's maps, or an inner map
    /// the host registered). Never dereferences `address` itself.
    pub fn map(&self, address: u64) -> Option<Arc<Map>> {
        if let Ok(i) = self.by_address.binary_search_by_key(&address, |e| e.0) {
            return Some(self.maps[self.by_address[i].1].clone());
        }
        let inner = self.inner.read().ok()?;
        inner.iter().find(|m| map_address(m) == address).cloned()
    }

    /// Records an inner map the host stored into a map of maps, so that programs may use the
    /// address a lookup of the outer map gives them.
    pub fn register_inner_map(&self, map: &Arc<Map>) {
        if let Ok(mut inner) = self.inner.write() {
            if !inner.iter().any(|m| Arc::ptr_eq(m, map)) {
                inner.push(map.clone());
            }
        }
    }

    /// Makes `program` reachable by tail calls through prog-array entries holding `id`.
    pub fn register_program(&self, id: u32, program: Arc<ebee_vm::Program>) {
        if let Ok(mut programs) = self.programs.write() {
            programs.retain(|p| p.0 != id);
            programs.push((id, program));
        }
    }

    /// The program with id `id`, for a tail call.
    pub fn program(&self, id: u32) -> Option<Arc<ebee_vm::Program>> {
        let programs = self.programs.read().ok()?;
        programs.iter().find(|p| p.0 == id).map(|p| p.1.clone())
    }
}

/// The value a program's `lddw` of a map reference loads: the map object's address.
pub fn map_address(map: &Arc<Map>) -> u64 {
    Arc::as_ptr(map) as u64
}

/// Per-run host state the helpers reach through `HelperEnv::host_state`: the object's
/// runtime, the epoch guard that keeps map values alive for the run, and ring-buffer records
/// reserved so far.
pub struct RunState {
    /// The object's runtime (maps, programs, trace sink).
    pub runtime: Arc<Runtime>,
    /// Pinned for the whole run.
    pub guard: ebee_maps::Guard,
    /// `(record address, ring)` of records reserved and not yet submitted or discarded.
    pub reserved: std::cell::RefCell<Vec<(u64, Arc<Map>)>>,
    /// Packet state for program types with packets.
    pub packet: Option<crate::packet::PacketState>,
}

impl RunState {
    /// State for one run of a program of `runtime`'s object: pins the epoch.
    pub fn new(runtime: Arc<Runtime>, packet: Option<crate::packet::PacketState>) -> RunState {
        RunState {
            runtime,
            guard: ebee_maps::pin(),
            reserved: std::cell::RefCell::new(Vec::new()),
            packet,
        }
    }
}
