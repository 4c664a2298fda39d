-- Issue 17: fewer b-tree pages written per posted document.
--
-- The covering index of the sales facts by date was keyed (date, client,
-- product, …): a shipment's ten facts went to ten places in it, one per
-- product, and its commit wrote a leaf page for each (ten of a posting's
-- ~35 WAL pages, and 21 of the 59 µs its insert took). Keyed (date,
-- document, …), a document's facts sit together and land in one leaf. The
-- reads it serves scan a range of dates and filter or group the rest, which
-- either order answers from the index alone; the documents list of the
-- sales report is ordered by date and document, as it now is.
DROP INDEX sales_facts_date_all;
CREATE INDEX sales_facts_date_all ON sales_facts(doc_date, document_id, counterparty_id, product_id, group_id, manager_id, department_id, purchase, qty, revenue, revenue_net, cost);
-- (counterparty, date) is the prefix of the client timeline's (counterparty,
-- date, id), which answers every query the shorter one did: one b-tree
-- less to update for every document written.
DROP INDEX documents_cp;
-- Ledger entries by order: a payment or a shipment without an order has
-- none, and filed its NULL at every commit (see 0021).
DROP INDEX settlement_order;
CREATE INDEX settlement_order ON settlement_entries(order_id) WHERE order_id IS NOT NULL;
-- Document lines by product: a ten-line document filed its lines in ten
-- leaves of it, one per product, each written at commit. Its one reader,
-- a replacement's purchase cost (the latest posted receipt of a product),
-- reads receipts newest first by date (documents_funnel) and their lines
-- by document, and stops at the first that has the product.
DROP INDEX document_lines_product;
