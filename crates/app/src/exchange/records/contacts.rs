//! Contact persons from a file: each row names its counterparty by ИНН (or,
//! without one, by its exact name) and is checked like a contact typed on
//! the counterparty's card.

use super::super::Progress;
use super::{err, insert_audited, Column, CpIndex, RowError, Rows};
use crate::{Actor, Result};
use kupets_store::queries::P;
use kupets_store::{now, Conn};

pub const CONTACT_COLUMNS: &[Column] = &[
    Column {
        field: "counterparty",
        ru: "Контрагент",
        aliases: &["counterparty", "организация", "компания"],
        required: false,
        example: "ООО «Ромашка»",
    },
    Column {
        field: "inn",
        ru: "ИНН",
        aliases: &["inn"],
        required: false,
        example: "7707083893",
    },
    Column {
        field: "name",
        ru: "ФИО",
        aliases: &["name", "имя", "контактное лицо"],
        required: true,
        example: "Иванов Пётр Сергеевич",
    },
    Column {
        field: "position",
        ru: "Должность",
        aliases: &["position"],
        required: false,
        example: "Главный бухгалтер",
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
        example: "ivanov@romashka.ru",
    },
    Column {
        field: "note",
        ru: "Примечание",
        aliases: &["note", "notes", "комментарий"],
        required: false,
        example: "",
    },
];

const COLS: [&str; 8] = [
    "counterparty_id",
    "name",
    "position",
    "phone",
    "email",
    "note",
    "archived",
    "created_at",
];

/// The limits of the contact form (`contact.rs`).
const LIMITS: [(&str, &str, &str, usize); 5] = [
    ("name", "ФИО", "name", 200),
    ("position", "Должность", "position", 200),
    ("phone", "Телефон", "phone", 100),
    ("email", "Эл. почта", "e-mail", 200),
    ("note", "Примечание", "note", 2000),
];

async fn check(conn: &mut Conn, rows: &Rows) -> Result<(Vec<Vec<P>>, Vec<RowError>)> {
    let index = CpIndex::load(conn).await?;
    let mut errs = Vec::new();
    let mut out = Vec::new();
    let at = now();
    for (n, r) in &rows.rows {
        let g = |k: &str| r.get(k).cloned().unwrap_or_default();
        let cp = index
            .find(*n, "counterparty", &g("inn"), &g("counterparty"))
            .map_err(|e| errs.push(e))
            .ok();
        if g("name").is_empty() {
            errs.push(err(
                *n,
                "name",
                "required",
                "ФИО обязательно",
                "The name is required",
            ));
        }
        for (f, ru, en, max) in LIMITS {
            if g(f).chars().count() > max {
                errs.push(err(
                    *n,
                    f,
                    "too_long",
                    format!("{ru}: не длиннее {max} знаков"),
                    format!("The {en}: at most {max} characters"),
                ));
            }
        }
        let email = g("email");
        if !email.is_empty() && (!email.contains('@') || email.contains(' ')) {
            errs.push(err(
                *n,
                "email",
                "invalid_email",
                "Адрес e-mail вида name@example.ru",
                "An e-mail address like name@example.com",
            ));
        }
        if let Some(cp) = cp {
            out.push(vec![
                P::from(cp),
                P::from(g("name")),
                P::from(g("position")),
                P::from(g("phone")),
                P::from(email),
                P::from(g("note")),
                P::from(false),
                P::from(at.as_str()),
            ]);
        }
    }
    Ok((out, errs))
}

pub(super) async fn run(
    conn: &mut Conn,
    actor: &Actor,
    rows: &Rows,
    write: bool,
    progress: &Progress,
) -> Result<(usize, Vec<RowError>)> {
    let (values, errors) = check(conn, rows).await?;
    if !write || !errors.is_empty() {
        return Ok((0, errors));
    }
    let n = insert_audited(
        conn,
        actor,
        ("contacts", "contact"),
        &COLS,
        &values,
        progress,
    )
    .await?;
    Ok((n, Vec::new()))
}
