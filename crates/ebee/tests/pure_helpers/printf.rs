//! trace_printk (6), snprintf (165) and trace_vprintk (177): ebee against Linux on the same
//! formats, arguments and buffer sizes.

use super::{Ebee, Kernel, PrintfIn, EFAULT, EINVAL};

/// Strings the `%s`/`%pI*` arguments point at (an argument marked in `mask` with value `k`
/// points at string `k % 4`).
fn strs() -> [[u8; 128]; 4] {
    let mut s = [[0u8; 128]; 4];
    s[0][..5].copy_from_slice(b"hello");
    s[1][..4].copy_from_slice(&[192, 168, 0, 10]);
    s[2][..2].copy_from_slice(&[0xfe, 0x80]);
    s[2][15] = 1;
    for (i, b) in s[3][..127].iter_mut().enumerate() {
        *b = b'a' + (i % 26) as u8;
    }
    s
}

struct Case {
    fmt: Vec<u8>,
    args: Vec<u64>,
    mask: u32,
    /// Prints a hashed pointer: compare lengths only.
    hashed: bool,
}

fn case(fmt: &[u8], args: &[u64], mask: u32) -> Case {
    Case {
        fmt: fmt.to_vec(),
        args: args.to_vec(),
        mask,
        hashed: false,
    }
}

fn cases() -> Vec<Case> {
    let m1 = u64::MAX;
    let mut v = vec![
        case(b"plain text\n", &[], 0),
        case(b"%d %i %u %x %X", &[m1, 7, m1, 255, 0xabc], 0),
        case(
            b"%d %u %x",
            &[0x1_0000_0005, 0xdead_beef_ffff_fffe, 0x1234_5678_9abc],
            0,
        ),
        case(
            b"%ld %lu %lx %lld %llu %llx %lli",
            &[m1, m1, m1, 1 << 40, 1 << 63, 1 << 40, m1 - 1],
            0,
        ),
        case(
            b"[%5d|%-5d|%05d|%+d|% d|%-05d]",
            &[42, 42, (-42i64) as u64, 42, 42, 42],
            0,
        ),
        case(
            b"[%08lx|%1d|%3c|%-3c|%+u|% x]",
            &[0xabc, 12345, b'a'.into(), b'b'.into(), 7, 7],
            0,
        ),
        case(b"[%0+5d|%+05d|%- 5d|% 05d]", &[3, (-3i64) as u64, 3, 3], 0),
        case(b"%s, world", &[0], 1),
        case(b"[%8s|%-8s|%2s]", &[0, 0, 0], 0b111),
        case(b"%pks %s.", &[0, 3], 0b11),
        case(b"%pI4 %pi4 %pI4", &[1, 1, 0], 0b11),
        case(b"%pI6 %pi6 %pI6c!", &[2, 2, 2], 0b111),
        case(b"[%20pI4]", &[1], 1),
        case(
            b"%px [%20px] [%-20px] %p %p",
            &[0x1234, 0xabc, 0xabc, 0, (-5i64) as u64],
            0,
        ),
        // %pB last: when the output is already full at a pre-formatted conversion (%pB,
        // %pI4, %pks, …) Linux neither counts nor skips its text, so a later conversion
        // reads misplaced bytes, some of them stale per-CPU buffer contents.
        case(b"%ps %pS [%10ps] %pB", &[0x10, 0, 0x20, 0xffff], 0),
        case(b"100%% %c%c%c", &[b'!'.into(), 0, b'?'.into()], 0),
        case(b"[%s] [%pks]", &[0xdead, 0xdead], 0),
        case(b"%s|%s|%s|%s", &[3, 3, 3, 3], 0b1111),
        case(b"%s %s %s %s %s", &[3, 3, 3, 3, 0], 0b11111),
        case(b"%s%d", &[3, 9], 1),
        case(
            b"%d %d %d %d %d %d %d %d %d %d %d %d",
            &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
            0,
        ),
        case(b"%200d|", &[7], 0),
        case(b"abcdef%pI4 %d", &[1, 5], 1),
        case(b"%p%d", &[0, 5], 0),
        case(b"%pK%%", &[0], 0),
        case(b"tabs\tand\nnewlines\r\x0b\x0c", &[], 0),
        case(b"caf\xc3\xa9 %d \xff", &[1], 0),
        case(b"%pI4\xc3\xa9!|%s\xa1|%pI4\xd7", &[1, 0, 1], 0b111),
    ];
    v.push(Case {
        hashed: true,
        ..case(b"%p %pK|%-20p|", &[0x1234, 0x1234, 0x99], 0)
    });
    v.push(Case {
        hashed: true,
        ..case(b"%p\xa1%p\xa0", &[0x1234, 0x1234], 0)
    });
    // Formats the kernel refuses.
    for bad in [
        &b"%.3d"[..],
        b"%*d",
        b"%hd",
        b"%o",
        b"%#x",
        b"%sx",
        b"%pks1",
        b"%pe",
        b"%pI5",
        b"%5%",
        b"abc%",
        b"%z",
        b"%lu%",
        b"bell\x07",
        b"%\xc3\xa9",
        b"%s\xc3",
        b"%p\xc3",
        b"del\x7f",
        b"%lld %q",
        b"%ls",
        b"%pX",
    ] {
        v.push(case(bad, &[1, 2, 3], 0));
    }
    v
}

fn input<'a>(c: &'a Case, size: u32, data_len: u32, strs: &[[u8; 128]; 4]) -> PrintfIn<'a> {
    let mut args = [0u64; 12];
    args[..c.args.len()].copy_from_slice(&c.args);
    PrintfIn {
        fmt: &c.fmt,
        args,
        size,
        ptr_mask: c.mask,
        data_len,
        strs: *strs,
    }
}

#[test]
fn snprintf_matches_the_kernel() {
    let ebee = Ebee::new();
    let strs = strs();
    let mut compared = 0;
    for c in cases() {
        let nargs = c.args.len() as u32;
        let kernel = match Kernel::load(&c.fmt, nargs) {
            Ok(kernel) => kernel,
            Err(refused) => {
                // The verifier checks snprintf formats at load time; ebee at run time.
                let (r0, out, _) = ebee.printf(165, &input(&c, 256, 8 * nargs, &strs));
                assert_eq!(
                    (r0, out),
                    (EINVAL, vec![0xAA; 256]),
                    "{:?}: kernel said {refused}",
                    c.fmt
                );
                continue;
            }
        };
        for size in [256, 0, 1, 5, 8, 16] {
            let inp = input(&c, size, 8 * nargs, &strs);
            let (r0, out, _) = ebee.printf(165, &inp);
            let Some(k) = &kernel else { continue };
            let (k_r0, k_out) = k.snprintf(&inp);
            assert_eq!(
                r0,
                k_r0,
                "{:?} size {size}",
                String::from_utf8_lossy(&c.fmt)
            );
            if !c.hashed {
                assert_eq!(
                    out,
                    k_out,
                    "{:?} size {size}",
                    String::from_utf8_lossy(&c.fmt)
                );
            }
            compared += 1;
        }
    }
    eprintln!("{compared} snprintf results compared with the kernel");
}

/// Return values and printed text: ebee's trace sink against what the kernel's trace event
/// recorded (read back from tracefs, line prefix removed).
#[test]
fn trace_printk_and_vprintk_match_the_kernel() {
    let ebee = Ebee::new();
    let strs = strs();
    let kernel = Kernel::plain();
    let capture = kernel.as_ref().map(|_| {
        ebee_kernel::TraceCapture::start().expect("tracefs for the kernel's trace output")
    });
    let mut texts_compared = 0;
    for c in cases() {
        let fmt_size = c.fmt.len() as u32 + 1;
        let nargs = c.args.len() as u32;
        // trace_printk always passes three arguments; vprintk exactly the case's.
        for (id, data_len) in [(6, 0), (177, 8 * nargs)] {
            for size in [fmt_size, fmt_size + 7, fmt_size - 1] {
                let inp = input(&c, size, data_len, &strs);
                let (r0, _, messages) = ebee.printf(id, &inp);
                if r0 >= 0 {
                    assert_eq!(messages.len(), 1, "one message per successful call");
                }
                let (Some(k), Some(capture)) = (&kernel, &capture) else {
                    continue;
                };
                let k_r0 = if id == 6 {
                    k.trace_printk(&inp)
                } else {
                    k.trace_vprintk(&inp)
                };
                let what = String::from_utf8_lossy(&c.fmt);
                assert_eq!(r0, k_r0, "helper {id}: {what:?} fmt_size {size}");
                let k_messages = capture.take().expect("read the kernel's trace");
                if c.hashed {
                    let lengths = |m: &[Vec<u8>]| m.iter().map(Vec::len).collect::<Vec<_>>();
                    assert_eq!(lengths(&messages), lengths(&k_messages), "{what:?}");
                } else {
                    assert_eq!(
                        messages, k_messages,
                        "helper {id}: {what:?} fmt_size {size}: ebee's text, then the kernel's"
                    );
                    texts_compared += messages.len();
                }
            }
        }
    }
    if kernel.is_some() {
        assert!(texts_compared >= 80, "only {texts_compared} texts compared");
        eprintln!("{texts_compared} printed texts equal the kernel's");
    }
}

#[test]
fn printk_messages_reach_the_trace_sink() {
    let ebee = Ebee::new();
    let strs = strs();
    let c = case(b"%s from cpu %d: %pI4\n", &[0, 3, 1], 0b101);
    let (r0, _, messages) = ebee.printf(6, &input(&c, 64, 0, &strs));
    assert_eq!(messages, [b"hello from cpu 3: 192.168.0.10\n"]);
    assert_eq!(r0, messages[0].len() as i64);
    // A NUL from %c ends the message; the length still counts everything.
    let c = case(b"ab%ccd", &[0], 0);
    let (r0, _, messages) = ebee.printf(177, &input(&c, 8, 8, &strs));
    assert_eq!((r0, messages), (5, vec![b"ab".to_vec()]));
    // Output past 1023 bytes is cut; the return value is the full length.
    let c = case(b"%2000d", &[1], 0);
    let (r0, _, messages) = ebee.printf(6, &input(&c, 7, 0, &strs));
    assert_eq!((r0, messages[0].len()), (2000, 1023));
    // ebee's program memory is user memory too: %pus reads it (Linux reads user memory of
    // the current task there, which a kernel pointer is not).
    let c = case(b"%pus|%pks", &[0, 0], 0b11);
    let (r0, _, messages) = ebee.printf(6, &input(&c, 10, 0, &strs));
    assert_eq!((r0, messages), (11, vec![b"hello|hello".to_vec()]));
    // trace_printk has three arguments.
    let c = case(b"%d%d%d%d", &[1, 2, 3, 4], 0);
    assert_eq!(ebee.printf(6, &input(&c, 9, 0, &strs)).0, EINVAL);
    assert_eq!(ebee.printf(177, &input(&c, 9, 32, &strs)).0, 4);
}

#[test]
fn printf_argument_errors() {
    let ebee = Ebee::new();
    let strs = strs();
    let c = case(b"%d", &[1], 0);
    // data_len must be a multiple of 8 and at most 96.
    for data_len_bytes in [4u64, 12, 104] {
        let mut memory = ebee_vm::Memory::new();
        let fmt = b"%d\0";
        let args = [0u8; 104];
        let f = memory.add("fmt", fmt);
        let a = memory.add("args", &args);
        assert_eq!(
            ebee.call(177, &memory, &[f, 3, a, data_len_bytes, 0]),
            EINVAL
        );
        assert_eq!(
            ebee.call(165, &memory, &[0, 0, f, a, data_len_bytes]),
            EINVAL
        );
    }
    // args NULL with data_len 8; unreadable args; snprintf into memory it may not write.
    let mut memory = ebee_vm::Memory::new();
    let f = memory.add("fmt", b"%d\0");
    assert_eq!(ebee.call(165, &memory, &[0, 0, f, 0, 8]), EINVAL);
    assert_eq!(ebee.call(165, &memory, &[0, 0, f, 0x1000, 8]), EFAULT);
    let args = 5u64.to_ne_bytes();
    let a = memory.add("args", &args);
    assert_eq!(
        ebee.call(165, &memory, &[f, 3, f, a, 8]),
        EFAULT,
        "read-only destination"
    );
    assert_eq!(
        ebee.call(165, &memory, &[0, 0, f, a, 8]),
        2,
        "NULL destination of size 0"
    );
    assert_eq!(ebee.call(6, &memory, &[0x1000, 3, 0, 0, 0]), EFAULT);
    assert_eq!(
        ebee.call(6, &memory, &[f, 0, 0, 0, 0]),
        EINVAL,
        "fmt_size 0"
    );
    // No arguments: args may be NULL.
    let plain = memory.add("plain", b"plain\0");
    assert_eq!(ebee.call(177, &memory, &[plain, 6, 0, 0, 0]), 5);
    assert_eq!(ebee.call(165, &memory, &[0, 0, plain, 0, 0]), 6);
    assert_eq!(
        ebee.call(165, &memory, &[0, 0, 0x1000, 0, 0]),
        EFAULT,
        "unreadable format"
    );
    // A format without a NUL inside fmt_size.
    assert_eq!(ebee.printf(6, &input(&c, 2, 0, &strs)).0, EINVAL);
}

/// Random formats built from conversion fragments: Linux and ebee must agree on whether
/// each is valid and on the length of its output, and, for formats without pointer
/// conversions (whose hashes differ), on the printed text. Arguments are 0–3, which every
/// conversion handles alike in both worlds (unreadable strings and addresses, hashed or
/// symbol-less pointers of equal length).
#[test]
fn random_formats_match_the_kernel() {
    let Some(kernel) = Kernel::plain() else {
        return;
    };
    let ebee = Ebee::new();
    let strs = strs();
    let capture = ebee_kernel::TraceCapture::start().expect("tracefs for the kernel's trace");
    let mut texts = 0;
    let pieces: &[&[u8]] = &[
        b"%", b"%", b"%", b"d", b"i", b"u", b"x", b"X", b"l", b"ll", b"s", b"c", b"p", b"K", b"k",
        b"u", b"S", b"B", b"I4", b"i6", b"4", b"0", b"-", b"+", b" ", b"7", b"12", b".", b"*",
        b"h", b"a", b"%%", b"\n", b"\xc3", b"\xa1", b"\x01", b"#", b"e",
    ];
    let mut rng = super::Rng(0x2545_f491_4f6c_dd1d);
    let (mut valid, mut total) = (0, 0);
    for _ in 0..3000 {
        let mut fmt = Vec::new();
        for _ in 0..1 + rng.next() % 12 {
            fmt.extend_from_slice(pieces[(rng.next() % pieces.len() as u64) as usize]);
        }
        fmt.truncate(120);
        let args: Vec<u64> = (0..12).map(|_| rng.next() % 4).collect();
        let c = Case {
            fmt,
            args,
            mask: 0,
            hashed: false,
        };
        let inp = input(&c, c.fmt.len() as u32 + 1, 96, &strs);
        let (r0, _, messages) = ebee.printf(177, &inp);
        let k_r0 = kernel.trace_vprintk(&inp);
        let what = String::from_utf8_lossy(&c.fmt);
        assert_eq!(r0, k_r0, "format {what:?}");
        let k_messages = capture.take().expect("the kernel's trace output");
        if !c.fmt.contains(&b'p') {
            assert_eq!(
                messages, k_messages,
                "format {what:?}: ebee's text, the kernel's"
            );
            texts += messages.len();
        }
        valid += usize::from(r0 >= 0);
        total += 1;
    }
    eprintln!("{total} random formats agree with the kernel ({valid} valid, {texts} texts equal)");
}
