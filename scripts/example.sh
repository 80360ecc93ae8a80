#!/usr/bin/env bash
# ebee's main job on a bundled example: compile examples/xdp_firewall.bpf.c with clang (as for
# Linux), then run it over the bundled capture examples/traffic.pcap with ebee — no kernel, no
# root — blocking TCP port 22 through a map update, and print the verdict counts.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v clang-19 >/dev/null || [ ! -f /usr/include/bpf/bpf_helpers.h ]; then
    echo "installing clang-19 and libbpf-dev (needed to compile the example)"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq clang-19 libbpf-dev >/dev/null
fi

out=target/examples
mkdir -p "$out"
clang-19 -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu \
    -c examples/xdp_firewall.bpf.c -o "$out/xdp_firewall.bpf.o"

# Port 22 as the map's __u16 key (little-endian hex), value 1.
cargo run --release -q -p ebee-cli -- xdp "$out/xdp_firewall.bpf.o" \
    --pcap examples/traffic.pcap \
    --map-update blocked_tcp_ports:1600:01 \
    --write-pass "$out/passed.pcap" \
    --maps-out "$out/maps.json" "$@"
echo "passed packets: $out/passed.pcap; map contents: $out/maps.json"
