-- MySQL-family only (utf8mb4 text columns). PostgreSQL TEXT is unbounded and its encoding is
-- checked at connect (UTF8); kept so the three dialects share one numbering.
SELECT 1;
