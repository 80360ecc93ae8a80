//! pcap files: round trip, the on-disk header tools rely on, and bad input.

use ebee_testdata::{mixed_traffic, read_pcap, write_pcap, PCAP_EPOCH_SECS};

#[test]
fn round_trip_and_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mixed.pcap");
    let packets = mixed_traffic(11, 300);
    write_pcap(&path, &packets).unwrap();
    assert_eq!(read_pcap(&path).unwrap(), packets);

    let bytes = std::fs::read(&path).unwrap();
    // Big-endian classic pcap: magic, version 2.4, snaplen 65535, link type 1.
    assert_eq!(bytes[..4], [0xa1, 0xb2, 0xc3, 0xd4]);
    assert_eq!(bytes[4..8], [0, 2, 0, 4]);
    assert_eq!(bytes[16..20], 65535u32.to_be_bytes());
    assert_eq!(bytes[20..24], 1u32.to_be_bytes());
    // First record: timestamp, captured and original length.
    assert_eq!(bytes[24..28], (PCAP_EPOCH_SECS as u32).to_be_bytes());
    assert_eq!(bytes[28..32], 0u32.to_be_bytes());
    let len = (packets[0].len() as u32).to_be_bytes();
    assert_eq!(
        (bytes[32..36].to_vec(), bytes[36..40].to_vec()),
        (len.to_vec(), len.to_vec())
    );
    let records: usize = packets.iter().map(|p| 16 + p.len()).sum();
    assert_eq!(bytes.len(), 24 + records);

    // Deterministic: the same frames give the same file.
    let again = dir.path().join("again.pcap");
    write_pcap(&again, &packets).unwrap();
    assert_eq!(std::fs::read(&again).unwrap(), bytes);
}

#[test]
fn empty_file_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.pcap");
    write_pcap(&path, &[]).unwrap();
    assert!(read_pcap(&path).unwrap().is_empty());
}

#[test]
fn bad_input_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    assert!(read_pcap(dir.path().join("missing.pcap")).is_err());
    assert!(write_pcap(dir.path().join("no/such/dir.pcap"), &[vec![0; 60]]).is_err());

    let junk = dir.path().join("junk.pcap");
    std::fs::write(&junk, b"definitely not a capture file").unwrap();
    assert!(read_pcap(&junk).is_err());

    // A valid header with link type 101 (raw IP) is refused.
    let good = dir.path().join("good.pcap");
    write_pcap(&good, &mixed_traffic(1, 2)).unwrap();
    let mut bytes = std::fs::read(&good).unwrap();
    bytes[20..24].copy_from_slice(&101u32.to_be_bytes());
    let raw = dir.path().join("raw.pcap");
    std::fs::write(&raw, &bytes).unwrap();
    let err = read_pcap(&raw).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);

    // A record cut short.
    let mut cut = std::fs::read(&good).unwrap();
    cut.truncate(cut.len() - 3);
    let cut_path = dir.path().join("cut.pcap");
    std::fs::write(&cut_path, &cut).unwrap();
    assert!(read_pcap(&cut_path).is_err());
}
