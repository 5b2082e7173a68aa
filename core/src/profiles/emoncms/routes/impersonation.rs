//! Logging in as a member (setuser) and back (logasprevioususer).

use super::*;

impl<'a> Req<'a> {
    pub(super) fn setuser(&self) -> Step<Outcome> {
        self.gate(Gate::WriteText)?;
        self.no_apikey(true)?;
        let gid = self.id_param("groupid", true)?;
        let uid = self.id_param("userid", true)?;
        let d = self.member_decision(Action::MemberImpersonate, gid, uid);
        if !d.allowed {
            return Ok(Outcome::text(match d.reason {
                Reason::TargetNotMember => "User is not a member of group",
                Reason::ReadOnlyRights => "You haven't got rights to access this user",
                Reason::TargetIsAdministrator | Reason::TargetIsSelf => {
                    "Can't impersonate a group administrator"
                }
                Reason::TargetIsSiteAdmin => "Can't impersonate an admin user as a non-admin user",
                Reason::TargetLoginDisabled => "User login is disabled",
                _ => "You are not an administrator of this group",
            }));
        }
        let Some(u) = self.snap.user_dense(uid) else {
            return Ok(Outcome::text("User is not a member of group"));
        };
        let target = self.snap.user(u);
        let s = &self.session;
        let mut session = login_session(
            [
                uid.into(),
                target.username().to_json(),
                u8::from(target.admin()).into(),
                true.into(),
                (target.access() != Some(1)).into(),
            ],
            s.previous_userid.is_none().then(|| {
                [
                    s.userid.into(),
                    s.username.to_json(),
                    u8::from(s.admin).into(),
                    s.read.into(),
                    s.write.into(),
                ]
            }),
        );
        // The way back belongs to this session while it is the member's: bound to the member's id
        // and the moment (a session whose user changed another way has no way back).
        session.put("previous_target", uid.into());
        session.put("previous_since", self.now.map_or(Value::Null, Value::from));
        let to = if self.param("view").as_deref() == Some("tasks") {
            format!("../task/list#{}", filter_name(&self.param("tag").unwrap_or_default()))
        } else {
            "../user/view".to_string()
        };
        Ok(Outcome::redirect(&to, Some(session)))
    }

    pub(super) fn logasprevioususer(&self) -> Outcome {
        let s = &self.session;
        let Some(prev) = s.previous_userid else {
            return Outcome::redirect("../group", None);
        };
        let since_ok = match (s.previous_since, self.now) {
            (Some(since), Some(now)) => since <= now,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if s.previous_target != Some(s.userid) || s.userid == 0 || !since_ok {
            // Not the session setuser made (its user changed since, or it predates the binding):
            // no way back, and the keys that offered one go.
            let mut cleared = Map::new();
            for key in SESSION_KEYS[1].iter().chain(&["previous_target", "previous_since"]) {
                cleared.put(key, Value::Null);
            }
            return Outcome::redirect("../group", Some(cleared));
        }
        let mut session = login_session(
            [
                prev.into(),
                s.previous_username.to_json(),
                u8::from(s.previous_admin.unwrap_or(false)).into(),
                s.previous_read.unwrap_or(true).into(),
                s.previous_write.unwrap_or(true).into(),
            ],
            Some(Default::default()),
        );
        session.put("previous_target", Value::Null);
        session.put("previous_since", Value::Null);
        Outcome::redirect("../group", Some(session))
    }
}

/// The session keys a login sets, then those that remember the login before it.
const SESSION_KEYS: [[&str; 5]; 2] = [
    ["userid", "username", "admin", "read", "write"],
    ["previous_userid", "previous_username", "previous_admin", "previous_read", "previous_write"],
];

/// The session of a login (`user`: [`SESSION_KEYS`]`[0]`), then the `previous` one's when given.
fn login_session(user: [Value; 5], previous: Option<[Value; 5]>) -> Map<String, Value> {
    let mut session = Map::new();
    for (keys, values) in SESSION_KEYS.iter().zip([Some(user), previous]) {
        for (key, value) in keys.iter().zip(values.into_iter().flatten()) {
            session.put(key, value);
        }
    }
    session
}
