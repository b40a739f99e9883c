-- MySQL-family only (utf8mb4 text columns). SQLite stores UTF-8 text of any length as it comes;
-- kept so the three dialects share one numbering.
SELECT 1;
