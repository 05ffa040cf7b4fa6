//! What the core reads from an HTTP request: the Bearer credential and the client address.

use crate::error::{ErrorKind, Result};
use std::net::{IpAddr, SocketAddr};

/// Extracts the token from an `Authorization` header (RFC 6750 §2.1).
/// No header: 401 without error. Another scheme, several credentials or stray characters: 400.
pub fn bearer_token(header: Option<&str>) -> Result<&str> {
    let header = header.map(|h| h.trim_matches([' ', '\t'])).unwrap_or("");
    if header.is_empty() {
        return Err(ErrorKind::MissingCredentials.into());
    }
    let (scheme, rest) = header
        .split_once([' ', '\t'])
        .ok_or(ErrorKind::InvalidRequest)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ErrorKind::InvalidRequest.into());
    }
    let token = rest.trim_start_matches([' ', '\t']);
    // token68 characters only: a comma or space means two credentials (e.g. merged headers).
    let token68 = |c: u8| {
        c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
    };
    if token.is_empty() || !token.bytes().all(token68) {
        return Err(ErrorKind::InvalidRequest.into());
    }
    Ok(token)
}

/// Header names (lower case) the deployment trusts to carry the client address, in order.
pub const DEFAULT_IP_HEADERS: [&str; 3] = ["cf-connecting-ip", "x-forwarded-for", "x-real-ip"];

/// Resolves the client address from the trusted headers. `forwarded_hops` is the number of
/// trusted proxies that append to `X-Forwarded-For`: 0 takes the leftmost (client) entry,
/// n takes the n-th entry from the right. Anything that is not an IP address is ignored.
pub fn client_ip(headers: &[(String, String)], trusted: &[String], forwarded_hops: u32) -> String {
    for name in trusted {
        let Some((_, value)) = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) else {
            continue;
        };
        let candidate = if name.eq_ignore_ascii_case("x-forwarded-for") {
            let entries: Vec<&str> = value.split(',').map(str::trim).collect();
            let index = if forwarded_hops == 0 {
                Some(0)
            } else {
                entries.len().checked_sub(forwarded_hops as usize)
            };
            index.and_then(|i| entries.get(i).copied())
        } else {
            Some(value.trim())
        };
        if let Some(ip) = candidate.and_then(parse_ip) {
            return ip.to_string();
        }
    }
    "unknown".to_owned()
}

fn parse_ip(s: &str) -> Option<IpAddr> {
    if s.len() > 64 {
        return None;
    }
    s.parse::<IpAddr>()
        .ok()
        .or_else(|| s.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .map(|ip| match ip {
            // Report v4-mapped v6 addresses in their v4 form, so one client has one key.
            IpAddr::V6(v6) => v6
                .to_ipv4_mapped()
                .map(IpAddr::V4)
                .unwrap_or(IpAddr::V6(v6)),
            v4 => v4,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_parsing() {
        assert_eq!(bearer_token(Some("Bearer a.b.c")), Ok("a.b.c"));
        assert_eq!(bearer_token(Some("bearer   a.b.c ")), Ok("a.b.c"));
        let kind = |h: Option<&str>| bearer_token(h).unwrap_err().kind;
        assert_eq!(kind(None), ErrorKind::MissingCredentials);
        assert_eq!(kind(Some("  ")), ErrorKind::MissingCredentials);
        assert_eq!(kind(Some("Basic dXNlcjpwYXNz")), ErrorKind::InvalidRequest);
        assert_eq!(kind(Some("Bearer")), ErrorKind::InvalidRequest);
        assert_eq!(
            kind(Some("Bearer a.b.c, Bearer d.e.f")),
            ErrorKind::InvalidRequest
        );
        assert_eq!(kind(Some("Bearer a.b.c d")), ErrorKind::InvalidRequest);
        assert_eq!(kind(Some("Bearer a.b.c\u{0}")), ErrorKind::InvalidRequest);
        assert_eq!(kind(Some("Bearer é")), ErrorKind::InvalidRequest);
        assert_eq!(kind(Some("a.b.c")), ErrorKind::InvalidRequest);
    }

    #[test]
    fn client_ip_rules() {
        let h = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        let trusted: Vec<String> = DEFAULT_IP_HEADERS.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            client_ip(&h(&[("CF-Connecting-IP", "203.0.113.7")]), &trusted, 0),
            "203.0.113.7"
        );
        assert_eq!(
            client_ip(
                &h(&[("x-forwarded-for", "198.51.100.1, 10.0.0.1")]),
                &trusted,
                0
            ),
            "198.51.100.1"
        );
        assert_eq!(
            client_ip(
                &h(&[("x-forwarded-for", "1.1.1.1, 198.51.100.1, 10.0.0.1")]),
                &trusted,
                2
            ),
            "198.51.100.1"
        );
        assert_eq!(
            client_ip(&h(&[("x-forwarded-for", "10.0.0.1")]), &trusted, 3),
            "unknown"
        );
        assert_eq!(
            client_ip(&h(&[("x-real-ip", "2001:db8::1")]), &trusted, 0),
            "2001:db8::1"
        );
        assert_eq!(
            client_ip(&h(&[("x-real-ip", "[2001:db8::1]:443")]), &trusted, 0),
            "2001:db8::1"
        );
        assert_eq!(
            client_ip(&h(&[("x-real-ip", "::ffff:192.0.2.1")]), &trusted, 0),
            "192.0.2.1"
        );
        assert_eq!(
            client_ip(&h(&[("x-real-ip", "<script>")]), &trusted, 0),
            "unknown"
        );
        assert_eq!(
            client_ip(&h(&[("x-real-ip", "1.2.3.4; DROP")]), &trusted, 0),
            "unknown"
        );
        // A header the deployment does not trust is never read.
        assert_eq!(
            client_ip(&h(&[("x-client-ip", "1.2.3.4")]), &trusted, 0),
            "unknown"
        );
        // An invalid first choice falls through to the next trusted header.
        assert_eq!(
            client_ip(
                &h(&[("cf-connecting-ip", "junk"), ("x-real-ip", "192.0.2.9")]),
                &trusted,
                0
            ),
            "192.0.2.9"
        );
    }
}
