//! Defect statistics.

use super::*;

// ------------------------------------------------------------------ defect statistics

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DefectRow {
    /// The product, category, month (`2026-03`) or lot.
    pub key: String,
    pub label: String,
    pub repairs: i64,
    /// Units shipped (of the product, month or lot); null for categories.
    pub shipped: Option<i64>,
    /// Repairs per unit shipped, %.
    pub failure_rate: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DefectStats {
    pub from: String,
    pub to: String,
    pub repairs: i64,
    pub by_product: Vec<DefectRow>,
    pub by_category: Vec<DefectRow>,
    pub by_month: Vec<DefectRow>,
    pub by_lot: Vec<DefectRow>,
}

fn rate(repairs: i64, shipped: i64) -> Option<String> {
    (shipped > 0).then(|| {
        kupets_domain::Percent(kupets_domain::money::div_round(
            repairs as i128 * 10_000,
            shipped as i128,
        ) as i64)
        .to_api()
    })
}

impl App {
    /// Repairs received in the period by product, defect category,
    /// production month and component lot; failure rate = repairs per unit
    /// shipped (units ever shipped of that product, month or lot).
    pub async fn defect_stats(
        &self,
        _actor: &Actor,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<DefectStats> {
        let mut conn = self.store.read_conn().await?;
        let (f, t) = (from.to_string(), to.to_string());
        let repairs: i64 = sql::query_scalar(
            "SELECT COUNT(*) FROM repairs WHERE received_date >= $1 AND received_date <= $2",
        )
        .bind(&f)
        .bind(&t)
        .fetch_one(&mut *conn)
        .await?;
        let grouped = |sql: &str| sql.to_string();
        let by_product: Vec<(i64, String, i64, i64)> = sql::query_as(&grouped(
            "SELECT u.product_id, p.name, COUNT(*) AS n, (SELECT COUNT(*) FROM units x WHERE x.product_id = u.product_id AND x.shipped_date IS NOT NULL) AS shipped \
             FROM repairs r JOIN units u ON u.id = r.unit_id JOIN products p ON p.id = u.product_id \
             WHERE r.received_date >= $1 AND r.received_date <= $2 GROUP BY u.product_id, p.name ORDER BY n DESC, p.name",
        ))
        .bind(&f)
        .bind(&t)
        .fetch_all(&mut *conn)
        .await?;
        let by_category: Vec<(String, String, i64)> = sql::query_as(
            "SELECT COALESCE(dc.code, ''), COALESCE(dc.name_ru, 'Не указана'), COUNT(*) AS n FROM repairs r LEFT JOIN defect_categories dc ON dc.id = r.defect_category_id \
             WHERE r.received_date >= $1 AND r.received_date <= $2 GROUP BY dc.code, dc.name_ru ORDER BY n DESC",
        )
        .bind(&f)
        .bind(&t)
        .fetch_all(&mut *conn)
        .await?;
        let by_month: Vec<(String, i64, i64)> = sql::query_as(
            "SELECT q.m, COUNT(*) AS n, \
               (SELECT COUNT(*) FROM units x WHERE SUBSTR(x.production_date, 1, 7) = q.m AND x.shipped_date IS NOT NULL) AS shipped \
             FROM (SELECT SUBSTR(u.production_date, 1, 7) AS m FROM repairs r JOIN units u ON u.id = r.unit_id \
                   WHERE r.received_date >= $1 AND r.received_date <= $2) q GROUP BY q.m ORDER BY q.m",
        )
        .bind(&f)
        .bind(&t)
        .fetch_all(&mut *conn)
        .await?;
        let by_lot: Vec<(String, String, i64, i64)> = sql::query_as(
            "SELECT c.lot, p.name, COUNT(DISTINCT r.document_id) AS n, \
               (SELECT COUNT(DISTINCT y.unit_id) FROM unit_components y JOIN units z ON z.id = y.unit_id WHERE y.lot = c.lot AND y.product_id = c.product_id AND z.shipped_date IS NOT NULL) AS shipped \
             FROM repairs r JOIN unit_components c ON c.unit_id = r.unit_id AND c.lot <> '' JOIN products p ON p.id = c.product_id \
             WHERE r.received_date >= $1 AND r.received_date <= $2 GROUP BY c.lot, c.product_id, p.name ORDER BY n DESC, c.lot LIMIT 100",
        )
        .bind(&f)
        .bind(&t)
        .fetch_all(&mut *conn)
        .await?;
        Ok(DefectStats {
            from: f.clone(),
            to: t.clone(),
            repairs,
            by_product: by_product
                .into_iter()
                .map(|(id, name, n, s)| DefectRow {
                    key: id.to_string(),
                    label: name,
                    repairs: n,
                    shipped: Some(s),
                    failure_rate: rate(n, s),
                })
                .collect(),
            by_category: by_category
                .into_iter()
                .map(|(code, name, n)| DefectRow {
                    key: code,
                    label: name,
                    repairs: n,
                    shipped: None,
                    failure_rate: None,
                })
                .collect(),
            by_month: by_month
                .into_iter()
                .map(|(m, n, s)| DefectRow {
                    key: m.clone(),
                    label: m,
                    repairs: n,
                    shipped: Some(s),
                    failure_rate: rate(n, s),
                })
                .collect(),
            by_lot: by_lot
                .into_iter()
                .map(|(lot, name, n, s)| DefectRow {
                    key: lot.clone(),
                    label: format!("{name}, {lot}"),
                    repairs: n,
                    shipped: Some(s),
                    failure_rate: rate(n, s),
                })
                .collect(),
        })
    }
}
