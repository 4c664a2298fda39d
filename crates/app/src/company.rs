//! Our company's card (requisites, signatories, VAT, bank accounts) and
//! counterparties' bank accounts. Every identifier is checked with its
//! control key (`kupets_domain::inn`, `kupets_domain::requisites`) before
//! it can reach a printed form.

use crate::input::{lenient, truthy, Check};
use crate::{Actor, App, AppError, Result};
use base64::Engine as _;
use kupets_domain::inn::{check_inn, check_kpp};
use kupets_domain::requisites::{check_account, check_bic, check_corr_account, check_ogrn_any};
use kupets_domain::role::Right;
use kupets_store::model::RowGet;
use kupets_store::queries::{self, audit, P};
use kupets_store::sql;
use kupets_store::{now, Conn};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A bank account: ours or a counterparty's.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BankAccount {
    #[schema(value_type = String)]
    #[serde(serialize_with = "ser_id")]
    pub id: i64,
    pub bank_name: String,
    /// БИК, 9 digits.
    pub bic: String,
    /// Корреспондентский счёт (20 digits, key checked with the BIC).
    pub corr_account: String,
    /// Расчётный счёт (20 digits, key checked with the BIC).
    pub account: String,
    /// Ours: the account printed on invoices unless another is chosen.
    pub is_main: bool,
    pub archived: bool,
}

fn ser_id<S: serde::Serializer>(v: &i64, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&v.to_string())
}

const ACCOUNT_COLS: &str = "id, bank_name, bic, corr_account, account, archived";
/// Counterparties' accounts have no "main" flag.
const NO_MAIN: &str = "CAST(0 AS BIGINT) AS is_main";

fn account_row(r: &dyn RowGet) -> BankAccount {
    BankAccount {
        id: r.int("id"),
        bank_name: r.text("bank_name"),
        bic: r.text("bic"),
        corr_account: r.text("corr_account"),
        account: r.text("account"),
        is_main: r.int("is_main") != 0,
        archived: r.int("archived") != 0,
    }
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct BankAccountInput {
    #[serde(default, deserialize_with = "lenient")]
    pub bank_name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub bic: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub corr_account: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub account: Option<String>,
    /// Ours only: print this account on invoices (`true`/`false`).
    #[serde(default, deserialize_with = "lenient")]
    pub is_main: Option<String>,
}

/// The company card as the API shows it: images only as "present".
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Company {
    pub full_name: String,
    pub short_name: String,
    pub inn: String,
    pub kpp: String,
    /// ОГРН (13 digits) or, for a sole trader, ОГРНИП (15).
    pub ogrn: String,
    pub legal_address: String,
    pub postal_address: String,
    pub phone: String,
    pub email: String,
    pub director_name: String,
    pub director_position: String,
    pub accountant_name: String,
    pub accountant_position: String,
    /// False on УСН: prints say «Без НДС» and УПД has status 2.
    pub vat_payer: bool,
    /// `upd` (default) or `torg12`: the paper a shipment prints as.
    pub shipment_form: String,
    /// Printed on warranty cards.
    pub warranty_terms: String,
    pub has_stamp: bool,
    pub has_signature: bool,
    pub updated_at: String,
    pub bank_accounts: Vec<BankAccount>,
    /// Base64 PNG images, for printing (not serialized).
    #[serde(skip)]
    pub stamp_png: String,
    #[serde(skip)]
    pub signature_png: String,
}

impl Company {
    /// The name to print: the full one, else the short one.
    pub fn print_name(&self) -> &str {
        if self.full_name.is_empty() {
            &self.short_name
        } else {
            &self.full_name
        }
    }
    /// The account printed on invoices: the main one, else the first active.
    pub fn main_account(&self) -> Option<&BankAccount> {
        let active = || self.bank_accounts.iter().filter(|a| !a.archived);
        active().find(|a| a.is_main).or_else(|| active().next())
    }
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct CompanyInput {
    #[serde(default, deserialize_with = "lenient")]
    pub full_name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub short_name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub inn: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub kpp: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub ogrn: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub legal_address: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub postal_address: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub phone: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub director_name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub director_position: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub accountant_name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub accountant_position: Option<String>,
    /// `true` (default) or `false` (УСН: «Без НДС»).
    #[serde(default, deserialize_with = "lenient")]
    pub vat_payer: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub shipment_form: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub warranty_terms: Option<String>,
    /// Base64 PNG; absent keeps the image, empty removes it.
    #[serde(default, deserialize_with = "lenient")]
    pub stamp_png: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub signature_png: Option<String>,
}

/// ОГРН or ОГРНИП, checked when given.
pub fn checked_ogrn(c: &mut Check, v: &Option<String>) -> String {
    let s = c.opt_text("ogrn", v, 15);
    if !s.is_empty() {
        if let Err(e) = check_ogrn_any("ogrn", &s) {
            c.add(e);
        }
    }
    s
}

fn checked_inn_kpp(c: &mut Check, inn: &Option<String>, kpp: &Option<String>) -> (String, String) {
    let inn = c.opt_text("inn", inn, 12);
    if !inn.is_empty() {
        if let Err(e) = check_inn(&inn) {
            c.add(e);
        }
    }
    let kpp = c.opt_text("kpp", kpp, 9);
    if !kpp.is_empty() {
        if let Err(e) = check_kpp(&kpp) {
            c.add(e);
        } else if inn.len() != 10 {
            c.err(
                "kpp",
                "kpp_without_org_inn",
                "КПП указывается только для организации (ИНН из 10 цифр)",
                "KPP goes only with an organisation's 10-digit INN",
            );
        }
    }
    (inn, kpp)
}

fn checked_email(c: &mut Check, field: &str, v: &Option<String>) -> String {
    let email = c.opt_text(field, v, 200);
    if !email.is_empty() && (!email.contains('@') || email.contains(char::is_whitespace)) {
        c.err(
            field,
            "invalid_email",
            "Неверный адрес почты",
            "Invalid e-mail address",
        );
    }
    email
}

/// Bank, БИК, корр. счёт and расчётный счёт, each key checked.
fn account_cols(c: &mut Check, input: &BankAccountInput) -> Vec<(&'static str, P)> {
    let bank_name = c.text("bank_name", &input.bank_name, 300);
    let bic = c.text("bic", &input.bic, 9);
    let bic_ok = !bic.is_empty() && check_bic("bic", &bic).map_err(|e| c.add(e)).is_ok();
    let corr = c.opt_text("corr_account", &input.corr_account, 20);
    if !corr.is_empty() && bic_ok {
        if let Err(e) = check_corr_account("corr_account", &bic, &corr) {
            c.add(e);
        }
    }
    let account = c.text("account", &input.account, 20);
    if !account.is_empty() && bic_ok {
        if let Err(e) = check_account("account", &bic, &account) {
            c.add(e);
        }
    }
    vec![
        ("bank_name", P::from(bank_name)),
        ("bic", P::from(bic)),
        ("corr_account", P::from(corr)),
        ("account", P::from(account)),
    ]
}

fn png_input(c: &mut Check, field: &str, v: &Option<String>) -> Option<String> {
    let s = v.as_deref()?.trim();
    if s.is_empty() {
        return Some(String::new());
    }
    let ok = base64::engine::general_purpose::STANDARD
        .decode(s)
        .map(|b| b.starts_with(b"\x89PNG\r\n\x1a\n") && b.len() <= 512 * 1024)
        .unwrap_or(false);
    if !ok {
        c.err(
            field,
            "invalid_png",
            "Нужна картинка PNG в base64, до 512 КБ",
            "A base64 PNG image of up to 512 KB is expected",
        );
    }
    Some(s.to_string())
}

pub(crate) async fn load_company(conn: &mut Conn) -> Result<Company> {
    let accounts = sql::query(&format!(
        "SELECT {ACCOUNT_COLS}, is_main FROM company_bank_accounts ORDER BY archived, is_main DESC, id"
    ))
    .fetch_all(&mut *conn)
    .await?;
    let row = sql::query("SELECT * FROM company WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    let r: &dyn RowGet = &row;
    let stamp = r.text("stamp_png");
    let signature = r.text("signature_png");
    Ok(Company {
        full_name: r.text("full_name"),
        short_name: r.text("short_name"),
        inn: r.text("inn"),
        kpp: r.text("kpp"),
        ogrn: r.text("ogrn"),
        legal_address: r.text("legal_address"),
        postal_address: r.text("postal_address"),
        phone: r.text("phone"),
        email: r.text("email"),
        director_name: r.text("director_name"),
        director_position: r.text("director_position"),
        accountant_name: r.text("accountant_name"),
        accountant_position: r.text("accountant_position"),
        vat_payer: r.int("vat_payer") != 0,
        shipment_form: r.text("shipment_form"),
        warranty_terms: r.text("warranty_terms"),
        has_stamp: !stamp.is_empty(),
        has_signature: !signature.is_empty(),
        updated_at: r.text("updated_at"),
        bank_accounts: accounts.iter().map(|r| account_row(r)).collect(),
        stamp_png: stamp,
        signature_png: signature,
    })
}

impl App {
    /// The company card (any employee may read it: it is printed on every form).
    pub async fn company(&self) -> Result<Company> {
        let mut conn = self.store.read_conn().await?;
        load_company(&mut conn).await
    }

    /// Saves the card (administrators). Absent fields are emptied, like any
    /// PUT, except the images, which are kept unless sent.
    pub async fn save_company(&self, actor: &Actor, input: &CompanyInput) -> Result<Company> {
        actor.require(Right::ManagePeople)?;
        let mut c = Check::new();
        let short_name = c.text("short_name", &input.short_name, 300);
        let (inn, kpp) = checked_inn_kpp(&mut c, &input.inn, &input.kpp);
        let ogrn = checked_ogrn(&mut c, &input.ogrn);
        if !ogrn.is_empty() && !inn.is_empty() && c.errors.is_empty() {
            let expected = if inn.len() == 12 { 15 } else { 13 };
            if ogrn.len() != expected {
                c.err(
                    "ogrn",
                    "ogrn_kind",
                    "Для организации — ОГРН (13 цифр), для ИП — ОГРНИП (15 цифр)",
                    "An organisation has an OGRN (13 digits), a sole trader an OGRNIP (15)",
                );
            }
        }
        let email = checked_email(&mut c, "email", &input.email);
        let form = input
            .shipment_form
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or("upd")
            .to_string();
        if form != "upd" && form != "torg12" {
            c.err(
                "shipment_form",
                "invalid",
                "Форма отгрузки: upd или torg12",
                "Shipment form: upd or torg12",
            );
        }
        let vat_payer = input.vat_payer.as_deref().map(str::trim).unwrap_or("");
        let vat_payer = vat_payer.is_empty() || truthy(&input.vat_payer);
        let mut cols = vec![
            (
                "full_name",
                P::from(c.opt_text("full_name", &input.full_name, 500)),
            ),
            ("short_name", P::from(short_name.clone())),
            ("inn", P::from(inn)),
            ("kpp", P::from(kpp)),
            ("ogrn", P::from(ogrn)),
            (
                "legal_address",
                P::from(c.opt_text("legal_address", &input.legal_address, 500)),
            ),
            (
                "postal_address",
                P::from(c.opt_text("postal_address", &input.postal_address, 500)),
            ),
            ("phone", P::from(c.opt_text("phone", &input.phone, 100))),
            ("email", P::from(email)),
            (
                "director_name",
                P::from(c.opt_text("director_name", &input.director_name, 200)),
            ),
            (
                "director_position",
                P::from(c.opt_text("director_position", &input.director_position, 200)),
            ),
            (
                "accountant_name",
                P::from(c.opt_text("accountant_name", &input.accountant_name, 200)),
            ),
            (
                "accountant_position",
                P::from(c.opt_text("accountant_position", &input.accountant_position, 200)),
            ),
            ("vat_payer", P::from(vat_payer)),
            ("shipment_form", P::from(form)),
            (
                "warranty_terms",
                P::from(c.opt_text("warranty_terms", &input.warranty_terms, 4000)),
            ),
            ("updated_at", P::from(now())),
        ];
        if let Some(s) = png_input(&mut c, "stamp_png", &input.stamp_png) {
            cols.push(("stamp_png", P::from(s)));
        }
        if let Some(s) = png_input(&mut c, "signature_png", &input.signature_png) {
            cols.push(("signature_png", P::from(s)));
        }
        c.done()?;
        write_tx!(self, [actor, cols, short_name], |app, tx| {
            queries::update(&mut tx, "company", 1, &cols).await?;
            // Statements printed before the card existed used this setting.
            sql::query(
                "INSERT INTO settings (key, value) VALUES ('company_name', $1) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(short_name.as_str())
            .execute(&mut *tx)
            .await?;
            audit(
                &mut tx,
                Some(actor.id()),
                "update",
                "company",
                1,
                &short_name,
            )
            .await?;
            let card = load_company(&mut tx).await?;
            Ok(card)
        })
    }

    /// Adds one of our bank accounts (administrators).
    pub async fn add_company_account(
        &self,
        actor: &Actor,
        input: &BankAccountInput,
    ) -> Result<BankAccount> {
        actor.require(Right::ManagePeople)?;
        let mut c = Check::new();
        let cols = account_cols(&mut c, input);
        c.done()?;
        let main = truthy(&input.is_main);
        write_tx!(self, [actor], own[cols], |app, tx| {
            let any: Option<i64> = sql::query_scalar(
                "SELECT id FROM company_bank_accounts WHERE archived = 0 LIMIT 1",
            )
            .fetch_optional(&mut *tx)
            .await?;
            let main = main || any.is_none();
            if main {
                sql::query("UPDATE company_bank_accounts SET is_main = 0")
                    .execute(&mut *tx)
                    .await?;
            }
            cols.push(("is_main", P::from(main)));
            cols.push(("created_at", P::from(now())));
            let id = match queries::insert(&mut tx, "company_bank_accounts", &cols).await {
                Ok(id) => id,
                Err(e) if is_unique(&e) => {
                    return Err(AppError::field(
                        "account",
                        "duplicate",
                        "Такой счёт уже есть",
                        "This account is already there",
                    ))
                }
                Err(e) => return Err(e.into()),
            };
            audit(
                &mut tx,
                Some(actor.id()),
                "create",
                "company_bank_account",
                id,
                "",
            )
            .await?;
            let a = one_account(&mut tx, "company_bank_accounts", id).await?;
            Ok(a)
        })
    }

    /// Archives one of our accounts (it stays on forms already printed).
    pub async fn archive_company_account(&self, actor: &Actor, id: i64) -> Result<BankAccount> {
        actor.require(Right::ManagePeople)?;
        write_tx!(self, [actor], |app, tx| {
            if !queries::update(
                &mut tx,
                "company_bank_accounts",
                id,
                &[("archived", P::from(1)), ("is_main", P::from(0))],
            )
            .await?
            {
                return Err(AppError::NotFound {
                    entity: "bank account",
                });
            }
            audit(
                &mut tx,
                Some(actor.id()),
                "archive",
                "company_bank_account",
                id,
                "",
            )
            .await?;
            let a = one_account(&mut tx, "company_bank_accounts", id).await?;
            Ok(a)
        })
    }

    pub async fn counterparty_accounts(
        &self,
        _actor: &Actor,
        counterparty_id: i64,
    ) -> Result<Vec<BankAccount>> {
        let rows = sql::query(&format!("SELECT {ACCOUNT_COLS}, {NO_MAIN} FROM counterparty_bank_accounts WHERE counterparty_id = $1 ORDER BY archived, id"))
            .bind(counterparty_id)
            .fetch_all(self.store.reader())
            .await?;
        Ok(rows.iter().map(|r| account_row(r)).collect())
    }

    /// Adds a counterparty's bank account, checked like ours.
    pub async fn add_counterparty_account(
        &self,
        actor: &Actor,
        counterparty_id: i64,
        input: &BankAccountInput,
    ) -> Result<BankAccount> {
        actor.require(Right::EditCounterparties)?;
        let mut c = Check::new();
        let cols = account_cols(&mut c, input);
        c.done()?;
        write_tx!(self, [actor], own[cols], |app, tx| {
            let exists: Option<i64> =
                sql::query_scalar("SELECT id FROM counterparties WHERE id = $1")
                    .bind(counterparty_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if exists.is_none() {
                return Err(AppError::NotFound {
                    entity: "counterparty",
                });
            }
            cols.push(("counterparty_id", P::from(counterparty_id)));
            cols.push(("created_at", P::from(now())));
            let id = queries::insert(&mut tx, "counterparty_bank_accounts", &cols).await?;
            audit(
                &mut tx,
                Some(actor.id()),
                "create",
                "counterparty_bank_account",
                id,
                &format!("counterparty {counterparty_id}"),
            )
            .await?;
            let a = one_account(&mut tx, "counterparty_bank_accounts", id).await?;
            Ok(a)
        })
    }

    pub async fn archive_counterparty_account(
        &self,
        actor: &Actor,
        counterparty_id: i64,
        id: i64,
    ) -> Result<BankAccount> {
        actor.require(Right::EditCounterparties)?;
        write_tx!(self, [actor], |app, tx| {
            let n = sql::query(
            "UPDATE counterparty_bank_accounts SET archived = 1 WHERE id = $1 AND counterparty_id = $2",
        )
        .bind(id)
        .bind(counterparty_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
            if n == 0 {
                return Err(AppError::NotFound {
                    entity: "bank account",
                });
            }
            audit(
                &mut tx,
                Some(actor.id()),
                "archive",
                "counterparty_bank_account",
                id,
                "",
            )
            .await?;
            let a = one_account(&mut tx, "counterparty_bank_accounts", id).await?;
            Ok(a)
        })
    }
}

async fn one_account(conn: &mut Conn, table: &str, id: i64) -> Result<BankAccount> {
    let main = if table == "company_bank_accounts" {
        "is_main"
    } else {
        NO_MAIN
    };
    let r = sql::query(&format!(
        "SELECT {ACCOUNT_COLS}, {main} FROM {table} WHERE id = $1"
    ))
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(account_row(&r))
}

fn is_unique(e: &kupets_store::StoreError) -> bool {
    e.is_unique_violation()
}
