//! The security context built from verified claims: who the caller is, their app role and
//! permissions, and what kind of credential they presented.

use crate::claims;
use crate::error::{ErrorKind, Result};
use crate::json::{self, Value};
use crate::verify::{Policy, Verified};
use std::collections::BTreeMap;

/// What kind of credential a verified token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    User,
    /// Supabase's legacy `anon` API key: a project credential, not a user.
    Anon,
    /// Supabase's legacy `service_role` API key: full access, never a user.
    ServiceRole,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Anon => "anon",
            Kind::ServiceRole => "service_role",
        }
    }
}

/// How claims become a context.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContextRules {
    /// API-key kinds (`anon`, `service_role`) accepted in place of a user; empty by default.
    pub allow_api_keys: Vec<Kind>,
    /// Issuers accepted on API keys (Supabase signs them with `supabase` or `supabase-demo`).
    pub api_key_issuers: Vec<String>,
    /// Permissions per app role, used when the token carries no `user_permissions` claim.
    pub role_permissions: BTreeMap<String, Vec<String>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Context {
    pub kind: Kind,
    pub user_id: Option<String>,
    /// The app role (`user_role` claim from the custom access token hook).
    pub role: Option<String>,
    pub permissions: Vec<String>,
    pub ip_address: String,
    pub session_id: Option<String>,
    pub aal: Option<String>,
    pub is_anonymous: bool,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The Postgres role from the `role` claim (`authenticated`, `anon`, `service_role`).
    pub postgres_role: Option<String>,
    pub expires_at: i64,
}

fn opt_string(payload: &Value, name: &str) -> Result<Option<String>> {
    match payload.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ErrorKind::InvalidClaim.into()),
    }
}

fn string_array(v: &Value) -> Result<Vec<String>> {
    match v {
        Value::Array(items) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| ErrorKind::InvalidClaim.into())
            })
            .collect(),
        // An object, a string or anything else is an error, never a grant.
        _ => Err(ErrorKind::InvalidClaim.into()),
    }
}

/// Builds the context, applying the user-or-API-key rules on top of the verified token.
pub fn build(
    v: &Verified,
    policy: &Policy,
    rules: &ContextRules,
    ip_address: String,
) -> Result<Context> {
    let p = &v.payload;
    let postgres_role = opt_string(p, "role")?;
    let api_kind = match postgres_role.as_deref() {
        Some("anon") => Some(Kind::Anon),
        Some("service_role") => Some(Kind::ServiceRole),
        _ => None,
    };
    let kind = match api_kind {
        Some(kind) => {
            if !rules.allow_api_keys.contains(&kind) {
                return Err(ErrorKind::ApiKeyNotUser.into());
            }
            // API keys have their own issuers and no audience.
            let mut issuers = rules.api_key_issuers.clone();
            issuers.extend(policy.issuers.iter().cloned());
            claims::check_issuer(p, &issuers)?;
            kind
        }
        None => {
            claims::check_issuer(p, &policy.issuers)?;
            claims::check_audience(p, policy.audience.as_deref())?;
            Kind::User
        }
    };
    let user_id = opt_string(p, "sub")?;
    if kind == Kind::User && !user_id.as_deref().is_some_and(claims::is_uuid) {
        return Err(ErrorKind::InvalidSubject.into());
    }
    let role = if kind == Kind::User {
        opt_string(p, "user_role")?
    } else {
        None
    };
    let permissions = match (kind, p.get("user_permissions"), &role) {
        (Kind::User, Some(v), _) => string_array(v)?,
        (Kind::User, None, Some(r)) => rules.role_permissions.get(r).cloned().unwrap_or_default(),
        _ => Vec::new(),
    };
    let is_anonymous = match p.get("is_anonymous") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(ErrorKind::InvalidClaim.into()),
    };
    Ok(Context {
        kind,
        user_id,
        role,
        permissions,
        ip_address,
        session_id: opt_string(p, "session_id")?,
        aal: opt_string(p, "aal")?,
        is_anonymous,
        email: opt_string(p, "email")?,
        phone: opt_string(p, "phone")?,
        postgres_role,
        expires_at: v.lifetime.exp.secs,
    })
}

impl Context {
    /// The context as a JSON object with snake_case members. The claims travel separately (the
    /// verified payload text as signed), so callers that never read them never parse them.
    pub fn to_json(&self) -> String {
        let mut o = String::with_capacity(256);
        let opt = |o: &mut String, v: &Option<String>| match v {
            Some(s) => json::write_string(o, s),
            None => o.push_str("null"),
        };
        o.push_str("{\"kind\":");
        json::write_string(&mut o, self.kind.name());
        o.push_str(",\"user_id\":");
        opt(&mut o, &self.user_id);
        o.push_str(",\"role\":");
        opt(&mut o, &self.role);
        o.push_str(",\"permissions\":[");
        for (i, perm) in self.permissions.iter().enumerate() {
            if i > 0 {
                o.push(',');
            }
            json::write_string(&mut o, perm);
        }
        o.push_str("],\"ip_address\":");
        json::write_string(&mut o, &self.ip_address);
        o.push_str(",\"session_id\":");
        opt(&mut o, &self.session_id);
        o.push_str(",\"aal\":");
        opt(&mut o, &self.aal);
        o.push_str(if self.is_anonymous {
            ",\"is_anonymous\":true"
        } else {
            ",\"is_anonymous\":false"
        });
        o.push_str(",\"email\":");
        opt(&mut o, &self.email);
        o.push_str(",\"phone\":");
        opt(&mut o, &self.phone);
        o.push_str(",\"postgres_role\":");
        opt(&mut o, &self.postgres_role);
        o.push_str(",\"expires_at\":");
        o.push_str(&self.expires_at.to_string());
        o.push('}');
        o
    }
}
