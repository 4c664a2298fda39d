//! Russian taxpayer identifiers. An INN carries check digits, so a mistyped
//! one is caught before it reaches an invoice.

use crate::FieldError;

fn checksum(digits: &[u32], weights: &[u32]) -> u32 {
    let s: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
    s % 11 % 10
}

/// Checks a 10-digit (organisation) or 12-digit (individual) INN.
pub fn check_inn(inn: &str) -> Result<(), FieldError> {
    let bad = |ru: &str, en: &str| FieldError::new("inn", "invalid_inn", ru, en);
    if !inn.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad(
            "ИНН должен состоять только из цифр",
            "INN must contain digits only",
        ));
    }
    let d: Vec<u32> = inn.chars().map(|c| c.to_digit(10).unwrap_or(0)).collect();
    match d.len() {
        10 => {
            if checksum(&d[..9], &[2, 4, 10, 3, 5, 9, 4, 6, 8]) != d[9] {
                return Err(bad(
                    "Неверное контрольное число ИНН",
                    "INN check digit is wrong",
                ));
            }
        }
        12 => {
            let c11 = checksum(&d[..10], &[7, 2, 4, 10, 3, 5, 9, 4, 6, 8]);
            let c12 = checksum(&d[..11], &[3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]);
            if c11 != d[10] || c12 != d[11] {
                return Err(bad(
                    "Неверное контрольное число ИНН",
                    "INN check digits are wrong",
                ));
            }
        }
        _ => {
            return Err(bad(
                "ИНН состоит из 10 или 12 цифр",
                "INN has 10 or 12 digits",
            ))
        }
    }
    Ok(())
}

/// KPP: 9 characters, digits except positions 5–6 which may be Latin capitals.
pub fn check_kpp(kpp: &str) -> Result<(), FieldError> {
    let b = kpp.as_bytes();
    let ok = b.len() == 9
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 5 {
                c.is_ascii_digit() || c.is_ascii_uppercase()
            } else {
                c.is_ascii_digit()
            }
        });
    if ok {
        Ok(())
    } else {
        Err(FieldError::new(
            "kpp",
            "invalid_kpp",
            "КПП состоит из 9 символов",
            "KPP has 9 characters",
        ))
    }
}

/// Completes a 10-digit INN from its first nine digits (used for demo data).
pub fn complete_inn10(first9: &str) -> String {
    let d: Vec<u32> = first9
        .chars()
        .map(|c| c.to_digit(10).unwrap_or(0))
        .collect();
    let c = checksum(&d, &[2, 4, 10, 3, 5, 9, 4, 6, 8]);
    format!("{first9}{c}")
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn real_inns_pass() {
        // Sberbank (10 digits) and a valid 12-digit personal INN.
        assert!(check_inn("7707083893").is_ok());
        assert!(check_inn("500100732259").is_ok());
    }
    #[test]
    fn wrong_inns_fail() {
        assert_eq!(check_inn("7707083894").unwrap_err().code, "invalid_inn");
        assert!(check_inn("500100732250").is_err());
        assert!(check_inn("12345").is_err());
        assert!(check_inn("77070838a3").is_err());
    }
    #[test]
    fn completes_inn() {
        assert_eq!(complete_inn10("770708389"), "7707083893");
    }
    #[test]
    fn kpp() {
        assert!(check_kpp("773601001").is_ok());
        assert!(check_kpp("7736AB001").is_ok());
        assert!(check_kpp("77360100").is_err());
    }
}
