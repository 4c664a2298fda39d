-- Issue 17: fewer b-tree pages written per posted document (as 0023).
--
-- Stock moves were indexed by (product, warehouse, date), an index no
-- query reads: a ten-line shipment filed its moves in ten leaves of it, one
-- per product, each written at commit — 10–12 of the 32–35 WAL pages of a
-- posted shipment (the bench's WAL read frame by frame). The one query of
-- the moves, a cancelled document's own (`reverse_stock`), scanned the
-- whole table for want of an index by document; by document, a posting's
-- moves sit together in one leaf, and that query reads them from it.
DROP INDEX stock_moves_product;
CREATE INDEX stock_moves_document ON stock_moves(document_id);
