//! The JWS algorithms the product verifies, and what each needs from a key.

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    HS256,
    HS384,
    HS512,
    ES256,
    ES384,
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    EdDSA,
}

/// Which kind of key an algorithm needs: the key, not the token, decides the family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Hmac,
    Ec,
    Rsa,
    Okp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    pub fn webcrypto_name(self) -> &'static str {
        match self {
            Hash::Sha256 => "SHA-256",
            Hash::Sha384 => "SHA-384",
            Hash::Sha512 => "SHA-512",
        }
    }
    pub fn output_len(self) -> usize {
        match self {
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
            Hash::Sha512 => 64,
        }
    }
}

pub const ALL: [Algorithm; 12] = [
    Algorithm::HS256,
    Algorithm::HS384,
    Algorithm::HS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::EdDSA,
];

impl Algorithm {
    /// Exact, case-sensitive names from RFC 7518 / RFC 8037. `none` is not among them.
    pub fn from_name(name: &str) -> Option<Algorithm> {
        ALL.iter().copied().find(|a| a.name() == name)
    }

    pub fn name(self) -> &'static str {
        use Algorithm::*;
        match self {
            HS256 => "HS256",
            HS384 => "HS384",
            HS512 => "HS512",
            ES256 => "ES256",
            ES384 => "ES384",
            RS256 => "RS256",
            RS384 => "RS384",
            RS512 => "RS512",
            PS256 => "PS256",
            PS384 => "PS384",
            PS512 => "PS512",
            EdDSA => "EdDSA",
        }
    }

    pub fn family(self) -> Family {
        use Algorithm::*;
        match self {
            HS256 | HS384 | HS512 => Family::Hmac,
            ES256 | ES384 => Family::Ec,
            RS256 | RS384 | RS512 | PS256 | PS384 | PS512 => Family::Rsa,
            EdDSA => Family::Okp,
        }
    }

    pub fn hash(self) -> Hash {
        use Algorithm::*;
        match self {
            HS256 | ES256 | RS256 | PS256 | EdDSA => Hash::Sha256,
            HS384 | ES384 | RS384 | PS384 => Hash::Sha384,
            HS512 | RS512 | PS512 => Hash::Sha512,
        }
    }

    /// The curve an EC or OKP algorithm is bound to.
    pub fn curve(self) -> Option<&'static str> {
        match self {
            Algorithm::ES256 => Some("P-256"),
            Algorithm::ES384 => Some("P-384"),
            Algorithm::EdDSA => Some("Ed25519"),
            _ => None,
        }
    }

    pub fn is_pss(self) -> bool {
        matches!(self, Algorithm::PS256 | Algorithm::PS384 | Algorithm::PS512)
    }
}

/// The WebCrypto parameters for verifying one algorithm: plain data, the bindings build JS from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebCryptoParams {
    /// `name` for importKey and verify.
    pub name: &'static str,
    pub named_curve: Option<&'static str>,
    pub hash: Option<&'static str>,
    pub salt_length: Option<u32>,
}

impl Algorithm {
    pub fn webcrypto(self) -> WebCryptoParams {
        let hash = self.hash();
        match self.family() {
            Family::Ec => WebCryptoParams {
                name: "ECDSA",
                named_curve: self.curve(),
                hash: Some(hash.webcrypto_name()),
                salt_length: None,
            },
            Family::Rsa if self.is_pss() => WebCryptoParams {
                name: "RSA-PSS",
                named_curve: None,
                hash: Some(hash.webcrypto_name()),
                // RFC 7518 §3.5: the salt is as long as the hash output.
                salt_length: Some(hash.output_len() as u32),
            },
            Family::Rsa => WebCryptoParams {
                name: "RSASSA-PKCS1-v1_5",
                named_curve: None,
                hash: Some(hash.webcrypto_name()),
                salt_length: None,
            },
            Family::Okp => WebCryptoParams {
                name: "Ed25519",
                named_curve: None,
                hash: None,
                salt_length: None,
            },
            Family::Hmac => WebCryptoParams {
                name: "HMAC",
                named_curve: None,
                hash: Some(hash.webcrypto_name()),
                salt_length: None,
            },
        }
    }
}
