//! Feed data: getfeed and csvexport ask the host for the data of the feeds the actor may read.

use super::*;

impl<'a> Req<'a> {
    fn number_param(&self, name: &str) -> Step<Value> {
        match self.given(name) {
            None => Ok(Value::Null),
            Some(raw) => {
                parse_number(&raw).ok_or_else(|| Outcome::fail(&format!("Invalid {name} parameter")).into())
            }
        }
    }

    fn bit_param(&self, name: &str) -> Step<Value> {
        match self.given(name).as_deref() {
            None => Ok(Value::Null),
            Some("0") => Ok(json!(0)),
            Some("1") => Ok(json!(1)),
            Some(_) => Err(Outcome::fail(&format!("Invalid {name} parameter")).into()),
        }
    }

    pub(super) fn getfeed(&self) -> Step<Outcome> {
        const DENIED: &str = "You have not access to that feed";
        let Some(fid) = self.given("id").and_then(|raw| parse_id(&raw)) else {
            return Ok(Outcome::fail(DENIED));
        };
        if !decide::feed_read(self.snap, self.actor(), fid, &mut NoTrace).allowed {
            return Ok(Outcome::fail(DENIED));
        }
        let mode = match self.param("subaction").as_deref() {
            Some("data") => "data",
            Some("average") => "average",
            _ => return Ok(Outcome::fail("Unknown getfeed mode")),
        };
        let (start, end, interval) =
            (self.number_param("start")?, self.number_param("end")?, self.number_param("interval")?);
        let (skipmissing, limitinterval) = (self.bit_param("skipmissing")?, self.bit_param("limitinterval")?);
        let average_mode = if mode == "average" {
            match self.given("mode").as_deref() {
                None => Value::Null,
                Some(m @ ("daily" | "weekly" | "monthly" | "annual")) => json!(m),
                Some(_) => return Ok(Outcome::fail("Invalid mode parameter")),
            }
        } else {
            Value::Null
        };
        match self.host("feed_data") {
            Some(data) => Ok(Outcome::json(data.clone())),
            None => Ok(feed_data_need(
                vec![fid],
                mode,
                [start, end, interval, skipmissing, limitinterval, average_mode, Value::Null, Value::Null],
            )),
        }
    }

    pub(super) fn csvexport(&self) -> Step<Outcome> {
        self.gate(Gate::Read)?;
        let gid = self.id_param("groupid", false)?;
        // Only digits and commas count; the non-empty runs of digits between commas are the ids.
        let raw = self.param("id").unwrap_or_default();
        let (mut ids, mut invalid, mut piece) = (Vec::new(), false, String::new());
        for i in 0..=raw.len() {
            match raw.as_bytes().get(i).copied().unwrap_or(b',') {
                b @ b'0'..=b'9' => piece.push(char::from(b)),
                b',' if !piece.is_empty() => {
                    match parse_id(&piece) {
                        Some(id) => ids.push(id),
                        None => invalid = true,
                    }
                    piece.clear();
                }
                _ => {}
            }
        }
        if invalid {
            return Ok(Outcome::fail("Invalid id parameter"));
        }
        if ids.is_empty() {
            return Ok(Outcome::fail("Missing id parameter"));
        }
        const RIGHTS: &str = "You haven't got enough rights";
        if !self.group_decision(Action::MemberFeeds, gid).allowed {
            return Ok(Outcome::fail(RIGHTS));
        }
        // B-7: every id, not only the first.
        for &f in &ids {
            if !decide::feed_read(self.snap, self.actor(), f, &mut NoTrace).allowed {
                return Ok(Outcome::fail(RIGHTS));
            }
        }
        let (start, end, interval) =
            (self.number_param("start")?, self.number_param("end")?, self.number_param("interval")?);
        let timeformat = self.bit_param("timeformat")?;
        match self.host("feed_data") {
            Some(Value::String(csv)) => Ok(Outcome::Done {
                format: "csv",
                body: Body::Value(Value::String(csv.clone())),
                changes: Vec::new(),
                session: None,
            }),
            Some(other) => Err(WireError::bad_request(format!(
                "`host.feed_data` for csv must be text, found {}",
                kind_of(other)
            ))
            .into()),
            None => {
                let name = Value::String(filter_name(&self.param("name").unwrap_or_default()));
                let null = || Value::Null;
                Ok(feed_data_need(
                    ids,
                    "csv",
                    [start, end, interval, null(), null(), null(), timeformat, name],
                ))
            }
        }
    }
}

/// The keys of a `feed_data` need after `feedids` and `mode`, in order.
const FEED_DATA_KEYS: [&str; 8] =
    ["start", "end", "interval", "skipmissing", "limitinterval", "average_mode", "timeformat", "name"];

/// The `feed_data` need of getfeed and csvexport: `feedids`, `mode`, then [`FEED_DATA_KEYS`].
fn feed_data_need(feedids: Vec<Id>, mode: &str, values: [Value; 8]) -> Outcome {
    let mut need = Map::new();
    need.put("kind", "feed_data".into());
    let mut ids = Vec::with_capacity(feedids.len());
    for id in feedids {
        ids.push(Value::from(id));
    }
    need.put("feedids", Value::Array(ids));
    need.put("mode", mode.into());
    for (key, value) in FEED_DATA_KEYS.into_iter().zip(values) {
        need.put(key, value);
    }
    Outcome::Need(Value::Object(need))
}
