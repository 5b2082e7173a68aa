//! The `users` rows of a snapshot, kept lean: the facts of each row in a small fixed record and
//! every row's texts (username, name, e-mail, bio, location, time zone) in one arena, so that tens
//! of thousands of users cost no allocation each. [`UserRef`] reads a row back.

use super::model::{Id, UserRow};
use crate::error::WireError;
use crate::value::Value;

/// The number of text columns of a row, in the order of [`UserRef::text`].
const TEXTS: usize = 6;

/// One row's facts; its texts are `text[at[k] .. at[k + 1]]` of the store, column `k` being NULL
/// when bit `k` of `present` is clear.
#[derive(Debug, Clone)]
struct UserFacts {
    id: Id,
    admin: bool,
    access: Option<u8>,
    present: u8,
    at: [u32; TEXTS + 1],
    tags: Option<Box<Value>>,
    inputs: Option<Box<Value>>,
}

/// The rows, by dense index.
#[derive(Debug, Clone, Default)]
pub(crate) struct Users {
    rows: Vec<UserFacts>,
    text: String,
}

impl Users {
    /// The store of `rows`, in their order. Texts beyond 4 GiB in all are an `invalid_state`
    /// error (offsets are 32-bit).
    pub(crate) fn from_rows(rows: Vec<UserRow>) -> Result<Users, WireError> {
        let bytes: usize = rows.iter().flat_map(|r| texts(r).into_iter().flatten()).map(str::len).sum();
        if u32::try_from(bytes).is_err() {
            return Err(WireError::invalid_state("state: the users' texts exceed 4 GiB".to_string()));
        }
        let mut store = Users { rows: Vec::with_capacity(rows.len()), text: String::with_capacity(bytes) };
        for row in rows {
            store.push(row);
        }
        Ok(store)
    }

    /// Adds `row` (the caller keeps the texts within 4 GiB in all).
    fn push(&mut self, row: UserRow) {
        let mut at = [0u32; TEXTS + 1];
        let mut present = 0u8;
        at[0] = self.text.len() as u32;
        for (k, t) in texts(&row).into_iter().enumerate() {
            if let Some(t) = t {
                self.text.push_str(t);
                present |= 1 << k;
            }
            if let Some(end) = at.get_mut(k + 1) {
                *end = self.text.len() as u32;
            }
        }
        let UserRow { id, admin, access, tags, inputs, .. } = row;
        self.rows.push(UserFacts { id, admin, access, present, at, tags, inputs });
    }

    /// Adds a row known only by its id.
    pub(crate) fn push_bare(&mut self, id: Id) {
        self.push(UserRow::bare(id));
    }

    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    /// Row `u`; one out of range reads as a bare row of id 0.
    pub(crate) fn get(&self, u: usize) -> UserRef<'_> {
        UserRef { users: self, row: self.rows.get(u) }
    }

    /// Every row, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = UserRef<'_>> {
        self.rows.iter().map(|row| UserRef { users: self, row: Some(row) })
    }
}

/// The text columns of `row`, in store order.
fn texts(row: &UserRow) -> [Option<&str>; TEXTS] {
    [
        row.username.as_deref(),
        row.name.as_deref(),
        row.email.as_deref(),
        row.bio.as_deref(),
        row.location.as_deref(),
        row.timezone.as_deref(),
    ]
}

/// A `users` row read from the store.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UserRef<'a> {
    users: &'a Users,
    row: Option<&'a UserFacts>,
}

impl<'a> UserRef<'a> {
    pub(crate) fn id(self) -> Id {
        self.row.map_or(0, |r| r.id)
    }
    /// Site administrator (`users.admin`).
    pub(crate) fn admin(self) -> bool {
        self.row.is_some_and(|r| r.admin)
    }
    pub(crate) fn access(self) -> Option<u8> {
        self.row.and_then(|r| r.access)
    }
    /// Text column `k` (0 username, 1 name, 2 email, 3 bio, 4 location, 5 timezone).
    fn text(self, k: usize) -> Option<&'a str> {
        let r = self.row?;
        if r.present & (1 << k) == 0 {
            return None;
        }
        let (from, to) = (*r.at.get(k)?, *r.at.get(k + 1)?);
        self.users.text.get(from as usize..to as usize)
    }
    pub(crate) fn username(self) -> Option<&'a str> {
        self.text(0)
    }
    pub(crate) fn name(self) -> Option<&'a str> {
        self.text(1)
    }
    pub(crate) fn email(self) -> Option<&'a str> {
        self.text(2)
    }
    pub(crate) fn bio(self) -> Option<&'a str> {
        self.text(3)
    }
    pub(crate) fn location(self) -> Option<&'a str> {
        self.text(4)
    }
    pub(crate) fn timezone(self) -> Option<&'a str> {
        self.text(5)
    }
    pub(crate) fn inputs(self) -> Option<&'a Value> {
        self.row.and_then(|r| r.inputs.as_deref())
    }
    /// `tags` as userlist answers it ([`UserRow::tags_value`]).
    pub(crate) fn tags_value(self) -> Value {
        super::model::tags_value(self.row.and_then(|r| r.tags.as_deref()))
    }

    /// The row back.
    pub(crate) fn to_row(self) -> UserRow {
        let text = |k| self.text(k).map(str::to_string);
        UserRow {
            id: self.id(),
            username: text(0),
            admin: self.admin(),
            access: self.access(),
            name: text(1),
            email: text(2),
            bio: text(3),
            location: text(4),
            timezone: text(5),
            tags: self.row.and_then(|r| r.tags.clone()),
            inputs: self.row.and_then(|r| r.inputs.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::json;

    #[test]
    fn rows_read_back_as_they_were_given() {
        let mut full = UserRow::bare(7);
        (full.username, full.name, full.email) =
            (Some("ann".into()), Some(String::new()), Some("a@b".into()));
        (full.bio, full.location, full.timezone) =
            (None, Some("Åre".into()), Some("Europe/Stockholm".into()));
        (full.admin, full.access) = (true, Some(1));
        full.tags = Some(Box::new(json!({"a": 1})));
        let rows = vec![UserRow::bare(3), full.clone(), UserRow::bare(9)];
        let users = Users::from_rows(rows.clone()).unwrap_or_default();
        let back: Vec<UserRow> = users.iter().map(UserRef::to_row).collect();
        assert_eq!(back, rows);
        let ann = users.get(1);
        assert_eq!((ann.name(), ann.bio(), ann.location()), (Some(""), None, Some("Åre")));
        assert_eq!(ann.tags_value(), json!({"a": 1}));
        assert_eq!(users.get(3).to_row(), UserRow::bare(0));
    }
}
