-- Filters and sorts of the Events pane that scanned the table: `ds:`, `sort:count`, and the
-- default view (everything but suppressed, newest first).
CREATE INDEX risk_events_ds_type ON risk_events (ds_type, last_seen);
CREATE INDEX risk_events_count ON risk_events (count);
CREATE INDEX risk_events_status_last_seen ON risk_events (status, last_seen);
