//! The raw 8-byte instruction slot and its little-endian encoding.

/// Size in bytes of one instruction slot.
pub const INSN_SIZE: usize = 8;

/// One raw instruction slot, exactly as stored in bytecode (RFC 9669 section 3).
///
/// `lddw` occupies two slots; the second has opcode 0 and carries the upper 32 bits of the
/// immediate in its `imm`.
///
/// ```
/// use ebee_isa::Insn;
/// let bytes = [0xb7, 0x01, 0x00, 0x00, 0x2a, 0x00, 0x00, 0x00]; // mov %r1, 42
/// let insn = Insn::from_bytes(bytes);
/// assert_eq!((insn.opcode, insn.dst, insn.imm), (0xb7, 1, 42));
/// assert_eq!(insn.to_bytes(), bytes);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Insn {
    /// Opcode byte.
    pub opcode: u8,
    /// Destination register (low nibble of byte 1).
    pub dst: u8,
    /// Source register (high nibble of byte 1).
    pub src: u8,
    /// Signed 16-bit offset.
    pub off: i16,
    /// Signed 32-bit immediate.
    pub imm: i32,
}

impl Insn {
    /// Decodes one slot from its 8 little-endian bytes. Every bit pattern is a slot; whether it
    /// is a valid instruction is decided by [`crate::decode_program`].
    pub fn from_bytes(b: [u8; INSN_SIZE]) -> Insn {
        Insn {
            opcode: b[0],
            dst: b[1] & 0x0f,
            src: b[1] >> 4,
            off: i16::from_le_bytes([b[2], b[3]]),
            imm: i32::from_le_bytes([b[4], b[5], b[6], b[7]]),
        }
    }

    /// Encodes the slot as 8 little-endian bytes.
    pub fn to_bytes(self) -> [u8; INSN_SIZE] {
        let off = self.off.to_le_bytes();
        let imm = self.imm.to_le_bytes();
        [
            self.opcode,
            (self.src << 4) | (self.dst & 0x0f),
            off[0],
            off[1],
            imm[0],
            imm[1],
            imm[2],
            imm[3],
        ]
    }
}

/// Splits bytecode into slots. Fails when the length is not a multiple of 8.
pub fn slots_from_bytes(bytes: &[u8]) -> Result<Vec<Insn>, crate::IsaError> {
    if !bytes.len().is_multiple_of(INSN_SIZE) {
        return Err(crate::IsaError::TruncatedBytecode { len: bytes.len() });
    }
    Ok(bytes
        .chunks_exact(INSN_SIZE)
        .map(|c| Insn::from_bytes(c.try_into().expect("chunk of 8")))
        .collect())
}

/// Joins slots back into bytecode.
pub fn slots_to_bytes(slots: &[Insn]) -> Vec<u8> {
    slots.iter().flat_map(|i| i.to_bytes()).collect()
}
