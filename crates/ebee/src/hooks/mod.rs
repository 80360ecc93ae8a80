//! Hooks: where packets come from and go to. [`pcap`] reads and writes capture files;
//! [`packets`] runs a packet program over many packets and tallies verdicts.

pub mod packets;
pub mod pcap;
