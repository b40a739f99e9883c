-- Issue 13, measured at 1M events (`cargo bench --bench events_pane`): a component filter had no
-- index, so its capped count read half the table to find 10,001 matches; sorting by title sorted
-- every row. Each index serves a query the EXPLAIN tests name (tests/events_explain.rs):
-- `component IN (…)` pages in last_seen order and their capped count (covering, status included);
-- `ORDER BY title, id` pages.
CREATE INDEX risk_events_component ON risk_events (component, last_seen, status);
CREATE INDEX risk_events_title ON risk_events (title, id);
