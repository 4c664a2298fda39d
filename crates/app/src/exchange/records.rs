//! Imports of existing records from CSV (UTF-8 or windows-1251, `;` or `,`)
//! and XLSX: every row checked first, every error listed with its row and
//! column; then all rows written in one transaction (multi-row INSERTs), or
//! none. Templates for each kind to download.

use super::insert_rows;
use crate::{Actor, App, AppError, Result};
use kupets_domain::inn::{check_inn, check_kpp};
use kupets_domain::role::Right;
use kupets_domain::Money;
use kupets_store::queries::{audit, bind_all, placeholders, P};
use kupets_store::{now, sql};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;

/// One column of an import: its field, the Russian header (as in the
/// template) and the other names accepted.
pub struct Column {
    pub field: &'static str,
    pub ru: &'static str,
    pub aliases: &'static [&'static str],
    pub required: bool,
    pub example: &'static str,
}

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

/// Opening balances: one posted document for the whole file, dated.
pub const OPENING_BALANCE_COLUMNS: &[Column] = &[
    Column {
        field: "counterparty",
        ru: "Контрагент",
        aliases: &["counterparty", "наименование", "name"],
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
        field: "amount",
        ru: "Сумма",
        aliases: &["amount", "сальдо", "долг"],
        required: true,
        example: "15000.00",
    },
    Column {
        field: "date",
        ru: "Дата",
        aliases: &["date", "на дату"],
        required: true,
        example: "2025-12-31",
    },
];

/// The kinds that can be imported.
pub const KINDS: &[&str] = &["counterparties", "opening-balances"];

pub fn columns(kind: &str) -> Result<&'static [Column]> {
    match kind {
        "counterparties" => Ok(COUNTERPARTY_COLUMNS),
        "opening-balances" => Ok(OPENING_BALANCE_COLUMNS),
        _ => Err(AppError::field(
            "kind",
            "invalid_kind",
            format!("Вид импорта: {}", KINDS.join(", ")),
            format!("Import kind: {}", KINDS.join(", ")),
        )),
    }
}

/// A row error as a problem+json field error (`rows[5].inn`).
impl RowError {
    pub fn field_error(&self) -> kupets_domain::FieldError {
        let code: &'static str = match self.code.as_str() {
            "required" => "required",
            "too_long" => "too_long",
            "invalid_kind" => "invalid_kind",
            "duplicate_inn" => "duplicate_inn",
            "kpp_without_org_inn" => "kpp_without_org_inn",
            "invalid_money" => "invalid_money",
            "invalid_email" => "invalid_email",
            "unknown_column" => "unknown_column",
            "missing_column" => "missing_column",
            "invalid_inn" | "inn_length" | "inn_checksum" => "invalid_inn",
            _ => "invalid",
        };
        kupets_domain::FieldError::new(
            &format!("rows[{}].{}", self.row, self.field),
            code,
            format!("Строка {}: {}", self.row, self.message_ru),
            format!("Row {}: {}", self.row, self.message_en),
        )
    }
}

/// One problem of one row.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RowError {
    /// Row in the file (the header is row 1).
    pub row: usize,
    pub field: String,
    pub code: String,
    pub message_ru: String,
    pub message_en: String,
}

/// What an import found and did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecordImport {
    pub kind: String,
    /// Data rows read.
    pub rows: usize,
    /// Written (0 for a preview, or when there are errors: all or nothing).
    pub created: usize,
    pub errors: Vec<RowError>,
    /// The first rows as read, for the preview (field → value).
    pub sample: Vec<HashMap<String, String>>,
}

/// Cells of a sheet, the header row first.
pub fn read_table(bytes: &[u8]) -> Result<Vec<Vec<String>>> {
    if bytes.starts_with(b"PK\x03\x04") {
        return read_xlsx(bytes);
    }
    let (text, _) = kupets_domain::bank::decode(bytes);
    let first = text.lines().next().unwrap_or("");
    let delim = if first.matches(';').count() >= first.matches(',').count() && first.contains(';') {
        b';'
    } else if first.contains('\t') && !first.contains(',') {
        b'\t'
    } else {
        b','
    };
    let mut rd = csv::ReaderBuilder::new()
        .delimiter(delim)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (i, rec) in rd.records().enumerate() {
        let rec = rec.map_err(|e| {
            AppError::field(
                "file",
                "bad_csv",
                format!("Строка {}: не читается как CSV ({e})", i + 1),
                format!("Row {}: not readable as CSV ({e})", i + 1),
            )
        })?;
        out.push(rec.iter().map(|s| s.trim().to_string()).collect());
    }
    Ok(out)
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<Vec<String>>> {
    use calamine::{Data, Reader, Xlsx};
    let bad = |e: String| {
        AppError::field(
            "file",
            "bad_xlsx",
            format!("Файл XLSX не читается: {e}"),
            format!("The XLSX file cannot be read: {e}"),
        )
    };
    let mut wb: Xlsx<_> =
        Xlsx::new(std::io::Cursor::new(bytes.to_vec())).map_err(|e| bad(e.to_string()))?;
    let range = wb
        .worksheet_range_at(0)
        .ok_or_else(|| bad("no sheet".into()))?
        .map_err(|e| bad(e.to_string()))?;
    Ok(range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    Data::String(s) => s.trim().to_string(),
                    Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => {
                        format!("{}", *f as i64)
                    }
                    Data::Float(f) => format!("{f}"),
                    Data::Int(i) => i.to_string(),
                    Data::Bool(b) => {
                        if *b {
                            "1".into()
                        } else {
                            "0".into()
                        }
                    }
                    // Excel's serial day (1900 system): day 0 is 1899-12-30.
                    Data::DateTime(d) => chrono::NaiveDate::from_ymd_opt(1899, 12, 30)
                        .and_then(|z| {
                            z.checked_add_days(chrono::Days::new(d.as_f64().max(0.0) as u64))
                        })
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                    Data::DateTimeIso(s) => s.get(..10).unwrap_or(s).to_string(),
                    Data::DurationIso(s) => s.clone(),
                    Data::Error(e) => format!("#{e:?}"),
                })
                .collect()
        })
        .collect())
}

/// Maps the header row to fields; unknown columns are refused (a typo
/// would otherwise drop a column silently).
fn header_map(
    cols: &[Column],
    header: &[String],
) -> std::result::Result<Vec<Option<&'static str>>, Vec<RowError>> {
    let mut errs = Vec::new();
    let norm = |s: &str| {
        s.trim()
            .trim_start_matches('\u{feff}')
            .to_lowercase()
            .replace('ё', "е")
    };
    let mut out = Vec::new();
    for h in header {
        let n = norm(h);
        if n.is_empty() {
            out.push(None);
            continue;
        }
        let f = cols
            .iter()
            .find(|c| norm(c.ru) == n || c.field == n || c.aliases.iter().any(|a| norm(a) == n));
        match f {
            Some(c) => out.push(Some(c.field)),
            None => {
                errs.push(RowError {
                    row: 1,
                    field: h.clone(),
                    code: "unknown_column".into(),
                    message_ru: format!("Неизвестная колонка «{h}»"),
                    message_en: format!("Unknown column '{h}'"),
                });
                out.push(None);
            }
        }
    }
    for c in cols.iter().filter(|c| c.required) {
        if !out.contains(&Some(c.field)) {
            errs.push(RowError {
                row: 1,
                field: c.field.into(),
                code: "missing_column".into(),
                message_ru: format!("Нет колонки «{}»", c.ru),
                message_en: format!("No column '{}' ({})", c.ru, c.field),
            });
        }
    }
    if errs.is_empty() {
        Ok(out)
    } else {
        Err(errs)
    }
}

struct Rows {
    /// (file row, field → value)
    rows: Vec<(usize, HashMap<&'static str, String>)>,
}

fn to_rows(cols: &[Column], table: Vec<Vec<String>>) -> std::result::Result<Rows, Vec<RowError>> {
    let mut it = table.into_iter();
    let header = it.next().unwrap_or_default();
    let map = header_map(cols, &header)?;
    let rows = it
        .enumerate()
        .filter(|(_, r)| r.iter().any(|c| !c.is_empty()))
        .map(|(i, r)| {
            let mut m = HashMap::new();
            for (v, f) in r.into_iter().zip(&map) {
                if let Some(f) = f {
                    m.insert(*f, v);
                }
            }
            (i + 2, m)
        })
        .collect();
    Ok(Rows { rows })
}

fn err(
    row: usize,
    field: &str,
    code: &str,
    ru: impl Into<String>,
    en: impl Into<String>,
) -> RowError {
    RowError {
        row,
        field: field.into(),
        code: code.into(),
        message_ru: ru.into(),
        message_en: en.into(),
    }
}

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
    conn: &mut kupets_store::Conn,
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
    for chunk in inns.chunks(super::CHUNK) {
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

fn sample(rows: &Rows) -> Vec<HashMap<String, String>> {
    rows.rows
        .iter()
        .take(20)
        .map(|(_, m)| m.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
        .collect()
}

impl App {
    /// Reads and checks a file of records; with `commit`, writes all rows
    /// in one transaction when none has an error (otherwise nothing).
    pub async fn import_records(
        &self,
        actor: &Actor,
        kind: &str,
        bytes: &[u8],
        commit: bool,
    ) -> Result<RecordImport> {
        self.import_records_with(actor, kind, bytes, commit, super::Progress::default())
            .await
    }

    /// [`App::import_records`], counting written rows in `progress` (the
    /// command line's bar; the rows become visible only at the commit).
    pub async fn import_records_with(
        &self,
        actor: &Actor,
        kind: &str,
        bytes: &[u8],
        commit: bool,
        progress: super::Progress,
    ) -> Result<RecordImport> {
        let cols = columns(kind)?;
        actor.require(if kind == "opening-balances" {
            Right::PostSettlements
        } else {
            Right::EditCounterparties
        })?;
        let table = read_table(bytes)?;
        let rows = match to_rows(cols, table) {
            Ok(r) => r,
            Err(errors) => {
                return Ok(RecordImport {
                    kind: kind.into(),
                    rows: 0,
                    created: 0,
                    errors,
                    sample: Vec::new(),
                })
            }
        };
        let n = rows.rows.len();
        let smp = sample(&rows);
        if !commit {
            let mut conn = self.store.read_conn().await?;
            let errors = if kind == "opening-balances" {
                check_opening(&mut conn, &rows).await?.1
            } else {
                check_counterparties(&mut conn, actor, &rows).await?.1
            };
            return Ok(RecordImport {
                kind: kind.into(),
                rows: n,
                created: 0,
                errors,
                sample: smp,
            });
        }
        let rows = std::sync::Arc::new(rows);
        if kind == "opening-balances" {
            let (created, errors) = write_tx!(self, [actor, rows], |app, tx| {
                let (plan, errors) = check_opening(&mut tx, rows).await?;
                if !errors.is_empty() {
                    return Ok((0, errors));
                }
                write_opening(&mut tx, actor, &plan).await?;
                Ok((plan.1.len(), Vec::new()))
            })?;
            return Ok(RecordImport {
                kind: kind.into(),
                rows: n,
                created,
                errors,
                sample: smp,
            });
        }
        let (created, errors) = write_tx!(self, [actor, rows, progress], |app, tx| {
            progress.store(0, std::sync::atomic::Ordering::Relaxed);
            let (values, errors) = check_counterparties(&mut tx, actor, rows).await?;
            if !errors.is_empty() {
                return Ok((0, errors));
            }
            let ids = super::insert_rows_counted(
                &mut tx,
                "counterparties",
                &CP_COLS,
                &values,
                Some("id"),
                Some(progress),
            )
            .await?;
            let at = now();
            let audit_rows: Vec<Vec<P>> = ids
                .iter()
                .map(|r| {
                    vec![
                        P::from(at.as_str()),
                        P::from(Some(actor.id())),
                        P::from("create"),
                        P::from("counterparty"),
                        P::from(r.get::<i64, _>(0).to_string()),
                        P::from("import"),
                    ]
                })
                .collect();
            insert_rows(
                &mut tx,
                "audit_log",
                &[
                    "at",
                    "employee_id",
                    "action",
                    "entity",
                    "entity_id",
                    "details",
                ],
                &audit_rows,
                None,
            )
            .await?;
            audit(
                &mut tx,
                Some(actor.id()),
                "import",
                "counterparty",
                0,
                &format!("{} rows", ids.len()),
            )
            .await?;
            Ok((ids.len(), Vec::new()))
        })?;
        Ok(RecordImport {
            kind: kind.into(),
            rows: n,
            created,
            errors,
            sample: smp,
        })
    }
}

/// What a template is called, in Russian: the file and the sheet.
pub fn template_name(kind: &str) -> String {
    match kind {
        "counterparties" => "Шаблон загрузки — контрагенты".into(),
        "opening-balances" => "Шаблон загрузки — начальные остатки расчётов".into(),
        other => format!("Шаблон загрузки — {other}"),
    }
}

/// A template to fill: the Russian headers and one example row.
pub fn template(kind: &str, xlsx: bool) -> Result<Vec<u8>> {
    let cols = columns(kind)?;
    if !xlsx {
        let mut s = String::from("\u{feff}");
        s.push_str(&cols.iter().map(|c| c.ru).collect::<Vec<_>>().join(";"));
        s.push_str("\r\n");
        s.push_str(&cols.iter().map(|c| c.example).collect::<Vec<_>>().join(";"));
        s.push_str("\r\n");
        return Ok(s.into_bytes());
    }
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let e = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
    // A Russian sheet name, never "Sheet1" (at most 31 characters).
    ws.set_name(match kind {
        "counterparties" => "Контрагенты",
        _ => "Начальные остатки",
    })
    .map_err(e)?;
    for (i, c) in cols.iter().enumerate() {
        ws.write_string_with_format(0, i as u16, c.ru, &bold)
            .map_err(e)?;
        ws.write_string(1, i as u16, c.example).map_err(e)?;
        ws.set_column_width(i as u16, 22).map_err(e)?;
    }
    wb.save_to_buffer().map_err(e)
}

/// (date, [(counterparty, signed amount)])
type OpeningPlan = (chrono::NaiveDate, Vec<(i64, i64)>);

/// Finds each row's counterparty (by ИНН, else by its exact name) and
/// checks the amounts and the one date of the document.
async fn check_opening(
    conn: &mut kupets_store::Conn,
    rows: &Rows,
) -> Result<(OpeningPlan, Vec<RowError>)> {
    let mut errs = Vec::new();
    let cps = sql::query("SELECT id, name, inn FROM counterparties WHERE archived = 0")
        .fetch_all(&mut *conn)
        .await?;
    let mut by_inn: HashMap<String, Vec<i64>> = HashMap::new();
    let mut by_name: HashMap<String, Vec<i64>> = HashMap::new();
    for r in &cps {
        let inn: String = r.get("inn");
        if !inn.is_empty() {
            by_inn.entry(inn).or_default().push(r.get("id"));
        }
        by_name
            .entry(r.get::<String, _>("name").to_lowercase())
            .or_default()
            .push(r.get("id"));
    }
    let mut date: Option<chrono::NaiveDate> = None;
    let mut out = Vec::new();
    let mut seen: HashMap<i64, usize> = HashMap::new();
    for (n, r) in &rows.rows {
        let g = |k: &str| r.get(k).cloned().unwrap_or_default();
        let (inn, name) = (g("inn"), g("counterparty"));
        let found = if !inn.is_empty() {
            by_inn.get(&inn)
        } else {
            by_name.get(&name.to_lowercase())
        };
        let cp = match found.map(Vec::as_slice) {
            Some([one]) => Some(*one),
            Some([_, _, ..]) => {
                errs.push(err(
                    *n,
                    if inn.is_empty() {
                        "counterparty"
                    } else {
                        "inn"
                    },
                    "ambiguous",
                    "Несколько контрагентов подходят: укажите ИНН",
                    "Several counterparties match: give the INN",
                ));
                None
            }
            _ if inn.is_empty() && name.is_empty() => {
                errs.push(err(
                    *n,
                    "counterparty",
                    "required",
                    "Укажите контрагента или ИНН",
                    "Give the counterparty or its INN",
                ));
                None
            }
            _ => {
                let (f, what) = if inn.is_empty() {
                    ("counterparty", name.clone())
                } else {
                    ("inn", inn.clone())
                };
                errs.push(err(
                    *n,
                    f,
                    "not_found",
                    format!("Контрагент «{what}» не найден"),
                    format!("No counterparty '{what}'"),
                ));
                None
            }
        };
        if let Some(cp) = cp {
            if let Some(first) = seen.insert(cp, *n) {
                errs.push(err(
                    *n,
                    "counterparty",
                    "duplicate",
                    format!("Тот же контрагент, что в строке {first}"),
                    format!("The same counterparty as row {first}"),
                ));
            }
        }
        let amount = match Money::parse(&g("amount")) {
            Ok(m) if m.in_bounds() && m.0 != 0 => m.0,
            _ => {
                errs.push(err(*n, "amount", "invalid_money", "Сумма: не ноль, до 2 знаков; плюс — долг нам, минус — наш долг или аванс", "Amount: not zero, up to 2 decimals; plus: they owe us, minus: we owe them or a prepayment"));
                0
            }
        };
        let d = crate::input::parse_date(&g("date"));
        match (d, date) {
            (None, _) => errs.push(err(
                *n,
                "date",
                "invalid_date",
                "Дата: ГГГГ-ММ-ДД или ДД.ММ.ГГГГ",
                "Date: YYYY-MM-DD or DD.MM.YYYY",
            )),
            (Some(d), None) => date = Some(d),
            (Some(d), Some(first)) if d != first => errs.push(err(
                *n,
                "date",
                "other_date",
                format!("Все остатки вводятся одним документом на одну дату ({first})"),
                format!("All balances go in one document of one date ({first})"),
            )),
            _ => {}
        }
        if let Some(cp) = cp {
            out.push((cp, amount));
        }
    }
    if rows.rows.is_empty() {
        errs.push(err(
            2,
            "amount",
            "empty",
            "В файле нет строк",
            "The file has no rows",
        ));
    }
    Ok(((date.unwrap_or_default(), out), errs))
}

/// One posted document «Ввод начальных остатков» (a debt adjustment)
/// with a ledger entry per counterparty, each written in one statement.
async fn write_opening(
    tx: &mut kupets_store::Conn,
    actor: &Actor,
    plan: &OpeningPlan,
) -> Result<()> {
    use chrono::Datelike;
    use kupets_domain::DocKind;
    let (date, entries) = plan;
    let kind = DocKind::Adjustment;
    let seq = super::reserve_seqs(tx, kind.code(), date.year(), 1).await?;
    let at = now();
    let total: i64 = entries.iter().map(|e| e.1).sum();
    let id = kupets_store::queries::insert(
        tx,
        "documents",
        &[
            ("kind", P::from(kind.code())),
            ("year", P::from(date.year() as i64)),
            ("seq", P::from(seq)),
            (
                "number",
                P::from(kupets_domain::document::doc_number(kind, date.year(), seq)),
            ),
            ("doc_date", P::from(date.to_string())),
            ("state", P::from("posted")),
            ("author_id", P::from(actor.id())),
            ("responsible_id", P::from(actor.id())),
            ("amount", P::from(total)),
            ("comment", P::from("Ввод начальных остатков (загрузка)")),
            ("created_at", P::from(at.as_str())),
            ("posted_at", P::from(at.as_str())),
        ],
    )
    .await?;
    let rows: Vec<Vec<P>> = entries
        .iter()
        .map(|(cp, amount)| {
            vec![
                P::from(*cp),
                P::from(id),
                P::from(date.to_string()),
                P::from(*amount),
                P::from(at.as_str()),
            ]
        })
        .collect();
    insert_rows(
        tx,
        "settlement_entries",
        &[
            "counterparty_id",
            "document_id",
            "entry_date",
            "amount",
            "created_at",
        ],
        &rows,
        None,
    )
    .await?;
    audit(
        tx,
        Some(actor.id()),
        "create",
        kind.code(),
        id,
        "opening balances",
    )
    .await?;
    audit(
        tx,
        Some(actor.id()),
        "post",
        kind.code(),
        id,
        &format!("{} counterparties, total={}", entries.len(), Money(total)),
    )
    .await?;
    Ok(())
}
