//! `http`: the seed's endpoints.

use serde::Deserialize;

use crate::error::WireError;
use crate::util::truncate;
use crate::value::{ToJson, Value};

use super::answer::{Answer, FieldErrors};
use super::change::{Change, DeleteGroup};
use super::engine::{BuildingsEngine, Ctx};
use super::state::GroupRow;
use super::text::quoted;
use super::write::Mode;

/// The fields of `http`: a request to one of the seed's endpoints.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HttpRequest {
    method: String,
    path: String,
    actor: String,
    body: Option<Value>,
    now: Option<String>,
    new_id: Option<String>,
}

/// Which resource a path names.
#[derive(Debug, PartialEq)]
pub(super) enum Route<'a> {
    Groups,
    PermissionSets,
    Group(&'a str),
}

pub(super) fn route(path: &str) -> Option<Route<'_>> {
    let rest = path.strip_prefix("/user_groups")?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    match rest {
        "" => Some(Route::Groups),
        "/permission_sets" => Some(Route::PermissionSets),
        _ => {
            let id = rest.strip_prefix('/')?;
            (!id.is_empty() && !id.contains('/')).then_some(Route::Group(id))
        }
    }
}

impl BuildingsEngine {
    pub(super) fn http(&self, req: HttpRequest) -> Result<Value, WireError> {
        let (path, query) = match req.path.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (req.path.as_str(), None),
        };
        let Some(route) = route(path) else {
            return Ok(Answer::refuse(404, "unknown_path", "not found").into_json());
        };
        let Some(actor) = self.user(&req.actor) else {
            return Ok(Answer::refuse(
                401,
                "not_authenticated",
                "authentication credentials were not provided",
            )
            .into_json());
        };
        let method = req.method.to_ascii_uppercase();
        let allowed: &[&str] = match route {
            Route::Groups => &["GET", "POST"],
            Route::PermissionSets => &["GET"],
            Route::Group(_) => &["GET", "PUT", "PATCH", "DELETE"],
        };
        if !allowed.contains(&method.as_str()) {
            let detail = format!("method `{}` not allowed", truncate(&req.method, 16));
            return Ok(Answer::refuse(405, "method_not_allowed", &detail).into_json());
        }
        let writes = matches!(method.as_str(), "POST" | "PUT" | "PATCH");
        let now = match (&req.now, writes) {
            (Some(now), true) if valid_datetime(now) => now.clone(),
            (Some(now), true) => {
                return Err(WireError::bad_request(quoted(
                    "`now` ",
                    now,
                    " is not a date-time like `2024-05-01T12:00:00Z`",
                )));
            }
            (None, true) => return Err(WireError::bad_request(format!("`now` is required for `{method}`"))),
            _ => String::new(),
        };
        if query.is_some() && !(route == Route::Groups && method == "GET") {
            let mut errors = FieldErrors::default();
            errors.add("query", "unknown_filter", "this endpoint takes no query parameters".into());
            return Ok(errors.answer().into_json());
        }
        let holding = self.holding(&actor.id);
        let ctx = Ctx { actor, holding };
        let answer = match (route, method.as_str()) {
            (Route::PermissionSets, _) => Answer::ok(200, self.policy.permission_sets_json()),
            (Route::Groups, "GET") => self.list(&ctx, query.unwrap_or("")),
            (Route::Groups, _) => {
                let new_id =
                    req.new_id.as_deref().filter(|s| !s.is_empty()).ok_or_else(|| {
                        WireError::bad_request("`new_id` is required for `POST`".to_string())
                    })?;
                if self.group(new_id).is_some() {
                    return Err(WireError::bad_request(quoted(
                        "`new_id` ",
                        new_id,
                        " is already a user group id",
                    )));
                }
                self.write(&ctx, None, req.body.as_ref(), Mode::Create, new_id, &now)
            }
            (Route::Group(id), method) => match self.group(id) {
                Some((i, g)) if self.can_view_group(actor, holding, g) => match method {
                    "GET" => Answer::ok(200, g.to_json()),
                    "DELETE" => self.delete(&ctx, g),
                    "PUT" => self.write(&ctx, Some(i), req.body.as_ref(), Mode::Replace, id, &now),
                    _ => self.write(&ctx, Some(i), req.body.as_ref(), Mode::Patch, id, &now),
                },
                _ => Answer::not_found(),
            },
        };
        Ok(answer.into_json())
    }

    fn delete(&self, ctx: &Ctx<'_>, g: &GroupRow) -> Answer {
        if let Err(reason) = self.may_manage_group(ctx.actor, ctx.holding, g) {
            return Answer::forbidden(reason);
        }
        Answer {
            status: 204,
            body: Value::Null,
            reason: None,
            changes: vec![ToJson::to_json(&Change::Delete(DeleteGroup { id: g.id.clone() }))],
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SS`, optional fraction, then `Z` or `±HH:MM` (RFC 3339).
fn valid_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    if !shaped(b, b"dddd-dd-ddTdd:dd:dd") {
        return false;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match b.get(i) {
        Some(b'Z' | b'z') => i + 1 == b.len(),
        Some(b'+' | b'-') => b.get(i + 1..).is_some_and(|zone| shaped(zone, b"dd:dd")) && i + 6 == b.len(),
        _ => false,
    }
}

/// Whether `b` starts with the shape `shape`: `d` a digit, `T` one of `T`, `t` and a space,
/// anything else itself.
fn shaped(b: &[u8], shape: &[u8]) -> bool {
    if b.len() < shape.len() {
        return false;
    }
    for (&x, &c) in b.iter().zip(shape) {
        let ok = match c {
            b'd' => x.is_ascii_digit(),
            b'T' => matches!(x, b'T' | b't' | b' '),
            _ => x == c,
        };
        if !ok {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes() {
        for ok in [
            "2024-05-01T12:00:00Z",
            "2024-05-01T12:00:00.5Z",
            "2024-05-01 12:00:00+02:00",
            "2024-05-01t12:00:00z",
        ] {
            assert!(valid_datetime(ok), "{ok}");
        }
        for bad in [
            "",
            "2024-05-01",
            "2024-05-01T12:00:00",
            "2024-05-01T12:00:00.Z",
            "2024-05-01T12:00:00+0200",
            "2024-05-01T12:00:00Zx",
            "２０２４-05-01T12:00:00Z",
        ] {
            assert!(!valid_datetime(bad), "{bad}");
        }
    }
}
