//! Members: adding (addmemberauth, adduserauth, createuseraddtogroup), removing, their
//! account details (setuserinfo) and login details by e-mail (sendlogindetails).

use super::*;

impl<'a> Req<'a> {
    pub(super) fn add_member(&self, kind: AddKind) -> Step<Outcome> {
        self.gate(Gate::Write)?;
        let gid = self.id_param("groupid", false)?;
        if self.group_dense(gid).is_none() {
            return Ok(Outcome::fail("Group does not exist"));
        }
        if !self.group_decision(Action::MembersAdd, gid).allowed {
            return Ok(Outcome::fail(if kind == AddKind::V1 {
                "User is not a member or does not have access to group"
            } else {
                "You haven't got enough permissions to add a member to this group"
            }));
        }
        let (role, rights) = if kind == AddKind::V1 {
            let role = match self.given("access").as_deref() {
                None | Some("0") => Role::Passive,
                Some("1") => Role::Administrator,
                Some(_) => return Ok(Outcome::fail("Invalid access")),
            };
            (role, "full")
        } else {
            (self.role_param()?.unwrap_or(Role::Passive), self.rights_param()?.unwrap_or("full"))
        };
        let username = self.param("username").unwrap_or_default();
        let password = self.param("password").unwrap_or_default();
        let need = if kind == AddKind::Register { "register_user" } else { "verify_login" };
        let Some(answer) = self.host(need) else {
            return Ok(if need == "verify_login" {
                Outcome::need(need, json!({"username": username, "password": password}))
            } else {
                Outcome::need(
                    need,
                    json!({"username": username, "password": password,
                           "email": self.param("email").unwrap_or_default(), "timezone": "UTC"}),
                )
            });
        };
        if answer.get("success") != Some(&Value::Bool(true)) {
            return Ok(Outcome::json(answer.clone()));
        }
        let uid = self.host_userid(need, answer)?;
        let already = self
            .group_dense(gid)
            .zip(self.snap.user_dense(uid))
            .is_some_and(|(g, u)| self.snap.membership(g, u).is_some());
        if already {
            return Ok(Outcome::fail("Error adding user to group"));
        }
        let role_code = role.code().unwrap_or(0);
        let insert = Change::InsertMembership {
            groupid: gid,
            userid: uid,
            role: role_code,
            admin_rights: rights.into(),
        };
        let message = format!("User {uid}:{username} added");
        Ok(match kind {
            AddKind::Register => {
                let mut changes = Vec::new();
                if let Some(name) = self.param("name") {
                    changes.push(Change::UpdateUserProfile {
                        userid: uid,
                        name: Some(name),
                        location: None,
                        bio: None,
                        timezone: None,
                        tags: None,
                    });
                }
                changes.push(insert);
                Outcome::changes(json!({"success": true, "message": message, "userid": uid}), changes)
            }
            _ => Outcome::done(&message, vec![insert]),
        })
    }

    pub(super) fn removeuser(&self) -> Step<Outcome> {
        self.gate(Gate::Write)?;
        let gid = self.id_param("groupid", false)?;
        let uid = self.id_param("userid", false)?;
        if uid == self.actor() {
            return Ok(Outcome::fail("Cannot remove yourself from group"));
        }
        let d = self.member_decision(Action::MembersRemove, gid, uid);
        if !d.allowed {
            return Ok(Outcome::fail(match d.reason {
                Reason::TargetNotMember => "The user to remove doesn't belong to the group",
                Reason::LastAdministrator => "A group must keep at least one administrator",
                _ => "User is not a member or does not have access to group",
            }));
        }
        Ok(Outcome::done(
            "User removed from group",
            vec![Change::DeleteMembership { groupid: gid, userid: uid }],
        ))
    }

    pub(super) fn fullremoveuser(&self) -> Step<Outcome> {
        self.gate(Gate::Write)?;
        self.no_apikey(false)?;
        let gid = self.id_param("groupid", false)?;
        let uid = self.id_param("userid", false)?;
        if uid == self.actor() {
            return Ok(Outcome::fail("Cannot delete yourself"));
        }
        let d = self.member_decision(Action::MemberDeleteAccount, gid, uid);
        if !d.allowed {
            return Ok(Outcome::fail(match d.reason {
                Reason::TargetNotMember => "The user to remove doesn't belong to the group",
                Reason::ReadOnlyRights => "Administrator has not got right over users",
                Reason::TargetIsAdministrator => "Cannot delete the account of a group administrator",
                Reason::TargetIsSiteAdmin => "Cannot delete the account of a site administrator",
                Reason::TargetInOtherGroups => {
                    "Cannot delete the account of a user who belongs to other groups"
                }
                _ => "User is not a member or does not have access to group",
            }));
        }
        match self.host("delete_user") {
            None => Ok(Outcome::need("delete_user", json!({"userid": uid}))),
            Some(Value::String(report)) => Ok(Outcome::done(report, Vec::new())),
            Some(other) => Err(WireError::bad_request(format!(
                "`host.delete_user` must be the report text, found {}",
                kind_of(other)
            ))
            .into()),
        }
    }

    pub(super) fn setuserinfo(&self) -> Step<Outcome> {
        self.gate(Gate::Write)?;
        self.no_apikey(false)?;
        let gid = self.id_param("groupid", false)?;
        let uid = self.id_param("userid", false)?;
        let d = self.member_decision(Action::MemberEditAccount, gid, uid);
        if !d.allowed {
            return Ok(Outcome::fail(match d.reason {
                Reason::TargetNotMember => "The user to edit doesn't belong to the group",
                Reason::ReadOnlyRights => "Administrator has not got right over user",
                Reason::TargetIsAdministrator => "Cannot edit the account of a group administrator",
                Reason::TargetIsSiteAdmin => "Cannot edit the account of a site administrator",
                _ => "User is not a member or does not have access to group",
            }));
        }
        let (Some(g), Some(u)) = (self.group_dense(gid), self.snap.user_dense(uid)) else {
            return Ok(Outcome::fail("The user to edit doesn't belong to the group"));
        };
        let Some(current) = self.snap.membership(g, u) else {
            return Ok(Outcome::fail("The user to edit doesn't belong to the group"));
        };
        let user = self.snap.user(u);
        // One's own password and e-mail are emoncms's to change, on the account page, which asks
        // for the current password (and limits the tries): here a stolen session would make
        // itself a permanent account.
        if uid == self.actor() {
            let new_email = self.given("email").is_some_and(|e| user.email() != Some(e.as_str()));
            if self.given("password").is_some() || new_email {
                return Ok(Outcome::fail(
                    "Change your own password and email on your account page: it asks for your current password",
                ));
            }
        }

        // Validation: each field only when given non-empty.
        let username = self.given("username");
        if let Some(name) = &username {
            if !name.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Ok(Outcome::fail("Username must only contain a-z and 0-9 characters"));
            }
            if !(3..=30).contains(&name.len()) {
                return Ok(Outcome::fail("Username length error"));
            }
        }
        let email = self.given("email");
        if let Some(e) = &email
            && !valid_email(e)
        {
            return Ok(Outcome::fail("Email address format error"));
        }
        let password = self.given("password");
        if let Some(p) = &password
            && !(4..=250).contains(&p.chars().count())
        {
            return Ok(Outcome::fail("Password length error"));
        }
        let tags = match self.given("tags") {
            None => None,
            Some(text) => match serde_json::from_str::<Value>(&text) {
                Ok(v @ Value::Object(_)) => Some(v),
                _ => return Ok(Outcome::fail("Invalid tags")),
            },
        };
        let role = self.role_param()?;
        let rights = self.rights_param()?;
        if rights == Some("full") && !current.full {
            return Ok(Outcome::fail(
                "Full rights need the member's consent: add them again with addmemberauth",
            ));
        }
        let new_role = role.unwrap_or(current.role);
        if current.role == Role::Administrator
            && new_role != Role::Administrator
            && decide::administrators(self.snap, g) <= 1
        {
            return Ok(Outcome::fail("A group must keep at least one administrator"));
        }

        let mut changes = vec![Change::UpdateUserProfile {
            userid: uid,
            name: self.param("name"),
            location: self.param("location"),
            bio: self.param("bio"),
            timezone: self.param("timezone"),
            tags,
        }];
        if let Some(name) = username
            && user.username() != Some(name.as_str())
        {
            changes.push(Change::SetUsername { userid: uid, username: name });
        }
        if let Some(e) = email
            && user.email() != Some(e.as_str())
        {
            changes.push(Change::SetEmail { userid: uid, email: e });
        }
        if let Some(p) = password {
            changes.push(Change::SetPassword { userid: uid, password: p });
        }
        let new_full = rights.map_or(current.full, |r| r == "full");
        if new_role != current.role || new_full != current.full {
            let stored_rights = self.stored_rights(g, u);
            changes.push(Change::UpdateMembership {
                groupid: gid,
                userid: uid,
                role: new_role.code().unwrap_or(0),
                admin_rights: match rights {
                    Some(r) => Some(r.to_string()),
                    None => stored_rights,
                },
            });
        }
        Ok(Outcome::done("User info updated", changes))
    }

    /// The stored `admin_rights` text of the kept row of (g, u).
    fn stored_rights(&self, g: Dense, u: Dense) -> Option<String> {
        let members = self.snap.members(g);
        let i = members.binary_search_by_key(&u, |m| m.user).ok()?;
        self.snap.rights_text(members.get(i)?).map(str::to_string)
    }

    /// The stored role integer of the kept row of (g, u).
    pub(super) fn stored_role(&self, g: Dense, u: Dense) -> Option<i64> {
        let members = self.snap.members(g);
        let i = members.binary_search_by_key(&u, |m| m.user).ok()?;
        members.get(i).map(|m| i64::from(m.raw))
    }

    pub(super) fn sendlogindetails(&self) -> Step<Outcome> {
        self.gate(Gate::Write)?;
        self.no_apikey(false)?;
        let gid = self.id_param("groupid", false)?;
        let uid = self.id_param("userid", false)?;
        if self.group_dense(gid).is_none() {
            return Ok(Outcome::fail("Group does not exist"));
        }
        let d = self.member_decision(Action::MemberSendLogin, gid, uid);
        if !d.allowed {
            return Ok(Outcome::fail(match d.reason {
                Reason::TargetNotMember => "Error, user doesn't belong to group",
                Reason::ReadOnlyRights => "Administrator has not got right over user",
                Reason::TargetIsAdministrator => "Cannot send login details of a group administrator",
                Reason::TargetIsSiteAdmin => "Cannot send login details of a site administrator",
                _ => "You haven't got enough permissions over this group",
            }));
        }
        let (Some(g), Some(u)) = (self.group_dense(gid), self.snap.user_dense(uid)) else {
            return Ok(Outcome::fail("Error, user doesn't belong to group"));
        };
        let user = self.snap.user(u);
        let role = self.snap.membership(g, u).map_or(Role::Invalid, |m| m.role);
        let password = self.param("password").unwrap_or_default();
        let values = [
            ("{{name}}", user.name().unwrap_or("")),
            ("{{username}}", user.username().unwrap_or("")),
            ("{{password}}", &password),
            ("{{role}}", role.label()),
            ("{{appname}}", &self.context.appname),
            ("{{path}}", &self.context.path),
        ];
        let Some(answer) = self.host("send_email") else {
            let bcc = if self.param("sendcopy").as_deref() == Some("true") {
                json!(self.actor())
            } else {
                Value::Null
            };
            return Ok(Outcome::need(
                "send_email",
                json!({
                    "userid": uid,
                    "to": user.email().unwrap_or_default(),
                    "subject": fill(self.param("emailsubject").unwrap_or_default(), &values, false),
                    "body": fill(self.param("template").unwrap_or_default(), &values, true),
                    "bcc": bcc,
                }),
            ));
        };
        if answer.get("success") == Some(&Value::Bool(true)) {
            return Ok(Outcome::json(json!({"success": true})));
        }
        let message = match answer.get("message") {
            Some(Value::String(m)) => m.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        Ok(Outcome::fail(&format!("Email could not be sent to user. Error: {message}")))
    }
}
