//! A realistic Russian demo company: departments, people of every role,
//! counterparties with valid INNs, a product group tree with 200 products and
//! three price types. Written in one transaction, so it is all or nothing.

use crate::auth::hash_password;
use crate::{App, AppError, Result};
use chrono::Datelike;
use kupets_domain::inn::complete_inn10;
use kupets_domain::DocKind;
use kupets_store::now;
use kupets_store::queries::{audit, insert, P};
use kupets_store::sql;

/// Demo logins as (login, password, role, name), printed and in the README.
pub const LOGINS: &[(&str, &str, &str, &str)] = &[
    ("admin", "admin", "admin", "Администратор"),
    (
        "petrov",
        "demo",
        "department_head",
        "Петров Сергей Иванович",
    ),
    ("ivanova", "demo", "manager", "Иванова Анна Викторовна"),
    ("sidorov", "demo", "manager", "Сидоров Павел Андреевич"),
    (
        "kuznetsova",
        "demo",
        "department_head",
        "Кузнецова Ольга Николаевна",
    ),
    ("smirnov", "demo", "manager", "Смирнов Дмитрий Олегович"),
    ("volkova", "demo", "accountant", "Волкова Елена Петровна"),
    ("morozov", "demo", "storekeeper", "Морозов Игорь Степанович"),
    (
        "lebedev",
        "demo",
        "service_engineer",
        "Лебедев Артём Юрьевич",
    ),
];

/// Small deterministic generator: the same demo on every machine.
#[derive(Clone)]
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

const NAMES: &[&str] = &[
    "Стройторг",
    "Техснаб",
    "Уралинструмент",
    "Мастер-Дом",
    "СтройМаркет",
    "Вектор",
    "Прогресс",
    "Альянс",
    "Гранит",
    "Северный ветер",
    "Домострой",
    "ТехноПарк",
    "Электросила",
    "Ремонт-Сервис",
    "Волга-Инструмент",
    "Сибирский мастер",
    "Профи",
    "Кровля и фасад",
    "Город мастеров",
    "Инструмент-Центр",
    "БауЦентр",
    "Сад и огород",
    "Металлист",
    "Энергия",
    "Форвард",
    "Восток-Снаб",
    "Оптима",
    "Лидер",
    "Монолит",
    "Стройка",
];
const CITIES: &[&str] = &[
    "Москва",
    "Санкт-Петербург",
    "Екатеринбург",
    "Казань",
    "Нижний Новгород",
    "Самара",
    "Новосибирск",
    "Пермь",
    "Тула",
    "Ярославль",
];
const PEOPLE: &[&str] = &[
    "Алексеев А.А.",
    "Борисова Е.В.",
    "Васильев И.П.",
    "Григорьева Н.С.",
    "Дмитриев К.О.",
    "Егорова Т.М.",
    "Жуков Р.Л.",
    "Захарова М.И.",
];

/// (group, parent, serial-tracked, warranty months, product stems)
type GroupSpec = (
    &'static str,
    Option<&'static str>,
    bool,
    i64,
    &'static [&'static str],
);
const GROUPS: &[GroupSpec] = &[
    ("Электроинструмент", None, false, 0, &[]),
    (
        "Дрели",
        Some("Электроинструмент"),
        true,
        24,
        &["Дрель ударная", "Дрель безударная", "Дрель-миксер"],
    ),
    (
        "Шуруповёрты",
        Some("Электроинструмент"),
        true,
        24,
        &["Шуруповёрт аккумуляторный", "Шуруповёрт сетевой"],
    ),
    (
        "Перфораторы",
        Some("Электроинструмент"),
        true,
        12,
        &["Перфоратор SDS-plus", "Перфоратор SDS-max"],
    ),
    (
        "Шлифмашины",
        Some("Электроинструмент"),
        true,
        12,
        &["УШМ", "Шлифмашина эксцентриковая", "Шлифмашина ленточная"],
    ),
    ("Ручной инструмент", None, false, 0, &[]),
    (
        "Молотки",
        Some("Ручной инструмент"),
        false,
        0,
        &["Молоток слесарный", "Молоток-гвоздодёр", "Кувалда"],
    ),
    (
        "Ключи",
        Some("Ручной инструмент"),
        false,
        0,
        &["Ключ рожковый", "Ключ накидной", "Набор ключей"],
    ),
    (
        "Отвёртки",
        Some("Ручной инструмент"),
        false,
        0,
        &["Отвёртка крестовая", "Отвёртка шлицевая", "Набор отвёрток"],
    ),
    ("Расходные материалы", None, false, 0, &[]),
    (
        "Свёрла",
        Some("Расходные материалы"),
        false,
        0,
        &["Сверло по металлу", "Сверло по бетону", "Сверло по дереву"],
    ),
    (
        "Диски",
        Some("Расходные материалы"),
        false,
        0,
        &["Диск отрезной", "Диск алмазный", "Круг лепестковый"],
    ),
    (
        "Биты",
        Some("Расходные материалы"),
        false,
        0,
        &["Бита PH2", "Бита PZ2", "Набор бит"],
    ),
    ("Садовая техника", None, false, 0, &[]),
    (
        "Триммеры",
        Some("Садовая техника"),
        true,
        12,
        &["Триммер электрический", "Триммер бензиновый"],
    ),
    (
        "Газонокосилки",
        Some("Садовая техника"),
        true,
        24,
        &["Газонокосилка электрическая", "Газонокосилка бензиновая"],
    ),
];

impl App {
    /// Whether the database already holds data (then the demo is not loaded).
    pub async fn is_empty(&self) -> Result<bool> {
        let n: i64 = sql::query_scalar(
            "SELECT (SELECT COUNT(*) FROM employees) + (SELECT COUNT(*) FROM counterparties)",
        )
        .fetch_one(self.store.reader())
        .await?;
        Ok(n == 0)
    }

    /// Fills an empty database with the demo company.
    pub async fn load_demo(&self) -> Result<DemoSummary> {
        if !self.is_empty().await? {
            return Err(AppError::conflict(
                "not_empty",
                "База не пуста: демо-данные загружаются только в пустую базу",
                "The database is not empty: demo data goes into an empty database only",
            ));
        }
        let rng = Lcg(2026);
        let loaded = write_tx!(self, [], own[rng], |app, tx| {
            let t = now();
            let dept1 = insert(
                &mut tx,
                "departments",
                &[
                    ("name", P::from("Отдел продаж (Москва)")),
                    ("created_at", P::from(t.as_str())),
                ],
            )
            .await?;
            let dept2 = insert(
                &mut tx,
                "departments",
                &[
                    ("name", P::from("Отдел продаж (регионы)")),
                    ("created_at", P::from(t.as_str())),
                ],
            )
            .await?;
            let mut emp = std::collections::HashMap::new();
            for (login, pw, role, name) in LOGINS {
                let dept = match *login {
                    "petrov" | "ivanova" | "sidorov" => Some(dept1),
                    "kuznetsova" | "smirnov" => Some(dept2),
                    _ => None,
                };
                let limit = match *role {
                    "manager" => 500,
                    "department_head" => 1000,
                    "admin" => 10000,
                    _ => 0,
                };
                let id = insert(
                    &mut tx,
                    "employees",
                    &[
                        ("login", P::from(*login)),
                        ("name", P::from(*name)),
                        ("password_hash", P::from(hash_password(pw))),
                        ("role", P::from(*role)),
                        ("department_id", P::from(dept)),
                        ("discount_limit", P::from(limit as i64)),
                        ("email", P::from(format!("{login}@kupets-demo.ru"))),
                        ("created_at", P::from(t.as_str())),
                    ],
                )
                .await?;
                emp.insert(*login, id);
            }
            sql::query("UPDATE departments SET head_id = $1 WHERE id = $2")
                .bind(emp["petrov"])
                .bind(dept1)
                .execute(&mut *tx)
                .await?;
            sql::query("UPDATE departments SET head_id = $1 WHERE id = $2")
                .bind(emp["kuznetsova"])
                .bind(dept2)
                .execute(&mut *tx)
                .await?;

            let mut pt = std::collections::HashMap::new();
            // Retail comes with the installation (migration 0005).
            let retail: i64 = sql::query_scalar("SELECT id FROM price_types WHERE code = 'retail'")
                .fetch_one(&mut *tx)
                .await?;
            pt.insert("retail", retail);
            for (code, name) in [("wholesale", "Оптовая"), ("dealer", "Дилерская")]
            {
                pt.insert(
                    code,
                    insert(
                        &mut tx,
                        "price_types",
                        &[("code", P::from(code)), ("name", P::from(name))],
                    )
                    .await?,
                );
            }
            for (name, addr) in [
                ("Основной склад", "г. Москва, ул. Складская, 12"),
                ("Склад Екатеринбург", "г. Екатеринбург, ул. Монтажников, 4"),
            ] {
                insert(
                    &mut tx,
                    "warehouses",
                    &[("name", P::from(name)), ("address", P::from(addr))],
                )
                .await?;
            }

            let managers = [
                emp["ivanova"],
                emp["sidorov"],
                emp["smirnov"],
                emp["petrov"],
                emp["kuznetsova"],
            ];
            let mut counterparties = 0;
            // The worked example's customer first.
            let stroy_inn = complete_inn10("772801234");
            let stroy = insert(
                &mut tx,
                "counterparties",
                &[
                    ("name", P::from("ООО «Строй»")),
                    ("kind", P::from("customer")),
                    ("inn", P::from(stroy_inn.as_str())),
                    ("kpp", P::from("772801001")),
                    ("price_type_id", P::from(Some(pt["wholesale"]))),
                    ("manager_id", P::from(Some(emp["ivanova"]))),
                    ("credit_limit", P::from(Some(100_000_000i64))),
                    ("phone", P::from("+7 495 123-45-67")),
                    ("email", P::from("zakaz@stroy-demo.ru")),
                    ("address", P::from("г. Москва, ул. Строителей, 1")),
                    ("contact_person", P::from("Алексеев А.А.")),
                    ("search", P::from(format!("ооо «строй» {stroy_inn}"))),
                    ("created_at", P::from(t.as_str())),
                ],
            )
            .await?;
            counterparties += 1;
            for i in 0..49 {
                let base = NAMES[i % NAMES.len()];
                let city = CITIES[rng.next(CITIES.len() as u64) as usize];
                let (name, kind) = match i % 7 {
                    0 => (format!("АО «{base}»"), "supplier"),
                    3 => (format!("ИП {}", PEOPLE[i % PEOPLE.len()]), "customer"),
                    5 => (format!("ООО «{base}-{city}»"), "both"),
                    _ => (
                        format!(
                            "ООО «{base}»{}",
                            if i >= NAMES.len() {
                                format!(" ({city})")
                            } else {
                                String::new()
                            }
                        ),
                        "customer",
                    ),
                };
                let individual = name.starts_with("ИП");
                let (inn, kpp) = if individual {
                    (individual_inn(&mut rng), String::new())
                } else {
                    let region = 10 + rng.next(80);
                    let first9 = format!("{region:02}{:07}", rng.next(10_000_000));
                    (
                        complete_inn10(&first9),
                        format!("{region:02}{:02}01001", 1 + rng.next(40)),
                    )
                };
                let price_type = match i % 4 {
                    0 => None,
                    1 | 2 => Some(pt["wholesale"]),
                    _ => Some(pt["dealer"]),
                };
                let limit = if kind == "supplier" {
                    None
                } else {
                    Some(((1 + rng.next(20)) * 50_000 * 100) as i64)
                };
                insert(
                    &mut tx,
                    "counterparties",
                    &[
                        ("search", P::from(format!("{name} {inn}").to_lowercase())),
                        ("name", P::from(name)),
                        ("kind", P::from(kind)),
                        ("inn", P::from(inn)),
                        ("kpp", P::from(kpp)),
                        ("price_type_id", P::from(price_type)),
                        ("manager_id", P::from(Some(managers[i % managers.len()]))),
                        ("credit_limit", P::from(limit)),
                        (
                            "phone",
                            P::from(format!(
                                "+7 {} {:03}-{:02}-{:02}",
                                900 + rng.next(99),
                                rng.next(1000),
                                rng.next(100),
                                rng.next(100)
                            )),
                        ),
                        ("email", P::from(format!("info{i}@client-demo.ru"))),
                        (
                            "address",
                            P::from(format!(
                                "г. {city}, ул. Промышленная, {}",
                                1 + rng.next(120)
                            )),
                        ),
                        (
                            "contact_person",
                            P::from(PEOPLE[rng.next(PEOPLE.len() as u64) as usize]),
                        ),
                        ("created_at", P::from(t.as_str())),
                    ],
                )
                .await?;
                counterparties += 1;
            }

            let mut group_ids = std::collections::HashMap::new();
            for (name, parent, ..) in GROUPS {
                let parent_id = parent.map(|p| group_ids[p]);
                group_ids.insert(
                    *name,
                    insert(
                        &mut tx,
                        "product_groups",
                        &[("name", P::from(*name)), ("parent_id", P::from(parent_id))],
                    )
                    .await?,
                );
            }
            let leaves: Vec<_> = GROUPS.iter().filter(|g| !g.4.is_empty()).collect();
            let mut products = 0usize;
            // The worked example's drill, DR-1: retail 10 000,00, wholesale 9 000,00.
            let dr1 = insert(
                &mut tx,
                "products",
                &[
                    ("sku", P::from("DR-1")),
                    ("name", P::from("Дрель ударная DR-1, 750 Вт")),
                    ("unit", P::from("шт")),
                    ("vat_rate", P::from("22")),
                    ("group_id", P::from(Some(group_ids["Дрели"]))),
                    ("serial_tracked", P::from(true)),
                    ("warranty_months", P::from(24i64)),
                    ("search", P::from("дрель ударная dr-1, 750 вт dr-1")),
                    ("created_at", P::from(t.as_str())),
                ],
            )
            .await?;
            for (code, price) in [
                ("retail", 1_000_000i64),
                ("wholesale", 900_000),
                ("dealer", 850_000),
            ] {
                insert(
                    &mut tx,
                    "prices",
                    &[
                        ("product_id", P::from(dr1)),
                        ("price_type_id", P::from(pt[code])),
                        ("effective_date", P::from("2026-01-01")),
                        ("price", P::from(price)),
                        ("created_at", P::from(t.as_str())),
                    ],
                )
                .await?;
            }
            products += 1;
            while products < 200 {
                let g = leaves[products % leaves.len()];
                let stem = g.4[rng.next(g.4.len() as u64) as usize];
                let model = format!(
                    "{}-{}",
                    ["KP", "MX", "TR", "SV", "PR"][rng.next(5) as usize],
                    100 + products
                );
                let name = format!("{stem} {model}");
                let vat = if g.0 == "Свёрла" && products.is_multiple_of(5) {
                    "10"
                } else {
                    "22"
                };
                let pid = insert(
                    &mut tx,
                    "products",
                    &[
                        ("search", P::from(format!("{name} {model}").to_lowercase())),
                        ("sku", P::from(model.as_str())),
                        ("name", P::from(name)),
                        ("unit", P::from("шт")),
                        ("vat_rate", P::from(vat)),
                        ("group_id", P::from(Some(group_ids[g.0]))),
                        ("serial_tracked", P::from(g.2)),
                        ("warranty_months", P::from(g.3)),
                        ("created_at", P::from(t.as_str())),
                    ],
                )
                .await?;
                let base = if g.2 {
                    300_000 + rng.next(3_000_000) as i64
                } else {
                    5_000 + rng.next(300_000) as i64
                };
                let retail = base / 100 * 100;
                for (code, pct) in [("retail", 100), ("wholesale", 90), ("dealer", 85)] {
                    let price = kupets_domain::money::div_round(retail as i128 * pct, 100) as i64;
                    insert(
                        &mut tx,
                        "prices",
                        &[
                            ("product_id", P::from(pid)),
                            ("price_type_id", P::from(pt[code])),
                            ("effective_date", P::from("2026-01-01")),
                            ("price", P::from(price)),
                            ("created_at", P::from(t.as_str())),
                        ],
                    )
                    .await?;
                }
                if products.is_multiple_of(10) {
                    // A later price rise, so price history shows something.
                    let price = kupets_domain::money::div_round(retail as i128 * 105, 100) as i64;
                    insert(
                        &mut tx,
                        "prices",
                        &[
                            ("product_id", P::from(pid)),
                            ("price_type_id", P::from(pt["retail"])),
                            ("effective_date", P::from("2026-06-01")),
                            ("price", P::from(price)),
                            ("created_at", P::from(t.as_str())),
                        ],
                    )
                    .await?;
                }
                products += 1;
            }
            // The worked example's discount rules, and a promotion running now.
            let now_s = t.as_str();
            for (table, cols) in [
                (
                    "personal_discounts",
                    vec![
                        ("counterparty_id", P::from(stroy)),
                        ("group_id", P::from(Some(group_ids["Электроинструмент"]))),
                        ("pct", P::from(500i64)),
                    ],
                ),
                (
                    "cumulative_thresholds",
                    vec![("amount", P::from(10_000_000i64)), ("pct", P::from(300i64))],
                ),
                (
                    "cumulative_thresholds",
                    vec![("amount", P::from(50_000_000i64)), ("pct", P::from(700i64))],
                ),
                (
                    "volume_rules",
                    vec![
                        ("days", P::from(90i64)),
                        ("amount", P::from(20_000_000i64)),
                        ("pct", P::from(400i64)),
                    ],
                ),
            ] {
                let mut cols = cols;
                cols.push(("created_at", P::from(now_s)));
                insert(&mut tx, table, &cols).await?;
            }
            let today = crate::today();
            let month_start = today.with_day(1).unwrap_or(today);
            let month_end = (month_start + chrono::Duration::days(31))
                .with_day(1)
                .map(|d| d - chrono::Duration::days(1))
                .unwrap_or(today);
            for (name, from, to, group, pct) in [
                (
                    "Весна",
                    "2026-03-01".to_string(),
                    "2026-03-31".to_string(),
                    "Дрели",
                    600i64,
                ),
                (
                    "Распродажа месяца",
                    month_start.to_string(),
                    month_end.to_string(),
                    "Электроинструмент",
                    800,
                ),
            ] {
                insert(
                    &mut tx,
                    "promotions",
                    &[
                        ("name", P::from(name)),
                        ("date_from", P::from(from)),
                        ("date_to", P::from(to)),
                        ("scope", P::from("group")),
                        ("group_id", P::from(Some(group_ids[group]))),
                        ("pct", P::from(pct)),
                        ("created_at", P::from(now_s)),
                    ],
                )
                .await?;
            }
            // A dozen sales orders of the managers, along the funnel, with
            // reminders due today, overdue and ahead — so "Today" and the funnel
            // show something.
            let cps: Vec<(i64, Option<i64>)> = sql::query_as(
                "SELECT id, manager_id FROM counterparties WHERE kind <> 'supplier' ORDER BY id LIMIT 12",
            )
            .fetch_all(&mut *tx)
            .await?;
            let prods: Vec<(i64, i64, String)> = sql::query_as(
                "SELECT p.id, pr.price, p.vat_rate FROM products p JOIN prices pr ON pr.product_id = p.id \
                 WHERE pr.price_type_id = $1 AND pr.effective_date = '2026-01-01' ORDER BY p.id LIMIT 12",
            )
            .bind(pt["retail"])
            .fetch_all(&mut *tx)
            .await?;
            let status_ids: std::collections::HashMap<String, (i64, Option<i64>)> =
                sql::query_as::<(String, i64, Option<i64>)>(
                    "SELECT code, id, funnel_stage FROM statuses",
                )
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .map(|(c, id, st)| (c, (id, st)))
                .collect();
            let plans: [&[&str]; 12] = [
                &["new", "remind"],
                &["new", "offer_sent", "call_back"],
                &["new", "offer_sent", "agreed", "remind"],
                &["new", "offer_sent", "agreed", "invoiced"],
                &["new", "offer_sent", "agreed", "invoiced", "paid"],
                &[
                    "new",
                    "offer_sent",
                    "agreed",
                    "invoiced",
                    "paid",
                    "shipped",
                    "won",
                ],
                &["new", "offer_sent", "lost"],
                &["new"],
                &["new", "offer_sent"],
                &[
                    "new",
                    "offer_sent",
                    "agreed",
                    "invoiced",
                    "paid",
                    "shipped",
                    "won",
                ],
                &["new", "offer_sent", "agreed"],
                &["new"],
            ];
            let today = crate::today();
            for (k, ((cp, manager), (product, price, vat))) in cps.iter().zip(&prods).enumerate() {
                let owner = manager.unwrap_or(emp["ivanova"]);
                let date = today - chrono::Duration::days(40 - 3 * k as i64);
                let qty = 1 + (k as i64 % 3);
                let amount = price * qty;
                let rate =
                    kupets_domain::VatRate::parse(vat).unwrap_or(kupets_domain::VatRate::R22);
                let seq = kupets_store::queries::next_doc_seq(&mut tx, "sales_order", date.year())
                    .await?;
                let doc = insert(
                    &mut tx,
                    "documents",
                    &[
                        ("kind", P::from("sales_order")),
                        ("year", P::from(date.year() as i64)),
                        ("seq", P::from(seq)),
                        (
                            "number",
                            P::from(kupets_domain::document::doc_number(
                                kupets_domain::DocKind::SalesOrder,
                                date.year(),
                                seq,
                            )),
                        ),
                        ("doc_date", P::from(date.to_string())),
                        ("state", P::from("posted")),
                        ("author_id", P::from(owner)),
                        ("responsible_id", P::from(owner)),
                        ("counterparty_id", P::from(Some(*cp))),
                        ("amount", P::from(amount)),
                        ("created_at", P::from(now_s)),
                        ("posted_at", P::from(Some(now_s.to_string()))),
                    ],
                )
                .await?;
                insert(
                    &mut tx,
                    "document_lines",
                    &[
                        ("document_id", P::from(doc)),
                        ("line_no", P::from(1i64)),
                        ("product_id", P::from(*product)),
                        ("qty", P::from(qty * 1000)),
                        ("price", P::from(*price)),
                        ("amount", P::from(amount)),
                        ("vat_rate", P::from(vat.as_str())),
                        ("vat", P::from(rate.vat_of(kupets_domain::Money(amount)).0)),
                        ("retail_price", P::from(Some(*price))),
                        ("base_price", P::from(Some(*price))),
                    ],
                )
                .await?;
                let steps = plans[k];
                let mut latest = (String::new(), 0i64, 0i64, String::new());
                let mut max_stage: Option<i64> = None;
                for (n, code) in steps.iter().enumerate() {
                    let (sid, stage) = status_ids[*code];
                    let last = n + 1 == steps.len();
                    // The reminders: today, three days overdue, a month ahead.
                    let (eff, note) = match (*code, k) {
                        ("remind", 0) => (today, "Предложить расходники и сервис"),
                        ("call_back", _) => (
                            today - chrono::Duration::days(3),
                            "Перезвонить по коммерческому предложению",
                        ),
                        ("remind", _) => (
                            today + chrono::Duration::days(30),
                            "Через месяц — уточнить потребность",
                        ),
                        _ => (date + chrono::Duration::days(n as i64 * 2), ""),
                    };
                    let eff = if last || eff <= today { eff } else { today };
                    let aid = insert(
                        &mut tx,
                        "status_assignments",
                        &[
                            ("document_id", P::from(doc)),
                            ("status_id", P::from(sid)),
                            ("effective_date", P::from(eff.to_string())),
                            ("note", P::from(note)),
                            ("employee_id", P::from(Some(owner))),
                            ("created_at", P::from(now_s)),
                        ],
                    )
                    .await?;
                    if eff.to_string() >= latest.0 {
                        latest = (eff.to_string(), aid, sid, note.to_string());
                    }
                    if let Some(st) = stage {
                        max_stage = Some(max_stage.map_or(st, |m| m.max(st)));
                    }
                }
                sql::query("INSERT INTO doc_status (document_id, latest_id, latest_date, latest_status_id, latest_note, max_stage) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(doc)
                    .bind(latest.1)
                    .bind(latest.0)
                    .bind(latest.2)
                    .bind(latest.3)
                    .bind(max_stage)
                    .execute(&mut *tx)
                    .await?;
                crate::status::sync_current(&mut tx, doc).await?;
            }
            audit(&mut tx, None, "demo", "database", "", "demo company loaded").await?;
            Ok((
                DemoSummary {
                    employees: LOGINS.len(),
                    counterparties,
                    products,
                },
                dr1,
                stroy,
            ))
        });
        let (summary, dr1, stroy) = loaded?;
        // Through the use cases, each its own transaction, once the company
        // they work on is committed.
        self.demo_serials(dr1, stroy).await?;
        Ok(summary)
    }
}

impl App {
    /// Serial-numbered drills through the real use cases, so the trace card,
    /// repairs and recalls show something: six DR-1 made, two shipped to
    /// ООО «Строй», one of them in repair.
    async fn demo_serials(&self, dr1: i64, stroy: i64) -> Result<()> {
        use crate::serial::{ProductionInput, RepairInput, RepairStateInput};
        use crate::trade::{LineInput, TradeDocInput};
        let row = sql::query(&format!(
            "SELECT {} FROM employees WHERE login = 'admin'",
            kupets_store::model::Employee::COLS
        ))
        .fetch_one(self.store.reader())
        .await?;
        let actor = crate::Actor {
            employee: kupets_store::model::Employee::from_row(&row),
            role: kupets_domain::Role::Admin,
        };
        let wh: i64 = sql::query_scalar("SELECT MIN(id) FROM warehouses")
            .fetch_one(self.store.reader())
            .await?;
        let today = crate::today();
        let made = self
            .create_production(
                &actor,
                &ProductionInput {
                    product_id: Some(dr1.to_string()),
                    warehouse_id: Some(wh.to_string()),
                    date: Some((today - chrono::Duration::days(30)).to_string()),
                    batch: Some(format!("DR1-{}", today.format("%y%m"))),
                    count: Some("6".into()),
                    serial_pattern: Some(format!("DR1-{}-####", today.format("%y"))),
                    ..Default::default()
                },
            )
            .await?;
        let made = self.post_production(&actor, made.document.id).await?;
        let serials: Vec<String> = made
            .units
            .iter()
            .take(2)
            .map(|u| u.serial.clone())
            .collect();
        let sh = self
            .create_trade_doc(
                &actor,
                DocKind::Shipment,
                &TradeDocInput {
                    counterparty_id: Some(stroy.to_string()),
                    warehouse_id: Some(wh.to_string()),
                    date: Some((today - chrono::Duration::days(20)).to_string()),
                    lines: vec![LineInput {
                        product_id: Some(dr1.to_string()),
                        qty: Some("2".into()),
                        serials: serials.clone(),
                        ..Default::default()
                    }],
                    ..Default::default()
                },
            )
            .await?;
        self.post_trade_doc(&actor, DocKind::Shipment, sh.document.id)
            .await?;
        let rp = self
            .open_repair(
                &actor,
                &RepairInput {
                    serial: serials.first().cloned(),
                    warehouse_id: Some(wh.to_string()),
                    date: Some((today - chrono::Duration::days(3)).to_string()),
                    complaint: Some("Искрит щётка, перегревается".into()),
                    ..Default::default()
                },
            )
            .await?;
        self.set_repair_state(
            &actor,
            rp.id,
            &RepairStateInput {
                state: Some("diagnosis".into()),
            },
        )
        .await?;
        Ok(())
    }
}

fn individual_inn(rng: &mut Lcg) -> String {
    let mut d: Vec<u32> = (0..10).map(|_| rng.next(10) as u32).collect();
    d[0] = 7;
    d[1] = 7;
    let c = |d: &[u32], w: &[u32]| d.iter().zip(w).map(|(a, b)| a * b).sum::<u32>() % 11 % 10;
    let c11 = c(&d, &[7, 2, 4, 10, 3, 5, 9, 4, 6, 8]);
    d.push(c11);
    let c12 = c(&d, &[3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]);
    d.push(c12);
    d.iter()
        .map(|x| char::from_digit(*x, 10).unwrap_or('0'))
        .collect()
}

#[derive(Debug, Clone)]
pub struct DemoSummary {
    pub employees: usize,
    pub counterparties: usize,
    pub products: usize,
}
