-- Written once for both engines. `ID_PK` becomes `INTEGER PRIMARY KEY` on
-- SQLite (the rowid alias) and an identity BIGINT on PostgreSQL. Flags are
-- BIGINT 0/1 and dates are ISO text on both, so one query text fits both.
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE departments (
    id ID_PK,
    name TEXT NOT NULL,
    head_id BIGINT,
    archived BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE employees (
    id ID_PK,
    login TEXT NOT NULL,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    department_id BIGINT REFERENCES departments(id),
    discount_limit BIGINT NOT NULL DEFAULT 0,
    email TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    archived BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    CONSTRAINT employees_login_key UNIQUE (login)
);

CREATE TABLE sessions (
    id ID_PK,
    token_hash TEXT NOT NULL UNIQUE,
    employee_id BIGINT NOT NULL REFERENCES employees(id),
    kind TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE TABLE price_types (
    id ID_PK,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    archived BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT price_types_code_key UNIQUE (code)
);

CREATE TABLE product_groups (
    id ID_PK,
    parent_id BIGINT REFERENCES product_groups(id),
    name TEXT NOT NULL,
    archived BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE products (
    id ID_PK,
    sku TEXT NOT NULL,
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    vat_rate TEXT NOT NULL,
    group_id BIGINT REFERENCES product_groups(id),
    serial_tracked BIGINT NOT NULL DEFAULT 0,
    warranty_months BIGINT NOT NULL DEFAULT 0,
    archived BIGINT NOT NULL DEFAULT 0,
    search TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT products_sku_key UNIQUE (sku)
);
CREATE INDEX products_name ON products(name, id);

CREATE TABLE prices (
    id ID_PK,
    product_id BIGINT NOT NULL REFERENCES products(id),
    price_type_id BIGINT NOT NULL REFERENCES price_types(id),
    effective_date TEXT NOT NULL,
    price BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    created_by BIGINT REFERENCES employees(id)
);
CREATE INDEX prices_lookup ON prices(product_id, price_type_id, effective_date);

CREATE TABLE warehouses (
    id ID_PK,
    name TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    archived BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE counterparties (
    id ID_PK,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    inn TEXT NOT NULL DEFAULT '',
    kpp TEXT NOT NULL DEFAULT '',
    price_type_id BIGINT REFERENCES price_types(id),
    manager_id BIGINT REFERENCES employees(id),
    credit_limit BIGINT,
    phone TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    contact_person TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    archived BIGINT NOT NULL DEFAULT 0,
    search TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX counterparties_name ON counterparties(name, id);
CREATE INDEX counterparties_manager ON counterparties(manager_id);
CREATE INDEX counterparties_inn ON counterparties(inn);

-- Numbering: one counter per document kind and year.
CREATE TABLE doc_counters (
    kind TEXT NOT NULL,
    year BIGINT NOT NULL,
    last BIGINT NOT NULL,
    PRIMARY KEY (kind, year)
);

-- The header every document kind shares; kind-specific lines live elsewhere.
CREATE TABLE documents (
    id ID_PK,
    kind TEXT NOT NULL,
    year BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    number TEXT NOT NULL,
    doc_date TEXT NOT NULL,
    state TEXT NOT NULL,
    author_id BIGINT NOT NULL REFERENCES employees(id),
    responsible_id BIGINT NOT NULL REFERENCES employees(id),
    counterparty_id BIGINT REFERENCES counterparties(id),
    warehouse_id BIGINT REFERENCES warehouses(id),
    amount BIGINT NOT NULL DEFAULT 0,
    comment TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    posted_at TEXT,
    cancelled_at TEXT,
    cancel_reason TEXT,
    CONSTRAINT documents_number_key UNIQUE (kind, year, seq)
);
CREATE INDEX documents_cp ON documents(counterparty_id, doc_date);
CREATE INDEX documents_kind ON documents(kind, doc_date, id);

-- Append-only: posting adds entries, cancelling adds reversing ones.
CREATE TABLE settlement_entries (
    id ID_PK,
    counterparty_id BIGINT NOT NULL REFERENCES counterparties(id),
    order_id BIGINT REFERENCES documents(id),
    document_id BIGINT NOT NULL REFERENCES documents(id),
    entry_date TEXT NOT NULL,
    amount BIGINT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX settlement_cp_date ON settlement_entries(counterparty_id, entry_date);

CREATE TABLE audit_log (
    id ID_PK,
    at TEXT NOT NULL,
    employee_id BIGINT REFERENCES employees(id),
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL DEFAULT '',
    details TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_at ON audit_log(at, id);

CREATE TABLE idempotency_keys (
    employee_id BIGINT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status BIGINT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (employee_id, key)
);
