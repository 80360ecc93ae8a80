//! What the object-running subcommands share: loading, map state options, picking a program.

use crate::input::parse_hex;
use anyhow::{bail, Context, Result};
use ebee::map_state::{self, MapsState};
use ebee::{Engine, Object, ObjectBuilder, Program};
use std::path::{Path, PathBuf};

/// Map options shared by `run`, `xdp` and `tc`.
#[derive(clap::Args, Debug, Default)]
pub struct MapArgs {
    /// Write one entry before running: MAP:KEYHEX:VALUEHEX (per-CPU maps: the value goes to
    /// every CPU, as `bpftool map update` does).
    #[arg(long = "map-update", value_name = "MAP:KEY:VALUE")]
    pub map_update: Vec<String>,
    /// Load map contents from a JSON file `{"map": [{"key": "hex", "value": "hex"}]}`.
    #[arg(long)]
    pub maps_in: Option<PathBuf>,
    /// Save every map's contents after the run, in the same JSON format.
    #[arg(long)]
    pub maps_out: Option<PathBuf>,
}

/// The program-type override of `run`, `xdp`, `tc` and `prog list`.
#[derive(clap::Args, Debug, Default)]
pub struct TypeArg {
    /// Load every program of the object as this type instead of the one its section name
    /// says, as `bpftool prog load … type TYPE`: a program type (xdp, sched_cls,
    /// socket_filter, kprobe, …) or a section name libbpf knows (classifier, socket,
    /// cgroup/connect4, …).
    #[arg(long = "type", value_name = "TYPE")]
    pub program_type: Option<String>,
}

/// The engine choice of `run`, `xdp` and `tc`.
#[derive(clap::Args, Debug, Default)]
pub struct EngineArg {
    /// Run on this engine: `jit` (the default on x86-64) or `interp` (the interpreter). Both
    /// have the same semantics and checks.
    #[arg(long = "engine", value_name = "ENGINE")]
    pub backend: Option<ebee::Backend>,
    /// Load programs the verifier refuses, to run them in the checked mode (every memory
    /// access checked as it happens). Without it such a program is refused, as Linux does.
    #[arg(long)]
    pub unverified: bool,
    /// The network the helpers that ask about it answer from (fib_lookup, check_mtu,
    /// skb_get_tunnel_key, …): interfaces, routes, neighbours and tunnel metadata as JSON
    /// (see README.md). Without it: an empty network namespace (only loopback).
    #[arg(long = "env", value_name = "FILE")]
    pub env: Option<PathBuf>,
}

impl EngineArg {
    /// An engine running on the chosen backend, in the `--env` network.
    pub fn engine(&self) -> Result<Engine> {
        let mut engine = Engine::new().with_backend(self.backend.unwrap_or_default());
        if let Some(path) = &self.env {
            engine = engine.with_network(crate::env::load(path)?);
        }
        Ok(engine)
    }
}

/// Loads the object at `path` with the default engine, without verifying it (for inspecting
/// maps: nothing runs).
pub fn load(path: &Path, types: &TypeArg) -> Result<Object> {
    load_with(&Engine::new(), path, types, false)
}

/// Parses the object at `path`, with the type override applied; warnings are printed.
pub fn open(engine: &Engine, path: &Path, types: &TypeArg) -> Result<ObjectBuilder> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {name}"))?;
    let mut builder = engine.open(&bytes).with_context(|| name.clone())?;
    if let Some(program_type) = &types.program_type {
        builder
            .set_program_type(None, program_type)
            .with_context(|| format!("--type {program_type}"))?;
    }
    for warning in builder.spec().warnings() {
        eprintln!("ebee: warning: {name}: {warning}");
    }
    Ok(builder)
}

/// Loads the object at `path` with `engine` (its budget, CPUs, trace sink); every program
/// must verify when `verify`.
pub fn load_with(engine: &Engine, path: &Path, types: &TypeArg, verify: bool) -> Result<Object> {
    let builder = open(engine, path, types)?;
    let builder = if verify {
        builder
    } else {
        builder.unverified()
    };
    builder.load().with_context(|| path.display().to_string())
}

/// Applies `--maps-in` then every `--map-update`.
pub fn apply_maps(object: &Object, args: &MapArgs) -> Result<()> {
    if let Some(path) = &args.maps_in {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let state = parse_state(&text).with_context(|| path.display().to_string())?;
        map_state::apply(object, &state)?;
    }
    for update in &args.map_update {
        let mut parts = update.splitn(3, ':');
        let (Some(name), Some(key), Some(value)) = (parts.next(), parts.next(), parts.next())
        else {
            bail!("--map-update {update}: expected MAP:KEYHEX:VALUEHEX");
        };
        let map = object
            .map(name)
            .with_context(|| format!("--map-update: no map named {name}"))?;
        let key = parse_hex(key).with_context(|| format!("--map-update {update}: key"))?;
        let value = parse_hex(value).with_context(|| format!("--map-update {update}: value"))?;
        map_state::set_entry(map, &key, &value)
            .with_context(|| format!("--map-update {update}"))?;
    }
    Ok(())
}

/// Writes `--maps-out`.
pub fn save_maps(object: &Object, args: &MapArgs) -> Result<()> {
    if let Some(path) = &args.maps_out {
        let json = state_json(&map_state::capture(object));
        std::fs::write(path, serde_json::to_string_pretty(&json)? + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `MapsState` as JSON.
pub fn state_json(state: &MapsState) -> serde_json::Value {
    let maps = state.iter().map(|(name, entries)| {
        let entries: Vec<_> = entries
            .iter()
            .map(|(k, v)| serde_json::json!({"key": hex(k), "value": hex(v)}))
            .collect();
        (name.clone(), serde_json::Value::Array(entries))
    });
    serde_json::Value::Object(maps.collect())
}

fn parse_state(text: &str) -> Result<MapsState> {
    let json: serde_json::Value = serde_json::from_str(text).context("not JSON")?;
    let Some(maps) = json.as_object() else {
        bail!("expected an object of map names")
    };
    let mut state = MapsState::new();
    for (name, entries) in maps {
        let Some(entries) = entries.as_array() else {
            bail!("map {name}: expected a list of entries")
        };
        let mut parsed = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            let field = |f: &str| -> Result<Vec<u8>> {
                let text = entry
                    .get(f)
                    .and_then(|v| v.as_str())
                    .with_context(|| format!("map {name} entry {i}: missing \"{f}\""))?;
                parse_hex(text).with_context(|| format!("map {name} entry {i}: {f}"))
            };
            parsed.push((field("key")?, field("value")?));
        }
        state.insert(name.clone(), parsed);
    }
    Ok(state)
}

/// The program named `name`, or the first program whose type name is one of `types` (any
/// program when `types` is empty).
pub fn pick<'o>(
    object: &'o Object,
    name: Option<&str>,
    types: &[&str],
    path: &Path,
) -> Result<&'o Program> {
    if let Some(name) = name {
        let names: Vec<&str> = object.programs().iter().map(|p| p.name()).collect();
        return object.program(name).with_context(|| {
            format!(
                "{}: no program named {name} (it has: {}; a function of .text that no \
                 section calls loads only with --type)",
                path.display(),
                names.join(", ")
            )
        });
    }
    object
        .programs()
        .iter()
        .find(|p| types.is_empty() || p.type_spec().is_some_and(|t| types.contains(&t.name)))
        .with_context(|| format!("{}: no {} program", path.display(), types.join("/")))
}
