-- Balances of every counterparty read only this index (amount included),
-- never the ledger table itself.
CREATE INDEX settlement_cp_date_amount ON settlement_entries(counterparty_id, entry_date, amount);
DROP INDEX settlement_cp_date;
