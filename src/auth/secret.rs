//! Secrets: passwords hashed with Argon2id, random tokens kept only as their SHA-256.

use argon2::password_hash::phc::PasswordHash;
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use sha2::{Digest, Sha256};

/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 10;
/// Kinds of characters a password mixes, of four (lower-case, capitals, digits, others).
pub const MIN_CLASSES: usize = 3;
/// Longest password accepted (Argon2 takes any length; a bound keeps requests small).
pub const MAX_PASSWORD: usize = 1024;
/// Prefix of API tokens, so that a leaked one is recognisable (and scanners can find it).
pub const TOKEN_PREFIX: &str = "om_";
/// Random bytes in a token or session cookie (256 bits).
const TOKEN_BYTES: usize = 32;

/// Checks a new password against the rules.
pub fn check_password(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_PASSWORD {
        return Err(format!("a password needs at least {MIN_PASSWORD} characters (this one has {n})"));
    }
    if password.len() > MAX_PASSWORD {
        return Err(format!("a password has at most {MAX_PASSWORD} bytes"));
    }
    let classes = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric() || !c.is_ascii()),
    ];
    let kinds = classes.iter().filter(|k| **k).count();
    if kinds < MIN_CLASSES {
        return Err(format!(
            "a password mixes at least {MIN_CLASSES} of: lower-case letters, capitals, digits, other characters \
             (this one has {kinds})"
        ));
    }
    Ok(())
}

/// The Argon2id hash of `password` with a random salt, in PHC form (`$argon2id$v=19$…`).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let hash: PasswordHash =
        Argon2::default().hash_password(password.as_bytes()).map_err(|e| anyhow::anyhow!("cannot hash: {e}"))?;
    Ok(hash.to_string())
}

/// Whether `password` matches the stored `hash`.
pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// Verifies against a fixed hash, so that an unknown user name costs as long as a known one.
pub fn verify_nothing(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let hash = DUMMY.get_or_init(|| hash_password("not-a-password-of-anyone").unwrap_or_default());
    let _ = verify_password(password, hash);
}

/// Random bytes as lowercase hex.
fn random_hex(bytes: usize) -> anyhow::Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| anyhow::anyhow!("no random numbers from the system: {e}"))?;
    Ok(crate::hash::hex(&buf))
}

/// A new API token: `om_` and 64 hex digits.
pub fn new_token() -> anyhow::Result<String> {
    Ok(format!("{TOKEN_PREFIX}{}", random_hex(TOKEN_BYTES)?))
}

/// A new session cookie value: 64 hex digits.
pub fn new_session_key() -> anyhow::Result<String> {
    random_hex(TOKEN_BYTES)
}

/// A new password for a generated account: 24 characters from an unambiguous alphabet.
pub fn new_password() -> anyhow::Result<String> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    loop {
        let mut buf = [0u8; 24];
        getrandom::fill(&mut buf).map_err(|e| anyhow::anyhow!("no random numbers from the system: {e}"))?;
        // 256 is not a multiple of the alphabet: the bias (< 0.5 %) costs under a bit of 140.
        let password: String = buf.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect();
        // One in forty lacks a digit or a capital: draw again rather than break the rules.
        if check_password(&password).is_ok() {
            return Ok(password);
        }
    }
}

/// Whether `s` has the shape of a token (so a malformed one is refused without a look-up).
pub fn is_token_shaped(s: &str) -> bool {
    s.strip_prefix(TOKEN_PREFIX).is_some_and(is_key_shaped)
}

/// Whether `s` has the shape of a session key.
pub fn is_key_shaped(s: &str) -> bool {
    s.len() == 2 * TOKEN_BYTES && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// What is stored of a token or session key: its SHA-256.
pub fn digest(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(!hash.contains("correct"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterY", &hash));
        assert!(!verify_password("correct horse battery", "garbage"));
        // Salted: the same password hashes differently.
        assert_ne!(hash, hash_password("correct horse battery").unwrap());
    }

    #[test]
    fn tokens_are_random_and_shaped() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_ne!(a, b);
        assert!(is_token_shaped(&a) && a.len() == 3 + 64);
        assert!(!is_token_shaped("om_xyz") && !is_token_shaped(&a[3..]) && !is_token_shaped(&a.to_uppercase()));
        assert_eq!(digest(&a).len(), 32);
        // SHA-256 of "abc", from FIPS 180-2's example.
        assert_eq!(
            digest("abc").iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(check_password("short").is_err() && check_password("Long enough!").is_ok());
        for _ in 0..200 {
            let made = new_password().unwrap();
            assert_eq!(made.len(), 24);
            assert!(check_password(&made).is_ok(), "{made}");
        }
    }

    #[test]
    fn a_password_mixes_three_kinds_of_characters() {
        for (weak, kinds) in [("all lower case", 2), ("ALLCAPITALS99", 2), ("1234567890123", 1), ("alllowercase1", 2)] {
            assert!(check_password(weak).unwrap_err().contains(&format!("has {kinds}")), "{weak}");
        }
        for strong in ["Correct horse 9", "lower-UPPER-ok", "值班室密码abc123", "Tr0ub4dor&3x"] {
            assert!(check_password(strong).is_ok(), "{strong}");
        }
    }
}
