//! A private, short-lived bpffs directory for maps declared with
//! `__uint(pinning, LIBBPF_PIN_BY_NAME)` (libxdp's objects do this).
//!
//! aya, like libbpf, pins such maps as `/sys/fs/bpf/<name>` and *reuses* a map
//! already pinned there. For an oracle that would leak state between objects, tests
//! and processes, and leave files behind. Instead each load gets its own directory,
//! and every pin in it is removed right after loading: the maps live on through the
//! object's file descriptors.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

const BPFFS: &str = "/sys/fs/bpf";

/// Removes the directory and the pins in it when dropped.
pub(crate) struct PinDir {
    path: PathBuf,
    created: bool,
}

impl PinDir {
    /// Creates `/sys/fs/bpf/ebee-kernel-<pid>-<n>`. When that is impossible (no
    /// bpffs mounted) the path is still returned but does not exist, so only an
    /// object that pins maps fails to load, with aya's pin error.
    pub(crate) fn new() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = Path::new(BPFFS).join(format!("ebee-kernel-{}-{n}", std::process::id()));
        let created = std::fs::create_dir(&path).is_ok();
        Self { path, created }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for PinDir {
    fn drop(&mut self) {
        if !self.created {
            return;
        }
        if let Ok(entries) = std::fs::read_dir(&self.path) {
            for entry in entries.flatten() {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        let _ = std::fs::remove_dir(&self.path);
    }
}
