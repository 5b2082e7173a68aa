//! Reading the fields of an op.

use crate::error::WireError;
use crate::profiles::Fields;
use crate::read::Reader;
use crate::util::truncate;

/// A reader of the fields of op `op`.
pub(super) fn op_reader(op: &str, fields: Fields) -> Reader {
    Reader::request(format!("op `{op}`"), fields)
}

pub(super) fn no_fields(op: &str, fields: &Fields) -> Result<(), WireError> {
    match fields.keys().next() {
        None => Ok(()),
        Some(k) => Err(WireError::bad_request(format!("unknown field `{}` for op `{op}`", truncate(k, 64)))),
    }
}
