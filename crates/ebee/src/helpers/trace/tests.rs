//! Unit tests of the BPF printf emulation (the kernel comparison is in
//! `tests/pure_helpers.rs`).

use super::format;
use super::printf::{Probe, MAX_BIN_ARGS};

/// Memory of a few strings at fixed fake addresses.
struct Fake(Vec<(u64, Vec<u8>)>);

impl Probe for Fake {
    fn read(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        self.0.iter().find_map(|(start, bytes)| {
            let off = usize::try_from(addr.checked_sub(*start)?).ok()?;
            bytes.get(off..off.checked_add(len)?).map(<[u8]>::to_vec)
        })
    }

    fn read_str(&self, addr: u64, count: usize) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        while out.len() < count {
            let b = self.read(addr + out.len() as u64, 1)?[0];
            out.push(b);
            if b == 0 {
                return Some(out);
            }
        }
        if let Some(last) = out.last_mut() {
            *last = 0;
        }
        Some(out)
    }
}

const HELLO: u64 = 0x1000;
const IP4: u64 = 0x2000;
const IP6: u64 = 0x3000;
const LONG: u64 = 0x4000;

fn mem() -> Fake {
    let mut ip6 = vec![0xfe, 0x80];
    ip6.extend([0; 13]);
    ip6.push(1);
    Fake(vec![
        (HELLO, b"hello\0".to_vec()),
        (IP4, vec![192, 168, 0, 10]),
        (IP6, ip6),
        (LONG, [vec![b'x'; 600], vec![0]].concat()),
    ])
}

/// The full output (as if the buffer were large) and its length.
fn fmt(f: &str, args: &[u64]) -> Result<String, i32> {
    let (text, len) = format(f.as_bytes(), args, 4096, &mem())?;
    assert_eq!(
        text.len(),
        len,
        "{f:?}: output fits, so the length is the text's"
    );
    Ok(String::from_utf8_lossy(&text).into_owned())
}

#[test]
fn integers() {
    let neg1 = u64::MAX;
    assert_eq!(
        fmt("%d %i %u %x %X", &[neg1, 7, neg1, 255, 255]).as_deref(),
        Ok("-1 7 4294967295 ff FF")
    );
    assert_eq!(
        fmt("%ld %lu %lx", &[neg1, neg1, neg1]).as_deref(),
        Ok("-1 18446744073709551615 ffffffffffffffff")
    );
    assert_eq!(
        fmt("%lld %llx %lli", &[1 << 40, 1 << 40, neg1]).as_deref(),
        Ok("1099511627776 10000000000 -1")
    );
    // %d takes the low 32 bits.
    assert_eq!(
        fmt("%d %x", &[0x1_0000_0005, 0xdead_beef_0000_0001]).as_deref(),
        Ok("5 1")
    );
}

#[test]
fn widths_and_flags() {
    assert_eq!(fmt("[%5d]", &[42]).as_deref(), Ok("[   42]"));
    assert_eq!(fmt("[%-5d]", &[42]).as_deref(), Ok("[42   ]"));
    assert_eq!(fmt("[%05d]", &[42]).as_deref(), Ok("[00042]"));
    assert_eq!(fmt("[%05d]", &[-42i64 as u64]).as_deref(), Ok("[-0042]"));
    assert_eq!(fmt("[%+d|% d]", &[42, 42]).as_deref(), Ok("[+42| 42]"));
    assert_eq!(fmt("[%+u|%+x]", &[42, 42]).as_deref(), Ok("[42|2a]"));
    assert_eq!(fmt("[%-05d]", &[42]).as_deref(), Ok("[42   ]"));
    assert_eq!(fmt("[%08lx]", &[0xabc]).as_deref(), Ok("[00000abc]"));
    assert_eq!(fmt("[%1d]", &[12345]).as_deref(), Ok("[12345]"));
    assert_eq!(
        fmt("[%3c|%-3c]", &[b'a'.into(), b'b'.into()]).as_deref(),
        Ok("[  a|b  ]")
    );
    assert_eq!(
        fmt("[%8s|%-8s]", &[HELLO, HELLO]).as_deref(),
        Ok("[   hello|hello   ]")
    );
    assert_eq!(fmt("100%% %c", &[b'!'.into()]).as_deref(), Ok("100% !"));
}

#[test]
fn strings_and_pointers() {
    assert_eq!(fmt("%s, world", &[HELLO]).as_deref(), Ok("hello, world"));
    assert_eq!(
        fmt("[%s]", &[0xdead]).as_deref(),
        Ok("[]"),
        "unreadable string"
    );
    assert_eq!(
        fmt("%pks %pus", &[HELLO, HELLO]).as_deref(),
        Ok("hello hello")
    );
    assert_eq!(
        fmt("%pI4 %pi4", &[IP4, IP4]).as_deref(),
        Ok("192.168.0.10 192.168.000.010")
    );
    assert_eq!(fmt("%pI4", &[0xdead]).as_deref(), Ok("0.0.0.0"));
    assert_eq!(
        fmt("%pI6", &[IP6]).as_deref(),
        Ok("fe80:0000:0000:0000:0000:0000:0000:0001")
    );
    assert_eq!(
        fmt("%pi6", &[IP6]).as_deref(),
        Ok("fe800000000000000000000000000001")
    );
    // vsnprintf swallows letters after a pointer conversion: %pI6c is uncompressed.
    assert_eq!(
        fmt("%pI6c!", &[IP6]).as_deref(),
        Ok("fe80:0000:0000:0000:0000:0000:0000:0001!")
    );
    assert_eq!(fmt("%px", &[0x1234]).as_deref(), Ok("0000000000001234"));
    assert_eq!(fmt("[%10px]", &[0x1234]).as_deref(), Ok("[      1234]"));
    assert_eq!(fmt("%p", &[0]).as_deref(), Ok("0000000000000000"));
    assert_eq!(
        fmt("%ps %pS %pB", &[0x10, 0, 0xffff]).as_deref(),
        Ok("0x10 0x0 0xffff")
    );
    let hashed = fmt("%p %pK", &[0x1234, 0x1234]).unwrap();
    let (a, b) = hashed.split_once(' ').unwrap();
    assert_eq!(a, b, "%p and %pK hash alike");
    assert!(a.len() == 16 && a.starts_with("00000000"), "{a}");
    assert_ne!(a, "0000000000001234");
}

#[test]
fn format_errors() {
    let einval = Err(libc::EINVAL);
    assert_eq!(
        fmt("%d %d", &[1]),
        einval,
        "more conversions than arguments"
    );
    assert_eq!(fmt("%d", &[]), einval);
    assert_eq!(fmt("%%", &[]).as_deref(), Ok("%"));
    for bad in [
        "%.3d", "%*d", "%hd", "%lu%", "%o", "%#x", "%z", "%sx", "%pks1", "%pe", "%pI5", "%5%", "%",
    ] {
        assert_eq!(fmt(bad, &[1, 2, 3]), einval, "{bad:?}");
    }
    assert_eq!(fmt("tab\there\n", &[]).as_deref(), Ok("tab\there\n"));
    assert_eq!(fmt("bell\x07", &[]), einval);
    assert_eq!(
        fmt("caf\u{e9} %d", &[1]).as_deref(),
        Ok("caf\u{e9} 1"),
        "UTF-8 text"
    );
    assert_eq!(fmt("%\u{e9}", &[1]), einval, "non-ASCII right after %");
    assert_eq!(
        fmt("%s\u{e9}", &[HELLO]),
        einval,
        "0xc3 is a letter in Latin-1"
    );
    // Accepted: a conversion right before punctuation or the end.
    assert_eq!(fmt("%s.", &[HELLO]).as_deref(), Ok("hello."));
    assert_eq!(fmt("%p%d", &[0, 5]).as_deref(), Ok("00000000000000005"));
}

#[test]
fn the_binary_buffer_holds_512_bytes() {
    // A 600-byte string is cut to what fits (511 bytes and the NUL).
    let s = fmt("%s", &[LONG]).unwrap();
    assert_eq!(s.len(), MAX_BIN_ARGS - 1);
    // Nothing fits after it.
    assert_eq!(fmt("%s%d", &[LONG, 1]), Err(libc::ENOSPC));
    assert_eq!(fmt("%s%c", &[LONG, 1]), Err(libc::ENOSPC));
    assert_eq!(fmt("%s%s", &[LONG, HELLO]), Err(libc::ENOSPC));
    assert_eq!(fmt("%s %pI4", &[LONG, IP4]), Err(libc::ENOSPC));
}

#[test]
fn truncation_counts_the_whole_output() {
    let (text, len) = format(b"%s world %d", &[HELLO, 12345], 8, &mem()).unwrap();
    assert_eq!((text.as_slice(), len), (&b"hello w"[..], 17));
    let (text, len) = format(b"abc", &[], 0, &mem()).unwrap();
    assert_eq!((text.len(), len), (0, 3));
    // Huge widths are counted, not built.
    let (text, len) = format(b"%8000000d", &[1], 16, &mem()).unwrap();
    assert_eq!((text.len(), len), (15, 8_000_000));
    // A NUL from %c is part of the output.
    let (text, len) = format(b"a%cb", &[0], 16, &mem()).unwrap();
    assert_eq!((text.as_slice(), len), (&b"a\0b"[..], 3));
}

/// Any bytes as a format, any arguments, any size: an errno or output, never a panic, and
/// never more than `size - 1` bytes.
#[test]
fn arbitrary_formats_never_panic() {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let alphabet = b"%%%%dilxXucsSpKkBIi46e0-+ #.*9\xc3\xa1\x00\n";
    for _ in 0..20_000 {
        let len = (next() % 24) as usize;
        let fmt: Vec<u8> = (0..len)
            .map(|_| match next() % 8 {
                0 => next() as u8,
                _ => alphabet[(next() % alphabet.len() as u64) as usize],
            })
            .collect();
        let args: Vec<u64> = (0..next() % 13)
            .map(|_| [HELLO, IP4, IP6, LONG, 0, next()][(next() % 6) as usize])
            .collect();
        let size = (next() % 40) as usize;
        if let Ok((text, _)) = format(&fmt, &args, size, &mem()) {
            assert!(text.len() < size.max(1), "{fmt:?}");
        }
    }
}
