//! The `route` op's request: the session, the context, the parameters, the host's answers.

use super::*;

/// The emoncms session as the host computed it.
#[derive(Debug, Default)]
pub(crate) struct Session {
    pub(super) userid: Id,
    pub(super) read: bool,
    pub(super) write: bool,
    pub(super) admin: bool,
    pub(super) apikey: bool,
    pub(super) username: Option<String>,
    pub(super) previous_userid: Option<Id>,
    pub(super) previous_username: Option<String>,
    pub(super) previous_admin: Option<bool>,
    pub(super) previous_read: Option<bool>,
    pub(super) previous_write: Option<bool>,
    /// Whom `setuser` made this session (log-back is only for that user's session).
    pub(super) previous_target: Option<Id>,
    /// When (`now` of that setuser).
    pub(super) previous_since: Option<i64>,
}

/// `session` as the wire has it: every field optional, null as absent.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "an object")]
struct SessionWire {
    userid: Option<SessionUser>,
    read: Option<Flag>,
    write: Option<Flag>,
    admin: Option<Flag>,
    apikey: Option<Flag>,
    username: Option<Text>,
    previous_userid: Option<SessionUser>,
    previous_username: Option<Text>,
    previous_admin: Option<Flag>,
    previous_read: Option<Flag>,
    previous_write: Option<Flag>,
    previous_target: Option<SessionUser>,
    previous_since: Option<LenientInt>,
}

impl From<SessionWire> for Session {
    fn from(w: SessionWire) -> Session {
        let flag = |f: Option<Flag>| f.is_some_and(|f| f.0);
        let user = |u: Option<SessionUser>| u.and_then(|u| u.0);
        Session {
            userid: user(w.userid).unwrap_or(0),
            read: flag(w.read),
            write: flag(w.write),
            admin: flag(w.admin),
            apikey: flag(w.apikey),
            username: w.username.map(|t| t.0),
            previous_userid: user(w.previous_userid),
            previous_username: w.previous_username.map(|t| t.0),
            previous_admin: w.previous_admin.map(|f| f.0),
            previous_read: w.previous_read.map(|f| f.0),
            previous_write: w.previous_write.map(|f| f.0),
            previous_target: user(w.previous_target),
            previous_since: w.previous_since.map(|i| i.0),
        }
    }
}

/// A session user id: 0, "0" or "" is nobody.
struct SessionUser(Option<Id>);

impl<'de> Deserialize<'de> for SessionUser {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<SessionUser, D::Error> {
        let v = Value::deserialize(d)?;
        let user = match &v {
            Value::Number(n) if n.as_u64() == Some(0) => Ok(None),
            Value::String(s) if s.is_empty() || s == "0" => Ok(None),
            _ => read::id_of(&v).map(Some),
        };
        user.map(SessionUser).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Default)]
pub(super) struct Context {
    pub(super) appname: String,
    pub(super) path: String,
}

/// `context` as the wire has it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "an object")]
pub(super) struct ContextWire {
    appname: Option<Text>,
    path: Option<Text>,
}

/// The fields of the `route` op.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteWire {
    route: Text,
    session: Option<SessionWire>,
    context: Option<ContextWire>,
    params: Option<Object>,
    host: Option<Object>,
    now: Option<Integer>,
}

pub(super) struct RouteRequest {
    pub(super) route: String,
    pub(super) session: Session,
    pub(super) params: Map<String, Value>,
    pub(super) host: Map<String, Value>,
    pub(super) now: Option<i64>,
    pub(super) context: Context,
}

impl RouteRequest {
    pub(super) fn read(fields: Fields) -> Result<RouteRequest, WireError> {
        let w: RouteWire = crate::de::read("op `route`", ErrorCode::BadRequest, Value::Object(fields))?;
        Ok(RouteRequest {
            route: w.route.0,
            session: w.session.map(Session::from).unwrap_or_default(),
            params: w.params.map(|o| o.0).unwrap_or_default(),
            host: w.host.map(|o| o.0).unwrap_or_default(),
            now: w.now.map(|i| i.0),
            context: w.context.map_or_else(Context::default, |c| Context {
                appname: c.appname.map(|t| t.0).unwrap_or_default(),
                path: c.path.map(|t| t.0).unwrap_or_default(),
            }),
        })
    }
}
