//! Defect statistics. Only repairs whose defect category counts as a
//! product failure (or that have no category yet) make the failure rates;
//! a failure is charged to the component lots that were in the unit when it
//! failed — not to parts fitted by that repair, nor to parts removed before.

use super::*;

// ------------------------------------------------------------------ defect statistics

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DefectRow {
    /// The product, category, month (`2026-03`) or lot.
    pub key: String,
    pub label: String,
    /// Every repair received in the period.
    pub repairs: i64,
    /// Those that count as product failures.
    pub failures: i64,
    /// Units shipped (of the product, month or lot); null for categories.
    pub shipped: Option<i64>,
    /// Failures per unit shipped, %.
    pub failure_rate: Option<String>,
    /// For categories: whether they count as product failures.
    pub counts_as_failure: Option<bool>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DefectStats {
    pub from: String,
    pub to: String,
    pub repairs: i64,
    /// Repairs that count as product failures.
    pub failures: i64,
    /// Categories left out of the rates (Russian names).
    pub not_counted_ru: Vec<String>,
    pub not_counted_en: Vec<String>,
    pub by_product: Vec<DefectRow>,
    pub by_category: Vec<DefectRow>,
    pub by_month: Vec<DefectRow>,
    pub by_lot: Vec<DefectRow>,
}

fn rate(failures: i64, shipped: i64) -> Option<String> {
    (shipped > 0).then(|| {
        kupets_domain::Percent(kupets_domain::money::div_round(
            failures as i128 * 10_000,
            shipped as i128,
        ) as i64)
        .to_api()
    })
}

/// A repair counts unless its category says otherwise.
const COUNTS: &str = "CASE WHEN COALESCE(dc.counts_as_failure, 1) = 1 THEN 1 ELSE 0 END";
const PERIOD: &str =
    "FROM repairs r LEFT JOIN defect_categories dc ON dc.id = r.defect_category_id";

fn row(key: String, label: String, n: i64, f: i64, shipped: Option<i64>) -> DefectRow {
    DefectRow {
        key,
        label,
        repairs: n,
        failures: f,
        shipped,
        failure_rate: shipped.and_then(|s| rate(f, s)),
        counts_as_failure: None,
    }
}

impl App {
    /// Repairs received in the period by product, defect category,
    /// production month and component lot; failure rate = failures per unit
    /// shipped (units ever shipped of that product, month or lot).
    pub async fn defect_stats(
        &self,
        _actor: &Actor,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<DefectStats> {
        let mut conn = self.store.read_conn().await?;
        let (f, t) = (from.to_string(), to.to_string());
        let (repairs, failures): (i64, i64) = sql::query_as(&format!(
            "SELECT COUNT(*), CAST(COALESCE(SUM({COUNTS}), 0) AS BIGINT) {PERIOD} WHERE r.received_date >= $1 AND r.received_date <= $2"
        ))
        .bind(&f)
        .bind(&t)
        .fetch_one(&mut *conn)
        .await?;
        let not_counted: Vec<(String, String)> = sql::query_as(
            "SELECT name_ru, name_en FROM defect_categories WHERE counts_as_failure = 0 AND archived = 0 ORDER BY id",
        )
        .fetch_all(&mut *conn)
        .await?;
        let by_product: Vec<(i64, String, i64, i64, i64)> = sql::query_as(&format!(
            "SELECT u.product_id, p.name, COUNT(*) AS n, CAST(SUM({COUNTS}) AS BIGINT) AS f, \
               (SELECT COUNT(*) FROM units x WHERE x.product_id = u.product_id AND x.shipped_date IS NOT NULL) AS shipped \
             {PERIOD} JOIN units u ON u.id = r.unit_id JOIN products p ON p.id = u.product_id \
             WHERE r.received_date >= $1 AND r.received_date <= $2 GROUP BY u.product_id, p.name ORDER BY f DESC, n DESC, p.name"
        ))
        .bind(&f)
        .bind(&t)
        .fetch_all(&mut *conn)
        .await?;
        let by_category: Vec<(String, String, i64, i64)> = sql::query_as(&format!(
            "SELECT COALESCE(dc.code, ''), COALESCE(dc.name_ru, 'Не указана'), COALESCE(dc.counts_as_failure, 1), COUNT(*) AS n {PERIOD} \
             WHERE r.received_date >= $1 AND r.received_date <= $2 GROUP BY dc.code, dc.name_ru, dc.counts_as_failure ORDER BY n DESC"
        ))
        .bind(&f)
        .bind(&t)
        .fetch_all(&mut *conn)
        .await?;
        let by_month: Vec<(String, i64, i64, i64)> = sql::query_as(&format!(
            "SELECT q.m, COUNT(*) AS n, CAST(SUM(q.c) AS BIGINT) AS f, \
               (SELECT COUNT(*) FROM units x WHERE SUBSTR(x.production_date, 1, 7) = q.m AND x.shipped_date IS NOT NULL) AS shipped \
             FROM (SELECT SUBSTR(u.production_date, 1, 7) AS m, {COUNTS} AS c {PERIOD} JOIN units u ON u.id = r.unit_id \
                   WHERE r.received_date >= $1 AND r.received_date <= $2) q GROUP BY q.m ORDER BY q.m"
        ))
        .bind(&f)
        .bind(&t)
        .fetch_all(&mut *conn)
        .await?;
        // Lots in the unit when it failed: fitted by a document before this
        // repair (production or an earlier repair; documents are dated, ties
        // go by id) and not removed by one before it.
        let by_lot: Vec<(String, String, i64, i64, i64)> = sql::query_as(&format!(
            "SELECT q.lot, p.name, COUNT(*) AS n, CAST(SUM(q.c) AS BIGINT) AS f, \
               (SELECT COUNT(DISTINCT y.unit_id) FROM unit_components y JOIN units z ON z.id = y.unit_id WHERE y.lot = q.lot AND y.product_id = q.product_id AND z.shipped_date IS NOT NULL) AS shipped \
             FROM (SELECT DISTINCT r.document_id, c.lot, c.product_id, {COUNTS} AS c {PERIOD} \
                   JOIN unit_components c ON c.unit_id = r.unit_id AND c.lot <> '' \
                   LEFT JOIN documents di ON di.id = c.installed_by LEFT JOIN documents dr ON dr.id = c.removed_by \
                   WHERE r.received_date >= $1 AND r.received_date <= $2 \
                     AND (c.installed_by IS NULL OR di.doc_date < r.received_date OR (di.doc_date = r.received_date AND di.id < r.document_id)) \
                     AND (c.removed_by IS NULL OR c.removed_by = r.document_id OR dr.doc_date > r.received_date OR (dr.doc_date = r.received_date AND dr.id > r.document_id))) q \
             JOIN products p ON p.id = q.product_id \
             GROUP BY q.lot, q.product_id, p.name ORDER BY f DESC, n DESC, q.lot LIMIT 100"
        ))
        .bind(&f)
        .bind(&t)
        .fetch_all(&mut *conn)
        .await?;
        Ok(DefectStats {
            from: f.clone(),
            to: t.clone(),
            repairs,
            failures,
            not_counted_ru: not_counted.iter().map(|c| c.0.clone()).collect(),
            not_counted_en: not_counted.iter().map(|c| c.1.clone()).collect(),
            by_product: by_product
                .into_iter()
                .map(|(id, name, n, fl, s)| row(id.to_string(), name, n, fl, Some(s)))
                .collect(),
            by_category: by_category
                .into_iter()
                .map(|(code, name, counts, n)| DefectRow {
                    counts_as_failure: Some(counts != 0),
                    ..row(code, name, n, if counts != 0 { n } else { 0 }, None)
                })
                .collect(),
            by_month: by_month
                .into_iter()
                .map(|(m, n, fl, s)| row(m.clone(), m, n, fl, Some(s)))
                .collect(),
            by_lot: by_lot
                .into_iter()
                .map(|(lot, name, n, fl, s)| {
                    row(lot.clone(), format!("{name}, {lot}"), n, fl, Some(s))
                })
                .collect(),
        })
    }
}
