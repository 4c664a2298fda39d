//! Counterparties from a file: ИНН and КПП checked, duplicates by ИНН/КПП
//! (in the file and among the kept counterparties) refused; all rows in
//! multi-row INSERTs with one audit row each.

use super::super::{Progress, CHUNK};
use super::{err, insert_audited, Column, RowError, Rows};
use crate::{Actor, Result};
use kupets_domain::inn::{check_inn, check_kpp};
use kupets_domain::Money;
use kupets_store::queries::{bind_all, placeholders, P};
use kupets_store::{now, sql, Conn};
use std::collections::{HashMap, HashSet};

pub const COUNTERPARTY_COLUMNS: &[Column] = &[
    Column {
        field: "name",
        ru: "Наименование",
        aliases: &["name", "название", "контрагент"],
        required: true,
        example: "ООО «Ромашка»",
    },
    Column {
        field: "kind",
        ru: "Вид",
        aliases: &["kind", "тип"],
        required: false,
        example: "покупатель",
    },
    Column {
        field: "inn",
        ru: "ИНН",
        aliases: &["inn"],
        required: false,
        example: "7707083893",
    },
    Column {
        field: "kpp",
        ru: "КПП",
        aliases: &["kpp"],
        required: false,
        example: "770701001",
    },
    Column {
        field: "full_name",
        ru: "Полное наименование",
        aliases: &["full_name"],
        required: false,
        example: "Общество с ограниченной ответственностью «Ромашка»",
    },
    Column {
        field: "phone",
        ru: "Телефон",
        aliases: &["phone"],
        required: false,
        example: "+7 495 123-45-67",
    },
    Column {
        field: "email",
        ru: "Эл. почта",
        aliases: &["email", "e-mail", "почта"],
        required: false,
        example: "buh@romashka.ru",
    },
    Column {
        field: "address",
        ru: "Адрес",
        aliases: &["address"],
        required: false,
        example: "Москва, ул. Ленина, 1",
    },
    Column {
        field: "credit_limit",
        ru: "Кредитный лимит",
        aliases: &["credit_limit", "лимит"],
        required: false,
        example: "100000",
    },
    Column {
        field: "notes",
        ru: "Примечание",
        aliases: &["notes", "комментарий"],
        required: false,
        example: "",
    },
];

fn kind_code(v: &str) -> Option<&'static str> {
    match v.trim().to_lowercase().as_str() {
        "" | "customer" | "покупатель" | "клиент" => Some("customer"),
        "supplier" | "поставщик" => Some("supplier"),
        "both" | "покупатель и поставщик" | "оба" => Some("both"),
        _ => None,
    }
}

const CP_COLS: [&str; 13] = [
    "name",
    "kind",
    "inn",
    "kpp",
    "full_name",
    "phone",
    "email",
    "address",
    "credit_limit",
    "notes",
    "search",
    "manager_id",
    "created_at",
];

/// Checks counterparty rows; returns the values to insert.
async fn check_counterparties(
    conn: &mut Conn,
    actor: &Actor,
    rows: &Rows,
) -> Result<(Vec<Vec<P>>, Vec<RowError>)> {
    let mut errs = Vec::new();
    let mut out = Vec::new();
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    let at = now();
    for (n, r) in &rows.rows {
        let g = |k: &str| r.get(k).cloned().unwrap_or_default();
        let name = g("name");
        if name.is_empty() {
            errs.push(err(
                *n,
                "name",
                "required",
                "Наименование обязательно",
                "The name is required",
            ));
        } else if name.chars().count() > 300 {
            errs.push(err(
                *n,
                "name",
                "too_long",
                "Наименование длиннее 300 знаков",
                "The name is over 300 characters",
            ));
        }
        let kind = kind_code(&g("kind")).unwrap_or_else(|| {
            errs.push(err(
                *n,
                "kind",
                "invalid_kind",
                "Вид: покупатель, поставщик или оба",
                "Kind: customer, supplier or both",
            ));
            "customer"
        });
        let inn = g("inn");
        if !inn.is_empty() {
            if let Err(e) = check_inn(&inn) {
                errs.push(err(*n, "inn", e.code, e.message_ru, e.message_en));
            }
        }
        let kpp = g("kpp");
        if !kpp.is_empty() {
            if let Err(e) = check_kpp(&kpp) {
                errs.push(err(*n, "kpp", e.code, e.message_ru, e.message_en));
            } else if inn.len() != 10 {
                errs.push(err(
                    *n,
                    "kpp",
                    "kpp_without_org_inn",
                    "КПП указывается только для организации (ИНН из 10 цифр)",
                    "KPP goes only with an organisation's 10-digit INN",
                ));
            }
        }
        if !inn.is_empty() {
            if let Some(first) = seen.insert((inn.clone(), kpp.clone()), *n) {
                errs.push(err(
                    *n,
                    "inn",
                    "duplicate_inn",
                    format!("ИНН/КПП повторяет строку {first}"),
                    format!("INN/KPP repeats row {first}"),
                ));
            }
        }
        let limit = g("credit_limit");
        let limit = if limit.is_empty() {
            None
        } else {
            match Money::parse(&limit) {
                Ok(m) if m.0 >= 0 && m.in_bounds() => Some(m.0),
                _ => {
                    errs.push(err(
                        *n,
                        "credit_limit",
                        "invalid_money",
                        "Кредитный лимит: сумма не меньше нуля",
                        "Credit limit: an amount of zero or more",
                    ));
                    None
                }
            }
        };
        let email = g("email");
        if !email.is_empty() && !email.contains('@') {
            errs.push(err(
                *n,
                "email",
                "invalid_email",
                "Неверный адрес почты",
                "Invalid e-mail address",
            ));
        }
        let search = format!("{} {}", name, inn).to_lowercase();
        out.push(vec![
            P::from(name),
            P::from(kind),
            P::from(inn),
            P::from(kpp),
            P::from(g("full_name")),
            P::from(g("phone")),
            P::from(email),
            P::from(g("address")),
            P::from(limit),
            P::from(g("notes")),
            P::from(search),
            P::from(Some(actor.id())),
            P::from(at.as_str()),
        ]);
    }
    // Duplicates of counterparties already kept (active, same ИНН and КПП).
    let keys: Vec<(String, String)> = seen.keys().cloned().collect();
    let inns: Vec<String> = keys
        .iter()
        .map(|k| k.0.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut have: HashMap<(String, String), i64> = HashMap::new();
    for chunk in inns.chunks(CHUNK) {
        let q = format!(
            "SELECT id, inn, kpp FROM counterparties WHERE archived = 0 AND inn IN ({})",
            placeholders(1, chunk.len())
        );
        let ps: Vec<P> = chunk.iter().map(|s| P::from(s.as_str())).collect();
        for r in bind_all(sql::query(&q), &ps).fetch_all(&mut *conn).await? {
            have.insert((r.get("inn"), r.get("kpp")), r.get("id"));
        }
    }
    for (k, row) in &seen {
        if let Some(id) = have.get(k) {
            errs.push(err(
                *row,
                "inn",
                "duplicate_inn",
                format!("Контрагент с таким ИНН/КПП уже есть (№ {id})"),
                format!("A counterparty with this INN/KPP exists (id {id})"),
            ));
        }
    }
    errs.sort_by_key(|e| e.row);
    Ok((out, errs))
}

pub(super) async fn run(
    conn: &mut Conn,
    actor: &Actor,
    rows: &Rows,
    write: bool,
    progress: &Progress,
) -> Result<(usize, Vec<RowError>)> {
    let (values, errors) = check_counterparties(conn, actor, rows).await?;
    if !write || !errors.is_empty() {
        return Ok((0, errors));
    }
    let n = insert_audited(
        conn,
        actor,
        ("counterparties", "counterparty"),
        &CP_COLS,
        &values,
        progress,
    )
    .await?;
    Ok((n, Vec::new()))
}
