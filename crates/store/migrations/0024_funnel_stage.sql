-- Issue 17: the funnel from one index.
--
-- The funnel counted a period's sales orders from an index of documents
-- and looked up each one's furthest stage in `doc_status`: one seek per
-- order, most of its time for 100 000 orders. The document now carries a
-- copy of that stage, kept with each assignment as its status in force is
-- (0020); `doc_status.max_stage` stays the kept value.
--
-- Both indexes the planner takes for the funnel hold it, so either plan
-- reads the index alone: `documents_funnel` (kind, date) without
-- statistics, `documents_staff` skipped through by employee and state when
-- STAT4 histograms show sales orders to be half the documents (measured on
-- the bench's 100 000 orders: 270 ms with the stage missing from
-- `documents_staff`, 32–39 ms with it; 75–100 ms with the look-up before).
ALTER TABLE documents ADD COLUMN max_stage BIGINT;
UPDATE documents SET max_stage = (SELECT s.max_stage FROM doc_status s WHERE s.document_id = documents.id)
    WHERE id IN (SELECT document_id FROM doc_status WHERE max_stage IS NOT NULL);
DROP INDEX documents_funnel;
CREATE INDEX documents_funnel ON documents(kind, doc_date, state, responsible_id, amount, max_stage);
DROP INDEX documents_staff;
CREATE INDEX documents_staff ON documents(responsible_id, state, kind, doc_date, amount, counterparty_id, number, max_stage);
