//! Capture files: read the packets of a pcap, write packets to a pcap Wireshark reads.
//!
//! Uses the `pcap-file` crate (pure Rust, reads both byte orders and nanosecond pcaps).

use pcap_file::pcap::{PcapPacket, PcapReader, PcapWriter};
use pcap_file::DataLink;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;
use thiserror::Error;

/// A capture that could not be read or written.
#[derive(Debug, Error)]
#[error("{}: {message}", path.display())]
pub struct PcapError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong.
    pub message: String,
}

fn error(path: &Path, message: impl ToString) -> PcapError {
    PcapError {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

/// One captured packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    /// Capture time since the Unix epoch.
    pub timestamp: Duration,
    /// The bytes, starting with the link-layer header.
    pub data: Vec<u8>,
}

/// Reads every packet of an Ethernet pcap file.
pub fn read(path: &Path) -> Result<Vec<Packet>, PcapError> {
    let file = File::open(path).map_err(|e| error(path, e))?;
    let mut reader =
        PcapReader::new(file).map_err(|e| error(path, format!("not a pcap file: {e}")))?;
    let link = reader.header().datalink;
    if link != DataLink::ETHERNET {
        return Err(error(
            path,
            format!("link type {link:?}: only Ethernet captures are supported"),
        ));
    }
    let mut packets = Vec::new();
    while let Some(packet) = reader.next_packet() {
        let packet =
            packet.map_err(|e| error(path, format!("packet {}: {e}", packets.len() + 1)))?;
        packets.push(Packet {
            timestamp: packet.timestamp,
            data: packet.data.into_owned(),
        });
    }
    Ok(packets)
}

/// Writes packets to an Ethernet pcap file (classic pcap: magic `a1b2c3d4`, version 2.4,
/// microsecond timestamps, snaplen 65535, link type 1) that tcpdump and Wireshark read.
///
/// ```
/// use ebee::hooks::pcap;
/// use std::time::Duration;
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("out.pcap");
/// let mut writer = pcap::Writer::create(&path)?;
/// writer.write(Duration::from_secs(1), &[0xff; 60])?;
/// writer.finish()?;
/// let packets = pcap::read(&path)?;
/// assert_eq!((packets[0].timestamp, packets[0].data.len()), (Duration::from_secs(1), 60));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Writer {
    path: PathBuf,
    writer: PcapWriter<BufWriter<File>>,
}

impl Writer {
    /// Creates (or truncates) `path`.
    pub fn create(path: &Path) -> Result<Writer, PcapError> {
        let file = BufWriter::new(File::create(path).map_err(|e| error(path, e))?);
        let header = pcap_file::pcap::PcapHeader {
            datalink: DataLink::ETHERNET,
            ..Default::default()
        };
        let writer = PcapWriter::with_header(file, header).map_err(|e| error(path, e))?;
        Ok(Writer {
            path: path.to_path_buf(),
            writer,
        })
    }

    /// Appends one packet.
    pub fn write(&mut self, timestamp: Duration, data: &[u8]) -> Result<(), PcapError> {
        let len = u32::try_from(data.len())
            .map_err(|_| error(&self.path, format!("packet of {} bytes", data.len())))?;
        self.writer
            .write_packet(&PcapPacket::new(timestamp, len, data))
            .map(drop)
            .map_err(|e| error(&self.path, e))
    }

    /// Writes what is still buffered to the file. (Dropping the writer does too, but cannot
    /// report an error.)
    pub fn finish(self) -> Result<(), PcapError> {
        let path = self.path;
        self.writer
            .into_writer()
            .flush()
            .map_err(|e| error(&path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_packets(path: &Path, packets: &[&[u8]]) {
        let mut writer = Writer::create(path).unwrap();
        for (i, data) in packets.iter().enumerate() {
            writer.write(Duration::from_millis(i as u64), data).unwrap();
        }
        writer.finish().unwrap();
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("two.pcap");
        write_packets(&path, &[&[1; 60], &[2; 1514]]);
        let packets = read(&path).unwrap();
        let got: Vec<_> = packets
            .iter()
            .map(|p| (p.timestamp, p.data.clone()))
            .collect();
        assert_eq!(
            got,
            [
                (Duration::ZERO, vec![1; 60]),
                (Duration::from_millis(1), vec![2; 1514])
            ]
        );
    }

    #[test]
    fn bad_files_are_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pcap");
        assert!(read(&missing)
            .unwrap_err()
            .to_string()
            .contains("missing.pcap"));
        assert!(Writer::create(&dir.path().join("no/such/dir.pcap")).is_err());

        let junk = dir.path().join("junk.pcap");
        std::fs::write(&junk, b"definitely not a capture file").unwrap();
        assert!(read(&junk).unwrap_err().message.contains("not a pcap file"));

        let good = dir.path().join("good.pcap");
        write_packets(&good, &[&[0; 60], &[0; 60]]);
        let bytes = std::fs::read(&good).unwrap();
        // Link type 101 (raw IP) in the header.
        let mut raw_ip = bytes.clone();
        raw_ip[20..24].copy_from_slice(&101u32.to_be_bytes());
        std::fs::write(&junk, &raw_ip).unwrap();
        assert!(read(&junk).unwrap_err().message.contains("only Ethernet"));
        // The second record cut short.
        std::fs::write(&junk, &bytes[..bytes.len() - 3]).unwrap();
        assert!(read(&junk).unwrap_err().message.starts_with("packet 2:"));
    }
}
