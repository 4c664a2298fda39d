-- Issue 12: a repair's custody (the client's unit in our custody, or our own)
-- follows from repairs.unit_state_before, so repairs opened before keep
-- working without a new column. The walk-in buyer's documents may carry
-- the buyer's name and phone for warranty.
ALTER TABLE documents ADD COLUMN buyer_name TEXT NOT NULL DEFAULT '';
ALTER TABLE documents ADD COLUMN buyer_phone TEXT NOT NULL DEFAULT '';

-- Issue 11 (Today at 1 000 000 assignments): each document carries its
-- latest assignment's status and date (a copy of doc_status, kept in the
-- same statement as it), so a person's documents with a status, their
-- current status and amounts come from one index range without a seek per
-- document; only rows shown (the newest 500, the due reminders) and the
-- documents whose latest assignment lies ahead touch other tables.
ALTER TABLE documents ADD COLUMN status_id BIGINT;
ALTER TABLE documents ADD COLUMN status_date TEXT;
UPDATE documents SET
    status_id = (SELECT s.latest_status_id FROM doc_status s WHERE s.document_id = documents.id),
    status_date = (SELECT s.latest_date FROM doc_status s WHERE s.document_id = documents.id)
WHERE id IN (SELECT document_id FROM doc_status);
CREATE INDEX documents_today ON documents(responsible_id, status_id, status_date, state, kind, doc_date, amount, counterparty_id) WHERE status_id IS NOT NULL;
-- The timeline picks a client's newest status changes from this index alone.
CREATE INDEX status_assignments_doc_created ON status_assignments(document_id, created_at, id);
DROP INDEX status_assignments_created;
-- A document's status on a day when its latest assignment lies ahead, from
-- the index alone (it replaces the one without the status).
CREATE INDEX status_assignments_current ON status_assignments(document_id, effective_date, id, status_id);
DROP INDEX status_assignments_doc;
