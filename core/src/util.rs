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
    shared_sort_by(v, cmp);
}

/// The wasm32 [`sort_by`]; compiled natively too, for its tests.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn shared_sort_by<T>(v: &mut [T], cmp: impl Fn(&T, &T) -> Ordering) {
    if v.len() < 2 {
        return;
    }
    let mut target = sorted_positions(v.len(), &|a, b| cmp(&v[a], &v[b]));
    // Each swap puts the item at `i` where it belongs; the loop is all that is copied per type.
    for i in 0..v.len() {
        while target[i] as usize != i {
            let j = target[i] as usize;
            v.swap(i, j);
            target.swap(i, j);
        }
    }
}

/// Where each of `n` items goes when sorted stably by `cmp` (shared by every [`sort_by`]).
#[inline(never)]
fn sorted_positions(n: usize, cmp: &dyn Fn(usize, usize) -> Ordering) -> Vec<u32> {
    let mut order: Vec<u32> = (0..n as u32).collect();
    sort_indices(&mut order, &|a, b| cmp(a as usize, b as usize));
    let mut target = vec![0u32; n];
    for (place, &item) in order.iter().enumerate() {
        target[item as usize] = place as u32;
    }
    target
}

/// Sorts `v` by its natural order (stable; for the total orders used here the same as unstable).
pub(crate) fn sort<T: Ord>(v: &mut Vec<T>) {
    sort_by(v, T::cmp);
}

/// Sorts `v` stably by the key `key` gives.
pub(crate) fn sort_by_key<T, K: Ord>(v: &mut Vec<T>, key: impl Fn(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

#[inline(never)]
fn sort_indices(order: &mut [u32], cmp: &dyn Fn(u32, u32) -> Ordering) {
    // Ties broken by position: stable.
    order.sort_unstable_by(|&a, &b| cmp(a, b).then(a.cmp(&b)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shared_sort_is_a_stable_sort() {
        // A small deterministic generator: many ties, every length up to 40.
        let mut seed = 7u32;
        for n in 0..40 {
            let v: Vec<(u32, usize)> = (0..n)
                .map(|i| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    ((seed >> 16) % 5, i)
                })
                .collect();
            let mut ours = v.clone();
            shared_sort_by(&mut ours, |a, b| a.0.cmp(&b.0));
            let mut std = v;
            std.sort_by(|a, b| a.0.cmp(&b.0));
            assert_eq!(ours, std, "length {n}");
        }
    }

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
