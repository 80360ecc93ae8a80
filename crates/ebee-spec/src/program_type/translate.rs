//! [`ProgramTypeSpec::translate`]: one context access checked against the type's rules (the
//! kernel's `is_valid_access`) and moved to the host layout (its `convert_ctx_access`).

use super::{pointer_slot, CtxAccess, FieldKind, HostField, ProgramTypeSpec};

impl ProgramTypeSpec {
    /// Translates one context access to the host layout, or says why the type forbids it
    /// (the kernel's `is_valid_access` and `convert_ctx_access`). Every error names the field
    /// (`…: field mark …`).
    pub fn translate(&self, a: CtxAccess) -> Result<HostField, String> {
        let what = if a.write { "write" } else { "read" };
        let describe = || {
            format!(
                "{what} of {} bytes at offset {} of {}'s context",
                a.size, a.offset, self.name
            )
        };
        let field = self
            .field_at(a.offset as i64)
            .ok_or_else(|| format!("{}: no field there", describe()))?;
        let fail = |reason: &str| Err(format!("{}: field {} {reason}", describe(), field.name));
        if let FieldKind::Unsupported(object) = field.kind {
            return fail(&format!("points to {object}, which ebee does not provide"));
        }
        let size = a.size as u16;
        let inner = a.offset as i64 - field.offset as i64;
        // A load wider than a 2-byte field at its start also reads the padding after it.
        let padded = !a.write && inner == 0 && size > field.size && field.size <= 2;
        if (inner + size as i64 > field.size as i64 && !padded)
            || a.offset as i64 % size as i64 != 0
        {
            return fail("is crossed or misaligned");
        }
        let (who, sizes) = if a.write {
            (field.writable, field.writes)
        } else {
            (field.readable, field.reads)
        };
        if !who.includes(self.roles) {
            let done = if a.write { "written" } else { "read" };
            return fail(&format!("may not be {done} by {} programs", self.name));
        }
        if sizes & a.size == 0 {
            let allowed: Vec<String> = [1u8, 2, 4, 8]
                .iter()
                .filter(|&&s| sizes & s != 0)
                .map(|s| s.to_string())
                .collect();
            return fail(&format!(
                "may be {}only in accesses of {} bytes",
                if a.write { "written " } else { "read " },
                allowed.join(" or ")
            ));
        }
        let narrow = size < field.size && field.size <= 8;
        if narrow && field.narrow_at_start && inner != 0 {
            return fail("may be read in part only from its first byte");
        }
        match field.kind {
            FieldKind::Pointer(slot) => Ok(HostField {
                offset: pointer_slot(self, slot) as i16,
                size: 8,
            }),
            _ => {
                let offset = if narrow && a.size >= field.kernel_size {
                    field.offset as i16
                } else {
                    a.offset
                };
                let size = if a.write {
                    a.size.min(field.kernel_size)
                } else {
                    a.size
                };
                Ok(HostField { offset, size })
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::*;

    pub(crate) fn read(spec: &ProgramTypeSpec, offset: i16, size: u8) -> Result<HostField, String> {
        spec.translate(CtxAccess {
            offset,
            size,
            write: false,
        })
    }

    pub(crate) fn write(
        spec: &ProgramTypeSpec,
        offset: i16,
        size: u8,
    ) -> Result<HostField, String> {
        spec.translate(CtxAccess {
            offset,
            size,
            write: true,
        })
    }

    const fn host(offset: i16, size: u8) -> HostField {
        HostField { offset, size }
    }

    #[test]
    fn packet_pointers_widen_and_scalars_stay() {
        assert_eq!(read(&XDP, 0, 4), Ok(host(24, 8)));
        assert_eq!(read(&XDP, 4, 4), Ok(host(32, 8)));
        assert_eq!(read(&XDP, 12, 4), Ok(host(12, 4)));
        assert!(read(&XDP, 0, 8).is_err());
        assert!(read(&XDP, 24, 4).is_err());
        assert_eq!(read(&TC_CLS, 76, 4), Ok(host(192, 8)));
        assert_eq!(read(&TC_CLS, 0, 4), Ok(host(0, 4)));
    }

    #[test]
    fn writes_follow_the_type() {
        assert!(write(&TC_CLS, 8, 4).is_ok(), "tc may set mark");
        assert!(
            write(&SOCKET_FILTER, 8, 4).is_err(),
            "socket filters may not"
        );
        assert!(write(&SOCKET_FILTER, 48, 4).is_ok(), "cb[0]");
        assert!(write(&TC_CLS, 0, 4).is_err(), "len is read-only");
        assert!(write(&XDP, 12, 4).is_err());
        let err = write(&TC_CLS, 8, 2).unwrap_err();
        assert!(err.contains("field mark "), "{err}");
    }

    #[test]
    fn verdicts_are_named_and_helpers_listed_in_order() {
        assert_eq!(TC_CLS.verdict_name(-1i32 as u32), "TC_ACT_UNSPEC");
        assert_eq!(TC_CLS.verdict_name(99), "TC_ACT_UNKNOWN(99)");
        assert_eq!(XDP.verdict_name(7), "XDP_UNKNOWN(7)");
        assert_eq!(SOCKET_FILTER.verdict_name(60), "60");
        for list in [BASE_HELPERS, GENERIC_HELPERS] {
            assert!(list.windows(2).all(|w| w[0] < w[1]));
        }
        // The specs ebee ran before every helper had a prototype list only helpers with one.
        for spec in [&XDP, &SOCKET_FILTER, &TC_CLS, &TC_ACT] {
            for &id in BASE_HELPERS.iter().chain(spec.helpers) {
                assert!(
                    crate::helper::prototype(id).is_some(),
                    "{}: {id}",
                    spec.name
                );
            }
        }
    }

    #[test]
    fn every_spec_is_consistent() {
        for spec in all() {
            let name = spec.name;
            assert!(spec.helpers.windows(2).all(|w| w[0] < w[1]), "{name}");
            for &id in spec.helpers {
                assert!(
                    ebee_abi::helper_names::helper_name(id).is_some(),
                    "{name}: {id}"
                );
                assert!(!BASE_HELPERS.contains(&id), "{name}: {id} is a base helper");
            }
            let names = spec.test_run_input.names().iter();
            for field in names.chain(spec.test_run_output.names()) {
                assert!(spec.field(field).is_some(), "{name}: {field}");
            }
            let mut end = 0;
            for f in spec.fields {
                assert!(
                    f.offset >= end,
                    "{name}: {} overlaps the field before",
                    f.name
                );
                end = f.offset + f.size;
                assert!(end <= spec.ctx_size, "{name}: {} past the context", f.name);
                assert!(f.reads & !sizes::ANY == 0 && f.writes & !sizes::ANY == 0);
                if let FieldKind::Pointer(_) = f.kind {
                    assert_eq!(f.writable, Who::Nobody, "{name}: {} is a pointer", f.name);
                }
            }
            let found = spec_for(spec.kernel_type, spec.attach_type);
            assert!(found.is_some_and(|s| std::ptr::eq(s, spec)), "{name}");
        }
    }

    #[test]
    fn narrow_fields_follow_the_kernel_rewrite() {
        // pkt_type is one kernel byte: any byte of it reads the whole value.
        assert_eq!(read(&TC_CLS, 7, 1), Ok(host(4, 1)));
        // tc_index is a u16: its upper half reads the whole value, its byte 1 is byte 1.
        assert_eq!(read(&TC_CLS, 46, 2), Ok(host(44, 2)));
        assert_eq!(read(&TC_CLS, 45, 1), Ok(host(45, 1)));
        assert_eq!(read(&TC_CLS, 2, 2), Ok(host(2, 2)));
        assert_eq!(write(&TC_CLS, 44, 4), Ok(host(44, 2)));
    }
}
