//! Twilio request validation (`X-Twilio-Signature`): base64 HMAC-SHA1, keyed with the auth
//! token, over the public URL configured in Twilio (never the URL the request arrived at, which
//! proxies rewrite) plus the request's query string, followed by every form parameter sorted by
//! name, each name then value (form-decoded; repeated names give every distinct value, sorted).
//! The JSON-body variant carries `bodySHA256` in the query: the signature covers the URL only,
//! and the body's SHA-256 hex must equal that parameter. Like Twilio's SDKs, a match with the
//! port removed, or with the default port added, is accepted. Twilio signs no timestamp, so
//! replay protection rests on the replay store, keyed by the signature (see `Verified`).

use super::{config_error, ct_eq, decode_hex_lower, header, valid_event_id, Request};
use crate::b64::{self, Alphabet};
use crate::error::{ErrorKind, Result};
use hmac::{KeyInit, Mac};
use sha2::Digest;
use std::collections::{BTreeMap, BTreeSet};

const SIGNATURE_BYTES: usize = 20;
/// More form parameters than this is not a Twilio callback.
const MAX_PARAMS: usize = 1000;

#[derive(Clone, Debug)]
pub struct Keys {
    tokens: Vec<Vec<u8>>,
    /// The configured URL and its port variants, without query.
    urls: Vec<String>,
}

impl Keys {
    pub fn new(tokens: &[String], public_url: &str) -> Result<Keys> {
        Ok(Keys {
            tokens: tokens.iter().map(|t| t.as_bytes().to_vec()).collect(),
            urls: url_variants(public_url)?,
        })
    }

    /// Returns the event id and the replay key (see `Verified`).
    pub(super) fn verify(&self, req: &Request<'_>) -> Result<(String, String)> {
        let sig_text = header(req.headers, "x-twilio-signature")?;
        let signature = match b64::decode(Alphabet::StandardPadded, sig_text.as_bytes()) {
            Some(s) if s.len() == SIGNATURE_BYTES => s,
            _ => return Err(ErrorKind::WebhookBadEncoding.into()),
        };
        let query = parse_form(req.query.as_bytes())?;
        let body_hash = query
            .iter()
            .find(|(k, _)| k.as_slice() == b"bodySHA256")
            .map(|(_, v)| v);
        let (params, body_ok) = match body_hash {
            Some(hash) => {
                let text = std::str::from_utf8(hash).map_err(|_| ErrorKind::WebhookBadEncoding)?;
                let claimed = decode_hex_lower(text, 32)?;
                let actual = sha2::Sha256::digest(req.body);
                (Vec::new(), ct_eq(&actual, &claimed))
            }
            None => (parse_form(req.body)?, true),
        };
        let data = sorted_params(&params);
        let mut matched = false;
        for url in &self.urls {
            for token in &self.tokens {
                let Ok(mut m) = <hmac::Hmac<sha1::Sha1> as KeyInit>::new_from_slice(token) else {
                    continue;
                };
                m.update(url.as_bytes());
                if !req.query.is_empty() {
                    m.update(b"?");
                    m.update(req.query.as_bytes());
                }
                m.update(&data);
                matched |= ct_eq(&m.finalize().into_bytes(), &signature);
            }
        }
        if !(matched && body_ok) {
            return Err(ErrorKind::WebhookBadSignature.into());
        }
        let replay_key = format!("sig:{sig_text}");
        let id = event_id(&params).unwrap_or_else(|| replay_key.clone());
        Ok((id, replay_key))
    }
}

/// `MessageSid` (or the legacy `SmsSid`), followed by `:MessageStatus` for status callbacks,
/// which Twilio sends several times per message with one status each.
fn event_id(params: &[(Vec<u8>, Vec<u8>)]) -> Option<String> {
    let get = |name: &[u8]| {
        params
            .iter()
            .find(|(k, _)| k.as_slice() == name)
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
    };
    let sid = get(b"MessageSid").or_else(|| get(b"SmsSid"))?;
    let id = match get(b"MessageStatus").or_else(|| get(b"SmsStatus")) {
        Some(status) => format!("{sid}:{status}"),
        None => sid.to_string(),
    };
    valid_event_id(&id).then_some(id)
}

/// Names sorted (byte order), each followed by every distinct value (sorted): name1value1...
fn sorted_params(params: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut map: BTreeMap<&[u8], BTreeSet<&[u8]>> = BTreeMap::new();
    for (k, v) in params {
        map.entry(k.as_slice()).or_default().insert(v.as_slice());
    }
    let mut out = Vec::new();
    for (k, values) in map {
        for v in values {
            out.extend_from_slice(k);
            out.extend_from_slice(v);
        }
    }
    out
}

/// `application/x-www-form-urlencoded` pairs: `+` is a space, `%XX` a byte; a `%` not followed
/// by two hex digits is malformed. Empty segments are skipped; a name without `=` has value "".
pub fn parse_form(input: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut out = Vec::new();
    for segment in input.split(|&c| c == b'&') {
        if segment.is_empty() {
            continue;
        }
        if out.len() >= MAX_PARAMS {
            return Err(ErrorKind::WebhookBadEncoding.into());
        }
        let (name, value) = match segment.iter().position(|&c| c == b'=') {
            Some(i) => (segment.get(..i), segment.get(i + 1..)),
            None => (Some(segment), Some(&b""[..])),
        };
        match (name, value) {
            (Some(n), Some(v)) => out.push((form_decode(n)?, form_decode(v)?)),
            _ => return Err(ErrorKind::WebhookBadEncoding.into()),
        }
    }
    Ok(out)
}

fn form_decode(input: &[u8]) -> Result<Vec<u8>> {
    fn hex(c: u8) -> Option<u8> {
        char::from(c)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    }
    let mut out = Vec::with_capacity(input.len());
    let mut it = input.iter().copied();
    while let Some(c) = it.next() {
        match c {
            b'+' => out.push(b' '),
            b'%' => {
                let byte = it
                    .next()
                    .and_then(hex)
                    .zip(it.next().and_then(hex))
                    .map(|(hi, lo)| (hi << 4) | lo)
                    .ok_or(ErrorKind::WebhookBadEncoding)?;
                out.push(byte);
            }
            _ => out.push(c),
        }
    }
    Ok(out)
}

/// The configured URL, then the same with its port removed or, without a port, the scheme's
/// default port added. The URL must be absolute http(s), with a path, no query, fragment or
/// credentials.
fn url_variants(url: &str) -> Result<Vec<String>> {
    let bad = || config_error("publicUrl must be an absolute http(s) URL with a path, no query");
    let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
    let default_port = match scheme {
        "https" => "443",
        "http" => "80",
        _ => return Err(bad()),
    };
    let slash = rest.find('/').ok_or_else(bad)?;
    let (authority, path) = rest.split_at(slash);
    if authority.is_empty()
        || url.contains(['?', '#', ' '])
        || authority.contains('@')
        || !url.is_ascii()
    {
        return Err(bad());
    }
    // The port follows the last ':' after any bracketed IPv6 literal.
    let host_end = authority.rfind(']').map_or(0, |i| i + 1);
    let (host, port) = match authority.get(host_end..).and_then(|t| t.find(':')) {
        Some(i) => authority.split_at(host_end + i),
        None => (authority, ""),
    };
    if host.is_empty() {
        return Err(bad());
    }
    let mut out = vec![url.to_string()];
    if port.is_empty() {
        out.push(format!("{scheme}://{host}:{default_port}{path}"));
    } else {
        out.push(format!("{scheme}://{host}{path}"));
    }
    Ok(out)
}

/// The `X-Twilio-Signature` value for a URL (query included) and form parameters.
pub fn sign(token: &str, url_with_query: &str, params: &[(&str, &str)]) -> String {
    let owned: Vec<(Vec<u8>, Vec<u8>)> = params
        .iter()
        .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
        .collect();
    match <hmac::Hmac<sha1::Sha1> as KeyInit>::new_from_slice(token.as_bytes()) {
        Ok(mut m) => {
            m.update(url_with_query.as_bytes());
            m.update(&sorted_params(&owned));
            b64::encode(Alphabet::StandardPadded, &m.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{WebhookConfig, WebhookVerifier};
    use super::*;

    const PARAMS: [(&str, &str); 5] = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+14158675309"),
        ("Digits", "1234"),
        ("From", "+14158675309"),
        ("To", "+18005551212"),
    ];
    const SIG: &str = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";

    fn verifier(url: &str) -> WebhookVerifier {
        match WebhookVerifier::new(WebhookConfig {
            scheme: "twilio".into(),
            secrets: vec!["12345".into()],
            public_url: Some(url.into()),
            ..Default::default()
        }) {
            Ok(v) => v,
            Err(e) => panic!("{e}"),
        }
    }

    fn form(params: &[(&str, &str)]) -> String {
        params
            .iter()
            .map(|(k, v)| format!("{k}={}", v.replace('+', "%2B")))
            .collect::<Vec<_>>()
            .join("&")
    }

    fn run(v: &WebhookVerifier, sig: &str, query: &str, body: &[u8]) -> Result<String> {
        let headers = vec![("X-Twilio-Signature".to_string(), sig.to_string())];
        v.verify(&Request {
            headers: &headers,
            body,
            query,
            now: 0,
        })
        .map(|v| v.event_id)
    }

    #[test]
    fn published_vectors() {
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(sign("12345", url, &PARAMS), SIG);
        let body = form(&PARAMS);
        for public in [
            "https://mycompany.com/myapp.php",
            "https://mycompany.com:1234/myapp.php",
        ] {
            let v = verifier(public);
            assert!(
                run(&v, SIG, "foo=1&bar=2", body.as_bytes()).is_ok(),
                "{public}"
            );
        }
        // Reordered form fields sign the same.
        let mut reversed = PARAMS;
        reversed.reverse();
        let v = verifier("https://mycompany.com/myapp.php");
        assert!(run(&v, SIG, "foo=1&bar=2", form(&reversed).as_bytes()).is_ok());
    }

    #[test]
    fn json_body_variant() {
        let v = verifier("https://mycompany.com/myapp.php");
        let body = br#"{"property": "value", "boolean": true}"#;
        let q = "foo=1&bar=2&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
        assert!(run(&v, "a9nBmqA0ju/hNViExpshrM61xv4=", q, body).is_ok());
        // Same URL and signature, different body: the hash no longer matches.
        assert_eq!(
            run(
                &v,
                "a9nBmqA0ju/hNViExpshrM61xv4=",
                q,
                br#"{"property": "other"}"#
            )
            .err()
            .map(|e| e.kind),
            Some(ErrorKind::WebhookBadSignature)
        );
    }

    #[test]
    fn default_port_added() {
        let signed = "https://h.example:443/hook";
        let sig = sign("12345", signed, &[("MessageSid", "SM1")]);
        let v = verifier("https://h.example/hook");
        assert_eq!(
            run(&v, &sig, "", b"MessageSid=SM1").ok().as_deref(),
            Some("SM1")
        );
    }

    #[test]
    fn repeated_names_and_decoding() {
        let url = "https://h.example/hook";
        let sig = sign("12345", url, &[("A", "x y"), ("A", "é&"), ("B", "")]);
        let v = verifier(url);
        assert!(run(&v, &sig, "", b"B&A=%C3%A9%26&A=x+y").is_ok());
        assert!(run(&v, &sig, "", b"A=x+y&A=x+y&B=&A=%c3%a9%26").is_ok());
        assert_eq!(
            run(&v, &sig, "", b"A=x+y&A=%C3%A9%2").err().map(|e| e.kind),
            Some(ErrorKind::WebhookBadEncoding)
        );
        assert_eq!(
            run(&v, &sig, "", b"A=x+y&A=%C3%A9%26&B=1")
                .err()
                .map(|e| e.kind),
            Some(ErrorKind::WebhookBadSignature)
        );
    }

    #[test]
    fn event_id_includes_status() {
        let url = "https://h.example/hook";
        let p = [("MessageSid", "SM9"), ("MessageStatus", "delivered")];
        let sig = sign("12345", url, &p);
        let v = verifier(url);
        assert_eq!(
            run(&v, &sig, "", form(&p).as_bytes()).ok().as_deref(),
            Some("SM9:delivered")
        );
    }

    #[test]
    fn rejections_and_config() {
        let v = verifier("https://mycompany.com/myapp.php");
        let body = form(&PARAMS);
        for (sig, kind) in [
            ("", ErrorKind::WebhookMissingHeader),
            ("RSOYDt4T1cUTdK1PDd93/VVr8B8", ErrorKind::WebhookBadEncoding),
            ("AAAA", ErrorKind::WebhookBadEncoding),
            (
                "0/KCTR6DLpKmkAf8muzZqo1nDgQ=",
                ErrorKind::WebhookBadSignature,
            ),
        ] {
            assert_eq!(
                run(&v, sig, "foo=1&bar=2", body.as_bytes())
                    .err()
                    .map(|e| e.kind),
                Some(kind),
                "{sig}"
            );
        }
        // The query is part of what is signed.
        assert!(run(&v, SIG, "foo=1&bar=3", body.as_bytes()).is_err());
        for bad in [
            "",
            "mycompany.com/x",
            "ftp://mycompany.com/x",
            "https://mycompany.com",
            "https://mycompany.com/x?y=1",
            "https://u:p@mycompany.com/x",
            "https:///x",
        ] {
            assert!(url_variants(bad).is_err(), "{bad}");
        }
        assert_eq!(
            url_variants("http://[::1]:8080/x").ok(),
            Some(vec![
                "http://[::1]:8080/x".to_string(),
                "http://[::1]/x".to_string()
            ])
        );
    }
}
