//! One module per subcommand.

pub mod asm;
pub mod disasm;
pub mod inspect;
pub mod packets;
pub mod plugin;
pub mod run;
pub mod verify;
