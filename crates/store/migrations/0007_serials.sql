-- Serial-numbered units, their as-built components, movements, repairs,
-- recalls.
-- state: stock (at warehouse_id) | customer (counterparty_id, shipment_id)
--      | repair | consumed (built into another unit) | scrapped
CREATE TABLE units (
    id ID_PK,
    product_id BIGINT NOT NULL REFERENCES products(id),
    serial TEXT NOT NULL,
    batch TEXT NOT NULL DEFAULT '',
    production_date TEXT NOT NULL,
    production_id BIGINT REFERENCES documents(id),
    state TEXT NOT NULL,
    warehouse_id BIGINT REFERENCES warehouses(id),
    counterparty_id BIGINT REFERENCES counterparties(id),
    shipment_id BIGINT REFERENCES documents(id),
    shipped_date TEXT,
    created_at TEXT NOT NULL,
    CONSTRAINT units_serial_key UNIQUE (product_id, serial)
);
CREATE INDEX units_serial ON units(serial);
CREATE INDEX units_batch ON units(batch, product_id);
CREATE INDEX units_product_date ON units(product_id, production_date);

-- As-built: what went into a unit. A replaced component keeps its row,
-- marked removed, so a recall by its lot still finds the unit.
CREATE TABLE unit_components (
    id ID_PK,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    product_id BIGINT NOT NULL REFERENCES products(id),
    component_unit_id BIGINT REFERENCES units(id),
    lot TEXT NOT NULL DEFAULT '',
    qty BIGINT NOT NULL,
    installed_by BIGINT REFERENCES documents(id),
    removed_by BIGINT REFERENCES documents(id),
    removed_date TEXT
);
CREATE INDEX unit_components_unit ON unit_components(unit_id);
CREATE INDEX unit_components_lot ON unit_components(lot, product_id, unit_id);
-- Partial: most components have no serial; an index full of NULLs makes
-- the planner scan the table for "which unit is this one built into".
CREATE INDEX unit_components_serial ON unit_components(component_unit_id) WHERE component_unit_id IS NOT NULL;

-- Every movement of a unit, for its trace card.
CREATE TABLE unit_moves (
    id ID_PK,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    document_id BIGINT REFERENCES documents(id),
    kind TEXT NOT NULL,
    move_date TEXT NOT NULL,
    counterparty_id BIGINT REFERENCES counterparties(id),
    warehouse_id BIGINT REFERENCES warehouses(id),
    note TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX unit_moves_unit ON unit_moves(unit_id, id);

-- Serials named on a document line (shipments, returns, receipts).
CREATE TABLE line_units (
    line_id BIGINT NOT NULL REFERENCES document_lines(id),
    unit_id BIGINT NOT NULL REFERENCES units(id),
    PRIMARY KEY (line_id, unit_id)
);
CREATE INDEX line_units_unit ON line_units(unit_id);

-- A production document's draft: what it will make.
CREATE TABLE productions (
    document_id ID_PK REFERENCES documents(id),
    product_id BIGINT NOT NULL REFERENCES products(id),
    batch TEXT NOT NULL DEFAULT '',
    spec TEXT NOT NULL
);

CREATE TABLE defect_categories (
    id ID_PK,
    code TEXT NOT NULL,
    name_ru TEXT NOT NULL,
    name_en TEXT NOT NULL,
    archived BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT defect_categories_code_key UNIQUE (code)
);
INSERT INTO defect_categories (code, name_ru, name_en) VALUES ('electrical', 'Электрика', 'Electrical');
INSERT INTO defect_categories (code, name_ru, name_en) VALUES ('mechanical', 'Механика', 'Mechanical');
INSERT INTO defect_categories (code, name_ru, name_en) VALUES ('firmware', 'Прошивка', 'Firmware');
INSERT INTO defect_categories (code, name_ru, name_en) VALUES ('wear', 'Износ', 'Wear');
INSERT INTO defect_categories (code, name_ru, name_en) VALUES ('misuse', 'Нарушение эксплуатации', 'Misuse');
INSERT INTO defect_categories (code, name_ru, name_en) VALUES ('no_fault', 'Неисправность не подтверждена', 'No fault found');

-- A repair order: a document (number, customer, responsible, ledger entry of
-- a paid repair) plus these fields.
CREATE TABLE repairs (
    document_id ID_PK REFERENCES documents(id),
    unit_id BIGINT NOT NULL REFERENCES units(id),
    state TEXT NOT NULL,
    complaint TEXT NOT NULL DEFAULT '',
    defect_category_id BIGINT REFERENCES defect_categories(id),
    warranty BIGINT NOT NULL,
    warranty_auto BIGINT NOT NULL,
    override_reason TEXT NOT NULL DEFAULT '',
    work TEXT NOT NULL DEFAULT '',
    price BIGINT NOT NULL DEFAULT 0,
    cost BIGINT NOT NULL DEFAULT 0,
    unit_state_before TEXT NOT NULL,
    received_date TEXT NOT NULL,
    closed_date TEXT
);
CREATE INDEX repairs_unit ON repairs(unit_id);

CREATE TABLE recalls (
    id ID_PK,
    name TEXT NOT NULL,
    criteria TEXT NOT NULL,
    created_by BIGINT REFERENCES employees(id),
    created_at TEXT NOT NULL
);
-- progress: pending | contacted | returned | repaired
CREATE TABLE recall_units (
    recall_id BIGINT NOT NULL REFERENCES recalls(id),
    unit_id BIGINT NOT NULL REFERENCES units(id),
    shipment_id BIGINT REFERENCES documents(id),
    counterparty_id BIGINT REFERENCES counterparties(id),
    progress TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (recall_id, unit_id)
);
CREATE INDEX recall_units_unit ON recall_units(unit_id);

-- A customer return whose units go straight to repair (a repair order each).
ALTER TABLE documents ADD COLUMN to_repair BIGINT NOT NULL DEFAULT 0;
