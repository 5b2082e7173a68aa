//! Listing user groups, with the seed's `permission_sets` filters.

use crate::value::Value;

use super::answer::{Answer, FieldErrors, string_list};
use super::engine::{BuildingsEngine, Ctx};
use super::state::PermissionSets;
use super::text::quoted;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Lookup {
    Contains,
    ContainedBy,
    Gt,
    Gte,
    Lt,
    Lte,
}

/// The lookups of a filter, by name.
const LOOKUPS: [(&str, Lookup); 6] = [
    ("contains", Lookup::Contains),
    ("contained_by", Lookup::ContainedBy),
    ("gt", Lookup::Gt),
    ("gte", Lookup::Gte),
    ("lt", Lookup::Lt),
    ("lte", Lookup::Lte),
];

#[derive(Debug)]
struct Filter {
    code: String,
    lookup: Lookup,
    value: Vec<String>,
}

impl Filter {
    /// Whether a group's stored permission_sets match. A group without the code never matches.
    fn matches(&self, sets: &PermissionSets) -> bool {
        let Some((_, list)) = sets.0.iter().find(|(c, _)| *c == self.code) else { return false };
        match self.lookup {
            Lookup::Contains => self.value.iter().all(|v| list.contains(v)),
            Lookup::ContainedBy => list.iter().all(|x| self.value.contains(x)),
            Lookup::Gt => list.as_slice() > self.value.as_slice(),
            Lookup::Gte => list.as_slice() >= self.value.as_slice(),
            Lookup::Lt => list.as_slice() < self.value.as_slice(),
            Lookup::Lte => list.as_slice() <= self.value.as_slice(),
        }
    }
}

/// `%XX` and `+` decoding of one query component; a malformed escape is kept as written.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let hex = |c: u8| (c as char).to_digit(16);
    while let Some(&c) = b.get(i) {
        match c {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => match (b.get(i + 1).copied().and_then(hex), b.get(i + 2).copied().and_then(hex)) {
                (Some(h), Some(l)) => {
                    // Lossless: two hex digits are at most 255.
                    out.push((h * 16 + l) as u8);
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A filter value: a JSON array of strings (`[]`, `["a","b"]`), a bracketed list without quotes
/// (`[a,b]`), or comma-separated ids (`a,b`; one id is a list of one).
fn parse_filter_value(v: &str) -> Vec<String> {
    let v = v.trim();
    if let Ok(list @ Value::Array(_)) = serde_json::from_str::<Value>(v)
        && let Some(list) = string_list(&list)
    {
        return list;
    }
    let inner = v.strip_prefix('[').and_then(|x| x.strip_suffix(']')).unwrap_or(v);
    let mut out = Vec::new();
    for x in inner.split(',') {
        let x = x.trim().trim_matches(|c| c == '"' || c == '\'');
        if !x.is_empty() {
            out.push(x.to_string());
        }
    }
    out
}

impl BuildingsEngine {
    fn parse_filters(&self, query: &str) -> Result<Vec<Filter>, FieldErrors> {
        let mut errors = FieldErrors::default();
        let mut filters = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let (key, value) = (percent_decode(k), percent_decode(v));
            let parsed = key
                .strip_prefix("permission_sets__")
                .and_then(|rest| {
                    // The last `__` (what `rsplit_once("__")` finds, without a string searcher).
                    let at = rest.as_bytes().windows(2).rposition(|w| w == b"__")?;
                    Some((rest.get(..at)?, rest.get(at + 2..)?))
                })
                .and_then(|(code, lookup)| {
                    let (_, lookup) = LOOKUPS.iter().find(|(name, _)| *name == lookup)?;
                    Some((code, *lookup))
                });
            match parsed {
                Some((code, lookup)) if self.policy.catalog.id(code).is_some() => {
                    filters.push(Filter { code: code.to_string(), lookup, value: parse_filter_value(&value) })
                }
                Some((code, _)) => errors.add(
                    &key,
                    "unknown_permission_set",
                    quoted("", code, " is not a permission set").into(),
                ),
                None => errors.add(
                    &key,
                    "unknown_filter",
                    "unknown filter; expected `permission_sets__<code>__<lookup>` with lookup `contains`, `contained_by`, `gt`, `gte`, `lt` or `lte`".into(),
                ),
            }
        }
        if errors.is_empty() { Ok(filters) } else { Err(errors) }
    }

    pub(super) fn list(&self, ctx: &Ctx<'_>, query: &str) -> Answer {
        let filters = match self.parse_filters(query) {
            Ok(f) => f,
            Err(errors) => return errors.answer(),
        };
        let mut rows = Vec::new();
        for g in &self.state.user_groups {
            if self.can_view_group(ctx.actor, ctx.holding, g)
                && filters.iter().all(|f| f.matches(&g.permission_sets))
            {
                rows.push(g.to_json());
            }
        }
        Answer::ok(200, Value::Array(rows))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::buildings::http::{Route, route};

    #[test]
    fn query_parsing() {
        assert_eq!(percent_decode("a%2Cb+c%zz%"), "a,b c%zz%");
        assert_eq!(percent_decode("%E2%9C%94"), "✔");
        assert_eq!(parse_filter_value("[]"), Vec::<String>::new());
        assert_eq!(parse_filter_value(r#"["a","b"]"#), vec!["a", "b"]);
        assert_eq!(parse_filter_value("[a, b]"), vec!["a", "b"]);
        assert_eq!(parse_filter_value("a,b"), vec!["a", "b"]);
        assert_eq!(parse_filter_value("a"), vec!["a"]);
        assert_eq!(parse_filter_value(""), Vec::<String>::new());
        assert_eq!(route("/user_groups"), Some(Route::Groups));
        assert_eq!(route("/user_groups/"), Some(Route::Groups));
        assert_eq!(route("/user_groups/permission_sets/"), Some(Route::PermissionSets));
        assert_eq!(route("/user_groups/abc/"), Some(Route::Group("abc")));
        assert_eq!(route("/user_groupsx"), None);
        assert_eq!(route("/user_groups/a/b"), None);
        assert_eq!(route("/user_groups//"), None);
    }

    #[test]
    fn array_comparisons_follow_element_order() {
        let sets = PermissionSets(vec![("view_buildings".into(), vec!["a".into(), "c".into()])]);
        let f = |lookup, value: &[&str]| Filter {
            code: "view_buildings".into(),
            lookup,
            value: value.iter().map(|s| s.to_string()).collect(),
        };
        assert!(f(Lookup::Gt, &["a"]).matches(&sets));
        assert!(f(Lookup::Gt, &["a", "b"]).matches(&sets));
        assert!(!f(Lookup::Gt, &["b"]).matches(&sets));
        assert!(f(Lookup::Lt, &["b"]).matches(&sets));
        assert!(f(Lookup::Gte, &["a", "c"]).matches(&sets));
        assert!(f(Lookup::Lte, &["a", "c"]).matches(&sets));
        assert!(!f(Lookup::Lt, &["a", "c"]).matches(&sets));
        assert!(f(Lookup::Contains, &["c"]).matches(&sets));
        assert!(!f(Lookup::ContainedBy, &["c"]).matches(&sets));
        assert!(
            !Filter { code: "view_customers".into(), lookup: Lookup::ContainedBy, value: vec![] }
                .matches(&sets)
        );
    }
}
