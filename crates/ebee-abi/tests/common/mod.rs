//! Just enough of a C header reader for `linux/bpf.h` and `asm-generic/errno*.h`: the
//! enumerators of each `enum { … }` block (with the C rule that an enumerator without a value
//! is the previous one plus 1), `#define NAME value` lines, and the helper list of
//! `__BPF_FUNC_MAPPER`. Values are integer literals (`0x`, `U`/`ULL` suffixes), names of
//! earlier constants, `<<`, `|` and parentheses: every form those headers use.

use std::collections::HashMap;

/// The constants of a header: name → value, and each named enum's enumerators in order.
#[derive(Default)]
pub struct Header {
    pub constants: HashMap<String, u64>,
    pub enums: HashMap<String, Vec<(String, u64)>>,
}

impl Header {
    /// Reads every constant of `text` (`#define`s only when their value evaluates).
    pub fn parse(text: &str) -> Header {
        let mut header = Header::default();
        let text = strip_comments(text);
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            let line = line.trim();
            if let Some(define) = line.strip_prefix("#define") {
                let mut parts = define.trim().splitn(2, char::is_whitespace);
                let (Some(name), Some(value)) = (parts.next(), parts.next()) else {
                    continue;
                };
                if let Some(value) = header.eval(value.trim()) {
                    header.constants.insert(name.to_string(), value);
                }
            } else if let Some(rest) = line.strip_prefix("enum") {
                if !line.ends_with('{') {
                    continue;
                }
                let tag = rest.trim_end_matches('{').trim().to_string();
                // `None` after an enumerator whose value is not understood: the ones after it
                // are unknown too (none of those the tests read).
                let mut next = Some(0);
                let mut entries = Vec::new();
                for entry in lines
                    .by_ref()
                    .take_while(|l| !l.trim_start().starts_with('}'))
                {
                    let entry = entry.trim().trim_end_matches(',');
                    if entry.is_empty() || entry.starts_with('#') {
                        continue;
                    }
                    let (name, value) = match entry.split_once('=') {
                        Some((name, expr)) => (name.trim(), header.eval(expr)),
                        None => (entry, next),
                    };
                    next = value.map(|v| v + 1);
                    if let Some(value) = value {
                        header.constants.insert(name.to_string(), value);
                        entries.push((name.to_string(), value));
                    }
                }
                if !tag.is_empty() {
                    header.enums.insert(tag, entries);
                }
            }
        }
        header
    }

    /// The value of an enumerator or define.
    pub fn value(&self, name: &str) -> Option<u64> {
        self.constants.get(name).copied()
    }

    /// The enumerators of `enum tag`, without the `__MAX_*` / `MAX_*` sentinels.
    pub fn enumerators(&self, tag: &str) -> Vec<(String, u64)> {
        let entries = self
            .enums
            .get(tag)
            .unwrap_or_else(|| panic!("no enum {tag}"));
        entries
            .iter()
            .filter(|(name, _)| !name.starts_with("__") && !name.starts_with("MAX_"))
            .cloned()
            .collect()
    }

    fn eval(&self, expr: &str) -> Option<u64> {
        let expr = expr.trim();
        if let Some(inner) = expr.strip_prefix('(').and_then(|e| e.strip_suffix(')')) {
            if balanced(inner) {
                return self.eval(inner);
            }
        }
        if let Some((a, b)) = split_top(expr, "|") {
            return Some(self.eval(a)? | self.eval(b)?);
        }
        if let Some((a, b)) = split_top(expr, "<<") {
            return self
                .eval(a)?
                .checked_shl(u32::try_from(self.eval(b)?).ok()?);
        }
        let digits = expr.trim_end_matches(['U', 'L', 'u', 'l']);
        let literal = match digits.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16).ok(),
            None => digits.parse().ok(),
        };
        literal.or_else(|| self.value(expr))
    }
}

/// The names in `__BPF_FUNC_MAPPER`'s list, in order, each with its id when the header
/// spells it (`FN(name, id, ##ctx)`, Linux 6.2 on) or `None` (`FN(name)`, before).
pub fn helper_list(text: &str) -> Vec<(String, Option<u32>)> {
    let start = text
        .find("FN(unspec")
        .expect("no __BPF_FUNC_MAPPER in the header");
    text[start..]
        .lines()
        .map(str::trim)
        .take_while(|line| line.starts_with("FN("))
        .map(|line| {
            let args = &line["FN(".len()..line.find(')').unwrap()];
            let mut parts = args.split(',').map(str::trim);
            let name = parts.next().unwrap().to_string();
            (name, parts.next().map(|id| id.parse().unwrap()))
        })
        .collect()
}

fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find("*/")
            .map_or(rest.len(), |e| start + e + 2);
        // Keep line structure: a comment spanning lines becomes that many newlines.
        out.extend(rest[start..end].matches('\n').map(|_| '\n'));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn balanced(expr: &str) -> bool {
    let mut depth = 0i32;
    for c in expr.chars() {
        depth += match c {
            '(' => 1,
            ')' => -1,
            _ => 0,
        };
        if depth < 0 {
            return false;
        }
    }
    depth == 0
}

/// Splits at the last top-level (outside parentheses) `op`.
fn split_top<'a>(expr: &'a str, op: &str) -> Option<(&'a str, &'a str)> {
    let mut depth = 0i32;
    let bytes = expr.as_bytes();
    for i in (0..bytes.len()).rev() {
        match bytes[i] {
            b')' => depth += 1,
            b'(' => depth -= 1,
            _ if depth == 0 && expr[i..].starts_with(op) => {
                return Some((&expr[..i], &expr[i + op.len()..]));
            }
            _ => {}
        }
    }
    None
}
