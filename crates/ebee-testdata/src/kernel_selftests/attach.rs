//! What a program needs from the running kernel's BTF besides its code: the BTF id of the
//! function, tracepoint or hook a tracing or LSM program attaches to, and the ids of the
//! kfuncs it calls (libbpf's `libbpf_find_attach_btf_id` and kfunc resolution, for
//! vmlinux only: module BTF is not searched).

use std::collections::HashMap;
use std::sync::OnceLock;

use ebee_abi::attach_type as at;
use ebee_object::{BtfKind, LinkedProgram, ProgramKind};

use super::programs::vmlinux_btf;
use super::Unloadable;

/// Functions and typedefs of the kernel's BTF, by name.
struct VmlinuxNames {
    funcs: HashMap<String, u32>,
    typedefs: HashMap<String, u32>,
}

fn vmlinux_names() -> Result<&'static VmlinuxNames, Unloadable> {
    static NAMES: OnceLock<Result<VmlinuxNames, String>> = OnceLock::new();
    NAMES
        .get_or_init(|| {
            let btf = vmlinux_btf().as_ref().map_err(Clone::clone)?;
            let mut names = VmlinuxNames {
                funcs: HashMap::new(),
                typedefs: HashMap::new(),
            };
            for (id, ty) in btf.types() {
                let table = match ty.kind {
                    BtfKind::Func { .. } => &mut names.funcs,
                    BtfKind::Typedef { .. } => &mut names.typedefs,
                    _ => continue,
                };
                table.entry(ty.name.clone()).or_insert(id);
            }
            Ok(names)
        })
        .as_ref()
        .map_err(|e| Unloadable::Setup(format!("the kernel's BTF: {e}")))
}

/// The expected attach type and attach BTF id of `program`: from ebee-object's section
/// rules, and for tracing and LSM programs from the kernel's BTF.
///
/// # Errors
///
/// [`Unloadable::ProgramType`] for struct_ops and freplace programs (they need a struct_ops
/// map or a target program), [`Unloadable::AttachTarget`] for a target the kernel's BTF
/// does not have.
pub(crate) fn attach_of(program: &LinkedProgram) -> Result<(u32, u32), Unloadable> {
    let section = program
        .section
        .strip_prefix('?')
        .unwrap_or(&program.section);
    let (base, target) = section.split_once('/').unwrap_or((section, ""));
    let needs_btf_id = matches!(program.kind, ProgramKind::Tracing | ProgramKind::Lsm);
    if !needs_btf_id {
        return match program.kind {
            ProgramKind::StructOps | ProgramKind::Ext => Err(Unloadable::ProgramType(format!(
                "`{base}` programs load against a struct_ops map or a target program"
            ))),
            _ => Ok((ebee_object::expected_attach_type(section).unwrap_or(0), 0)),
        };
    }
    let base = base.strip_suffix(".s").unwrap_or(base);
    let (attach_type, name, typedef) = match base {
        "fentry" => (at::BPF_TRACE_FENTRY, target.to_owned(), false),
        "fexit" => (at::BPF_TRACE_FEXIT, target.to_owned(), false),
        "fmod_ret" => (at::BPF_MODIFY_RETURN, target.to_owned(), false),
        "tp_btf" => (at::BPF_TRACE_RAW_TP, format!("btf_trace_{target}"), true),
        "lsm" => (at::BPF_LSM_MAC, format!("bpf_lsm_{target}"), false),
        "lsm_cgroup" => (at::BPF_LSM_CGROUP, format!("bpf_lsm_{target}"), false),
        "iter" => (at::BPF_TRACE_ITER, format!("bpf_iter_{target}"), false),
        other => {
            return Err(Unloadable::ProgramType(format!(
                "no attach rule for `{other}` sections"
            )))
        }
    };
    let names = vmlinux_names()?;
    let table = if typedef {
        &names.typedefs
    } else {
        &names.funcs
    };
    let id = table
        .get(&name)
        .ok_or_else(|| Unloadable::AttachTarget(format!("`{name}` is not in the kernel's BTF")))?;
    Ok((attach_type, *id))
}

/// Writes the kernel's BTF id of each kfunc `program` calls into `insns` (`off` 0: vmlinux).
///
/// # Errors
///
/// [`Unloadable::Kfunc`] naming a kfunc the kernel's BTF does not have (those of
/// `bpf_testmod`, which is not loaded here).
pub(crate) fn resolve_kfuncs(program: &LinkedProgram, insns: &mut [u64]) -> Result<(), Unloadable> {
    if program.kfunc_calls.is_empty() {
        return Ok(());
    }
    let names = vmlinux_names()?;
    for call in &program.kfunc_calls {
        let id = names.funcs.get(&call.name).ok_or_else(|| {
            Unloadable::Kfunc(format!("`{}` is not in the kernel's BTF", call.name))
        })?;
        let slot = insns
            .get_mut(call.pc)
            .ok_or_else(|| Unloadable::Link(format!("kfunc call at {} past the end", call.pc)))?;
        // struct bpf_insn: code, regs, off (16 bits), imm (32 bits), little-endian.
        let keep = *slot & 0xffff;
        *slot = keep | (u64::from(*id) << 32);
    }
    Ok(())
}
