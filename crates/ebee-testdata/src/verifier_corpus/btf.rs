//! The BTF a map needs for a value with a `struct bpf_spin_lock`: the kernel only finds the
//! lock through the map's BTF (`btf_record` of the value type).

/// `BTF_KIND_*` of `linux/btf.h`.
const KIND_INT: u32 = 1;
const KIND_ARRAY: u32 = 3;
const KIND_STRUCT: u32 = 4;
/// `BTF_INT_SIGNED`.
const INT_SIGNED: u32 = 1;
const BTF_MAGIC: u16 = 0xeb9f;
const HEADER_LEN: u32 = 24;

/// Raw BTF for `struct map_value { struct bpf_spin_lock lock; int data[N]; }` of
/// `value_size` bytes, and the ids of the key type (`int`) and the value type in it.
///
/// ```
/// let (btf, key, value) = ebee_testdata::verifier_corpus::spin_lock_value_btf(8).unwrap();
/// assert_eq!(&btf[..2], &0xeb9fu16.to_le_bytes());
/// assert_eq!((key, value), (1, 4));
/// assert!(ebee_testdata::verifier_corpus::spin_lock_value_btf(6).is_none());
/// ```
///
/// `None` when `value_size` is not a multiple of 4 of at least 8.
pub fn spin_lock_value_btf(value_size: u32) -> Option<(Vec<u8>, u32, u32)> {
    if value_size < 8 || !value_size.is_multiple_of(4) {
        return None;
    }
    let strings = b"\0int\0bpf_spin_lock\0val\0map_value\0lock\0data\0";
    let at = |name: &str| -> u32 {
        let needle = format!("\0{name}\0");
        let pos = strings
            .windows(needle.len())
            .position(|w| w == needle.as_bytes())
            .expect("every name is in the table");
        pos as u32 + 1
    };
    let info = |kind: u32, vlen: u32| (kind << 24) | vlen;
    let words: Vec<u32> = vec![
        // 1: int
        at("int"),
        info(KIND_INT, 0),
        4,
        (INT_SIGNED << 24) | 32,
        // 2: struct bpf_spin_lock { int val; }
        at("bpf_spin_lock"),
        info(KIND_STRUCT, 1),
        4,
        at("val"),
        1,
        0,
        // 3: int[(value_size - 4) / 4]
        0,
        info(KIND_ARRAY, 0),
        0,
        1,
        1,
        (value_size - 4) / 4,
        // 4: struct map_value { struct bpf_spin_lock lock; int data[]; }
        at("map_value"),
        info(KIND_STRUCT, 2),
        value_size,
        at("lock"),
        2,
        0,
        at("data"),
        3,
        32,
    ];
    let type_len = words.len() as u32 * 4;
    let mut btf = Vec::new();
    btf.extend(BTF_MAGIC.to_le_bytes());
    btf.extend([1, 0]); // version 1, no flags
    for word in [HEADER_LEN, 0, type_len, type_len, strings.len() as u32] {
        btf.extend(word.to_le_bytes());
    }
    for word in words {
        btf.extend(word.to_le_bytes());
    }
    btf.extend(strings);
    Some((btf, 1, 4))
}
