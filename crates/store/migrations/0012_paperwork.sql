-- Russian paperwork: our company's card and bank accounts, counterparties'
-- requisites, invoices (счёт на оплату) as a document kind, outgoing e-mail.

-- Our company: one row, id 1. shipment_form: the default paper for a
-- shipment, `upd` or `torg12`.
CREATE TABLE company (
    id BIGINT PRIMARY KEY,
    full_name TEXT NOT NULL DEFAULT '',
    short_name TEXT NOT NULL DEFAULT '',
    inn TEXT NOT NULL DEFAULT '',
    kpp TEXT NOT NULL DEFAULT '',
    ogrn TEXT NOT NULL DEFAULT '',
    legal_address TEXT NOT NULL DEFAULT '',
    postal_address TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    director_name TEXT NOT NULL DEFAULT '',
    director_position TEXT NOT NULL DEFAULT '',
    accountant_name TEXT NOT NULL DEFAULT '',
    accountant_position TEXT NOT NULL DEFAULT '',
    vat_payer BIGINT NOT NULL DEFAULT 1,
    stamp_png TEXT NOT NULL DEFAULT '',
    signature_png TEXT NOT NULL DEFAULT '',
    shipment_form TEXT NOT NULL DEFAULT 'upd',
    warranty_terms TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL DEFAULT ''
);
INSERT INTO company (id) VALUES (1);

-- Our bank accounts, in their own table: a bank statement names them.
CREATE TABLE company_bank_accounts (
    id ID_PK,
    bank_name TEXT NOT NULL,
    bic TEXT NOT NULL,
    corr_account TEXT NOT NULL DEFAULT '',
    account TEXT NOT NULL,
    is_main BIGINT NOT NULL DEFAULT 0,
    archived BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    CONSTRAINT company_bank_accounts_key UNIQUE (bic, account)
);

ALTER TABLE counterparties ADD COLUMN full_name TEXT NOT NULL DEFAULT '';
ALTER TABLE counterparties ADD COLUMN ogrn TEXT NOT NULL DEFAULT '';
ALTER TABLE counterparties ADD COLUMN postal_address TEXT NOT NULL DEFAULT '';

CREATE TABLE counterparty_bank_accounts (
    id ID_PK,
    counterparty_id BIGINT NOT NULL REFERENCES counterparties(id),
    bank_name TEXT NOT NULL,
    bic TEXT NOT NULL,
    corr_account TEXT NOT NULL DEFAULT '',
    account TEXT NOT NULL,
    archived BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX counterparty_bank_accounts_cp ON counterparty_bank_accounts(counterparty_id);

-- An invoice's header is a `documents` row of kind `invoice` (number,
-- date, customer, amount, order_id); its lines are `document_lines`.
CREATE TABLE invoices (
    document_id BIGINT PRIMARY KEY REFERENCES documents(id),
    due_date TEXT NOT NULL,
    bank_account_id BIGINT REFERENCES company_bank_accounts(id)
);
-- The invoice a payment pays.
ALTER TABLE documents ADD COLUMN invoice_id BIGINT REFERENCES documents(id);
CREATE INDEX documents_invoice ON documents(invoice_id);

INSERT INTO statuses (code, name_ru, name_en, kinds, is_reminder, funnel_stage, is_final) VALUES ('remind_payment', 'Напомнить об оплате', 'Remind to pay', 'invoice', 1, NULL, 0);

-- SMTP and the daily digest: one row, id 1. The password is write-only.
CREATE TABLE mail_settings (
    id BIGINT PRIMARY KEY,
    host TEXT NOT NULL DEFAULT '',
    port BIGINT NOT NULL DEFAULT 587,
    security TEXT NOT NULL DEFAULT 'starttls',
    username TEXT NOT NULL DEFAULT '',
    password TEXT NOT NULL DEFAULT '',
    from_addr TEXT NOT NULL DEFAULT '',
    digest_time TEXT NOT NULL DEFAULT '08:00',
    updated_at TEXT NOT NULL DEFAULT ''
);
INSERT INTO mail_settings (id) VALUES (1);

ALTER TABLE employees ADD COLUMN digest_opt_out BIGINT NOT NULL DEFAULT 0;

-- Every message sent: to a client (with a PDF, base64) or an employee's
-- digest. state: queued, sent or failed; a queued one is tried again at
-- next_attempt_at.
CREATE TABLE outbox (
    id ID_PK,
    kind TEXT NOT NULL,
    counterparty_id BIGINT REFERENCES counterparties(id),
    document_id BIGINT REFERENCES documents(id),
    employee_id BIGINT REFERENCES employees(id),
    to_addr TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    attachment_name TEXT NOT NULL DEFAULT '',
    attachment TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES employees(id),
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
CREATE INDEX outbox_cp ON outbox(counterparty_id, id);

-- One digest per employee and day.
CREATE TABLE digest_days (
    employee_id BIGINT NOT NULL REFERENCES employees(id),
    day TEXT NOT NULL,
    PRIMARY KEY (employee_id, day)
);
