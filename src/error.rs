//! Every failure the product can report: one enum, its stable code, HTTP status and safe message.
//! Messages never carry the token, a secret or a claim value.

use std::fmt;

/// The stable failure codes. `code()` is part of the public API: never rename one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    // 401, no credentials at all.
    MissingCredentials,
    // 400, the Authorization header is not a single Bearer credential.
    InvalidRequest,
    // 401, the token cannot be parsed as a strict compact JWS.
    Malformed,
    TokenTooLarge,
    DuplicateMember,
    CritUnsupported,
    TypMismatch,
    // 401, algorithm and key selection.
    AlgNotAllowed,
    KidRequired,
    NoMatchingKey,
    KeyTypeMismatch,
    KeyAlgMismatch,
    KeyUseMismatch,
    InvalidKey,
    WeakKey,
    BadSignature,
    // 401, claims.
    MissingExp,
    Expired,
    NotYetValid,
    IatInFuture,
    InvalidClaim,
    IssMismatch,
    AudMismatch,
    AudNotExpected,
    InvalidSubject,
    ApiKeyNotUser,
    // 403, authorization.
    InsufficientRole,
    InsufficientPermission,
    InsufficientAal,
    InactiveAccount,
    // 503, no usable key could be obtained (key source down).
    KeysUnavailable,
    // 503, the profile lookup hook failed: fail closed, the caller may retry.
    ProfileUnavailable,
    // 429, too many failed attempts from this client.
    TooManyAttempts,
    // 500, the verifier itself is misconfigured.
    InvalidConfig,
    // 401, inbound webhook signatures.
    WebhookMissingHeader,
    WebhookBadEncoding,
    WebhookBadSignature,
    WebhookTimestamp,
    WebhookReplay,
    WebhookTooLarge,
    WebhookConfig,
    // 401, no usable webhook secret is configured: fail closed, never accept.
    WebhookNoSecret,
}

/// How the error maps onto RFC 6750's `WWW-Authenticate` challenge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Challenge {
    /// No challenge header (authorization of a known caller, webhooks, server errors).
    None,
    /// `Bearer realm="..."` with no error: the request carried no credentials.
    Bare,
    InvalidRequest,
    InvalidToken,
    InsufficientScope,
}

/// Every kind, for lookups by code.
pub const ALL_KINDS: [ErrorKind; 42] = [
    ErrorKind::MissingCredentials,
    ErrorKind::InvalidRequest,
    ErrorKind::Malformed,
    ErrorKind::TokenTooLarge,
    ErrorKind::DuplicateMember,
    ErrorKind::CritUnsupported,
    ErrorKind::TypMismatch,
    ErrorKind::AlgNotAllowed,
    ErrorKind::KidRequired,
    ErrorKind::NoMatchingKey,
    ErrorKind::KeyTypeMismatch,
    ErrorKind::KeyAlgMismatch,
    ErrorKind::KeyUseMismatch,
    ErrorKind::InvalidKey,
    ErrorKind::WeakKey,
    ErrorKind::BadSignature,
    ErrorKind::MissingExp,
    ErrorKind::Expired,
    ErrorKind::NotYetValid,
    ErrorKind::IatInFuture,
    ErrorKind::InvalidClaim,
    ErrorKind::IssMismatch,
    ErrorKind::AudMismatch,
    ErrorKind::AudNotExpected,
    ErrorKind::InvalidSubject,
    ErrorKind::ApiKeyNotUser,
    ErrorKind::InsufficientRole,
    ErrorKind::InsufficientPermission,
    ErrorKind::InsufficientAal,
    ErrorKind::InactiveAccount,
    ErrorKind::KeysUnavailable,
    ErrorKind::ProfileUnavailable,
    ErrorKind::TooManyAttempts,
    ErrorKind::InvalidConfig,
    ErrorKind::WebhookMissingHeader,
    ErrorKind::WebhookBadEncoding,
    ErrorKind::WebhookBadSignature,
    ErrorKind::WebhookTimestamp,
    ErrorKind::WebhookReplay,
    ErrorKind::WebhookTooLarge,
    ErrorKind::WebhookConfig,
    ErrorKind::WebhookNoSecret,
];

impl ErrorKind {
    pub fn code(self) -> &'static str {
        use ErrorKind::*;
        match self {
            MissingCredentials => "missing_credentials",
            InvalidRequest => "invalid_request",
            Malformed => "malformed",
            TokenTooLarge => "token_too_large",
            DuplicateMember => "duplicate_member",
            CritUnsupported => "crit_unsupported",
            TypMismatch => "typ_mismatch",
            AlgNotAllowed => "alg_not_allowed",
            KidRequired => "kid_required",
            NoMatchingKey => "no_matching_key",
            KeyTypeMismatch => "key_type_mismatch",
            KeyAlgMismatch => "key_alg_mismatch",
            KeyUseMismatch => "key_use_mismatch",
            InvalidKey => "invalid_key",
            WeakKey => "weak_key",
            BadSignature => "bad_signature",
            MissingExp => "missing_exp",
            Expired => "expired",
            NotYetValid => "not_yet_valid",
            IatInFuture => "iat_in_future",
            InvalidClaim => "invalid_claim",
            IssMismatch => "iss_mismatch",
            AudMismatch => "aud_mismatch",
            AudNotExpected => "aud_not_expected",
            InvalidSubject => "invalid_subject",
            ApiKeyNotUser => "api_key_not_user",
            InsufficientRole => "insufficient_role",
            InsufficientPermission => "insufficient_permission",
            InsufficientAal => "insufficient_aal",
            InactiveAccount => "inactive_account",
            KeysUnavailable => "keys_unavailable",
            ProfileUnavailable => "profile_unavailable",
            TooManyAttempts => "too_many_attempts",
            InvalidConfig => "invalid_config",
            WebhookMissingHeader => "webhook_missing_header",
            WebhookBadEncoding => "webhook_bad_encoding",
            WebhookBadSignature => "webhook_bad_signature",
            WebhookTimestamp => "webhook_timestamp",
            WebhookReplay => "webhook_replay",
            WebhookTooLarge => "webhook_too_large",
            WebhookConfig => "webhook_config",
            WebhookNoSecret => "webhook_no_secret",
        }
    }

    pub fn status(self) -> u16 {
        use ErrorKind::*;
        match self {
            InvalidRequest => 400,
            InsufficientRole | InsufficientPermission | InsufficientAal | InactiveAccount => 403,
            KeysUnavailable | ProfileUnavailable => 503,
            TooManyAttempts => 429,
            InvalidConfig | WebhookConfig => 500,
            WebhookTooLarge => 413,
            _ => 401,
        }
    }

    pub fn challenge(self) -> Challenge {
        use ErrorKind::*;
        match self {
            MissingCredentials => Challenge::Bare,
            InvalidRequest => Challenge::InvalidRequest,
            InsufficientRole | InsufficientPermission | InsufficientAal => {
                Challenge::InsufficientScope
            }
            InactiveAccount | KeysUnavailable | ProfileUnavailable | TooManyAttempts
            | InvalidConfig => Challenge::None,
            WebhookMissingHeader | WebhookBadEncoding | WebhookBadSignature | WebhookTimestamp
            | WebhookReplay | WebhookTooLarge | WebhookConfig | WebhookNoSecret => Challenge::None,
            _ => Challenge::InvalidToken,
        }
    }

    /// A fixed, safe description. It names the rule that failed, never the input.
    pub fn message(self) -> &'static str {
        use ErrorKind::*;
        match self {
            MissingCredentials => "authentication required",
            InvalidRequest => "the Authorization header must hold exactly one Bearer token",
            Malformed => "the token is not a well-formed compact JWS",
            TokenTooLarge => "the token exceeds the size limit",
            DuplicateMember => "the token contains duplicate JSON member names",
            CritUnsupported => "the token requires unsupported header extensions",
            TypMismatch => "the token type is not JWT",
            AlgNotAllowed => "the token algorithm is not allowed",
            KidRequired => "the token must name its key (kid)",
            NoMatchingKey => "no key matches the token",
            KeyTypeMismatch => "the key type does not fit the token algorithm",
            KeyAlgMismatch => "the key is bound to a different algorithm",
            KeyUseMismatch => "the key is not for signature verification",
            InvalidKey => "the key is invalid",
            WeakKey => "the key is too weak",
            BadSignature => "the token signature is invalid",
            MissingExp => "the token has no expiry",
            Expired => "the token has expired",
            NotYetValid => "the token is not yet valid",
            IatInFuture => "the token was issued in the future",
            InvalidClaim => "a token claim has an invalid type or value",
            IssMismatch => "the token issuer is not accepted",
            AudMismatch => "the token audience is not accepted",
            AudNotExpected => "the token carries an audience but none is configured",
            InvalidSubject => "the token subject is not a user id",
            ApiKeyNotUser => "an API key is not a user session",
            InsufficientRole => "the caller's role is not allowed here",
            InsufficientPermission => "the caller lacks a required permission",
            InsufficientAal => "a higher authenticator assurance level is required",
            InactiveAccount => "the account is inactive",
            KeysUnavailable => "signing keys are temporarily unavailable",
            ProfileUnavailable => "the account could not be checked; try again",
            TooManyAttempts => "too many failed attempts; try again later",
            InvalidConfig => "the verifier is misconfigured",
            WebhookMissingHeader => "a required webhook header is missing",
            WebhookBadEncoding => "a webhook header is malformed",
            WebhookBadSignature => "the webhook signature is invalid",
            WebhookTimestamp => "the webhook timestamp is outside the tolerance",
            WebhookReplay => "the webhook was already received",
            WebhookTooLarge => "the webhook body exceeds the size limit",
            WebhookConfig => "the webhook verifier is misconfigured",
            WebhookNoSecret => "no webhook secret is configured",
        }
    }
}

/// An error as reported: the kind plus, for configuration errors, a static detail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthError {
    pub kind: ErrorKind,
    /// A fixed detail chosen by the code (never input), e.g. which config field is wrong.
    pub detail: Option<&'static str>,
}

impl AuthError {
    pub fn new(kind: ErrorKind) -> Self {
        AuthError { kind, detail: None }
    }
    pub fn with_detail(kind: ErrorKind, detail: &'static str) -> Self {
        AuthError {
            kind,
            detail: Some(detail),
        }
    }
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }
    pub fn status(&self) -> u16 {
        self.kind.status()
    }

    /// The `WWW-Authenticate` header value for this error, if it has one.
    pub fn www_authenticate(&self, realm: &str) -> Option<String> {
        let realm = sanitize_realm(realm);
        let error = match self.kind.challenge() {
            Challenge::None => return None,
            Challenge::Bare => return Some(format!("Bearer realm=\"{realm}\"")),
            Challenge::InvalidRequest => "invalid_request",
            Challenge::InvalidToken => "invalid_token",
            Challenge::InsufficientScope => "insufficient_scope",
        };
        Some(format!(
            "Bearer realm=\"{realm}\", error=\"{error}\", error_description=\"{}\"",
            self.kind.message()
        ))
    }
}

impl From<ErrorKind> for AuthError {
    fn from(kind: ErrorKind) -> Self {
        AuthError::new(kind)
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.detail {
            Some(d) => write!(f, "{}: {} ({d})", self.code(), self.kind.message()),
            None => write!(f, "{}: {}", self.code(), self.kind.message()),
        }
    }
}

impl std::error::Error for AuthError {}

/// A realm is configuration, but it lands inside a quoted header value: keep it printable.
fn sanitize_realm(realm: &str) -> String {
    realm
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .filter(|c| *c != '"' && *c != '\\')
        .take(64)
        .collect()
}

pub type Result<T> = std::result::Result<T, AuthError>;
