//! Small shared helpers kept non-generic where it matters for the WebAssembly size.

use std::cmp::Ordering;

/// Sorts `v` stably by `cmp`. Natively this is the standard library's stable sort. On wasm32,
/// one sort of `u32` indices through a `dyn` comparator is shared by every caller: each
/// `sort_by` on its own element type and comparator would add its own copy of the standard
/// library's sort (about 3 KB each in the module), while natively the indirection costs up to 4x
/// in what_can (measured: 29 µs vs 115 µs median).
#[cfg(not(target_arch = "wasm32"))]
#[allow(clippy::ptr_arg, reason = "the same signature as the wasm32 twin, which needs the Vec")]
pub(crate) fn sort_by<T>(v: &mut Vec<T>, cmp: impl Fn(&T, &T) -> Ordering) {
    v.sort_by(cmp);
}

/// Sorts `v` stably by `cmp` (the shared, size-saving sort; see the native twin above).
#[cfg(target_arch = "wasm32")]
pub(crate) fn sort_by<T>(v: &mut Vec<T>, cmp: impl Fn(&T, &T) -> Ordering) {
    if v.len() < 2 {
        return;
    }
    let mut order: Vec<u32> = (0..v.len() as u32).collect();
    sort_indices(&mut order, &|a, b| cmp(&v[a as usize], &v[b as usize]));
    let mut slots: Vec<Option<T>> = v.drain(..).map(Some).collect();
    v.extend(order.iter().filter_map(|&i| slots.get_mut(i as usize).and_then(Option::take)));
}

/// Sorts `v` by its natural order (stable; for the total orders used here the same as unstable).
pub(crate) fn sort<T: Ord>(v: &mut Vec<T>) {
    sort_by(v, T::cmp);
}

/// Sorts `v` stably by the key `key` gives.
pub(crate) fn sort_by_key<T, K: Ord>(v: &mut Vec<T>, key: impl Fn(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

#[cfg(target_arch = "wasm32")]
#[inline(never)]
fn sort_indices(order: &mut [u32], cmp: &dyn Fn(u32, u32) -> Ordering) {
    // Ties broken by position: stable.
    order.sort_unstable_by(|&a, &b| cmp(a, b).then(a.cmp(&b)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_stably() {
        let mut v = vec![(3, 'a'), (1, 'b'), (3, 'c'), (2, 'd'), (1, 'e')];
        sort_by_key(&mut v, |x| x.0);
        assert_eq!(v, vec![(1, 'b'), (1, 'e'), (2, 'd'), (3, 'a'), (3, 'c')]);
        let mut w = vec!["b".to_string(), "a".to_string(), "c".to_string()];
        sort(&mut w);
        assert_eq!(w, vec!["a", "b", "c"]);
        let mut e: Vec<u8> = vec![];
        sort(&mut e);
        assert!(e.is_empty());
    }
}
