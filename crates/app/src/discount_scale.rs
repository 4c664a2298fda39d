//! Discount scales: named cumulative scales and volume-maintenance rule
//! sets. Each counterparty is given at most one of each, withheld (none), or
//! nothing — then the default named by the settings
//! `default_cumulative_scale` / `default_volume_scale` applies (which may
//! itself be empty: no discount of that kind by default).

use crate::input::{lenient, Check};
use crate::{Actor, App, AppError, Result};
use kupets_domain::role::Right;
use kupets_domain::FieldError;
use kupets_store::model::ser;
use kupets_store::queries::{audit, get_setting, set_setting};
use kupets_store::sql;
use kupets_store::{now, Conn};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The two kinds of scale.
pub const KINDS: [&str; 2] = ["cumulative", "volume"];

/// The setting naming the default scale of a kind.
pub fn setting_key(kind: &str) -> &'static str {
    if kind == "volume" {
        "default_volume_scale"
    } else {
        "default_cumulative_scale"
    }
}

pub fn kind_label(kind: &str, ru: bool) -> &'static str {
    match (kind, ru) {
        ("volume", true) => "Набор скидок за поддержание уровня закупок",
        ("volume", false) => "Volume-maintenance rule set",
        (_, true) => "Накопительная шкала",
        (_, false) => "Cumulative scale",
    }
}

/// A named scale (cumulative) or rule set (volume).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiscountScale {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub id: i64,
    /// `cumulative` or `volume`.
    pub kind: String,
    pub name: String,
    pub archived: bool,
    /// Whether the setting names it as the default of its kind.
    pub is_default: bool,
    /// Rules in force on it.
    pub rules: i64,
    /// Counterparties given it explicitly.
    pub counterparties: i64,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ScaleInput {
    /// `cumulative` or `volume` (fixed once created).
    #[serde(default, deserialize_with = "lenient")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
}

/// Which scales a counterparty is given. Each field: empty — the default;
/// `none` — withheld (no discount of that kind); an id — that scale.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ClientScalesInput {
    #[serde(default, deserialize_with = "lenient")]
    pub cumulative_scale_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub volume_scale_id: Option<String>,
}

/// One kind of scale as a counterparty has it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScaleChoice {
    /// `default` (given nothing), `none` (withheld) or `scale` (given one).
    pub mode: String,
    /// The scale given (mode `scale`).
    #[schema(value_type = Option<String>)]
    pub scale_id: Option<String>,
    /// The scale that applies (given or default); null: none applies.
    #[schema(value_type = Option<String>)]
    pub effective_id: Option<String>,
    pub effective_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClientScales {
    #[schema(value_type = String)]
    pub counterparty_id: String,
    pub counterparty_name: String,
    pub cumulative: ScaleChoice,
    pub volume: ScaleChoice,
}

const SCALE_SQL: &str = "SELECT s.id, s.kind, s.name, s.archived, \
     (SELECT COUNT(*) FROM cumulative_thresholds t WHERE t.scale_id = s.id AND t.archived = 0) \
     + (SELECT COUNT(*) FROM volume_rules v WHERE v.scale_id = s.id AND v.archived = 0) AS rules, \
     (SELECT COUNT(*) FROM counterparties c WHERE c.cumulative_scale_id = s.id OR c.volume_scale_id = s.id) AS cps \
     FROM discount_scales s";

fn scale_row(r: &sql::Row, defaults: &[Option<i64>; 2]) -> DiscountScale {
    let id: i64 = r.get("id");
    let kind: String = r.get("kind");
    let d = if kind == "volume" {
        defaults[1]
    } else {
        defaults[0]
    };
    DiscountScale {
        id,
        is_default: d == Some(id),
        kind,
        name: r.get("name"),
        archived: r.get::<i64, _>("archived") != 0,
        rules: r.get("rules"),
        counterparties: r.get("cps"),
    }
}

/// The default scale of a kind (the setting), if it names one.
pub(crate) async fn default_scale(conn: &mut Conn, kind: &str) -> Result<Option<i64>> {
    Ok(get_setting(conn, setting_key(kind))
        .await?
        .and_then(|v| v.trim().parse::<i64>().ok()))
}

async fn defaults(conn: &mut Conn) -> Result<[Option<i64>; 2]> {
    Ok([
        default_scale(conn, "cumulative").await?,
        default_scale(conn, "volume").await?,
    ])
}

/// (kind, name, archived) of a scale.
async fn scale_facts(conn: &mut Conn, id: i64) -> Result<Option<(String, String, bool)>> {
    Ok(sql::query_as::<(String, String, i64)>(
        "SELECT kind, name, archived FROM discount_scales WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .map(|(k, n, a)| (k, n, a != 0)))
}

/// Checks that `field` names a scale of `kind` in force; the id, or 0 after
/// adding an error.
pub(crate) async fn check_scale(
    c: &mut Check,
    conn: &mut Conn,
    field: &str,
    kind: &str,
    id: i64,
) -> Result<i64> {
    match scale_facts(conn, id).await? {
        None => {
            c.err(
                field,
                "not_found",
                format!("Шкала {id} не найдена"),
                format!("No scale {id}"),
            );
            Ok(0)
        }
        Some((k, name, _)) if k != kind => {
            c.err(
                field,
                "wrong_kind",
                format!("«{name}» — {}", kind_label(&k, true).to_lowercase()),
                format!("'{name}' is a {}", kind_label(&k, false).to_lowercase()),
            );
            Ok(0)
        }
        Some((_, name, true)) => {
            c.err(
                field,
                "archived",
                format!("Шкала «{name}» в архиве"),
                format!("Scale '{name}' is archived"),
            );
            Ok(0)
        }
        Some(_) => Ok(id),
    }
}

/// The scale a rule goes on: the one named, or the default of its kind.
pub(crate) async fn rule_scale(
    c: &mut Check,
    conn: &mut Conn,
    kind: &str,
    v: &Option<String>,
) -> Result<i64> {
    match c.opt_id("scale_id", v) {
        Some(id) => check_scale(c, conn, "scale_id", kind, id).await,
        None => match default_scale(conn, kind).await? {
            Some(id) => Ok(id),
            None => {
                c.err(
                    "scale_id",
                    "required",
                    "Укажите шкалу: шкала по умолчанию не задана",
                    "Name the scale: there is no default one",
                );
                Ok(0)
            }
        },
    }
}

/// Parses one choice of `ClientScalesInput`: None = default, Some(0) = none.
async fn parse_choice(
    c: &mut Check,
    conn: &mut Conn,
    field: &str,
    kind: &str,
    v: &Option<String>,
) -> Result<Option<i64>> {
    let s = v.as_deref().map(str::trim).unwrap_or("");
    if s.is_empty() || s == "default" {
        return Ok(None);
    }
    if s == "none" {
        return Ok(Some(0));
    }
    match s.parse::<i64>() {
        Ok(id) if id > 0 => Ok(Some(check_scale(c, conn, field, kind, id).await?)),
        _ => {
            c.err(
                field,
                "invalid",
                "Пусто (по умолчанию), none (без скидки) или идентификатор шкалы",
                "Empty (the default), none (withheld) or a scale id",
            );
            Ok(None)
        }
    }
}

async fn choice(conn: &mut Conn, given: Option<i64>, default: Option<i64>) -> Result<ScaleChoice> {
    let (mode, eff) = match given {
        None => ("default", default),
        Some(0) => ("none", None),
        Some(id) => ("scale", Some(id)),
    };
    let name = match eff {
        Some(id) => scale_facts(conn, id).await?.filter(|f| !f.2).map(|f| f.1),
        None => None,
    };
    Ok(ScaleChoice {
        mode: mode.into(),
        scale_id: given.filter(|g| *g != 0).map(|g| g.to_string()),
        effective_id: name.as_ref().and(eff).map(|e| e.to_string()),
        effective_name: name,
    })
}

impl App {
    /// Scales of a kind (or both), by kind and name.
    pub async fn list_scales(
        &self,
        _actor: &Actor,
        kind: Option<&str>,
        archived: bool,
    ) -> Result<Vec<DiscountScale>> {
        let mut conn = self.store.read_conn().await?;
        let d = defaults(&mut conn).await?;
        let rows = sql::query(&format!(
            "{SCALE_SQL} WHERE s.archived = $1 AND ($2 = '' OR s.kind = $2) ORDER BY s.kind, s.name, s.id"
        ))
        .bind(archived as i64)
        .bind(kind.unwrap_or(""))
        .fetch_all(&mut *conn)
        .await?;
        Ok(rows.iter().map(|r| scale_row(r, &d)).collect())
    }

    pub async fn get_scale(&self, _actor: &Actor, id: i64) -> Result<DiscountScale> {
        let mut conn = self.store.read_conn().await?;
        load_scale(&mut conn, id).await
    }

    /// Creates (`id` None) or renames a scale. Names are unique within a
    /// kind among scales in force.
    pub async fn save_scale(
        &self,
        actor: &Actor,
        id: Option<i64>,
        input: &ScaleInput,
    ) -> Result<DiscountScale> {
        actor.require(Right::ManagePricing)?;
        write_tx!(self, [actor, input], |app, tx| {
            let mut c = Check::new();
            let name = c.text("name", &input.name, 200);
            let kind = match id {
                Some(id) => {
                    scale_facts(&mut tx, id)
                        .await?
                        .ok_or(AppError::NotFound { entity: "scale" })?
                        .0
                }
                None => {
                    let k = input.kind.as_deref().map(str::trim).unwrap_or("");
                    if k.is_empty() {
                        c.add(FieldError::required("kind"));
                    } else if !KINDS.contains(&k) {
                        c.err(
                        "kind",
                        "invalid_kind",
                        "Вид шкалы: cumulative (накопительная) или volume (за поддержание уровня закупок)",
                        "Kind: cumulative or volume",
                    );
                    }
                    k.to_string()
                }
            };
            if !name.is_empty() {
                // Compared in Rust: SQLite's LOWER() folds only ASCII.
                let others: Vec<String> = sql::query_scalar(
                "SELECT name FROM discount_scales WHERE kind = $1 AND archived = 0 AND id <> $2",
            )
            .bind(&kind)
            .bind(id.unwrap_or(0))
            .fetch_all(&mut *tx)
            .await?;
                let low = name.to_lowercase();
                if others.iter().any(|o| o.to_lowercase() == low) {
                    c.err(
                        "name",
                        "duplicate_name",
                        format!("Шкала «{name}» уже есть"),
                        format!("There is already a scale '{name}'"),
                    );
                }
            }
            c.done()?;
            let id = match id {
                Some(id) => {
                    sql::query("UPDATE discount_scales SET name = $1 WHERE id = $2")
                        .bind(&name)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    audit(
                        &mut tx,
                        Some(actor.id()),
                        "update",
                        "discount_scales",
                        id,
                        &format!("name={name}"),
                    )
                    .await?;
                    id
                }
                None => {
                    let id: i64 = sql::query_scalar("INSERT INTO discount_scales (kind, name, archived, created_at) VALUES ($1, $2, 0, $3) RETURNING id")
                    .bind(&kind)
                    .bind(&name)
                    .bind(now())
                    .fetch_one(&mut *tx)
                    .await?;
                    audit(
                        &mut tx,
                        Some(actor.id()),
                        "create",
                        "discount_scales",
                        id,
                        &format!("kind={kind} name={name}"),
                    )
                    .await?;
                    id
                }
            };
            let s = load_scale(&mut tx, id).await?;

            Ok(s)
        })
    }

    /// Archives a scale no counterparty is given and the setting does not
    /// name; its rules stay as they were (documents keep how they counted).
    pub async fn archive_scale(&self, actor: &Actor, id: i64) -> Result<()> {
        actor.require(Right::ManagePricing)?;
        write_tx!(self, [actor], |app, tx| {
            let s = load_scale(&mut tx, id).await?;
            if s.is_default {
                return Err(AppError::conflict(
                    "scale_is_default",
                    format!(
                        "«{}» — шкала по умолчанию; сначала назначьте другую",
                        s.name
                    ),
                    format!("'{}' is the default; name another default first", s.name),
                ));
            }
            if s.counterparties > 0 {
                return Err(AppError::conflict(
                    "scale_in_use",
                    format!(
                        "Шкала «{}» назначена контрагентам: {}",
                        s.name, s.counterparties
                    ),
                    format!(
                        "Scale '{}' is given to {} counterparties",
                        s.name, s.counterparties
                    ),
                ));
            }
            sql::query("UPDATE discount_scales SET archived = 1 WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            audit(
                &mut tx,
                Some(actor.id()),
                "archive",
                "discount_scales",
                id,
                "",
            )
            .await?;

            Ok(())
        })
    }

    /// Names the default scale of a kind (`None`: no default — counterparties
    /// given nothing get no discount of that kind). Audited.
    pub async fn set_default_scale(
        &self,
        actor: &Actor,
        kind: &str,
        value: &str,
    ) -> Result<Option<DiscountScale>> {
        actor.require(Right::ManagePricing)?;
        if !KINDS.contains(&kind) {
            return Err(AppError::NotFound { entity: "setting" });
        }
        write_tx!(self, [actor, kind, value], |app, tx| {
            let mut c = Check::new();
            let v = value.trim();
            let id = if v.is_empty() || v == "none" {
                None
            } else {
                match v.parse::<i64>() {
                    Ok(id) if id > 0 => {
                        Some(check_scale(&mut c, &mut tx, "value", kind, id).await?)
                    }
                    _ => {
                        c.err(
                            "value",
                            "invalid",
                            "Идентификатор шкалы или пусто (нет шкалы по умолчанию)",
                            "A scale id, or empty (no default)",
                        );
                        None
                    }
                }
            };
            c.done()?;
            let key = setting_key(kind);
            let old = get_setting(&mut tx, key).await?.unwrap_or_default();
            let new = id.map(|i| i.to_string()).unwrap_or_default();
            set_setting(&mut tx, key, &new).await?;
            audit(
                &mut tx,
                Some(actor.id()),
                "setting",
                key,
                "",
                &format!("{old} → {new}"),
            )
            .await?;
            let s = match id {
                Some(id) => Some(load_scale(&mut tx, id).await?),
                None => None,
            };

            Ok(s)
        })
    }

    /// The scales a counterparty is given and those that apply.
    pub async fn client_scales(&self, _actor: &Actor, cp: i64) -> Result<ClientScales> {
        let mut conn = self.store.read_conn().await?;
        load_client_scales(&mut conn, cp).await
    }

    /// Gives a counterparty its scales (audited).
    pub async fn set_client_scales(
        &self,
        actor: &Actor,
        cp: i64,
        input: &ClientScalesInput,
    ) -> Result<ClientScales> {
        actor.require(Right::ManagePricing)?;
        write_tx!(self, [actor, input], |app, tx| {
            let before = load_client_scales(&mut tx, cp).await?;
            let walk_in: i64 =
                sql::query_scalar("SELECT walk_in FROM counterparties WHERE id = $1")
                    .bind(cp)
                    .fetch_one(&mut *tx)
                    .await?;
            if walk_in != 0 {
                return Err(AppError::conflict(
                "walk_in_buyer",
                "Разовому розничному покупателю накопительные скидки и скидки за объём не даются",
                "A one-off retail buyer gets no cumulative or volume discounts",
            ));
            }
            let mut c = Check::new();
            let cum = parse_choice(
                &mut c,
                &mut tx,
                "cumulative_scale_id",
                "cumulative",
                &input.cumulative_scale_id,
            )
            .await?;
            let vol = parse_choice(
                &mut c,
                &mut tx,
                "volume_scale_id",
                "volume",
                &input.volume_scale_id,
            )
            .await?;
            c.done()?;
            sql::query(
            "UPDATE counterparties SET cumulative_scale_id = $1, volume_scale_id = $2 WHERE id = $3",
        )
        .bind(cum)
        .bind(vol)
        .bind(cp)
        .execute(&mut *tx)
        .await?;
            let after = load_client_scales(&mut tx, cp).await?;
            let show = |s: &ScaleChoice| match s.mode.as_str() {
                "none" => "none".to_string(),
                m => format!("{m}:{}", s.effective_name.as_deref().unwrap_or("-")),
            };
            audit(
                &mut tx,
                Some(actor.id()),
                "scales",
                "counterparties",
                cp,
                &format!(
                    "cumulative {} → {}; volume {} → {}",
                    show(&before.cumulative),
                    show(&after.cumulative),
                    show(&before.volume),
                    show(&after.volume)
                ),
            )
            .await?;

            Ok(after)
        })
    }
}

async fn load_scale(conn: &mut Conn, id: i64) -> Result<DiscountScale> {
    let d = defaults(conn).await?;
    let r = sql::query(&format!("{SCALE_SQL} WHERE s.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound { entity: "scale" })?;
    Ok(scale_row(&r, &d))
}

async fn load_client_scales(conn: &mut Conn, cp: i64) -> Result<ClientScales> {
    let r = sql::query(
        "SELECT name, cumulative_scale_id, volume_scale_id FROM counterparties WHERE id = $1",
    )
    .bind(cp)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound {
        entity: "counterparty",
    })?;
    let d = defaults(conn).await?;
    Ok(ClientScales {
        counterparty_id: cp.to_string(),
        counterparty_name: r.get("name"),
        cumulative: choice(conn, r.get("cumulative_scale_id"), d[0]).await?,
        volume: choice(conn, r.get("volume_scale_id"), d[1]).await?,
    })
}

impl App {
    /// The built-in counterparty «Розничный покупатель» for walk-in retail
    /// sales, created on first use: retail price type, promotions apply,
    /// scales withheld, credit limit 0 (paid before it ships).
    pub async fn walk_in_buyer(&self, actor: &Actor) -> Result<i64> {
        actor.require(Right::Read)?;
        write_tx!(self, [actor], |app, tx| {
            let found: Option<i64> =
                sql::query_scalar("SELECT MIN(id) FROM counterparties WHERE walk_in = 1")
                    .fetch_one(&mut *tx)
                    .await?;
            if let Some(id) = found {
                return Ok(id);
            }
            let id: i64 = sql::query_scalar(
                "INSERT INTO counterparties (name, kind, price_type_id, credit_limit, cumulative_scale_id, volume_scale_id, walk_in, notes, search, created_at) \
                 SELECT 'Розничный покупатель', 'customer', id, 0, 0, 0, 1, 'Встроенный контрагент для разовых розничных продаж', 'розничный покупатель', $1 \
                 FROM price_types WHERE code = 'retail' RETURNING id",
            )
            .bind(now())
            .fetch_one(&mut *tx)
            .await?;
            audit(
                &mut tx,
                Some(actor.id()),
                "create",
                "counterparty",
                id,
                "walk-in buyer",
            )
            .await?;
            Ok(id)
        })
    }
}
