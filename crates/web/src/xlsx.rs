//! Spreadsheets for download: one sheet with a title, column headers and
//! typed cells (amounts and quantities as numbers, dates as dates), named
//! in Russian. Used by the reports and by every list page's export.

use kupets_app::AppError;

/// A spreadsheet cell.
pub enum Cell {
    /// Text.
    T(String),
    /// An amount in kopecks: a number with two decimals.
    M(i64),
    /// Bold text.
    B(String),
    /// An ISO date, written as a real date cell (`dd.mm.yyyy`), so the
    /// spreadsheet sorts and filters it as a date.
    D(String),
    /// A moment (`2026-11-29T10:15:00.000Z`, UTC as the pages show it): a
    /// date-and-time cell.
    Dt(String),
    /// A quantity in thousandths: a number with up to three decimals.
    Q(i64),
    /// A whole number.
    N(i64),
    /// A decimal as the app gives it (`"12.5"`, a margin's percentage): a
    /// number, so the spreadsheet can sum and sort it; text if it is not one.
    Dec(String),
    /// A month (`YYYY-MM`): a real date cell shown as `mm.yyyy`.
    Mo(String),
}

/// Writes one sheet: a title, column headers, rows. Amounts are numbers with
/// two decimals, so the spreadsheet can sum them.
pub fn xlsx(
    file: &str,
    sheet: &str,
    title: &str,
    headers: &[&str],
    rows: Vec<Vec<Cell>>,
    footer: Option<&str>,
) -> Result<axum::response::Response, AppError> {
    use axum::response::IntoResponse;
    use rust_xlsxwriter::{Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    // The sheet is named in Russian, as the report is.
    ws.set_name(sheet).map_err(err)?;
    let bold = Format::new().set_bold();
    let num = Format::new().set_num_format("# ##0.00");
    let day = Format::new().set_num_format("dd.mm.yyyy");
    let moment = Format::new().set_num_format("dd.mm.yyyy hh:mm");
    let qty = Format::new().set_num_format("# ##0.###");
    let month = Format::new().set_num_format("mm.yyyy");
    ws.write_string_with_format(0, 0, title, &bold)
        .map_err(err)?;
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(2, c as u16, *h, &bold)
            .map_err(err)?;
        ws.set_column_width(
            c as u16,
            if c == 0 || (headers.len() > 4 && c == 1) {
                40
            } else {
                16
            },
        )
        .map_err(err)?;
    }
    let mut r = 3;
    for row in rows {
        for (c, cell) in row.into_iter().enumerate() {
            match cell {
                Cell::T(t) => ws.write_string(r, c as u16, t).map(|_| ()),
                Cell::B(t) => ws
                    .write_string_with_format(r, c as u16, t, &bold)
                    .map(|_| ()),
                Cell::M(k) => ws
                    .write_number_with_format(r, c as u16, k as f64 / 100.0, &num)
                    .map(|_| ()),
                Cell::D(d) => match rust_xlsxwriter::ExcelDateTime::parse_from_str(&d) {
                    Ok(dt) => ws
                        .write_datetime_with_format(r, c as u16, &dt, &day)
                        .map(|_| ()),
                    Err(_) => ws.write_string(r, c as u16, d).map(|_| ()),
                },
                // Seconds are enough: the parser reads no fraction after them.
                Cell::Dt(d) => match d
                    .get(..19)
                    .map(rust_xlsxwriter::ExcelDateTime::parse_from_str)
                {
                    Some(Ok(dt)) => ws
                        .write_datetime_with_format(r, c as u16, &dt, &moment)
                        .map(|_| ()),
                    _ => ws.write_string(r, c as u16, d).map(|_| ()),
                },
                Cell::Q(q) => ws
                    .write_number_with_format(r, c as u16, q as f64 / 1000.0, &qty)
                    .map(|_| ()),
                Cell::N(n) => ws.write_number(r, c as u16, n as f64).map(|_| ()),
                Cell::Dec(n) => match n.trim().replace(',', ".").parse::<f64>() {
                    Ok(v) => ws
                        .write_number_with_format(r, c as u16, v, &qty)
                        .map(|_| ()),
                    Err(_) => ws.write_string(r, c as u16, n).map(|_| ()),
                },
                Cell::Mo(m) => {
                    match rust_xlsxwriter::ExcelDateTime::parse_from_str(&format!("{m}-01")) {
                        Ok(dt) => ws
                            .write_datetime_with_format(r, c as u16, &dt, &month)
                            .map(|_| ()),
                        Err(_) => ws.write_string(r, c as u16, m).map(|_| ()),
                    }
                }
            }
            .map_err(err)?;
        }
        r += 1;
    }
    if let Some(f) = footer {
        ws.write_string(r + 1, 0, f).map_err(err)?;
    }
    let bytes = wb.save_to_buffer().map_err(err)?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                crate::download::attachment(file, "xlsx"),
            ),
        ],
        bytes,
    )
        .into_response())
}
