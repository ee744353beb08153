//! Day 6 — templates: HTML checked by the compiler, and the date filter the Go templates use.
//!
//! Go's `html/template` parses templates when the program runs; a typo in a field name is a
//! runtime error, in production, halfway through a page. askama compiles each template into
//! Rust code at build time (`#[derive(askama::Template)]`), so a missing field does not
//! build, and escaping HTML is the default. Since askama 0.13 there is no framework
//! integration to install: `render()` returns a `Result<String, askama::Error>`, and this
//! module makes that result something `c.html` accepts (the day-2 seam [`HtmlBody`]): its
//! `Ok` is the page, its `Err` a logged 500, never half a page.
//!
//! The Go example registers a `FormatAsDate` template function; askama templates call Rust
//! functions directly, and [`civil_date`] gives them the calendar date without a date
//! library.

#[cfg(feature = "template")]
use crate::render::HtmlBody;

// ANCHOR: html_body
#[cfg(feature = "template")]
impl HtmlBody for Result<String, askama::Error> {
    fn into_html(self) -> Result<String, String> {
        self.map_err(|err| err.to_string())
    }
}
// ANCHOR_END: html_body

// ANCHOR: civil_date
/// The UTC calendar date `(year, month, day)` of a time, like Go's `t.Date()`: what a
/// template filter such as the Go course's `FormatAsDate` needs, without a date library.
///
/// It counts days since 1970-01-01 and converts them with Howard Hinnant's
/// `civil_from_days` algorithm (eras of 400 years, March-based years).
pub fn civil_date(time: std::time::SystemTime) -> (i64, u32, u32) {
    // ANCHOR: ex_civil_date
    let secs = match time.duration_since(std::time::UNIX_EPOCH) {
        Ok(after) => after.as_secs() as i64,
        Err(before) => -(before.duration().as_secs() as i64) - 1,
    };
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // day of era, 0..=146096
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365; // 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of the March-based year
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
    // ANCHOR_END: ex_civil_date
}
// ANCHOR_END: civil_date

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::civil_date;

    #[test]
    fn civil_dates() {
        let day = |d: u64| UNIX_EPOCH + Duration::from_secs(d * 86_400);
        assert_eq!(civil_date(UNIX_EPOCH), (1970, 1, 1));
        assert_eq!(civil_date(day(18_125)), (2019, 8, 17));
        assert_eq!(civil_date(day(11_016)), (2000, 2, 29));
        assert_eq!(civil_date(day(11_017)), (2000, 3, 1));
        assert_eq!(
            civil_date(UNIX_EPOCH - Duration::from_secs(1)),
            (1969, 12, 31)
        );
    }
}
