//! Capture files: read the packets of a pcap, write packets to a pcap Wireshark reads.
//!
//! Uses the `pcap-file` crate (pure Rust, reads both byte orders and nanosecond pcaps).

use pcap_file::pcap::{PcapPacket, PcapReader, PcapWriter};
use pcap_file::DataLink;
use std::fs::File;
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

/// Writes packets to an Ethernet pcap file.
pub struct Writer {
    path: PathBuf,
    writer: PcapWriter<File>,
}

impl Writer {
    /// Creates (or truncates) `path`.
    pub fn create(path: &Path) -> Result<Writer, PcapError> {
        let file = File::create(path).map_err(|e| error(path, e))?;
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
        let packet = PcapPacket::new(timestamp, data.len() as u32, data);
        self.writer
            .write_packet(&packet)
            .map(drop)
            .map_err(|e| error(&self.path, e))
    }
}
