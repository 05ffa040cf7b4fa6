//! Registered-claim checks on a verified payload: exp, nbf, iat, iss, aud, sub.
//! The clock is a parameter. NumericDates are compared exactly, fractions included.

use crate::error::{ErrorKind, Result};
use crate::json::Value;

const NANOS_PER_SEC: u32 = 1_000_000_000;

/// The verifier's clock to the nanosecond, so that a clock between two whole seconds compares
/// exactly with NumericDates that carry fractions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Instant {
    pub secs: i64,
    /// 0 ..= 999_999_999.
    pub nanos: u32,
}

impl Instant {
    /// A reading in seconds such as `Date.now() / 1000`, rounded to the microsecond (a
    /// millisecond clock's decimal value is then kept exactly). `None` unless finite.
    pub fn from_f64(seconds: f64) -> Option<Instant> {
        if !seconds.is_finite() {
            return None;
        }
        let whole = seconds.floor();
        // `as` saturates; any real clock is far inside i64.
        let mut secs = whole as i64;
        // The fraction is in [0, 1): floor(x + 0.5) rounds it (and is one wasm instruction).
        let mut micros = ((seconds - whole) * 1e6 + 0.5).floor() as u32;
        if micros >= 1_000_000 {
            secs = secs.saturating_add(1);
            micros = 0;
        }
        Some(Instant {
            secs,
            nanos: micros * 1000,
        })
    }

    /// This instant moved by whole seconds (saturating: only at the ends of i64).
    fn plus(self, secs: i64) -> Instant {
        Instant {
            secs: self.secs.saturating_add(secs),
            nanos: self.nanos,
        }
    }
}

impl From<i64> for Instant {
    fn from(secs: i64) -> Instant {
        Instant { secs, nanos: 0 }
    }
}

/// A NumericDate: whole seconds (rounded down), the fraction's first nine digits as
/// nanoseconds, and whether any non-zero digit lies beyond them. That orders exactly like the
/// real number against any instant given to the nanosecond.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NumericDate {
    pub secs: i64,
    pub nanos: u32,
    pub beyond: bool,
}

impl NumericDate {
    /// Parses a JSON number's text; `None` when it is outside signed 64-bit seconds.
    pub fn from_json_number(text: &str) -> Option<NumericDate> {
        let (neg, rest) = match text.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, text),
        };
        let (mantissa, exp) = match rest.find(['e', 'E']) {
            Some(i) => (rest.get(..i)?, parse_exponent(rest.get(i + 1..)?)?),
            None => (rest, 0),
        };
        let (int_part, frac_part) = match mantissa.find('.') {
            Some(i) => (mantissa.get(..i)?, mantissa.get(i + 1..)?),
            None => (mantissa, ""),
        };
        // All significant digits, and where the decimal point sits among them.
        let digits: Vec<u8> = int_part
            .bytes()
            .chain(frac_part.bytes())
            .map(|b| b - b'0')
            .collect();
        let mut point = int_part.len() as i64 + exp;
        let lead = digits.iter().take_while(|&&d| d == 0).count();
        let digits = digits.get(lead..).unwrap_or(&[]);
        point -= lead as i64;
        if digits.is_empty() {
            return Some(NumericDate {
                secs: 0,
                nanos: 0,
                beyond: false,
            });
        }
        // The first digit is non-zero, so the value is at least 10^(point-1).
        if point > 19 {
            return None;
        }
        // The digit at position `i` counted from the decimal point (0 = the first after it).
        let at = |i: i64| -> u8 {
            usize::try_from(point + i)
                .ok()
                .and_then(|k| digits.get(k))
                .map_or(0, |&d| d)
        };
        // At most 19 digits: below 10^19, so within u64.
        let whole = (-point.max(0)..0).try_fold(0u64, |v, i| {
            v.checked_mul(10)?.checked_add(u64::from(at(i)))
        })?;
        let nanos = (0..9).fold(0u32, |v, i| v * 10 + u32::from(at(i)));
        let from = usize::try_from((point + 9).max(0)).unwrap_or(usize::MAX);
        let beyond = digits.iter().skip(from).any(|&d| d != 0);
        let whole = i128::from(whole);
        let (secs, nanos, beyond) = match (neg, nanos == 0 && !beyond) {
            (false, _) => (whole, nanos, beyond),
            (true, true) => (-whole, 0, false),
            // -(w + f) = -(w + 1) + (1 - f): the fraction is counted up from the floor.
            (true, false) if beyond => (-whole - 1, NANOS_PER_SEC - nanos - 1, true),
            (true, false) => (-whole - 1, NANOS_PER_SEC - nanos, false),
        };
        Some(NumericDate {
            secs: i64::try_from(secs).ok()?,
            nanos,
            beyond,
        })
    }

    /// Is this date strictly after the instant `t`?
    fn after(self, t: Instant) -> bool {
        let floor = (self.secs, self.nanos);
        floor > (t.secs, t.nanos) || (floor == (t.secs, t.nanos) && self.beyond)
    }
}

/// Exponents beyond this magnitude put any non-zero number out of range either way.
fn parse_exponent(text: &str) -> Option<i64> {
    let (neg, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, text.get(1..)?),
        Some(b'+') => (false, text.get(1..)?),
        _ => (false, text),
    };
    let digits = digits.trim_start_matches('0');
    let v: i64 = if digits.len() > 6 {
        1_000_000
    } else if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    Some(if neg { -v } else { v })
}

fn numeric_date(payload: &Value, name: &str) -> Result<Option<NumericDate>> {
    match payload.get(name) {
        None => Ok(None),
        Some(Value::Number(text)) => NumericDate::from_json_number(text)
            .map(Some)
            .ok_or_else(|| ErrorKind::InvalidClaim.into()),
        Some(_) => Err(ErrorKind::InvalidClaim.into()),
    }
}

/// The time window of a verified token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lifetime {
    pub exp: NumericDate,
}

/// `exp` is required; `nbf` and `iat` are checked when present. `leeway` widens each in the
/// caller's favour by that many seconds.
pub fn check_time(payload: &Value, now: Instant, leeway: i64) -> Result<Lifetime> {
    let leeway = leeway.max(0);
    // Check every type first, so a malformed claim is reported as such whatever the clock says.
    let exp = numeric_date(payload, "exp")?;
    let nbf = numeric_date(payload, "nbf")?;
    let iat = numeric_date(payload, "iat")?;
    let exp = exp.ok_or(ErrorKind::MissingExp)?;
    // RFC 7519 §4.1.4: the current time must be before exp.
    if !exp.after(now.plus(-leeway)) {
        return Err(ErrorKind::Expired.into());
    }
    if let Some(nbf) = nbf {
        if nbf.after(now.plus(leeway)) {
            return Err(ErrorKind::NotYetValid.into());
        }
    }
    if let Some(iat) = iat {
        if iat.after(now.plus(leeway)) {
            return Err(ErrorKind::IatInFuture.into());
        }
    }
    Ok(Lifetime { exp })
}

/// `iss` must equal the configured issuer exactly (no case folding, no trailing-slash games).
pub fn check_issuer(payload: &Value, expected: &[String]) -> Result<()> {
    if expected.is_empty() {
        return match payload.get("iss") {
            None | Some(Value::String(_)) => Ok(()),
            Some(_) => Err(ErrorKind::InvalidClaim.into()),
        };
    }
    match payload.get("iss") {
        Some(Value::String(iss)) if expected.iter().any(|e| e == iss) => Ok(()),
        Some(Value::String(_)) | None => Err(ErrorKind::IssMismatch.into()),
        Some(_) => Err(ErrorKind::InvalidClaim.into()),
    }
}

/// With an audience configured, `aud` (a string or a non-empty array of strings) must name it;
/// without one, a token that carries `aud` is rejected (RFC 7519 §4.1.3).
pub fn check_audience(payload: &Value, expected: Option<&[String]>) -> Result<()> {
    let aud = payload.get("aud");
    let Some(expected) = expected else {
        return match aud {
            None => Ok(()),
            Some(_) => Err(ErrorKind::AudNotExpected.into()),
        };
    };
    let matches = |s: &str| expected.iter().any(|e| e == s);
    match aud {
        Some(Value::String(s)) if matches(s) => Ok(()),
        Some(Value::String(_)) | None => Err(ErrorKind::AudMismatch.into()),
        Some(Value::Array(items)) => {
            let names: Option<Vec<&str>> = items.iter().map(Value::as_str).collect();
            let names = names.ok_or(ErrorKind::InvalidClaim)?;
            if names.into_iter().any(matches) {
                Ok(())
            } else {
                Err(ErrorKind::AudMismatch.into())
            }
        }
        Some(_) => Err(ErrorKind::InvalidClaim.into()),
    }
}

/// A canonical textual UUID (8-4-4-4-12 hex), as Supabase uses for user ids.
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nd(s: &str) -> Option<(i64, u32, bool)> {
        NumericDate::from_json_number(s).map(|d| (d.secs, d.nanos, d.beyond))
    }

    #[test]
    fn numeric_dates_are_exact() {
        assert_eq!(nd("1796299200"), Some((1796299200, 0, false)));
        assert_eq!(nd("1796299200.5"), Some((1796299200, 500_000_000, false)));
        assert_eq!(nd("1796299200.000"), Some((1796299200, 0, false)));
        assert_eq!(nd("2.0e9"), Some((2_000_000_000, 0, false)));
        assert_eq!(nd("2E+9"), Some((2_000_000_000, 0, false)));
        assert_eq!(nd("17962992005e-1"), Some((1796299200, 500_000_000, false)));
        assert_eq!(nd("1.0000000001"), Some((1, 0, true)));
        assert_eq!(nd("1.123456789123"), Some((1, 123_456_789, true)));
        assert_eq!(nd("-1"), Some((-1, 0, false)));
        assert_eq!(nd("-0.5"), Some((-1, 500_000_000, false)));
        assert_eq!(nd("-0.25"), Some((-1, 750_000_000, false)));
        assert_eq!(nd("-1.0000000001"), Some((-2, 999_999_999, true)));
        assert_eq!(nd("0.0000001"), Some((0, 100, false)));
        assert_eq!(nd("1e-999999999"), Some((0, 0, true)));
        assert_eq!(nd("0e999999999"), Some((0, 0, false)));
        assert_eq!(nd("-0"), Some((0, 0, false)));
        assert_eq!(nd("9223372036854775807"), Some((i64::MAX, 0, false)));
        assert_eq!(nd("-9223372036854775808"), Some((i64::MIN, 0, false)));
        assert_eq!(nd("9223372036854775808"), None);
        assert_eq!(nd("-9223372036854775808.5"), None);
        assert_eq!(nd("1e19"), None);
        assert_eq!(nd("1e999999999999"), None);
    }

    #[test]
    fn clock_readings() {
        let i = |s: f64| Instant::from_f64(s).map(|i| (i.secs, i.nanos));
        assert_eq!(i(1000.0), Some((1000, 0)));
        assert_eq!(i(1796365130.678), Some((1796365130, 678_000_000)));
        assert_eq!(i(-0.5), Some((-1, 500_000_000)));
        assert_eq!(i(999.9999999), Some((1000, 0)));
        assert_eq!(i(f64::NAN), None);
        assert_eq!(i(f64::INFINITY), None);
    }

    #[test]
    fn fractions_on_either_side_compare_exactly() {
        let at = |secs: f64| Instant::from_f64(secs).unwrap();
        let t = |p: &str, now: Instant, leeway| {
            check_time(&payload(p), now, leeway)
                .map(|_| ())
                .map_err(|e| e.kind)
        };
        let expired = Err(ErrorKind::Expired);
        // A clock between whole seconds against fractional and whole claims.
        assert_eq!(t(r#"{"exp":1000.5}"#, at(1000.7), 0), expired);
        assert_eq!(t(r#"{"exp":1000.5}"#, at(1000.5), 0), expired);
        assert_eq!(t(r#"{"exp":1000.5}"#, at(1000.4), 0), Ok(()));
        assert_eq!(t(r#"{"exp":1000.7000000001}"#, at(1000.7), 0), Ok(()));
        assert_eq!(t(r#"{"exp":1001}"#, at(1000.999), 0), Ok(()));
        assert_eq!(t(r#"{"exp":1000}"#, at(1000.001), 0), expired);
        assert_eq!(t(r#"{"exp":1000.5}"#, at(1010.4), 10), Ok(()));
        assert_eq!(t(r#"{"exp":1000.5}"#, at(1010.6), 10), expired);
        assert_eq!(t(r#"{"exp":2000,"nbf":1000.5}"#, at(1000.6), 0), Ok(()));
        assert_eq!(
            t(r#"{"exp":2000,"nbf":1000.5}"#, at(1000.4), 0),
            Err(ErrorKind::NotYetValid)
        );
        assert_eq!(
            t(r#"{"exp":2000,"iat":1000.25}"#, at(1000.2), 0),
            Err(ErrorKind::IatInFuture)
        );
        assert_eq!(t(r#"{"exp":2000,"iat":1000.25}"#, at(1000.25), 0), Ok(()));
    }

    fn payload(s: &str) -> Value {
        crate::json::parse(s.as_bytes(), 64).unwrap()
    }

    #[test]
    fn time_rules_at_the_boundaries() {
        let now = 1000;
        let t = |p: &str, leeway| {
            check_time(&payload(p), Instant::from(now), leeway)
                .map(|_| ())
                .map_err(|e| e.kind)
        };
        assert_eq!(t(r#"{"exp":1001}"#, 0), Ok(()));
        assert_eq!(t(r#"{"exp":1000}"#, 0), Err(ErrorKind::Expired));
        assert_eq!(t(r#"{"exp":1000.5}"#, 0), Ok(()));
        assert_eq!(t(r#"{"exp":999.5}"#, 0), Err(ErrorKind::Expired));
        assert_eq!(t(r#"{"exp":970}"#, 60), Ok(()));
        assert_eq!(t(r#"{"exp":940}"#, 60), Err(ErrorKind::Expired));
        assert_eq!(t(r#"{}"#, 0), Err(ErrorKind::MissingExp));
        assert_eq!(t(r#"{"exp":"2000"}"#, 0), Err(ErrorKind::InvalidClaim));
        assert_eq!(t(r#"{"exp":true}"#, 0), Err(ErrorKind::InvalidClaim));
        assert_eq!(t(r#"{"exp":null}"#, 0), Err(ErrorKind::InvalidClaim));
        assert_eq!(t(r#"{"exp":1e400}"#, 0), Err(ErrorKind::InvalidClaim));
        assert_eq!(t(r#"{"exp":2000,"nbf":1000}"#, 0), Ok(()));
        assert_eq!(
            t(r#"{"exp":2000,"nbf":1000.5}"#, 0),
            Err(ErrorKind::NotYetValid)
        );
        assert_eq!(t(r#"{"exp":2000,"nbf":1030}"#, 60), Ok(()));
        assert_eq!(
            t(r#"{"exp":2000,"iat":1001}"#, 0),
            Err(ErrorKind::IatInFuture)
        );
        assert_eq!(t(r#"{"exp":2000,"iat":1030}"#, 60), Ok(()));
        assert_eq!(
            t(r#"{"exp":2000,"iat":"1"}"#, 0),
            Err(ErrorKind::InvalidClaim)
        );
        assert_eq!(t(r#"{"exp":-1}"#, 0), Err(ErrorKind::Expired));
        assert_eq!(t(r#"{"exp":9223372036854775807}"#, i64::MAX), Ok(()));
    }

    #[test]
    fn audience_and_issuer_are_exact() {
        let aud = vec!["authenticated".to_string()];
        let a = |p: &str| check_audience(&payload(p), Some(&aud)).map_err(|e| e.kind);
        assert_eq!(a(r#"{"aud":"authenticated"}"#), Ok(()));
        assert_eq!(a(r#"{"aud":["x","authenticated"]}"#), Ok(()));
        assert_eq!(a(r#"{"aud":"Authenticated"}"#), Err(ErrorKind::AudMismatch));
        assert_eq!(
            a(r#"{"aud":"authenticated-admin"}"#),
            Err(ErrorKind::AudMismatch)
        );
        assert_eq!(a(r#"{"aud":[]}"#), Err(ErrorKind::AudMismatch));
        assert_eq!(a(r#"{}"#), Err(ErrorKind::AudMismatch));
        assert_eq!(
            a(r#"{"aud":["authenticated",1]}"#),
            Err(ErrorKind::InvalidClaim)
        );
        assert_eq!(
            a(r#"{"aud":{"authenticated":1}}"#),
            Err(ErrorKind::InvalidClaim)
        );
        assert_eq!(
            check_audience(&payload(r#"{"aud":"x"}"#), None).map_err(|e| e.kind),
            Err(ErrorKind::AudNotExpected)
        );
        let iss = vec!["https://p.supabase.co/auth/v1".to_string()];
        let i = |p: &str| check_issuer(&payload(p), &iss).map_err(|e| e.kind);
        assert_eq!(i(r#"{"iss":"https://p.supabase.co/auth/v1"}"#), Ok(()));
        assert_eq!(
            i(r#"{"iss":"https://p.supabase.co/auth/v1/"}"#),
            Err(ErrorKind::IssMismatch)
        );
        assert_eq!(
            i(r#"{"iss":"HTTPS://P.SUPABASE.CO/AUTH/V1"}"#),
            Err(ErrorKind::IssMismatch)
        );
        assert_eq!(i(r#"{}"#), Err(ErrorKind::IssMismatch));
        assert_eq!(
            i(r#"{"iss":["https://p.supabase.co/auth/v1"]}"#),
            Err(ErrorKind::InvalidClaim)
        );
    }

    #[test]
    fn uuids() {
        assert!(is_uuid("f6ab480c-af96-5af5-9637-05df4f8861e0"));
        assert!(!is_uuid("f6ab480c-af96-5af5-9637-05df4f8861e"));
        assert!(!is_uuid("f6ab480c_af96-5af5-9637-05df4f8861e0"));
        assert!(!is_uuid("g6ab480c-af96-5af5-9637-05df4f8861e0"));
    }
}
