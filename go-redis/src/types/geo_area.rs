//! Day 4 — searching a geo set: distances on the sphere and the nine cells that cover a
//! circle or a box.
//!
//! A search ("everything within 5 km of here") cannot ask the sorted set for a distance:
//! the set only knows scores. So it picks a cell size from the radius, takes the cell
//! holding the centre and its eight neighbours ([`areas`]), and reads each cell as one
//! score range. Cells are at least as wide as the radius, so the nine of them cover the
//! whole search area; the points they hold are then filtered by their real distance
//! ([`Shape::contains`]). Nine range reads and a filter replace a scan of the whole set.
//!
//! Distances use the haversine formula on a sphere of Redis's radius, with Redis's
//! constants and its operation order (`geohash_helper.c`), so a distance printed with four
//! decimals matches Redis's digit for digit.

use super::geohash::{self, HashBits, LAT_RANGE, LONG_RANGE};

/// The Earth's quadratic mean radius for WGS-84, the sphere every distance is on.
pub const EARTH_RADIUS_IN_METERS: f64 = 6372797.560856;
/// Half the Earth's circumference in Web Mercator metres: the search starts from cells
/// this wide and halves them.
const MERCATOR_MAX: f64 = 20037726.37;
/// Degrees to radians, written as Redis writes it (`M_PI / 180.0`).
const D_R: f64 = std::f64::consts::PI / 180.0;

fn deg_rad(angle: f64) -> f64 {
    angle * D_R
}

fn rad_deg(angle: f64) -> f64 {
    angle / D_R
}

/// The distance in metres between two latitudes on one meridian.
pub fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS_IN_METERS * (deg_rad(lat2) - deg_rad(lat1)).abs()
}

// ANCHOR: distance
/// The great-circle distance in metres between two points (haversine formula), as Redis's
/// `geohashGetDistance` computes it, shortcut included: on one meridian it is the
/// latitude difference alone.
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let lon1r = deg_rad(lon1);
    let lon2r = deg_rad(lon2);
    let v = ((lon2r - lon1r) / 2.0).sin();
    if v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let lat1r = deg_rad(lat1);
    let lat2r = deg_rad(lat2);
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_IN_METERS * a.sqrt().asin()
}
// ANCHOR_END: distance

/// What to search: a circle or a box, around a centre, in some unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    /// The centre, `[longitude, latitude]`.
    pub center: [f64; 2],
    /// Metres per unit of the sizes below (1 for m, 1000 for km, ...).
    pub conversion: f64,
    /// The circle's radius or the box's sides, in that unit.
    pub kind: ShapeKind,
}

/// The two shapes a search can have.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ShapeKind {
    /// BYRADIUS (and every GEORADIUS).
    Radius(f64),
    /// BYBOX: a rectangle aligned with the meridians, centred on the centre.
    Box {
        /// East-west size.
        width: f64,
        /// North-south size.
        height: f64,
    },
}

impl Shape {
    /// The distance from the centre to a point in metres, if the point is inside the shape
    /// (Redis's `geoWithinShape` after decoding). A box checks the north-south distance
    /// first (cheap), then the east-west distance along the point's own parallel.
    pub fn contains(&self, point: [f64; 2]) -> Option<f64> {
        let [x1, y1] = self.center;
        let [x2, y2] = point;
        match self.kind {
            ShapeKind::Radius(radius) => {
                let d = distance(x1, y1, x2, y2);
                // Redis tests `d > radius`, so a NaN distance counts as inside.
                let outside = d > radius * self.conversion;
                (!outside).then_some(d)
            }
            ShapeKind::Box { width, height } => {
                let (width, height) = (width * self.conversion, height * self.conversion);
                if lat_distance(y2, y1) > height / 2.0 {
                    return None;
                }
                if distance(x2, y2, x1, y2) > width / 2.0 {
                    return None;
                }
                Some(distance(x1, y1, x2, y2))
            }
        }
    }

    /// `[min_lon, min_lat, max_lon, max_lat]` around the shape (Redis's
    /// `geohashBoundingBox`). Away from the equator a parallel is shorter, so the same
    /// width spans more degrees of longitude on the side nearer the pole.
    fn bounding_box(&self) -> [f64; 4] {
        let [longitude, latitude] = self.center;
        let (height, width) = match self.kind {
            ShapeKind::Radius(r) => (self.conversion * r, self.conversion * r),
            ShapeKind::Box { width, height } => (
                self.conversion * (height / 2.0),
                self.conversion * (width / 2.0),
            ),
        };
        let lat_delta = rad_deg(height / EARTH_RADIUS_IN_METERS);
        let long_delta_top =
            rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(latitude + lat_delta).cos());
        let long_delta_bottom =
            rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(latitude - lat_delta).cos());
        let long_delta = if latitude < 0.0 {
            long_delta_bottom
        } else {
            long_delta_top
        };
        [
            longitude - long_delta,
            latitude - lat_delta,
            longitude + long_delta,
            latitude + lat_delta,
        ]
    }

    /// The radius of the circle around the shape, in metres.
    fn radius_meters(&self) -> f64 {
        let r = match self.kind {
            ShapeKind::Radius(r) => r,
            ShapeKind::Box { width, height } => {
                ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
            }
        };
        r * self.conversion
    }
}

/// How many halvings give cells at least as wide as the search radius (Redis's
/// `geohashEstimateStepsByRadius`): halve the Mercator width until it passes the radius,
/// back off two steps for safety, one or two more near the poles where cells narrow.
pub fn steps_for_radius(range_meters: f64, latitude: f64) -> u8 {
    if range_meters == 0.0 {
        return 26;
    }
    let mut range = range_meters;
    let mut step: i32 = 1;
    while range < MERCATOR_MAX {
        range *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&latitude) {
        step -= 1;
        if !(-80.0..=80.0).contains(&latitude) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

// ANCHOR: areas
/// The cells to read for a search, in Redis's order: the centre's cell, then north, south,
/// east, west, north-east, north-west, south-east, south-west. A neighbour the bounding
/// box does not reach is [`HashBits::ZERO`] (skipped). Redis's `geohashCalculateAreasByShapeWGS84`.
pub fn areas(shape: &Shape) -> [HashBits; 9] {
    let [min_lon, min_lat, max_lon, max_lat] = shape.bounding_box();
    let [longitude, latitude] = shape.center;
    let mut steps = steps_for_radius(shape.radius_meters(), latitude);
    let cell = |steps: u8| {
        let hash =
            geohash::encode(LONG_RANGE, LAT_RANGE, longitude, latitude, steps).unwrap_or_default();
        let area = geohash::decode(LONG_RANGE, LAT_RANGE, hash);
        (hash, geohash::neighbors(hash), area)
    };
    let (mut hash, mut n, mut area) = cell(steps);
    // Near a cell's edge the estimate can be one step too fine: a neighbour would not
    // reach the bounding box. Then use cells twice as big.
    let decode = |h: HashBits| geohash::decode(LONG_RANGE, LAT_RANGE, h);
    let too_small = decode(n.north).is_some_and(|a| a.latitude.max < max_lat)
        || decode(n.south).is_some_and(|a| a.latitude.min > min_lat)
        || decode(n.east).is_some_and(|a| a.longitude.max < max_lon)
        || decode(n.west).is_some_and(|a| a.longitude.min > min_lon);
    if steps > 1 && too_small {
        steps -= 1;
        (hash, n, area) = cell(steps);
    }
    // Drop the neighbours on a side the bounding box does not reach.
    if steps >= 2
        && let Some(area) = area
    {
        let zero = HashBits::ZERO;
        if area.latitude.min < min_lat {
            (n.south, n.south_west, n.south_east) = (zero, zero, zero);
        }
        if area.latitude.max > max_lat {
            (n.north, n.north_east, n.north_west) = (zero, zero, zero);
        }
        if area.longitude.min < min_lon {
            (n.west, n.south_west, n.north_west) = (zero, zero, zero);
        }
        if area.longitude.max > max_lon {
            (n.east, n.south_east, n.north_east) = (zero, zero, zero);
        }
    }
    [
        hash,
        n.north,
        n.south,
        n.east,
        n.west,
        n.north_east,
        n.north_west,
        n.south_east,
        n.south_west,
    ]
}
// ANCHOR_END: areas

/// The scores of one cell's points: from the cell's first 52-bit score (included) to the
/// next cell's (excluded). All points of a cell share its `2 × step` leading bits.
pub fn score_range(hash: HashBits) -> (f64, f64) {
    let next = HashBits {
        bits: hash.bits.wrapping_add(1),
        step: hash.step,
    };
    (hash.align52() as f64, next.align52() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_match_redis_to_the_last_digit() {
        // GEODIST Sicily Palermo Catania on Redis 7.0.15: 166274.1516 m.
        let [lon1, lat1] = geohash::decode_score(3479099956230698.0).expect("decodes");
        let [lon2, lat2] = geohash::decode_score(3479447370796909.0).expect("decodes");
        let d = distance(lon1, lat1, lon2, lat2);
        assert_eq!(format!("{d:.4}"), "166274.1516");
        assert_eq!(distance(1.0, 2.0, 1.0, 2.0), 0.0);
        assert_eq!(distance(0.0, 0.0, 0.0, 1.0), lat_distance(0.0, 1.0));
    }

    #[test]
    fn bigger_radius_fewer_steps() {
        assert_eq!(steps_for_radius(0.0, 0.0), 26);
        assert!(steps_for_radius(1000.0, 0.0) > steps_for_radius(100_000.0, 0.0));
        assert!(steps_for_radius(1000.0, 85.0) < steps_for_radius(1000.0, 0.0));
        assert_eq!(steps_for_radius(1e9, 0.0), 1);
    }

    #[test]
    fn the_nine_cells_cover_the_circle() {
        let shape = Shape {
            center: [13.361389, 38.115556],
            conversion: 1000.0,
            kind: ShapeKind::Radius(200.0),
        };
        let cells = areas(&shape);
        assert!(!cells[0].is_zero());
        // Catania (166 km away) lies in one of them.
        let catania = geohash::score_of(15.087269, 37.502669).expect("valid") as f64;
        assert!(cells.iter().filter(|c| !c.is_zero()).any(|c| {
            let (min, max) = score_range(*c);
            (min..max).contains(&catania)
        }));
        assert!(shape.contains([15.087269, 37.502669]).is_some());
        let small = Shape {
            kind: ShapeKind::Radius(100.0),
            ..shape
        };
        assert!(small.contains([15.087269, 37.502669]).is_none());
    }

    #[test]
    fn a_box_checks_each_side() {
        let shape = Shape {
            center: [0.0, 0.0],
            conversion: 1.0,
            kind: ShapeKind::Box {
                width: 2000.0,
                height: 200.0,
            },
        };
        // 0.005° of longitude at the equator is ~556 m east: inside the 1000 m half-width.
        assert!(shape.contains([0.005, 0.0]).is_some());
        // ~556 m north is outside the 100 m half-height.
        assert!(shape.contains([0.0, 0.005]).is_none());
    }
}
