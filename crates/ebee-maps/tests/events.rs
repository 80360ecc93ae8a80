//! Ring buffers and perf event arrays: producer calls, record format, consumers.

use ebee_maps::{flags::*, Errno, Map, MapSpec, MapType, PerfRecord};
use std::sync::Arc;

fn ring(size: u32) -> Arc<Map> {
    Map::create(MapSpec::new("rb", MapType::RingBuf, 0, 0, size), 1).unwrap()
}

fn drain(rb: &Map) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    rb.ringbuf_consume(|s| out.push(s.to_vec())).unwrap();
    out
}

#[test]
fn reserve_submit_discard_in_order() {
    let rb = ring(4096);
    let a = rb.ringbuf_reserve(3, 0).unwrap();
    let b = rb.ringbuf_reserve(8, 0).unwrap();
    let c = rb.ringbuf_reserve(0, 0).unwrap();
    // Headers: 8 bytes, length with the BUSY bit while reserved.
    // SAFETY: the header precedes a live reservation.
    let hdr = unsafe { a.as_ptr().wrapping_sub(8).cast::<u32>().read() };
    assert_eq!(hdr, 3 | BPF_RINGBUF_BUSY_BIT);
    assert_eq!(rb.ringbuf_query(BPF_RB_PROD_POS), 16 + 16 + 8);
    assert_eq!(rb.ringbuf_query(BPF_RB_RING_SIZE), 4096);
    assert_eq!(rb.ringbuf_query(BPF_RB_AVAIL_DATA), 40);
    assert_eq!(rb.ringbuf_query(99), 0);
    // SAFETY: writes inside the first reserved sample.
    unsafe { a.as_ptr().copy_from(b"abc".as_ptr(), 3) };
    // SAFETY: and inside the second.
    unsafe { b.as_ptr().copy_from(b"discard!".as_ptr(), 8) };
    rb.ringbuf_submit(c.as_ptr(), 0).unwrap();
    assert!(
        drain(&rb).is_empty(),
        "the first record is still busy: nothing yet"
    );
    rb.ringbuf_discard(b.as_ptr(), 0).unwrap();
    // SAFETY: header of a committed discarded record.
    let hdr = unsafe { b.as_ptr().wrapping_sub(8).cast::<u32>().read() };
    assert_eq!(hdr, 8 | BPF_RINGBUF_DISCARD_BIT);
    rb.ringbuf_submit(a.as_ptr(), 0).unwrap();
    assert_eq!(
        rb.ringbuf_submit(a.as_ptr(), 0),
        Err(Errno::EINVAL),
        "already committed"
    );
    assert_eq!(drain(&rb), vec![b"abc".to_vec(), vec![]]);
    assert_eq!(rb.ringbuf_query(BPF_RB_CONS_POS), 40);
    assert_eq!(rb.ringbuf_query(BPF_RB_AVAIL_DATA), 0);
}

#[test]
fn full_ring_and_bad_flags() {
    let rb = ring(4096);
    assert!(
        rb.ringbuf_reserve(10, 1).is_none(),
        "reserve flags must be 0"
    );
    assert!(
        rb.ringbuf_reserve(4096, 0).is_none(),
        "larger than the ring"
    );
    assert_eq!(rb.ringbuf_output(b"x", 4), Err(Errno::EINVAL));
    let big = vec![7u8; 2000];
    rb.ringbuf_output(&big, BPF_RB_NO_WAKEUP).unwrap();
    rb.ringbuf_output(&big, BPF_RB_FORCE_WAKEUP).unwrap();
    assert_eq!(rb.ringbuf_output(&big, 0), Err(Errno::EAGAIN));
    assert!(rb.ringbuf_reserve(100, 0).is_none());
    assert_eq!(rb.ringbuf_read().unwrap(), Some(big.clone()));
    rb.ringbuf_output(&big, 0).unwrap();
    assert_eq!(drain(&rb).len(), 2);
    let mut other = [0u8; 16];
    assert_eq!(rb.ringbuf_submit(other.as_mut_ptr(), 0), Err(Errno::EINVAL));
    let h = Map::create(MapSpec::new("h", MapType::Hash, 4, 4, 4), 1).unwrap();
    assert!(h.ringbuf_reserve(8, 0).is_none());
    assert_eq!(h.ringbuf_output(b"x", 0), Err(Errno::EINVAL));
}

#[test]
fn records_wrap_around_the_end_contiguously() {
    let rb = ring(4096);
    let mut expected = Vec::new();
    for round in 0u8..20 {
        let len = 700 + round as usize * 13;
        let rec = rb.ringbuf_reserve(len as u64, 0).unwrap();
        let data: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(round)).collect();
        // SAFETY: `len` reserved bytes, contiguous even across the end of the ring.
        unsafe { rec.as_ptr().copy_from(data.as_ptr(), len) };
        // Map-less commit through the record header, as bpf_ringbuf_submit does.
        // SAFETY: a pending reservation of a live ring.
        unsafe { ebee_maps::ringbuf_commit(rec.as_ptr(), 0, false) };
        expected.push(data);
        if round % 2 == 1 {
            let got = drain(&rb);
            assert_eq!(got, expected);
            expected.clear();
        }
    }
    assert!(rb.ringbuf_query(BPF_RB_PROD_POS) > 4096 * 3);
}

#[test]
fn concurrent_producers_one_consumer() {
    let rb = ring(1 << 16);
    let producers = 3u32;
    let per = 2000u32;
    let handles: Vec<_> = (0..producers)
        .map(|p| {
            let rb = Arc::clone(&rb);
            std::thread::spawn(move || {
                for i in 0..per {
                    let rec = [p.to_ne_bytes(), i.to_ne_bytes()].concat();
                    while rb.ringbuf_output(&rec, 0) == Err(Errno::EAGAIN) {
                        std::thread::yield_now();
                    }
                }
            })
        })
        .collect();
    let mut next = vec![0u32; producers as usize];
    let mut seen = 0;
    while seen < producers * per {
        if !rb
            .ringbuf_wait(std::time::Duration::from_millis(50))
            .unwrap()
        {
            continue;
        }
        rb.ringbuf_consume(|s| {
            let p = u32::from_ne_bytes(s[..4].try_into().unwrap()) as usize;
            let i = u32::from_ne_bytes(s[4..8].try_into().unwrap());
            assert_eq!(i, next[p], "records of one producer arrive in order");
            next[p] += 1;
            seen += 1;
        })
        .unwrap();
    }
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn perf_event_output_and_reader() {
    let spec = MapSpec::new("events", MapType::PerfEventArray, 4, 4, 2);
    let m = Map::create(spec, 2).unwrap();
    assert_eq!(
        m.perf_event_output(0, BPF_F_CURRENT_CPU, b"x"),
        Err(Errno::ENOENT)
    );
    assert_eq!(m.perf_event_output(0, 5, b"x"), Err(Errno::E2BIG));
    m.perf_open_all(64).unwrap();
    assert_eq!(m.perf_event_output(0, 1, b"x"), Err(Errno::EOPNOTSUPP));
    assert_eq!(m.perf_event_output(0, 1 << 63, b"x"), Err(Errno::EINVAL));
    m.perf_event_output(0, 0, b"abcd").unwrap();
    m.perf_event_output(1, BPF_F_CURRENT_CPU, b"abcde").unwrap();
    assert_eq!(
        m.perf_read(0).unwrap(),
        Some(PerfRecord::Sample(b"abcd".to_vec()))
    );
    assert_eq!(m.perf_read(0).unwrap(), None);
    let padded = b"abcde\0\0\0\0\0\0\0".to_vec();
    assert_eq!(m.perf_read(1).unwrap(), Some(PerfRecord::Sample(padded)));
    // 64 bytes hold two 28-byte records; the third is lost and reported before the next.
    for _ in 0..3 {
        let _ = m.perf_event_output(0, BPF_F_CURRENT_CPU, &[1; 16]);
    }
    assert_eq!(
        m.perf_event_output(0, BPF_F_CURRENT_CPU, &[1; 16]),
        Err(Errno::ENOSPC)
    );
    let mut got = Vec::new();
    m.perf_drain(|cpu, r| got.push((cpu, r))).unwrap();
    assert_eq!(got.len(), 2);
    m.perf_event_output(0, BPF_F_CURRENT_CPU, &[2; 4]).unwrap();
    assert_eq!(m.perf_read(0).unwrap(), Some(PerfRecord::Lost(2)));
    assert_eq!(
        m.perf_read(0).unwrap(),
        Some(PerfRecord::Sample(vec![2; 4]))
    );
    m.delete(&0u32.to_ne_bytes()).unwrap();
    assert_eq!(m.perf_read(0), Err(Errno::ENOENT));
    assert_eq!(m.lookup(&0u32.to_ne_bytes()), Err(Errno::ENOTSUPP));
}

#[test]
fn a_wrapping_reservation_shows_the_bytes_the_kernel_shows() {
    // The kernel maps the data pages twice: the wrapped part of a record is the start of
    // the ring, stale bytes included; headers carry page offsets counted from page 3 of the
    // kernel's `struct bpf_ringbuf`.
    let rb = ring(4096);
    rb.ringbuf_output(&[0xaa; 24], 0).unwrap(); // ring bytes 0..32: header, 24 x 0xaa
    let first = rb.ringbuf_reserve(4000, 0).unwrap(); // 32..4040
                                                      // SAFETY: the header precedes a live reservation.
    let pg_off = unsafe { first.as_ptr().wrapping_sub(4).cast::<u32>().read() };
    assert_eq!(pg_off, 3);
    rb.ringbuf_discard(first.as_ptr(), 0).unwrap();
    assert_eq!(drain(&rb), vec![vec![0xaa; 24]]);
    // 4040..4096 then 0..48: the sample's last 48 bytes are the ring's first 48.
    let wrapped = rb.ringbuf_reserve(96, 0).unwrap();
    // SAFETY: reads and writes inside the 96 reserved bytes.
    let tail =
        unsafe { std::slice::from_raw_parts(wrapped.as_ptr().wrapping_add(48), 48).to_vec() };
    assert_eq!(tail[..8], [24, 0, 0, 0, 3, 0, 0, 0]);
    assert_eq!(tail[8..32], [0xaa; 24]);
    let discarded = (4000 | BPF_RINGBUF_DISCARD_BIT).to_ne_bytes();
    assert_eq!(tail[32..36], discarded);
    // SAFETY: as above.
    unsafe { wrapped.as_ptr().wrapping_add(48).write_bytes(0x55, 48) };
    rb.ringbuf_submit(wrapped.as_ptr(), 0).unwrap();
    assert_eq!(drain(&rb)[0][48..], [0x55; 48]);
    // A record ending at the lap's end, then one at the ring's start (not wrapping): it sees
    // the wrapped bytes written in the last lap, as through the kernel's single mapping.
    let filler = rb.ringbuf_reserve(4096 - 48 - 8, 0).unwrap();
    rb.ringbuf_discard(filler.as_ptr(), 0).unwrap();
    drain(&rb);
    let start = rb.ringbuf_reserve(16, 0).unwrap();
    // SAFETY: reads inside the 16 reserved bytes.
    let bytes = unsafe { std::slice::from_raw_parts(start.as_ptr(), 16).to_vec() };
    assert_eq!(bytes, [0x55; 16]);
    rb.ringbuf_discard(start.as_ptr(), 0).unwrap();
}
