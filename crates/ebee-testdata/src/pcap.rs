//! Generated frames as a reproducible capture, written with ebee's own pcap writer
//! ([`ebee::hooks::pcap`]; read captures back with [`ebee::hooks::pcap::read`]).

use std::path::Path;
use std::time::Duration;

use ebee::hooks::pcap::{PcapError, Writer};

/// Timestamp of the first packet written by [`write_pcap`] (2024-01-01T00:00:00Z);
/// each further packet is one millisecond later, so files are reproducible.
pub const PCAP_EPOCH_SECS: u64 = 1_704_067_200;

/// Writes `packets` to `path` as an Ethernet pcap file that tcpdump and Wireshark read,
/// with timestamps from [`PCAP_EPOCH_SECS`] on, 1 ms apart: the same frames give the same
/// file.
///
/// # Errors
///
/// The file cannot be created or written (the error names it).
///
/// # Example
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("mixed.pcap");
/// let packets = ebee_testdata::mixed_traffic(1, 20);
/// ebee_testdata::write_pcap(&path, &packets)?;
/// let read = ebee::hooks::pcap::read(&path)?;
/// assert!(read.iter().map(|p| &p.data).eq(&packets));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_pcap(path: impl AsRef<Path>, packets: &[Vec<u8>]) -> Result<(), PcapError> {
    let mut writer = Writer::create(path.as_ref())?;
    for (i, data) in packets.iter().enumerate() {
        let timestamp = Duration::from_secs(PCAP_EPOCH_SECS) + Duration::from_millis(i as u64);
        writer.write(timestamp, data)?;
    }
    writer.finish()
}
