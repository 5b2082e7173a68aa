//! `report`: reading a report body (the seed's example answers `"ok"`, its list says `OK`).

use serde::Deserialize;

use crate::error::WireError;
use crate::util::truncate;
use crate::value::{Value, object_of};

/// The fields of `report`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ReportFields {
    report_type: Option<String>,
    topic: Option<String>,
    body: Value,
}

pub(super) fn read_report(req: ReportFields) -> Result<Value, WireError> {
    let result = req
        .body
        .as_object()
        .and_then(|b| b.get("result"))
        .and_then(Value::as_str)
        .ok_or_else(|| WireError::bad_request("`body.result` must be a string"))?;
    let trimmed = result.trim();
    let success = if trimmed.eq_ignore_ascii_case("ok") {
        true
    } else if trimmed.eq_ignore_ascii_case("error") {
        false
    } else {
        return Err(WireError::bad_request(format!(
            "`body.result` is `{}`; expected `OK` or `Error` (any case)",
            truncate(result, 64)
        )));
    };
    Ok(object_of(&mut [
        ("report_type", req.report_type.into()),
        ("topic", req.topic.into()),
        ("result", if success { "OK" } else { "Error" }.into()),
        ("success", success.into()),
    ]))
}
