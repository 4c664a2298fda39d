//! Imports of existing records from CSV (UTF-8 or windows-1251, `;` or `,`)
//! and XLSX: every row checked first, every error listed with its row and
//! column; then all rows written in one transaction (multi-row INSERTs), or
//! none. Templates for each kind to download.

mod contacts;
mod counterparties;
mod opening_balances;
mod opening_stock;
mod prices;
mod products;

pub use contacts::CONTACT_COLUMNS;
pub use counterparties::COUNTERPARTY_COLUMNS;
pub use opening_balances::OPENING_BALANCE_COLUMNS;
pub use opening_stock::OPENING_STOCK_COLUMNS;
pub use prices::PRICE_COLUMNS;
pub use products::PRODUCT_COLUMNS;

use super::Progress;
use crate::{Actor, App, AppError, Result};
use kupets_domain::role::Right;
use kupets_store::{sql, Conn};
use serde::Serialize;
use std::collections::HashMap;
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

/// The kinds that can be imported.
pub const KINDS: &[&str] = &[
    "counterparties",
    "contacts",
    "products",
    "prices",
    "opening-balances",
    "opening-stock",
];

fn kind_error() -> AppError {
    AppError::field(
        "kind",
        "invalid_kind",
        format!("Вид импорта: {}", KINDS.join(", ")),
        format!("Import kind: {}", KINDS.join(", ")),
    )
}

pub fn columns(kind: &str) -> Result<&'static [Column]> {
    match kind {
        "counterparties" => Ok(COUNTERPARTY_COLUMNS),
        "contacts" => Ok(CONTACT_COLUMNS),
        "products" => Ok(PRODUCT_COLUMNS),
        "prices" => Ok(PRICE_COLUMNS),
        "opening-balances" => Ok(OPENING_BALANCE_COLUMNS),
        "opening-stock" => Ok(OPENING_STOCK_COLUMNS),
        _ => Err(kind_error()),
    }
}

/// The codes a row error can carry (problem+json wants them static).
const CODES: &[&str] = &[
    "required",
    "too_long",
    "invalid_kind",
    "duplicate_inn",
    "kpp_without_org_inn",
    "invalid_money",
    "invalid_email",
    "unknown_column",
    "missing_column",
    "invalid_date",
    "other_date",
    "not_found",
    "ambiguous",
    "duplicate",
    "duplicate_sku",
    "invalid_vat",
    "invalid_qty",
    "invalid_number",
    "invalid_flag",
    "serial_tracked",
    "other_warehouse",
    "empty",
];

/// A row error as a problem+json field error (`rows[5].inn`).
impl RowError {
    pub fn field_error(&self) -> kupets_domain::FieldError {
        let code: &'static str = match self.code.as_str() {
            "invalid_inn" | "inn_length" | "inn_checksum" => "invalid_inn",
            c => CODES
                .iter()
                .find(|k| **k == c)
                .copied()
                .unwrap_or("invalid"),
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
                    // Six decimals drop binary noise (0.1 + 0.2); the
                    // amount's own parser then refuses what is too precise.
                    Data::Float(f) => {
                        let s = format!("{f:.6}");
                        s.trim_end_matches('0').trim_end_matches('.').to_string()
                    }
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

fn sample(rows: &Rows) -> Vec<HashMap<String, String>> {
    rows.rows
        .iter()
        .take(20)
        .map(|(_, m)| m.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
        .collect()
}

/// Imports one kind: checks every row and, with `write` (inside the
/// write transaction) and no error, writes them all. Returns the records
/// written and the errors.
async fn run(
    app: &App,
    conn: &mut Conn,
    actor: &Actor,
    kind: &str,
    rows: &Rows,
    write: bool,
    progress: &Progress,
) -> Result<(usize, Vec<RowError>)> {
    match kind {
        "counterparties" => counterparties::run(conn, actor, rows, write, progress).await,
        "contacts" => contacts::run(conn, actor, rows, write, progress).await,
        "products" => products::run(conn, actor, rows, write, progress).await,
        "prices" => prices::run(conn, actor, rows, write, progress).await,
        "opening-balances" => opening_balances::run(conn, actor, rows, write).await,
        "opening-stock" => opening_stock::run(app, conn, actor, rows, write, progress).await,
        _ => Err(kind_error()),
    }
}

/// The right each kind needs.
fn right(kind: &str) -> Right {
    match kind {
        "opening-balances" => Right::PostSettlements,
        "opening-stock" => Right::MoveStock,
        "products" | "prices" => Right::EditCatalog,
        _ => Right::EditCounterparties,
    }
}

/// An import of at least this many rows runs the database's upkeep after it.
const BULK: usize = 1000;

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
        self.import_records_with(actor, kind, bytes, commit, Progress::default())
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
        progress: Progress,
    ) -> Result<RecordImport> {
        let cols = columns(kind)?;
        actor.require(right(kind))?;
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
        let (created, mut errors) = if !commit {
            let mut conn = self.store.read_conn().await?;
            run(self, &mut conn, actor, kind, &rows, false, &progress).await?
        } else {
            let rows = std::sync::Arc::new(rows);
            let kind = kind.to_string();
            write_tx!(self, [actor, rows, progress, kind], |app, tx| {
                progress.store(0, std::sync::atomic::Ordering::Relaxed);
                run(&app, &mut tx, actor, kind, rows, true, progress).await
            })?
        };
        if commit && created >= BULK {
            // Thousands of rows written one by one leave the search index
            // in many small segments; merge them now, not at night.
            if let Err(e) = self.store.maintain().await {
                tracing::warn!(error = %e, "database upkeep after an import");
            }
        }
        if n == 0 && errors.is_empty() {
            errors.push(err(
                2,
                cols[0].field,
                "empty",
                "В файле нет строк",
                "The file has no rows",
            ));
        }
        errors.sort_by_key(|e| e.row);
        Ok(RecordImport {
            kind: kind.into(),
            rows: n,
            created,
            errors,
            sample: smp,
        })
    }
}

/// What a template is called, in Russian: the file name (the kinds as the
/// import page names them).
pub fn template_name(kind: &str) -> String {
    let what = match kind {
        "counterparties" => "контрагенты",
        "contacts" => "контактные лица",
        "products" => "товары",
        "prices" => "цены",
        "opening-balances" => "начальные остатки расчётов",
        "opening-stock" => "начальные остатки склада",
        other => other,
    };
    format!("Шаблон загрузки — {what}")
}

/// The template's sheet, in Russian, never "Sheet1"; a sheet name holds at
/// most 31 characters, hence "расчётов" rather than "взаиморасчётов".
fn sheet_name(kind: &str) -> &'static str {
    match kind {
        "counterparties" => "Контрагенты",
        "contacts" => "Контактные лица",
        "products" => "Товары",
        "prices" => "Цены",
        "opening-balances" => "Начальные остатки расчётов",
        "opening-stock" => "Начальные остатки склада",
        _ => "Шаблон",
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
    ws.set_name(sheet_name(kind)).map_err(e)?;
    for (i, c) in cols.iter().enumerate() {
        ws.write_string_with_format(0, i as u16, c.ru, &bold)
            .map_err(e)?;
        ws.write_string(1, i as u16, c.example).map_err(e)?;
        ws.set_column_width(i as u16, 22).map_err(e)?;
    }
    wb.save_to_buffer().map_err(e)
}

/// Active counterparties by ИНН and by name (lower case): how a row names
/// the counterparty it belongs to.
pub(super) struct CpIndex {
    by_inn: HashMap<String, Vec<i64>>,
    by_name: HashMap<String, Vec<i64>>,
}

impl CpIndex {
    pub(super) async fn load(conn: &mut Conn) -> Result<CpIndex> {
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
        Ok(CpIndex { by_inn, by_name })
    }

    /// The one counterparty with this ИНН (when given) or this exact name;
    /// otherwise the row's error (`name_field`: the column naming it).
    pub(super) fn find(
        &self,
        row: usize,
        name_field: &str,
        inn: &str,
        name: &str,
    ) -> std::result::Result<i64, RowError> {
        let found = if !inn.is_empty() {
            self.by_inn.get(inn)
        } else {
            self.by_name.get(&name.to_lowercase())
        };
        let field = if inn.is_empty() { name_field } else { "inn" };
        match found.map(Vec::as_slice) {
            Some([one]) => Ok(*one),
            Some([_, _, ..]) => Err(err(
                row,
                field,
                "ambiguous",
                "Несколько контрагентов подходят: укажите ИНН",
                "Several counterparties match: give the INN",
            )),
            _ if inn.is_empty() && name.is_empty() => Err(err(
                row,
                name_field,
                "required",
                "Укажите контрагента или ИНН",
                "Give the counterparty or its INN",
            )),
            _ => {
                let what = if inn.is_empty() { name } else { inn };
                Err(err(
                    row,
                    field,
                    "not_found",
                    format!("Контрагент «{what}» не найден"),
                    format!("No counterparty '{what}'"),
                ))
            }
        }
    }
}

/// A yes/no cell: empty is no.
pub(super) fn flag(v: &str) -> Option<bool> {
    match v.trim().to_lowercase().as_str() {
        "" | "0" | "нет" | "no" | "false" | "н" | "-" => Some(false),
        "1" | "да" | "yes" | "true" | "д" | "+" => Some(true),
        _ => None,
    }
}

/// The one date of an opening document: every row must carry the same.
pub(super) fn one_date(
    errs: &mut Vec<RowError>,
    date: &mut Option<chrono::NaiveDate>,
    row: usize,
    value: &str,
) {
    match (crate::input::parse_date(value), *date) {
        (None, _) => errs.push(err(
            row,
            "date",
            "invalid_date",
            "Дата: ГГГГ-ММ-ДД или ДД.ММ.ГГГГ",
            "Date: YYYY-MM-DD or DD.MM.YYYY",
        )),
        (Some(d), None) => *date = Some(d),
        (Some(d), Some(first)) if d != first => errs.push(err(
            row,
            "date",
            "other_date",
            format!("Все строки вводятся одним документом на одну дату ({first})"),
            format!("All rows go in one document of one date ({first})"),
        )),
        _ => {}
    }
}

/// Writes an import's records (`values` in `cols` of `table`, counting them
/// in `progress`) and audits each as created; returns how many.
pub(super) async fn insert_audited(
    tx: &mut Conn,
    actor: &Actor,
    (table, entity): (&str, &str),
    cols: &[&str],
    values: &[Vec<kupets_store::queries::P>],
    progress: &super::Progress,
) -> Result<usize> {
    let ids: Vec<i64> =
        super::insert_rows_counted(tx, table, cols, values, Some("id"), Some(progress))
            .await?
            .iter()
            .map(|r| r.get::<i64, _>(0))
            .collect();
    audit_created(tx, actor, entity, &ids).await?;
    Ok(ids.len())
}

/// A row's SKU that is empty or names no product.
pub(super) fn sku_error(row: usize, sku: &str) -> RowError {
    if sku.is_empty() {
        err(
            row,
            "sku",
            "required",
            "Артикул обязателен",
            "The SKU is required",
        )
    } else {
        err(
            row,
            "sku",
            "not_found",
            format!("Товара с артикулом «{sku}» нет"),
            format!("No product with SKU '{sku}'"),
        )
    }
}

/// One audit row per record written, in multi-row INSERTs, and one for the
/// import as a whole.
async fn audit_created(tx: &mut Conn, actor: &Actor, entity: &str, ids: &[i64]) -> Result<()> {
    use kupets_store::queries::P;
    let at = kupets_store::now();
    let rows: Vec<Vec<P>> = ids
        .iter()
        .map(|id| {
            vec![
                P::from(at.as_str()),
                P::from(Some(actor.id())),
                P::from("create"),
                P::from(entity),
                P::from(id.to_string()),
                P::from("import"),
            ]
        })
        .collect();
    super::insert_rows(
        tx,
        "audit_log",
        &[
            "at",
            "employee_id",
            "action",
            "entity",
            "entity_id",
            "details",
        ],
        &rows,
        None,
    )
    .await?;
    kupets_store::queries::audit(
        tx,
        Some(actor.id()),
        "import",
        entity,
        0,
        &format!("{} rows", ids.len()),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Reader, Xlsx};

    #[test]
    fn every_template_is_named_in_russian() {
        let mut sheets = Vec::new();
        for kind in KINDS {
            let name = template_name(kind);
            assert!(
                !name.chars().any(|c| c.is_ascii_alphabetic()),
                "{kind}: {name}"
            );
            let bytes = template(kind, true).unwrap();
            let wb = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
            let sheet = wb.sheet_names()[0].clone();
            // A named sheet of its own, not the fallback nor "Sheet1".
            assert_eq!(sheet, sheet_name(kind), "{kind}");
            assert_ne!(sheet, "Шаблон", "{kind}");
            sheets.push(sheet);
        }
        sheets.sort();
        sheets.dedup();
        assert_eq!(sheets.len(), KINDS.len(), "each kind its own sheet name");
    }
}
