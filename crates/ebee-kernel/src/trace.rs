//! What the kernel's `bpf_trace_printk`/`bpf_trace_vprintk` printed, read back from tracefs.
//!
//! Both helpers emit the `bpf_trace/bpf_trace_printk` trace event. A [`TraceCapture`] makes
//! its own tracefs instance (`/sys/kernel/tracing/instances/ebee-kernel-<pid>-<n>`), enables
//! that one event there for the calling thread only (`set_event_pid`, since
//! `BPF_PROG_TEST_RUN` runs the program in the caller's thread), and parses the instance's
//! `trace` file. Other processes' trace output, the top-level `trace_pipe` and other tests'
//! captures are untouched, and the instance is removed on drop.
//!
//! tracefs must be mounted at `/sys/kernel/tracing`; `scripts/test.sh` mounts it when it runs
//! as root and it is missing. Without it [`TraceCapture::start`] says so.

use crate::{Error, Result};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

const TRACEFS: &str = "/sys/kernel/tracing";
/// What the event's output format puts before the message.
const EVENT: &[u8] = b": bpf_trace_printk: ";

/// A private tracefs instance recording the calling thread's `bpf_trace_printk` events.
///
/// ```no_run
/// let capture = ebee_kernel::TraceCapture::start()?;
/// // ... BPF_PROG_TEST_RUN a program that calls bpf_trace_printk, on this thread ...
/// for message in capture.take()? {
///     println!("{}", String::from_utf8_lossy(&message));
/// }
/// # Ok::<(), ebee_kernel::Error>(())
/// ```
#[derive(Debug)]
pub struct TraceCapture {
    dir: PathBuf,
}

fn io_error(path: &Path, error: std::io::Error) -> Error {
    Error::Tracefs {
        path: path.to_path_buf(),
        error,
    }
}

impl TraceCapture {
    /// Creates the instance and starts recording the calling thread's events.
    ///
    /// # Errors
    ///
    /// [`Error::Unavailable`] when tracefs is not mounted, [`Error::Tracefs`] when the
    /// instance cannot be set up.
    pub fn start() -> Result<TraceCapture> {
        let instances = Path::new(TRACEFS).join("instances");
        if !instances.is_dir() {
            return Err(Error::Unavailable(format!(
                "tracefs is not mounted at {TRACEFS}: scripts/test.sh mounts it when run as \
                 root (mount -t tracefs tracefs {TRACEFS})"
            )));
        }
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = instances.join(format!("ebee-kernel-{}-{n}", std::process::id()));
        std::fs::create_dir(&dir).map_err(|e| io_error(&dir, e))?;
        let capture = TraceCapture { dir };
        // SAFETY: gettid has no preconditions.
        let tid = unsafe { libc::gettid() };
        capture.write("set_event_pid", &tid.to_string())?;
        capture.write("events/bpf_trace/bpf_trace_printk/enable", "1")?;
        Ok(capture)
    }

    fn write(&self, file: &str, text: &str) -> Result<()> {
        let path = self.dir.join(file);
        std::fs::write(&path, text).map_err(|e| io_error(&path, e))
    }

    /// The messages printed since the start or the last `take`, oldest first, each without
    /// the line prefix (task, CPU, flags, timestamp, event name) and without the newline the
    /// trace output ends each event with. Consumes them from the instance's buffer.
    ///
    /// # Errors
    ///
    /// [`Error::Tracefs`] when the instance's `trace_pipe` cannot be read.
    pub fn take(&self) -> Result<Vec<Vec<u8>>> {
        use std::io::Read;
        use std::os::unix::fs::OpenOptionsExt;
        // `trace_pipe` consumes what it returns; non-blocking, it stops when it is empty.
        // (Emptying `trace` instead resets the ring buffer, which waits for an RCU grace
        // period on every call.)
        let path = self.dir.join("trace_pipe");
        let mut pipe = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&path)
            .map_err(|e| io_error(&path, e))?;
        let mut text = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            match pipe.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => text.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_error(&path, e)),
            }
        }
        Ok(parse(&text))
    }
}

impl Drop for TraceCapture {
    fn drop(&mut self) {
        let _ = self.write("events/bpf_trace/bpf_trace_printk/enable", "0");
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// Whether `line` starts an event: `<comm>-<pid> [<cpu>] <flags> <secs>.<usecs>: bpf_trace_printk: `.
/// Returns where the message starts.
fn event_start(line: &[u8]) -> Option<usize> {
    let at = line.windows(EVENT.len()).position(|w| w == EVENT)?;
    let prefix = &line[..at];
    let cpu = prefix.iter().position(|&b| b == b'[')?;
    let timestamp = prefix.rsplit(|&b| b == b' ').next()?;
    let is_timestamp =
        timestamp.contains(&b'.') && timestamp.iter().all(|b| b.is_ascii_digit() || *b == b'.');
    (prefix[..cpu].contains(&b'-') && is_timestamp).then_some(at + EVENT.len())
}

/// The messages of trace output: header lines (`#`, in `trace` only) skipped, a message running from its
/// event prefix to the next event or the end, less the newline each event ends with.
fn parse(text: &[u8]) -> Vec<Vec<u8>> {
    let mut messages: Vec<Vec<u8>> = Vec::new();
    let mut in_header = true;
    for line in text.split_inclusive(|&b| b == b'\n') {
        if in_header && line.starts_with(b"#") {
            continue;
        }
        in_header = false;
        match event_start(line) {
            Some(start) => messages.push(line[start..].to_vec()),
            None => {
                if let Some(last) = messages.last_mut() {
                    last.extend_from_slice(line);
                }
            }
        }
    }
    for message in &mut messages {
        if message.last() == Some(&b'\n') {
            message.pop();
        }
    }
    messages
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn messages_are_split_at_event_prefixes() {
        let text = b"# tracer: nop\n#\n#  TASK-PID  CPU#  TIMESTAMP  FUNCTION\n\
            #              | |         |         |\n\
            \x20  test-thread-42  [001] ..... 1234.567890: bpf_trace_printk: a=1\n\n\
            \x20  test-thread-42  [001] ..... 1234.567891: bpf_trace_printk: two\nlines\n\
            \x20  test-thread-42  [001] ..... 1234.567892: bpf_trace_printk: [x] 1.5: y\n";
        assert_eq!(
            parse(text),
            vec![
                b"a=1\n".to_vec(),
                b"two\nlines".to_vec(),
                b"[x] 1.5: y".to_vec()
            ]
        );
        assert!(parse(b"# tracer: nop\n#\n").is_empty());
    }
}
