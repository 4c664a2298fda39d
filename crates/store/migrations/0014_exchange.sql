-- Exchange with the bank (1CClientBankExchange statements in, payment
-- orders out) and imports of existing records.

-- One uploaded statement: what was read and who read it.
CREATE TABLE bank_imports (
    id ID_PK,
    file_name TEXT NOT NULL DEFAULT '',
    encoding TEXT NOT NULL DEFAULT '',
    date_from TEXT,
    date_to TEXT,
    docs BIGINT NOT NULL DEFAULT 0,
    created_by BIGINT REFERENCES employees(id),
    created_at TEXT NOT NULL,
    posted_at TEXT
);

-- Every bank document ever imported. The unique key — our account, the
-- bank's number, date, amount and the other party's account — is what
-- makes a second import of the same (or an overlapping) statement create
-- nothing. direction: `in` (money to us) or `out`. payment_id: the draft
-- (later posted) payment made from it; NULL while nobody is matched.
CREATE TABLE bank_docs (
    id ID_PK,
    import_id BIGINT NOT NULL REFERENCES bank_imports(id),
    bank_account_id BIGINT NOT NULL REFERENCES company_bank_accounts(id),
    our_account TEXT NOT NULL,
    number TEXT NOT NULL,
    doc_date TEXT NOT NULL,
    amount BIGINT NOT NULL,
    other_account TEXT NOT NULL,
    direction TEXT NOT NULL,
    other_inn TEXT NOT NULL DEFAULT '',
    other_kpp TEXT NOT NULL DEFAULT '',
    other_name TEXT NOT NULL DEFAULT '',
    other_bank TEXT NOT NULL DEFAULT '',
    other_bic TEXT NOT NULL DEFAULT '',
    other_corr TEXT NOT NULL DEFAULT '',
    purpose TEXT NOT NULL DEFAULT '',
    counterparty_id BIGINT REFERENCES counterparties(id),
    order_id BIGINT REFERENCES documents(id),
    invoice_id BIGINT REFERENCES documents(id),
    payment_id BIGINT REFERENCES documents(id),
    match_reason TEXT NOT NULL DEFAULT '',
    CONSTRAINT bank_docs_key UNIQUE (our_account, number, doc_date, amount, other_account)
);
CREATE INDEX bank_docs_import ON bank_docs(import_id, id);
CREATE INDEX bank_docs_payment ON bank_docs(payment_id);
CREATE INDEX counterparty_bank_accounts_account ON counterparty_bank_accounts(account);
CREATE INDEX company_bank_accounts_account ON company_bank_accounts(account);
