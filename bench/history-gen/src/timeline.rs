//! When each generated conversation happened and how long it is: message counts that add
//! up exactly, timestamps over the last two years (some today, yesterday, this week, so
//! the sidebar's groups fill), a few pinned, and the big conversation as the newest.

use crate::rng::Rng;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// One conversation to write.
pub struct Planned {
    /// Seeds this conversation's text.
    pub seed: u64,
    /// Each message's `created_at`, oldest first; the conversation's `created_at` and
    /// `updated_at` are the first and last.
    pub times: Vec<i64>,
    pub pinned: bool,
    pub big: bool,
}

pub struct Shape {
    pub conversations: usize,
    pub messages: usize,
    pub big: usize,
    pub pinned: usize,
}

/// The conversations, in the order they are to be written (oldest first, so ids grow
/// with time as they would in real use).
pub fn plan(rng: &mut Rng, shape: &Shape, now: i64) -> Vec<Planned> {
    if shape.conversations == 0 {
        return Vec::new();
    }
    let big = shape.big.min(shape.messages);
    let regular = shape.conversations - usize::from(big > 0);
    let counts = split(rng, shape.messages - big, regular);
    let pinned = pinned_ranks(rng, regular, shape.pinned);

    let mut out = Vec::with_capacity(shape.conversations);
    if big > 0 {
        // The newest: top of the sidebar's unpinned part, about two months long.
        let times = times_ending(rng, now - MINUTE, big, (MINUTE, 35 * MINUTE));
        out.push(Planned {
            seed: rng.next_u64(),
            times,
            pinned: false,
            big: true,
        });
    }
    for (rank, &count) in counts.iter().enumerate() {
        let updated = last_activity(rng, rank, now);
        let times = times_ending(rng, updated, count, (20_000, 6 * MINUTE));
        out.push(Planned {
            seed: rng.next_u64(),
            times,
            pinned: pinned.contains(&rank),
            big: false,
        });
    }
    out.sort_by_key(|p| p.times.first().copied().unwrap_or_default());
    out
}

/// `total` messages over `n` conversations, each at least one, mostly question and answer
/// pairs, varied in length around the mean; the sum is exact.
fn split(rng: &mut Rng, total: usize, n: usize) -> Vec<usize> {
    if n == 0 {
        return Vec::new();
    }
    let mean = (total / n).max(1) as i64;
    let lo = 2.min(mean);
    let hi = (2 * mean - lo).max(lo);
    let mut counts: Vec<usize> = (0..n)
        .map(|_| {
            let c = rng.between(lo, hi) as usize;
            if c > 2 && c % 2 == 1 {
                c - 1
            } else {
                c
            }
        })
        .collect();
    let mut diff = total as i64 - counts.iter().sum::<usize>() as i64;
    while diff != 0 {
        let i = rng.below(n as u64) as usize;
        let step = if diff.abs() >= 2 { 2 } else { 1 };
        if diff > 0 {
            counts[i] += step as usize;
            diff -= step;
        } else if counts[i] > step as usize {
            counts[i] -= step as usize;
            diff += step;
        }
    }
    counts
}

/// `count` ranks among the older conversations (people pin what they come back to).
fn pinned_ranks(rng: &mut Rng, regular: usize, count: usize) -> Vec<usize> {
    let from = 40.min(regular / 2);
    let mut ranks = Vec::new();
    let mut tries = 0;
    while ranks.len() < count.min(regular - from) && tries < 10_000 {
        tries += 1;
        let r = from + rng.below((regular - from) as u64) as usize;
        if !ranks.contains(&r) {
            ranks.push(r);
        }
    }
    ranks
}

/// When the `rank`-th most recent conversation was last active.
fn last_activity(rng: &mut Rng, rank: usize, now: i64) -> i64 {
    let since_midnight = now.rem_euclid(DAY);
    let midnight = now - since_midnight;
    match rank {
        0..6 => now - rng.between(5 * MINUTE, (since_midnight - MINUTE).max(6 * MINUTE)),
        6..14 => midnight - rng.between(30 * MINUTE, 23 * HOUR),
        14..40 => now - rng.between(2 * DAY, 6 * DAY),
        40..120 => now - rng.between(7 * DAY, 30 * DAY),
        _ => {
            let skew = rng.unit().powf(1.6);
            now - 30 * DAY - (skew * 700.0 * DAY as f64) as i64
        }
    }
}

/// `count` increasing times, the last at `end`, with gaps drawn from `lo..=hi` and now
/// and then a pause of a day or two (a conversation picked up again).
fn times_ending(rng: &mut Rng, end: i64, count: usize, (lo, hi): (i64, i64)) -> Vec<i64> {
    let mut times = Vec::with_capacity(count);
    let mut t = end;
    for i in 0..count {
        times.push(t);
        if i + 1 < count {
            t -= if rng.chance(2) {
                rng.between(DAY, 2 * DAY)
            } else {
                rng.between(lo, hi)
            };
        }
    }
    times.reverse();
    times
}

#[cfg(test)]
mod tests {
    use super::{plan, Shape, DAY};
    use crate::rng::Rng;

    #[test]
    fn counts_add_up_and_the_big_one_is_newest() {
        let now = 1_780_000_000_000;
        let shape = Shape {
            conversations: 300,
            messages: 7000,
            big: 1000,
            pinned: 4,
        };
        let planned = plan(&mut Rng::new(3), &shape, now);
        assert_eq!(planned.len(), 300);
        assert_eq!(planned.iter().map(|p| p.times.len()).sum::<usize>(), 7000);
        assert!(planned.iter().all(|p| !p.times.is_empty()));
        assert!(planned
            .iter()
            .all(|p| p.times.windows(2).all(|w| w[0] <= w[1])));
        assert_eq!(planned.iter().filter(|p| p.pinned).count(), 4);
        let big: Vec<_> = planned.iter().filter(|p| p.big).collect();
        assert_eq!(big.len(), 1);
        assert_eq!(big[0].times.len(), 1000);
        let newest = planned.iter().filter_map(|p| p.times.last()).max();
        assert_eq!(big[0].times.last(), newest);
        let oldest = planned.iter().filter_map(|p| p.times.first()).min();
        assert!(*oldest.expect("some") > now - 800 * DAY);
        assert!(planned.windows(2).all(|w| w[0].times[0] <= w[1].times[0]));
    }

    #[test]
    fn empty_and_tiny_shapes() {
        let now = 1_780_000_000_000;
        let mut rng = Rng::new(1);
        let none = Shape {
            conversations: 0,
            messages: 10,
            big: 5,
            pinned: 2,
        };
        assert!(plan(&mut rng, &none, now).is_empty());
        let only_big = Shape {
            conversations: 1,
            messages: 10,
            big: 10,
            pinned: 2,
        };
        let p = plan(&mut rng, &only_big, now);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].times.len(), 10);
        let few = Shape {
            conversations: 5,
            messages: 7,
            big: 0,
            pinned: 9,
        };
        let p = plan(&mut rng, &few, now);
        assert_eq!(p.iter().map(|p| p.times.len()).sum::<usize>(), 7);
    }
}
