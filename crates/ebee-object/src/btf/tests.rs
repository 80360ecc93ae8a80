//! BTF built in Rust, written, parsed back; corrupt BTF rejected without panics.

use super::*;

fn sample() -> (Btf, u32, u32) {
    let mut btf = Btf::new();
    let int = btf.add_int("int", 4, true);
    let u8_id = btf.add_int("__u8", 1, false);
    let ptr = btf.add_pointer(int);
    let array = btf.add_array(u8_id, 6);
    let typedef = btf.add_typedef("mac_t", array);
    let mut task = BtfType::structure(
        "task",
        24,
        vec![
            BtfMember::new("pid", int, 0),
            BtfMember::new("mac", typedef, 32),
            BtfMember::new("next", ptr, 128),
        ],
    );
    if let BtfKind::Struct { members, .. } = &mut task.kind {
        members.push(BtfMember {
            name: "bits".into(),
            type_id: int,
            bit_offset: 96,
            bitfield_size: 3,
        });
    }
    let task = btf.add_type(task);
    btf.add_type(BtfType::enumeration(
        "mode",
        4,
        vec![BtfEnumValue::new("OFF", 0), BtfEnumValue::new("NEG", -2)],
    ));
    btf.add_type(BtfType::new(
        "wide",
        BtfKind::Enum64 {
            size: 8,
            signed: false,
            values: vec![BtfEnumValue::new("BIG", 1 << 40)],
        },
    ));
    let proto = btf.add_type(BtfType::new(
        "",
        BtfKind::FuncProto {
            ret: int,
            params: vec![BtfParam {
                name: "ctx".into(),
                type_id: ptr,
            }],
        },
    ));
    btf.add_type(BtfType::new("main", BtfKind::Func { proto, linkage: 1 }));
    let var = btf.add_type(BtfType::new(
        "counter",
        BtfKind::Var {
            target: int,
            linkage: 1,
        },
    ));
    btf.add_type(BtfType::new(
        ".data",
        BtfKind::Datasec {
            size: 4,
            vars: vec![BtfVarSecInfo {
                type_id: var,
                offset: 0,
                size: 4,
            }],
        },
    ));
    btf.add_type(BtfType::new("double", BtfKind::Float { size: 8 }));
    btf.add_type(BtfType::new("fwd", BtfKind::Fwd { is_union: true }));
    btf.add_type(BtfType::new(
        "tag",
        BtfKind::DeclTag {
            target: task,
            component: -1,
        },
    ));
    btf.add_type(BtfType::new("user", BtfKind::TypeTag { target: int }));
    btf.add_type(BtfType::new("", BtfKind::Const { target: int }));
    btf.add_type(BtfType::new("", BtfKind::Volatile { target: int }));
    btf.add_type(BtfType::new("", BtfKind::Restrict { target: ptr }));
    btf.add_type(BtfType::new(
        "u",
        BtfKind::Union {
            size: 4,
            members: vec![BtfMember::new("a", int, 0)],
        },
    ));
    (btf, task, typedef)
}

#[test]
fn every_kind_round_trips_through_bytes() {
    let (btf, task, typedef) = sample();
    let again = Btf::parse(&btf.to_bytes()).unwrap();
    assert_eq!(again.len(), btf.len());
    for (id, ty) in btf.types() {
        assert_eq!(again.type_by_id(id), Some(ty), "type [{id}]");
    }
    assert_eq!(again.resolve_size(task), Some(24));
    assert_eq!(again.resolve_size(typedef), Some(6));
    assert_eq!(again.id_by_name("task"), Some(task));
    assert_eq!(
        again.skip_modifiers(typedef).unwrap().1.kind.name(),
        "ARRAY"
    );
}

#[test]
fn c_structs_are_laid_out_with_natural_alignment() {
    let mut btf = Btf::new();
    let u8_id = btf.add_int("__u8", 1, false);
    let u64_id = btf.add_int("__u64", 8, false);
    let ptr = btf.add_pointer(0);
    let s = btf
        .add_c_struct(
            "s",
            &[("a", u8_id), ("b", u64_id), ("c", u8_id), ("p", ptr)],
        )
        .unwrap();
    let members = btf.type_by_id(s).unwrap().kind.members().unwrap();
    let offsets: Vec<u32> = members.iter().map(|m| m.bit_offset / 8).collect();
    assert_eq!(offsets, [0, 8, 16, 24]);
    assert_eq!(btf.resolve_size(s), Some(32));
    let err = btf.add_c_struct("bad", &[("f", 9999)]).unwrap_err();
    assert!(err.to_string().contains("member f"), "{err}");
}

#[test]
fn sizes_of_broken_or_cyclic_types_are_none() {
    let mut btf = Btf::new();
    let a = btf.add_typedef("a", 2);
    btf.add_typedef("b", a); // a -> b -> a
    assert_eq!(btf.resolve_size(a), None);
    assert!(btf.skip_modifiers(a).is_none());
    let int = btf.add_int("int", 4, true);
    let huge = btf.add_type(BtfType::new(
        "",
        BtfKind::Array {
            elem: int,
            index: int,
            len: u32::MAX,
        },
    ));
    assert_eq!(btf.resolve_size(huge), None, "larger than 4 GiB");
    assert_eq!(btf.resolve_size(1000), None);
}

#[test]
fn corrupt_btf_is_an_error_naming_the_problem() {
    let good = sample().0.to_bytes();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (Vec::new(), "header truncated"),
        (b"\x9f\xeb\x02\0".to_vec(), "version"),
        (good[..30].to_vec(), "past the end"),
        ([&[0xeb, 0x9f], &good[2..]].concat(), "big-endian"),
    ];
    for (bytes, expected) in cases {
        let err = Btf::parse(&bytes).unwrap_err();
        assert!(err.to_string().contains(expected), "{err}");
    }
    let mut unknown_kind = good.clone();
    unknown_kind[24 + 7] = 0x1f; // first type's kind byte
    let err = Btf::parse(&unknown_kind).unwrap_err();
    assert!(err.to_string().contains("type [1]"), "{err}");
}

#[test]
fn truncated_and_flipped_btf_never_panics() {
    let good = sample().0.to_bytes();
    for len in 0..good.len() {
        let _ = Btf::parse(&good[..len]);
    }
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..2000 {
        let mut bytes = good.clone();
        for _ in 0..3 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let at = (seed % bytes.len() as u64) as usize;
            bytes[at] ^= (seed >> 32) as u8 | 1;
        }
        if let Ok(btf) = Btf::parse(&bytes) {
            for (id, _) in btf.types() {
                let _ = btf.resolve_size(id);
                let _ = btf.skip_modifiers(id);
            }
            let _ = btf.to_bytes();
        }
    }
}
