//! Writing a `1CClientBankExchange` file: payment orders for the bank
//! client (version 1.03, windows-1251, CRLF — what every bank client reads).

use super::{format_date, BankDoc, Party, Statement};
use encoding_rs::WINDOWS_1251;

fn party(out: &mut Vec<(String, String)>, role: &str, p: &Party) {
    let mut f = |k: &str, v: &str| out.push((format!("{role}{k}"), v.to_string()));
    f("Счет", &p.account);
    f("", &format!("ИНН {} {}", p.inn, p.name).replace("  ", " "));
    f("ИНН", &p.inn);
    f("1", &p.name);
    f("РасчСчет", &p.account);
    f("Банк1", &p.bank);
    f("БИК", &p.bic);
    f("Корсчет", &p.corr_account);
    f("КПП", &p.kpp);
}

fn doc_lines(d: &BankDoc) -> Vec<(String, String)> {
    let mut out = vec![
        ("СекцияДокумент".to_string(), d.kind.clone()),
        ("Номер".into(), d.number.clone()),
        ("Дата".into(), format_date(d.date)),
        ("Сумма".into(), d.amount.to_api()),
    ];
    party(&mut out, "Плательщик", &d.payer);
    if let Some(x) = d.debited {
        out.push(("ДатаСписано".into(), format_date(x)));
    }
    party(&mut out, "Получатель", &d.payee);
    if let Some(x) = d.credited {
        out.push(("ДатаПоступило".into(), format_date(x)));
    }
    out.push(("ВидОплаты".into(), d.payment_kind.clone()));
    out.push(("Очередность".into(), d.priority.clone()));
    // One line: a line break inside a value would end it.
    out.push(("НазначениеПлатежа".into(), one_line(&d.purpose)));
    out.push(("КонецДокумента".into(), String::new()));
    out
}

fn one_line(s: &str) -> String {
    s.split(['\r', '\n'])
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The file as text (CRLF line ends), before encoding.
pub fn statement_text(st: &Statement, created: chrono::NaiveDateTime) -> String {
    let mut lines: Vec<(String, String)> = vec![
        ("1CClientBankExchange".into(), String::new()),
        (
            "ВерсияФормата".into(),
            if st.version.is_empty() {
                "1.03".into()
            } else {
                st.version.clone()
            },
        ),
        ("Кодировка".into(), "Windows".into()),
        ("Отправитель".into(), st.sender.clone()),
        ("Получатель".into(), st.receiver.clone()),
        ("ДатаСоздания".into(), format_date(created.date())),
        (
            "ВремяСоздания".into(),
            created.format("%H:%M:%S").to_string(),
        ),
    ];
    if let Some(d) = st.date_from {
        lines.push(("ДатаНачала".into(), format_date(d)));
    }
    if let Some(d) = st.date_to {
        lines.push(("ДатаКонца".into(), format_date(d)));
    }
    for a in &st.accounts {
        lines.push(("РасчСчет".into(), a.clone()));
    }
    lines.push(("Документ".into(), "Платежное поручение".into()));
    for d in &st.documents {
        lines.extend(doc_lines(d));
    }
    lines.push(("КонецФайла".into(), String::new()));
    let mut s = String::new();
    for (k, v) in lines {
        s.push_str(&k);
        let marker = matches!(
            k.as_str(),
            "1CClientBankExchange" | "КонецДокумента" | "КонецФайла"
        );
        if !marker {
            s.push('=');
            s.push_str(&one_line(&v));
        }
        s.push_str("\r\n");
    }
    s
}

/// The file's bytes in windows-1251 (characters it lacks become `?`).
pub fn write_statement(st: &Statement, created: chrono::NaiveDateTime) -> Vec<u8> {
    let text = statement_text(st, created);
    let mut out = Vec::with_capacity(text.len());
    // encoding_rs would write HTML references for unmappable characters;
    // a bank client would show them as garbage, so `?` instead.
    for ch in text.chars() {
        let mut buf = [0u8; 4];
        let (bytes, _, bad) = WINDOWS_1251.encode(ch.encode_utf8(&mut buf));
        if bad {
            out.push(b'?');
        } else {
            out.extend_from_slice(&bytes);
        }
    }
    out
}
