-- Discount scales: named cumulative scales and volume-maintenance rule sets.
-- kind: cumulative | volume. A counterparty is given at most one of each
-- (NULL: the default named by the settings `default_cumulative_scale` and
-- `default_volume_scale`; 0: none, withheld). The rules that existed become
-- the default scale and set, so quotes stay as they were.
CREATE TABLE discount_scales (
    id ID_PK,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    archived BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
INSERT INTO discount_scales (kind, name, archived, created_at) VALUES ('cumulative', 'Стандартная', 0, '2026-01-01T00:00:00Z');
INSERT INTO discount_scales (kind, name, archived, created_at) VALUES ('volume', 'Стандартный', 0, '2026-01-01T00:00:00Z');
ALTER TABLE cumulative_thresholds ADD COLUMN scale_id BIGINT;
ALTER TABLE volume_rules ADD COLUMN scale_id BIGINT;
UPDATE cumulative_thresholds SET scale_id = (SELECT MIN(id) FROM discount_scales WHERE kind = 'cumulative');
UPDATE volume_rules SET scale_id = (SELECT MIN(id) FROM discount_scales WHERE kind = 'volume');
CREATE INDEX cumulative_thresholds_scale ON cumulative_thresholds(scale_id, archived, amount);
CREATE INDEX volume_rules_scale ON volume_rules(scale_id, archived, days);
ALTER TABLE counterparties ADD COLUMN cumulative_scale_id BIGINT;
ALTER TABLE counterparties ADD COLUMN volume_scale_id BIGINT;
INSERT INTO settings (key, value) SELECT 'default_cumulative_scale', CAST(MIN(id) AS TEXT) FROM discount_scales WHERE kind = 'cumulative' ON CONFLICT (key) DO NOTHING;
INSERT INTO settings (key, value) SELECT 'default_volume_scale', CAST(MIN(id) AS TEXT) FROM discount_scales WHERE kind = 'volume' ON CONFLICT (key) DO NOTHING;

-- Defect categories say whether a repair in them counts as a product
-- failure; misuse, transport damage and "no fault found" do not by default.
ALTER TABLE defect_categories ADD COLUMN counts_as_failure BIGINT NOT NULL DEFAULT 1;
UPDATE defect_categories SET counts_as_failure = 0 WHERE code IN ('misuse', 'no_fault');
INSERT INTO defect_categories (code, name_ru, name_en, counts_as_failure) VALUES ('transport', 'Повреждение при транспортировке', 'Transport damage', 0) ON CONFLICT (code) DO NOTHING;

-- Fair replacements: how a shipment replacing a return is priced
-- (returned_price | free | current_price; NULL on older ones: they were at
-- the rule price) and why; a line's cost of goods (kept when given free).
ALTER TABLE documents ADD COLUMN replacement_pricing TEXT;
ALTER TABLE documents ADD COLUMN replacement_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE document_lines ADD COLUMN cost BIGINT;

-- One-off buyers: the counterparty «Розничный покупатель» for walk-in
-- retail sales is marked `walk_in`; it is created once, on first use
-- (retail price type, no scales, credit limit 0).
ALTER TABLE counterparties ADD COLUMN walk_in BIGINT NOT NULL DEFAULT 0;
