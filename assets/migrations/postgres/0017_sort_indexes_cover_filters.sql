-- Issue 13, measured at 1M events (`cargo bench --bench events_pane`): a page sorted by title or by
-- count under a column filter (level, status, data source, source) walked the sort's index and read
-- the table row of every entry to test the filter; where the first titles hold no match (all
-- "Backup job failed" events are P1/P3, so `level:P0 sort:title` skips them all) that was 166,000
-- row reads (0.27–1.5 s). The filtered columns ride along in the sort's index, so the test reads
-- the index entry and only matching rows touch the table (16 ms for the same page). Served queries
-- are named in tests/events_explain.rs (`level:P0 sort:title`, `status:suppressed sort:-count`).
DROP INDEX risk_events_title;
CREATE INDEX risk_events_title ON risk_events (title, id, status, level, ds_type, source);
DROP INDEX risk_events_count;
CREATE INDEX risk_events_count ON risk_events (count, id, status, level, ds_type, source);
