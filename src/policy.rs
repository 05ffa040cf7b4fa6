//! Authorization requirements on a verified context: roles, permissions, assurance level.
//! Each denial is a 403 with its own code; an empty requirement is a configuration error.

use crate::error::{AuthError, ErrorKind, Result};

/// The caller's app role must be one of `allowed`.
pub fn require_role(role: Option<&str>, allowed: &[String]) -> Result<()> {
    if allowed.is_empty() || allowed.iter().any(String::is_empty) {
        return Err(AuthError::with_detail(
            ErrorKind::InvalidConfig,
            "requireRole needs at least one role, and no empty name",
        ));
    }
    match role {
        Some(r) if allowed.iter().any(|a| a == r) => Ok(()),
        _ => Err(ErrorKind::InsufficientRole.into()),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Match {
    All,
    Any,
}

/// The caller must hold all (or any) of `needed`.
pub fn require_permissions(held: &[String], needed: &[String], mode: Match) -> Result<()> {
    if needed.is_empty() || needed.iter().any(String::is_empty) {
        return Err(AuthError::with_detail(
            ErrorKind::InvalidConfig,
            "requirePermission needs a permission, and no empty name",
        ));
    }
    let has = |p: &String| held.iter().any(|h| h == p);
    let ok = match mode {
        Match::All => needed.iter().all(has),
        Match::Any => needed.iter().any(has),
    };
    if ok {
        Ok(())
    } else {
        Err(ErrorKind::InsufficientPermission.into())
    }
}

fn aal_rank(aal: &str) -> Option<u8> {
    match aal {
        "aal1" => Some(1),
        "aal2" => Some(2),
        "aal3" => Some(3),
        _ => None,
    }
}

/// The session's authenticator assurance level must be at least `minimum`.
pub fn require_aal(aal: Option<&str>, minimum: &str) -> Result<()> {
    let need = aal_rank(minimum).ok_or(AuthError::with_detail(
        ErrorKind::InvalidConfig,
        "requireAal takes aal1, aal2 or aal3",
    ))?;
    match aal.and_then(aal_rank) {
        Some(have) if have >= need => Ok(()),
        _ => Err(ErrorKind::InsufficientAal.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn roles_permissions_aal() {
        assert!(require_role(Some("manager"), &v(&["manager", "admin"])).is_ok());
        assert_eq!(
            require_role(Some("Manager"), &v(&["manager"]))
                .unwrap_err()
                .kind,
            ErrorKind::InsufficientRole
        );
        assert_eq!(
            require_role(None, &v(&["manager"])).unwrap_err().kind,
            ErrorKind::InsufficientRole
        );
        assert_eq!(
            require_role(Some("x"), &[]).unwrap_err().kind,
            ErrorKind::InvalidConfig
        );
        let held = v(&["schedules.read", "schedules.write"]);
        assert!(require_permissions(&held, &v(&["schedules.write"]), Match::All).is_ok());
        assert!(require_permissions(&held, &v(&["schedules.write", "x"]), Match::Any).is_ok());
        assert_eq!(
            require_permissions(&held, &v(&["schedules.write", "x"]), Match::All)
                .unwrap_err()
                .kind,
            ErrorKind::InsufficientPermission
        );
        assert!(require_aal(Some("aal2"), "aal2").is_ok());
        assert!(require_aal(Some("aal2"), "aal1").is_ok());
        assert_eq!(
            require_aal(Some("aal1"), "aal2").unwrap_err().kind,
            ErrorKind::InsufficientAal
        );
        assert_eq!(
            require_aal(Some("AAL2"), "aal2").unwrap_err().kind,
            ErrorKind::InsufficientAal
        );
        assert_eq!(
            require_aal(None, "aal2").unwrap_err().kind,
            ErrorKind::InsufficientAal
        );
        assert_eq!(
            require_aal(Some("aal2"), "aal9").unwrap_err().kind,
            ErrorKind::InvalidConfig
        );
    }

    #[test]
    fn empty_names_in_requirements_are_config_errors_even_when_the_claim_is_empty() {
        let config = Err(ErrorKind::InvalidConfig);
        for claim in [Some(""), Some("admin"), None] {
            for allowed in [v(&[""]), v(&["admin", ""])] {
                assert_eq!(require_role(claim, &allowed).map_err(|e| e.kind), config);
            }
        }
        for held in [v(&[""]), v(&["a"]), v(&[])] {
            for needed in [v(&[""]), v(&["a", ""])] {
                for mode in [Match::All, Match::Any] {
                    let got = require_permissions(&held, &needed, mode).map_err(|e| e.kind);
                    assert_eq!(got, config);
                }
            }
        }
        assert_eq!(require_aal(Some(""), "").map_err(|e| e.kind), config);
    }
}
