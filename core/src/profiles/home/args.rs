//! The fields of the ops, read strictly.

use crate::error::WireError;
use crate::profiles::Fields;
use crate::read::{self, Reader};
use crate::util::truncate;
use crate::value::Value;

use super::id::{Id, ids};

/// Where [`Args::read`] puts a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Slot {
    Person,
    Device,
    Users,
    Value,
    Action,
    Home,
    Topic,
    CommandType,
    ReportType,
}

/// The fields an op takes, in reading order (which names the first problem): key, where it goes,
/// whether it is required (an optional field may be null).
type FieldSpec = (&'static str, Slot, bool);

const CHECK_FIELDS: [FieldSpec; 4] = [
    ("actor", Slot::Person, true),
    ("action", Slot::Action, true),
    ("home", Slot::Home, true),
    ("device", Slot::Device, false),
];

/// The ops with fields (besides `version` and `catalog`): `who_can` asks `check`'s question
/// without an actor.
pub(super) const OP_FIELDS: [(&str, &[FieldSpec]); 6] = [
    (
        "report",
        &[
            ("report_type", Slot::ReportType, false),
            ("topic", Slot::Topic, false),
            ("body", Slot::Value, true),
        ],
    ),
    (
        "command",
        &[
            ("topic", Slot::Topic, true),
            ("command_type", Slot::CommandType, true),
            ("actor", Slot::Person, true),
            ("body", Slot::Value, true),
        ],
    ),
    ("check", &CHECK_FIELDS),
    ("who_can", CHECK_FIELDS.split_at(1).1),
    ("what_can", &[("user", Slot::Person, true)]),
    ("what_if", &[("changes", Slot::Value, true), ("users", Slot::Users, false)]),
];

/// The fields of one op, read by one function from its table in [`OP_FIELDS`]; what the op does
/// not take stays empty.
#[derive(Debug, Default)]
pub(super) struct Args {
    /// `actor` (check, command) or `user` (what_can).
    pub(super) person: Option<Id>,
    pub(super) device: Option<Id>,
    /// `users` (what_if).
    pub(super) users: Option<Vec<Id>>,
    /// `body` (report, command) or `changes` (what_if).
    pub(super) value: Value,
    pub(super) action: String,
    pub(super) home: String,
    pub(super) topic: Option<String>,
    pub(super) command_type: String,
    pub(super) report_type: Option<String>,
}

impl Args {
    /// Reads the fields `spec` lists, strictly (`bad_request` errors about "op `op`").
    pub(super) fn read(op: &str, fields: Fields, spec: &[FieldSpec]) -> Result<Args, WireError> {
        let mut r = Reader::request(format!("op `{op}`"), fields);
        let mut args = Args::default();
        for &(key, slot, required) in spec {
            let v = match r.take(key) {
                None if required => return Err(r.error(format!("missing field `{key}`"))),
                None => continue,
                Some(Value::Null) if !required => continue,
                Some(v) => v,
            };
            let read = match slot {
                Slot::Person | Slot::Device => Id::read(v).map(|id| {
                    *if slot == Slot::Person { &mut args.person } else { &mut args.device } = Some(id);
                }),
                Slot::Users => ids(v).map(|l| args.users = Some(l)),
                Slot::Value => {
                    args.value = v;
                    Ok(())
                }
                _ => read::string(v).map(|text| match slot {
                    Slot::Action => args.action = text,
                    Slot::Home => args.home = text,
                    Slot::Topic => args.topic = Some(text),
                    Slot::CommandType => args.command_type = text,
                    _ => args.report_type = Some(text),
                }),
            };
            read.map_err(|m| r.field_error(key, m))?;
        }
        r.finish()?;
        Ok(args)
    }
}

pub(super) fn no_fields(op: &str, fields: &Fields) -> Result<(), WireError> {
    match fields.keys().next() {
        None => Ok(()),
        Some(k) => Err(WireError::bad_request(format!("unknown field `{}` for op `{op}`", truncate(k, 64)))),
    }
}
