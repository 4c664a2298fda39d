-- Document statuses with effective dates, reminders, the sales funnel.
-- kinds: document kind codes separated by commas; empty: every kind.
-- funnel_stage: the stage's place in the sales funnel (sales orders only).
CREATE TABLE statuses (
    id ID_PK,
    code TEXT NOT NULL,
    name_ru TEXT NOT NULL,
    name_en TEXT NOT NULL,
    kinds TEXT NOT NULL DEFAULT '',
    is_reminder BIGINT NOT NULL DEFAULT 0,
    funnel_stage BIGINT,
    is_final BIGINT NOT NULL DEFAULT 0,
    archived BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT statuses_code_key UNIQUE (code)
);
INSERT INTO statuses (code, name_ru, name_en, kinds, is_reminder, funnel_stage, is_final) VALUES ('new', 'Новый', 'New', 'sales_order', 0, 1, 0);
INSERT INTO statuses (code, name_ru, name_en, kinds, is_reminder, funnel_stage, is_final) VALUES ('offer_sent', 'КП отправлено', 'Offer sent', 'sales_order', 0, 2, 0);
INSERT INTO statuses (code, name_ru, name_en, kinds, is_reminder, funnel_stage, is_final) VALUES ('agreed', 'Согласован', 'Agreed', 'sales_order', 0, 3, 0);
INSERT INTO statuses (code, name_ru, name_en, kinds, is_reminder, funnel_stage, is_final) VALUES ('invoiced', 'Счёт выставлен', 'Invoiced', 'sales_order', 0, 4, 0);
INSERT INTO statuses (code, name_ru, name_en, kinds, is_reminder, funnel_stage, is_final) VALUES ('paid', 'Оплачен', 'Paid', 'sales_order', 0, 5, 0);
INSERT INTO statuses (code, name_ru, name_en, kinds, is_reminder, funnel_stage, is_final) VALUES ('shipped', 'Отгружен', 'Shipped', 'sales_order', 0, 6, 0);
INSERT INTO statuses (code, name_ru, name_en, kinds, is_reminder, funnel_stage, is_final) VALUES ('won', 'Выигран', 'Won', 'sales_order', 0, 7, 1);
INSERT INTO statuses (code, name_ru, name_en, kinds, is_reminder, funnel_stage, is_final) VALUES ('lost', 'Проигран', 'Lost', 'sales_order', 0, NULL, 1);
INSERT INTO statuses (code, name_ru, name_en, kinds, is_reminder, funnel_stage, is_final) VALUES ('remind', 'Напомнить', 'Remind', '', 1, NULL, 0);
INSERT INTO statuses (code, name_ru, name_en, kinds, is_reminder, funnel_stage, is_final) VALUES ('call_back', 'Перезвонить клиенту', 'Call the client back', '', 1, NULL, 0);
INSERT INTO statuses (code, name_ru, name_en, kinds, is_reminder, funnel_stage, is_final) VALUES ('waiting', 'Ждём клиента', 'Waiting for the client', '', 0, NULL, 0);
INSERT INTO statuses (code, name_ru, name_en, kinds, is_reminder, funnel_stage, is_final) VALUES ('done', 'Выполнено', 'Done', '', 0, NULL, 0);

-- Append-only: a status change is a new row.
CREATE TABLE status_assignments (
    id ID_PK,
    document_id BIGINT NOT NULL REFERENCES documents(id),
    status_id BIGINT NOT NULL REFERENCES statuses(id),
    effective_date TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    employee_id BIGINT REFERENCES employees(id),
    created_at TEXT NOT NULL
);
CREATE INDEX status_assignments_doc ON status_assignments(document_id, effective_date, id);

-- Per document (keyed by the document's id: SQLite's rowid, one seek): its
-- latest assignment (by date, then id), so the current
-- status on a date is that row unless it lies in the future; and the
-- furthest funnel stage it ever reached. Kept with each assignment.
-- The latest assignment's status and note are copied here, so a Today view
-- touches one row per document unless its latest assignment is still ahead.
CREATE TABLE doc_status (
    document_id ID_PK REFERENCES documents(id),
    latest_id BIGINT NOT NULL,
    latest_date TEXT NOT NULL,
    latest_status_id BIGINT NOT NULL REFERENCES statuses(id),
    latest_note TEXT NOT NULL DEFAULT '',
    max_stage BIGINT
);

-- An employee's documents with what the Today view shows, from the index alone.
CREATE INDEX documents_staff ON documents(responsible_id, state, kind, doc_date, amount, counterparty_id, number);
-- The funnel reads orders of a period from this index alone.
CREATE INDEX documents_funnel ON documents(kind, doc_date, state, responsible_id, amount);
-- A shipment that replaces goods returned with "replacement required".
ALTER TABLE documents ADD COLUMN replacement_for_id BIGINT REFERENCES documents(id);
CREATE INDEX documents_replacement ON documents(replacement_for_id);
