//! Counterparties: customers, suppliers or both.

use crate::input::{lenient, Check};
use crate::people::check_ref;
use crate::{Actor, App, AppError, Result};
use kupets_domain::inn::{check_inn, check_kpp};
use kupets_domain::role::Right;
use kupets_store::model::Counterparty;
use kupets_store::page::Page;
use kupets_store::queries::{self, audit, get_by_id, ListSpec, P};
use kupets_store::sql;
use kupets_store::{now, Conn};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct CounterpartyInput {
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    /// `customer` (default), `supplier` or `both`.
    #[serde(default, deserialize_with = "lenient")]
    pub kind: Option<String>,
    /// 10 digits (organisation) or 12 (individual), check digits verified.
    #[serde(default, deserialize_with = "lenient")]
    pub inn: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub kpp: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub price_type_id: Option<String>,
    /// Responsible manager (employee id).
    #[serde(default, deserialize_with = "lenient")]
    pub manager_id: Option<String>,
    /// Empty: no limit.
    #[serde(default, deserialize_with = "lenient")]
    pub credit_limit: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub phone: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub address: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub contact_person: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub notes: Option<String>,
    /// The full registered name, printed on УПД and invoices.
    #[serde(default, deserialize_with = "lenient")]
    pub full_name: Option<String>,
    /// ОГРН (13 digits) or ОГРНИП (15), check digit verified.
    #[serde(default, deserialize_with = "lenient")]
    pub ogrn: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub postal_address: Option<String>,
}

pub const KINDS: [&str; 3] = ["customer", "supplier", "both"];

pub fn kind_label(kind: &str, ru: bool) -> &'static str {
    match (kind, ru) {
        ("customer", true) => "Покупатель",
        ("customer", false) => "Customer",
        ("supplier", true) => "Поставщик",
        ("supplier", false) => "Supplier",
        (_, true) => "Покупатель и поставщик",
        (_, false) => "Customer and supplier",
    }
}

/// Text the list search looks in: name and INN, lowercased in Rust because
/// SQLite's `lower()` only folds ASCII.
fn search_text(name: &str, inn: &str) -> String {
    format!("{} {}", name, inn).to_lowercase()
}

/// A counterparty with its settlement balance, for the card.
#[derive(Debug, Clone, serde::Serialize, ToSchema)]
pub struct CounterpartyCard {
    #[serde(flatten)]
    pub counterparty: Counterparty,
    /// Sum of all settlement entries: above zero they owe us.
    #[schema(value_type = String, example = "1500.00")]
    pub balance: String,
}

async fn cols(
    c: &mut Check,
    conn: &mut Conn,
    input: &CounterpartyInput,
    id: Option<i64>,
) -> Result<Vec<(&'static str, P)>> {
    let name = c.text("name", &input.name, 300);
    let kind = input
        .kind
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("customer");
    if !KINDS.contains(&kind) {
        c.err(
            "kind",
            "invalid_kind",
            "Вид: customer, supplier или both",
            "Kind: customer, supplier or both",
        );
    }
    let inn = c.opt_text("inn", &input.inn, 12);
    if !inn.is_empty() {
        if let Err(e) = check_inn(&inn) {
            c.add(e);
        }
    }
    let kpp = c.opt_text("kpp", &input.kpp, 9);
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
    if !inn.is_empty() && c.errors.iter().all(|e| e.field != "inn") {
        let other: Option<i64> = sql::query_scalar(
            "SELECT id FROM counterparties WHERE inn = $1 AND kpp = $2 AND archived = 0",
        )
        .bind(&inn)
        .bind(&kpp)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(o) = other.filter(|o| Some(*o) != id) {
            c.err(
                "inn",
                "duplicate_inn",
                format!("Контрагент с таким ИНН/КПП уже есть (№ {o})"),
                format!("A counterparty with this INN/KPP exists (id {o})"),
            );
        }
    }
    let price_type_id = c.opt_id("price_type_id", &input.price_type_id);
    check_ref(c, conn, "price_type_id", "price_types", price_type_id).await?;
    let manager_id = c.opt_id("manager_id", &input.manager_id);
    check_ref(c, conn, "manager_id", "employees", manager_id).await?;
    let credit_limit = c.opt_money("credit_limit", &input.credit_limit);
    if credit_limit.is_some_and(|l| l < 0) {
        c.err(
            "credit_limit",
            "negative",
            "Кредитный лимит не может быть отрицательным",
            "Credit limit cannot be negative",
        );
    }
    let email = c.opt_text("email", &input.email, 200);
    if !email.is_empty() && !email.contains('@') {
        c.err(
            "email",
            "invalid_email",
            "Неверный адрес почты",
            "Invalid e-mail address",
        );
    }
    Ok(vec![
        ("search", P::from(search_text(&name, &inn))),
        ("name", P::from(name)),
        ("kind", P::from(kind)),
        ("inn", P::from(inn)),
        ("kpp", P::from(kpp)),
        ("price_type_id", P::from(price_type_id)),
        ("manager_id", P::from(manager_id)),
        ("credit_limit", P::from(credit_limit)),
        ("phone", P::from(c.opt_text("phone", &input.phone, 100))),
        ("email", P::from(email)),
        (
            "address",
            P::from(c.opt_text("address", &input.address, 500)),
        ),
        (
            "contact_person",
            P::from(c.opt_text("contact_person", &input.contact_person, 200)),
        ),
        ("notes", P::from(c.opt_text("notes", &input.notes, 4000))),
        (
            "full_name",
            P::from(c.opt_text("full_name", &input.full_name, 500)),
        ),
        (
            "ogrn",
            P::from(crate::company::checked_ogrn(c, &input.ogrn)),
        ),
        (
            "postal_address",
            P::from(c.opt_text("postal_address", &input.postal_address, 500)),
        ),
    ])
}

impl App {
    pub async fn list_counterparties(
        &self,
        _actor: &Actor,
        spec: &ListSpec,
    ) -> Result<Page<Counterparty>> {
        self.refresh_client_classes(false).await?;
        let spec = ListSpec {
            fts: self.store.fts("counterparties_fts"),
            digits_prefix: Some("inn"),
            ..spec.clone()
        };
        Ok(queries::list_by_name(
            &self.store,
            "counterparties",
            Counterparty::COLS,
            "search",
            &spec,
            Counterparty::from_row,
            |c| (c.name.clone(), c.id),
        )
        .await?)
    }

    pub async fn get_counterparty(&self, _actor: &Actor, id: i64) -> Result<CounterpartyCard> {
        // One statement on the fast read path: the card is read after every
        // posting (the order-to-cash cycle ends with it). The balance is the
        // one kept at posting, equal to the sum of the client's entries.
        let sql = format!(
            "SELECT {}, COALESCE((SELECT b.balance FROM settlement_balances b \
             WHERE b.counterparty_id = c.id), 0) AS balance FROM counterparties c WHERE c.id = $1",
            Counterparty::COLS
        );
        let (cp, balance) = self
            .store
            .read_rows_here(sql, vec![P::from(id)], |r| {
                (Counterparty::from_row(r), r.int("balance"))
            })
            .await?
            .into_iter()
            .next()
            .ok_or(AppError::NotFound {
                entity: "counterparty",
            })?;
        Ok(CounterpartyCard {
            counterparty: cp,
            balance: kupets_domain::Money(balance).to_api(),
        })
    }

    pub async fn create_counterparty(
        &self,
        actor: &Actor,
        input: &CounterpartyInput,
    ) -> Result<Counterparty> {
        actor.require(Right::EditCounterparties)?;
        write_tx!(self, [actor, input], |app, tx| {
            let mut c = Check::new();
            let mut cols = cols(&mut c, &mut tx, input, None).await?;
            c.done()?;
            if !cols
                .iter()
                .any(|(k, v)| *k == "manager_id" && matches!(v, P::OptI(Some(_))))
            {
                // Who creates a client looks after it unless told otherwise.
                cols.retain(|(k, _)| *k != "manager_id");
                cols.push(("manager_id", P::from(Some(actor.id()))));
            }
            cols.push(("created_at", P::from(now())));
            let id = queries::insert(&mut tx, "counterparties", &cols).await?;
            audit(
                &mut tx,
                Some(actor.id()),
                "create",
                "counterparty",
                id,
                input.name.as_deref().unwrap_or("").trim(),
            )
            .await?;
            let cp = get_by_id(
                &mut tx,
                "counterparties",
                Counterparty::COLS,
                id,
                Counterparty::from_row,
            )
            .await?
            .ok_or(AppError::NotFound {
                entity: "counterparty",
            })?;
            Ok(cp)
        })
    }

    pub async fn update_counterparty(
        &self,
        actor: &Actor,
        id: i64,
        input: &CounterpartyInput,
    ) -> Result<Counterparty> {
        actor.require(Right::EditCounterparties)?;
        write_tx!(self, [actor, input], |app, tx| {
            let mut c = Check::new();
            let cols = cols(&mut c, &mut tx, input, Some(id)).await?;
            c.done()?;
            let changed = crate::changes::describe(&mut tx, "counterparties", id, &cols).await?;
            if !queries::update(&mut tx, "counterparties", id, &cols).await? {
                return Err(AppError::NotFound {
                    entity: "counterparty",
                });
            }
            audit(
                &mut tx,
                Some(actor.id()),
                "update",
                "counterparty",
                id,
                &changed,
            )
            .await?;
            let cp = get_by_id(
                &mut tx,
                "counterparties",
                Counterparty::COLS,
                id,
                Counterparty::from_row,
            )
            .await?
            .ok_or(AppError::NotFound {
                entity: "counterparty",
            })?;
            Ok(cp)
        })
    }
}

impl App {
    /// Create (`id` None) or update, in the shape the API's generic handlers use.
    pub async fn save_counterparty(
        &self,
        actor: &Actor,
        id: Option<i64>,
        input: &CounterpartyInput,
    ) -> Result<Counterparty> {
        match id {
            None => self.create_counterparty(actor, input).await,
            Some(id) => self.update_counterparty(actor, id, input).await,
        }
    }
}
