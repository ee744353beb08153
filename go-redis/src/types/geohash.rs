//! Day 4 — geohash: a longitude/latitude pair as one 52-bit integer, so a geo set can be a
//! sorted set.
//!
//! Redis has no geo type. GEOADD turns each point into an integer and stores it as the
//! member's *score* in an ordinary sorted set: `TYPE` says `zset`, ZRANGE lists the members,
//! and the AOF, snapshots, DUMP/RESTORE and COPY need nothing new. The integer is a
//! **geohash**: split the longitude range in two, write 1 if the point is in the upper
//! half, split that half again, and so on, 26 times; do the same for the latitude; then
//! *interleave* the two 26-bit numbers bit by bit. Points close on Earth share a long
//! prefix, so they sit close together in the sorted set's order, and "everything inside
//! this cell" is one score range (`ZRANGEBYSCORE`).
//!
//! Why 26 steps, 52 bits? A score is an `f64`, whose mantissa holds 53 bits: every 52-bit
//! integer is stored exactly, so a point survives being a score. 26 halvings of 360° are
//! about 0.6 m at the equator: enough for a map.
//!
//! The latitude range is ±85.05112878°, not ±90°: the limits of the Web Mercator projection
//! that maps use, and the cells are then nearly square. The 11-character text GEOHASH
//! answers is the standard geohash (±90°), re-encoded from the decoded point.
//!
//! Everything here follows Redis's `geohash.c` operation for operation, so the scores,
//! the decoded coordinates and the cells searched are bit for bit Redis's.

/// How many halvings per coordinate a stored score uses: 26 × 2 = 52 bits.
pub const STEP_MAX: u8 = 26;
/// The southernmost latitude a point may have (Web Mercator's limit).
pub const LAT_MIN: f64 = -85.05112878;
/// The northernmost latitude a point may have.
pub const LAT_MAX: f64 = 85.05112878;
/// The westernmost longitude.
pub const LONG_MIN: f64 = -180.0;
/// The easternmost longitude.
pub const LONG_MAX: f64 = 180.0;

/// A geohash of `step` halvings per coordinate: `2 × step` interleaved bits, the
/// longitude's bits at the odd positions and the latitude's at the even ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HashBits {
    /// The interleaved bits, right-aligned.
    pub bits: u64,
    /// Halvings per coordinate (1..=32).
    pub step: u8,
}

impl HashBits {
    /// The "no cell" marker the search uses for a neighbour it drops.
    pub const ZERO: HashBits = HashBits { bits: 0, step: 0 };

    /// Whether this is [`HashBits::ZERO`].
    pub fn is_zero(&self) -> bool {
        self.bits == 0 && self.step == 0
    }

    /// The bits shifted left to 52 bits: the sorted-set score of the cell's first point
    /// (Redis's `geohashAlign52Bits`).
    pub fn align52(&self) -> u64 {
        self.bits << (52 - u32::from(self.step) * 2)
    }
}

/// An interval of degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    /// The lower end.
    pub min: f64,
    /// The upper end.
    pub max: f64,
}

/// The longitudes a geo set covers.
pub const LONG_RANGE: Range = Range {
    min: LONG_MIN,
    max: LONG_MAX,
};
/// The latitudes a geo set covers.
pub const LAT_RANGE: Range = Range {
    min: LAT_MIN,
    max: LAT_MAX,
};

/// A cell: a hash and the rectangle of degrees it stands for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    /// The cell's hash.
    pub hash: HashBits,
    /// Its west and east edges.
    pub longitude: Range,
    /// Its south and north edges.
    pub latitude: Range,
}

// ANCHOR: interleave
/// Interleaves the bits of two 32-bit numbers: `x`'s bits land on the even positions,
/// `y`'s on the odd ones. Instead of a loop over 32 bits, each line spreads the bits
/// apart by doubling gaps (16, 8, 4, 2, 1), the "magic numbers" trick from *Bit Twiddling
/// Hacks* that Redis uses.
pub fn interleave(x: u32, y: u32) -> u64 {
    // ANCHOR: ex_interleave
    fn spread(v: u32) -> u64 {
        let mut v = u64::from(v);
        v = (v | (v << 16)) & 0x0000_FFFF_0000_FFFF;
        v = (v | (v << 8)) & 0x00FF_00FF_00FF_00FF;
        v = (v | (v << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
        v = (v | (v << 2)) & 0x3333_3333_3333_3333;
        (v | (v << 1)) & 0x5555_5555_5555_5555
    }
    spread(x) | (spread(y) << 1)
    // ANCHOR_END: ex_interleave
}
// ANCHOR_END: interleave

/// Undoes [`interleave`]: the even bits in the low 32 bits of the result, the odd bits in
/// the high 32.
pub fn deinterleave(interleaved: u64) -> u64 {
    fn squeeze(mut v: u64) -> u64 {
        v &= 0x5555_5555_5555_5555;
        v = (v | (v >> 1)) & 0x3333_3333_3333_3333;
        v = (v | (v >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
        v = (v | (v >> 4)) & 0x00FF_00FF_00FF_00FF;
        v = (v | (v >> 8)) & 0x0000_FFFF_0000_FFFF;
        (v | (v >> 16)) & 0x0000_0000_FFFF_FFFF
    }
    squeeze(interleaved) | (squeeze(interleaved >> 1) << 32)
}

// ANCHOR: encode
/// The hash of a point with `step` halvings per coordinate over the given ranges, or
/// `None` for a point outside them (Redis's `geohashEncode`). Each coordinate becomes its
/// fraction of the range times `2^step`, truncated: that integer's bits *are* the
/// sequence of "upper half?" answers.
pub fn encode(
    long_range: Range,
    lat_range: Range,
    longitude: f64,
    latitude: f64,
    step: u8,
) -> Option<HashBits> {
    let empty = |r: Range| r.min == 0.0 && r.max == 0.0;
    if step > 32 || step == 0 || empty(lat_range) || empty(long_range) {
        return None;
    }
    if !(LONG_MIN..=LONG_MAX).contains(&longitude) || !(LAT_MIN..=LAT_MAX).contains(&latitude) {
        return None;
    }
    if latitude < lat_range.min
        || latitude > lat_range.max
        || longitude < long_range.min
        || longitude > long_range.max
    {
        return None;
    }
    let cells = (1u64 << step) as f64;
    let lat_offset = (latitude - lat_range.min) / (lat_range.max - lat_range.min) * cells;
    let long_offset = (longitude - long_range.min) / (long_range.max - long_range.min) * cells;
    Some(HashBits {
        bits: interleave(lat_offset as u32, long_offset as u32),
        step,
    })
}
// ANCHOR_END: encode

/// [`encode`] over the geo set's ranges.
pub fn encode_wgs84(longitude: f64, latitude: f64, step: u8) -> Option<HashBits> {
    encode(LONG_RANGE, LAT_RANGE, longitude, latitude, step)
}

/// The rectangle a hash stands for (Redis's `geohashDecode`), `None` for [`HashBits::ZERO`].
pub fn decode(long_range: Range, lat_range: Range, hash: HashBits) -> Option<Area> {
    if hash.is_zero() {
        return None;
    }
    let separated = deinterleave(hash.bits);
    let lat_cell = separated as u32;
    let long_cell = (separated >> 32) as u32;
    let cells = 1u64.checked_shl(u32::from(hash.step)).unwrap_or(0) as f64;
    let lat_scale = lat_range.max - lat_range.min;
    let long_scale = long_range.max - long_range.min;
    // `cell + 1` wraps like C's uint32_t arithmetic.
    let edge = |range: Range, cell: u32, scale: f64| Range {
        min: range.min + (f64::from(cell) / cells) * scale,
        max: range.min + (f64::from(cell.wrapping_add(1)) / cells) * scale,
    };
    Some(Area {
        hash,
        longitude: edge(long_range, long_cell, long_scale),
        latitude: edge(lat_range, lat_cell, lat_scale),
    })
}

/// The point a score stands for: the centre of its 52-bit cell, clamped to the valid
/// ranges, as `[longitude, latitude]` (Redis's `decodeGeohash`). A score is turned into an
/// integer the way C's `(uint64_t)` cast does on x86-64, so even a score ZADD wrote by
/// hand decodes to Redis's answer.
pub fn decode_score(score: f64) -> Option<[f64; 2]> {
    let hash = HashBits {
        bits: score_bits(score),
        step: STEP_MAX,
    };
    let area = decode(LONG_RANGE, LAT_RANGE, hash)?;
    let longitude = ((area.longitude.min + area.longitude.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let latitude = ((area.latitude.min + area.latitude.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    Some([longitude, latitude])
}

/// C's `(uint64_t)score` as gcc compiles it for x86-64: below 2^63 a signed conversion
/// (whose out-of-range answer is `0x8000000000000000`), from 2^63 on a signed conversion
/// of the value minus 2^63 with the top bit flipped. Rust's `as u64` saturates instead, which would decode a
/// negative score differently.
fn score_bits(score: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    let signed = |v: f64| {
        if v.is_nan() || !(-TWO_63..TWO_63).contains(&v) {
            i64::MIN as u64
        } else {
            v as i64 as u64
        }
    };
    if score >= TWO_63 {
        signed(score - TWO_63) ^ (1 << 63)
    } else {
        signed(score) // NaN comes here too, as with the C compare
    }
}

/// The score GEOADD stores for a point, or `None` outside the valid ranges.
pub fn score_of(longitude: f64, latitude: f64) -> Option<u64> {
    encode_wgs84(longitude, latitude, STEP_MAX).map(|h| h.align52())
}

/// Moves a hash one cell east (`d > 0`) or west (`d < 0`): adds or subtracts one from the
/// longitude's bits alone, letting the carry jump over the latitude's bits (they are set
/// to ones first, so a borrow or carry runs through them), wrapping around the globe.
fn move_x(hash: &mut HashBits, d: i8) {
    move_along(hash, d, 0xaaaa_aaaa_aaaa_aaaa, 0x5555_5555_5555_5555);
}

/// Moves a hash one cell north (`d > 0`) or south (`d < 0`), as [`move_x`] does east.
fn move_y(hash: &mut HashBits, d: i8) {
    move_along(hash, d, 0x5555_5555_5555_5555, 0xaaaa_aaaa_aaaa_aaaa);
}

/// One step along the axis whose bits are `own` (the other axis's bits are `other`).
fn move_along(hash: &mut HashBits, d: i8, own: u64, other: u64) {
    if d == 0 {
        return;
    }
    let moving = hash.bits & own;
    let fixed = hash.bits & other;
    let shift = 64 - u32::from(hash.step) * 2;
    let zz = other.checked_shr(shift).unwrap_or(0);
    let moved = if d > 0 {
        moving.wrapping_add(zz + 1)
    } else {
        (moving | zz).wrapping_sub(zz + 1)
    };
    hash.bits = (moved & own.checked_shr(shift).unwrap_or(0)) | fixed;
}

/// The eight cells around one, each of the same size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Neighbors {
    /// Above.
    pub north: HashBits,
    /// Below.
    pub south: HashBits,
    /// To the right.
    pub east: HashBits,
    /// To the left.
    pub west: HashBits,
    /// Above right.
    pub north_east: HashBits,
    /// Above left.
    pub north_west: HashBits,
    /// Below right.
    pub south_east: HashBits,
    /// Below left.
    pub south_west: HashBits,
}

/// The eight cells around `hash` (Redis's `geohashNeighbors`).
pub fn neighbors(hash: HashBits) -> Neighbors {
    let at = |dx: i8, dy: i8| {
        let mut h = hash;
        move_x(&mut h, dx);
        move_y(&mut h, dy);
        h
    };
    Neighbors {
        north: at(0, 1),
        south: at(0, -1),
        east: at(1, 0),
        west: at(-1, 0),
        north_east: at(1, 1),
        north_west: at(-1, 1),
        south_east: at(1, -1),
        south_west: at(-1, -1),
    }
}

/// The 11-character standard geohash of a stored score (what GEOHASH answers), or `None`
/// if the score does not decode. The point is decoded and re-encoded over ±90° of
/// latitude, then written five bits per character in the geohash alphabet; the 11th
/// character stands for bits a 52-bit score does not have, so it is always `0`.
pub fn geohash_string(score: f64) -> Option<[u8; 11]> {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let [longitude, latitude] = decode_score(score)?;
    let standard_lat = Range {
        min: -90.0,
        max: 90.0,
    };
    // A decoded point is always inside the standard ranges, so this succeeds.
    let hash = encode(LONG_RANGE, standard_lat, longitude, latitude, STEP_MAX)?;
    let mut text = [b'0'; 11];
    for (i, c) in text.iter_mut().enumerate().take(10) {
        let index = (hash.bits >> (52 - (i + 1) * 5)) & 0x1f;
        *c = ALPHABET[index as usize];
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleave_puts_x_on_even_bits_and_y_on_odd_bits() {
        assert_eq!(interleave(0b11, 0), 0b0101);
        assert_eq!(interleave(0, 0b11), 0b1010);
        assert_eq!(interleave(u32::MAX, u32::MAX), u64::MAX);
        for (x, y) in [(0x1234_5678, 0x9abc_def0), (1, 2), (u32::MAX, 7)] {
            let both = deinterleave(interleave(x, y));
            assert_eq!((both as u32, (both >> 32) as u32), (x, y));
        }
    }

    #[test]
    fn scores_match_redis() {
        // GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania, then
        // ZSCORE on Redis 7.0.15.
        assert_eq!(score_of(13.361389, 38.115556), Some(3479099956230698));
        assert_eq!(score_of(15.087269, 37.502669), Some(3479447370796909));
        assert_eq!(score_of(180.1, 0.0), None);
        assert_eq!(score_of(0.0, 85.06), None);
    }

    #[test]
    fn decoding_gives_the_centre_of_the_cell() {
        let [lon, lat] = decode_score(3479099956230698.0).expect("decodes");
        assert_eq!(format!("{lon:.17}"), "13.36138933897018433");
        assert_eq!(format!("{lat:.17}"), "38.11555639549629859");
    }

    #[test]
    fn negative_and_huge_scores_decode_like_a_c_cast() {
        assert_eq!(score_bits(-1.0), u64::MAX);
        assert_eq!(score_bits(f64::NAN), 1 << 63);
        assert_eq!(
            score_bits(1e300),
            0,
            "2^63 subtracted, then the indefinite value flipped"
        );
        assert_eq!(score_bits(-1e300), 1 << 63);
        assert_eq!(score_bits(9_223_372_036_854_775_808.0), 1 << 63);
        assert!(decode_score(-1.0).is_some());
    }

    #[test]
    fn neighbours_wrap_around_and_invert() {
        let h = encode_wgs84(10.0, 20.0, 5).expect("valid");
        let n = neighbors(h);
        let mut back = n.east;
        move_x(&mut back, -1);
        assert_eq!(back, h);
        let mut back = n.north;
        move_y(&mut back, -1);
        assert_eq!(back, h);
        // Two cells apart in the same row: same latitude, longitudes one cell apart.
        let (a, e) = (
            decode(LONG_RANGE, LAT_RANGE, h).expect("area"),
            decode(LONG_RANGE, LAT_RANGE, n.east).expect("area"),
        );
        assert_eq!(a.latitude, e.latitude);
        assert_eq!(a.longitude.max, e.longitude.min);
        // The easternmost cell's east neighbour is the westernmost cell.
        let edge = encode_wgs84(179.99, 0.0, 3).expect("valid");
        let wrapped = decode(LONG_RANGE, LAT_RANGE, neighbors(edge).east).expect("area");
        assert_eq!(wrapped.longitude.min, -180.0);
    }

    #[test]
    fn geohash_strings_match_the_standard() {
        // Wikipedia's example, as Redis's own test suite checks it.
        let score = score_of(-5.6, 42.6).expect("valid") as f64;
        assert_eq!(&geohash_string(score).expect("decodes"), b"ezs42e44yx0");
    }
}
