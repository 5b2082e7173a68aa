use super::*;

#[test]
fn name_filter_matches_2_0_0() {
    assert_eq!(filter_name("My Group!"), "MyGroup");
    assert_eq!(filter_name("Heat pumps study"), "Heatpumpsstudy");
    assert_eq!(filter_name("N/A"), "NA");
    assert_eq!(filter_name("Ŵärme_pümpen-2:x"), "Ŵärme_pümpen-2:x");
    assert_eq!(filter_name("<script>"), "script");
}

#[test]
fn ids_parse_strictly() {
    assert_eq!(parse_id("12"), Some(12));
    for bad in ["", "0", "-1", "1abc", " 1", "1 ", "2147483648", "99999999999", "1.0", "+1"] {
        assert_eq!(parse_id(bad), None, "{bad:?}");
    }
}

#[test]
fn templates_fill_as_chained_replaces() {
    let values = [("{{x}}", "<{{y}}>"), ("{{y}}", "é&"), ("{{z}}", "")];
    for t in ["", "{{x}}", "a{{x}}b{{x}}{{y}}{{z}}", "{{{x}}}}", "{{y", "ü{{y}}ü"] {
        let escaped = t.replace("{{x}}", "&lt;{{y}}&gt;").replace("{{y}}", "é&amp;").replace("{{z}}", "");
        assert_eq!(fill(t.to_string(), &values, true), escaped, "{t:?}");
        let plain = t.replace("{{x}}", "<{{y}}>").replace("{{y}}", "é&").replace("{{z}}", "");
        assert_eq!(fill(t.to_string(), &values, false), plain, "{t:?}");
    }
}

#[test]
fn emails() {
    assert!(valid_email("a.b@example.org"));
    for bad in ["", "a", "a@b", "a@.org", "a b@x.org", "@x.org", "a@@x.org", "a@x."] {
        assert!(!valid_email(bad), "{bad:?}");
    }
}

#[test]
fn numbers() {
    assert_eq!(parse_number("1700000000000"), Some(json!(1700000000000i64)));
    assert_eq!(parse_number("-5"), Some(json!(-5)));
    assert_eq!(parse_number("2.5"), Some(json!(2.5)));
    for bad in ["", "abc", "1e5", "1.2.3", "NaN", "-"] {
        assert_eq!(parse_number(bad), None, "{bad:?}");
    }
}
