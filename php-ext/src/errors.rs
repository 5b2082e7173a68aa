//! The exception tree PHP code catches:
//!
//! ```text
//! \Exception
//! └── EmonGroups\Exception                      getErrorCode(): string (the stable wire code)
//!     ├── EmonGroups\Exception\InvalidRequest   bad_json, bad_request, too_large, too_deep,
//!     │                                         unsupported_version, unknown_op, unknown_profile,
//!     │                                         missing_state
//!     ├── EmonGroups\Exception\InvalidState     invalid_state, policy
//!     └── EmonGroups\Exception\EngineFailure    internal
//! ```
//!
//! Why these are not `#[php_class]` structs: ext-php-rs gives every Rust-backed class its own
//! object handlers and allocator, so (a) a method written for the parent does not run on a child
//! object (the guide's workaround is to repeat it in every child) and (b) objects are created by
//! ext-php-rs's `create_object`, not by `\Exception`'s, so `getFile()`, `getLine()` and
//! `getTrace()` would come out empty. These classes carry no Rust state at all: they are plain
//! internal classes built with `ClassBuilder`, they keep `\Exception`'s object creation (file,
//! line and trace are right), and the code lives in an ordinary protected property `errorCode`
//! that the one inherited method `getErrorCode()` reads.

use std::panic::AssertUnwindSafe;
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

use ext_php_rs::args::ArgInfoTables;
use ext_php_rs::builders::{ClassBuilder, ClassProperty, FunctionBuilder};
use ext_php_rs::convert::IntoZval;
use ext_php_rs::exception::PhpException;
use ext_php_rs::flags::{DataType, MethodFlags, PropertyFlags};
use ext_php_rs::types::{ZendObject, ZendStr, Zval};
use ext_php_rs::zend::{ClassEntry, ExecuteData, ExecutorGlobals, ce, run_handler};
use ext_php_rs::zend_fastcall;

/// Longer messages are cut (with `…`).
const MAX_MESSAGE_CHARS: usize = 1000;

/// PHP name of the base class.
pub const BASE_NAME: &str = "EmonGroups\\Exception";

/// The families of wire errors, one PHP class each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Codes no family claims (a newer core may add some): the base class.
    Base,
    /// The request was wrong.
    InvalidRequest,
    /// The facts or the policy were wrong.
    InvalidState,
    /// A bug: the engine or this extension failed.
    EngineFailure,
}

impl Family {
    /// The family of a stable wire error code.
    pub fn of(code: &str) -> Family {
        match code {
            "bad_json"
            | "bad_request"
            | "too_large"
            | "too_deep"
            | "unsupported_version"
            | "unknown_op"
            | "unknown_profile"
            | "missing_state" => Family::InvalidRequest,
            "invalid_state" | "policy" => Family::InvalidState,
            "internal" => Family::EngineFailure,
            _ => Family::Base,
        }
    }

    const ALL: [Family; 4] =
        [Family::Base, Family::InvalidRequest, Family::InvalidState, Family::EngineFailure];

    fn class_name(self) -> &'static str {
        match self {
            Family::Base => BASE_NAME,
            Family::InvalidRequest => "EmonGroups\\Exception\\InvalidRequest",
            Family::InvalidState => "EmonGroups\\Exception\\InvalidState",
            Family::EngineFailure => "EmonGroups\\Exception\\EngineFailure",
        }
    }

    /// What `getErrorCode()` answers for an exception PHP code constructed itself.
    fn default_code(self) -> &'static str {
        match self {
            Family::Base | Family::EngineFailure => "internal",
            Family::InvalidRequest => "bad_request",
            Family::InvalidState => "invalid_state",
        }
    }

    fn slot(self) -> &'static AtomicPtr<ClassEntry> {
        static BASE: AtomicPtr<ClassEntry> = AtomicPtr::new(ptr::null_mut());
        static INVALID_REQUEST: AtomicPtr<ClassEntry> = AtomicPtr::new(ptr::null_mut());
        static INVALID_STATE: AtomicPtr<ClassEntry> = AtomicPtr::new(ptr::null_mut());
        static ENGINE_FAILURE: AtomicPtr<ClassEntry> = AtomicPtr::new(ptr::null_mut());
        match self {
            Family::Base => &BASE,
            Family::InvalidRequest => &INVALID_REQUEST,
            Family::InvalidState => &INVALID_STATE,
            Family::EngineFailure => &ENGINE_FAILURE,
        }
    }

    /// The registered class entry; `\Exception` if the module has not registered it (cannot
    /// happen once the module started: startup fails when registration does).
    fn class_entry(self) -> &'static ClassEntry {
        let entry = self.slot().load(Ordering::Acquire);
        // SAFETY: the slot holds null or the class entry the engine gave us at registration;
        // internal class entries live until the engine shuts down, longer than any call.
        unsafe { entry.as_ref() }.unwrap_or_else(ce::exception)
    }
}

fn base_class_entry() -> &'static ClassEntry {
    Family::Base.class_entry()
}

/// Registers the four classes. Runs in the module startup (MINIT), base class first.
pub fn register() -> ext_php_rs::error::Result<()> {
    for family in Family::ALL {
        let mut builder = ClassBuilder::new(family.class_name());
        builder = match family {
            Family::Base => builder.extends((ce::exception, "\\Exception")).method(
                FunctionBuilder::new("getErrorCode", get_error_code).returns(DataType::String, false, false),
                MethodFlags::Public,
            ),
            _ => builder.extends((base_class_entry, BASE_NAME)),
        };
        let default = family.default_code();
        builder = builder
            .property(ClassProperty {
                name: "errorCode".into(),
                flags: PropertyFlags::Protected,
                default: Some(Box::new(move || {
                    // Defaults of internal classes outlive requests: persistent and interned.
                    let mut zval = Zval::new();
                    zval.set_interned_string(default, true)?;
                    Ok(zval)
                })),
                docs: &[],
                ty: None,
                nullable: false,
                readonly: false,
                default_stub: None,
            })
            .registration(match family {
                Family::Base => keep::<0>,
                Family::InvalidRequest => keep::<1>,
                Family::InvalidState => keep::<2>,
                Family::EngineFailure => keep::<3>,
            });
        builder.register()?;
    }
    Ok(())
}

/// Stores a registered class entry in the slot of family number `N` (registration callbacks are
/// plain function pointers, so the family travels as a const parameter).
fn keep<const N: usize>(entry: &'static mut ClassEntry, arg_info: ArgInfoTables) {
    Family::ALL[N].slot().store(entry, Ordering::Release);
    // The engine points into the argument info for as long as the class exists, which is the
    // life of the process: it is never freed.
    std::mem::forget(arg_info);
}

zend_fastcall! {
    /// `EmonGroups\Exception::getErrorCode(): string`, inherited by every subclass.
    extern fn get_error_code(ex: &mut ExecuteData, retval: &mut Zval) {
        run_handler(AssertUnwindSafe(|| {
            // No arguments: extra ones are an ArgumentCountError, as for PHP's own methods.
            if ex.parser().parse().is_err() {
                return;
            }
            let code = ex
                .get_self()
                .and_then(|this| with_scope(base_class_entry(), || this.get_property::<String>("errorCode").ok()))
                .unwrap_or_default();
            retval.set_zend_string(ZendStr::new(&code, false));
        }));
    }
}

/// The exception for a wire error `code` with `message`, of the class of its family.
pub fn exception(code: &str, message: &str) -> PhpException {
    // Messages are for people and may quote input; a 10 MB key must not become a 10 MB message.
    let message = crate::truncate(message, MAX_MESSAGE_CHARS);
    let message = message.as_str();
    let family = Family::of(code);
    let entry = family.class_entry();
    let plain = || PhpException::new(message.to_string(), 0, entry);
    // Created through the class's own `create_object` (inherited from `\Exception`), so the file,
    // line and trace are those of the PHP code that called us.
    let mut object = ZendObject::new(entry);
    let written = with_scope(base_class_entry(), || {
        object.set_property("message", message).is_ok() && object.set_property("errorCode", code).is_ok()
    });
    if !written {
        return plain();
    }
    match object.into_zval(false) {
        Ok(zval) => plain().with_object(zval),
        Err(_) => plain(),
    }
}

/// Runs `f` as if it were code of class `scope`, so that it may read and write the protected
/// properties of our exceptions (what `zend_update_property` does with `EG(fake_scope)`).
fn with_scope<R>(scope: &'static ClassEntry, f: impl FnOnce() -> R) -> R {
    struct Restore(*const ClassEntry);
    impl Drop for Restore {
        fn drop(&mut self) {
            ExecutorGlobals::get_mut().fake_scope = self.0.cast_mut();
        }
    }
    let previous = {
        let mut globals = ExecutorGlobals::get_mut();
        std::mem::replace(&mut globals.fake_scope, ptr::from_ref(scope).cast_mut())
    };
    let _restore = Restore(previous.cast_const());
    f()
}
