//! Reading the compiled objects: every program with its annotations, and its instruction
//! stream linked by ebee-object (CO-RE against the running kernel's BTF, or the object
//! `__btf_path` names), with the maps of its object.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use ebee_object::{Btf, ElfObject, LinkedProgram, ObjectSpec, ProgramKind};

use super::build::{Build, VMLINUX_BTF};
use super::tags::{decl_tags, parse_expectations, Expectations};

/// One compiled selftest object.
#[derive(Debug)]
pub struct SelftestObject {
    /// The file's stem (`verifier_and`).
    pub file: String,
    /// The object file.
    pub path: PathBuf,
    /// Its bytes.
    pub elf: Vec<u8>,
    /// ebee-object's reading of it, or why it cannot read it.
    pub spec: Result<ObjectSpec, String>,
}

/// One program of a selftest object: a test, or an auxiliary program.
#[derive(Clone, Debug)]
pub struct SelftestProgram {
    /// The object it is in.
    pub object: Arc<SelftestObject>,
    /// Its section (`socket`, `?tc`, `lsm.s/bpf`).
    pub section: String,
    /// Its function name.
    pub name: String,
    /// What its annotations say.
    pub expectations: Expectations,
    /// Its instructions as a loader hands them to the kernel, with map references
    /// (`lddw` kinds 5 and 6, see [`ebee_object::MapReference`]) indexing the object's maps
    /// ([`SelftestProgram::maps`]); or why ebee-object cannot link it.
    pub linked: Result<LinkedProgram, String>,
}

impl SelftestProgram {
    /// The maps of the program's object (what the map references index), when ebee-object
    /// read the object.
    pub fn maps(&self) -> &[ebee_object::MapSpec] {
        self.object.spec.as_ref().map_or(&[], |s| s.maps())
    }

    /// The indices (into [`SelftestProgram::maps`]) of the maps the program references,
    /// each once, in order.
    pub fn referenced_maps(&self) -> Vec<usize> {
        let mut maps: Vec<usize> = self
            .linked
            .iter()
            .flat_map(|p| p.map_references().map(|r| r.map_index))
            .collect();
        maps.sort_unstable();
        maps.dedup();
        maps
    }

    /// `file/name`, for messages.
    pub fn id(&self) -> String {
        format!("{}/{}", self.object.file, self.name)
    }
}

/// The running kernel's BTF, parsed once: what CO-RE relocations, kfuncs and attach targets
/// resolve against.
pub(crate) fn vmlinux_btf() -> &'static Result<Btf, String> {
    static VMLINUX: OnceLock<Result<Btf, String>> = OnceLock::new();
    VMLINUX.get_or_init(|| {
        let bytes = std::fs::read(VMLINUX_BTF).map_err(|e| format!("{VMLINUX_BTF}: {e}"))?;
        Btf::parse(&bytes).map_err(|e| format!("{VMLINUX_BTF}: {e}"))
    })
}

/// Every program of every object of `build`, in file and then section order (the objects'
/// order, as libbpf lists them).
pub fn programs(build: &Build) -> Vec<SelftestProgram> {
    let mut all = Vec::new();
    for path in &build.objects {
        all.extend(object_programs(path, &build.btf_dir));
    }
    all
}

/// The programs of one object file (none when it cannot be read at all).
pub fn object_programs(path: &Path, btf_dir: &Path) -> Vec<SelftestProgram> {
    let file = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let elf = match std::fs::read(path) {
        Ok(elf) => elf,
        Err(_) => return Vec::new(),
    };
    let btf = Btf::from_elf(&elf).ok();
    let spec = ObjectSpec::parse(&elf).map_err(|e| error_chain(&e));
    // (section, name) of every program: ebee-object's list, or, when it refuses the object,
    // the global functions of the code sections other than `.text`.
    let listed: Vec<(String, String)> = match &spec {
        Ok(spec) => spec
            .programs()
            .iter()
            .filter(|p| !(p.section == ".text" && matches!(p.kind, ProgramKind::Unknown(_))))
            .map(|p| (p.section.clone(), p.name.clone()))
            .collect(),
        Err(_) => ElfObject::parse(&elf)
            .map(|o| {
                o.code_sections()
                    .iter()
                    .filter(|s| s.name != ".text")
                    .flat_map(|s| {
                        s.symbols
                            .iter()
                            .filter(|sym| sym.is_function)
                            .map(|sym| (s.name.clone(), sym.name.clone()))
                    })
                    .collect()
            })
            .unwrap_or_default(),
    };
    let object = Arc::new(SelftestObject {
        file,
        path: path.to_owned(),
        elf,
        spec,
    });
    let linked_all = link_all(&object);
    listed
        .into_iter()
        .map(|(section, name)| {
            let tags = btf
                .as_ref()
                .map(|b| decl_tags(b, &name))
                .unwrap_or_default();
            let expectations = parse_expectations(&tags);
            let linked = match &expectations.btf_path {
                Some(custom) => link_against(&object, &name, &btf_dir.join(custom)),
                None => match &linked_all {
                    Ok(all) => all
                        .iter()
                        .find(|p| p.name == name)
                        .cloned()
                        .ok_or_else(|| "ebee-object linked no such program".to_owned()),
                    Err(_) => link_one(&object, &name, vmlinux_btf().as_ref().ok()),
                },
            };
            SelftestProgram {
                object: Arc::clone(&object),
                section,
                name,
                expectations,
                linked,
            }
        })
        .collect()
}

/// Every program of the object linked at once (CO-RE against the kernel's BTF); `Err` when
/// one of them cannot be, so that each is tried alone.
fn link_all(object: &SelftestObject) -> Result<Vec<LinkedProgram>, String> {
    let spec = object.spec.as_ref().map_err(Clone::clone)?;
    spec.link(vmlinux_btf().as_ref().ok())
        .map_err(|e| error_chain(&e))
}

fn link_one(
    object: &SelftestObject,
    name: &str,
    target: Option<&Btf>,
) -> Result<LinkedProgram, String> {
    let spec = object
        .spec
        .as_ref()
        .map_err(|e| format!("ebee-object cannot read the object: {e}"))?;
    spec.link_program(name, target)
        .map_err(|e| format!("ebee-object cannot link it: {}", error_chain(&e)))
}

fn link_against(
    object: &SelftestObject,
    name: &str,
    btf_object: &Path,
) -> Result<LinkedProgram, String> {
    let bytes = std::fs::read(btf_object)
        .map_err(|e| format!("__btf_path object {}: {e}", btf_object.display()))?;
    let btf = Btf::from_elf(&bytes).map_err(|e| {
        format!(
            "__btf_path object {}: {}",
            btf_object.display(),
            error_chain(&e)
        )
    })?;
    link_one(object, name, Some(&btf))
}

/// An error and its sources, on one line.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text.replace('\n', " ")
}
