//! `kupets import KIND FILE`: a bank statement or records, with a progress
//! bar on stderr while the transaction writes, and the refusals printed
//! row by row.

use anyhow::bail;
use kupets_app::App;
use std::io::Write;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

fn bar(done: usize, total: usize, started: Instant) {
    let width = 30;
    let filled = (done * width).checked_div(total).unwrap_or(0).min(width);
    let secs = started.elapsed().as_secs_f64().max(0.001);
    eprint!(
        "\r[{}{}] {done}/{total} ({:.0}/s)   ",
        "#".repeat(filled),
        "-".repeat(width - filled),
        done as f64 / secs
    );
    let _ = std::io::stderr().flush();
}

fn app_err(e: kupets_app::AppError) -> anyhow::Error {
    match e {
        kupets_app::AppError::Validation(errs) => anyhow::anyhow!(errs
            .iter()
            .map(|e| format!("{}: {} / {}", e.field, e.message_ru, e.message_en))
            .collect::<Vec<_>>()
            .join("\n")),
        e => anyhow::anyhow!("{}", e.message(true)),
    }
}

pub async fn run(
    app: &App,
    kind: &str,
    file: &str,
    as_login: Option<&str>,
    preview: bool,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(file)?;
    let actor = app.cli_actor(as_login).await.map_err(app_err)?;
    let started = Instant::now();
    match kind {
        "bank-statement" => {
            let r = if preview {
                app.preview_statement(&actor, &bytes).await
            } else {
                let name = std::path::Path::new(file)
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default();
                app.import_statement(&actor, &name, &bytes).await
            }
            .map_err(app_err)?;
            for row in r.rows.iter().filter(|r| r.status != "matched") {
                println!(
                    "{:>6} № {} {} {}: {}",
                    row.line, row.number, row.date, row.amount, row.reason_ru
                );
            }
            println!(
                "Сопоставлено {}, без контрагента {}, уже загружено {}, не наш счёт {} ({} мс){}",
                r.matched,
                r.unmatched,
                r.already_imported,
                r.not_ours,
                started.elapsed().as_millis(),
                r.import_id
                    .map(|i| format!("; загрузка № {i}"))
                    .unwrap_or_default()
            );
        }
        kind => {
            let total = kupets_app::exchange::records::read_table(&bytes)
                .map_err(app_err)?
                .len()
                .saturating_sub(1);
            let progress = kupets_app::exchange::Progress::default();
            let p = progress.clone();
            let ticker = tokio::spawn(async move {
                loop {
                    bar(p.load(Ordering::Relaxed), total, started);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            });
            let r = app
                .import_records_with(&actor, kind, &bytes, !preview, progress.clone())
                .await;
            ticker.abort();
            let r = r.map_err(app_err)?;
            if r.errors.is_empty() {
                bar(if preview { 0 } else { r.created }, total, started);
            }
            eprintln!();
            for e in &r.errors {
                println!(
                    "строка {} / row {}, {}: {} / {}",
                    e.row, e.row, e.field, e.message_ru, e.message_en
                );
            }
            if !r.errors.is_empty() {
                bail!(
                    "{} ошибок, ничего не записано / {} errors, nothing written",
                    r.errors.len(),
                    r.errors.len()
                );
            }
            println!(
                "Строк {}, записано {} за {} мс / {} rows, {} written in {} ms",
                r.rows,
                r.created,
                started.elapsed().as_millis(),
                r.rows,
                r.created,
                started.elapsed().as_millis()
            );
        }
    }
    Ok(())
}
