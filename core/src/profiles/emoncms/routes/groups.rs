//! Group management: create, editgroup, delete, deleteallgroupsfromuser.

use super::*;

impl<'a> Req<'a> {
    /// The text fields of create and editgroup ([`GROUP_TEXTS`]), filtered and length-checked in
    /// order; the name must not be empty. A missing parameter keeps `old`'s value, NULL included
    /// (B-15), or is empty when there is no `old` (create).
    fn group_texts(&self, old: Option<&GroupRow>) -> Step<[Option<String>; 4]> {
        let mut out: [Option<String>; 4] = Default::default();
        let kept = old.map(|old| [&old.name, &old.description, &old.organization, &old.area]);
        for (i, (slot, &(key, label, max))) in out.iter_mut().zip(GROUP_TEXTS.iter()).enumerate() {
            *slot = match (self.param(key), kept) {
                (Some(raw), _) => Some(Self::group_field(&raw, label, max)?),
                (None, Some(kept)) => kept.get(i).and_then(|t| (*t).clone()),
                (None, None) => Some(String::new()),
            };
            if i == 0 && slot.as_deref().unwrap_or("").is_empty() {
                return Err(Outcome::fail("Group name cannot be empty").into());
            }
        }
        Ok(out)
    }

    /// `yes` when parameter `key` is `yes`, `no` when it is anything else; when it is missing, the
    /// `stored` value, else `no`.
    fn choice(&self, key: &str, yes: &str, no: &str, stored: Option<&Option<String>>) -> String {
        match self.param(key) {
            Some(v) => if v == yes { yes } else { no }.to_string(),
            None => stored.cloned().flatten().unwrap_or_else(|| no.to_string()),
        }
    }

    /// Filters and length-checks one group text field.
    fn group_field(raw: &str, label: &str, max: usize) -> Step<String> {
        let v = filter_name(raw);
        if v.chars().count() > max {
            return Err(Outcome::fail(&format!("{label} too long (max {max} characters)")).into());
        }
        Ok(v)
    }

    fn name_taken(&self, name: &str, except: Option<Id>) -> bool {
        let name = lower(name);
        self.snap.groups.iter().any(|g| Some(g.id) != except && lower(g.name_str()) == name)
    }

    pub(super) fn create(&self) -> Step<Outcome> {
        self.gate(Gate::Write)?;
        let mut texts = self.group_texts(None)?;
        let name = take(&mut texts[0]);
        if self.name_taken(&name, None) {
            return Ok(Outcome::fail("Cannot create group,  already exists"));
        }
        let Some(answer) = self.host("new_groupid") else {
            return Ok(Outcome::need("new_groupid", json!({})));
        };
        let id = id_of(answer).map_err(|e| WireError::bad_request(format!("`host.new_groupid`: {e}")))?;
        if self.group_dense(id).is_some() {
            return Err(WireError::bad_request(format!("`host.new_groupid` {id} is already a group")).into());
        }
        Ok(Outcome::changes(
            json!({"success": true, "groupid": id, "message": format!("Group {id} added")}),
            vec![
                Change::InsertGroup {
                    id,
                    name,
                    description: take(&mut texts[1]),
                    organization: take(&mut texts[2]),
                    area: take(&mut texts[3]),
                    visibility: self.choice("visibility", "public", "private", None),
                    access: self.choice("access", "open", "closed", None),
                },
                Change::InsertMembership {
                    groupid: id,
                    userid: self.actor(),
                    role: 1,
                    admin_rights: "full".into(),
                },
            ],
        ))
    }

    pub(super) fn editgroup(&self) -> Step<Outcome> {
        self.gate(Gate::Write)?;
        let gid = self.id_param("groupid", false)?;
        if !self.group_decision(Action::GroupEdit, gid).allowed {
            return Ok(Outcome::fail("You are not administrator of the group"));
        }
        let Some(g) = self.group_dense(gid) else {
            return Ok(Outcome::fail("You are not administrator of the group"));
        };
        let old: &GroupRow = self.snap.group(g);
        let [name, description, organization, area] = self.group_texts(Some(old))?;
        let name = name.unwrap_or_default();
        if self.name_taken(&name, Some(gid)) {
            return Ok(Outcome::fail("Group name already exists"));
        }
        let visibility = self.choice("visibility", "public", "private", Some(&old.visibility));
        let access = self.choice("access", "open", "closed", Some(&old.access));
        Ok(Outcome::done(
            "Group edited",
            vec![Change::UpdateGroup { id: gid, name, description, organization, area, visibility, access }],
        ))
    }

    pub(super) fn delete(&self) -> Step<Outcome> {
        self.gate(Gate::Write)?;
        let gid = self.id_param("groupid", false)?;
        if !self.group_decision(Action::GroupDelete, gid).allowed {
            return Ok(Outcome::fail("User is not a member or does not have access to group"));
        }
        Ok(Outcome::done("Group deleted", vec![Change::DeleteGroup { id: gid }]))
    }

    pub(super) fn delete_all(&self) -> Step<Outcome> {
        self.gate(Gate::Write)?;
        // The groups the actor has a membership row in and may delete, by id.
        let mut ids: Vec<Id> = Vec::new();
        if let Some(u) = self.snap.user_dense(self.actor()) {
            for m in self.snap.groups_of(u) {
                let gid = self.snap.group(m.group).id;
                if self.group_decision(Action::GroupDelete, gid).allowed {
                    ids.push(gid);
                }
            }
        }
        ids.sort();
        let mut changes = Vec::with_capacity(ids.len());
        for id in ids {
            changes.push(Change::DeleteGroup { id });
        }
        Ok(Outcome::done("", changes))
    }
}
