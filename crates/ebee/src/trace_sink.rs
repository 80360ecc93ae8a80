//! Where `bpf_trace_printk` and `bpf_trace_vprintk` output goes: a [`TraceSink`] the
//! [`crate::Engine`] is given ([`crate::Engine::with_trace`]).

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
/// use ebee::{CollectTrace, TraceSink};
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
