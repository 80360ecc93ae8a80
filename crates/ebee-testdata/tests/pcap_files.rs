//! Generated traffic as pcap files: round trip through ebee's reader, the on-disk header tools
//! rely on, reproducibility. (Bad files are `ebee::hooks::pcap`'s own tests.)

use ebee::hooks::pcap;
use ebee_testdata::{mixed_traffic, write_pcap, PCAP_EPOCH_SECS};
use std::time::Duration;

#[test]
fn round_trip_and_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mixed.pcap");
    let packets = mixed_traffic(11, 300);
    write_pcap(&path, &packets).unwrap();
    let read = pcap::read(&path).unwrap();
    assert!(read.iter().map(|p| &p.data).eq(&packets));
    assert_eq!(read[0].timestamp, Duration::from_secs(PCAP_EPOCH_SECS));
    assert_eq!(
        read[299].timestamp - read[0].timestamp,
        Duration::from_millis(299)
    );

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
    assert!(pcap::read(&path).unwrap().is_empty());
}

#[test]
fn unwritable_path_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let err = write_pcap(dir.path().join("no/such/dir.pcap"), &[vec![0; 60]]).unwrap_err();
    assert!(err.to_string().contains("dir.pcap"), "{err}");
}
