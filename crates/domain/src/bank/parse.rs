//! Reading a `1CClientBankExchange` file.

use super::{parse_date, AccountSection, BankDoc, FormatError, Party, Statement};
use crate::Money;
use encoding_rs::{Encoding, IBM866, UTF_8, WINDOWS_1251};

/// Decodes the file's bytes by its `Кодировка` line: `Windows` →
/// windows-1251, `DOS` → cp866, `UTF-8` → UTF-8. The key itself is
/// searched for in both encodings, so a file that says `Windows` but was
/// saved as UTF-8 (an editor did it) is still read right; without the
/// line, valid UTF-8 is UTF-8 and anything else windows-1251 (the format's
/// default).
pub fn decode(bytes: &[u8]) -> (String, &'static str) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let utf8 = std::str::from_utf8(bytes).is_ok();
    let enc: &'static Encoding = if utf8 {
        UTF_8
    } else {
        match declared(bytes) {
            Some(v) if v.eq_ignore_ascii_case(b"DOS") => IBM866,
            _ => WINDOWS_1251,
        }
    };
    let (text, _) = enc.decode_without_bom_handling(bytes);
    let name = if enc == UTF_8 {
        "utf-8"
    } else if enc == IBM866 {
        "ibm866"
    } else {
        "windows-1251"
    };
    (text.into_owned(), name)
}

/// The value of `Кодировка=` as bytes, when the key is in windows-1251 or
/// cp866 (a non-UTF-8 file).
fn declared(bytes: &[u8]) -> Option<&[u8]> {
    for enc in [WINDOWS_1251, IBM866] {
        let (key, _, _) = enc.encode("Кодировка=");
        if let Some(at) = find(bytes, &key) {
            let rest = &bytes[at + key.len()..];
            let end = rest
                .iter()
                .position(|&b| b == b'\r' || b == b'\n')
                .unwrap_or(rest.len());
            return Some(trim_ascii(&rest[..end]));
        }
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let s = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let e = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(s, |e| e + 1);
    &b[s..e]
}

fn err(line: usize, ru: impl Into<String>, en: impl Into<String>) -> FormatError {
    FormatError {
        line,
        message_ru: ru.into(),
        message_en: en.into(),
    }
}

enum Block {
    Header,
    Account(AccountSection),
    Doc(Box<DocDraft>),
}

#[derive(Default)]
struct DocDraft {
    line: usize,
    kind: String,
    number: Option<String>,
    date: Option<(usize, String)>,
    amount: Option<(usize, String)>,
    payer: Party,
    payer_line: String,
    payee: Party,
    payee_line: String,
    debited: Option<(usize, String)>,
    credited: Option<(usize, String)>,
    purpose: String,
    payment_kind: String,
    priority: String,
}

fn money(line: usize, key: &str, v: &str) -> Result<Money, FormatError> {
    let m = Money::parse(v.trim()).map_err(|_| {
        err(
            line,
            format!("{key}: «{v}» — не сумма (ожидается 1500.00)"),
            format!("{key}: '{v}' is not an amount (expected 1500.00)"),
        )
    })?;
    if !m.in_bounds() {
        return Err(err(
            line,
            format!("{key}: сумма слишком велика"),
            format!("{key}: the amount is too large"),
        ));
    }
    Ok(m)
}

fn date(line: usize, key: &str, v: &str) -> Result<chrono::NaiveDate, FormatError> {
    parse_date(v).ok_or_else(|| {
        err(
            line,
            format!("{key}: «{v}» — не дата (ожидается ДД.ММ.ГГГГ)"),
            format!("{key}: '{v}' is not a date (expected DD.MM.YYYY)"),
        )
    })
}

/// «ИНН 7707083893 ООО Ромашка» → «ООО Ромашка».
fn strip_inn(s: &str) -> String {
    let t = s.trim();
    if let Some(rest) = t.strip_prefix("ИНН") {
        let rest = rest.trim_start();
        let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
        return rest.trim().to_string();
    }
    t.to_string()
}

impl DocDraft {
    fn finish(self, end: usize) -> Result<BankDoc, FormatError> {
        let missing = |k: &str| {
            err(
                self.line,
                format!(
                    "Документ со строки {}: нет поля {k} (конец на строке {end})",
                    self.line
                ),
                format!(
                    "The document at line {}: no {k} field (ends at line {end})",
                    self.line
                ),
            )
        };
        let number = self
            .number
            .clone()
            .filter(|n| !n.is_empty())
            .ok_or_else(|| missing("Номер"))?;
        let (dl, dv) = self.date.clone().ok_or_else(|| missing("Дата"))?;
        let (al, av) = self.amount.clone().ok_or_else(|| missing("Сумма"))?;
        let amount = money(al, "Сумма", &av)?;
        if amount.0 <= 0 {
            return Err(err(
                al,
                "Сумма: должна быть больше нуля",
                "Сумма: must be above zero",
            ));
        }
        let opt = |v: &Option<(usize, String)>, k: &str| -> Result<_, FormatError> {
            match v {
                Some((l, s)) if !s.trim().is_empty() => Ok(Some(date(*l, k, s)?)),
                _ => Ok(None),
            }
        };
        let mut payer = self.payer;
        if payer.name.is_empty() {
            payer.name = strip_inn(&self.payer_line);
        }
        let mut payee = self.payee;
        if payee.name.is_empty() {
            payee.name = strip_inn(&self.payee_line);
        }
        Ok(BankDoc {
            line: self.line,
            kind: self.kind,
            number,
            date: date(dl, "Дата", &dv)?,
            amount,
            payer,
            payee,
            debited: opt(&self.debited, "ДатаСписано")?,
            credited: opt(&self.credited, "ДатаПоступило")?,
            purpose: self.purpose,
            payment_kind: self.payment_kind,
            priority: self.priority,
        })
    }
}

/// Sets a party's field from a `Плательщик…`/`Получатель…` key; false when
/// the key is not one.
fn party_field(p: &mut Party, whole: &mut String, suffix: &str, v: &str) -> bool {
    let v = v.trim().to_string();
    match suffix {
        "" => *whole = v,
        "1" => p.name = v,
        "Счет" => p.account = v,
        "РасчСчет" => {
            if p.account.is_empty() {
                p.account = v
            }
        }
        "ИНН" => p.inn = v,
        "КПП" => p.kpp = v,
        "Банк1" => p.bank = v,
        "БИК" => p.bic = v,
        "Корсчет" => p.corr_account = v,
        _ => return false,
    }
    true
}

/// Parses a whole file. Any fault refuses the file, naming its line.
pub fn parse_statement(bytes: &[u8]) -> Result<Statement, FormatError> {
    let (text, encoding) = decode(bytes);
    let mut lines = text
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')));
    // The first line names the format (blank lines before it are tolerated
    // by no bank; neither are they here).
    match lines.next() {
        Some((_, l)) if l.trim() == "1CClientBankExchange" => {}
        _ => {
            return Err(err(
                1,
                "Это не файл обмена с банком: первая строка должна быть 1CClientBankExchange",
                "Not a bank exchange file: the first line must be 1CClientBankExchange",
            ))
        }
    }
    let mut st = Statement {
        version: String::new(),
        encoding,
        sender: String::new(),
        receiver: String::new(),
        date_from: None,
        date_to: None,
        accounts: Vec::new(),
        sections: Vec::new(),
        documents: Vec::new(),
    };
    let mut block = Block::Header;
    let mut ended = false;
    let mut last = 1;
    for (n, raw) in lines {
        last = n;
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if ended {
            return Err(err(n, "Строки после КонецФайла", "Lines after КонецФайла"));
        }
        let (key, value) = match line.split_once('=') {
            Some((k, v)) => (k.trim(), v),
            None => (line, ""),
        };
        match (&mut block, key) {
            (Block::Header, "СекцияРасчСчет") => {
                block = Block::Account(AccountSection::default())
            }
            (Block::Header, "СекцияДокумент") => {
                block = Block::Doc(Box::new(DocDraft {
                    line: n,
                    kind: value.trim().to_string(),
                    ..DocDraft::default()
                }))
            }
            (Block::Header, "КонецФайла") => ended = true,
            (Block::Header, "ВерсияФормата") => {
                let v = value.trim();
                if !v.starts_with("1.0") {
                    return Err(err(
                        n,
                        format!("Версия формата {v} не поддерживается (читаются 1.01–1.03)"),
                        format!("Format version {v} is not supported (1.01–1.03 are read)"),
                    ));
                }
                st.version = v.to_string();
            }
            (Block::Header, "Отправитель") => st.sender = value.trim().to_string(),
            (Block::Header, "Получатель") => st.receiver = value.trim().to_string(),
            (Block::Header, "ДатаНачала") => st.date_from = Some(date(n, key, value)?),
            (Block::Header, "ДатаКонца") => st.date_to = Some(date(n, key, value)?),
            (Block::Header, "РасчСчет") => st.accounts.push(value.trim().to_string()),
            (Block::Header, _) if !value.is_empty() || line.contains('=') => {}
            (Block::Account(a), "КонецРасчСчет") => {
                st.sections.push(std::mem::take(a));
                block = Block::Header;
            }
            (Block::Account(a), k) => match k {
                "ДатаНачала" => a.date_from = Some(date(n, k, value)?),
                "ДатаКонца" => a.date_to = Some(date(n, k, value)?),
                "РасчСчет" => a.account = value.trim().to_string(),
                "НачальныйОстаток" => a.opening = Some(money(n, k, value)?),
                "ВсегоПоступило" => a.credited = Some(money(n, k, value)?),
                "ВсегоСписано" => a.debited = Some(money(n, k, value)?),
                "КонечныйОстаток" => a.closing = Some(money(n, k, value)?),
                _ if line.contains('=') => {}
                _ => return Err(unexpected(n, line, "КонецРасчСчет")),
            },
            (Block::Doc(_), "КонецДокумента") => {
                let Block::Doc(d) = std::mem::replace(&mut block, Block::Header) else {
                    unreachable!()
                };
                st.documents.push(d.finish(n)?);
            }
            (Block::Doc(d), k) => {
                if !line.contains('=') {
                    return Err(unexpected(n, line, "КонецДокумента"));
                }
                let v = value;
                match k {
                    "Номер" => d.number = Some(v.trim().to_string()),
                    "Дата" => d.date = Some((n, v.to_string())),
                    "Сумма" => d.amount = Some((n, v.to_string())),
                    "ДатаСписано" => d.debited = Some((n, v.to_string())),
                    "ДатаПоступило" => d.credited = Some((n, v.to_string())),
                    "НазначениеПлатежа" => d.purpose = v.trim().to_string(),
                    "ВидОплаты" => d.payment_kind = v.trim().to_string(),
                    "Очередность" => d.priority = v.trim().to_string(),
                    _ => {
                        if let Some(s) = k.strip_prefix("Плательщик") {
                            party_field(&mut d.payer, &mut d.payer_line, s, v);
                        } else if let Some(s) = k.strip_prefix("Получатель") {
                            party_field(&mut d.payee, &mut d.payee_line, s, v);
                        } else if let Some(rest) = k.strip_prefix("НазначениеПлатежа")
                        {
                            // НазначениеПлатежа1…6: the purpose in pieces (1.02).
                            if rest.chars().all(|c| c.is_ascii_digit()) && d.purpose.is_empty() {
                                d.purpose = v.trim().to_string();
                            } else if rest.chars().all(|c| c.is_ascii_digit()) && !rest.is_empty() {
                                d.purpose.push(' ');
                                d.purpose.push_str(v.trim());
                            }
                        }
                    }
                }
            }
            (Block::Header, _) => return Err(unexpected(n, line, "")),
        }
    }
    match block {
        Block::Doc(d) => Err(err(
            last,
            format!(
                "Документ со строки {} не закрыт строкой КонецДокумента",
                d.line
            ),
            format!("The document at line {} has no КонецДокумента", d.line),
        )),
        Block::Account(_) => Err(err(
            last,
            "Секция расчётного счёта не закрыта строкой КонецРасчСчет",
            "An account section has no КонецРасчСчет",
        )),
        Block::Header => Ok(st),
    }
}

fn unexpected(n: usize, line: &str, expected: &str) -> FormatError {
    let shown: String = line.chars().take(60).collect();
    if expected.is_empty() {
        err(
            n,
            format!("Непонятная строка «{shown}» (ожидается Ключ=Значение)"),
            format!("Unreadable line '{shown}' (Key=Value expected)"),
        )
    } else {
        err(
            n,
            format!("Непонятная строка «{shown}» (ожидается Ключ=Значение или {expected})"),
            format!("Unreadable line '{shown}' (Key=Value or {expected} expected)"),
        )
    }
}
