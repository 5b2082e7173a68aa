//! Black-box tests of the core through the wire: each fixed defect of group 2.0.0 (module spec §5)
//! shown closed, the decision statuses, reverse queries, what-if, and hostile input.

use serde_json::{Value, json};

/// Installer 1 administers group 1 ("Heatpumps") with co-admin 2, sub-admin 3, passive customers
/// 4 (full rights), 5 (read rights), 6 (also member of group 2), member 7; group 2 ("Community")
/// is administered by 8 with observer 9 and passive 6. User 10 is a site admin, passive in group 1.
fn state() -> Value {
    json!({
        "groups": [
            {"id": 1, "name": "Heatpumps", "description": "Installer sites"},
            {"id": 2, "name": "Community", "description": "Energy club"}
        ],
        "memberships": [
            {"groupid": 1, "userid": 1, "role": 1, "admin_rights": "full"},
            {"groupid": 1, "userid": 2, "role": 1, "admin_rights": "full"},
            {"groupid": 1, "userid": 3, "role": 2, "admin_rights": "full"},
            {"groupid": 1, "userid": 4, "role": 0, "admin_rights": "full"},
            {"groupid": 1, "userid": 5, "role": 0, "admin_rights": "read"},
            {"groupid": 1, "userid": 6, "role": 0, "admin_rights": "full"},
            {"groupid": 1, "userid": 7, "role": 3, "admin_rights": "full"},
            {"groupid": 1, "userid": 10, "role": 0, "admin_rights": "full"},
            {"groupid": 2, "userid": 8, "role": 1, "admin_rights": "full"},
            {"groupid": 2, "userid": 9, "role": 4, "admin_rights": "full"},
            {"groupid": 2, "userid": 6, "role": 0, "admin_rights": "full"}
        ],
        "users": [
            {"id": 1, "username": "installer"}, {"id": 2, "username": "coadmin"},
            {"id": 3, "username": "staff"},
            {"id": 4, "username": "house4", "email": "h4@example.org", "bio": "semi", "location": "Leeds"},
            {"id": 5, "username": "house5"}, {"id": 6, "username": "house6"}, {"id": 7, "username": "member7"},
            {"id": 8, "username": "organiser"}, {"id": 9, "username": "observer"},
            {"id": 10, "username": "siteadmin", "admin": "1"},
            {"id": 11, "username": "stranger"}
        ],
        "feeds": [
            {"id": 40, "userid": 4, "name": "use", "public": 0, "time": 1000, "value": 1.5},
            {"id": 41, "userid": 4, "name": "solar", "public": 1, "time": 1000, "value": 2.0},
            {"id": 50, "userid": 5, "name": "use", "public": 0, "time": 1000, "value": 2.5},
            {"id": 60, "userid": 6, "name": "use", "public": 0, "time": 990, "value": 3.0},
            {"id": 110, "userid": 11, "name": "use", "public": 0, "time": 1000, "value": 9.0}
        ]
    })
}

fn call(mut request: Value) -> Value {
    request["v"] = json!(1);
    if request.get("state").is_none() {
        request["state"] = state();
    }
    let answer = emongroups_core::call(&request.to_string());
    serde_json::from_str(&answer).expect("the engine always answers JSON")
}

fn session(userid: u32) -> Value {
    json!({"userid": userid, "read": true, "write": true})
}

fn route(route: &str, userid: u32, params: Value) -> Value {
    let answer = call(json!({"op": "route", "route": route, "session": session(userid), "params": params}));
    assert_eq!(answer["ok"], true, "{answer}");
    answer["result"].clone()
}

fn route_with(route: &str, userid: u32, params: Value, host: Value) -> Value {
    let answer = call(
        json!({"op": "route", "route": route, "session": session(userid), "params": params, "host": host}),
    );
    assert_eq!(answer["ok"], true, "{answer}");
    answer["result"].clone()
}

fn message(result: &Value) -> &str {
    result["body"]["message"].as_str().unwrap_or("")
}

fn check(actor: u32, action: &str, object: Value) -> Value {
    let mut req = json!({"op": "check", "actor": actor, "action": action});
    for (k, v) in object.as_object().into_iter().flatten() {
        req[k] = v.clone();
    }
    let answer = call(req);
    assert_eq!(answer["ok"], true, "{answer}");
    answer["result"].clone()
}

#[test]
fn b1_rights_are_read_on_the_targets_row() {
    // 2.0.0 checked the caller's row: member 5 (read rights) could be impersonated.
    let r = route("setuser", 1, json!({"groupid": "1", "userid": "5"}));
    assert_eq!(r["format"], "text");
    assert_eq!(r["body"], "ERROR: You haven't got rights to access this user");
    let r = route("setuser", 1, json!({"groupid": "1", "userid": "4"}));
    assert_eq!(r["format"], "redirect");
    assert_eq!(r["session"]["userid"], 4);
    assert_eq!(r["session"]["previous_userid"], 1);
}

#[test]
fn b2_no_takeover_of_co_administrators() {
    for (route_name, target) in
        [("setuser", "2"), ("setuser", "3"), ("fullremoveuser", "2"), ("setuserinfo", "2")]
    {
        let r = route(route_name, 1, json!({"groupid": "1", "userid": target, "password": "newpass"}));
        assert_eq!(r["changes"], json!([]), "{route_name} {target}: {r}");
        assert!(r.get("session").is_none());
    }
    let d = check(1, "member.impersonate", json!({"group": 1, "user": 2}));
    assert_eq!(
        (d["allowed"].clone(), d["status"].clone(), d["reason"].clone()),
        (json!(false), json!("forbidden"), json!("target_is_administrator"))
    );
    // Chains: the organiser of group 2 cannot impersonate 8's co-members into group 1's admins either.
    let d = check(8, "member.impersonate", json!({"group": 2, "user": 9}));
    assert_eq!(d["allowed"], true, "{d}");
}

#[test]
fn b6_api_keys_cannot_delete_accounts() {
    let answer = call(json!({"op": "route", "route": "fullremoveuser",
        "session": {"userid": 1, "read": true, "write": true, "apikey": true},
        "params": {"groupid": "1", "userid": "4"}}));
    assert_eq!(answer["result"]["body"]["message"], "This action is not available with an API key");
}

#[test]
fn b7_every_csv_id_is_authorised() {
    // 110 belongs to a stranger: 2.0.0 only checked the first id.
    let r = route("csvexport", 1, json!({"groupid": "1", "id": "40,110"}));
    assert_eq!(message(&r), "You haven't got enough rights");
    let r = route("csvexport", 1, json!({"groupid": "1", "id": "40,50"}));
    assert_eq!(r["outcome"], "need");
    assert_eq!(r["need"]["feedids"], json!([40, 50]));
}

#[test]
fn b8_ids_are_strict_and_the_last_administrator_stays() {
    let r = route("removeuser", 1, json!({"groupid": "1", "userid": "1abc"}));
    assert_eq!(message(&r), "Invalid userid parameter");
    let r = route("removeuser", 8, json!({"groupid": "2", "userid": "8"}));
    assert_eq!(message(&r), "Cannot remove yourself from group");
    // The sole admin of group 2 may not demote itself.
    let r = route("setuserinfo", 8, json!({"groupid": "2", "userid": "8", "role": "3"}));
    assert_eq!(message(&r), "A group must keep at least one administrator");
    // With a co-admin, demotion is fine.
    let r = route("setuserinfo", 1, json!({"groupid": "1", "userid": "1", "role": "2"}));
    assert_eq!(r["body"]["success"], true, "{r}");
}

#[test]
fn b9_full_removal_is_limited() {
    let r = route("fullremoveuser", 1, json!({"groupid": "1", "userid": "6"}));
    assert_eq!(message(&r), "Cannot delete the account of a user who belongs to other groups");
    let r = route("fullremoveuser", 1, json!({"groupid": "1", "userid": "10"}));
    assert_eq!(message(&r), "Cannot delete the account of a site administrator");
    let r = route("fullremoveuser", 1, json!({"groupid": "1", "userid": "4"}));
    assert_eq!(r["need"], json!({"kind": "delete_user", "userid": 4}));
    let r = route_with(
        "fullremoveuser",
        1,
        json!({"groupid": "1", "userid": "4"}),
        json!({"delete_user": "PERMANENT DELETE:\nUser 4\n"}),
    );
    assert_eq!(r["body"], json!({"success": true, "message": "PERMANENT DELETE:\nUser 4\n"}));
}

#[test]
fn b10_read_rights_can_be_granted_and_are_honoured() {
    let r = route_with(
        "addmemberauth",
        1,
        json!({"groupid": "1", "username": "stranger", "password": "pw", "role": "0", "admin_rights": "read"}),
        json!({"verify_login": {"success": true, "userid": 11}}),
    );
    assert_eq!(
        r["changes"][0],
        json!({"kind": "insert_membership", "groupid": 1, "userid": 11, "role": 0, "admin_rights": "read"})
    );
    let r = route("setuserinfo", 1, json!({"groupid": "1", "userid": "5", "name": "x"}));
    assert_eq!(message(&r), "Administrator has not got right over user");
    // Reading feeds still works with read rights.
    assert_eq!(check(1, "feed.read", json!({"feed": 50}))["allowed"], true);
}

#[test]
fn b11_setuserinfo_is_validated_and_all_or_nothing() {
    let r = route("setuserinfo", 1, json!({"groupid": "1", "userid": "4", "role": "7"}));
    assert_eq!(message(&r), "Invalid role");
    let r = route("setuserinfo", 1, json!({"groupid": "1", "userid": "4", "email": "not an email"}));
    assert_eq!((message(&r), r["changes"].clone()), ("Email address format error", json!([])));
    let r = route(
        "setuserinfo",
        1,
        json!({"groupid": "1", "userid": "4", "username": "house4b", "password": "secret", "role": "3", "name": "House Four"}),
    );
    let kinds: Vec<&str> =
        r["changes"].as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["update_user_profile", "set_username", "set_password", "update_membership"]);
    assert_eq!(r["body"], json!({"success": true, "message": "User info updated"}));
}

#[test]
fn b12_sub_administrators_see_no_personal_details() {
    let as_admin = route("userlist", 1, json!({"groupid": "1"}));
    let as_sub = route("userlist", 3, json!({"groupid": "1"}));
    let house4 =
        |list: &Value| list["body"].as_array().unwrap().iter().find(|u| u["userid"] == 4).cloned().unwrap();
    assert_eq!(house4(&as_admin)["email"], "h4@example.org");
    let sub_view = house4(&as_sub);
    for key in ["email", "bio", "location"] {
        assert!(sub_view.get(key).is_none(), "{key} leaked: {sub_view}");
    }
    assert_eq!(sub_view["totalfeeds"], 2, "feeds stay visible");
    assert_eq!(check(3, "member.profile", json!({"group": 1, "user": 4}))["reason"], "not_group_admin");
}

#[test]
fn b13_roles_are_range_checked() {
    let r = route("addmemberauth", 1, json!({"groupid": "1", "username": "x", "password": "y", "role": "7"}));
    assert_eq!(message(&r), "Invalid role");
    assert_eq!(r["changes"], json!([]));
}

#[test]
fn b15_editgroup_answers_and_keeps_omitted_fields() {
    let r = route("editgroup", 3, json!({"groupid": "1", "name": "x"}));
    assert_eq!(message(&r), "You are not administrator of the group");
    let r = route("editgroup", 1, json!({"groupid": "1", "name": "community"}));
    assert_eq!(message(&r), "Group name already exists");
    let r = route("editgroup", 1, json!({"groupid": "1", "area": "Yorkshire"}));
    assert_eq!(r["changes"][0]["description"], "Installer sites", "kept verbatim, not re-filtered");
    assert_eq!(r["changes"][0]["name"], "Heatpumps");
    assert_eq!(r["changes"][0]["area"], "Yorkshire");
}

#[test]
fn b21_no_null_content_answers() {
    let r = route("nosuchroute", 1, json!({}));
    assert_eq!(r["body"], json!({"success": false, "message": "Unknown group route"}));
    let answer = call(
        json!({"op": "route", "route": "userlist", "session": {"userid": 0}, "params": {"groupid": "1"}}),
    );
    assert_eq!(answer["result"]["body"], json!({"success": false, "message": "Authentication required"}));
}

#[test]
fn b33_names_filter_but_never_to_empty_and_compare_case_insensitively() {
    let r = route("create", 1, json!({"name": "!!! ???"}));
    assert_eq!(message(&r), "Group name cannot be empty");
    let r = route("create", 1, json!({"name": "HEAT pumps"}));
    assert_eq!(message(&r), "Cannot create group,  already exists");
    let r = route_with("create", 1, json!({"name": "New Group!"}), json!({"new_groupid": 3}));
    assert_eq!(r["body"], json!({"success": true, "groupid": 3, "message": "Group 3 added"}));
    assert_eq!(r["changes"][0]["name"], "NewGroup");
}

#[test]
fn b27_duplicate_rows_keep_the_least_privileged() {
    let mut s = state();
    s["memberships"]
        .as_array_mut()
        .unwrap()
        .push(json!({"groupid": 1, "userid": 3, "role": 0, "admin_rights": "full"}));
    let answer = call(json!({"op": "check", "actor": 3, "action": "members.list", "group": 1, "state": s}));
    assert_eq!(answer["result"]["reason"], "passive_member");
}

#[test]
fn credentials_are_only_checked_for_authorised_callers() {
    // A sub-admin, a stranger and a read-only session never reach `verify_login`.
    for actor in [3, 11] {
        let r =
            route("addmemberauth", actor, json!({"groupid": "1", "username": "house4", "password": "guess"}));
        assert_eq!(r["outcome"], "done", "{r}");
    }
    let answer =
        call(json!({"op": "route", "route": "addmemberauth", "session": {"userid": 1, "read": true},
        "params": {"groupid": "1", "username": "house4", "password": "guess"}}));
    assert_eq!(answer["result"]["body"]["message"], "Write access required");
}

#[test]
fn observers_see_aggregates_never_one_members_data() {
    assert_eq!(check(9, "group.aggregate", json!({"group": 2}))["allowed"], true);
    assert_eq!(check(9, "members.list", json!({"group": 2}))["status"], "forbidden");
    assert_eq!(check(9, "feed.read", json!({"feed": 60}))["allowed"], false);
    // One household posting: the observer gets neither the sum nor a count that would say so.
    let answer = call(json!({"op": "route", "route": "aggregate", "session": session(9), "now": 1000,
        "params": {"groupid": "2", "feedname": "use"}}));
    assert_eq!(
        answer["result"]["body"],
        json!({"result": null, "count": null, "withheld": "too_few_households"})
    );
    let answer = call(json!({"op": "route", "route": "aggregate", "session": session(8), "now": 1000,
        "params": {"groupid": "2", "feedname": "use"}}));
    assert_eq!(answer["result"]["body"], json!({"result": 3.0, "count": 1}));
}

#[test]
fn statuses_distinguish_unseen_from_forbidden() {
    assert_eq!(check(11, "group.view", json!({"group": 1}))["status"], "not_found");
    assert_eq!(check(4, "group.view", json!({"group": 1}))["reason"], "passive_member");
    assert_eq!(check(7, "members.list", json!({"group": 1}))["status"], "forbidden");
    assert_eq!(check(7, "group.edit", json!({"group": 1}))["reason"], "not_group_admin");
    assert_eq!(check(1, "group.view", json!({"group": 99}))["reason"], "no_such_group");
    let d = check(1, "feed.read", json!({"feed": 40}));
    assert_eq!(
        d["chain"],
        json!([
            {"fact": "feed", "feed": 40, "owner": 4, "public": false},
            {"fact": "membership", "group": 1, "user": 1, "role": 1, "admin_rights": "full"},
            {"fact": "membership", "group": 1, "user": 4, "role": 0, "admin_rights": "full"}
        ])
    );
    assert_eq!(check(0, "feed.read", json!({"feed": 41}))["reason"], "public_feed");
    assert_eq!(check(11, "feed.read", json!({"feed": 40}))["reason"], "feed_not_shared");
}

#[test]
fn reverse_queries_are_complete() {
    let who = call(json!({"op": "who_can", "action": "feed.read", "feed": 60}));
    // Owner 6; admins 1, 2 and sub-admin 3 of group 1; admin 8 of group 2 (observer 9 is not).
    assert_eq!(who["result"], json!({"everyone": false, "users": [1, 2, 3, 6, 8]}));
    let who = call(json!({"op": "who_can", "action": "member.impersonate", "group": 1, "user": 4}));
    assert_eq!(who["result"]["users"], json!([1, 2]));
    let can = call(json!({"op": "what_can", "user": 9}));
    assert_eq!(
        can["result"]["capabilities"],
        json!([
            {"action": "group.view", "group": 2},
            {"action": "group.summary", "group": 2},
            {"action": "group.aggregate", "group": 2}
        ])
    );
}

#[test]
fn what_if_reports_gains_and_losses_person_by_person() {
    // House 6 becomes sub-administrator of group 2: it gains group 2's view and members' feeds;
    // group 1's admins lose the account actions over 6 (it now administers a group).
    let answer = call(json!({"op": "what_if", "changes": [
        {"kind": "update_membership", "groupid": 2, "userid": 6, "role": 2, "admin_rights": "full"}
    ]}));
    let diff = answer["result"]["diff"].as_array().unwrap();
    let of = |u: u64| diff.iter().find(|d| d["user"] == u).cloned().unwrap_or(json!(null));
    assert!(of(6)["gains"].as_array().unwrap().contains(&json!({"action": "members.list", "group": 2})));
    assert!(
        of(1)["loses"]
            .as_array()
            .unwrap()
            .contains(&json!({"action": "member.impersonate", "group": 1, "user": 6}))
    );
    assert_eq!(of(9), json!(null), "the observer's access does not change");
    // The same change applied for real gives the same access afterwards.
    let applied = call(json!({"op": "apply", "changes": [
        {"kind": "update_membership", "groupid": 2, "userid": 6, "role": 2, "admin_rights": "full"}
    ]}));
    let after =
        call(json!({"op": "check", "actor": 1, "action": "member.impersonate", "group": 1, "user": 6,
        "state": applied["result"]["state"]}));
    assert_eq!(after["result"]["reason"], "target_is_administrator");
}

#[test]
fn hostile_input_gets_structured_errors() {
    let cases: Vec<(String, &str)> = vec![
        ("not json".into(), "bad_json"),
        ("[1,2]".into(), "bad_request"),
        (r#"{"v":2,"op":"version"}"#.into(), "unsupported_version"),
        (r#"{"v":1,"op":"nope","state":{}}"#.into(), "unknown_op"),
        (r#"{"v":1,"op":"check","profile":"mars","state":{}}"#.into(), "unknown_profile"),
        (r#"{"v":1,"op":"check","actor":1,"action":"feed.read","feed":1}"#.into(), "missing_state"),
        (r#"{"v":1,"op":"check","actor":-1,"action":"feed.read","feed":1,"state":{}}"#.into(), "bad_request"),
        (r#"{"v":1,"op":"check","actor":1,"action":"feed.read","feed":99999999999,"state":{}}"#.into(), "bad_request"),
        (r#"{"v":1,"op":"check","actor":1,"action":"feed.read","feed":1,"extra":1,"state":{}}"#.into(), "bad_request"),
        (r#"{"v":1,"op":"check","actor":1,"action":"feed.read","feed":1,"state":{"groups":[{"id":1},{"id":1}]}}"#.into(), "invalid_state"),
        (r#"{"v":1,"op":"check","actor":1,"action":"feed.read","feed":1,"state":{"users":[{"id":1,"password":"x"}]}}"#.into(), "invalid_state"),
        (format!(r#"{{"v":1,"op":"version","x":{}{}}}"#, "[".repeat(100_000), "]".repeat(100_000)), "too_deep"),
        // Too deep wherever it is: before `state` must be an object, in a feed row's unknown
        // field or in a feeds list that is not one, in a request that is an array.
        (format!(r#"{{"v":1,"op":"check","state":{}{}}}"#, "[".repeat(100_000), "]".repeat(100_000)), "too_deep"),
        (format!(r#"{{"v":1,"op":"check","state":{{"feeds":{}{}}}}}"#, "[".repeat(100_000), "]".repeat(100_000)), "too_deep"),
        (format!(r#"{{"v":1,"op":"check","state":{{"feeds":[{{"id":1,"userid":1,"x":{}{}}}]}}}}"#, "[".repeat(200), "]".repeat(200)), "too_deep"),
        (format!(r#"{{"v":1,"op":"check","state":{{"feeds":{{"a":{}{}}}}}}}"#, "[".repeat(200), "]".repeat(200)), "too_deep"),
        (format!(r#"{{"v":1,"op":"check","state":{{"x":{}{}}}}}"#, "[".repeat(200), "]".repeat(200)), "too_deep"),
        (format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)), "too_deep"),
    ];
    for (request, code) in cases {
        let answer: Value = serde_json::from_str(&emongroups_core::call(&request)).unwrap();
        assert_eq!(answer["ok"], false, "{request:.80}");
        assert_eq!(answer["error"]["code"], code, "{request:.80} -> {answer}");
    }
    // A 10 MB name is refused by validation, not by a crash.
    let huge = "a".repeat(10 * 1024 * 1024);
    let r = route_with("create", 1, json!({"name": huge}), json!({"new_groupid": 3}));
    assert_eq!(message(&r), "Group name too long (max 64 characters)");
    // Invalid UTF-8 cannot reach `call` (it takes &str); the doors turn it into `bad_json`.
}

#[test]
fn every_reason_code_and_route_has_a_conformance_vector() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../host-tests/vectors/emoncms");
    let mut text = String::new();
    for entry in std::fs::read_dir(&dir).expect("vectors folder") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "json") {
            text.push_str(&std::fs::read_to_string(&path).expect("vector file"));
        }
    }
    let compact: String = text.split_whitespace().collect();
    for reason in emongroups_core::Reason::ALL {
        let needle = format!("\"reason\":\"{}\"", reason.code());
        assert!(compact.contains(&needle), "no vector expects reason `{}`", reason.code());
    }
    for route in [
        "create",
        "editgroup",
        "delete",
        "deleteallgroupsfromuser",
        "addmemberauth",
        "adduserauth",
        "createuseraddtogroup",
        "removeuser",
        "fullremoveuser",
        "setuserinfo",
        "sendlogindetails",
        "setuser",
        "logasprevioususer",
        "grouplist",
        "userlist",
        "mygroups",
        "getuserfeeds",
        "getsessionuserrole",
        "getfeed",
        "csvexport",
        "aggregate",
        "summary",
    ] {
        assert!(compact.contains(&format!("\"route\":\"{route}\"")), "no vector drives route `{route}`");
    }
}

#[test]
fn error_messages_never_echo_huge_input() {
    let key = "k".repeat(10 * 1024 * 1024);
    let request =
        format!(r#"{{"v":1,"op":"check","actor":1,"action":"feed.read","feed":1,"{key}":1,"state":{{}}}}"#);
    let answer: Value = serde_json::from_str(&emongroups_core::call(&request)).unwrap();
    assert_eq!(answer["error"]["code"], "bad_request");
    assert!(
        answer["error"]["message"].as_str().unwrap().chars().count() <= 301,
        "{:.200}",
        answer["error"]["message"]
    );
    let op = "o".repeat(1_000_000);
    let answer: Value =
        serde_json::from_str(&emongroups_core::call(&format!(r#"{{"v":1,"op":"{op}","state":{{}}}}"#)))
            .unwrap();
    assert!(answer["error"]["message"].as_str().unwrap().len() < 200);
}

#[test]
fn each_profile_has_at_least_its_required_vector_steps() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../host-tests/vectors");
    for (profile, required) in [("emoncms", 200), ("home", 80), ("buildings", 80)] {
        let mut steps = 0;
        for entry in std::fs::read_dir(root.join(profile)).expect("vectors folder") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "json") {
                let file: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                assert_eq!(file["profile"], profile, "{}", path.display());
                steps += file["steps"].as_array().map_or(0, Vec::len);
            }
        }
        assert!(steps >= required, "{profile}: {steps} steps, {required} required");
    }
}

#[test]
fn the_state_is_an_object_and_version_takes_no_fields() {
    assert_eq!(
        emongroups_core::Engine::from_state_json("emoncms", "[]").unwrap_err().code().as_str(),
        "invalid_state"
    );
    let answer: Value =
        serde_json::from_str(&emongroups_core::call(r#"{"v":1,"op":"version","pad":1}"#)).unwrap();
    assert_eq!(answer["error"]["code"], "bad_request");
    let answer: Value =
        serde_json::from_str(&emongroups_core::call(r#"{"v":1,"op":"check","state":[]}"#)).unwrap();
    assert_eq!(answer["error"]["code"], "bad_request");
}

#[test]
fn outlying_ids_do_not_allocate_tables_their_size() {
    // A member and a feed owner with ids near 2^31 and no users row: the engine stays small and
    // answers (the wasm build used to trap allocating a 8 GB table).
    let state = json!({
        "groups": [{"id": 1, "name": "g"}],
        "memberships": [{"groupid": 1, "userid": 1, "role": 1, "admin_rights": "full"},
                        {"groupid": 1, "userid": 2147480000u32, "role": 0, "admin_rights": "full"}],
        "users": [{"id": 1, "username": "a"}],
        "feeds": [{"id": 5, "userid": 2147483000u32, "public": false}, {"id": 6, "userid": 2147480000u32}]
    });
    let answer =
        call(json!({"op": "check", "actor": 1, "action": "feed.read", "feed": 6, "state": state.clone()}));
    assert_eq!(answer["result"]["reason"], "role_permits", "{answer}");
    let answer = call(json!({"op": "check", "actor": 1, "action": "feed.read", "feed": 5, "state": state}));
    assert_eq!(answer["result"]["reason"], "feed_not_shared", "{answer}");
}

#[test]
fn mutated_vector_requests_are_answered_never_crash() {
    // Every vector request with its state, mutated byte-wise (replace, delete, splice in hostile
    // tokens): each answer is JSON with a boolean `ok`, and nothing is an `internal` error.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../host-tests/vectors");
    let mut requests = Vec::new();
    for profile in ["emoncms", "home", "buildings"] {
        for entry in std::fs::read_dir(root.join(profile)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let file: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            for step in file["steps"].as_array().unwrap() {
                let mut r = step["request"].clone();
                r["v"] = json!(1);
                r["profile"] = json!(profile);
                r["state"] = file["state"].clone();
                requests.push(r.to_string());
            }
        }
    }
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let tokens: [&[u8]; 8] = [b"-1", b"4294967296", b"null", b"[]", b"{}", b"\"\"", b"1e308", b"\"\\ud800\""];
    let mut answered = 0;
    for round in 0..2 {
        for r in &requests {
            let mut b = r.as_bytes().to_vec();
            for _ in 0..=round {
                let i = (rnd() as usize) % b.len();
                match rnd() % 3 {
                    0 => b[i] = (rnd() % 256) as u8,
                    1 => {
                        b.remove(i);
                    }
                    _ => {
                        let t = tokens[(rnd() % 8) as usize];
                        b.splice(i..i, t.iter().copied());
                    }
                }
            }
            let Ok(text) = String::from_utf8(b) else { continue };
            let answer: Value = serde_json::from_str(&emongroups_core::call(&text)).expect("answer is JSON");
            assert!(answer["ok"].is_boolean(), "{answer}");
            assert_ne!(answer["error"]["code"], "internal", "{text:.300}");
            answered += 1;
        }
    }
    assert!(answered > 1_000, "{answered}");
}

/// A request's text with `profile` first (what the PHP module sends: `call` reads the state in one
/// pass) or last (after `state`: `call` reads it the ordinary way, a tree first).
fn request_text(request: &Value, profile_first: bool) -> String {
    let body: Vec<String> = request
        .as_object()
        .expect("an object")
        .iter()
        .filter(|(k, _)| *k != "profile")
        .map(|(k, v)| format!("{}:{v}", Value::from(k.as_str())))
        .collect();
    if profile_first {
        format!(r#"{{"profile":"emoncms",{}}}"#, body.join(","))
    } else {
        format!(r#"{{{},"profile":"emoncms"}}"#, body.join(","))
    }
}

fn answer_of(text: &str) -> Value {
    serde_json::from_str(text).expect("the engine always answers JSON")
}

/// Requests on the shared state, and on states and envelopes the engine must refuse.
fn one_pass_requests() -> Vec<Value> {
    let mut out = Vec::new();
    for (route, params) in [
        ("userlist", json!({"groupid": "1"})),
        ("mygroups", json!({})),
        ("grouplist", json!({})),
        ("getuserfeeds", json!({"groupid": "1", "userid": "4"})),
        ("summary", json!({"groupid": "2"})),
        ("getfeed", json!({"id": "40", "start": "0", "end": "10", "interval": "1", "subaction": "data"})),
        ("csvexport", json!({"groupid": "1", "id": "40,41", "start": "0", "end": "10", "interval": "1"})),
        ("removeuser", json!({"groupid": "1", "userid": "5"})),
        ("userlist", json!({"groupid": "x"})),
    ] {
        for userid in [1, 3, 6, 9, 11] {
            out.push(json!({"v": 1, "op": "route", "route": route, "session": session(userid),
                "params": params, "state": state(), "now": 1000}));
        }
    }
    let mut bad_feed = state();
    bad_feed["feeds"][1] = json!({"id": 41, "name": "no owner"});
    let mut unknown = state();
    unknown["extra"] = json!([]);
    let base = json!({"v": 1, "op": "route", "route": "userlist", "session": session(1), "params": {"groupid": "1"}});
    for bad_state in [bad_feed, unknown, json!([]), json!(null), json!({"feeds": {}})] {
        let mut r = base.clone();
        r["state"] = bad_state;
        out.push(r);
    }
    for (k, v) in [
        ("v", json!(2)),
        ("op", json!(7)),
        ("op", json!("apply")),
        ("op", json!("version")),
        ("params", json!([])),
    ] {
        let mut r = base.clone();
        r["state"] = state();
        r[k] = v;
        out.push(r);
    }
    out
}

#[test]
fn the_state_read_in_one_pass_answers_as_the_ordinary_way() {
    let mut refused = 0;
    for request in one_pass_requests() {
        let fast = answer_of(&emongroups_core::call(&request_text(&request, true)));
        let slow = answer_of(&emongroups_core::call(&request_text(&request, false)));
        assert_eq!(fast, slow, "request {request}");
        refused += usize::from(fast["ok"] == false);
    }
    assert!(refused >= 8, "the refusals are compared too ({refused})");
    // A key twice, a state before the profile, text after the object: the ordinary way's answers.
    let one = request_text(&one_pass_requests()[0], true);
    let twice = one.replacen(r#""state":"#, r#""state":{},"state":"#, 1);
    assert_eq!(answer_of(&emongroups_core::call(&twice))["ok"], true, "the last `state` counts, as before");
    let trailing = format!("{one} x");
    assert_eq!(answer_of(&emongroups_core::call(&trailing))["error"]["code"], "bad_json");
}

#[test]
fn call_apart_writes_the_json_body_apart_and_nothing_else_changes() {
    let mut apart = 0;
    for request in one_pass_requests() {
        let text = request_text(&request, true);
        let whole = answer_of(&emongroups_core::call(&text));
        let (head, body) = emongroups_core::call_apart(&text);
        let mut head = answer_of(&head);
        match body {
            Some(body) => {
                assert_eq!(head["result"]["format"], "json", "{request}");
                assert_eq!(head["result"]["body"], Value::Null);
                head["result"]["body"] = answer_of(&body);
                apart += 1;
            }
            None => assert!(
                whole["ok"] == false
                    || whole["result"]["outcome"] != "done"
                    || whole["result"]["format"] != "json",
                "{whole}"
            ),
        }
        assert_eq!(head, whole, "request {request}");
    }
    assert!(apart >= 20, "{apart} bodies written apart");
}

#[test]
fn feed_rows_reach_the_answer_as_the_host_wrote_them() {
    // The row's own text (key order, a key the engine does not know, a number's spelling) is
    // what userlist gives back.
    let mut s = state();
    s["feeds"] = json!([{"value": 1.50, "time": 1000, "name": "use", "id": 40, "userid": 4, "public": 0, "engine": "5"}]);
    let text = request_text(
        &json!({"v": 1, "op": "route", "route": "userlist", "session": session(1),
        "params": {"groupid": "1"}, "state": s}),
        true,
    )
    .replace(r#""value":1.5,"#, r#""value":1.50,"#);
    let answer = emongroups_core::call(&text);
    assert!(
        answer.contains(
            r#"{"value":1.50,"time":1000,"name":"use","id":40,"userid":4,"public":0,"engine":"5"}"#
        ),
        "{answer}"
    );
    // With the profile after the state, the same: a state is always read from its text.
    let late = text.replacen(r#""profile":"emoncms","#, "", 1);
    let late = format!("{},\"profile\":\"emoncms\"}}", &late[..late.len() - 1]);
    let answer = emongroups_core::call(&late);
    assert!(answer.contains(r#""value":1.50,"#), "{answer}");
}
