//! `paperwork`: the PDF of a 100-line УПД (target < 100 ms). The shipment
//! and the company card are real records; each run builds the form from the
//! database (`App::shipment_paper`) and renders it with krilla (fonts
//! subset and embedded). Reported: the median and p95 of the whole
//! request-side work, and of the rendering alone.

use kupets_app::company::{BankAccountInput, CompanyInput};
use kupets_app::paperwork::{pdf, ShipmentPaper};
use kupets_app::trade::{LineInput, TradeDocInput};
use kupets_domain::DocKind;
use serde_json::json;
use std::time::Instant;

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

pub async fn run() -> anyhow::Result<()> {
    let db = crate::temp_db("paperwork");
    let (app, actor, wh, products, cp) = crate::shop(&db).await?;
    let e = |e: kupets_app::AppError| anyhow::anyhow!(e.message(false));
    app.save_company(
        &actor,
        &CompanyInput {
            short_name: Some("ООО «Купец»".into()),
            full_name: Some("Общество с ограниченной ответственностью «Купец»".into()),
            inn: Some("7707083893".into()),
            kpp: Some("773601001".into()),
            legal_address: Some("117997, Москва, ул. Вавилова, д. 19".into()),
            director_name: Some("Иванов И. И.".into()),
            accountant_name: Some("Петрова П. П.".into()),
            ..Default::default()
        },
    )
    .await
    .map_err(e)?;
    app.add_company_account(
        &actor,
        &BankAccountInput {
            bank_name: Some("ПАО Сбербанк".into()),
            bic: Some("044525225".into()),
            corr_account: Some("30101810400000000225".into()),
            account: Some(kupets_domain::requisites::with_account_key(
                "225",
                "40702810000000012345",
            )),
            is_main: None,
        },
    )
    .await
    .map_err(e)?;
    let lines = (0..100)
        .map(|i| LineInput {
            product_id: Some(products[i % products.len()].to_string()),
            qty: Some(format!("{}", 1 + i % 7)),
            ..Default::default()
        })
        .collect();
    let sh = app
        .create_trade_doc(
            &actor,
            DocKind::Shipment,
            &TradeDocInput {
                counterparty_id: Some(cp.to_string()),
                warehouse_id: Some(wh.to_string()),
                date: Some("2026-03-10".into()),
                lines,
                ..Default::default()
            },
        )
        .await
        .map_err(e)?;
    let id = sh.document.id;
    eprintln!("paperwork: shipment with {} lines", sh.lines.len());
    // Warm-up (fonts parsed once per process).
    let form = app
        .shipment_paper(&actor, id, Some(ShipmentPaper::Upd))
        .await
        .map_err(e)?;
    let bytes = pdf(&form).map_err(e)?;
    let runs = 30;
    let (mut total, mut render) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let t0 = Instant::now();
        let form = app
            .shipment_paper(&actor, id, Some(ShipmentPaper::Upd))
            .await
            .map_err(e)?;
        let t1 = Instant::now();
        let b = pdf(&form).map_err(e)?;
        let t2 = Instant::now();
        assert!(b.starts_with(b"%PDF"));
        total.push((t2 - t0).as_secs_f64() * 1000.0);
        render.push((t2 - t1).as_secs_f64() * 1000.0);
    }
    let out = json!({
        "bench": "paperwork",
        "lines": sh.lines.len(),
        "runs": runs,
        "pdf_bytes": bytes.len(),
        "upd_pdf_ms": (pct(&mut total, 0.5) * 10.0).round() / 10.0,
        "upd_pdf_p95_ms": (pct(&mut total, 0.95) * 10.0).round() / 10.0,
        "render_only_ms": (pct(&mut render, 0.5) * 10.0).round() / 10.0,
        "target_ms": 100,
    });
    println!("{out}");
    Ok(())
}
