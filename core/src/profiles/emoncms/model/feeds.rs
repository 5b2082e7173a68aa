//! Feed rows as emoncms's Feed model returns them: what the engine reads of them, and their text.

use super::*;

/// A feed row as emoncms's Feed model returns it. `id`, `userid`, `public`, `name`, `time` and
/// `value` are read. A row read from JSON keeps its text, the host's own, which member lists
/// write out unchanged (a key the engine does not know, a number's spelling); a row built from
/// its parts ([`FeedRow::new`]) is written from them.
#[derive(Debug, Clone)]
pub struct FeedRow {
    pub id: Id,
    pub userid: Id,
    pub public: bool,
    pub name: Option<String>,
    pub time: Option<f64>,
    pub value: Option<f64>,
    text: Option<Box<RawValue>>,
}

/// Rows are equal when they say the same, however their text is spaced, escaped or ordered.
impl PartialEq for FeedRow {
    fn eq(&self, other: &FeedRow) -> bool {
        (self.id, self.userid, self.public, &self.name, self.time, self.value)
            == (other.id, other.userid, other.public, &other.name, other.time, other.value)
            && match (&self.text, &other.text) {
                (Some(a), Some(b)) if a.get() == b.get() => true,
                _ => self.to_json() == other.to_json(),
            }
    }
}

/// A feed row is written as the host gave it, or from its parts.
impl Serialize for FeedRow {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.text {
            Some(text) => text.serialize(s),
            None => FeedParts::of(self).serialize(s),
        }
    }
}

/// A feed row built from its parts, as it is written: `{"id", "userid", "name", "public", "time",
/// "value"}`.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct FeedParts<'a> {
    pub(crate) id: Id,
    pub(crate) userid: Id,
    pub(crate) name: Option<&'a str>,
    pub(crate) public: bool,
    pub(crate) time: Option<f64>,
    pub(crate) value: Option<f64>,
}

impl FeedParts<'_> {
    fn of(row: &FeedRow) -> FeedParts<'_> {
        FeedParts {
            id: row.id,
            userid: row.userid,
            name: row.name.as_deref(),
            public: row.public,
            time: row.time,
            value: row.value,
        }
    }
}

impl FeedRow {
    /// Reads a feed row: `id` and `userid` are required, every key is kept.
    #[cfg(test)]
    pub(super) fn read(i: usize, v: Value) -> Result<FeedRow, WireError> {
        let text = crate::value::to_string(&v);
        let raw = serde_json::from_str::<&RawValue>(&text)
            .map_err(|e| WireError::invalid_state(format!("state: feeds[{i}]: {e}")))?;
        FeedRow::from_raw(i, raw)
    }

    /// Reads feed row `i` from its text, which is kept as it is.
    pub(super) fn from_raw(i: usize, raw: &RawValue) -> Result<FeedRow, WireError> {
        let head = match serde_json::from_str::<FeedHead<'_>>(raw.get()) {
            Ok(FeedHead { head, not: None }) => head,
            Ok(FeedHead { not: Some(kind), .. }) => {
                return Err(WireError::invalid_state(format!(
                    "state: feeds[{i}]: expected an object, found {kind}"
                )));
            }
            Err(e) if crate::value::is_too_deep(&e) => return Err(too_deep()),
            // The text was read as JSON already.
            Err(e) => return Err(WireError::invalid_state(format!("state: feeds[{i}]: {e}"))),
        };
        let field = |key: &str, v: Option<Scalar<'_>>| -> Result<Id, WireError> {
            match v {
                None => Err(WireError::invalid_state(format!("state: feeds[{i}]: missing field `{key}`"))),
                Some(v) => read::id(v)
                    .map_err(|m| WireError::invalid_state(format!("state: feeds[{i}]: field `{key}`: {m}"))),
            }
        };
        Ok(FeedRow {
            id: field("id", head.id)?,
            userid: field("userid", head.userid)?,
            public: head.public.as_ref().is_some_and(read::feed_public),
            name: match head.name {
                Some(Scalar::Str(s)) => Some(s.into_owned()),
                _ => None,
            },
            time: head.time.as_ref().and_then(read::number),
            value: head.value.as_ref().and_then(read::number),
            text: Some(raw.to_owned()),
        })
    }

    /// The row as the host gave it.
    pub fn to_json(&self) -> Value {
        match &self.text {
            // The text was read as JSON, so it reads back.
            Some(text) => serde_json::from_str(text.get()).unwrap_or(Value::Null),
            None => serde_json::to_value(FeedParts::of(self)).unwrap_or(Value::Null),
        }
    }

    /// The host's text of the row, when it was read from JSON.
    pub(crate) fn text(&self) -> Option<&RawValue> {
        self.text.as_deref()
    }

    /// The row with its text (`None`: it is written from its parts).
    pub(crate) fn with_text(mut self, text: Option<Box<RawValue>>) -> FeedRow {
        self.text = text;
        self
    }

    /// Takes the row's text away, for a store that keeps texts apart.
    pub(crate) fn take_text(&mut self) -> Option<Box<RawValue>> {
        self.text.take()
    }

    /// A feed row built from its parts (written from them: no text is kept).
    pub fn new(id: Id, userid: Id, public: bool, name: &str, time: f64, value: f64) -> FeedRow {
        FeedRow {
            id,
            userid,
            public,
            name: Some(name.to_string()),
            time: Some(time),
            value: Some(value),
            text: None,
        }
    }
}

pub(super) fn too_deep() -> WireError {
    WireError::new(ErrorCode::TooDeep, format!("state nests deeper than {} levels", crate::value::MAX_DEPTH))
}

/// The fields of a feed row the engine reads (the last of a repeated key counts, as in a tree).
#[derive(Default)]
struct Head<'a> {
    id: Option<Scalar<'a>>,
    userid: Option<Scalar<'a>>,
    public: Option<Scalar<'a>>,
    name: Option<Scalar<'a>>,
    time: Option<Scalar<'a>>,
    value: Option<Scalar<'a>>,
}

/// A feed row's text read for its [`Head`]; `not` names what it is when it is not an object.
struct FeedHead<'a> {
    head: Head<'a>,
    not: Option<&'static str>,
}

fn not_a_row<'a>(kind: &'static str) -> FeedHead<'a> {
    FeedHead { head: Head::default(), not: Some(kind) }
}

impl<'de> Deserialize<'de> for FeedHead<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<FeedHead<'de>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FeedHead<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a feed row")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FeedHead<'de>, A::Error> {
                let mut head = Head::default();
                while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                    let slot = match key.as_ref() {
                        "id" => &mut head.id,
                        "userid" => &mut head.userid,
                        "public" => &mut head.public,
                        "name" => &mut head.name,
                        "time" => &mut head.time,
                        "value" => &mut head.value,
                        // A row sits at depth 3 of its state: the state, `feeds`, the row.
                        _ => {
                            map.next_value_seed(Skip { depth: 3 })?;
                            continue;
                        }
                    };
                    *slot = Some(map.next_value_seed(ScalarAt(3))?);
                }
                Ok(FeedHead { head, not: None })
            }
            // A row is at depth 3 of its state; the array's items one deeper.
            crate::value::not_an_object!(not_a_row, 3);
        }
        d.deserialize_any(V)
    }
}
