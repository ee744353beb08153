//! Day 4 — partial quicksort: sort only the part of an array that a window needs.
//!
//! `GEOSEARCH ... COUNT 10` over 5,000 points wants the 10 nearest, in order; sorting all
//! 5,000 is wasted work. Redis uses `pqsort` (its `pqsort.c`, NetBSD's quicksort with one
//! change): after partitioning around a pivot, it recurses only into the parts that overlap
//! the wanted window `[lo, hi]`, so what lies outside it stays unsorted.
//!
//! The standard library has `select_nth_unstable_by` (then sort the prefix), which does the
//! same job. This module ports Redis's algorithm step for step instead, for one reason:
//! among points at the *same* distance, the order a quicksort leaves depends on every swap
//! it made, and clients see that order. Ported exactly, `COUNT` answers list equidistant
//! points in the order Redis lists them.

use std::cmp::Ordering;

// ANCHOR: pqsort
/// Sorts `v` by `cmp` enough that positions `lo..=hi` hold what a full sort would put
/// there, in order (Redis's `pqsort(a, n, size, cmp, lo, hi)`).
pub fn pqsort<T>(v: &mut [T], cmp: impl Fn(&T, &T) -> Ordering, lo: usize, hi: usize) {
    let len = v.len();
    sort_part(v, &cmp, 0, len, lo, hi);
}

/// Partially sorts `v[base..base + n]` for the window `lo..=hi` (positions in `v`).
fn sort_part<T>(
    v: &mut [T],
    cmp: &impl Fn(&T, &T) -> Ordering,
    mut base: usize,
    mut n: usize,
    lo: usize,
    hi: usize,
) {
    let c = |v: &[T], i: usize, j: usize| cmp(&v[i], &v[j]);
    // Does the part [start, start + len) overlap the window?
    let overlaps = |start: usize, len: usize| !(hi < start || lo >= start + len);
    loop {
        if n < 7 {
            // Insertion sort for small parts.
            for m in base + 1..base + n {
                let mut l = m;
                while l > base && c(v, l - 1, l) == Ordering::Greater {
                    v.swap(l, l - 1);
                    l -= 1;
                }
            }
            return;
        }
        // The pivot: the middle element, or a median of three (of three medians when big).
        let mut m = base + n / 2;
        if n > 7 {
            let mut l = base;
            let mut r = base + n - 1;
            if n > 40 {
                let d = n / 8;
                l = med3(v, &c, l, l + d, l + 2 * d);
                m = med3(v, &c, m - d, m, m + d);
                r = med3(v, &c, r - 2 * d, r - d, r);
            }
            m = med3(v, &c, l, m, r);
        }
        v.swap(base, m);
        // Partition into [= pivot | < pivot | > pivot | = pivot] (Bentley-McIlroy).
        let (mut a, mut b) = (base + 1, base + 1);
        let (mut cc, mut d) = (base + n - 1, base + n - 1);
        loop {
            while b <= cc {
                match c(v, b, base) {
                    Ordering::Greater => break,
                    Ordering::Equal => {
                        v.swap(a, b);
                        a += 1;
                    }
                    Ordering::Less => {}
                }
                b += 1;
            }
            while b <= cc {
                match c(v, cc, base) {
                    Ordering::Less => break,
                    Ordering::Equal => {
                        v.swap(cc, d);
                        d -= 1;
                    }
                    Ordering::Greater => {}
                }
                cc -= 1;
            }
            if b > cc {
                break;
            }
            v.swap(b, cc);
            b += 1;
            cc -= 1;
        }
        // Move the pivot-equal ends into the middle.
        let end = base + n;
        let r = (a - base).min(b - a);
        swap_ranges(v, base, b - r, r);
        let r = (d - cc).min(end - d - 1);
        swap_ranges(v, b, end - r, r);
        // Recurse into the smaller-than part, loop on the greater-than part: only where
        // they overlap the window.
        let r = b - a;
        if r > 1 && overlaps(base, r) {
            sort_part(v, cmp, base, r, lo, hi);
        }
        let r = d - cc;
        if r > 1 && overlaps(end - r, r) {
            base = end - r;
            n = r;
            continue;
        }
        return;
    }
}
// ANCHOR_END: pqsort

/// The index of the median of three elements, as Redis's `med3` picks it.
fn med3<T>(
    v: &[T],
    c: &impl Fn(&[T], usize, usize) -> Ordering,
    a: usize,
    b: usize,
    d: usize,
) -> usize {
    if c(v, a, b) == Ordering::Less {
        if c(v, b, d) == Ordering::Less {
            b
        } else if c(v, a, d) == Ordering::Less {
            d
        } else {
            a
        }
    } else if c(v, b, d) == Ordering::Greater {
        b
    } else if c(v, a, d) == Ordering::Less {
        a
    } else {
        d
    }
}

/// Swaps `v[a..a + n]` with `v[b..b + n]`, element by element.
fn swap_ranges<T>(v: &mut [T], a: usize, b: usize, n: usize) {
    for i in 0..n {
        v.swap(a + i, b + i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (xorshift), so the test needs no crate.
    fn numbers(n: usize, seed: u64, modulo: u64) -> Vec<u64> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x % modulo
            })
            .collect()
    }

    #[test]
    fn the_window_is_sorted_and_everything_is_kept() {
        for (n, lo, hi) in [
            (0, 0, 0),
            (5, 0, 2),
            (100, 0, 9),
            (1000, 10, 19),
            (50, 0, 49),
        ] {
            let mut v = numbers(n, 42 + n as u64, 1000);
            let mut sorted = v.clone();
            sorted.sort();
            pqsort(&mut v, |a, b| a.cmp(b), lo, hi);
            if n > 0 {
                assert_eq!(v[lo..=hi], sorted[lo..=hi], "n={n}");
            }
            let mut all = v.clone();
            all.sort();
            assert_eq!(all, sorted, "a permutation");
        }
    }

    #[test]
    fn equal_keys_end_where_redis_puts_them() {
        // (key, original position) pairs sorted by key alone: where equal keys end up is
        // what the algorithm did. Expected positions: Redis's pqsort.c run on the same input.
        type Case = (usize, u64, u64, usize, usize, &'static [usize]);
        let cases: [Case; 5] = [
            (10, 0, 0, 0, 2, &[7, 8, 4]),
            (60, 1, 5, 0, 9, &[47, 55, 1, 26, 24, 19, 17, 16, 3, 33]),
            (
                200,
                2,
                7,
                20,
                29,
                &[69, 67, 59, 82, 161, 63, 96, 21, 125, 23],
            ),
            (
                1000,
                3,
                50,
                0,
                9,
                &[367, 949, 226, 224, 67, 866, 699, 588, 394, 320],
            ),
            (45, 4, 3, 40, 44, &[17, 2, 30, 13, 41]),
        ];
        for (n, seed, modulo, lo, hi, expected) in cases {
            let keys = if seed == 0 {
                vec![3, 1, 3, 2, 1, 3, 2, 1, 1, 3]
            } else {
                numbers(n, seed, modulo)
            };
            let mut v: Vec<(u64, usize)> = keys.into_iter().zip(0..).collect();
            pqsort(&mut v, |a, b| a.0.cmp(&b.0), lo, hi);
            let got: Vec<usize> = v[lo..=hi].iter().map(|p| p.1).collect();
            assert_eq!(got, expected, "n={n}");
        }
    }
}
