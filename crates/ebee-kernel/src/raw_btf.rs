//! [`RawBtf`]: a BTF blob loaded with `BPF_BTF_LOAD`, which [`crate::RawMapFd`]s and
//! [`crate::RawProgram`]s can share, as libbpf's maps and programs share their object's BTF
//! (the verifier compares types by BTF object and id, so a map's value type and a program's
//! types must come from one load). [`btf_for_kernel`] makes an object's BTF loadable.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use crate::error::{Error, Result};
use crate::sys;

/// A loaded BTF object; dropping it closes its fd (maps and programs using it keep it).
///
/// ```no_run
/// let elf = std::fs::read("prog.bpf.o")?;
/// let btf = ebee_object::Btf::from_elf(&elf)?;
/// let loaded = ebee_kernel::RawBtf::load(&ebee_kernel::btf_for_kernel(&elf, &btf))?;
/// # let _ = loaded;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct RawBtf {
    fd: OwnedFd,
}

impl RawBtf {
    /// Loads raw BTF (`struct btf_header` and what follows).
    ///
    /// # Errors
    ///
    /// [`Error::Object`] with the kernel's error and its BTF verifier's log.
    pub fn load(data: &[u8]) -> Result<Self> {
        match sys::btf_load(data, None) {
            Ok(fd) => Ok(Self { fd }),
            Err(first) => {
                let mut log = vec![0u8; 1 << 20];
                let _ = sys::btf_load(data, Some(&mut log));
                let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
                Err(Error::Object(format!(
                    "BPF_BTF_LOAD failed: {first}: {}",
                    String::from_utf8_lossy(&log[..end]).trim_end()
                )))
            }
        }
    }

    /// The BTF object's fd.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// An object's BTF (`btf`, parsed from the ELF file `elf`) in the form `BPF_BTF_LOAD`
/// accepts, fixed up as libbpf does before loading: data section sizes and variable offsets
/// from the ELF file, extern sections and functions made acceptable. Type ids stay the same,
/// so map and function info keep referring to the right types.
pub fn btf_for_kernel(elf: &[u8], btf: &ebee_object::Btf) -> Vec<u8> {
    crate::kernel_btf::for_kernel(elf, btf)
}
