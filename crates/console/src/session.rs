//! Sign-in sessions: random tokens kept in memory (a restart signs everyone out), each with its
//! CSRF token. A visitor gets an anonymous session at once, so that even the sign-in form
//! carries a CSRF token; signing in replaces the token (no session fixation).

use std::collections::HashMap;
use std::sync::Mutex;

use kiln_wire::sigv4::Credentials;

/// The session cookie's name.
pub const COOKIE: &str = "kiln_session";
/// How long a session lives without use.
const IDLE_MS: i64 = 12 * 60 * 60 * 1000;
/// Sessions kept at most (anonymous visitors cannot grow memory without bound).
const MAX_SESSIONS: usize = 10_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub token: String,
    pub csrf: String,
    /// The access key id signed in with; `None` for a visitor who has not signed in.
    pub user: Option<String>,
    expires_ms: i64,
}

#[derive(Default)]
pub struct Sessions {
    by_token: Mutex<HashMap<String, Session>>,
}

/// 244 random bits (two v4 UUIDs come from the OS's random source), hex.
pub fn random_token() -> String {
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

impl Sessions {
    /// The live session the token names, its idle time renewed.
    pub fn get(&self, token: &str, now_ms: i64) -> Option<Session> {
        let mut map = self.by_token.lock().unwrap_or_else(|e| e.into_inner());
        let session = map.get_mut(token)?;
        if session.expires_ms <= now_ms {
            map.remove(token);
            return None;
        }
        session.expires_ms = now_ms + IDLE_MS;
        Some(session.clone())
    }

    /// A new session (anonymous unless `user` is given).
    pub fn create(&self, user: Option<String>, now_ms: i64) -> Session {
        let session = Session { token: random_token(), csrf: random_token(), user, expires_ms: now_ms + IDLE_MS };
        let mut map = self.by_token.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_SESSIONS {
            map.retain(|_, s| s.expires_ms > now_ms);
        }
        if map.len() >= MAX_SESSIONS {
            // Still full: the session closest to expiry goes.
            if let Some(oldest) = map.values().min_by_key(|s| s.expires_ms).map(|s| s.token.clone()) {
                map.remove(&oldest);
            }
        }
        map.insert(session.token.clone(), session.clone());
        session
    }

    /// Ends a session (sign-out, or the anonymous session replaced at sign-in).
    pub fn remove(&self, token: &str) {
        self.by_token.lock().unwrap_or_else(|e| e.into_inner()).remove(token);
    }
}

/// Equality that takes the same time wherever the strings differ (for secrets and tokens).
pub fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether the form's CSRF token is the session's.
pub fn csrf_ok(session: &Session, submitted: Option<&str>) -> bool {
    submitted.is_some_and(|t| same(&session.csrf, t))
}

/// The access key id whose secret matches, if any.
pub fn check_credentials(keys: &[Credentials], access_key_id: &str, secret: &str) -> Option<String> {
    // Compare against every key so the time taken does not tell which ids exist.
    let mut found = None;
    for key in keys {
        let id_ok = same(&key.access_key_id, access_key_id);
        let secret_ok = same(&key.secret_access_key, secret);
        if id_ok && secret_ok && found.is_none() {
            found = Some(key.access_key_id.clone());
        }
    }
    found
}

/// The session token in a `Cookie` header.
pub fn token_from_cookies(header: &str) -> Option<&str> {
    header.split(';').filter_map(|c| c.trim().split_once('=')).find(|(name, _)| *name == COOKIE).map(|(_, v)| v)
}

/// The `Set-Cookie` value for a session: not readable by scripts, never sent cross-site.
pub fn set_cookie(token: &str) -> String {
    format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict")
}

/// The `Set-Cookie` value that deletes the session cookie.
pub fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Vec<Credentials> {
        vec![
            Credentials { access_key_id: "AKID1".into(), secret_access_key: "secret-one".into() },
            Credentials { access_key_id: "AKID2".into(), secret_access_key: "secret-two".into() },
        ]
    }

    #[test]
    fn credentials_must_match_as_a_pair() {
        assert_eq!(check_credentials(&keys(), "AKID2", "secret-two").as_deref(), Some("AKID2"));
        assert_eq!(check_credentials(&keys(), "AKID1", "secret-two"), None);
        assert_eq!(check_credentials(&keys(), "AKID1", ""), None);
        assert_eq!(check_credentials(&[], "", ""), None);
    }

    #[test]
    fn sessions_expire_and_are_random() {
        let sessions = Sessions::default();
        let a = sessions.create(None, 0);
        let b = sessions.create(Some("AKID1".into()), 0);
        assert_ne!(a.token, b.token);
        assert_ne!(a.token, a.csrf);
        assert_eq!(a.token.len(), 64);
        assert_eq!(sessions.get(&b.token, 1000).and_then(|s| s.user).as_deref(), Some("AKID1"));
        assert!(sessions.get("not-a-token", 0).is_none());
        // Use renews the idle time; without use it lapses.
        assert!(sessions.get(&b.token, IDLE_MS).is_some());
        assert!(sessions.get(&a.token, IDLE_MS).is_none());
        sessions.remove(&b.token);
        assert!(sessions.get(&b.token, 1000).is_none());
    }

    #[test]
    fn csrf_tokens_must_match_exactly() {
        let sessions = Sessions::default();
        let s = sessions.create(None, 0);
        assert!(csrf_ok(&s, Some(&s.csrf)));
        assert!(!csrf_ok(&s, None));
        assert!(!csrf_ok(&s, Some("")));
        assert!(!csrf_ok(&s, Some(&s.csrf[1..])));
        let other = sessions.create(None, 0);
        assert!(!csrf_ok(&s, Some(&other.csrf)));
    }

    #[test]
    fn cookies() {
        assert_eq!(token_from_cookies("a=b; kiln_session=tok; c=d"), Some("tok"));
        assert_eq!(token_from_cookies("kiln_session_x=1"), None);
        assert!(set_cookie("t").contains("HttpOnly") && set_cookie("t").contains("SameSite=Strict"));
    }
}
