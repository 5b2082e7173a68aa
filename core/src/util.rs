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
#[allow(clippy::ptr_arg, reason = "the same signature as the native twin")]
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

/// Sorts `order` stably by `cmp`: a bottom-up merge sort, a few hundred bytes of wasm where the
/// standard library's sort of `u32` with its sorting networks was over 10 KB.
#[inline(never)]
fn sort_indices(order: &mut [u32], cmp: &dyn Fn(u32, u32) -> Ordering) {
    let n = order.len();
    let mut from = order.to_vec();
    let mut into = vec![0u32; n];
    let mut width = 1;
    while width < n {
        let mut start = 0;
        while start < n {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            let (mut i, mut j) = (start, mid);
            for slot in &mut into[start..end] {
                // The left run wins ties: stable.
                if j >= end || (i < mid && cmp(from[j], from[i]) != Ordering::Less) {
                    *slot = from[i];
                    i += 1;
                } else {
                    *slot = from[j];
                    j += 1;
                }
            }
            start = end;
        }
        std::mem::swap(&mut from, &mut into);
        width *= 2;
    }
    order.copy_from_slice(&from);
}

/// The positions `0..n` in the order `cmp` puts them (stable). Sorting positions rather than
/// rows, pairs or capabilities means the shared sort reorders only `usize`s: one copy serves all.
pub(crate) fn sorted(n: usize, cmp: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    sort_by(&mut order, |&a, &b| cmp(a, b));
    order
}

/// [`sorted`], and for each of the `n` items whether an earlier one is equal to it (found by
/// sorting, so a long list costs n log n, not n²).
pub(crate) fn repeats(n: usize, cmp: &dyn Fn(usize, usize) -> Ordering) -> (Vec<usize>, Vec<bool>) {
    let order = sorted(n, cmp);
    // Stable: equal items keep their order, so the first of each run is the first occurrence.
    let mut repeated = vec![false; n];
    for pair in order.windows(2) {
        if cmp(pair[0], pair[1]).is_eq() {
            repeated[pair[1]] = true;
        }
    }
    (order, repeated)
}

/// `s` as a `String`: one shared copy of the allocation, where `to_string` is inlined at each
/// call (the profiles build their tables from many constant strings).
#[inline(never)]
pub(crate) fn owned(s: &str) -> String {
    s.to_string()
}

/// The owned copies of `list`.
pub(crate) fn owned_all(list: &[&str]) -> Vec<String> {
    let mut out = Vec::with_capacity(list.len());
    for s in list {
        out.push(owned(s));
    }
    out
}

/// `s` under simple Unicode case folding: each character's one-character lowercase (`ς` as `σ`),
/// for comparing names as a case-insensitive MariaDB collation does. The table below holds the
/// same mappings as the standard library's `char::to_lowercase` (a test checks every character)
/// in 1.5 KB: `str::to_lowercase` brought 16 KB of tables and code into the WebAssembly module.
pub(crate) fn fold_case(s: &str) -> String {
    s.chars().map(fold_char).collect()
}

fn fold_char(c: char) -> char {
    let u = c as u32;
    if u < 0x80 {
        return c.to_ascii_lowercase();
    }
    // The last run starting at or before `u`.
    let i = FOLD.partition_point(|&(run, _)| run & 0x1f_ffff <= u);
    let Some(&(run, delta)) = i.checked_sub(1).and_then(|i| FOLD.get(i)) else {
        return c;
    };
    let (first, len, step) = (run & 0x1f_ffff, (run >> 21) & 0xff, (run >> 29) + 1);
    let off = u - first;
    if !off.is_multiple_of(step) || off / step > len {
        return c;
    }
    char::from_u32(u.wrapping_add_signed(delta)).unwrap_or(c)
}

/// Runs of characters that fold by the same offset: `first | count - 1 << 21 | step - 1 << 29`
/// (every `step`-th character from `first`), and the offset. Generated from
/// `char::to_lowercase`; `fold_table_matches_the_standard_library` checks it.
#[rustfmt::skip]
const FOLD: [(u32, i32); 186] = [
    (0x03200041, 32), (0x02c000c0, 32), (0x00c000d8, 32), (0x22e00100, 1), (0x20400132, 1),
    (0x20e00139, 1), (0x22c0014a, 1), (0x00000178, -121), (0x20400179, 1), (0x00000181, 210),
    (0x20200182, 1), (0x00000186, 206), (0x00000187, 1), (0x00200189, 205), (0x0000018b, 1),
    (0x0000018e, 79), (0x0000018f, 202), (0x00000190, 203), (0x00000191, 1), (0x00000193, 205),
    (0x00000194, 207), (0x00000196, 211), (0x00000197, 209), (0x00000198, 1), (0x0000019c, 211),
    (0x0000019d, 213), (0x0000019f, 214), (0x204001a0, 1), (0x000001a6, 218), (0x000001a7, 1),
    (0x000001a9, 218), (0x000001ac, 1), (0x000001ae, 218), (0x000001af, 1), (0x002001b1, 217),
    (0x202001b3, 1), (0x000001b7, 219), (0x000001b8, 1), (0x000001bc, 1), (0x000001c4, 2),
    (0x000001c5, 1), (0x000001c7, 2), (0x000001c8, 1), (0x000001ca, 2), (0x210001cb, 1), (0x210001de, 1),
    (0x000001f1, 2), (0x202001f2, 1), (0x000001f6, -97), (0x000001f7, -56), (0x226001f8, 1),
    (0x00000220, -130), (0x21000222, 1), (0x0000023a, 10795), (0x0000023b, 1), (0x0000023d, -163),
    (0x0000023e, 10792), (0x00000241, 1), (0x00000243, -195), (0x00000244, 69), (0x00000245, 71),
    (0x20800246, 1), (0x20200370, 1), (0x00000376, 1), (0x0000037f, 116), (0x00000386, 38),
    (0x00400388, 37), (0x0000038c, 64), (0x0020038e, 63), (0x02000391, 32), (0x010003a3, 32),
    (0x000003c2, 1), (0x000003cf, 8), (0x216003d8, 1), (0x000003f4, -60), (0x000003f7, 1),
    (0x000003f9, -7), (0x000003fa, 1), (0x004003fd, -130), (0x01e00400, 80), (0x03e00410, 32),
    (0x22000460, 1), (0x2340048a, 1), (0x000004c0, 15), (0x20c004c1, 1), (0x25e004d0, 1),
    (0x04a00531, 48), (0x04a010a0, 7264), (0x000010c7, 7264), (0x000010cd, 7264), (0x09e013a0, 38864),
    (0x00a013f0, 8), (0x00001c89, 1), (0x05401c90, -3008), (0x00401cbd, -3008), (0x29401e00, 1),
    (0x00001e9e, -7615), (0x25e01ea0, 1), (0x00e01f08, -8), (0x00a01f18, -8), (0x00e01f28, -8),
    (0x00e01f38, -8), (0x00a01f48, -8), (0x20601f59, -8), (0x00e01f68, -8), (0x00e01f88, -8),
    (0x00e01f98, -8), (0x00e01fa8, -8), (0x00201fb8, -8), (0x00201fba, -74), (0x00001fbc, -9),
    (0x00601fc8, -86), (0x00001fcc, -9), (0x00201fd8, -8), (0x00201fda, -100), (0x00201fe8, -8),
    (0x00201fea, -112), (0x00001fec, -7), (0x00201ff8, -128), (0x00201ffa, -126), (0x00001ffc, -9),
    (0x00002126, -7517), (0x0000212a, -8383), (0x0000212b, -8262), (0x00002132, 28), (0x01e02160, 16),
    (0x00002183, 1), (0x032024b6, 26), (0x05e02c00, 48), (0x00002c60, 1), (0x00002c62, -10743),
    (0x00002c63, -3814), (0x00002c64, -10727), (0x20402c67, 1), (0x00002c6d, -10780),
    (0x00002c6e, -10749), (0x00002c6f, -10783), (0x00002c70, -10782), (0x00002c72, 1), (0x00002c75, 1),
    (0x00202c7e, -10815), (0x26202c80, 1), (0x20202ceb, 1), (0x00002cf2, 1), (0x22c0a640, 1),
    (0x21a0a680, 1), (0x20c0a722, 1), (0x23c0a732, 1), (0x2020a779, 1), (0x0000a77d, -35332),
    (0x2080a77e, 1), (0x0000a78b, 1), (0x0000a78d, -42280), (0x2020a790, 1), (0x2120a796, 1),
    (0x0000a7aa, -42308), (0x0000a7ab, -42319), (0x0000a7ac, -42315), (0x0000a7ad, -42305),
    (0x0000a7ae, -42308), (0x0000a7b0, -42258), (0x0000a7b1, -42282), (0x0000a7b2, -42261),
    (0x0000a7b3, 928), (0x20e0a7b4, 1), (0x0000a7c4, -48), (0x0000a7c5, -42307), (0x0000a7c6, -35384),
    (0x2020a7c7, 1), (0x0000a7cb, -42343), (0x20e0a7cc, 1), (0x0000a7dc, -42561), (0x0000a7f5, 1),
    (0x0320ff21, 32), (0x04e10400, 40), (0x046104b0, 40), (0x01410570, 39), (0x01c1057c, 39),
    (0x00c1058c, 39), (0x00210594, 39), (0x06410c80, 64), (0x02a10d50, 32), (0x03e118a0, 32),
    (0x03e16e40, 32), (0x03016ea0, 27), (0x0421e900, 34),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shared_sort_is_a_stable_sort() {
        // A small deterministic generator: many ties, every length up to 40 and a few longer.
        let mut seed = 7u32;
        for n in (0..40).chain([100, 257, 1000]) {
            let v: Vec<(u32, usize)> = (0..n)
                .map(|i| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    ((seed >> 16) % 5, i)
                })
                .collect();
            let mut ours = v.clone();
            shared_sort_by(&mut ours, |a, b| a.0.cmp(&b.0));
            let mut std = v;
            std.sort_by_key(|a| a.0);
            assert_eq!(ours, std, "length {n}");
        }
    }

    #[test]
    fn fold_table_matches_the_standard_library() {
        for u in 0..=0x10_ffffu32 {
            let Some(c) = char::from_u32(u) else { continue };
            let mut lower = c.to_lowercase();
            let expected = match (lower.next(), lower.next()) {
                _ if c == 'ς' => 'σ',
                (Some(l), None) => l,
                _ => c,
            };
            assert_eq!(fold_char(c), expected, "U+{u:04X}");
        }
        assert_eq!(fold_case("ViaKey ÄÖÜ ΟΔΟΣ İ"), "viakey äöü οδοσ İ");
        assert_eq!(fold_case("οδος"), fold_case("ΟΔΟΣ"));
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
