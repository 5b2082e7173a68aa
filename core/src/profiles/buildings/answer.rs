//! HTTP answers, and the field errors of a 400 answer.

use std::borrow::Cow;

use crate::value::{Map, Value, object_of};

use super::text::opt_text;

/// An HTTP answer: status, body, the reason code of a refusal, the changes of a write.
#[derive(Debug)]
pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) body: Value,
    pub(super) reason: Option<&'static str>,
    pub(super) changes: Vec<Value>,
}

impl Answer {
    pub(super) fn ok(status: u16, body: Value) -> Answer {
        Answer { status, body, reason: None, changes: Vec::new() }
    }
    pub(super) fn refuse(status: u16, reason: &'static str, detail: &str) -> Answer {
        Answer {
            status,
            body: object_of(&mut [("detail", Value::from(detail))]),
            reason: Some(reason),
            changes: Vec::new(),
        }
    }
    pub(super) fn not_found() -> Answer {
        Answer::refuse(404, "not_found", "not found")
    }
    pub(super) fn forbidden(reason: &'static str) -> Answer {
        Answer::refuse(403, reason, "you do not have permission to perform this action")
    }
    pub(super) fn into_json(self) -> Value {
        object_of(&mut [
            ("status", Value::from(self.status)),
            ("body", self.body),
            ("reason", opt_text(self.reason)),
            ("changes", Value::Array(self.changes)),
        ])
    }
}

/// Field errors of a 400 answer, in the order found; the first one's code is the reason.
#[derive(Debug, Default)]
pub(super) struct FieldErrors(Vec<(String, &'static str, Cow<'static, str>)>);

impl FieldErrors {
    pub(super) fn add(&mut self, field: &str, code: &'static str, message: Cow<'static, str>) {
        self.0.push((field.to_string(), code, message));
    }
    /// Body field `field` when it is a string. Absent (an error when `required`), null and other
    /// values are `None`, the last two with their error.
    pub(super) fn text<'b>(
        &mut self,
        body: &'b Map<String, Value>,
        field: &str,
        required: bool,
    ) -> Option<&'b String> {
        match self.present(body, field, required)? {
            Value::String(s) => Some(s),
            _ => {
                self.add(field, "invalid", "not a valid string".into());
                None
            }
        }
    }
    /// Body field `field` when present and not null; absent is an error when `required`, null
    /// always.
    pub(super) fn present<'b>(
        &mut self,
        body: &'b Map<String, Value>,
        field: &str,
        required: bool,
    ) -> Option<&'b Value> {
        match body.get(field) {
            None if required => self.add(field, "required", "this field is required".into()),
            None => {}
            Some(Value::Null) => self.add(field, "null", "this field may not be null".into()),
            Some(v) => return Some(v),
        }
        None
    }
    /// Body field `field` when it is a list of strings; anything else present (null included) is
    /// an `invalid` error saying `expected`.
    pub(super) fn list(
        &mut self,
        body: &Map<String, Value>,
        field: &str,
        expected: &'static str,
    ) -> Option<Vec<String>> {
        let list = string_list(body.get(field)?);
        if list.is_none() {
            self.add(field, "invalid", expected.into());
        }
        list
    }
    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub(super) fn answer(self) -> Answer {
        let reason = self.0.first().map_or("invalid", |(_, c, _)| *c);
        let mut body = Map::new();
        for (field, _, message) in self.0 {
            if let Some(Value::Array(list)) = body.get_mut(&field) {
                list.push(Value::String(message.into_owned()));
            } else {
                body.insert(field, Value::Array(vec![Value::String(message.into_owned())]));
            }
        }
        Answer { status: 400, body: Value::Object(body), reason: Some(reason), changes: Vec::new() }
    }
}

/// A list of strings, if `v` is one.
pub(super) fn string_list(v: &Value) -> Option<Vec<String>> {
    let items = v.as_array()?;
    let mut out = Vec::with_capacity(items.len());
    for x in items {
        out.push(x.as_str()?.to_string());
    }
    Some(out)
}
