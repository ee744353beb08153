//! Day 3 — INCRBYFLOAT's arithmetic: the C `long double` Redis computes in, in software.
//!
//! `INCRBYFLOAT k 0.1` looks like one line of arithmetic, but the digits it answers are
//! Redis's contract: clients compare them, and a replica or an AOF replays the *text*.
//! Redis parses both operands with `strtold`, adds them as x86 `long double`s (80 bits: a
//! 64-bit mantissa, 11 more bits than an `f64`), and prints the sum with
//! `printf("%.17Lf")` before trimming trailing zeros (`ld2string` in `util.c`). An `f64`
//! gets the small cases right and many others wrong (`INCRBYFLOAT k 10.5` on
//! `9007199254740993` is one digit off; so is `0.1` added to `1e17`), and Rust has no
//! 80-bit float type.
//!
//! So this module *is* the 80-bit float, written the simplest way that is exact: a
//! [`LongDouble`] is `±mantissa × 2^exponent` with a 64-bit mantissa, and every step goes
//! through exact big-integer arithmetic ([`num_bigint`]) and then rounds once, to nearest
//! with ties to even, as the x87 unit and glibc do:
//!
//! - [`parse`] reads what `strtold` reads (decimal, `0x` hexadecimal, `inf`) into the
//!   nearest 64-bit-mantissa value, refusing what Redis's `string2ld` refuses (a leading
//!   space, trailing bytes, NaN, overflow, underflow to zero);
//! - [`LongDouble::plus`] adds exactly and rounds;
//! - [`LongDouble::to_human`] prints exactly 17 digits after the point, rounded, then
//!   trims zeros, as `ld2string(..., LD_STR_HUMAN)` does.
//!
//! A decimal crate (`rust_decimal`, `bigdecimal`) would be exact where Redis is not: Redis
//! answers `0.30000000000000000` for `0.1 + 0.2` only because the binary rounding errors
//! happen to vanish at 17 digits, and for `1e20 + 0.1` it answers `100000000000000000000`,
//! which exact decimal arithmetic would not. Matching Redis means rounding where it rounds.

use num_bigint::{BigInt, BigUint, Sign};
use num_traits::{One, Zero};

/// The longest text `string2ld` accepts, plus one (Redis's `MAX_LONG_DOUBLE_CHARS`).
pub const MAX_CHARS: usize = 5 * 1024;
/// The exponent of the smallest `long double` step (2^-16445, the least subnormal).
const MIN_EXP: i64 = -16445;
/// The exponent of the largest finite `long double` (mantissa 2^64 - 1 times 2^16320).
const MAX_EXP: i64 = 16320;

/// A finite x87 `long double`: `(-1)^negative × mantissa × 2^exponent`, the mantissa's
/// top bit set unless the value is zero or subnormal. Comparing two for equality compares
/// representations (`0` and `-0` differ), which is all the tests need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LongDouble {
    negative: bool,
    mantissa: u64,
    exponent: i64,
}

/// What [`parse`] and [`LongDouble::plus`] produce: a finite value, or an infinity (which
/// INCRBYFLOAT then refuses to store).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Number {
    /// A finite value.
    Finite(LongDouble),
    /// `inf` or `-inf`: text can spell it, and an addition can overflow to it.
    Infinite,
}

/// Zero, what a missing key or field counts as.
pub const ZERO: Number = Number::Finite(LongDouble::zero(false));

/// The outcome of rounding an exact value to a `long double`.
enum Rounded {
    Value(LongDouble),
    Overflow,
    /// Not zero, but smaller than the least subnormal: `strtold` reports ERANGE.
    Underflow,
}

impl LongDouble {
    /// Zero, with a sign.
    const fn zero(negative: bool) -> Self {
        Self {
            negative,
            mantissa: 0,
            exponent: 0,
        }
    }

    /// The value as an exact signed integer times `2^exponent`.
    fn scaled(self) -> BigInt {
        let magnitude = BigInt::from(self.mantissa);
        if self.negative { -magnitude } else { magnitude }
    }

    /// `self + other`, rounded to nearest (ties to even) like one x87 `fadd`. The exact sum
    /// of two binary fractions is a binary fraction, so it is computed exactly first.
    pub fn plus(self, other: LongDouble) -> Number {
        if self.mantissa == 0 && other.mantissa == 0 {
            // IEEE: -0 + -0 is -0, every other sum of zeros is +0.
            return Number::Finite(Self::zero(self.negative && other.negative));
        }
        let base = self.exponent.min(other.exponent);
        let a = self.scaled() << (self.exponent - base) as usize;
        let b = other.scaled() << (other.exponent - base) as usize;
        let sum = a + b;
        if sum.is_zero() {
            return Number::Finite(Self::zero(false));
        }
        let (sign, magnitude) = sum.into_parts();
        match round(sign == Sign::Minus, &magnitude, &BigUint::one(), base) {
            Rounded::Value(v) => Number::Finite(v),
            Rounded::Overflow => Number::Infinite,
            // Cannot happen: an exact sum of multiples of 2^-16445 is one too.
            Rounded::Underflow => Number::Finite(Self::zero(false)),
        }
    }

    // ANCHOR: to_human
    /// The text `ld2string(..., LD_STR_HUMAN)` prints: `%.17Lf` (the exact binary value
    /// rounded to 17 digits after the point, ties to even), trailing zeros and a bare
    /// point removed, and `-0` written `0`.
    pub fn to_human(self) -> String {
        // ANCHOR: ex_to_human
        let digits = if self.exponent >= 0 {
            // An integer: no fraction digits survive the trimming.
            (BigUint::from(self.mantissa) << self.exponent as usize).to_string()
        } else {
            let scaled = BigUint::from(self.mantissa) * BigUint::from(10u32).pow(17);
            let divisor = BigUint::one() << (-self.exponent) as usize;
            let mut q = &scaled / &divisor;
            let twice_rem = (&scaled - &q * &divisor) << 1usize;
            if twice_rem > divisor || (twice_rem == divisor && q.bit(0)) {
                q += 1u32;
            }
            let text = format!("{q:0>18}");
            let (int, frac) = text.split_at(text.len() - 17);
            let frac = frac.trim_end_matches('0');
            if frac.is_empty() {
                int.to_owned()
            } else {
                format!("{int}.{frac}")
            }
        };
        if self.negative && digits != "0" {
            format!("-{digits}")
        } else {
            digits
        }
        // ANCHOR_END: ex_to_human
    }
    // ANCHOR_END: to_human
}

// ANCHOR: round
/// Rounds the exact positive value `num / den × 2^shift` (negated if `negative`) to a
/// `long double`: the 64-bit mantissa nearest to it, ties to the even one.
fn round(negative: bool, num: &BigUint, den: &BigUint, shift: i64) -> Rounded {
    if num.is_zero() {
        return Rounded::Value(LongDouble::zero(negative));
    }
    // num/den lies in [2^(k-1), 2^(k+1)); the mantissa's unit 2^e makes it 64 bits long.
    let k = num.bits() as i64 - den.bits() as i64 + shift;
    let quotient = |e: i64| {
        // floor(num / den / 2^(e - shift)), and the remainder's comparison with half.
        let d = e - shift;
        let (n, d) = if d >= 0 {
            (num.clone(), den << d as usize)
        } else {
            (num << (-d) as usize, den.clone())
        };
        let q = &n / &d;
        let twice_rem = (&n - &q * &d) << 1usize;
        (q, twice_rem.cmp(&d))
    };
    let mut e = (k - 64).max(MIN_EXP);
    let (mut q, mut half) = quotient(e);
    if q.bits() > 64 {
        e += 1;
        (q, half) = quotient(e);
    }
    if half == std::cmp::Ordering::Greater || (half == std::cmp::Ordering::Equal && q.bit(0)) {
        q += 1u32;
    }
    if q.bits() > 64 {
        q >>= 1usize; // 2^64 became 2^63 one binade up
        e += 1;
    }
    if e > MAX_EXP {
        return Rounded::Overflow;
    }
    let Some(mantissa) = q.iter_u64_digits().next() else {
        return Rounded::Underflow;
    };
    Rounded::Value(LongDouble {
        negative,
        mantissa,
        exponent: e,
    })
}
// ANCHOR_END: round

/// Reads `text` as Redis's `string2ld` does (C's `strtold`, then its checks): an optional
/// sign, then a decimal number with an optional exponent, a `0x` hexadecimal one with an
/// optional `p` exponent, or `inf`/`infinity`. `None` for everything Redis answers
/// `value is not a valid float`: empty or too long text, leading white space, bytes after
/// the number, NaN, a value too large for a `long double`, or a nonzero value so small it
/// rounds to zero.
pub fn parse(text: &[u8]) -> Option<Number> {
    if text.is_empty() || text.len() >= MAX_CHARS {
        return None;
    }
    let (negative, rest) = match text[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if rest.eq_ignore_ascii_case(b"inf") || rest.eq_ignore_ascii_case(b"infinity") {
        return Some(Number::Infinite);
    }
    let rounded = match rest {
        [b'0', b'x' | b'X', hex @ ..] => parse_digits(negative, hex, 16, b'p')?,
        _ => parse_digits(negative, rest, 10, b'e')?,
    };
    match rounded {
        Rounded::Value(v) => Some(Number::Finite(v)),
        Rounded::Overflow | Rounded::Underflow => None,
    }
}

/// `digits[.digits][<marker>[sign]digits]` in `radix` (10: the exponent is a power of 10;
/// 16: `p` gives a power of 2), all of `text`, rounded once.
fn parse_digits(negative: bool, text: &[u8], radix: u32, marker: u8) -> Option<Rounded> {
    let split = text
        .iter()
        .position(|c| c.eq_ignore_ascii_case(&marker))
        .unwrap_or(text.len());
    let (mantissa, exponent) = text.split_at(split);
    let (int, frac) = match mantissa.iter().position(|&c| c == b'.') {
        Some(dot) => (&mantissa[..dot], &mantissa[dot + 1..]),
        None => (mantissa, &mantissa[..0]),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut value = BigUint::zero();
    for &c in int.iter().chain(frac) {
        value = value * radix + char::from(c).to_digit(radix)?;
    }
    let exponent = match exponent {
        [] => 0,
        [_, rest @ ..] => parse_exponent(rest)?,
    };
    if value.is_zero() {
        return Some(Rounded::Value(LongDouble::zero(negative)));
    }
    let frac_len = frac.len() as i64;
    if radix == 16 {
        let shift = exponent.saturating_sub(4 * frac_len);
        if shift > 2 * MAX_EXP {
            return Some(Rounded::Overflow);
        }
        if shift < 2 * MIN_EXP - 4 * MAX_CHARS as i64 {
            return Some(Rounded::Underflow);
        }
        return Some(round(negative, &value, &BigUint::one(), shift));
    }
    // value × 10^p: decide the hopeless magnitudes before building huge powers.
    let p = exponent.saturating_sub(frac_len);
    let magnitude = value.to_string().len() as i64 - 1 + p.clamp(-100_000, 100_000);
    if magnitude > 4940 {
        return Some(Rounded::Overflow);
    }
    if magnitude < -4960 {
        return Some(Rounded::Underflow);
    }
    let ten = BigUint::from(10u32);
    Some(if p >= 0 {
        round(negative, &(value * ten.pow(p as u32)), &BigUint::one(), 0)
    } else {
        round(negative, &value, &ten.pow((-p) as u32), 0)
    })
}

/// An exponent: optional sign and at least one digit; huge ones saturate (they over- or
/// underflow anyway, as `strtold` finds).
fn parse_exponent(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() {
        return None;
    }
    let mut value: i64 = 0;
    for &c in digits {
        let d = char::from(c).to_digit(10)?;
        value = value.saturating_mul(10).saturating_add(i64::from(d));
    }
    Some(if negative { -value } else { value })
}

/// The sum INCRBYFLOAT and HINCRBYFLOAT store, as text; `None` when it is not finite
/// (either operand infinite, or the sum overflows), which Redis refuses.
pub fn add_texts(current: Number, increment: Number) -> Option<String> {
    match (current, increment) {
        (Number::Finite(a), Number::Finite(b)) => match a.plus(b) {
            Number::Finite(sum) => Some(sum.to_human()),
            Number::Infinite => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(a: &str, b: &str) -> Option<String> {
        add_texts(parse(a.as_bytes())?, parse(b.as_bytes())?)
    }

    #[test]
    fn prints_what_redis_prints() {
        assert_eq!(sum("10.5", "0.1").as_deref(), Some("10.6"));
        assert_eq!(sum("0.1", "0.2").as_deref(), Some("0.3"));
        assert_eq!(sum("5.0e3", "2.0e2").as_deref(), Some("5200"));
        assert_eq!(sum("0", "-0").as_deref(), Some("0"));
        assert_eq!(sum("-0", "-0").as_deref(), Some("0"));
        assert_eq!(sum("1", "-1.5").as_deref(), Some("-0.5"));
        // Integers up to 2^64 are exact in a 64-bit mantissa, unlike in an f64.
        assert_eq!(
            sum("9223372036854775807", "1").as_deref(),
            Some("9223372036854775808")
        );
        assert_eq!(
            sum("9007199254740993", "0").as_deref(),
            Some("9007199254740993")
        );
        assert_eq!(sum("0x10", "0x1p-1").as_deref(), Some("16.5"));
        assert_eq!(sum("1e-30", "0").as_deref(), Some("0"));
    }

    #[test]
    fn refuses_what_string2ld_refuses() {
        for bad in [
            "", " 1", "1 ", "1e", "0x", ".", "nan", "1e5000", "1e-5000", "abc", "1.2.3", "--1",
        ] {
            assert!(parse(bad.as_bytes()).is_none(), "{bad:?} parsed");
        }
        assert_eq!(parse(b"-inf"), Some(Number::Infinite));
        assert!(sum("1e4932", "1e4932").is_none(), "overflow is an error");
    }
}
