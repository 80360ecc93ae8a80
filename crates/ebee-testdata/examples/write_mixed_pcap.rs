//! Writes `mixed_traffic(seed, count)` to a pcap file for tcpdump or Wireshark:
//! `cargo run -p ebee-testdata --example write_mixed_pcap -- out.pcap [seed] [count]`.

fn main() -> Result<(), ebee::hooks::pcap::PcapError> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "mixed.pcap".into());
    let seed = args
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x00eb_ee00);
    let count = args.next().and_then(|s| s.parse().ok()).unwrap_or(300);
    ebee_testdata::write_pcap(&path, &ebee_testdata::mixed_traffic(seed, count))?;
    println!("wrote {count} frames (seed {seed}) to {path}");
    Ok(())
}
