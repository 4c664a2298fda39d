-- Substring search without scanning: FTS5 trigram indexes over the `search`
-- columns, kept in step with their tables by triggers. SQLite only; on
-- PostgreSQL the same queries use the name index and parallel scans.
CREATE VIRTUAL TABLE counterparties_fts USING fts5(search, content='counterparties', content_rowid='id', tokenize='trigram');
INSERT INTO counterparties_fts(counterparties_fts) VALUES ('rebuild');
CREATE TRIGGER counterparties_fts_ai AFTER INSERT ON counterparties BEGIN
    INSERT INTO counterparties_fts(rowid, search) VALUES (new.id, new.search);
END;
CREATE TRIGGER counterparties_fts_ad AFTER DELETE ON counterparties BEGIN
    INSERT INTO counterparties_fts(counterparties_fts, rowid, search) VALUES ('delete', old.id, old.search);
END;
CREATE TRIGGER counterparties_fts_au AFTER UPDATE OF search ON counterparties BEGIN
    INSERT INTO counterparties_fts(counterparties_fts, rowid, search) VALUES ('delete', old.id, old.search);
    INSERT INTO counterparties_fts(rowid, search) VALUES (new.id, new.search);
END;
CREATE VIRTUAL TABLE products_fts USING fts5(search, content='products', content_rowid='id', tokenize='trigram');
INSERT INTO products_fts(products_fts) VALUES ('rebuild');
CREATE TRIGGER products_fts_ai AFTER INSERT ON products BEGIN
    INSERT INTO products_fts(rowid, search) VALUES (new.id, new.search);
END;
CREATE TRIGGER products_fts_ad AFTER DELETE ON products BEGIN
    INSERT INTO products_fts(products_fts, rowid, search) VALUES ('delete', old.id, old.search);
END;
CREATE TRIGGER products_fts_au AFTER UPDATE OF search ON products BEGIN
    INSERT INTO products_fts(products_fts, rowid, search) VALUES ('delete', old.id, old.search);
    INSERT INTO products_fts(rowid, search) VALUES (new.id, new.search);
END;
