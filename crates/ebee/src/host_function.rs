//! Typed host functions: plain Rust functions offered to programs as helpers or kfuncs, whose
//! argument and return types give their prototype (as wasmtime's `Func::wrap` does).
//!
//! ```
//! use ebee::host_function::Bytes;
//! use ebee::{Engine, HostFunction};
//! let scale = HostFunction::wrap("host_scale", |x: u64, factor: u32| x * u64::from(factor))?;
//! assert_eq!(scale.args().map(<[_]>::len), Some(2));
//! let sum = HostFunction::wrap("host_sum", |data: Bytes| {
//!     data.0.iter().map(|&b| u64::from(b)).sum::<u64>()
//! })?;
//! let engine = Engine::new().with_function(0x8000, scale).with_function(0x8001, sum);
//!
//! // r0 = host_scale(host_sum(r1, 3), 2)
//! let program = ebee_isa::assemble("mov %r2, 3\ncall 0x8001\nmov %r1, %r0\nmov %r2, 2\ncall 0x8000\nexit")?;
//! let program = engine.load_raw(&program, None)?;
//! let input = [1u8, 2, 3];
//! let mut memory = ebee_vm::Memory::new();
//! let address = memory.add("input", &input);
//! assert_eq!(program.run(&memory, &[address])?.retval, 12);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::Error;
use ebee_spec::helper::{Arg, Ret};
use ebee_vm::{HelperClosure, HelperEnv, HelperError};
use std::sync::Arc;

/// A host function with its prototype, ready to register ([`crate::Engine::with_function`],
/// [`crate::Engine::with_kfunc_function`]).
#[derive(Clone)]
pub struct HostFunction {
    name: String,
    /// The prototype's arguments; `None` for raw functions registered without one.
    args: Option<Vec<Arg>>,
    ret: Ret,
    imp: Arc<HelperClosure>,
}

impl std::fmt::Debug for HostFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "HostFunction({}, {:?} -> {:?})",
            self.name, self.args, self.ret
        )
    }
}

impl HostFunction {
    /// Wraps a Rust function of up to five register-sized arguments (integers, `bool`) and
    /// memory arguments ([`Bytes`], which take two registers: pointer and size), returning an
    /// integer, `bool`, `()` or a `Result` of one.
    pub fn wrap<Args, F: IntoHostFunction<Args>>(name: &str, func: F) -> Result<Self, Error> {
        func.into_host_function(name)
    }

    /// A host function from a raw implementation (r1–r5 in, r0 out) with the prototype
    /// `args -> ret` declared by the caller.
    pub fn raw<F>(name: &str, args: &[Arg], ret: Ret, func: F) -> Self
    where
        F: Fn(&mut HelperEnv<'_, '_>, [u64; 5]) -> Result<u64, HelperError> + Send + Sync + 'static,
    {
        HostFunction {
            name: name.to_string(),
            args: Some(args.to_vec()),
            ret,
            imp: Arc::new(func),
        }
    }

    /// A raw implementation without a prototype: it may take and write anything.
    pub(crate) fn untyped<F>(name: &str, func: F) -> Self
    where
        F: Fn(&mut HelperEnv<'_, '_>, [u64; 5]) -> Result<u64, HelperError> + Send + Sync + 'static,
    {
        HostFunction {
            name: name.to_string(),
            args: None,
            ret: Ret::Integer,
            imp: Arc::new(func),
        }
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its argument kinds, r1 first (`None`: registered without a prototype).
    pub fn args(&self) -> Option<&[Arg]> {
        self.args.as_deref()
    }

    /// Its return kind.
    pub fn ret(&self) -> Ret {
        self.ret
    }

    /// The VM's view of it, registered under `id`.
    pub(crate) fn helper(&self, id: u32) -> ebee_vm::Helper {
        let writes_through = match &self.args {
            None => ebee_vm::ALL_ARGS,
            Some(args) => ebee_spec::helper::writes_through(args),
        };
        ebee_vm::Helper {
            id,
            name: self.name.clone().into(),
            imp: ebee_vm::HelperImpl::Closure(self.imp.clone()),
            writes_through,
        }
    }
}

/// A typed argument: how many registers it takes and what it is, as prototype kinds.
pub trait HostArg: Sized {
    /// Its prototype kinds (one per register it takes).
    const ARGS: &'static [Arg];
    /// Takes it from `regs` (its registers, in order).
    fn take(env: &HelperEnv<'_, '_>, regs: &[u64]) -> Result<Self, HelperError>;
}

macro_rules! integer_args {
    ($($ty:ty),*) => {$(
        impl HostArg for $ty {
            const ARGS: &'static [Arg] = &[Arg::Anything];
            /// The register truncated to the type, as a C cast does.
            fn take(_: &HelperEnv<'_, '_>, regs: &[u64]) -> Result<Self, HelperError> {
                Ok(regs[0] as $ty)
            }
        }
    )*};
}
integer_args!(u64, i64, u32, i32, u16, i16, u8, i8);

impl HostArg for bool {
    const ARGS: &'static [Arg] = &[Arg::Anything];
    fn take(_: &HelperEnv<'_, '_>, regs: &[u64]) -> Result<Self, HelperError> {
        Ok(regs[0] != 0)
    }
}

/// Readable program memory passed as a pointer and a size (two registers), copied out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bytes(pub Vec<u8>);

impl HostArg for Bytes {
    const ARGS: &'static [Arg] = &[
        Arg::ReadMem { nullable: false },
        Arg::Size { zero_ok: true },
    ];
    fn take(env: &HelperEnv<'_, '_>, regs: &[u64]) -> Result<Self, HelperError> {
        let len = usize::try_from(regs[1]).map_err(|_| "memory size does not fit")?;
        env.read(regs[0], len).map(Bytes)
    }
}

/// What a typed host function may return.
pub trait HostReturn {
    /// Its prototype kind.
    const RET: Ret;
    /// r0.
    fn into_r0(self) -> Result<u64, HelperError>;
}

macro_rules! integer_returns {
    ($($ty:ty),*) => {$(
        impl HostReturn for $ty {
            const RET: Ret = Ret::Integer;
            /// Sign- or zero-extended to 64 bits, as C does.
            fn into_r0(self) -> Result<u64, HelperError> {
                Ok(self as i64 as u64)
            }
        }
    )*};
}
integer_returns!(i64, i32, i16, i8, u32, u16, u8);

impl HostReturn for u64 {
    const RET: Ret = Ret::Integer;
    fn into_r0(self) -> Result<u64, HelperError> {
        Ok(self)
    }
}

impl HostReturn for bool {
    const RET: Ret = Ret::Integer;
    fn into_r0(self) -> Result<u64, HelperError> {
        Ok(self.into())
    }
}

impl HostReturn for () {
    const RET: Ret = Ret::Void;
    fn into_r0(self) -> Result<u64, HelperError> {
        Ok(0)
    }
}

/// An error stops the run with [`ebee_vm::VmError::Helper`].
impl<T: HostReturn> HostReturn for Result<T, HelperError> {
    const RET: Ret = T::RET;
    fn into_r0(self) -> Result<u64, HelperError> {
        self?.into_r0()
    }
}

/// Rust functions that can become a [`HostFunction`]; implemented for `Fn(A1, …, An) -> R`
/// with `Ai: HostArg` (at most five registers in all) and `R: HostReturn`.
pub trait IntoHostFunction<Args> {
    /// The host function named `name`.
    fn into_host_function(self, name: &str) -> Result<HostFunction, Error>;
}

macro_rules! into_host_function {
    ($($arg:ident),*) => {
        impl<F, R, $($arg),*> IntoHostFunction<($($arg,)*)> for F
        where
            F: Fn($($arg),*) -> R + Send + Sync + 'static,
            R: HostReturn,
            $($arg: HostArg,)*
        {
            #[allow(non_snake_case, unused_mut, unused_variables, unused_assignments)]
            fn into_host_function(self, name: &str) -> Result<HostFunction, Error> {
                let mut args: Vec<Arg> = Vec::new();
                $(args.extend_from_slice($arg::ARGS);)*
                if args.len() > 5 {
                    return Err(Error::HostFunction {
                        name: name.to_string(),
                        message: format!("takes {} registers; helpers get at most 5", args.len()),
                    });
                }
                let imp = move |env: &mut HelperEnv<'_, '_>, regs: [u64; 5]| {
                    let mut at = 0;
                    $(
                        let $arg = $arg::take(env, &regs[at..at + $arg::ARGS.len()])?;
                        at += $arg::ARGS.len();
                    )*
                    (self)($($arg),*).into_r0()
                };
                Ok(HostFunction {
                    name: name.to_string(),
                    args: Some(args),
                    ret: R::RET,
                    imp: Arc::new(imp),
                })
            }
        }
    };
}
into_host_function!();
into_host_function!(A1);
into_host_function!(A1, A2);
into_host_function!(A1, A2, A3);
into_host_function!(A1, A2, A3, A4);
into_host_function!(A1, A2, A3, A4, A5);
