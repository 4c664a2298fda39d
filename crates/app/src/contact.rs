//! Contact persons of a counterparty: any number, archived, never deleted.

use crate::input::{lenient, truthy, Check};
use crate::{Actor, App, AppError, Result};
use kupets_domain::role::Right;
use kupets_store::model::ser;
use kupets_store::now;
use kupets_store::queries::{audit, insert, update, P};
use kupets_store::sql;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ContactInput {
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub position: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub phone: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub note: Option<String>,
    /// `true` retires the contact (it stays on record).
    #[serde(default, deserialize_with = "lenient")]
    pub archived: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Contact {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub counterparty_id: i64,
    pub name: String,
    pub position: String,
    pub phone: String,
    pub email: String,
    pub note: String,
    pub archived: bool,
}

const COLS: &str = "id, counterparty_id, name, position, phone, email, note, archived";

fn row(r: &kupets_store::sql::Row) -> Contact {
    Contact {
        id: r.get("id"),
        counterparty_id: r.get("counterparty_id"),
        name: r.get("name"),
        position: r.get("position"),
        phone: r.get("phone"),
        email: r.get("email"),
        note: r.get("note"),
        archived: r.get::<i64, _>("archived") != 0,
    }
}

fn cols(c: &mut Check, input: &ContactInput) -> Vec<(&'static str, P)> {
    let name = c.text("name", &input.name, 200);
    let position = c.opt_text("position", &input.position, 200);
    let phone = c.opt_text("phone", &input.phone, 100);
    let email = c.opt_text("email", &input.email, 200);
    if !email.is_empty() && (!email.contains('@') || email.contains(' ')) {
        c.err(
            "email",
            "invalid_email",
            "Адрес e-mail вида name@example.ru",
            "An e-mail address like name@example.com",
        );
    }
    let note = c.opt_text("note", &input.note, 2000);
    vec![
        ("name", P::from(name)),
        ("position", P::from(position)),
        ("phone", P::from(phone)),
        ("email", P::from(email)),
        ("note", P::from(note)),
        ("archived", P::from(truthy(&input.archived))),
    ]
}

impl App {
    /// A counterparty's contacts, active first, by name; archived ones too
    /// when asked.
    pub async fn list_contacts(
        &self,
        _actor: &Actor,
        counterparty: i64,
        archived: bool,
    ) -> Result<Vec<Contact>> {
        let mut conn = self.store.read_conn().await?;
        if !crate::people::exists(&mut conn, "counterparties", counterparty).await? {
            return Err(AppError::NotFound {
                entity: "counterparty",
            });
        }
        let rows = sql::query(&format!(
            "SELECT {COLS} FROM contacts WHERE counterparty_id = $1 AND (archived = 0 OR $2 = 1) ORDER BY archived, name, id"
        ))
        .bind(counterparty)
        .bind(archived as i64)
        .fetch_all(&mut *conn)
        .await?;
        Ok(rows.iter().map(row).collect())
    }

    /// Adds (`id` None) or replaces a contact of a counterparty.
    pub async fn save_contact(
        &self,
        actor: &Actor,
        counterparty: i64,
        id: Option<i64>,
        input: &ContactInput,
    ) -> Result<Contact> {
        actor.require(Right::EditCounterparties)?;
        let mut c = Check::new();
        let cols = cols(&mut c, input);
        c.done()?;
        write_tx!(self, [actor], own[cols], |app, tx| {
            if !crate::people::exists(&mut tx, "counterparties", counterparty).await? {
                return Err(AppError::NotFound {
                    entity: "counterparty",
                });
            }
            let id = match id {
                Some(id) => {
                    let owner: Option<i64> =
                        sql::query_scalar("SELECT counterparty_id FROM contacts WHERE id = $1")
                            .bind(id)
                            .fetch_optional(&mut *tx)
                            .await?;
                    if owner != Some(counterparty) {
                        return Err(AppError::NotFound { entity: "contact" });
                    }
                    update(&mut tx, "contacts", id, &cols).await?;
                    audit(&mut tx, Some(actor.id()), "update", "contact", id, "").await?;
                    id
                }
                None => {
                    cols.push(("counterparty_id", P::from(counterparty)));
                    cols.push(("created_at", P::from(now())));
                    let id = insert(&mut tx, "contacts", &cols).await?;
                    audit(&mut tx, Some(actor.id()), "create", "contact", id, "").await?;
                    id
                }
            };
            let r = sql::query(&format!("SELECT {COLS} FROM contacts WHERE id = $1"))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            Ok(row(&r))
        })
    }
}
