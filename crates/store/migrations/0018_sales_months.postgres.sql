-- Monthly sales totals (issue 13's speed targets): the sales report, ABC
-- and the owner's page read a few rows per client (or product) and month
-- instead of every sales fact of the period.
--
-- One table holds two kinds of rows so that posting keeps both up to date
-- in ONE statement (an upsert of a UNION ALL; SQLite has no data-modifying
-- CTE to write two tables at once):
--   dim = 'client':  per month, counterparty, manager and department
--                    (product_id = group_id = 0);
--   dim = 'product': per month, product and group
--                    (counterparty_id = manager_id = department_id = 0).
-- A missing department or group is 0, not NULL, so the primary key (the
-- upsert's conflict target) matches it; the views below give NULL back.
-- `facts` counts the sales facts a row sums (a row whose facts are all
-- cancelled is deleted, so a row exists exactly when facts do) and
-- `shipments` the posted shipments among its documents.
-- (The SQLite variant stores the rows in key order: WITHOUT ROWID.)
CREATE TABLE sales_months (
    dim TEXT NOT NULL,
    month TEXT NOT NULL,
    counterparty_id BIGINT NOT NULL,
    manager_id BIGINT NOT NULL,
    department_id BIGINT NOT NULL,
    product_id BIGINT NOT NULL,
    group_id BIGINT NOT NULL,
    qty BIGINT NOT NULL,
    revenue BIGINT NOT NULL,
    revenue_net BIGINT NOT NULL,
    cost BIGINT NOT NULL,
    facts BIGINT NOT NULL,
    shipments BIGINT NOT NULL,
    PRIMARY KEY (dim, month, counterparty_id, manager_id, department_id, product_id, group_id)
);

-- The two kinds as readers see them: the columns are named and NULL like
-- sales_facts', so one filter text serves the totals and the facts.
CREATE VIEW sales_month_client AS
SELECT month, counterparty_id, manager_id, NULLIF(department_id, 0) AS department_id,
       qty, revenue, revenue_net, cost, facts, shipments
FROM sales_months WHERE dim = 'client';

CREATE VIEW sales_month_product AS
SELECT month, product_id, NULLIF(group_id, 0) AS group_id,
       qty, revenue, revenue_net, cost, facts, shipments
FROM sales_months WHERE dim = 'product';

-- Existing data: the totals of the facts posted so far.
INSERT INTO sales_months (dim, month, counterparty_id, manager_id, department_id, product_id, group_id, qty, revenue, revenue_net, cost, facts, shipments)
SELECT 'client', month, counterparty_id, manager_id, COALESCE(department_id, 0), 0, 0,
       CAST(SUM(qty) AS BIGINT), CAST(SUM(revenue) AS BIGINT), CAST(SUM(revenue_net) AS BIGINT), CAST(SUM(cost) AS BIGINT),
       COUNT(*), COUNT(DISTINCT CASE WHEN purchase = 1 THEN document_id END)
FROM sales_facts
GROUP BY month, counterparty_id, manager_id, COALESCE(department_id, 0);

INSERT INTO sales_months (dim, month, counterparty_id, manager_id, department_id, product_id, group_id, qty, revenue, revenue_net, cost, facts, shipments)
SELECT 'product', month, 0, 0, 0, product_id, COALESCE(group_id, 0),
       CAST(SUM(qty) AS BIGINT), CAST(SUM(revenue) AS BIGINT), CAST(SUM(revenue_net) AS BIGINT), CAST(SUM(cost) AS BIGINT),
       COUNT(*), COUNT(DISTINCT CASE WHEN purchase = 1 THEN document_id END)
FROM sales_facts
GROUP BY month, product_id, COALESCE(group_id, 0);

-- The edge days of a period are read from the facts by date: an index that
-- holds every column those reads use answers them without visiting the
-- table (it replaces the (doc_date, counterparty_id) index, its prefix).
DROP INDEX sales_facts_date;
CREATE INDEX sales_facts_date_all ON sales_facts(doc_date, counterparty_id, product_id, group_id, manager_id, department_id, document_id, purchase, qty, revenue, revenue_net, cost);
