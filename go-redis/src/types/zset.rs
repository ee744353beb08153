//! Day 4 — the sorted set: a member → score map beside a skiplist ordered by score.
//!
//! Each structure answers what the other cannot: the map gives ZSCORE and "is it there?" in
//! O(1), the [`SkipList`] gives order, rank and ranges in O(log n). Every write updates
//! both, which is the invariant of this type: a member is in the map iff it is in the list,
//! with the same score.

use bytes::Bytes;

use super::StrValue;
use super::skiplist::{Cursor, SkipList};

/// A bound of a score range: `(1.5` is exclusive, `1.5` inclusive, `-inf`/`+inf` open.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreBound {
    /// The score.
    pub value: f64,
    /// Whether the bound itself is excluded.
    pub exclusive: bool,
}

/// A bound of a lexicographic range: `[a` inclusive, `(a` exclusive, `-` and `+` open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LexBound {
    /// `-`: below everything.
    Min,
    /// `+`: above everything.
    Max,
    /// `[x`.
    Inclusive(Bytes),
    /// `(x`.
    Exclusive(Bytes),
}

impl ScoreBound {
    /// Whether `score` is at or above this bound taken as a minimum.
    pub fn below_min(&self, score: f64) -> bool {
        if self.exclusive {
            score <= self.value
        } else {
            score < self.value
        }
    }
    /// Whether `score` is at or below this bound taken as a maximum.
    pub fn within_max(&self, score: f64) -> bool {
        if self.exclusive {
            score < self.value
        } else {
            score <= self.value
        }
    }
}

impl LexBound {
    /// Whether `member` lies strictly below this bound taken as a minimum.
    pub fn below_min(&self, member: &[u8]) -> bool {
        match self {
            LexBound::Min => false,
            LexBound::Max => true,
            LexBound::Inclusive(b) => member < b.as_ref(),
            LexBound::Exclusive(b) => member <= b.as_ref(),
        }
    }
    /// Whether `member` is within this bound taken as a maximum.
    pub fn within_max(&self, member: &[u8]) -> bool {
        match self {
            LexBound::Min => false,
            LexBound::Max => true,
            LexBound::Inclusive(b) => member <= b.as_ref(),
            LexBound::Exclusive(b) => member < b.as_ref(),
        }
    }
}

/// A sorted set.
#[derive(Debug, Clone, Default)]
pub struct ZSet {
    scores: indexmap::IndexMap<StrValue, f64, foldhash::fast::RandomState>,
    list: SkipList,
}

impl ZSet {
    /// An empty sorted set.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many members it has.
    pub fn len(&self) -> usize {
        self.scores.len()
    }

    /// Whether it has none.
    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }

    /// The score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.scores.get(member).copied()
    }

    // ANCHOR: zset_insert
    /// Sets `member`'s score; returns `true` when the member is new.
    pub fn insert(&mut self, member: &[u8], score: f64) -> bool {
        // ANCHOR: ex_zset_insert
        match self.scores.get_full_mut(member) {
            Some((_, stored, old)) => {
                if *old != score {
                    self.list.delete(*old, member);
                    // Share the stored member's bytes: no copy on a score update.
                    self.list.insert(score, stored.clone());
                    *old = score;
                }
                false
            }
            None => {
                let member = StrValue::copy_from_slice(member);
                self.list.insert(score, member.clone());
                self.scores.insert(member, score);
                true
            }
        }
        // ANCHOR_END: ex_zset_insert
    }
    // ANCHOR_END: zset_insert

    /// Removes `member`; returns whether it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self.scores.swap_remove(member) {
            Some(score) => {
                self.list.delete(score, member);
                true
            }
            None => false,
        }
    }

    /// The 0-based rank of `member`, counting from the highest score when `rev`.
    pub fn rank(&self, member: &[u8], rev: bool) -> Option<usize> {
        let score = self.score(member)?;
        let rank = self.list.rank(score, member).checked_sub(1)?;
        Some(if rev { self.len() - 1 - rank } else { rank })
    }

    /// Members with ranks `start..=stop` (already clamped), lowest first or, if `rev`,
    /// highest first.
    pub fn range_by_index(&self, start: usize, stop: usize, rev: bool) -> Vec<(Bytes, f64)> {
        let mut out = Vec::with_capacity(stop.saturating_sub(start) + 1);
        let first = if rev {
            self.list.by_index(self.len() - 1 - start)
        } else {
            self.list.by_index(start)
        };
        let mut at = first;
        for _ in start..=stop {
            let Some(c) = at else { break };
            let (score, member) = self.list.get(c);
            out.push((member.to_bytes(), score));
            at = if rev {
                self.list.prev(c)
            } else {
                self.list.next(c)
            };
        }
        out
    }

    fn walk(
        &self,
        first: Option<Cursor>,
        rev: bool,
        keep: impl Fn(f64, &[u8]) -> bool,
        offset: usize,
        limit: Option<usize>,
    ) -> Vec<(Bytes, f64)> {
        let mut out = Vec::new();
        let mut at = first;
        let mut skipped = 0;
        while let Some(c) = at {
            if limit.is_some_and(|l| out.len() >= l) {
                break;
            }
            let (score, member) = self.list.get(c);
            if !keep(score, member) {
                break;
            }
            if skipped < offset {
                skipped += 1;
            } else {
                out.push((member.to_bytes(), score));
            }
            at = if rev {
                self.list.prev(c)
            } else {
                self.list.next(c)
            };
        }
        out
    }

    /// Members with `min <= score <= max` (per the bounds), in order or reversed, after
    /// skipping `offset`, at most `limit`.
    pub fn range_by_score(
        &self,
        min: ScoreBound,
        max: ScoreBound,
        rev: bool,
        offset: usize,
        limit: Option<usize>,
    ) -> Vec<(Bytes, f64)> {
        if rev {
            let first = self.list.last_where(|s, _| max.within_max(s));
            self.walk(first, true, |s, _| !min.below_min(s), offset, limit)
        } else {
            let first = self.list.first_where(|s, _| min.below_min(s));
            self.walk(first, false, |s, _| max.within_max(s), offset, limit)
        }
    }

    /// Members between the lex bounds (meaningful when all scores are equal).
    pub fn range_by_lex(
        &self,
        min: &LexBound,
        max: &LexBound,
        rev: bool,
        offset: usize,
        limit: Option<usize>,
    ) -> Vec<(Bytes, f64)> {
        if rev {
            let first = self.list.last_where(|_, m| max.within_max(m));
            self.walk(first, true, |_, m| !min.below_min(m), offset, limit)
        } else {
            let first = self.list.first_where(|_, m| min.below_min(m));
            self.walk(first, false, |_, m| max.within_max(m), offset, limit)
        }
    }

    /// How many members have a score within the bounds (O(log n), via ranks).
    pub fn count_by_score(&self, min: ScoreBound, max: ScoreBound) -> usize {
        let Some(first) = self.list.first_where(|s, _| min.below_min(s)) else {
            return 0;
        };
        let Some(last) = self.list.last_where(|s, _| max.within_max(s)) else {
            return 0;
        };
        let (fs, fm) = self.list.get(first);
        let (ls, lm) = self.list.get(last);
        let (a, b) = (self.list.rank(fs, fm), self.list.rank(ls, lm));
        (b + 1).saturating_sub(a)
    }

    /// How many members lie within the lex bounds.
    pub fn count_by_lex(&self, min: &LexBound, max: &LexBound) -> usize {
        let Some(first) = self.list.first_where(|_, m| min.below_min(m)) else {
            return 0;
        };
        let Some(last) = self.list.last_where(|_, m| max.within_max(m)) else {
            return 0;
        };
        let (fs, fm) = self.list.get(first);
        let (ls, lm) = self.list.get(last);
        let (a, b) = (self.list.rank(fs, fm), self.list.rank(ls, lm));
        (b + 1).saturating_sub(a)
    }

    /// Removes and returns up to `count` members with the lowest (or, if `max`, highest) scores.
    pub fn pop(&mut self, count: usize, max: bool) -> Vec<(StrValue, f64)> {
        let mut out = Vec::new();
        while out.len() < count {
            let at = if max {
                self.list.last()
            } else {
                self.list.first()
            };
            let Some(c) = at else { break };
            let (score, member) = self.list.get(c);
            let member = member.clone(); // a short member is copied, a long one shared
            self.remove(&member);
            out.push((member, score));
        }
        out
    }

    /// Every member and score, lowest first.
    pub fn iter(&self) -> impl Iterator<Item = (&StrValue, f64)> {
        let mut at = self.list.first();
        std::iter::from_fn(move || {
            let c = at?;
            at = self.list.next(c);
            let (score, member) = self.list.get(c);
            Some((member, score))
        })
    }

    /// The member/score map (for SCAN-style and random access).
    pub fn scores(&self) -> &indexmap::IndexMap<StrValue, f64, foldhash::fast::RandomState> {
        &self.scores
    }
}
