use super::*;
use encoding_rs::WINDOWS_1251;

const OURS: &str = "40702810900000000001";

fn sample(version: &str, enc: &str) -> String {
    let lines = [
        "1CClientBankExchange".to_string(),
        format!("ВерсияФормата={version}"),
        format!("Кодировка={enc}"),
        "Отправитель=Бухгалтерия предприятия".into(),
        "Получатель=".into(),
        "ДатаСоздания=03.03.2026".into(),
        "ДатаНачала=01.03.2026".into(),
        "ДатаКонца=03.03.2026".into(),
        format!("РасчСчет={OURS}"),
        "СекцияРасчСчет".into(),
        "ДатаНачала=01.03.2026".into(),
        format!("РасчСчет={OURS}"),
        "НачальныйОстаток=1000.00".into(),
        "ВсегоПоступило=1500.00".into(),
        "ВсегоСписано=200.50".into(),
        "КонечныйОстаток=2299.50".into(),
        "КонецРасчСчет".into(),
        "СекцияДокумент=Платежное поручение".into(),
        "Номер=15".into(),
        "Дата=02.03.2026".into(),
        "Сумма=1500.00".into(),
        "ПлательщикСчет=40702810100000000777".into(),
        "Плательщик=ИНН 7707083893 ООО \"Ромашка\"".into(),
        "ПлательщикИНН=7707083893".into(),
        "ПлательщикКПП=770701001".into(),
        "ПлательщикБИК=044525225".into(),
        format!("ПолучательСчет={OURS}"),
        "ДатаПоступило=02.03.2026".into(),
        "Получатель1=ООО «Наша компания»".into(),
        "ПолучательИНН=7736207543".into(),
        "НазначениеПлатежа=Оплата по счету № 15 от 02.03.2026, в т.ч. НДС".into(),
        "КонецДокумента".into(),
        "СекцияДокумент=Платежное поручение".into(),
        "Номер=301".into(),
        "Дата=03.03.2026".into(),
        "Сумма=200,5".into(),
        format!("ПлательщикСчет={OURS}"),
        "ДатаСписано=03.03.2026".into(),
        "ПолучательСчет=40702810500000000555".into(),
        "Получатель=ИНН 7710140679 АО Поставщик".into(),
        "ПолучательИНН=7710140679".into(),
        "НазначениеПлатежа=Оплата поставки".into(),
        "КонецДокумента".into(),
        "КонецФайла".into(),
    ];
    lines.join("\r\n") + "\r\n"
}

fn cp1251(s: &str) -> Vec<u8> {
    WINDOWS_1251.encode(s).0.into_owned()
}

#[test]
fn reads_windows_1251_and_utf8_alike() {
    let a = parse_statement(&cp1251(&sample("1.03", "Windows"))).unwrap();
    let b = parse_statement(sample("1.02", "UTF-8").as_bytes()).unwrap();
    assert_eq!(a.encoding, "windows-1251");
    assert_eq!(b.encoding, "utf-8");
    assert_eq!(a.version, "1.03");
    assert_eq!(b.version, "1.02");
    assert_eq!(a.documents, b.documents);
    let d = &a.documents[0];
    assert_eq!(d.number, "15");
    assert_eq!(d.amount, Money(150_000));
    assert_eq!(d.payer.inn, "7707083893");
    assert_eq!(d.payer.name, "ООО \"Ромашка\"");
    assert_eq!(d.payee.name, "ООО «Наша компания»");
    assert_eq!(d.payee.account, OURS);
    assert_eq!(d.credited, parse_date("02.03.2026"));
    assert_eq!(d.line, 18);
    assert_eq!(a.documents[1].amount, Money(20_050));
    assert_eq!(a.documents[1].payee.name, "АО Поставщик");
    assert_eq!(a.sections[0].closing, Some(Money(229_950)));
    assert_eq!(a.accounts, vec![OURS.to_string()]);
}

#[test]
fn lf_only_and_dos_encoding() {
    let text = sample("1.03", "DOS").replace("\r\n", "\n");
    let bytes = encoding_rs::IBM866.encode(&text).0.into_owned();
    let st = parse_statement(&bytes).unwrap();
    assert_eq!(st.encoding, "ibm866");
    assert_eq!(st.documents[0].payer.name, "ООО \"Ромашка\"");
}

#[test]
fn refusals_name_the_line() {
    let bad = |from: &str, to: &str| {
        let s = sample("1.03", "Windows").replacen(from, to, 1);
        parse_statement(&cp1251(&s)).unwrap_err()
    };
    let e = bad("Сумма=1500.00", "Сумма=полторы тысячи");
    assert_eq!(e.line, 21, "{e:?}");
    assert!(e.message_ru.contains("Сумма"));
    let e = bad("Дата=03.03.2026", "Дата=2026-03-03");
    assert_eq!(e.line, 35);
    let e = bad("ПлательщикИНН=7707083893\r\n", "какая-то строка\r\n");
    assert_eq!(e.line, 24);
    let e = bad("Номер=301\r\n", "");
    assert_eq!(e.line, 33);
    assert!(e.message_en.contains("Номер"));
    let e = bad("1CClientBankExchange", "Hello");
    assert_eq!(e.line, 1);
    let e = bad("ВерсияФормата=1.03", "ВерсияФормата=2.00");
    assert_eq!(e.line, 2);
    // Cut short: the open document is named.
    let s = sample("1.03", "Windows");
    let cut = &s[..s.find("НазначениеПлатежа=Оплата поставки").unwrap()];
    let e = parse_statement(cut.as_bytes()).unwrap_err();
    assert!(e.message_en.contains("line 33"), "{e:?}");
}

#[test]
fn written_orders_read_back_the_same() {
    let st = parse_statement(sample("1.03", "UTF-8").as_bytes()).unwrap();
    let created = chrono::NaiveDate::from_ymd_opt(2026, 3, 4)
        .unwrap()
        .and_hms_opt(9, 30, 0)
        .unwrap();
    let bytes = write_statement(&st, created);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "windows-1251, not UTF-8"
    );
    assert!(bytes.windows(2).any(|w| w == b"\r\n"));
    let back = parse_statement(&bytes).unwrap();
    assert_eq!(back.encoding, "windows-1251");
    let no_line = |d: &[BankDoc]| {
        d.iter()
            .map(|d| BankDoc {
                line: 0,
                ..d.clone()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(no_line(&back.documents), no_line(&st.documents));
    assert_eq!(back.accounts, st.accounts);
}
