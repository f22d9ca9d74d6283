//! Two-factor sign-in with time-based one-time passwords (RFC 6238: HMAC-SHA1 over 30-second
//! steps, six digits), as phone authenticator apps make them. Required for administrators,
//! optional for others; enrolled with `onemap user totp NAME`. A code is accepted once, within
//! one step either side of the server's clock.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sqlx::PgPool;

/// Seconds a code stands for.
pub const STEP_S: i64 = 30;
/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Bytes of a secret (160 bits, as RFC 4226 recommends).
const SECRET_BYTES: usize = 20;

/// The code of `secret` for time step `step` (RFC 4226's HOTP, dynamically truncated).
pub fn code_at(secret: &[u8], step: i64) -> u32 {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else { return u32::MAX };
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[digest.len() - 1] & 0x0f) as usize;
    let number =
        u32::from_be_bytes([digest[offset] & 0x7f, digest[offset + 1], digest[offset + 2], digest[offset + 3]]);
    number % 10u32.pow(DIGITS)
}

/// The step of Unix time `seconds`.
pub fn step_of(seconds: i64) -> i64 {
    seconds.div_euclid(STEP_S)
}

/// RFC 4648 base32 without padding, as `otpauth://` URIs carry secrets.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0);
    for &b in bytes {
        buffer = (buffer << 8) | b as u32;
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// The `otpauth://` URI an authenticator app reads (from the QR code).
pub fn uri(user: &str, secret: &[u8]) -> String {
    let label: String = user
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect();
    format!(
        "otpauth://totp/onemap:{label}?secret={}&issuer=onemap&algorithm=SHA1&digits={DIGITS}&period={STEP_S}",
        base32(secret)
    )
}

/// The URI as a QR code drawn with Unicode half blocks, for a terminal.
pub fn qr(uri: &str) -> String {
    match qrcode::QrCode::new(uri.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::unicode::Dense1x2>()
            .dark_color(qrcode::render::unicode::Dense1x2::Light)
            .light_color(qrcode::render::unicode::Dense1x2::Dark)
            .build(),
        Err(_) => String::new(),
    }
}

/// Enrols user `name` with a new secret (replacing any earlier one); returns the URI.
pub async fn enrol(pool: &PgPool, actor: &super::Actor, name: &str) -> anyhow::Result<String> {
    let mut secret = [0u8; SECRET_BYTES];
    getrandom::fill(&mut secret).map_err(|e| anyhow::anyhow!("no random numbers from the system: {e}"))?;
    let mut tx = super::begin_as(pool, actor).await?;
    let done = sqlx::query(
        "INSERT INTO user_totp (user_id, secret) SELECT id, $2 FROM app_user WHERE name = $1 \
         ON CONFLICT (user_id) DO UPDATE SET secret = EXCLUDED.secret, last_step = NULL, enrolled_at = now()",
    )
    .bind(name)
    .bind(&secret[..])
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        anyhow::bail!("there is no user `{name}`");
    }
    tx.commit().await?;
    Ok(uri(name, &secret))
}

/// What a sign-in's code says.
#[derive(Debug, PartialEq)]
pub enum Check {
    /// The user has no second factor.
    NotEnrolled,
    /// No code was given but one is needed.
    Missing,
    /// The code is right (and now used).
    Accepted,
    /// Wrong, outside the window, or used already.
    Refused,
}

/// Checks `code` for user `id` at Unix time `now`, and marks its step used so it is not
/// accepted twice.
pub async fn check(pool: &PgPool, id: i64, code: Option<&str>, now: i64) -> Result<Check, sqlx::Error> {
    let row: Option<(Vec<u8>, Option<i64>)> =
        sqlx::query_as("SELECT secret, last_step FROM user_totp WHERE user_id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?;
    let Some((secret, last)) = row else { return Ok(Check::NotEnrolled) };
    let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else { return Ok(Check::Missing) };
    let Ok(given) = code.parse::<u32>() else { return Ok(Check::Refused) };
    if code.len() != DIGITS as usize {
        return Ok(Check::Refused);
    }
    let current = step_of(now);
    let matched = (current - 1..=current + 1).find(|s| code_at(&secret, *s) == given && last.is_none_or(|l| *s > l));
    let Some(step) = matched else { return Ok(Check::Refused) };
    // Used once: a second sign-in with the same code (read over a shoulder) is refused.
    let marked =
        sqlx::query("UPDATE user_totp SET last_step = $2 WHERE user_id = $1 AND (last_step IS NULL OR last_step < $2)")
            .bind(id)
            .bind(step)
            .execute(pool)
            .await?;
    Ok(if marked.rows_affected() == 1 { Check::Accepted } else { Check::Refused })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_appendix_b_sha1_vectors() {
        // The RFC's SHA-1 secret is the ASCII "12345678901234567890"; its codes have 8 digits,
        // whose last 6 are these.
        let secret = b"12345678901234567890";
        for (time, eight) in [
            (59, 94287082u32),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
            (20000000000, 65353130),
        ] {
            assert_eq!(code_at(secret, step_of(time)), eight % 1_000_000, "T = {time}");
        }
    }

    #[test]
    fn base32_is_rfc_4648() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"12345678901234567890"), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    }
}
