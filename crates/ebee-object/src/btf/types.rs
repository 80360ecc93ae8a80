//! BTF type records, as in the kernel's `include/uapi/linux/btf.h`, with their names resolved.

/// One BTF type: its name (empty when anonymous) and what it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BtfType {
    /// The type's name; empty for anonymous types (pointers, arrays, anonymous structs...).
    pub name: String,
    /// The kind and its data.
    pub kind: BtfKind,
}

/// What a BTF type is. Type ids refer to other types of the same [`crate::Btf`]; id 0 is
/// `void`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BtfKind {
    /// `void` (type id 0 only).
    Void,
    /// An integer (`BTF_KIND_INT`).
    Int {
        /// Size in bytes.
        size: u32,
        /// `BTF_INT_SIGNED`.
        signed: bool,
        /// `BTF_INT_CHAR`.
        is_char: bool,
        /// `BTF_INT_BOOL`.
        is_bool: bool,
        /// `BTF_INT_OFFSET`: bit offset of an old-style bitfield integer (normally 0).
        bit_offset: u32,
        /// `BTF_INT_BITS`: number of value bits.
        bits: u32,
    },
    /// A pointer (`BTF_KIND_PTR`).
    Ptr {
        /// Type pointed to.
        target: u32,
    },
    /// An array (`BTF_KIND_ARRAY`).
    Array {
        /// Element type.
        elem: u32,
        /// Index type.
        index: u32,
        /// Number of elements (0 for a flexible array).
        len: u32,
    },
    /// A struct (`BTF_KIND_STRUCT`).
    Struct {
        /// Size in bytes.
        size: u32,
        /// Members, in declaration order.
        members: Vec<BtfMember>,
    },
    /// A union (`BTF_KIND_UNION`).
    Union {
        /// Size in bytes.
        size: u32,
        /// Members, in declaration order.
        members: Vec<BtfMember>,
    },
    /// An enum with 32-bit values (`BTF_KIND_ENUM`).
    Enum {
        /// Size in bytes.
        size: u32,
        /// Whether the values are signed (the kind flag).
        signed: bool,
        /// Enumerators.
        values: Vec<BtfEnumValue>,
    },
    /// An enum with 64-bit values (`BTF_KIND_ENUM64`).
    Enum64 {
        /// Size in bytes.
        size: u32,
        /// Whether the values are signed (the kind flag).
        signed: bool,
        /// Enumerators.
        values: Vec<BtfEnumValue>,
    },
    /// A forward declaration (`BTF_KIND_FWD`).
    Fwd {
        /// `union` rather than `struct`.
        is_union: bool,
    },
    /// A typedef.
    Typedef {
        /// The type named.
        target: u32,
    },
    /// A `volatile` qualifier.
    Volatile {
        /// The qualified type.
        target: u32,
    },
    /// A `const` qualifier.
    Const {
        /// The qualified type.
        target: u32,
    },
    /// A `restrict` qualifier.
    Restrict {
        /// The qualified type.
        target: u32,
    },
    /// A type tag (`BTF_KIND_TYPE_TAG`, e.g. `__user`); the name is the tag.
    TypeTag {
        /// The tagged type.
        target: u32,
    },
    /// A function (`BTF_KIND_FUNC`).
    Func {
        /// Its `FuncProto`.
        proto: u32,
        /// `BTF_FUNC_STATIC` (0), `BTF_FUNC_GLOBAL` (1) or `BTF_FUNC_EXTERN` (2).
        linkage: u32,
    },
    /// A function prototype (`BTF_KIND_FUNC_PROTO`).
    FuncProto {
        /// Return type (0 for `void`).
        ret: u32,
        /// Parameters.
        params: Vec<BtfParam>,
    },
    /// A variable (`BTF_KIND_VAR`).
    Var {
        /// The variable's type.
        target: u32,
        /// `BTF_VAR_STATIC` (0), `BTF_VAR_GLOBAL_ALLOCATED` (1), `BTF_VAR_GLOBAL_EXTERN` (2).
        linkage: u32,
    },
    /// A data section (`BTF_KIND_DATASEC`): the variables of `.data`, `.maps`...
    Datasec {
        /// Size in bytes (clang writes 0; the ELF section has the real size).
        size: u32,
        /// The variables in the section.
        vars: Vec<BtfVarSecInfo>,
    },
    /// A floating-point type.
    Float {
        /// Size in bytes.
        size: u32,
    },
    /// A declaration tag (`BTF_KIND_DECL_TAG`); the name is the tag.
    DeclTag {
        /// The tagged type.
        target: u32,
        /// Member or parameter index, or -1 for the type itself.
        component: i32,
    },
}

/// A struct or union member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BtfMember {
    /// Name; empty for an anonymous struct or union member.
    pub name: String,
    /// Member type.
    pub type_id: u32,
    /// Offset in bits from the start of the struct.
    pub bit_offset: u32,
    /// Bitfield width in bits, or 0 when the member is not a bitfield.
    pub bitfield_size: u32,
}

/// One enumerator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BtfEnumValue {
    /// Name.
    pub name: String,
    /// Value (sign- or zero-extended from 32 bits for `Enum`, as the kind flag says).
    pub value: i64,
}

/// One function parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BtfParam {
    /// Name (may be empty).
    pub name: String,
    /// Type (0 for the `...` of a variadic function).
    pub type_id: u32,
}

/// One variable of a data section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BtfVarSecInfo {
    /// The `Var` type.
    pub type_id: u32,
    /// Byte offset in the section (clang may write 0; symbols have the real offset).
    pub offset: u32,
    /// Size in bytes.
    pub size: u32,
}

/// `BTF_KIND_*` numbers.
pub(crate) mod kind {
    pub const INT: u32 = 1;
    pub const PTR: u32 = 2;
    pub const ARRAY: u32 = 3;
    pub const STRUCT: u32 = 4;
    pub const UNION: u32 = 5;
    pub const ENUM: u32 = 6;
    pub const FWD: u32 = 7;
    pub const TYPEDEF: u32 = 8;
    pub const VOLATILE: u32 = 9;
    pub const CONST: u32 = 10;
    pub const RESTRICT: u32 = 11;
    pub const FUNC: u32 = 12;
    pub const FUNC_PROTO: u32 = 13;
    pub const VAR: u32 = 14;
    pub const DATASEC: u32 = 15;
    pub const FLOAT: u32 = 16;
    pub const DECL_TAG: u32 = 17;
    pub const TYPE_TAG: u32 = 18;
    pub const ENUM64: u32 = 19;
}

impl BtfKind {
    /// The `BTF_KIND_*` number (0 for `Void`).
    pub fn number(&self) -> u32 {
        match self {
            BtfKind::Void => 0,
            BtfKind::Int { .. } => kind::INT,
            BtfKind::Ptr { .. } => kind::PTR,
            BtfKind::Array { .. } => kind::ARRAY,
            BtfKind::Struct { .. } => kind::STRUCT,
            BtfKind::Union { .. } => kind::UNION,
            BtfKind::Enum { .. } => kind::ENUM,
            BtfKind::Fwd { .. } => kind::FWD,
            BtfKind::Typedef { .. } => kind::TYPEDEF,
            BtfKind::Volatile { .. } => kind::VOLATILE,
            BtfKind::Const { .. } => kind::CONST,
            BtfKind::Restrict { .. } => kind::RESTRICT,
            BtfKind::Func { .. } => kind::FUNC,
            BtfKind::FuncProto { .. } => kind::FUNC_PROTO,
            BtfKind::Var { .. } => kind::VAR,
            BtfKind::Datasec { .. } => kind::DATASEC,
            BtfKind::Float { .. } => kind::FLOAT,
            BtfKind::DeclTag { .. } => kind::DECL_TAG,
            BtfKind::TypeTag { .. } => kind::TYPE_TAG,
            BtfKind::Enum64 { .. } => kind::ENUM64,
        }
    }

    /// The kind's name as `bpftool btf dump` prints it (`STRUCT`, `PTR`...).
    pub fn name(&self) -> &'static str {
        match self {
            BtfKind::Void => "VOID",
            BtfKind::Int { .. } => "INT",
            BtfKind::Ptr { .. } => "PTR",
            BtfKind::Array { .. } => "ARRAY",
            BtfKind::Struct { .. } => "STRUCT",
            BtfKind::Union { .. } => "UNION",
            BtfKind::Enum { .. } => "ENUM",
            BtfKind::Fwd { .. } => "FWD",
            BtfKind::Typedef { .. } => "TYPEDEF",
            BtfKind::Volatile { .. } => "VOLATILE",
            BtfKind::Const { .. } => "CONST",
            BtfKind::Restrict { .. } => "RESTRICT",
            BtfKind::Func { .. } => "FUNC",
            BtfKind::FuncProto { .. } => "FUNC_PROTO",
            BtfKind::Var { .. } => "VAR",
            BtfKind::Datasec { .. } => "DATASEC",
            BtfKind::Float { .. } => "FLOAT",
            BtfKind::DeclTag { .. } => "DECL_TAG",
            BtfKind::TypeTag { .. } => "TYPE_TAG",
            BtfKind::Enum64 { .. } => "ENUM64",
        }
    }

    /// The members of a struct or union.
    pub fn members(&self) -> Option<&[BtfMember]> {
        match self {
            BtfKind::Struct { members, .. } | BtfKind::Union { members, .. } => Some(members),
            _ => None,
        }
    }

    /// The enumerators of an enum or enum64.
    pub fn enum_values(&self) -> Option<&[BtfEnumValue]> {
        match self {
            BtfKind::Enum { values, .. } | BtfKind::Enum64 { values, .. } => Some(values),
            _ => None,
        }
    }

    /// The type a modifier (typedef, qualifier, type tag) refers to.
    pub(crate) fn modified(&self) -> Option<u32> {
        match self {
            BtfKind::Typedef { target }
            | BtfKind::Volatile { target }
            | BtfKind::Const { target }
            | BtfKind::Restrict { target }
            | BtfKind::TypeTag { target } => Some(*target),
            _ => None,
        }
    }

    /// True for structs and unions.
    pub fn is_composite(&self) -> bool {
        matches!(self, BtfKind::Struct { .. } | BtfKind::Union { .. })
    }

    /// True for enums and enum64s.
    pub fn is_enum(&self) -> bool {
        matches!(self, BtfKind::Enum { .. } | BtfKind::Enum64 { .. })
    }
}

impl BtfType {
    /// A named type of `kind`.
    pub fn new(name: impl Into<String>, kind: BtfKind) -> BtfType {
        BtfType {
            name: name.into(),
            kind,
        }
    }

    /// An integer type of `size` bytes.
    ///
    /// ```
    /// use ebee_object::{BtfKind, BtfType};
    /// let int = BtfType::int("int", 4, true);
    /// assert!(matches!(int.kind, BtfKind::Int { size: 4, signed: true, bits: 32, .. }));
    /// ```
    pub fn int(name: impl Into<String>, size: u32, signed: bool) -> BtfType {
        BtfType::new(
            name,
            BtfKind::Int {
                size,
                signed,
                is_char: false,
                is_bool: false,
                bit_offset: 0,
                bits: size.saturating_mul(8),
            },
        )
    }

    /// An anonymous pointer to `target`.
    pub fn pointer(target: u32) -> BtfType {
        BtfType::new("", BtfKind::Ptr { target })
    }

    /// A typedef `name` of `target`.
    pub fn typedef(name: impl Into<String>, target: u32) -> BtfType {
        BtfType::new(name, BtfKind::Typedef { target })
    }

    /// A struct with members at explicit bit offsets.
    pub fn structure(name: impl Into<String>, size: u32, members: Vec<BtfMember>) -> BtfType {
        BtfType::new(name, BtfKind::Struct { size, members })
    }

    /// An enum of `size` bytes.
    pub fn enumeration(name: impl Into<String>, size: u32, values: Vec<BtfEnumValue>) -> BtfType {
        let signed = values.iter().any(|v| v.value < 0);
        BtfType::new(
            name,
            BtfKind::Enum {
                size,
                signed,
                values,
            },
        )
    }
}

impl BtfMember {
    /// A member that is not a bitfield.
    pub fn new(name: impl Into<String>, type_id: u32, bit_offset: u32) -> BtfMember {
        BtfMember {
            name: name.into(),
            type_id,
            bit_offset,
            bitfield_size: 0,
        }
    }
}

impl BtfEnumValue {
    /// An enumerator.
    pub fn new(name: impl Into<String>, value: i64) -> BtfEnumValue {
        BtfEnumValue {
            name: name.into(),
            value,
        }
    }
}
