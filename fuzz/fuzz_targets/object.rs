//! Any bytes into the object loader (and the BTF parser): no panic. What parses is linked,
//! against its own BTF and against a small target BTF, its globals set, its maps adjusted
//! as at load (and their initial slots, iproute2's `inner_id`/`inner_idx` links among them,
//! checked to name maps that exist), its programs given another type, and its BTF written
//! and parsed back unchanged.
#![no_main]

use ebee_object::{Btf, ObjectSpec};
use libfuzzer_sys::fuzz_target;

fn target_btf() -> Btf {
    let mut btf = Btf::new();
    let int = btf.add_int("int", 4, true);
    let ptr = btf.add_pointer(int);
    btf.add_c_struct("task", &[("start", int), ("pid", int), ("parent", ptr)])
        .expect("the types have sizes");
    btf
}

fuzz_target!(|data: &[u8]| {
    if let Ok(btf) = Btf::parse(data) {
        let again = Btf::parse(&btf.to_bytes()).expect("written BTF parses");
        assert_eq!(again.len(), btf.len());
    }
    let Ok(mut spec) = ObjectSpec::parse(data) else {
        return;
    };
    let globals = spec.globals().to_vec();
    for global in &globals {
        let result = spec.set_global(&global.name, &vec![0x5a; global.size as usize]);
        let unique = globals.iter().filter(|g| g.name == global.name).count() == 1;
        assert_eq!(result.is_ok(), unique, "{:?}", result.err());
    }
    for map in spec.maps() {
        let adjusted = map.adjusted_for_load(4, 4096);
        assert_eq!(adjusted.name, map.name);
        for slot in &map.initial_slots {
            if let ebee_object::SlotTarget::Map(index) = slot.target {
                assert!(index < spec.maps().len());
            }
        }
    }
    if let Some(name) = spec.programs().first().map(|p| p.name.clone()) {
        spec.set_program_type(&name, ebee_object::ProgramKind::Xdp, "xdp")
            .expect("the program exists");
    }
    if let Ok(programs) = spec.link(None) {
        for program in &programs {
            for reference in program.map_references() {
                assert!(reference.map_index < spec.maps().len());
            }
            let _ = program.source_line(0);
        }
    }
    let _ = spec.link(Some(&target_btf()));
});
