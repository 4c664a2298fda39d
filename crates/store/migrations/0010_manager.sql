-- The client's manager owns the work (issue 11): system reminders that reach
-- the counterparty's manager, absences with a deputy, contact persons and
-- interactions with clients.

-- A status whose reminders go to the counterparty's manager rather than to
-- the document's responsible (recalls, a repair ready to hand back).
ALTER TABLE statuses ADD COLUMN to_manager BIGINT NOT NULL DEFAULT 0;
INSERT INTO statuses (code, name_ru, name_en, kinds, is_reminder, funnel_stage, is_final, to_manager) VALUES ('recall', 'Отзыв: связаться с клиентом', 'Recall: contact the client', 'shipment', 1, NULL, 0, 1);
INSERT INTO statuses (code, name_ru, name_en, kinds, is_reminder, funnel_stage, is_final, to_manager) VALUES ('repair_ready', 'Ремонт готов: вернуть клиенту', 'Repair ready: hand it back', 'repair', 1, NULL, 0, 1);
CREATE INDEX doc_status_latest ON doc_status(latest_status_id, document_id);

-- An employee away from `date_from` to `date_to` (both included); the deputy
-- sees and acts on their work meanwhile. Cancelled, never deleted.
CREATE TABLE absences (
    id ID_PK,
    employee_id BIGINT NOT NULL REFERENCES employees(id),
    deputy_id BIGINT NOT NULL REFERENCES employees(id),
    date_from TEXT NOT NULL,
    date_to TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    cancelled BIGINT NOT NULL DEFAULT 0,
    created_by BIGINT REFERENCES employees(id),
    created_at TEXT NOT NULL
);
CREATE INDEX absences_deputy ON absences(deputy_id, date_to);
CREATE INDEX absences_employee ON absences(employee_id, date_to);

-- Contact persons of a counterparty; archived, never deleted.
CREATE TABLE contacts (
    id ID_PK,
    counterparty_id BIGINT NOT NULL REFERENCES counterparties(id),
    name TEXT NOT NULL,
    position TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    archived BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX contacts_cp ON contacts(counterparty_id, name);

-- A call, meeting, letter, message or note: a document of kind
-- `interaction` (statuses and reminders like any other) with these details.
-- `at`: local date and time, `YYYY-MM-DDTHH:MM`.
CREATE TABLE interactions (
    document_id ID_PK REFERENCES documents(id),
    at TEXT NOT NULL,
    channel TEXT NOT NULL,
    contact_id BIGINT REFERENCES contacts(id),
    subject TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT ''
);

-- The client timeline reads a counterparty's documents newest first.
CREATE INDEX documents_cp_timeline ON documents(counterparty_id, doc_date, id);
CREATE INDEX status_assignments_created ON status_assignments(document_id, created_at);
-- Returns still owed a replacement, found without scanning every return:
-- Today routes them to the client's manager, which no other index serves.
CREATE INDEX documents_replacement_owed ON documents(counterparty_id, responsible_id) WHERE kind = 'return' AND replacement_required = 1 AND state = 'posted';
