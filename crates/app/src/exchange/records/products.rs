//! Products from a file: SKU unique (in the file and among the kept
//! products), unit, VAT rate, serial tracking, warranty; the group given as
//! a path «Инструмент/Дрели», its missing groups created at the import.

use super::super::Progress;
use super::{err, flag, insert_audited, Column, RowError, Rows};
use crate::{Actor, Result};
use kupets_domain::VatRate;
use kupets_store::queries::{audit, bind_all, placeholders, P};
use kupets_store::{now, sql, Conn};
use std::collections::HashMap;

pub const PRODUCT_COLUMNS: &[Column] = &[
    Column {
        field: "sku",
        ru: "Артикул",
        aliases: &["sku", "код", "article"],
        required: true,
        example: "DR-500",
    },
    Column {
        field: "name",
        ru: "Наименование",
        aliases: &["name", "название", "товар"],
        required: true,
        example: "Дрель ударная 500 Вт",
    },
    Column {
        field: "group",
        ru: "Группа",
        aliases: &["group", "группа товаров", "категория"],
        required: false,
        example: "Инструмент/Дрели",
    },
    Column {
        field: "unit",
        ru: "Ед. изм.",
        aliases: &["unit", "единица", "ед.", "единица измерения"],
        required: false,
        example: "шт",
    },
    Column {
        field: "vat_rate",
        ru: "Ставка НДС",
        aliases: &["vat_rate", "vat", "ндс"],
        required: false,
        example: "22",
    },
    Column {
        field: "serial_tracked",
        ru: "Серийный учёт",
        aliases: &["serial_tracked", "серийный учет", "серийные номера"],
        required: false,
        example: "нет",
    },
    Column {
        field: "warranty_months",
        ru: "Гарантия, мес.",
        aliases: &["warranty_months", "гарантия", "гарантия, мес"],
        required: false,
        example: "12",
    },
];

const COLS: [&str; 9] = [
    "sku",
    "name",
    "unit",
    "vat_rate",
    "group_id",
    "serial_tracked",
    "warranty_months",
    "search",
    "created_at",
];

/// The VAT rate as people write it: `22`, `22%`, `0`, `без НДС`.
fn vat_code(v: &str) -> Option<&'static str> {
    let v = v.trim().trim_end_matches('%').trim().to_lowercase();
    if v.is_empty() {
        return Some("22");
    }
    if matches!(v.as_str(), "без ндс" | "без ндс." | "none" | "нет") {
        return Some("none");
    }
    VatRate::parse(&v).map(|r| r.code())
}

/// A group path split into names: «Инструмент / Дрели» → [Инструмент, Дрели].
fn path_of(v: &str) -> Vec<String> {
    v.split(['/', '\\'])
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

struct Plan {
    /// The columns of each product but `group_id` (index 4), filled in
    /// once the groups exist.
    values: Vec<Vec<P>>,
    paths: Vec<Vec<String>>,
}

async fn check(conn: &mut Conn, rows: &Rows) -> Result<(Plan, Vec<RowError>)> {
    let mut errs = Vec::new();
    let mut plan = Plan {
        values: Vec::new(),
        paths: Vec::new(),
    };
    let mut seen: HashMap<String, usize> = HashMap::new();
    let at = now();
    for (n, r) in &rows.rows {
        let g = |k: &str| r.get(k).cloned().unwrap_or_default();
        let (sku, name) = (g("sku"), g("name"));
        for (f, v, ru, en, max) in [
            ("sku", &sku, "Артикул", "SKU", 100),
            ("name", &name, "Наименование", "name", 300),
        ] {
            if v.is_empty() {
                errs.push(err(
                    *n,
                    f,
                    "required",
                    format!("{ru} обязательно"),
                    format!("The {en} is required"),
                ));
            } else if v.chars().count() > max {
                errs.push(err(
                    *n,
                    f,
                    "too_long",
                    format!("{ru}: не длиннее {max} знаков"),
                    format!("The {en}: at most {max} characters"),
                ));
            }
        }
        if !sku.is_empty() {
            if let Some(first) = seen.insert(sku.clone(), *n) {
                errs.push(err(
                    *n,
                    "sku",
                    "duplicate_sku",
                    format!("Артикул «{sku}» повторяет строку {first}"),
                    format!("SKU '{sku}' repeats row {first}"),
                ));
            }
        }
        let unit = match g("unit") {
            u if u.is_empty() => "шт".to_string(),
            u => u,
        };
        if unit.chars().count() > 20 {
            errs.push(err(
                *n,
                "unit",
                "too_long",
                "Единица измерения: не длиннее 20 знаков",
                "The unit: at most 20 characters",
            ));
        }
        let vat = vat_code(&g("vat_rate")).unwrap_or_else(|| {
            errs.push(err(
                *n,
                "vat_rate",
                "invalid_vat",
                "Ставка НДС: 22, 10, 0 или «без НДС»",
                "VAT rate: 22, 10, 0 or 'none'",
            ));
            "22"
        });
        let serial = flag(&g("serial_tracked")).unwrap_or_else(|| {
            errs.push(err(
                *n,
                "serial_tracked",
                "invalid_flag",
                "Серийный учёт: да или нет",
                "Serial tracking: yes or no",
            ));
            false
        });
        let w = g("warranty_months");
        let warranty = if w.is_empty() {
            0
        } else {
            match w.parse::<i64>() {
                Ok(m) if (0..=240).contains(&m) => m,
                _ => {
                    errs.push(err(
                        *n,
                        "warranty_months",
                        "invalid_number",
                        "Гарантия: целое число месяцев от 0 до 240",
                        "Warranty: a whole number of months, 0 to 240",
                    ));
                    0
                }
            }
        };
        let path = path_of(&g("group"));
        if path.iter().any(|p| p.chars().count() > 200) {
            errs.push(err(
                *n,
                "group",
                "too_long",
                "Группа: имя каждой группы не длиннее 200 знаков",
                "Group: each group's name at most 200 characters",
            ));
        }
        let search = format!("{name} {sku}").to_lowercase();
        plan.values.push(vec![
            P::from(sku),
            P::from(name),
            P::from(unit),
            P::from(vat),
            P::from(None::<i64>),
            P::from(serial),
            P::from(warranty),
            P::from(search),
            P::from(at.as_str()),
        ]);
        plan.paths.push(path);
    }
    // SKUs already kept (archived products too: the SKU stays unique).
    let skus: Vec<(String, usize)> = seen.into_iter().collect();
    for chunk in skus.chunks(super::super::CHUNK) {
        let q = format!(
            "SELECT id, sku FROM products WHERE sku IN ({})",
            placeholders(1, chunk.len())
        );
        let ps: Vec<P> = chunk.iter().map(|s| P::from(s.0.as_str())).collect();
        let have: HashMap<String, i64> = bind_all(sql::query(&q), &ps)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| (r.get("sku"), r.get("id")))
            .collect();
        for (sku, row) in chunk {
            if let Some(id) = have.get(sku) {
                errs.push(err(
                    *row,
                    "sku",
                    "duplicate_sku",
                    format!("Артикул «{sku}» уже есть у товара № {id}"),
                    format!("SKU '{sku}' belongs to product {id}"),
                ));
            }
        }
    }
    Ok((plan, errs))
}

/// Finds or creates each path's groups (active ones, matched by name
/// without case under the same parent); returns the last group of each.
async fn groups(conn: &mut Conn, actor: &Actor, paths: &[Vec<String>]) -> Result<Vec<Option<i64>>> {
    let mut known: HashMap<(Option<i64>, String), i64> =
        sql::query("SELECT id, parent_id, name FROM product_groups WHERE archived = 0 ORDER BY id")
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| {
                (
                    (
                        r.get::<Option<i64>, _>("parent_id"),
                        r.get::<String, _>("name").to_lowercase(),
                    ),
                    r.get::<i64, _>("id"),
                )
            })
            .collect();
    let mut out = Vec::with_capacity(paths.len());
    for path in paths {
        let mut parent: Option<i64> = None;
        for name in path {
            let key = (parent, name.to_lowercase());
            let id = match known.get(&key) {
                Some(id) => *id,
                None => {
                    let id = kupets_store::queries::insert(
                        conn,
                        "product_groups",
                        &[
                            ("name", P::from(name.as_str())),
                            ("parent_id", P::from(parent)),
                        ],
                    )
                    .await?;
                    audit(
                        conn,
                        Some(actor.id()),
                        "create",
                        "product group",
                        id,
                        "import",
                    )
                    .await?;
                    known.insert(key, id);
                    id
                }
            };
            parent = Some(id);
        }
        out.push(parent);
    }
    Ok(out)
}

pub(super) async fn run(
    conn: &mut Conn,
    actor: &Actor,
    rows: &Rows,
    write: bool,
    progress: &Progress,
) -> Result<(usize, Vec<RowError>)> {
    let (mut plan, errors) = check(conn, rows).await?;
    if !write || !errors.is_empty() {
        return Ok((0, errors));
    }
    let group_ids = groups(conn, actor, &plan.paths).await?;
    for (v, g) in plan.values.iter_mut().zip(group_ids) {
        v[4] = P::from(g);
    }
    let n = insert_audited(
        conn,
        actor,
        ("products", "product"),
        &COLS,
        &plan.values,
        progress,
    )
    .await?;
    Ok((n, Vec::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vat_and_paths_as_people_write_them() {
        assert_eq!(vat_code("22%"), Some("22"));
        assert_eq!(vat_code(""), Some("22"));
        assert_eq!(vat_code("Без НДС"), Some("none"));
        assert_eq!(vat_code("18"), None);
        assert_eq!(
            path_of(" Инструмент / Дрели/ "),
            vec!["Инструмент".to_string(), "Дрели".to_string()]
        );
        assert!(path_of("").is_empty());
    }
}
