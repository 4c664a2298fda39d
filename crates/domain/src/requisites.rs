//! Company requisites beyond the INN (see `inn.rs`): ОГРН / ОГРНИП, БИК and
//! bank accounts with their control key, and the payment QR payload of
//! ГОСТ Р 56042-2014 printed on an invoice. A mistyped digit in any of them
//! is caught here, before the form reaches a client's accountant.

use crate::FieldError;

fn digits(s: &str) -> Option<Vec<u32>> {
    if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(s.chars().map(|c| c.to_digit(10).unwrap_or(0)).collect())
}

/// The remainder of a long decimal number, digit by digit (no overflow).
fn rem(d: &[u32], m: u64) -> u64 {
    d.iter().fold(0u64, |r, &x| (r * 10 + x as u64) % m)
}

/// ОГРН (13 digits, organisations): the 13th digit is the remainder of the
/// first twelve divided by 11, last digit.
pub fn check_ogrn(field: &str, s: &str) -> Result<(), FieldError> {
    let d = digits(s).filter(|d| d.len() == 13).ok_or_else(|| {
        FieldError::new(
            field,
            "invalid_ogrn",
            "ОГРН состоит из 13 цифр",
            "OGRN has 13 digits",
        )
    })?;
    if rem(&d[..12], 11) % 10 != d[12] as u64 {
        return Err(FieldError::new(
            field,
            "invalid_ogrn",
            "Неверное контрольное число ОГРН",
            "OGRN check digit is wrong",
        ));
    }
    Ok(())
}

/// ОГРНИП (15 digits, sole traders): the 15th digit is the remainder of the
/// first fourteen divided by 13, last digit.
pub fn check_ogrnip(field: &str, s: &str) -> Result<(), FieldError> {
    let d = digits(s).filter(|d| d.len() == 15).ok_or_else(|| {
        FieldError::new(
            field,
            "invalid_ogrnip",
            "ОГРНИП состоит из 15 цифр",
            "OGRNIP has 15 digits",
        )
    })?;
    if rem(&d[..14], 13) % 10 != d[14] as u64 {
        return Err(FieldError::new(
            field,
            "invalid_ogrnip",
            "Неверное контрольное число ОГРНИП",
            "OGRNIP check digit is wrong",
        ));
    }
    Ok(())
}

/// ОГРН or ОГРНИП by length: 13 digits for an organisation, 15 for a sole trader.
pub fn check_ogrn_any(field: &str, s: &str) -> Result<(), FieldError> {
    if s.len() == 15 {
        check_ogrnip(field, s)
    } else {
        check_ogrn(field, s)
    }
}

/// БИК: 9 digits.
pub fn check_bic(field: &str, s: &str) -> Result<(), FieldError> {
    match digits(s) {
        Some(d) if d.len() == 9 => Ok(()),
        _ => Err(FieldError::new(
            field,
            "invalid_bic",
            "БИК состоит из 9 цифр",
            "BIC has 9 digits",
        )),
    }
}

/// The control key of a 20-digit account: over 23 digits (3 from the BIC
/// before it), weights 7-1-3 repeated, the sum of the products' last digits
/// ends in 0.
fn key_ok(prefix: &str, account: &str) -> bool {
    let Some(d) = digits(&format!("{prefix}{account}")) else {
        return false;
    };
    if d.len() != 23 {
        return false;
    }
    let w = [7, 1, 3];
    d.iter()
        .enumerate()
        .map(|(i, x)| (x * w[i % 3]) % 10)
        .sum::<u32>()
        % 10
        == 0
}

fn bad_account(field: &str, ru: &str, en: &str) -> FieldError {
    FieldError::new(field, "invalid_account", ru, en)
}

/// Расчётный счёт: 20 digits; its key is checked with the last three digits
/// of the bank's БИК.
pub fn check_account(field: &str, bic: &str, account: &str) -> Result<(), FieldError> {
    if digits(account).is_none_or(|d| d.len() != 20) {
        return Err(bad_account(
            field,
            "Расчётный счёт состоит из 20 цифр",
            "An account number has 20 digits",
        ));
    }
    if bic.len() == 9 && !key_ok(&bic[6..], account) {
        return Err(bad_account(
            field,
            "Неверный контрольный ключ расчётного счёта (или БИК)",
            "The account's control key does not match (or the BIC is wrong)",
        ));
    }
    Ok(())
}

/// Корреспондентский счёт: 20 digits starting 301; its key is checked with
/// «0» and the 5th–6th digits of the БИК.
pub fn check_corr_account(field: &str, bic: &str, corr: &str) -> Result<(), FieldError> {
    if digits(corr).is_none_or(|d| d.len() != 20) || !corr.starts_with("301") {
        return Err(bad_account(
            field,
            "Корр. счёт состоит из 20 цифр и начинается с 301",
            "A correspondent account has 20 digits and starts with 301",
        ));
    }
    if bic.len() == 9 && !key_ok(&format!("0{}", &bic[4..6]), corr) {
        return Err(bad_account(
            field,
            "Неверный контрольный ключ корр. счёта (или БИК)",
            "The correspondent account's control key does not match (or the BIC is wrong)",
        ));
    }
    Ok(())
}

/// Puts the right control key (9th digit) into a 20-digit account for the
/// given 3-digit prefix: the last three digits of a BIC for a settlement
/// account. Used for demo data and tests.
pub fn with_account_key(prefix: &str, account: &str) -> String {
    let mut a: Vec<char> = account.chars().collect();
    for k in 0..10 {
        a[8] = char::from(b'0' + k);
        let s: String = a.iter().collect();
        if key_ok(prefix, &s) {
            return s;
        }
    }
    account.to_string()
}

/// The payee's details for a payment QR code.
#[derive(Debug, Clone, Default)]
pub struct QrPayee<'a> {
    pub name: &'a str,
    pub account: &'a str,
    pub bank_name: &'a str,
    pub bic: &'a str,
    pub corr_account: &'a str,
    pub inn: &'a str,
    pub kpp: &'a str,
}

/// The payment QR payload of ГОСТ Р 56042-2014 in UTF-8 (`ST00012`):
/// required fields first, then the payee's INN and KPP, the sum in kopecks
/// and the purpose. `|` separates fields, so it is replaced inside values.
pub fn payment_qr_payload(p: &QrPayee, kopecks: i64, purpose: &str) -> String {
    let v = |s: &str| s.replace('|', "/").replace(['\r', '\n'], " ");
    let mut out = format!(
        "ST00012|Name={}|PersonalAcc={}|BankName={}|BIC={}|CorrespAcc={}",
        v(p.name),
        v(p.account),
        v(p.bank_name),
        v(p.bic),
        if p.corr_account.is_empty() {
            "0".to_string()
        } else {
            v(p.corr_account)
        }
    );
    if !p.inn.is_empty() {
        out.push_str(&format!("|PayeeINN={}", v(p.inn)));
    }
    if !p.kpp.is_empty() {
        out.push_str(&format!("|KPP={}", v(p.kpp)));
    }
    out.push_str(&format!("|Sum={}|Purpose={}", kopecks, v(purpose)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ogrn_and_ogrnip() {
        // Sberbank's ОГРН; a sole trader's ОГРНИП with a correct key.
        assert!(check_ogrn("ogrn", "1027700132195").is_ok());
        assert_eq!(
            check_ogrn("ogrn", "1027700132196").unwrap_err().code,
            "invalid_ogrn"
        );
        assert!(check_ogrn("ogrn", "10277001321").is_err());
        assert!(check_ogrnip("ogrn", "304500116000157").is_ok());
        assert!(check_ogrnip("ogrn", "304500116000158").is_err());
        assert!(check_ogrn_any("ogrn", "304500116000157").is_ok());
    }

    #[test]
    fn sberbank_accounts() {
        // ПАО Сбербанк, Москва: БИК 044525225, к/с 30101810400000000225.
        assert!(check_bic("bic", "044525225").is_ok());
        assert!(check_bic("bic", "04452522").is_err());
        assert!(check_corr_account("corr", "044525225", "30101810400000000225").is_ok());
        assert!(check_corr_account("corr", "044525225", "30101810500000000225").is_err());
        // The same corr. account with another bank's BIC fails the key.
        assert!(check_corr_account("corr", "044030653", "30101810400000000225").is_err());
        let acc = with_account_key("225", "40702810000000012345");
        assert!(check_account("account", "044525225", &acc).is_ok());
        let mut wrong: Vec<char> = acc.chars().collect();
        wrong[19] = if wrong[19] == '5' { '6' } else { '5' };
        let wrong: String = wrong.into_iter().collect();
        let e = check_account("account", "044525225", &wrong).unwrap_err();
        assert_eq!((e.field.as_str(), e.code), ("account", "invalid_account"));
        assert!(check_account("account", "044525225", "4070281000000001234").is_err());
    }

    #[test]
    fn qr_payload_is_exact() {
        let p = QrPayee {
            name: "ООО «Купец»",
            account: "40702810900000012345",
            bank_name: "ПАО Сбербанк",
            bic: "044525225",
            corr_account: "30101810400000000225",
            inn: "7707083893",
            kpp: "773601001",
        };
        assert_eq!(
            payment_qr_payload(&p, 1_234_550, "Оплата по счёту № СЧ-2026-000001|x"),
            "ST00012|Name=ООО «Купец»|PersonalAcc=40702810900000012345|BankName=ПАО Сбербанк|BIC=044525225|CorrespAcc=30101810400000000225|PayeeINN=7707083893|KPP=773601001|Sum=1234550|Purpose=Оплата по счёту № СЧ-2026-000001/x"
        );
    }
}
