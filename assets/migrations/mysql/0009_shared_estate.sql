-- Every text column in utf8mb4, so any alert's text (磁盘已满, emoji) is stored on a server whose
-- default is latin1 (nightwatch also sets the database default before migrating, so tables made
-- by later migrations are utf8mb4 from the start). Alert text columns become MEDIUMTEXT: a value
-- is bounded to 64 KiB and an alert to 1 MiB before it is written, more than TEXT's 65,535 bytes.
-- Fingerprints compare exactly (utf8mb4_bin): `am:ABC` and `am:abc` are two identities.
ALTER DATABASE CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
ALTER TABLE components CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
ALTER TABLE audit_log CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
ALTER TABLE nw_component CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
ALTER TABLE nw_master_vote CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
ALTER TABLE system_config CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
ALTER TABLE system_config_history CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
ALTER TABLE risk_events CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
ALTER TABLE event_log CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
ALTER TABLE outbox CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
ALTER TABLE rules CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
ALTER TABLE tasks CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
ALTER TABLE inspection_runs CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
ALTER TABLE inspection_results CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
ALTER TABLE inspection_tracks CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
ALTER TABLE plans CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
ALTER TABLE plan_versions CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
ALTER TABLE scenarios CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
ALTER TABLE plan_runs CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
ALTER TABLE plan_run_steps CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
ALTER TABLE risk_events
    MODIFY fingerprint VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    MODIFY summary MEDIUMTEXT NOT NULL,
    MODIFY labels MEDIUMTEXT NOT NULL,
    MODIFY annotations MEDIUMTEXT NOT NULL,
    MODIFY source_url MEDIUMTEXT NOT NULL;
ALTER TABLE event_log MODIFY message MEDIUMTEXT NOT NULL;
ALTER TABLE outbox MODIFY payload MEDIUMTEXT NOT NULL;

-- One key for an estate: a random text sealed with the estate's secret key. A process whose key
-- cannot open it refuses to start or to write secrets (it would seal them with a second key).
CREATE TABLE nw_key_verifier (
    id VARCHAR(16) PRIMARY KEY,
    verifier TEXT NOT NULL,
    created_by VARCHAR(255) NOT NULL,
    updated_at BIGINT NOT NULL
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
