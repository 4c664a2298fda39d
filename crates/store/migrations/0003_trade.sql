-- Lines of orders, shipments, receipts and returns; stock by warehouse and product.
-- order_id: the sales or purchase order a document belongs to;
-- base_id: the shipment (or receipt) a return reverses.
ALTER TABLE documents ADD COLUMN order_id BIGINT REFERENCES documents(id);
ALTER TABLE documents ADD COLUMN base_id BIGINT REFERENCES documents(id);
ALTER TABLE documents ADD COLUMN replacement_required BIGINT NOT NULL DEFAULT 0;

CREATE TABLE document_lines (
    id ID_PK,
    document_id BIGINT NOT NULL REFERENCES documents(id),
    line_no BIGINT NOT NULL,
    product_id BIGINT NOT NULL REFERENCES products(id),
    -- thousandths of the unit
    qty BIGINT NOT NULL,
    -- kopecks, VAT included
    price BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    vat_rate TEXT NOT NULL,
    vat BIGINT NOT NULL,
    -- the line this one fulfils (an order line, for a shipment or receipt)
    -- or reverses (a shipment or receipt line, for a return)
    base_line_id BIGINT REFERENCES document_lines(id),
    -- an order line's remainder closed by hand, with the reason
    closed_qty BIGINT NOT NULL DEFAULT 0,
    close_reason TEXT NOT NULL DEFAULT '',
    CONSTRAINT document_lines_no_key UNIQUE (document_id, line_no)
);
CREATE INDEX document_lines_base_line ON document_lines(base_line_id);
CREATE INDEX document_lines_product ON document_lines(product_id);

-- Current stock; kept in step with stock_moves in the same transaction, so a
-- check reads one row (locked on PostgreSQL) instead of summing history.
CREATE TABLE stock (
    warehouse_id BIGINT NOT NULL REFERENCES warehouses(id),
    product_id BIGINT NOT NULL REFERENCES products(id),
    qty BIGINT NOT NULL,
    PRIMARY KEY (warehouse_id, product_id)
);

-- Append-only, like the settlement ledger.
CREATE TABLE stock_moves (
    id ID_PK,
    document_id BIGINT NOT NULL REFERENCES documents(id),
    warehouse_id BIGINT NOT NULL REFERENCES warehouses(id),
    product_id BIGINT NOT NULL REFERENCES products(id),
    move_date TEXT NOT NULL,
    qty BIGINT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX stock_moves_product ON stock_moves(product_id, warehouse_id, move_date);
CREATE INDEX settlement_order ON settlement_entries(order_id);
CREATE INDEX documents_order ON documents(order_id);
CREATE INDEX documents_base ON documents(base_id);
