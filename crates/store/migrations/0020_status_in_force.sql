-- Today (issues 11, 17): the document carries the status in force on the
-- day it was last brought up to date (`status_id`, `status_date`: its
-- effective date) and the date of the next assignment after that day
-- (`status_next`, NULL if none). On any day D with
-- status_date <= D < status_next the copy is the current status, read from
-- the index alone; only other documents (a past day, or one whose next
-- assignment has come since) search the history. The server brings
-- documents whose next assignment has come up to date every minute or so
-- (`App::roll_statuses`). Existing rows carry the latest assignment and no
-- next date, which stays right: a latest assignment ahead of the day makes
-- its document search the history until it is brought up to date.
ALTER TABLE documents ADD COLUMN status_next TEXT;
DROP INDEX documents_today;
CREATE INDEX documents_today ON documents(responsible_id, status_id, status_date, status_next, state, kind, doc_date, amount, counterparty_id)
    WHERE status_id IS NOT NULL OR status_next IS NOT NULL;
CREATE INDEX documents_status_next ON documents(status_next) WHERE status_next IS NOT NULL;
-- Returns owed a replacement, by their responsible, from a small partial
-- index (the general staff index made Today read every return of a person).
CREATE INDEX documents_owed_staff ON documents(responsible_id, state, kind, doc_date)
    WHERE kind = 'return' AND replacement_required = 1 AND state = 'posted';
-- Replacements of a return: only documents that are one are indexed, so the
-- statistics no longer count every other document as one value (NULL) and
-- the planner takes this index instead of scanning shipments.
DROP INDEX documents_replacement;
CREATE INDEX documents_replacement ON documents(replacement_for_id) WHERE replacement_for_id IS NOT NULL;
