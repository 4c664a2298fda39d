-- Pricing and discounts. Rules are archived, never deleted: a document line
-- keeps the explanation of its price as it was decided.
INSERT INTO price_types (code, name, archived) VALUES ('retail', 'Розничная', 0) ON CONFLICT (code) DO NOTHING;

-- group_id NULL: every product.
CREATE TABLE personal_discounts (
    id ID_PK,
    counterparty_id BIGINT NOT NULL REFERENCES counterparties(id),
    group_id BIGINT REFERENCES product_groups(id),
    pct BIGINT NOT NULL,
    archived BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX personal_discounts_cp ON personal_discounts(counterparty_id, archived);

CREATE TABLE cumulative_thresholds (
    id ID_PK,
    amount BIGINT NOT NULL,
    pct BIGINT NOT NULL,
    archived BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE volume_rules (
    id ID_PK,
    days BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    pct BIGINT NOT NULL,
    archived BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

-- scope: all | group | product.
CREATE TABLE promotions (
    id ID_PK,
    name TEXT NOT NULL,
    date_from TEXT NOT NULL,
    date_to TEXT NOT NULL,
    scope TEXT NOT NULL,
    group_id BIGINT REFERENCES product_groups(id),
    product_id BIGINT REFERENCES products(id),
    pct BIGINT NOT NULL,
    archived BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX promotions_dates ON promotions(date_to, date_from);

-- No rows: every price type is eligible.
CREATE TABLE promotion_price_types (
    promotion_id BIGINT NOT NULL REFERENCES promotions(id),
    price_type_id BIGINT NOT NULL REFERENCES price_types(id),
    PRIMARY KEY (promotion_id, price_type_id)
);

-- Net purchases per customer and day (posted shipments minus customer
-- returns), kept in step with posting and cancelling, so a quote sums a few
-- day rows instead of the whole shipment history.
CREATE TABLE purchase_days (
    counterparty_id BIGINT NOT NULL REFERENCES counterparties(id),
    day TEXT NOT NULL,
    amount BIGINT NOT NULL,
    PRIMARY KEY (counterparty_id, day)
);
INSERT INTO purchase_days (counterparty_id, day, amount)
SELECT counterparty_id, doc_date, SUM(CASE WHEN kind = 'shipment' THEN amount ELSE -amount END)
FROM documents
WHERE state = 'posted' AND kind IN ('shipment', 'return') AND counterparty_id IS NOT NULL
GROUP BY counterparty_id, doc_date;

-- How a sales line's price was decided (NULL on lines priced by hand:
-- receipts, purchase orders). pricing: the candidates, as JSON.
ALTER TABLE document_lines ADD COLUMN retail_price BIGINT;
ALTER TABLE document_lines ADD COLUMN base_price BIGINT;
ALTER TABLE document_lines ADD COLUMN auto_pct BIGINT NOT NULL DEFAULT 0;
ALTER TABLE document_lines ADD COLUMN special_pct BIGINT NOT NULL DEFAULT 0;
ALTER TABLE document_lines ADD COLUMN rule_kind TEXT;
ALTER TABLE document_lines ADD COLUMN rule_id BIGINT;
ALTER TABLE document_lines ADD COLUMN pricing TEXT;
