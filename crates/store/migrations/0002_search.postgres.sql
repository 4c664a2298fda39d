-- PostgreSQL twin of 0002_search: nothing to create. Substring search there
-- walks the name index or runs a parallel scan; a pg_trgm index would need a
-- database-wide extension, which a shared server may not allow.
SELECT 1;
