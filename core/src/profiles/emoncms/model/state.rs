//! A state (everything the host loaded for a request) read from its text: straight into rows,
//! or row by row to tell what is wrong.

use super::*;

/// Everything the host loaded for a request.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct State {
    pub groups: Vec<GroupRow>,
    pub memberships: Vec<MembershipRow>,
    pub users: Vec<UserRow>,
    pub feeds: Vec<FeedRow>,
}

impl State {
    /// Reads a state object strictly (`groups`, `memberships`, `users`, `feeds`, each optional);
    /// problems are `invalid_state` errors naming the row.
    pub fn from_json(v: Value) -> Result<State, WireError> {
        State::from_json_text(&crate::value::to_string(&v))
    }

    /// Reads a state from JSON text in one pass: feed rows are kept as the text they are (a
    /// group's snapshot has tens of thousands). A key given twice counts as its last value, and
    /// with several problems the first of this order is told: `groups`, `memberships`, `users`,
    /// `feeds` (each at its first bad row), an unknown key; text that is not JSON before all.
    pub fn from_json_text(text: &str) -> Result<State, WireError> {
        // A state the host wrote is well formed: its rows are read straight from the text. What
        // that refuses, whatever it is, is read again row by row, which finds the problem to tell.
        let mut de = serde_json::Deserializer::from_str(text);
        if let Ok(Direct(state)) = Direct::deserialize(&mut de).and_then(|d| de.end().map(|()| d)) {
            return Ok(state);
        }
        State::from_json_text_by_rows(text)
    }

    /// [`State::from_json_text`] row by row: each row read as a value, then as a row. Public for
    /// the fuzz target that holds the two readings to agreeing.
    #[doc(hidden)]
    pub fn from_json_text_by_rows(text: &str) -> Result<State, WireError> {
        let mut de = serde_json::Deserializer::from_str(text);
        let lists = Lists::deserialize(&mut de).and_then(|lists| de.end().map(|()| lists));
        match lists {
            Ok(lists) => lists.state(),
            Err(e) if crate::value::is_too_deep(&e) => Err(too_deep()),
            Err(e) => Err(WireError::new(ErrorCode::BadJson, format!("state is not valid JSON: {e}"))),
        }
    }
}

/// A state read straight from its text into rows, the fast way: any problem is an error (the
/// reading row by row, [`Lists`], says which).
pub(super) struct Direct(pub(super) State);

impl<'de> Deserialize<'de> for Direct {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Direct, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Direct;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a state")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Direct, A::Error> {
                fn list<'de, A: MapAccess<'de>, W: Deserialize<'de>, T: From<W>>(
                    map: &mut A,
                ) -> Result<Vec<T>, A::Error> {
                    let rows: Option<Vec<Row<W>>> = map.next_value()?;
                    Ok(rows.unwrap_or_default().into_iter().map(|Row(w)| T::from(w)).collect())
                }
                let mut state = State::default();
                while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                    match key.as_ref() {
                        "groups" => state.groups = list::<_, GroupWire, _>(&mut map)?,
                        "memberships" => state.memberships = list::<_, MembershipWire, _>(&mut map)?,
                        "users" => state.users = list::<_, UserWire, _>(&mut map)?,
                        "feeds" => {
                            let feeds = map.next_value::<FeedList>()?.0;
                            state.feeds = feeds.map_err(|e| serde::de::Error::custom(e.message()))?;
                        }
                        _ => return Err(serde::de::Error::custom("unknown field")),
                    }
                }
                Ok(Direct(state))
            }
        }
        d.deserialize_map(V)
    }
}

/// A row of a state's list, read as an object only (serde would take a struct from an array).
struct Row<W>(W);

impl<'de, W: Deserialize<'de>> Deserialize<'de> for Row<W> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Row<W>, D::Error> {
        struct V<W>(std::marker::PhantomData<W>);
        impl<'de, W: Deserialize<'de>> Visitor<'de> for V<W> {
            type Value = Row<W>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a row")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Row<W>, A::Error> {
                W::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Row)
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// A state's lists as read, each the last one given, with its first bad row.
#[derive(Default)]
struct Lists {
    groups: Option<Result<Vec<GroupRow>, WireError>>,
    memberships: Option<Result<Vec<MembershipRow>, WireError>>,
    users: Option<Result<Vec<UserRow>, WireError>>,
    feeds: Option<Result<Vec<FeedRow>, WireError>>,
    unknown: Option<String>,
    not_object: Option<&'static str>,
}

impl Lists {
    fn state(self) -> Result<State, WireError> {
        if let Some(kind) = self.not_object {
            return Err(WireError::invalid_state(format!("state: expected an object, found {kind}")));
        }
        let state = State {
            groups: self.groups.unwrap_or(Ok(Vec::new()))?,
            memberships: self.memberships.unwrap_or(Ok(Vec::new()))?,
            users: self.users.unwrap_or(Ok(Vec::new()))?,
            feeds: self.feeds.unwrap_or(Ok(Vec::new()))?,
        };
        match self.unknown {
            Some(key) => Err(WireError::invalid_state(format!(
                "state: unknown field `{}`",
                crate::util::truncate(&key, 64)
            ))),
            None => Ok(state),
        }
    }
}

impl<'de> Deserialize<'de> for Lists {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Lists, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Lists;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a state")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Lists, A::Error> {
                let mut lists = Lists::default();
                while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                    match key.as_ref() {
                        "groups" => lists.groups = Some(rows(map.next_value()?, "groups", GroupRow::read)),
                        "memberships" => {
                            lists.memberships =
                                Some(rows(map.next_value()?, "memberships", MembershipRow::read))
                        }
                        "users" => lists.users = Some(rows(map.next_value()?, "users", UserRow::read)),
                        "feeds" => lists.feeds = Some(map.next_value::<FeedList>()?.0),
                        other => {
                            map.next_value_seed(Skip { depth: 1 })?;
                            if lists.unknown.is_none() {
                                lists.unknown = Some(other.to_string());
                            }
                        }
                    }
                }
                Ok(lists)
            }
            crate::value::not_an_object!(not_object, 1);
        }
        d.deserialize_any(V)
    }
}

fn not_object(kind: &'static str) -> Lists {
    Lists { not_object: Some(kind), ..Lists::default() }
}

/// The rows of list `key` (null: none), each read by `row`; the first bad one is the error.
fn rows<T>(v: Value, key: &str, row: fn(usize, Value) -> Result<T, WireError>) -> Result<Vec<T>, WireError> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items.into_iter().enumerate().map(|(i, v)| row(i, v)).collect(),
        other => Err(WireError::invalid_state(format!(
            "state: field `{key}`: expected an array, found {}",
            read::kind_of(&other)
        ))),
    }
}

/// The `feeds` list, each row's text kept; read through to its end even after a bad row.
struct FeedList(Result<Vec<FeedRow>, WireError>);

impl<'de> Deserialize<'de> for FeedList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<FeedList, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FeedList;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of feed rows")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<FeedList, A::Error> {
                let mut feeds = Ok(Vec::with_capacity(seq.size_hint().unwrap_or(0)));
                let mut i = 0;
                while let Some(raw) = seq.next_element::<&'de RawValue>()? {
                    if let Ok(list) = &mut feeds {
                        match FeedRow::from_raw(i, raw) {
                            Ok(row) => list.push(row),
                            Err(e) => feeds = Err(e),
                        }
                    }
                    i += 1;
                }
                Ok(FeedList(feeds))
            }
            fn visit_unit<E>(self) -> Result<FeedList, E> {
                Ok(FeedList(Ok(Vec::new())))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FeedList, A::Error> {
                while map.next_key::<IgnoredAny>()?.is_some() {
                    map.next_value_seed(Skip { depth: 2 })?;
                }
                Ok(not_a_list("an object"))
            }
            crate::value::not_an_object!(scalars not_a_list);
        }
        d.deserialize_any(V)
    }
}

fn not_a_list(kind: &str) -> FeedList {
    FeedList(Err(WireError::invalid_state(format!("state: field `feeds`: expected an array, found {kind}"))))
}
