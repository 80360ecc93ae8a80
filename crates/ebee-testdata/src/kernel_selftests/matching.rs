//! Judging a verdict by the annotations: `test_loader.c`'s `validate_msgs` (each expected
//! message found after the previous one; `{{…}}` parts are regular expressions, the rest
//! verbatim) and the success or failure it expects.

use regex::Regex;

use super::{Expect, KernelVerdict};

/// How a verdict compares with what the annotations expect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Agreement {
    /// As annotated: the expected outcome, and every expected message in the log, in order.
    Agrees,
    /// The expected outcome, but the log lacks this message (the first one missing).
    MissingMessage(String),
    /// The kernel accepted a program the annotations expect it to refuse, or the reverse.
    WrongOutcome,
    /// The program could not be loaded (see [`KernelVerdict::NotLoadable`]).
    NotLoaded,
}

/// A pattern of `__msg`: verbatim text with regular expressions in `{{` `}}`, as a
/// [`Regex`] (POSIX extended syntax is close enough to `regex`'s for these patterns; `^`
/// and `$` match at line ends, `.` matches no newline, as with `REG_NEWLINE`).
///
/// ```
/// let re = ebee_testdata::kernel_selftests::message_regex("R{{[0-9]}} !read_ok").unwrap();
/// assert!(re.is_match("2: R2 !read_ok"));
/// ```
///
/// # Errors
///
/// The regex crate's message for an expression it cannot compile, or an unclosed `{{`.
pub fn message_regex(pattern: &str) -> Result<Regex, String> {
    let mut expression = String::from("(?m)");
    let mut rest = pattern;
    while let Some(start) = rest.find("{{") {
        expression.push_str(&regex::escape(&rest[..start]));
        let inner = &rest[start + 2..];
        let end = inner
            .find("}}")
            .ok_or_else(|| format!("`{pattern}`: `{{{{` without `}}}}`"))?;
        expression.push_str(&inner[..end]);
        rest = &inner[end + 2..];
    }
    expression.push_str(&regex::escape(rest));
    Regex::new(&expression).map_err(|e| format!("`{pattern}`: {e}"))
}

/// The first of `messages` not found in `log` in order (each searched for after the end of
/// the previous match); `None` when all are there.
///
/// ```
/// use ebee_testdata::kernel_selftests::first_missing_message;
/// let log = "0: R1=ctx()\n1: R0 !read_ok\n";
/// let messages = ["R1=ctx".to_string(), "R0 !read_ok".to_string()];
/// assert_eq!(first_missing_message(log, &messages), None);
/// let reversed = [messages[1].clone(), messages[0].clone()];
/// assert_eq!(first_missing_message(log, &reversed).as_deref(), Some("R1=ctx"));
/// ```
pub fn first_missing_message(log: &str, messages: &[String]) -> Option<String> {
    let mut at = 0;
    for message in messages {
        let rest = &log[at..];
        let found = if message.contains("{{") {
            match message_regex(message) {
                Ok(re) => re.find(rest).map(|m| m.end()),
                Err(_) => None,
            }
        } else {
            rest.find(message.as_str())
                .map(|start| start + message.len())
        };
        match found {
            Some(end) => at += end,
            None => return Some(message.clone()),
        }
    }
    None
}

impl Expect {
    /// How `verdict` compares with this expectation.
    pub fn judge(&self, verdict: &KernelVerdict) -> Agreement {
        let log = match (self.success, verdict) {
            (_, KernelVerdict::NotLoadable(_)) => return Agreement::NotLoaded,
            (true, KernelVerdict::Accepted { log }) => log,
            (false, KernelVerdict::Rejected { log, .. }) => log,
            _ => return Agreement::WrongOutcome,
        };
        match first_missing_message(log, &self.messages) {
            None => Agreement::Agrees,
            Some(message) => Agreement::MissingMessage(message),
        }
    }
}
