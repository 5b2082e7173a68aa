//! Errors of the wire layer. Each has a stable `code()`; messages are lowercase, no final period,
//! user input in backticks.

use std::fmt;

/// The stable error codes of the wire (see `core/WIRE.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum ErrorCode {
    /// Not JSON, or not UTF-8.
    BadJson,
    /// The request is larger than [`crate::MAX_REQUEST_BYTES`].
    TooLarge,
    /// The request nests deeper than 128 levels ([`crate::value::MAX_DEPTH`]).
    TooDeep,
    /// A field is missing, unknown, of the wrong type or out of range.
    BadRequest,
    /// `v` is not a wire version this engine speaks.
    UnsupportedVersion,
    /// `op` names no operation of the profile.
    UnknownOp,
    /// `profile` names no profile.
    UnknownProfile,
    /// The op needs facts and neither the request nor a held engine has them.
    MissingState,
    /// The facts contradict themselves.
    InvalidState,
    /// A permission catalog, role or tier definition is invalid.
    Policy,
    /// The engine caught a panic of its own: a bug.
    Internal,
}

impl ErrorCode {
    /// The code as written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadJson => "bad_json",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::TooDeep => "too_deep",
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::UnsupportedVersion => "unsupported_version",
            ErrorCode::UnknownOp => "unknown_op",
            ErrorCode::UnknownProfile => "unknown_profile",
            ErrorCode::MissingState => "missing_state",
            ErrorCode::InvalidState => "invalid_state",
            ErrorCode::Policy => "policy",
            ErrorCode::Internal => "internal",
        }
    }
}

/// An error answer of the wire: a stable code and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError {
    code: ErrorCode,
    message: String,
}

impl WireError {
    /// A new error with `code` and `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        WireError { code, message: message.into() }
    }
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        WireError::new(ErrorCode::BadRequest, message)
    }
    pub(crate) fn invalid_state(message: impl Into<String>) -> Self {
        WireError::new(ErrorCode::InvalidState, message)
    }
    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }
    /// The message for people.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for WireError {}
