//! Assembler for the text syntax of the public BPF conformance suite (`-- asm` sections).
//!
//! One statement per line; `#` starts a comment (whole line or trailing); blank lines are
//! ignored. A line may start with labels (`name:`). Mnemonics are the `mnemonic` column of
//! [`crate::OPCODES`]; the row is chosen by mnemonic and operand shape (`mov %r0, 1` is
//! `Mov64Imm`, `mov %r0, %r1` is `Mov64Reg`, `call 5` a helper call, `call %r2` is `callx`).
//! Multi-word mnemonics (`lock fetch add32`, `call local`) are read greedily word by word.
//! The suite's `swapN` is accepted as an alias of `bswapN` (both are opcode `0xd7`, the
//! unconditional ALU64 byte swap).
//!
//! Operands:
//! - registers `%r0`..`%r10`;
//! - memory `[%rN]`, `[%rN+off]`, `[%rN-off]`;
//! - numbers in decimal or `0x` hex, optionally signed. A decimal number must fit the field as
//!   a signed value; a hex number may also be spelled as the unsigned bit pattern, so a 32-bit
//!   immediate takes `-2147483648..=2147483647` in decimal and up to `0xffffffff` in hex (a
//!   16-bit offset likewise up to `0xffff`, `lddw` up to `0xffffffffffffffff`);
//! - legacy packet loads take the offset, `ldabsw 12`, or the register and the offset,
//!   `ldindw %r1, 2` (mnemonics as uBPF and rbpf name them; r0 and the skb in r6 are
//!   implicit);
//! - jump targets: a label, or a signed slot offset relative to the next instruction (`+3`,
//!   `-2`). Offsets count 8-byte slots, so `lddw` counts 2. The label `exit` names the first
//!   `exit` instruction unless the program defines its own `exit:` label.
//!
//! The result is validated by [`crate::decode_program`], so anything the decoder rejects (a
//! write to `r10`, a jump out of the program, a missing final `exit`) is rejected here too.

use std::collections::HashMap;

use crate::OPCODES;
use crate::{
    decode_program, encode_program, Instruction, IsaError, Op, OpDef, Select, Shape, Validated,
};

mod operand;

use operand::{imm32, is_label, memory, number, register};

/// Assembles conformance-suite assembly text into validated instructions.
///
/// Errors are [`IsaError::Asm`] with the 1-based line and a message naming the offending text.
///
/// ```
/// let program = ebee_isa::assemble("mov %r0, 1\njne %r0, 2, done\nmov %r0, 3\ndone:\nexit")?;
/// assert_eq!(program.len(), 4);
/// assert_eq!(program[1].off, 1);
/// # Ok::<(), ebee_isa::IsaError>(())
/// ```
pub fn assemble(text: &str) -> Result<Validated, IsaError> {
    let mut labels: HashMap<&str, (usize, usize)> = HashMap::new();
    let mut statements: Vec<Statement> = Vec::new();
    let mut first_exit = None;
    let mut pc = 0usize;
    let mut last_line = 1;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        last_line = line;
        let fail = |message: String| IsaError::Asm { line, message };
        let mut code = raw.split('#').next().unwrap_or_default().trim();
        while let Some((name, rest)) = split_label(code).map_err(fail)? {
            if let Some((_, first)) = labels.insert(name, (pc, line)) {
                return Err(fail(format!(
                    "Duplicate label `{name}` (first defined on line {first})"
                )));
            }
            code = rest;
        }
        if code.is_empty() {
            continue;
        }
        let (insn, target) = parse_statement(code, pc).map_err(fail)?;
        if insn.op == Op::Exit && first_exit.is_none() {
            first_exit = Some(pc);
        }
        pc += insn.slots();
        statements.push(Statement {
            line,
            code,
            insn,
            target,
        });
    }
    if let Some(exit_pc) = first_exit {
        labels.entry("exit").or_insert((exit_pc, 0));
    }
    let mut program = Vec::with_capacity(statements.len());
    for statement in &statements {
        let mut insn = statement.insn;
        if let Some(target) = &statement.target {
            resolve(&mut insn, target, &labels).map_err(|message| IsaError::Asm {
                line: statement.line,
                message,
            })?;
        }
        program.push(insn);
    }
    decode_program(&encode_program(&program)).map_err(|err| {
        let statement = error_pc(&err).and_then(|pc| statements.iter().find(|s| s.insn.pc == pc));
        match statement {
            Some(s) => IsaError::Asm {
                line: s.line,
                message: format!("`{}`: {err}", s.code),
            },
            None => IsaError::Asm {
                line: last_line,
                message: err.to_string(),
            },
        }
    })
}

/// One assembled line, before labels are resolved.
struct Statement<'a> {
    line: usize,
    code: &'a str,
    insn: Instruction,
    target: Option<Target>,
}

/// A jump target naming a label, to be resolved once all labels are known.
struct Target {
    label: String,
    /// True when the relative offset goes into `imm` (ja32, call local), else into `off`.
    in_imm: bool,
}

/// The slot index a decoder error points at, if any.
fn error_pc(err: &IsaError) -> Option<usize> {
    match err {
        IsaError::UnknownOpcode { pc, .. }
        | IsaError::ReservedFieldNotZero { pc, .. }
        | IsaError::InvalidRegister { pc, .. }
        | IsaError::WritesFramePointer { pc, .. }
        | IsaError::MalformedLddw { pc, .. }
        | IsaError::JumpOutOfBounds { pc, .. }
        | IsaError::JumpIntoLddw { pc, .. }
        | IsaError::FallsOffEnd { pc } => Some(*pc),
        _ => None,
    }
}

fn resolve(
    insn: &mut Instruction,
    target: &Target,
    labels: &HashMap<&str, (usize, usize)>,
) -> Result<(), String> {
    let Some(&(slot, _)) = labels.get(target.label.as_str()) else {
        return Err(format!("Invalid label: {}", target.label));
    };
    let delta = slot as i128 - insn.pc as i128 - 1;
    if target.in_imm {
        insn.imm = i32::try_from(delta)
            .map_err(|_| format!("label `{}` is too far away", target.label))?
            .into();
    } else {
        insn.off = i16::try_from(delta).map_err(|_| {
            format!(
                "label `{}` is {delta} slots away, out of range of a 16-bit jump offset",
                target.label
            )
        })?;
    }
    Ok(())
}

/// Splits a leading `label:` off a line.
fn split_label(code: &str) -> Result<Option<(&str, &str)>, String> {
    let Some((name, rest)) = code.split_once(':') else {
        return Ok(None);
    };
    let name = name.trim();
    if !is_label(name) {
        return Err(format!("Invalid label name `{name}` in `{code}`"));
    }
    Ok(Some((name, rest.trim())))
}

/// The first whitespace-separated word of `text` and the rest after it.
fn split_word(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    match text.find(char::is_whitespace) {
        Some(end) => text.split_at(end),
        None => (text, ""),
    }
}

/// Reads a possibly multi-word mnemonic: words are added while the result is still a
/// mnemonic of the table or the start of one (`lock` → `lock fetch` → `lock fetch add`).
fn split_mnemonic(code: &str) -> (String, &str) {
    let (first, mut rest) = split_word(code);
    let mut mnemonic = first.to_string();
    loop {
        let (word, after) = split_word(rest);
        if word.is_empty() {
            break;
        }
        let candidate = format!("{mnemonic} {word}");
        if !is_mnemonic_prefix(&candidate) {
            break;
        }
        mnemonic = candidate;
        rest = after;
    }
    (mnemonic, rest)
}

/// True when `words` is a table mnemonic or its first words.
fn is_mnemonic_prefix(words: &str) -> bool {
    OPCODES.iter().any(|def| {
        def.mnemonic
            .strip_prefix(words)
            .is_some_and(|tail| tail.is_empty() || tail.starts_with(' '))
    })
}

/// The table rows spelled `mnemonic` (with `swapN` read as `bswapN`).
fn rows_named(mnemonic: &str) -> Vec<&'static OpDef> {
    let rows: Vec<_> = OPCODES.iter().filter(|d| d.mnemonic == mnemonic).collect();
    if rows.is_empty() && mnemonic.starts_with("swap") {
        let alias = format!("b{mnemonic}");
        return OPCODES.iter().filter(|d| d.mnemonic == alias).collect();
    }
    rows
}

/// What an operand looks like.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// `%rN`.
    Reg,
    /// `[%rN+off]`.
    Mem,
    /// A number or a label.
    Value,
}

fn classify(operand: &str) -> Kind {
    if operand.starts_with('%') {
        Kind::Reg
    } else if operand.starts_with('[') {
        Kind::Mem
    } else {
        Kind::Value
    }
}

/// The operands a form takes, and how many of them are required.
fn pattern(def: &OpDef) -> (&'static [Kind], usize) {
    use Kind::*;
    let kinds: &'static [Kind] = match def.shape {
        Shape::AluImm | Shape::LoadImm64 => &[Reg, Value],
        Shape::AluReg | Shape::MovSx => &[Reg, Reg],
        Shape::AluUnary | Shape::Endian | Shape::CallReg => &[Reg],
        Shape::Load => &[Reg, Mem],
        Shape::StoreImm => &[Mem, Value],
        Shape::StoreReg | Shape::Atomic => &[Mem, Reg],
        Shape::Ja | Shape::Ja32 | Shape::MayGoto => &[Value],
        Shape::JumpImm => &[Reg, Value, Value],
        Shape::JumpReg => &[Reg, Reg, Value],
        // `call kfunc ID[, OFFSET]`: the offset selects the module BTF.
        Shape::Call if def.op == Op::CallKfunc => return (&[Value, Value], 1),
        Shape::Call => &[Value],
        Shape::Exit => &[],
        Shape::PacketAbs => &[Value],
        Shape::PacketInd => &[Reg, Value],
    };
    (kinds, kinds.len())
}

fn accepts(def: &OpDef, kinds: &[Kind]) -> bool {
    let (expected, required) = pattern(def);
    kinds.len() >= required
        && kinds.len() <= expected.len()
        && expected.iter().zip(kinds).all(|(e, k)| e == k)
}

fn describe(kind: Kind) -> &'static str {
    match kind {
        Kind::Reg => "a register like %r1",
        Kind::Mem => "a memory operand like [%r1+8]",
        Kind::Value => "a number or label",
    }
}

/// Picks the table row for a mnemonic and its operands.
fn select_row(mnemonic: &str, rest: &str, operands: &[&str]) -> Result<&'static OpDef, String> {
    let rows = rows_named(mnemonic);
    if rows.is_empty() {
        let (next, _) = split_word(rest);
        return Err(if next.is_empty() && is_mnemonic_prefix(mnemonic) {
            format!("Invalid number of operands for {mnemonic}: the operation is missing")
        } else if is_mnemonic_prefix(mnemonic) {
            format!("Invalid mnemonic: {mnemonic} {next}")
        } else {
            format!("Invalid mnemonic: {mnemonic}")
        });
    }
    let kinds: Vec<Kind> = operands.iter().map(|o| classify(o)).collect();
    if let Some(def) = rows.iter().find(|def| accepts(def, &kinds)) {
        return Ok(def);
    }
    for def in &rows {
        let (expected, required) = pattern(def);
        if kinds.len() >= required && kinds.len() <= expected.len() {
            let mismatch = expected
                .iter()
                .zip(operands)
                .find(|(e, o)| classify(o) != **e);
            if let Some((expected, operand)) = mismatch {
                return Err(format!(
                    "{mnemonic}: expected {}, found `{operand}`",
                    describe(*expected)
                ));
            }
        }
    }
    let counts: Vec<String> = rows
        .iter()
        .map(|d| pattern(d).0.len().to_string())
        .collect();
    Err(format!(
        "Invalid number of operands for {mnemonic}: expected {}, found {}",
        counts.join(" or "),
        operands.len()
    ))
}

/// Parses one statement (labels and comment already removed) into an instruction at `pc`.
fn parse_statement(code: &str, pc: usize) -> Result<(Instruction, Option<Target>), String> {
    let (mnemonic, rest) = split_mnemonic(code);
    let operands: Vec<&str> = if rest.trim().is_empty() {
        Vec::new()
    } else {
        rest.split(',').map(str::trim).collect()
    };
    if operands.iter().any(|o| o.is_empty()) {
        return Err(format!("empty operand in `{code}`"));
    }
    let def = select_row(&mnemonic, rest, &operands)?;
    let mut insn = Instruction {
        pc,
        op: def.op,
        dst: 0,
        src: 0,
        off: 0,
        imm: 0,
    };
    match def.select {
        Select::Off(v) => insn.off = v,
        Select::Imm(v) => insn.imm = v.into(),
        Select::Src(v) => insn.src = v,
        Select::None => {}
    }
    let operand = |i: usize| -> Result<&str, String> {
        operands
            .get(i)
            .copied()
            .ok_or_else(|| format!("{mnemonic}: operand {} is missing", i + 1))
    };
    let mut target = None;
    match def.shape {
        Shape::AluImm => {
            insn.dst = register(operand(0)?)?;
            insn.imm = imm32(operand(1)?)?;
        }
        Shape::AluReg | Shape::MovSx => {
            insn.dst = register(operand(0)?)?;
            insn.src = register(operand(1)?)?;
        }
        Shape::AluUnary | Shape::Endian | Shape::CallReg => insn.dst = register(operand(0)?)?,
        Shape::LoadImm64 => {
            insn.dst = register(operand(0)?)?;
            insn.imm = number(operand(1)?, 64)? as i64;
        }
        Shape::Load => {
            insn.dst = register(operand(0)?)?;
            (insn.src, insn.off) = memory(operand(1)?)?;
        }
        Shape::StoreImm => {
            (insn.dst, insn.off) = memory(operand(0)?)?;
            insn.imm = imm32(operand(1)?)?;
        }
        Shape::StoreReg | Shape::Atomic => {
            (insn.dst, insn.off) = memory(operand(0)?)?;
            insn.src = register(operand(1)?)?;
        }
        Shape::Ja | Shape::MayGoto => target = jump(operand(0)?, &mut insn, false)?,
        Shape::Ja32 => target = jump(operand(0)?, &mut insn, true)?,
        Shape::JumpImm | Shape::JumpReg => {
            insn.dst = register(operand(0)?)?;
            if def.shape == Shape::JumpImm {
                insn.imm = imm32(operand(1)?)?;
            } else {
                insn.src = register(operand(1)?)?;
            }
            target = jump(operand(2)?, &mut insn, false)?;
        }
        Shape::Call if def.op == Op::CallLocal => target = jump(operand(0)?, &mut insn, true)?,
        Shape::Call => {
            insn.imm = imm32(operand(0)?)?;
            if let Some(off) = operands.get(1) {
                insn.off = number(off, 16)? as i16;
            }
        }
        Shape::Exit => {}
        Shape::PacketAbs => insn.imm = imm32(operand(0)?)?,
        Shape::PacketInd => {
            insn.src = register(operand(0)?)?;
            insn.imm = imm32(operand(1)?)?;
        }
    }
    Ok((insn, target))
}

/// Parses a jump target: a signed slot offset is stored now, a label is returned for later.
fn jump(text: &str, insn: &mut Instruction, in_imm: bool) -> Result<Option<Target>, String> {
    if text.starts_with(['+', '-']) {
        if in_imm {
            insn.imm = imm32(text)?;
        } else {
            insn.off = number(text, 16)? as i16;
        }
        Ok(None)
    } else if is_label(text) {
        Ok(Some(Target {
            label: text.to_string(),
            in_imm,
        }))
    } else {
        Err(format!(
            "Invalid jump target `{text}`: expected a label or a signed offset like +3"
        ))
    }
}
