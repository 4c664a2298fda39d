-- Issue 17: indexes on columns that are NULL in most rows hold only the
-- rows that have a value. Every document wrote a leaf page of each of these
-- indexes at commit just to file its NULL (an order has no order, base or
-- invoice; an order's lines have no base line): about eight of the ~95 WAL
-- pages of an order-to-cash cycle, each written and synced. Every query
-- that reads them compares the column with a value (`order_id = $1`, a
-- join on it), which implies it is not NULL, so both engines still use
-- them; nothing looks NULLs up through them.
DROP INDEX documents_order;
CREATE INDEX documents_order ON documents(order_id) WHERE order_id IS NOT NULL;
DROP INDEX documents_base;
CREATE INDEX documents_base ON documents(base_id) WHERE base_id IS NOT NULL;
DROP INDEX documents_invoice;
CREATE INDEX documents_invoice ON documents(invoice_id) WHERE invoice_id IS NOT NULL;
DROP INDEX document_lines_base_line;
CREATE INDEX document_lines_base_line ON document_lines(base_line_id) WHERE base_line_id IS NOT NULL;
