-- Issue 12: a repair's custody (the client's unit in our custody, or our own)
-- follows from repairs.unit_state_before, so repairs opened before keep
-- working without a new column. The walk-in buyer's documents may carry
-- the buyer's name and phone for warranty.
ALTER TABLE documents ADD COLUMN buyer_name TEXT NOT NULL DEFAULT '';
ALTER TABLE documents ADD COLUMN buyer_phone TEXT NOT NULL DEFAULT '';
