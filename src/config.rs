//! The verifier's configuration as data, and the `Authenticator` built from it.
//! Defaults that depend on the environment (SUPABASE_URL, ...) are resolved by the facade;
//! here every field means exactly what it says.

use crate::alg::Algorithm;
use crate::claims::Instant;
use crate::context::{self, Context, ContextRules, Kind};
use crate::error::{AuthError, ErrorKind, Result};
use crate::http;
use crate::keys::{KeySet, KeySource};
use crate::token_cache::{Key, TokenCache};
use crate::verify::{self, Pending, Policy, Step, Verified};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::rc::Rc;

fn build_keys(secret: Option<&str>, inline: Option<&str>, remote: Option<&[u8]>) -> Result<KeySet> {
    let mut keys = KeySet::default();
    if let Some(secret) = secret {
        keys.set_legacy_secret(secret)?;
    }
    if let Some(jwks) = inline {
        keys.add_jwks(jwks.as_bytes(), KeySource::Inline)?;
    }
    if let Some(jwks) = remote {
        keys.add_jwks(jwks, KeySource::Remote)?;
    }
    Ok(keys)
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    /// The legacy HS256 secret (Supabase's JWT secret), at least 32 bytes.
    #[serde(default)]
    pub jwt_secret: Option<String>,
    /// A JWK Set or single JWK, as JSON text (e.g. the `SUPABASE_JWKS` env value).
    #[serde(default)]
    pub jwks: Option<String>,
    /// The algorithm allow-list. Required: the facade supplies its documented default.
    #[serde(default)]
    pub algorithms: Vec<String>,
    /// Accepted issuers; empty accepts any.
    #[serde(default)]
    pub issuers: Vec<String>,
    /// Accepted audiences; absent means tokens must not carry `aud`.
    #[serde(default)]
    pub audience: Option<Vec<String>>,
    #[serde(default)]
    pub leeway_seconds: i64,
    /// `"anon"` and/or `"service_role"`: API keys accepted in place of a user.
    #[serde(default)]
    pub allow_api_keys: Vec<String>,
    #[serde(default)]
    pub api_key_issuers: Vec<String>,
    #[serde(default)]
    pub role_permissions: BTreeMap<String, Vec<String>>,
    /// Header names trusted to carry the client address, in order of preference.
    #[serde(default)]
    pub trusted_ip_headers: Vec<String>,
    /// Trusted proxies appending to X-Forwarded-For (0: take the leftmost entry).
    #[serde(default)]
    pub forwarded_hops: u32,
    #[serde(default)]
    pub realm: Option<String>,
    /// Verified-token cache size; 0 turns the cache off. Default 1024 entries, 2 MiB.
    #[serde(default)]
    pub token_cache_entries: Option<usize>,
    #[serde(default)]
    pub token_cache_bytes: Option<usize>,
}

/// Leeway beyond this is a configuration mistake, not clock skew.
const MAX_LEEWAY_SECONDS: i64 = 300;

#[derive(Clone, Debug)]
pub struct Authenticator {
    pub policy: Policy,
    pub keys: KeySet,
    /// The key sources, kept so the set can be rebuilt when the remote part changes.
    jwt_secret: Option<String>,
    inline_jwks: Option<String>,
    pub cache_limits: crate::token_cache::Limits,
    pub rules: ContextRules,
    pub trusted_ip_headers: Vec<String>,
    pub forwarded_hops: u32,
    pub realm: String,
}

fn config_error(detail: &'static str) -> AuthError {
    AuthError::with_detail(ErrorKind::InvalidConfig, detail)
}

impl Authenticator {
    pub fn new(cfg: Config) -> Result<Authenticator> {
        // A configured secret or key set that cannot be used is the operator's mistake: a 500,
        // never a 401 that blames the caller's token. (Fetched sets are handled by the facade.)
        let keys =
            build_keys(cfg.jwt_secret.as_deref(), cfg.jwks.as_deref(), None).map_err(|e| {
                AuthError::with_detail(ErrorKind::InvalidConfig, e.detail.unwrap_or("invalid key"))
            })?;
        let defaults = crate::token_cache::Limits::default();
        let cache_limits = crate::token_cache::Limits {
            max_entries: cfg.token_cache_entries.unwrap_or(defaults.max_entries),
            max_bytes: cfg.token_cache_bytes.unwrap_or(defaults.max_bytes),
        };
        let mut algorithms = Vec::new();
        for name in &cfg.algorithms {
            algorithms.push(
                Algorithm::from_name(name)
                    .ok_or(config_error("unknown algorithm in algorithms"))?,
            );
        }
        if algorithms.is_empty() {
            return Err(config_error("algorithms must not be empty"));
        }
        if !(0..=MAX_LEEWAY_SECONDS).contains(&cfg.leeway_seconds) {
            return Err(config_error("leewaySeconds must be between 0 and 300"));
        }
        if cfg
            .audience
            .as_ref()
            .is_some_and(|a| a.is_empty() || a.iter().any(String::is_empty))
        {
            return Err(config_error(
                "audience must be absent or a non-empty list of names",
            ));
        }
        let mut allow_api_keys = Vec::new();
        for k in &cfg.allow_api_keys {
            allow_api_keys.push(match k.as_str() {
                "anon" => Kind::Anon,
                "service_role" => Kind::ServiceRole,
                _ => return Err(config_error("allowApiKeys takes anon and service_role")),
            });
        }
        Ok(Authenticator {
            policy: Policy {
                algorithms,
                issuers: cfg.issuers,
                audience: cfg.audience,
                leeway_seconds: cfg.leeway_seconds,
            },
            keys,
            jwt_secret: cfg.jwt_secret,
            inline_jwks: cfg.jwks,
            cache_limits,
            rules: ContextRules {
                allow_api_keys,
                api_key_issuers: cfg.api_key_issuers,
                role_permissions: cfg.role_permissions,
            },
            trusted_ip_headers: cfg
                .trusted_ip_headers
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            forwarded_hops: cfg.forwarded_hops,
            realm: cfg.realm.unwrap_or_else(|| "supabase".to_owned()),
        })
    }

    /// A copy whose key set holds the configured keys plus `remote` (a fetched JWK Set; `None`
    /// drops the remote keys). Fails, leaving nothing changed, when `remote` is not a key set.
    pub fn with_remote_keys(&self, remote: Option<&[u8]>) -> Result<Authenticator> {
        let keys = build_keys(
            self.jwt_secret.as_deref(),
            self.inline_jwks.as_deref(),
            remote,
        )?;
        Ok(Authenticator {
            keys,
            ..self.clone()
        })
    }

    /// Fingerprints of every usable key, for dropping cached tokens of removed keys.
    pub fn key_fingerprints(&self) -> std::collections::HashSet<String> {
        let mut live: std::collections::HashSet<String> = self
            .keys
            .keys
            .iter()
            .map(|k| k.fingerprint.clone())
            .collect();
        if self.keys.legacy_secret.is_some() {
            live.insert(crate::verify::LEGACY_SECRET_FINGERPRINT.to_owned());
        }
        live
    }

    /// Is the key with this fingerprint still one of ours?
    fn holds_key(&self, fingerprint: &str) -> bool {
        if fingerprint == crate::verify::LEGACY_SECRET_FINGERPRINT {
            return self.keys.legacy_secret.is_some();
        }
        self.keys.keys.iter().any(|k| k.fingerprint == fingerprint)
    }

    /// Serves a repeated token from the cache (by its cache key): only while the key that
    /// verified it is still in the set (whatever raced with an eviction, e.g. a verification
    /// that finished after its key was removed), and with its time claims checked again
    /// against `now`; an entry that no longer passes is dropped.
    pub fn cached(
        &self,
        cache: &mut TokenCache,
        key: &Key,
        now: Instant,
    ) -> Option<Result<Rc<Verified>>> {
        let v = cache.get(key)?;
        if !self.holds_key(&v.key_fingerprint) {
            cache.forget(key);
            return None;
        }
        match crate::claims::check_time(&v.payload, now, self.policy.leeway_seconds) {
            Ok(_) => Some(Ok(v)),
            Err(e) => {
                cache.forget(key);
                Some(Err(e))
            }
        }
    }

    /// Starts verifying the credential of an `Authorization` header.
    pub fn begin_header(&self, authorization: Option<&str>, now: Instant) -> Result<Step> {
        let token = http::bearer_token(authorization)?;
        self.begin_token(token, now)
    }

    pub fn begin_token(&self, token: &str, now: Instant) -> Result<Step> {
        if self.keys.is_empty() && self.keys.rejected.is_empty() {
            return Err(ErrorKind::KeysUnavailable.into());
        }
        verify::begin(token, &self.keys, &self.policy, now)
    }

    pub fn finish(&self, pending: Pending, signature_valid: bool) -> Result<Verified> {
        verify::finish(pending, signature_valid, &self.policy)
    }

    /// The Supabase view of a verified token: user or API key, role and permissions.
    pub fn context(&self, v: &Verified, headers: &[(String, String)]) -> Result<Context> {
        let ip = http::client_ip(headers, &self.trusted_ip_headers, self.forwarded_hops);
        context::build(v, &self.policy, &self.rules, ip)
    }

    /// The generic view: every token must satisfy the issuer and audience policy.
    pub fn check_generic(&self, v: &Verified) -> Result<()> {
        verify::check_iss_aud(v, &self.policy)
    }
}
