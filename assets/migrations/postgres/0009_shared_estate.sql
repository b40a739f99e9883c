-- One key for an estate: a random text sealed with the estate's secret key. A process whose key
-- cannot open it refuses to start or to write secrets (it would seal them with a second key).
-- (The utf8mb4 conversion of the same migration is MySQL-family only.)
CREATE TABLE nw_key_verifier (
    id VARCHAR(16) PRIMARY KEY,
    verifier TEXT NOT NULL,
    created_by VARCHAR(255) NOT NULL,
    updated_at BIGINT NOT NULL
);
