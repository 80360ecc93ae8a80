//! Classic libpcap files with the Ethernet link type, through the `pcap-file` crate.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::Path;
use std::time::Duration;

use pcap_file::pcap::{PcapHeader, PcapPacket, PcapReader, PcapWriter};
use pcap_file::{DataLink, PcapError};

/// Timestamp of the first packet written by [`write_pcap`] (2024-01-01T00:00:00Z);
/// each further packet is one millisecond later, so files are reproducible.
pub const PCAP_EPOCH_SECS: u64 = 1_704_067_200;

fn invalid(e: PcapError) -> io::Error {
    match e {
        PcapError::IoError(e) => e,
        other => io::Error::new(io::ErrorKind::InvalidData, other.to_string()),
    }
}

/// Writes `packets` to `path` as a pcap file (magic `a1b2c3d4`, version 2.4,
/// microsecond timestamps, snaplen 65535, link type 1 = Ethernet) that tcpdump and
/// Wireshark read. Timestamps start at [`PCAP_EPOCH_SECS`] and advance 1 ms per packet.
///
/// # Errors
///
/// Any I/O error creating or writing the file; `InvalidInput` for a packet longer
/// than `u32::MAX` bytes.
///
/// # Example
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("mixed.pcap");
/// let packets = ebee_testdata::mixed_traffic(1, 20);
/// ebee_testdata::write_pcap(&path, &packets)?;
/// assert_eq!(ebee_testdata::read_pcap(&path)?, packets);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_pcap(path: impl AsRef<Path>, packets: &[Vec<u8>]) -> io::Result<()> {
    let file = BufWriter::new(File::create(path)?);
    let header = PcapHeader {
        datalink: DataLink::ETHERNET,
        ..PcapHeader::default()
    };
    let mut writer = PcapWriter::with_header(file, header).map_err(invalid)?;
    for (i, data) in packets.iter().enumerate() {
        let orig_len = u32::try_from(data.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "packet too long"))?;
        let ts = Duration::from_secs(PCAP_EPOCH_SECS) + Duration::from_millis(i as u64);
        writer
            .write_packet(&PcapPacket::new(ts, orig_len, data))
            .map_err(invalid)?;
    }
    writer.into_writer().flush()
}

/// Reads every packet's captured bytes from the pcap file at `path`.
///
/// # Errors
///
/// I/O errors; `InvalidData` when the file is not a classic pcap file (e.g. pcapng),
/// its link type is not Ethernet, or a record is cut short.
///
/// # Example
///
/// ```no_run
/// let packets = ebee_testdata::read_pcap("capture.pcap")?;
/// println!("{} frames", packets.len());
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn read_pcap(path: impl AsRef<Path>) -> io::Result<Vec<Vec<u8>>> {
    let file = BufReader::new(File::open(path)?);
    let mut reader = PcapReader::new(file).map_err(invalid)?;
    let datalink = reader.header().datalink;
    if datalink != DataLink::ETHERNET {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("link type {datalink:?}, expected Ethernet"),
        ));
    }
    let mut packets = Vec::new();
    while let Some(packet) = reader.next_packet() {
        packets.push(packet.map_err(invalid)?.data.into_owned());
    }
    Ok(packets)
}
