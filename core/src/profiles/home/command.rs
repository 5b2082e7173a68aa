//! `command`: add_user / updt_user / del_user on `<home_id>/users`.

use serde::Deserialize;

use crate::value::{Map, ToJson, Value, object_of};

use super::change::{Change, DeleteUser, UserChange};
use super::engine::{HomeEngine, Refusal};
use super::id::Id;
use super::policy::{MAX_EMAIL, MAX_USER_NAME, P_MANAGE_USERS, Policy};
use super::state::User;

/// The fields of `command`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CommandFields {
    topic: String,
    command_type: String,
    actor: Id,
    body: Value,
}

impl HomeEngine {
    pub(super) fn command(&self, req: CommandFields) -> Value {
        let (reason, change) = match self.run_command(&req) {
            Ok(change) => (None, change),
            Err(reason) => (Some(reason), None),
        };
        let mut list = Vec::new();
        if let Some(c) = change {
            list.push(ToJson::to_json(&c));
        }
        let result = if reason.is_none() { "OK" } else { "Error" };
        object_of(&mut [
            ("report_type", req.command_type.into()),
            ("topic", req.topic.into()),
            ("body", object_of(&mut [("result", result.into())])),
            ("reason", reason.into()),
            ("changes", Value::Array(list)),
        ])
    }

    /// The change a command makes (none when it changes nothing), or why it is refused.
    fn run_command(&self, req: &CommandFields) -> Result<Option<Change>, Refusal> {
        let home_id = parse_topic(&req.topic).ok_or("bad_topic")?;
        let home = self.state.home(home_id).ok_or("no_such_home")?;
        let kind = match req.command_type.as_str() {
            "add_user" => CommandKind::Add,
            "updt_user" => CommandKind::Update,
            "del_user" => CommandKind::Delete,
            _ => return Err("unknown_command"),
        };
        let actor = home.user(&req.actor).ok_or("not_home_member")?;
        if !self.policy.role_holds(&actor.role, P_MANAGE_USERS) {
            return Err("insufficient_role");
        }
        let body = parse_body(&self.policy, kind, &req.body)?;
        let existing = home.user(&body.user_id);
        let home = home.id.clone();
        match kind {
            CommandKind::Add => {
                if existing.is_some() {
                    return Err("duplicate_user");
                }
                let (Some(email), Some(user_name), Some(role)) = (body.email, body.user_name, body.role)
                else {
                    // parse_body requires all three for add_user.
                    return Err("bad_body");
                };
                let user = User { user_id: body.user_id, email, user_name, role: role.to_string() };
                Ok(Some(Change::InsertUser(UserChange { home, user })))
            }
            CommandKind::Update => {
                let old = existing.ok_or("no_such_user")?;
                let new = User {
                    user_id: old.user_id.clone(),
                    email: body.email.unwrap_or_else(|| old.email.clone()),
                    user_name: body.user_name.unwrap_or_else(|| old.user_name.clone()),
                    role: body.role.map_or_else(|| old.role.clone(), str::to_string),
                };
                if self.removes_last_manager(&home, old, Some(&new.role)) {
                    return Err("last_administrator");
                }
                if new == *old {
                    return Ok(None);
                }
                Ok(Some(Change::UpdateUser(UserChange { home, user: new })))
            }
            CommandKind::Delete => {
                let old = existing.ok_or("no_such_user")?;
                if self.removes_last_manager(&home, old, None) {
                    return Err("last_administrator");
                }
                Ok(Some(Change::DeleteUser(DeleteUser { home, user_id: old.user_id.clone() })))
            }
        }
    }

    /// Whether giving `target` the role `new_role` (`None`: removing it) would leave the home
    /// without anyone holding the user-management permission while it has one now.
    fn removes_last_manager(&self, home: &str, target: &User, new_role: Option<&str>) -> bool {
        let p = P_MANAGE_USERS;
        if !self.policy.role_holds(&target.role, p) || new_role.is_some_and(|r| self.policy.role_holds(r, p))
        {
            return false;
        }
        let Some(home) = self.state.home(home) else {
            return false;
        };
        !home.users.iter().any(|u| u.user_id != target.user_id && self.policy.role_holds(&u.role, p))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CommandKind {
    Add,
    Update,
    Delete,
}

/// The home id of a topic `<home_id>/users` (one MQTT level, no wildcards).
fn parse_topic(topic: &str) -> Option<&str> {
    let home = topic.strip_suffix("/users")?;
    let valid = !home.is_empty() && !home.bytes().any(|b| matches!(b, b'/' | b'+' | b'#'));
    valid.then_some(home)
}

#[derive(Debug)]
struct Body {
    user_id: Id,
    email: Option<String>,
    user_name: Option<String>,
    role: Option<&'static str>,
}

/// Reads a command body: add_user needs every field, updt_user the id and any of the others,
/// del_user only the id. Fields are checked in the seed's order.
fn parse_body(policy: &Policy, kind: CommandKind, body: &Value) -> Result<Body, Refusal> {
    let body = body.as_object().ok_or("bad_body")?;
    let allowed: &[&str] = match kind {
        CommandKind::Add | CommandKind::Update => &["user_id", "email", "user_name", "role"],
        CommandKind::Delete => &["user_id"],
    };
    if body.keys().any(|k| !allowed.contains(&k.as_str())) {
        return Err("bad_body");
    }
    let required = kind == CommandKind::Add;
    let user_id = match body.get("user_id") {
        None | Some(Value::Null) => return Err("missing_user_id"),
        Some(v) => Id::from_value(v).ok_or("bad_user_id")?,
    };
    let email = text_field(body, "email", required, "missing_email", "bad_email")?;
    if email.is_some_and(|s| !valid_email(s)) {
        return Err("bad_email");
    }
    let user_name = text_field(body, "user_name", required, "missing_user_name", "bad_user_name")?;
    if user_name.is_some_and(|s| s.trim().is_empty() || s.chars().count() > MAX_USER_NAME) {
        return Err("bad_user_name");
    }
    let role = match text_field(body, "role", required, "missing_role", "unknown_role")? {
        None => None,
        Some(s) => Some(policy.parse_role(s).ok_or("unknown_role")?),
    };
    Ok(Body { user_id, email: email.map(str::to_string), user_name: user_name.map(str::to_string), role })
}

/// Field `key` of a command body, a string: `None` when absent or null (refused with `missing`
/// when `required`), refused with `bad` when not a string.
fn text_field<'a>(
    body: &'a Map<String, Value>,
    key: &str,
    required: bool,
    missing: Refusal,
    bad: Refusal,
) -> Result<Option<&'a str>, Refusal> {
    match body.get(key) {
        None | Some(Value::Null) if required => Err(missing),
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_str().map(Some).ok_or(bad),
    }
}

/// A plain address check: one `@`, a local part of printable ASCII in non-empty dot-separated
/// pieces, a domain of at least two dot-separated labels of letters, digits and inner hyphens.
fn valid_email(s: &str) -> bool {
    if s.len() > MAX_EMAIL {
        return false;
    }
    let Some(at) = s.bytes().position(|b| b == b'@') else {
        return false;
    };
    let (local, domain) = (&s[..at], &s[at + 1..]);
    let local_ok = local.len() <= 64 && labels(local, |l| l.iter().all(|b| b.is_ascii_graphic())).is_some();
    let domain_labels = labels(domain, |l| {
        l.len() <= 63
            && l.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-')
            && l.first() != Some(&b'-')
            && l.last() != Some(&b'-')
    });
    local_ok && domain_labels.is_some_and(|n| n >= 2)
}

/// The number of `.`-separated labels of `s` when every one is non-empty and passes `ok`.
fn labels(s: &str, ok: fn(&[u8]) -> bool) -> Option<usize> {
    let mut n = 0;
    for label in s.as_bytes().split(|b| *b == b'.') {
        if label.is_empty() || !ok(label) {
            return None;
        }
        n += 1;
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_rules() {
        for ok in ["john.doe@mail.com", "a@b.co", "x+tag@sub.example.org"] {
            assert!(valid_email(ok), "{ok}");
        }
        for bad in [
            "",
            "john",
            "@mail.com",
            "john@",
            "john@mail",
            "jo hn@mail.com",
            "a@b@c.com",
            "a@-b.com",
            "a@b..com",
            ".a@b.com",
        ] {
            assert!(!valid_email(bad), "{bad}");
        }
        assert!(!valid_email(&format!("{}@b.com", "a".repeat(65))));
    }

    #[test]
    fn topics() {
        assert_eq!(parse_topic("home1/users"), Some("home1"));
        assert_eq!(parse_topic("/users"), None);
        assert_eq!(parse_topic("a/b/users"), None);
        assert_eq!(parse_topic("home1/users/x"), None);
        assert_eq!(parse_topic("+/users"), None);
        assert_eq!(parse_topic("home1"), None);
    }
}
