//! Prints what ebee-object reads from BPF object files: license, maps, global variables and
//! programs, then each linked program's functions, map references and first source lines.
//!
//! ```text
//! cargo run -p ebee-object --example inspect -- /usr/lib/x86_64-linux-gnu/bpf/xdp-dispatcher.o
//! ```

use ebee_object::ObjectSpec;

fn main() {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        eprintln!("usage: inspect OBJECT.o...");
        std::process::exit(2);
    }
    let mut failed = false;
    for path in paths {
        if let Err(e) = inspect(&path) {
            eprintln!("{e}");
            failed = true;
        }
    }
    std::process::exit(i32::from(failed));
}

fn inspect(path: &str) -> Result<(), ebee_object::ObjectError> {
    let spec = ObjectSpec::read(path)?;
    println!("{path}: license {:?}", spec.license());
    for (index, map) in spec.maps().iter().enumerate() {
        println!(
            "  map {index} {}: {} key {} value {} max_entries {} flags {:#x}{}{}",
            map.name,
            map.type_name().unwrap_or("?"),
            map.key_size,
            map.value_size,
            map.max_entries,
            map.map_flags,
            map.spin_lock_offset
                .map_or_else(String::new, |o| format!(" spin_lock@{o}")),
            map.inner
                .as_ref()
                .map_or_else(String::new, |i| format!(" inner {}", i.name)),
        );
    }
    for global in spec.globals() {
        println!(
            "  global {} in {} at {} ({} bytes)",
            global.name, global.section, global.offset, global.size
        );
    }
    for program in spec.link(None)? {
        println!(
            "  program {} [{}] in {}: {} instructions",
            program.name,
            program.kind,
            program.section,
            program.instructions.len()
        );
        for function in &program.functions[1..] {
            println!("    + {} at {}", function.name, function.pc);
        }
        for reference in program.map_references() {
            let map = &spec.maps()[reference.map_index].name;
            match reference.value_offset {
                Some(offset) => println!("    pc {}: &{map}[{offset}]", reference.pc),
                None => println!("    pc {}: map {map}", reference.pc),
            }
        }
        for line in program.line_info.iter().take(2) {
            println!("    pc {}: {line}", line.pc);
        }
        for diagnostic in &program.core_diagnostics {
            println!("    {diagnostic}");
        }
    }
    Ok(())
}
