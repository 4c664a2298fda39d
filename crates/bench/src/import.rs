//! `import`: 100 000 counterparties from a CSV (`rows_per_s`, target
//! ≥ 5 000) and a bank statement of 10 000 documents whose payers are among
//! them (`statement_docs_per_s`, target ≥ 2 000), then posting that batch.
//! SQLite, one process; the time includes parsing, checking every row and
//! the one write transaction.

use kupets_app::company::BankAccountInput;
use kupets_app::App;
use kupets_store::Store;
use serde_json::json;
use std::time::Instant;

fn inn10(first9: u64) -> String {
    kupets_domain::inn::complete_inn10(&format!("{first9:09}"))
}

pub async fn run(n: usize, docs: usize) -> anyhow::Result<()> {
    let db = crate::temp_db("import");
    let app = App::new(Store::open(&db).await?);
    let e = |e: kupets_app::AppError| anyhow::anyhow!(e.message(false));
    app.cli_add_user("bench", "Бенчмарк", "admin", "bench-password")
        .await
        .map_err(e)?;
    let actor = app.cli_actor(None).await.map_err(e)?;

    let mut csv = String::from("Наименование;Вид;ИНН;Телефон;Адрес\r\n");
    for i in 0..n {
        let root = crate::ROOTS[i % crate::ROOTS.len()];
        csv.push_str(&format!(
            "ООО «{root}-{i}»;покупатель;{};+7 900 {i:07};Москва, ул. Ленина, {}\r\n",
            inn10(500_000_000 + i as u64),
            i % 300
        ));
    }
    let t = Instant::now();
    let r = app
        .import_records(&actor, "counterparties", csv.as_bytes(), true)
        .await
        .map_err(e)?;
    let cp_secs = t.elapsed().as_secs_f64();
    anyhow::ensure!(
        r.created == n && r.errors.is_empty(),
        "import failed: {:?}",
        r.errors.first()
    );
    let rows_per_s = n as f64 / cp_secs;
    println!("counterparties: {n} rows in {cp_secs:.2} s = {rows_per_s:.0} rows/s");

    let ours = kupets_domain::requisites::with_account_key("225", "40702810000000012345");
    app.add_company_account(
        &actor,
        &BankAccountInput {
            bank_name: Some("ПАО Сбербанк".into()),
            bic: Some("044525225".into()),
            corr_account: Some("30101810400000000225".into()),
            account: Some(ours.clone()),
            is_main: None,
        },
    )
    .await
    .map_err(e)?;
    let mut l = vec![
        "1CClientBankExchange".to_string(),
        "ВерсияФормата=1.03".into(),
        "Кодировка=Windows".into(),
        "ДатаНачала=01.03.2026".into(),
        "ДатаКонца=31.03.2026".into(),
        format!("РасчСчет={ours}"),
    ];
    for i in 0..docs {
        // Every tenth payer is unknown (left for a hand), the rest known by ИНН.
        let inn = if i % 10 == 9 {
            inn10(700_000_000 + i as u64)
        } else {
            inn10(500_000_000 + (i * 7 % n) as u64)
        };
        l.extend([
            "СекцияДокумент=Платежное поручение".to_string(),
            format!("Номер={}", i + 1),
            format!("Дата={:02}.03.2026", 1 + i % 28),
            format!("Сумма={}.{:02}", 100 + i % 90_000, i % 100),
            format!("ПлательщикСчет=40702810{:012}", i),
            format!("ПлательщикИНН={inn}"),
            format!("Плательщик1=ООО Плательщик {i}"),
            "ПлательщикБИК=044525225".into(),
            format!("ПолучательСчет={ours}"),
            "ПолучательИНН=7707083893".into(),
            "Получатель1=ООО «Купец»".into(),
            format!(
                "НазначениеПлатежа=Оплата по счету № {} от 01.03.2026, в т.ч. НДС 22%",
                1 + i % 500
            ),
            "КонецДокумента".into(),
        ]);
    }
    l.push("КонецФайла".into());
    let text = l.join("\r\n") + "\r\n";
    let bytes = encode_1251(&text);
    let t = Instant::now();
    let st = app
        .import_statement(&actor, "bench.txt", &bytes)
        .await
        .map_err(e)?;
    let st_secs = t.elapsed().as_secs_f64();
    anyhow::ensure!(
        st.matched + st.unmatched == docs,
        "statement: {} + {}",
        st.matched,
        st.unmatched
    );
    let docs_per_s = docs as f64 / st_secs;
    println!(
        "statement: {docs} documents ({} matched, {} unmatched, {} KiB) in {st_secs:.2} s = {docs_per_s:.0} docs/s",
        st.matched,
        st.unmatched,
        bytes.len() / 1024
    );
    let id: i64 = st.import_id.as_deref().unwrap_or("0").parse()?;
    let t = Instant::now();
    let posted = app.post_bank_import(&actor, id).await.map_err(e)?;
    let post_secs = t.elapsed().as_secs_f64();
    println!(
        "posting the batch: {} payments in {post_secs:.2} s",
        posted.posted
    );
    let t = Instant::now();
    let again = app
        .import_statement(&actor, "bench.txt", &bytes)
        .await
        .map_err(e)?;
    let again_secs = t.elapsed().as_secs_f64();
    anyhow::ensure!(
        again.already_imported == docs,
        "re-import created something"
    );
    println!("re-import (all already imported): {again_secs:.2} s");
    for s in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{db}{s}"));
    }
    println!(
        "{}",
        json!({
            "bench": "import",
            "counterparties": n,
            "rows_per_s": rows_per_s.round(),
            "statement_docs": docs,
            "statement_docs_per_s": docs_per_s.round(),
            "statement_post_s": (post_secs * 1000.0).round() / 1000.0,
            "reimport_s": (again_secs * 1000.0).round() / 1000.0,
        })
    );
    Ok(())
}

/// windows-1251 for the Cyrillic letters and «» № the file uses.
fn encode_1251(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            c if c.is_ascii() => c as u8,
            'А'..='я' => (c as u32 - 'А' as u32 + 0xC0) as u8,
            'Ё' => 0xA8,
            'ё' => 0xB8,
            '«' => 0xAB,
            '»' => 0xBB,
            '№' => 0xB9,
            _ => b'?',
        })
        .collect()
}
