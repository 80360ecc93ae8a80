#!/usr/bin/env bash
# Runs every test of the workspace, installing what the tests need on a fresh Debian 12 machine:
# clang-19 (compiles the C test programs), llvm-19 (llvm-objdump-19, the disassembly oracle),
# libbpf-dev (the headers the C programs include), xdp-tools (real-world XDP objects),
# linux-libc-dev (linux/bpf.h, which ebee-abi's and ebee-kernel's constants are checked against),
# linux-source-6.12 and bpftool (the kernel's verifier selftests, compiled against the running
# kernel's vmlinux.h by ebee-testdata's kernel_selftests test); xdp-tests and
# golang-github-cilium-ebpf-dev (the other Debian packages shipping compiled BPF objects) and
# libelf-dev + zlib1g-dev (libbpf, built from the kernel tree as the oracle) for ebee-testdata's
# real_world_objects test.
# Tests that load programs into the kernel (the oracle) need root or CAP_BPF; without bpf()
# they print why and skip. They need no bpffs (the oracle never pins maps); the trace-helper
# comparisons read the kernel's trace output from tracefs, which this script mounts when it
# runs as root and /sys/kernel/tracing is not mounted.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v clang-19 >/dev/null || need+=(clang-19)
command -v llvm-objdump-19 >/dev/null || need+=(llvm-19)
[ -f /usr/include/bpf/bpf_helpers.h ] || need+=(libbpf-dev)
[ -f /usr/lib/x86_64-linux-gnu/bpf/xdpfilt_alw_all.o ] || need+=(xdp-tools)
[ -f /usr/include/linux/bpf.h ] || need+=(linux-libc-dev)
[ -f /usr/src/linux-source-6.12.tar.xz ] || need+=(linux-source-6.12)
command -v bpftool >/dev/null || need+=(bpftool)
[ -f /usr/libexec/xdp-tools/xdp_pass.o ] || need+=(xdp-tests)
[ -d /usr/share/gocode/src/github.com/cilium/ebpf/testdata ] || need+=(golang-github-cilium-ebpf-dev)
[ -f /usr/include/libelf.h ] || need+=(libelf-dev)
[ -f /usr/include/zlib.h ] || need+=(zlib1g-dev)
if [ ${#need[@]} -gt 0 ]; then
    echo "installing: ${need[*]}"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ "$(id -u)" = 0 ] && [ ! -d /sys/kernel/tracing/instances ]; then
    echo "mounting tracefs at /sys/kernel/tracing (the trace-helper tests read the kernel's output)"
    mount -t tracefs tracefs /sys/kernel/tracing
fi

if [ ! -d ../shared/conformance ]; then
    echo "error: ../shared/conformance (the BPF conformance suite) must sit beside this repository" >&2
    exit 1
fi

cargo test --workspace --all-targets "$@"
cargo test --workspace --doc

# The runs above use the default engine (the JIT on x86-64). The C test programs, the
# xdp-tools objects and the kernel comparisons once more on the interpreter, so that both
# engines are held to the kernel's results (ebee-vm's own tests run both engines already).
echo "== the same programs on the interpreter (EBEE_ENGINE=interp)"
EBEE_ENGINE=interp cargo test -p ebee -p ebee-testdata -p ebee-cli --tests "$@"

# The VM's and the maps' unit tests under Miri, which checks the unsafe code for undefined
# behaviour (pointer provenance, aliasing, data races). Needs a nightly toolchain with miri.
if ! cargo +nightly miri --version >/dev/null 2>&1; then
    rustup component add --toolchain nightly miri rust-src >/dev/null 2>&1 || true
fi
if cargo +nightly miri --version >/dev/null 2>&1; then
    echo "== Miri: ebee-vm and ebee-maps unit tests"
    MIRIFLAGS=-Zmiri-permissive-provenance cargo +nightly miri test -p ebee-vm -p ebee-maps --lib
else
    echo "skipping Miri: no nightly toolchain with miri here (rustup toolchain install nightly --component miri)"
fi
