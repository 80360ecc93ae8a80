//! The object's BTF as `BPF_BTF_LOAD` accepts it, for [`crate::Loader::EbeeObject`].
//!
//! clang writes BTF that the kernel's BTF verifier refuses as it stands; libbpf fixes it up
//! before loading (`btf_fixup_datasec`, `bpf_object__sanitize_btf`, and its handling of
//! externs), and so does [`for_kernel`], on a copy of ebee-object's parsed [`Btf`] whose type
//! ids stay the same (map and function info refer to them):
//!
//! - `DATASEC` sizes are 0 and variable offsets often 0 in an object file (the linker would
//!   fill them in). The size becomes the ELF section's, each variable's offset its symbol's,
//!   and the variables are sorted by offset (the kernel wants them in order).
//! - A `DATASEC` with no ELF section of its name (`.ksyms`, `.kconfig`: externs) or of size 0
//!   cannot be described; it becomes an anonymous `void *`, a type the kernel accepts and
//!   nothing refers to.
//! - `FUNC`s with extern linkage (kfunc declarations) are refused ("Invalid func linkage"):
//!   they become static. Their prototypes' unnamed parameters (clang names none in a
//!   declaration without names) are refused too ("Invalid arg#1"): they get the name
//!   `dummy_ksym`, as libbpf gives them. `VAR`s with extern linkage become global, as
//!   libbpf makes them.
//!
//! The ELF is read with the `object` crate for section sizes and symbol values only; when it
//! cannot be read, the BTF goes unchanged and the kernel judges it.

use std::collections::{HashMap, HashSet};

use ebee_object::{Btf, BtfKind, BtfType};
use object::{Object, ObjectSection, ObjectSymbol};

/// `BTF_FUNC_STATIC`, `BTF_FUNC_GLOBAL`; `BTF_VAR_GLOBAL_ALLOCATED`.
const FUNC_STATIC: u32 = 0;
const FUNC_GLOBAL: u32 = 1;
const VAR_GLOBAL_ALLOCATED: u32 = 1;
/// The name libbpf gives the unnamed parameters of extern functions.
const UNNAMED_PARAM: &str = "dummy_ksym";

/// Section sizes and symbol values of an ELF file, by name.
#[derive(Default)]
struct Layout {
    sections: HashMap<String, u64>,
    /// `(section name, symbol name)` → symbol value.
    symbols: HashMap<(String, String), u64>,
}

impl Layout {
    fn read(elf: &[u8]) -> Layout {
        let Ok(file) = object::File::parse(elf) else {
            return Layout::default();
        };
        let mut layout = Layout::default();
        let mut names = HashMap::new();
        for section in file.sections() {
            let Ok(name) = section.name() else { continue };
            names.insert(section.index(), name.to_owned());
            layout.sections.insert(name.to_owned(), section.size());
        }
        for symbol in file.symbols() {
            let (Some(index), Ok(name)) = (symbol.section_index(), symbol.name()) else {
                continue;
            };
            if let Some(section) = names.get(&index) {
                layout
                    .symbols
                    .entry((section.clone(), name.to_owned()))
                    .or_insert(symbol.address());
            }
        }
        layout
    }
}

/// `btf` in the kernel's binary format, fixed up as the module docs say.
pub(crate) fn for_kernel(elf: &[u8], btf: &Btf) -> Vec<u8> {
    let layout = Layout::read(elf);
    let extern_protos: HashSet<u32> = btf
        .types()
        .filter_map(|(_, t)| match t.kind {
            BtfKind::Func { proto, linkage } if linkage > FUNC_GLOBAL => Some(proto),
            _ => None,
        })
        .collect();
    let mut out = Btf::new();
    for (id, ty) in btf.types().skip(1) {
        let mut fixed = fix(btf, &layout, ty);
        if let BtfKind::FuncProto { params, .. } = &mut fixed.kind {
            if extern_protos.contains(&id) {
                for param in params.iter_mut() {
                    if param.name.is_empty() && param.type_id != 0 {
                        param.name = UNNAMED_PARAM.to_owned();
                    }
                }
            }
        }
        out.add_type(fixed);
    }
    out.to_bytes()
}

fn fix(btf: &Btf, layout: &Layout, ty: &BtfType) -> BtfType {
    let mut ty = ty.clone();
    match &mut ty.kind {
        BtfKind::Func { linkage, .. } if *linkage > FUNC_GLOBAL => *linkage = FUNC_STATIC,
        BtfKind::Var { linkage, .. } if *linkage > VAR_GLOBAL_ALLOCATED => {
            *linkage = VAR_GLOBAL_ALLOCATED;
        }
        BtfKind::Datasec { size, vars } => {
            let section_size = layout
                .sections
                .get(&ty.name)
                .and_then(|&s| u32::try_from(s).ok())
                .filter(|&s| s > 0);
            let Some(section_size) = section_size else {
                return BtfType::pointer(0);
            };
            *size = section_size;
            for var in vars.iter_mut() {
                let Some(var_type) = btf.type_by_id(var.type_id) else {
                    continue;
                };
                let key = (ty.name.clone(), var_type.name.clone());
                if let Some(offset) = layout
                    .symbols
                    .get(&key)
                    .and_then(|&v| u32::try_from(v).ok())
                {
                    var.offset = offset;
                }
            }
            vars.sort_by_key(|v| v.offset);
        }
        _ => {}
    }
    ty
}

#[cfg(test)]
mod tests {
    use super::*;
    use ebee_object::BtfVarSecInfo;

    #[test]
    fn extern_function_parameters_get_names() {
        use ebee_object::BtfParam;
        let mut btf = Btf::new();
        let int = btf.add_int("int", 4, true);
        let param = |name: &str| BtfParam {
            name: name.into(),
            type_id: int,
        };
        let mut proto =
            |params| btf.add_type(BtfType::new("", BtfKind::FuncProto { ret: int, params }));
        let extern_proto = proto(vec![param(""), param("named")]);
        let static_proto = proto(vec![param("")]);
        for (name, proto, linkage) in [("kfunc", extern_proto, 2), ("f", static_proto, 0)] {
            btf.add_type(BtfType::new(name, BtfKind::Func { proto, linkage }));
        }
        let fixed = Btf::parse(&for_kernel(b"not an elf", &btf)).unwrap();
        let names = |id| match &fixed.type_by_id(id).unwrap().kind {
            BtfKind::FuncProto { params, .. } => {
                params.iter().map(|p| p.name.clone()).collect::<Vec<_>>()
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(names(extern_proto), ["dummy_ksym", "named"]);
        assert_eq!(names(static_proto), [""]);
    }

    #[test]
    fn unreadable_elf_leaves_types_but_drops_unsized_datasecs() {
        let mut btf = Btf::new();
        let int = btf.add_int("int", 4, true);
        let var = btf.add_type(BtfType::new(
            "x",
            BtfKind::Var {
                target: int,
                linkage: 2,
            },
        ));
        let sec = btf.add_type(BtfType::new(
            ".kconfig",
            BtfKind::Datasec {
                size: 0,
                vars: vec![BtfVarSecInfo {
                    type_id: var,
                    offset: 0,
                    size: 4,
                }],
            },
        ));
        let fixed = Btf::parse(&for_kernel(b"not an elf", &btf)).unwrap();
        assert_eq!(fixed.len(), btf.len());
        assert_eq!(fixed.type_by_id(int), btf.type_by_id(int));
        assert!(matches!(
            fixed.type_by_id(var).unwrap().kind,
            BtfKind::Var { linkage: 1, .. }
        ));
        assert!(matches!(
            fixed.type_by_id(sec).unwrap().kind,
            BtfKind::Ptr { target: 0 }
        ));
    }
}
