//! # emongroups-host-tests
//!
//! The conformance vectors (`vectors/`, format in `vectors/FORMAT.md`) and the one replay
//! algorithm every Rust runner shares: the native runner (`tests/conformance.rs`, through
//! `emongroups_core::call`) and the wasmtime runner (`wasmtime/`, through the shipped `.wasm`).
//! A door is just a `call` function: request JSON text in, answer JSON text out.
//!
//! ```no_run
//! use std::path::Path;
//! let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors");
//! // Prints each failure, then `conformance/native: N passed, M failed`.
//! let summary = emongroups_host_tests::replay_all(&dir, "native", &mut |r| emongroups_core::call(r));
//! std::process::exit(i32::from(summary.failed > 0));
//! ```

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

/// The format tag every vector file carries.
pub const FORMAT: &str = "emongroups-vectors/1";

/// What a replay counted. A file that could not be loaded counts as one failure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Vector files found.
    pub files: usize,
    /// Steps whose answer matched.
    pub passed: usize,
    /// Steps that did not match, plus files that could not be loaded.
    pub failed: usize,
}

impl Summary {
    /// The closing line every runner prints (`conformance/<door>: N passed, M failed`).
    pub fn closing_line(&self, door: &str) -> String {
        format!("conformance/{door}: {} passed, {} failed", self.passed, self.failed)
    }
}

/// Replays every vector file under `vectors_dir` (in lexicographic order of their relative
/// paths) through `call`, prints each failure and, last, the closing line.
pub fn replay_all(vectors_dir: &Path, door: &str, call: &mut dyn FnMut(&str) -> String) -> Summary {
    let mut summary = Summary::default();
    match vector_files(vectors_dir) {
        Ok(files) => {
            for (relative, path) in files {
                summary.files += 1;
                let loaded = fs::read_to_string(&path)
                    .map_err(|e| LoadError(format!("cannot read: {e}")))
                    .and_then(|text| VectorFile::parse(&text));
                match loaded {
                    Ok(file) => {
                        let (passed, failed) = replay_file(&relative, &file, call);
                        summary.passed += passed;
                        summary.failed += failed;
                    }
                    Err(err) => {
                        println!("FAIL {relative}: the file could not be loaded: {err}");
                        summary.failed += 1;
                    }
                }
            }
        }
        Err(err) => {
            println!("FAIL {}: cannot list vector files: {err}", vectors_dir.display());
            summary.failed += 1;
        }
    }
    println!("{}", summary.closing_line(door));
    summary
}

/// Every `*.json` file below `dir`, as (path relative to `dir` with `/` separators, full path),
/// sorted by the relative path. A missing folder holds no vectors.
pub fn vector_files(dir: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut found = Vec::new();
    if dir.is_dir() {
        collect(dir, "", &mut found)?;
    }
    found.sort();
    Ok(found)
}

fn collect(dir: &Path, prefix: &str, found: &mut Vec<(String, PathBuf)>) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let relative = format!("{prefix}{name}");
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect(&path, &format!("{relative}/"), found)?;
        } else if name.ends_with(".json") {
            found.push((relative, path));
        }
    }
    Ok(())
}

/// Why a vector file was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError(pub String);

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LoadError {}

/// One vector file, strictly loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorFile {
    /// The profile every request of the file names.
    pub profile: String,
    /// What the story is.
    pub title: String,
    /// Routes, ops or behaviours the file covers.
    pub covers: Vec<String>,
    /// The starting facts.
    pub state: Value,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// One step of a vector file.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// What the step does, for failure reports.
    pub name: String,
    /// The request without `v`, `profile` and `state`.
    pub request: Map<String, Value>,
    /// The exact expected answer.
    pub expect: Value,
    /// Whether the answer's changes carry into the next step (default true).
    pub apply: bool,
}

impl VectorFile {
    /// Parses a vector file; unknown keys in the file or a step are errors.
    pub fn parse(text: &str) -> Result<VectorFile, LoadError> {
        let value: Value = serde_json::from_str(text).map_err(|e| LoadError(format!("not JSON: {e}")))?;
        let Value::Object(mut top) = value else {
            return Err(LoadError("a vector file is a JSON object".into()));
        };
        let format = take_string(&mut top, "format", "the file")?;
        if format != FORMAT {
            return Err(LoadError(format!("`format` is `{format}`, this runner reads `{FORMAT}`")));
        }
        let profile = take_string(&mut top, "profile", "the file")?;
        let title = take_string(&mut top, "title", "the file")?;
        let covers = match top.remove("covers") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|item| match item {
                    Value::String(s) => Ok(s),
                    _ => Err(LoadError("`covers` holds strings only".into())),
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(LoadError("`covers` must be an array of strings".into())),
        };
        let state = take(&mut top, "state", "the file")?;
        if !state.is_object() {
            return Err(LoadError("`state` must be an object".into()));
        }
        let Value::Array(raw_steps) = take(&mut top, "steps", "the file")? else {
            return Err(LoadError("`steps` must be an array".into()));
        };
        reject_unknown(&top, "the file")?;
        let steps = raw_steps
            .into_iter()
            .enumerate()
            .map(|(i, step)| Step::parse(step).map_err(|e| LoadError(format!("step {}: {e}", i + 1))))
            .collect::<Result<_, _>>()?;
        Ok(VectorFile { profile, title, covers, state, steps })
    }
}

impl Step {
    fn parse(value: Value) -> Result<Step, LoadError> {
        let Value::Object(mut step) = value else {
            return Err(LoadError("a step is a JSON object".into()));
        };
        let name = take_string(&mut step, "name", "a step")?;
        let Value::Object(request) = take(&mut step, "request", "a step")? else {
            return Err(LoadError(format!("step `{name}`: `request` must be an object")));
        };
        for reserved in ["v", "profile", "state"] {
            if request.contains_key(reserved) {
                return Err(LoadError(format!(
                    "step `{name}`: a request never contains `{reserved}` (the runner adds it)"
                )));
            }
        }
        let expect = take(&mut step, "expect", "a step")?;
        let apply = match step.remove("apply") {
            None => true,
            Some(Value::Bool(b)) => b,
            Some(_) => {
                return Err(LoadError(format!("step `{name}`: `apply` must be a boolean")));
            }
        };
        reject_unknown(&step, &format!("step `{name}`"))?;
        Ok(Step { name, request, expect, apply })
    }
}

fn take(map: &mut Map<String, Value>, key: &str, whose: &str) -> Result<Value, LoadError> {
    map.remove(key).ok_or_else(|| LoadError(format!("{whose} lacks `{key}`")))
}

fn take_string(map: &mut Map<String, Value>, key: &str, whose: &str) -> Result<String, LoadError> {
    match take(map, key, whose)? {
        Value::String(s) => Ok(s),
        _ => Err(LoadError(format!("`{key}` of {whose} must be a string"))),
    }
}

fn reject_unknown(map: &Map<String, Value>, whose: &str) -> Result<(), LoadError> {
    match map.keys().next() {
        Some(key) => Err(LoadError(format!("{whose} has an unknown key `{key}`"))),
        None => Ok(()),
    }
}

/// Replays one loaded file; returns (passed, failed) step counts.
pub fn replay_file(
    relative: &str,
    file: &VectorFile,
    call: &mut dyn FnMut(&str) -> String,
) -> (usize, usize) {
    let (mut passed, mut failed) = (0, 0);
    let mut state = file.state.clone();
    for step in &file.steps {
        let mut request = Map::new();
        request.insert("v".into(), json!(1));
        request.insert("profile".into(), json!(file.profile));
        request.extend(step.request.clone());
        request.insert("state".into(), state.clone());
        let request = Value::Object(request);
        let answer_text = call(&request.to_string());
        let report = |why: &str, actual: &str| {
            println!("FAIL {relative} / step `{}`: {why}", step.name);
            println!("  request:  {}", shown_request(&request));
            println!("  expected: {}", step.expect);
            println!("  actual:   {actual}");
        };
        let answer: Value = match serde_json::from_str(&answer_text) {
            Ok(answer) => answer,
            Err(e) => {
                report(&format!("the answer is not JSON ({e})"), &answer_text);
                failed += 1;
                continue;
            }
        };
        let mut ok = true;
        if let Some(at) = first_difference(&step.expect, &answer, "$") {
            report(&format!("the answer differs at {at}"), &answer_text);
            ok = false;
        }
        let changes = &answer["result"]["changes"];
        let has_changes = changes.as_array().is_some_and(|c| !c.is_empty());
        if step.apply && answer["ok"] == json!(true) && has_changes {
            let apply = json!({
                "v": 1, "op": "apply", "profile": file.profile, "state": state, "changes": changes,
            });
            let applied_text = call(&apply.to_string());
            match serde_json::from_str::<Value>(&applied_text) {
                Ok(mut applied) if applied["ok"] == json!(true) && applied["result"]["state"].is_object() => {
                    state = applied["result"]["state"].take();
                }
                _ => {
                    if ok {
                        report("applying the answer's changes failed", &applied_text);
                    } else {
                        println!("  applying the changes failed too: {applied_text}");
                    }
                    ok = false;
                }
            }
        }
        if ok {
            passed += 1;
        } else {
            failed += 1;
        }
    }
    (passed, failed)
}

/// The request as sent, with the (possibly large) state elided.
fn shown_request(request: &Value) -> Value {
    let mut shown = request.clone();
    if let Some(state) = shown.get_mut("state") {
        *state = json!("<the file's state after the earlier steps>");
    }
    shown
}

/// JSON equality as the vectors define it: object key order is ignored and numbers compare as
/// numbers (`1` equals `1.0`).
pub fn json_eq(a: &Value, b: &Value) -> bool {
    first_difference(a, b, "").is_none()
}

/// Where `actual` first differs from `expected` (a `$.a[0].b` path), or `None` when equal.
pub fn first_difference(expected: &Value, actual: &Value, at: &str) -> Option<String> {
    match (expected, actual) {
        (Value::Number(x), Value::Number(y)) => (!numbers_equal(x, y)).then(|| at.to_string()),
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return Some(format!("{at} (array of {} items, expected {})", y.len(), x.len()));
            }
            x.iter().zip(y).enumerate().find_map(|(i, (x, y))| first_difference(x, y, &format!("{at}[{i}]")))
        }
        (Value::Object(x), Value::Object(y)) => {
            if let Some(missing) = x.keys().find(|k| !y.contains_key(*k)) {
                return Some(format!("{at}.{missing} (missing)"));
            }
            if let Some(extra) = y.keys().find(|k| !x.contains_key(*k)) {
                return Some(format!("{at}.{extra} (not expected)"));
            }
            x.iter().find_map(|(k, v)| first_difference(v, &y[k], &format!("{at}.{k}")))
        }
        (x, y) => (x != y).then(|| at.to_string()),
    }
}

fn numbers_equal(x: &serde_json::Number, y: &serde_json::Number) -> bool {
    if let (Some(x), Some(y)) = (x.as_i64(), y.as_i64()) {
        return x == y;
    }
    if let (Some(x), Some(y)) = (x.as_u64(), y.as_u64()) {
        return x == y;
    }
    match (x.as_f64(), y.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn scratch_dir() -> PathBuf {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "emongroups-vectors-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn numbers_compare_as_numbers_and_key_order_is_ignored() {
        assert!(json_eq(&json!({"a":1,"b":[1.0,2]}), &json!({"b":[1,2.0],"a":1.0})));
        assert!(!json_eq(&json!({"a":1}), &json!({"a":1.5})));
        assert!(!json_eq(&json!({"a":1}), &json!({"a":"1"})));
        assert!(!json_eq(&json!({"a":1}), &json!({"a":1,"b":null})));
        assert!(!json_eq(&json!([1, 2]), &json!([2, 1])));
        assert!(!json_eq(&json!(u64::MAX), &json!(-1)));
        assert_eq!(
            first_difference(&json!({"r":{"x":[0,1]}}), &json!({"r":{"x":[0,2]}}), "$").as_deref(),
            Some("$.r.x[1]")
        );
    }

    #[test]
    fn unknown_keys_reject_a_file() {
        let good = r#"{"format":"emongroups-vectors/1","profile":"emoncms","title":"t","state":{},
                       "steps":[{"name":"s","request":{"op":"version"},"expect":{}}]}"#;
        let file = VectorFile::parse(good).unwrap();
        assert_eq!(file.steps.len(), 1);
        assert!(file.steps[0].apply);
        assert!(file.covers.is_empty());
        let top = good.replace(r#""title":"t""#, r#""title":"t","extra":1"#);
        assert!(VectorFile::parse(&top).unwrap_err().0.contains("`extra`"));
        let step = good.replace(r#""expect":{}"#, r#""expect":{},"note":"x""#);
        assert!(VectorFile::parse(&step).unwrap_err().0.contains("`note`"));
        let reserved = good.replace(r#"{"op":"version"}"#, r#"{"op":"version","v":1}"#);
        assert!(VectorFile::parse(&reserved).is_err());
        let format = good.replace("vectors/1", "vectors/2");
        assert!(VectorFile::parse(&format).is_err());
        let missing = good.replace(r#""title":"t","#, "");
        assert!(VectorFile::parse(&missing).unwrap_err().0.contains("`title`"));
    }

    /// A door that counts: `bump` answers with a change, `apply` adds it to the state, `get`
    /// reads the state back. It shows the runner sends v/profile/state and carries changes on.
    fn counter_door(request: &str) -> String {
        let request: Value = serde_json::from_str(request).unwrap();
        assert_eq!(request["v"], json!(1));
        assert_eq!(request["profile"], json!("home"));
        let n = request["state"]["n"].as_i64().unwrap();
        let result = match request["op"].as_str().unwrap() {
            "bump" => json!({"changes":[{"add":request["by"].clone()}]}),
            "apply" => {
                let add: i64 =
                    request["changes"].as_array().unwrap().iter().map(|c| c["add"].as_i64().unwrap()).sum();
                json!({"state":{"n": n + add}})
            }
            "get" => json!({"n": n}),
            _ => return r#"{"ok":false,"error":{"code":"unknown_op","message":"no"}}"#.into(),
        };
        json!({"ok": true, "result": result}).to_string()
    }

    #[test]
    fn changes_carry_into_later_steps_unless_apply_is_false() {
        let dir = scratch_dir();
        fs::create_dir_all(dir.join("home")).unwrap();
        let file = json!({
            "format": FORMAT, "profile": "home", "title": "counting", "covers": ["apply"],
            "state": {"n": 1},
            "steps": [
                {"name": "bump by 2", "request": {"op":"bump","by":2}, "expect": {"ok":true,"result":{"changes":[{"add":2}]}}},
                {"name": "peek", "request": {"op":"bump","by":5}, "expect": {"ok":true,"result":{"changes":[{"add":5}]}}, "apply": false},
                {"name": "read", "request": {"op":"get"}, "expect": {"ok":true,"result":{"n":3.0}}},
                {"name": "wrong on purpose", "request": {"op":"get"}, "expect": {"ok":true,"result":{"n":4}}}
            ]
        });
        fs::write(dir.join("home/count.json"), file.to_string()).unwrap();
        fs::write(dir.join("home/broken.json"), "{").unwrap();
        fs::write(dir.join("README.md"), "not a vector").unwrap();
        let summary = replay_all(&dir, "test", &mut counter_door);
        assert_eq!(summary, Summary { files: 2, passed: 3, failed: 2 });
        assert_eq!(summary.closing_line("test"), "conformance/test: 3 passed, 2 failed");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn files_replay_in_lexicographic_order_and_a_missing_folder_is_empty() {
        let dir = scratch_dir();
        for path in ["b/z.json", "a/y.json", "a/x.json"] {
            let path = dir.join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, "{}").unwrap();
        }
        let names: Vec<String> = vector_files(&dir).unwrap().into_iter().map(|(r, _)| r).collect();
        assert_eq!(names, ["a/x.json", "a/y.json", "b/z.json"]);
        fs::remove_dir_all(&dir).unwrap();
        let summary =
            replay_all(&dir.join("none"), "test", &mut |_: &str| -> String { panic!("no file, so no call") });
        assert_eq!(summary, Summary::default());
    }
}
