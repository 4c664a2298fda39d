-- Cost of goods and sales analysis (issue 13).

-- The moving weighted-average cost of each product, company-wide (all
-- warehouses): qty in thousandths, value in kopecks net of VAT, unit_cost =
-- round(value × 1000 / qty) while qty > 0, else the last one. Locked (on
-- PostgreSQL) right after the stock rows when a document moves the product.
CREATE TABLE product_costs (
    product_id BIGINT PRIMARY KEY REFERENCES products(id),
    qty BIGINT NOT NULL,
    value BIGINT NOT NULL,
    unit_cost BIGINT NOT NULL
);

-- A posted line's cost: `cost` is the unit cost (kopecks per unit, net of
-- VAT), `cost_amount` = round(qty × cost), what the line took from (or
-- brought to) the stock value.
ALTER TABLE document_lines ADD COLUMN cost_amount BIGINT;

-- Production may add a work cost to the components' cost.
ALTER TABLE productions ADD COLUMN work_cost BIGINT NOT NULL DEFAULT 0;

-- One row per posted shipment or customer return line (returns negative),
-- and its negation when the document is cancelled: the facts the sales
-- report, ABC, quiet clients and the owner's page read, with the
-- dimensions fixed at posting (the document's responsible is the manager).
CREATE TABLE sales_facts (
    id ID_PK,
    document_id BIGINT NOT NULL REFERENCES documents(id),
    line_id BIGINT NOT NULL,
    doc_date TEXT NOT NULL,
    month TEXT NOT NULL,
    counterparty_id BIGINT NOT NULL REFERENCES counterparties(id),
    product_id BIGINT NOT NULL REFERENCES products(id),
    group_id BIGINT,
    manager_id BIGINT NOT NULL,
    department_id BIGINT,
    qty BIGINT NOT NULL,
    revenue BIGINT NOT NULL,
    revenue_net BIGINT NOT NULL,
    cost BIGINT NOT NULL,
    -- 1 for a shipment (a purchase, for quiet clients), 0 for a return
    purchase BIGINT NOT NULL
);
CREATE INDEX sales_facts_date ON sales_facts(doc_date, counterparty_id);
CREATE INDEX sales_facts_cp ON sales_facts(counterparty_id, doc_date);
CREATE INDEX sales_facts_doc ON sales_facts(document_id);

-- Each client's ABC class by revenue of the last 12 months (A, B, C;
-- empty: no sales), refreshed once a day when the counterparties are first
-- listed (setting `abc_classes_on`) and when the thresholds change; the
-- list filters by it.
ALTER TABLE counterparties ADD COLUMN abc_class TEXT NOT NULL DEFAULT '';

-- ABC thresholds (cumulative %, A then B).
INSERT INTO settings (key, value) VALUES ('abc_a_pct', '80') ON CONFLICT (key) DO NOTHING;
INSERT INTO settings (key, value) VALUES ('abc_b_pct', '95') ON CONFLICT (key) DO NOTHING;

-- Existing data: the average from the receipts posted so far (net of VAT),
-- applied to the stock on hand; the lines already posted take it too.
INSERT INTO product_costs (product_id, qty, value, unit_cost)
SELECT p.id,
       COALESCE(s.q, 0),
       CASE WHEN COALESCE(s.q, 0) > 0 AND r.sq > 0
            THEN (COALESCE(s.q, 0) * ((r.sn * 1000 + r.sq / 2) / r.sq) + 500) / 1000
            ELSE 0 END,
       CASE WHEN r.sq > 0 THEN (r.sn * 1000 + r.sq / 2) / r.sq ELSE 0 END
FROM products p
LEFT JOIN (SELECT product_id, CAST(SUM(qty) AS BIGINT) AS q FROM stock GROUP BY product_id) s ON s.product_id = p.id
LEFT JOIN (SELECT l.product_id, CAST(SUM(l.amount - l.vat) AS BIGINT) AS sn, CAST(SUM(l.qty) AS BIGINT) AS sq
           FROM document_lines l JOIN documents d ON d.id = l.document_id
           WHERE d.kind = 'receipt' AND d.state = 'posted' GROUP BY l.product_id) r ON r.product_id = p.id
WHERE s.q IS NOT NULL OR r.sq IS NOT NULL;

UPDATE document_lines SET cost = CASE WHEN qty > 0 THEN ((amount - vat) * 1000 + qty / 2) / qty ELSE 0 END
WHERE document_id IN (SELECT id FROM documents WHERE kind = 'receipt' AND state <> 'draft');
UPDATE document_lines SET cost = COALESCE((SELECT c.unit_cost FROM product_costs c WHERE c.product_id = document_lines.product_id), 0)
WHERE document_id IN (SELECT id FROM documents WHERE kind IN ('shipment', 'supplier_return') AND state <> 'draft');
UPDATE document_lines SET cost = COALESCE((SELECT b.cost FROM document_lines b WHERE b.id = document_lines.base_line_id), 0)
WHERE document_id IN (SELECT id FROM documents WHERE kind = 'return' AND state <> 'draft');
UPDATE document_lines SET cost_amount = (qty * cost + 500) / 1000
WHERE cost IS NOT NULL AND document_id IN (SELECT id FROM documents WHERE kind IN ('receipt', 'shipment', 'supplier_return', 'return') AND state <> 'draft');

INSERT INTO sales_facts (document_id, line_id, doc_date, month, counterparty_id, product_id, group_id, manager_id, department_id, qty, revenue, revenue_net, cost, purchase)
SELECT d.id, l.id, d.doc_date, SUBSTR(d.doc_date, 1, 7), d.counterparty_id, l.product_id, p.group_id, d.responsible_id, e.department_id,
       CASE WHEN d.kind = 'shipment' THEN l.qty ELSE -l.qty END,
       CASE WHEN d.kind = 'shipment' THEN l.amount ELSE -l.amount END,
       CASE WHEN d.kind = 'shipment' THEN l.amount - l.vat ELSE l.vat - l.amount END,
       CASE WHEN d.kind = 'shipment' THEN COALESCE(l.cost_amount, 0) ELSE -COALESCE(l.cost_amount, 0) END,
       CASE WHEN d.kind = 'shipment' THEN 1 ELSE 0 END
FROM documents d
JOIN document_lines l ON l.document_id = d.id
JOIN products p ON p.id = l.product_id
JOIN employees e ON e.id = d.responsible_id
WHERE d.kind IN ('shipment', 'return') AND d.state = 'posted' AND d.counterparty_id IS NOT NULL;
