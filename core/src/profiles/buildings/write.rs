//! Create (POST), update (PUT) and partial update (PATCH) of a user group, with the seed's
//! constraints.

use crate::policy::{Denial, Grant, Objects};
use crate::util::truncate;
use crate::value::{Map, ToJson, Value};

use super::answer::{Answer, FieldErrors};
use super::change::{Change, GroupChange};
use super::engine::{BuildingsEngine, Ctx, group_scope};
use super::policy::{CUSTOMER, MAX_NAME, MAX_TAG, PARTNER};
use super::state::{GroupRow, Kind, PermissionSets, repeats};
use super::text::quoted;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Create,
    Replace,
    Patch,
}

const FIELDS: [&str; 10] = [
    "name",
    "description",
    "type",
    "users",
    "customer",
    "partner",
    "permission_sets",
    "customer_scopes",
    "partner_scopes",
    "tags",
];
const READ_ONLY: [&str; 3] = ["id", "created", "modified"];

/// `list` without repeats, each id at its first place.
fn dedup(list: Vec<String>) -> Vec<String> {
    let repeated = repeats(list.iter().map(String::as_str));
    let mut out = Vec::with_capacity(list.len());
    for (x, again) in list.into_iter().zip(repeated) {
        if !again {
            out.push(x);
        }
    }
    out
}

impl BuildingsEngine {
    /// Reads a body field by field (types, required, lengths, choices, known codes, existing and
    /// visible references) into `row`, each valid field present replacing the row's. `required`
    /// fields must be present (create and PUT). On an error the row is half written: callers drop it.
    fn read_input(
        &self,
        ctx: &Ctx<'_>,
        body: Option<&Value>,
        required: bool,
        row: &mut GroupRow,
    ) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::default();
        let empty = Map::new();
        let body = match body {
            None | Some(Value::Null) => &empty,
            Some(Value::Object(m)) => m,
            Some(_) => {
                e.add("non_field_errors", "invalid", "expected an object".into());
                return Err(e);
            }
        };
        for k in body.keys() {
            if !FIELDS.contains(&k.as_str()) && !READ_ONLY.contains(&k.as_str()) {
                e.add(k, "unknown_field", "unknown field".into());
            }
        }
        // name
        match e.text(body, "name", required) {
            Some(s) if s.trim().is_empty() => e.add("name", "blank", "this field may not be blank".into()),
            Some(s) if s.chars().count() > MAX_NAME => e.add(
                "name",
                "max_length",
                format!("ensure this field has no more than {MAX_NAME} characters").into(),
            ),
            Some(s) => row.name = s.clone(),
            None => {}
        }
        // description
        if let Some(s) = e.text(body, "description", false) {
            row.description = s.clone();
        }
        // type
        if let Some(s) = e.text(body, "type", required) {
            match Kind::parse(s) {
                Some(k) => row.kind = k,
                None => e.add(
                    "type",
                    "invalid_choice",
                    quoted("", s, " is not a valid choice; expected `gooee`, `partner` or `customer`").into(),
                ),
            }
        }
        // users
        if let Some(list) = e.list(body, "users", "expected a list of user ids") {
            let list = dedup(list);
            for u in &list {
                if self.user(u).is_none() {
                    e.add("users", "does_not_exist", quoted("user ", u, " does not exist").into());
                }
            }
            row.users = list;
        }
        // customer, partner
        for (field, t, pre) in [("customer", CUSTOMER, "customer "), ("partner", PARTNER, "partner ")] {
            let value = match body.get(field) {
                None => continue,
                Some(Value::Null) => None,
                Some(Value::String(s)) => {
                    if !(self.objects.is(s, t) && self.can_view_object(ctx.actor, ctx.holding, s)) {
                        e.add(field, "does_not_exist", quoted(pre, s, " does not exist").into());
                    }
                    Some(s.clone())
                }
                Some(_) => {
                    e.add(field, "invalid", "expected an id or null".into());
                    continue;
                }
            };
            *if t == CUSTOMER { &mut row.customer } else { &mut row.partner } = value;
        }
        // permission_sets
        if let Some(v) = e.present(body, "permission_sets", required) {
            match PermissionSets::of_body(v) {
                None => e.add(
                    "permission_sets",
                    "invalid",
                    "expected an object mapping permission set codes to lists of ids".into(),
                ),
                Some(sets) => {
                    for (code, _) in &sets.0 {
                        if self.policy.catalog.id(code).is_none() {
                            e.add(
                                "permission_sets",
                                "unknown_permission_set",
                                quoted("", code, " is not a permission set").into(),
                            );
                        }
                    }
                    row.permission_sets = sets;
                }
            }
        }
        // scopes
        for (field, t, pre) in
            [("customer_scopes", CUSTOMER, "customer "), ("partner_scopes", PARTNER, "partner ")]
        {
            let Some(list) = e.list(body, field, "expected a list of ids") else { continue };
            let list = dedup(list);
            for id in &list {
                if !(self.objects.is(id, t) && self.can_view_object(ctx.actor, ctx.holding, id)) {
                    e.add(field, "does_not_exist", quoted(pre, id, " does not exist").into());
                }
            }
            *if t == CUSTOMER { &mut row.customer_scopes } else { &mut row.partner_scopes } = list;
        }
        // tags
        if let Some(list) = e.list(body, "tags", "expected a list of strings") {
            for t in &list {
                if t.chars().count() > MAX_TAG {
                    e.add(
                        "tags",
                        "max_length",
                        format!("tag `{}` has more than {MAX_TAG} characters", truncate(t, 64)).into(),
                    );
                }
            }
            row.tags = list;
        }
        if e.is_empty() { Ok(()) } else { Err(e) }
    }

    /// Create (POST), replace (PUT: required fields present, others kept when absent) or patch
    /// (PATCH: every field optional) a user group.
    pub(super) fn write(
        &self,
        ctx: &Ctx<'_>,
        existing: Option<usize>,
        body: Option<&Value>,
        mode: Mode,
        id: &str,
        now: &str,
    ) -> Answer {
        let old = existing.and_then(|i| self.state.user_groups.get(i));
        // Changing a group needs the right to manage it as it is now.
        if let Some(g) = old
            && let Err(reason) = self.may_manage_group(ctx.actor, ctx.holding, g)
        {
            return Answer::forbidden(reason);
        }
        // The candidate row: the input over the stored row (or the defaults of a new one).
        let mut row = old.cloned().unwrap_or_else(|| GroupRow::empty(id.to_string(), now.to_string()));
        row.modified = now.to_string();
        if let Err(e) = self.read_input(ctx, body, mode != Mode::Patch, &mut row) {
            return e.answer();
        }
        // The company the type asks for.
        let mut e = FieldErrors::default();
        let (needed, other) = match row.kind {
            Kind::Customer => (("customer", &row.customer), ("partner", &row.partner)),
            Kind::Partner | Kind::Gooee => (("partner", &row.partner), ("customer", &row.customer)),
        };
        if needed.1.is_none() {
            e.add(
                needed.0,
                "required",
                format!("this field is required for type `{}`", row.kind.as_str()).into(),
            );
        }
        if other.1.is_some() {
            e.add(
                other.0,
                "not_allowed_for_type",
                format!("must be null for type `{}`", row.kind.as_str()).into(),
            );
        }
        if !e.is_empty() {
            return e.answer();
        }
        let company = row.company().unwrap_or_default().to_string();
        // Creating, or moving a group, needs the right to manage groups where it lands.
        let moved = old.is_none_or(|g| g.kind != row.kind || g.company() != Some(company.as_str()));
        if moved && let Err(reason) = self.may_manage(ctx.actor, ctx.holding, row.kind, &company) {
            return Answer::forbidden(reason);
        }
        match self.constraints(ctx, old, existing, &mut row) {
            Ok(()) => {}
            Err(e) => return e.answer(),
        }
        let body = row.to_json();
        let (status, change) = match old {
            Some(_) => (200, Change::Update(GroupChange { user_group: row })),
            None => (201, Change::Insert(GroupChange { user_group: row })),
        };
        Answer { status, body, reason: None, changes: vec![ToJson::to_json(&change)] }
    }

    /// The seed's complex constraints on a candidate row; on success the row's permission sets
    /// are replaced by their expansion.
    fn constraints(
        &self,
        ctx: &Ctx<'_>,
        old: Option<&GroupRow>,
        old_index: Option<usize>,
        row: &mut GroupRow,
    ) -> Result<(), FieldErrors> {
        let p = &self.policy;
        let mut e = FieldErrors::default();
        let company = row.company().unwrap_or_default().to_string();
        // Type frozen once users are attached.
        if let Some(g) = old
            && g.kind != row.kind
            && !g.users.is_empty()
        {
            e.add("type", "type_frozen", "the type cannot change while the user group has users".into());
        }
        // Users: same type as the group, and of its company.
        for u in &row.users {
            let Some(user) = self.user(u) else { continue };
            if user.kind != row.kind {
                e.add(
                    "users",
                    "user_type_mismatch",
                    format!(
                        "user `{}` is of type `{}`, the user group of type `{}`",
                        truncate(u, 64),
                        user.kind.as_str(),
                        row.kind.as_str()
                    )
                    .into(),
                );
            } else if user.company() != Some(company.as_str()) {
                e.add(
                    "users",
                    "user_company_mismatch",
                    quoted("user ", u, " belongs to another company than the user group").into(),
                );
            }
        }
        // Scopes inside the group's own.
        let base = group_scope(p, &self.objects, row.kind, Some(&company), &[], &[]);
        for (field, list) in
            [("partner_scopes", &row.partner_scopes), ("customer_scopes", &row.customer_scopes)]
        {
            for id in list {
                if !p.model.reach_contains(&self.objects, &base, id) {
                    e.add(
                        field,
                        "out_of_scope",
                        quoted("", id, " is outside the scope of the user group").into(),
                    );
                }
            }
        }
        let scope = group_scope(
            p,
            &self.objects,
            row.kind,
            Some(&company),
            &row.partner_scopes,
            &row.customer_scopes,
        );
        // Permission sets: objects the actor can see, of fitting types, in scope; then the tier;
        // then delegation.
        let mut grant = Grant::new();
        for (code, list) in &row.permission_sets.0 {
            let Some(id) = p.catalog.id(code) else { continue };
            for obj in list {
                if !self.can_view_object(ctx.actor, ctx.holding, obj) {
                    e.add(
                        "permission_sets",
                        "unknown_object",
                        format!("object `{}` of `{code}` does not exist", truncate(obj, 64)).into(),
                    );
                }
            }
            grant.add(id, Objects::from_list(list));
        }
        if !e.is_empty() {
            return Err(e);
        }
        for d in p.model.validate(&p.catalog, &self.objects, &grant, &scope) {
            e.add("permission_sets", d.code(), denial_message(&d).into());
        }
        if !e.is_empty() {
            return Err(e);
        }
        let expanded = match p.model.expand(&p.catalog, &self.objects, &grant) {
            Ok(g) => g,
            Err(d) => {
                e.add("permission_sets", d.code(), denial_message(&d).into());
                return Err(e);
            }
        };
        if let Err(d) = p.tiers.check(&p.catalog, expanded.permissions(), row.kind.tier()) {
            let code = d.permission().unwrap_or_default();
            e.add(
                "permission_sets",
                d.code(),
                format!(
                    "permission set `{code}` is not available to user groups of type `{}`",
                    row.kind.as_str()
                )
                .into(),
            );
            return Err(e);
        }
        // Delegation: a new group, or one gaining users, is delegated whole; an edit only for
        // what it widens.
        let granted = p.model.holding(&self.objects, &expanded, &scope);
        let gains_users = old.is_none_or(|g| row.users.iter().any(|u| !g.users.contains(u)));
        let to_delegate = match (old_index.and_then(|i| self.groups.get(i)), gains_users) {
            (Some(info), false) => p.model.widened(&self.objects, &info.holding, &granted),
            _ => granted,
        };
        if let Err(d) = p.model.check_delegation(&p.catalog, &self.objects, ctx.holding, &to_delegate) {
            e.add("permission_sets", d.code(), denial_message(&d).into());
            return Err(e);
        }
        row.permission_sets = PermissionSets(expanded.to_lists(&p.catalog));
        Ok(())
    }
}

fn denial_message(d: &Denial) -> String {
    match d {
        Denial::DelegationExceedsGranter { permission, object: None } => {
            format!(
                "you cannot grant `{permission}` on these objects: your own permission sets do not hold it"
            )
        }
        Denial::DelegationExceedsGranter { permission, object: Some(o) } => {
            format!(
                "you cannot grant `{permission}` on `{}`: your own permission sets do not hold it",
                truncate(o, 64)
            )
        }
        Denial::OutOfScope { permission, object } => {
            format!(
                "object `{}` of `{permission}` is outside the scope of the user group",
                truncate(object, 64)
            )
        }
        Denial::UnknownObject { object } => quoted("object ", object, " does not exist"),
        Denial::ObjectTypeMismatch { permission, object } => {
            format!("object `{}` is not of a type `{permission}` can name", truncate(object, 64))
        }
        Denial::ObjectsNotSupported { permission } => {
            format!("`{permission}` takes no object ids; its list must be empty")
        }
        other => other.to_string(),
    }
}
