-- The DR dashboard: datacenters, DR systems and sync links (content as code, JSON definitions),
-- the time series the collectors write (links, water levels, zone traffic; raw samples are
-- downsampled to one per subject per 5 minutes after an hour and dropped after the retention),
-- and the readiness verdict of each switchover direction.
CREATE TABLE dr_datacenters (
    name VARCHAR(255) PRIMARY KEY,
    definition TEXT NOT NULL,
    builtin BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE dr_systems (
    name VARCHAR(255) PRIMARY KEY,
    definition TEXT NOT NULL,
    builtin BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE dr_links (
    name VARCHAR(255) PRIMARY KEY,
    definition TEXT NOT NULL,
    builtin BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- kind: link | level | traffic. subject: the link name, `component/kind` of a water level, or the
-- zone. amount: lag ms (-1 unknown) | used | traffic x1000; extra: bytes behind (-1 unknown) | max | 0.
-- coarse: 0 raw, 1 a downsampled average.
CREATE TABLE dr_samples (
    id BIGSERIAL PRIMARY KEY,
    kind VARCHAR(16) NOT NULL,
    subject VARCHAR(255) NOT NULL,
    at BIGINT NOT NULL,
    state VARCHAR(16) NOT NULL,
    amount BIGINT NOT NULL,
    extra BIGINT NOT NULL,
    message TEXT NOT NULL,
    detail TEXT NOT NULL,
    coarse BIGINT NOT NULL
);
CREATE INDEX dr_samples_subject ON dr_samples (kind, subject, at);
CREATE INDEX dr_samples_at ON dr_samples (at);

CREATE TABLE dr_readiness (
    direction VARCHAR(255) PRIMARY KEY,
    verdict TEXT NOT NULL,
    at BIGINT NOT NULL
);
