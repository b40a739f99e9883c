-- The SSH known-hosts store every engine shares: one row per (known-hosts host pattern, key type),
-- e.g. `[127.0.0.2]:2222` / `ssh-ed25519`. `key` is the base64 public key, `fingerprint` its
-- SHA256 fingerprint as `ssh-keygen -l` prints it; recorded by `nightwatch hosts trust`.
CREATE TABLE ssh_known_hosts (
    host VARCHAR(255) NOT NULL,
    key_type VARCHAR(64) NOT NULL,
    host_key TEXT NOT NULL,
    fingerprint VARCHAR(128) NOT NULL,
    component VARCHAR(255) NOT NULL,
    added_by VARCHAR(255) NOT NULL,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (host, key_type)
);
