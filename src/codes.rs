//! Identifiers with their own rules: administrative division codes, CAS numbers and unified
//! social credit codes (check digits).

/// A 6-digit administrative division code (GB/T 2260), e.g. 500112.
pub fn is_admin_code(s: &str) -> bool {
    s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit())
}

/// A CAS registry number with a valid check digit, e.g. 7782-50-5 (chlorine).
pub fn is_cas_number(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let [a, b, check] = parts[..] else {
        return false;
    };
    let digits_ok =
        |p: &str, min: usize, max: usize| (min..=max).contains(&p.len()) && p.bytes().all(|c| c.is_ascii_digit());
    if !digits_ok(a, 2, 7) || !digits_ok(b, 2, 2) || !digits_ok(check, 1, 1) {
        return false;
    }
    let body: Vec<u32> = a.bytes().chain(b.bytes()).map(|c| u32::from(c - b'0')).collect();
    let sum: u32 = body.iter().rev().enumerate().map(|(i, d)| (i as u32 + 1) * d).sum();
    sum % 10 == u32::from(check.as_bytes()[0] - b'0')
}

/// An 18-character unified social credit code (GB 32100-2015) with a valid check character.
pub fn is_credit_code(s: &str) -> bool {
    const CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
    if s.chars().count() != 18 {
        return false;
    }
    let values: Option<Vec<u32>> = s.chars().map(|c| CHARSET.find(c).map(|i| i as u32)).collect();
    let Some(values) = values else { return false };
    let sum: u32 = values[..17].iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    let check = (31 - sum % 31) % 31;
    values[17] == check
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cas_numbers() {
        assert!(is_cas_number("7782-50-5")); // chlorine
        assert!(is_cas_number("7664-41-7")); // ammonia
        assert!(is_cas_number("71-43-2")); // benzene
        assert!(!is_cas_number("7782-50-4"));
        assert!(!is_cas_number("7782505"));
        assert!(!is_cas_number("x782-50-5"));
    }

    #[test]
    fn credit_codes() {
        // The example code printed in GB 32100-2015, and a published company code.
        assert!(is_credit_code("91350100M000100Y43"));
        assert!(is_credit_code("91440300708461136T"));
        assert!(!is_credit_code("91350100M000100Y44"));
        assert!(!is_credit_code("91350100M000100Y4"));
        assert!(!is_credit_code("91350100M0001I0Y43"));
    }
}
