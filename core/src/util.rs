//! Small shared helpers.

use std::cmp::Ordering;

/// The positions `0..n` in the order `cmp` puts them (stable).
pub(crate) fn sorted(n: usize, cmp: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| cmp(a, b));
    order
}

/// [`sorted`], and for each of the `n` items whether an earlier one is equal to it (found by
/// sorting, so a long list costs n log n, not n²).
pub(crate) fn repeats(n: usize, cmp: &dyn Fn(usize, usize) -> Ordering) -> (Vec<usize>, Vec<bool>) {
    let order = sorted(n, cmp);
    // Stable: equal items keep their order, so the first of each run is the first occurrence.
    let mut repeated = vec![false; n];
    for pair in order.windows(2) {
        if let [a, b] = *pair
            && cmp(a, b).is_eq()
            && let Some(r) = repeated.get_mut(b)
        {
            *r = true;
        }
    }
    (order, repeated)
}

/// `s` as a `String`.
pub(crate) fn owned(s: &str) -> String {
    s.to_string()
}

/// The owned copies of `list`.
pub(crate) fn owned_all(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// `s` under simple Unicode case folding: each character's one-character lowercase (`ς` as `σ`),
/// for comparing names as a case-insensitive MariaDB collation does.
pub(crate) fn fold_case(s: &str) -> String {
    s.chars().map(fold_char).collect()
}

/// A character's lowercase when it is one character (`İ`, whose lowercase is two, stays), with
/// final sigma folded as sigma.
fn fold_char(c: char) -> char {
    if c == 'ς' {
        return 'σ';
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// Cuts user input quoted in a message so a 10 MB string does not become a 10 MB message.
pub(crate) fn truncate(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => format!("{}…", s.get(..i).unwrap_or_default()),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_as_the_collation_compares() {
        assert_eq!(fold_case("ViaKey ÄÖÜ ΟΔΟΣ İ"), "viakey äöü οδοσ İ");
        assert_eq!(fold_case("οδος"), fold_case("ΟΔΟΣ"));
    }

    #[test]
    fn finds_repeats_in_order() {
        let v = [3, 1, 3, 2, 1];
        let (order, repeated) = repeats(v.len(), &|a, b| v[a].cmp(&v[b]));
        assert_eq!(order, vec![1, 4, 3, 0, 2]);
        assert_eq!(repeated, vec![false, false, true, false, true]);
        assert_eq!(truncate("abcdef", 3), "abc…");
        assert_eq!(truncate("ab", 3), "ab");
    }
}
