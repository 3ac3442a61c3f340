-- Analytics tables. No raw PII: people are person_key (HMAC); no names, ID numbers, masked IDs,
-- source keys or free text. ReplacingMergeTree collapses re-deliveries on the ORDER BY key;
-- read with FINAL (the views do).

CREATE TABLE IF NOT EXISTS events (
    feed          LowCardinality(String),
    event_id      String,
    kind          LowCardinality(String),
    person_key    FixedString(64),
    household_id  Nullable(String),
    township_code LowCardinality(String),
    event_time    Date,
    ingested_at   DateTime64(3, 'UTC'),
    amount_fen    Int64,                       -- the feed's main figure: out-of-pocket, loss, net cost, benefit
    attributes    Map(LowCardinality(String), String),  -- categorical fields only (status, action, grade...)
    figures       Map(LowCardinality(String), Int64)    -- every money figure of the payload, in fen
) ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(event_time)
ORDER BY (feed, event_id);

CREATE TABLE IF NOT EXISTS alerts (
    alert_id      String,
    rule          LowCardinality(String),
    kind          LowCardinality(String),
    severity      LowCardinality(String),
    person_key    FixedString(64),
    household_id  Nullable(String),
    township_code LowCardinality(String),
    event_time    Date,
    triggered_at  DateTime64(3, 'UTC'),
    rule_version  LowCardinality(String),
    evidence_feeds Array(LowCardinality(String)),
    top_figure    Nullable(Float64)
) ENGINE = ReplacingMergeTree(triggered_at)
ORDER BY alert_id;

CREATE TABLE IF NOT EXISTS alert_withdrawals (
    alert_id      String,
    rule          LowCardinality(String),
    township_code LowCardinality(String),
    withdrawn_at  DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree(withdrawn_at)
ORDER BY alert_id;

-- One row per case transition (consumers/cases publishes them on `case-events`).
CREATE TABLE IF NOT EXISTS case_events (
    case_id       String,
    version       UInt32,
    event_type    LowCardinality(String),
    to_state      LowCardinality(String),
    source        LowCardinality(String),      -- alert | hotline | tipoff | report | application
    alert_id      String,
    rule          LowCardinality(String),
    person_key    String,
    township_code LowCardinality(String),
    actor         LowCardinality(String),      -- the caseworker account, not a recipient
    at            DateTime64(3, 'UTC'),
    verdict       LowCardinality(String),      -- '' | confirmed | dismissed
    monthly_benefit_stopped_fen Int64          -- > 0 when this transition stopped a payment
) ENGINE = ReplacingMergeTree(at)
ORDER BY (case_id, version);

CREATE TABLE IF NOT EXISTS notifications (
    notification_id String,
    group_name    LowCardinality(String),
    person_key    FixedString(64),
    township_code LowCardinality(String),
    severity      LowCardinality(String),
    escalated     UInt8,
    rules         Array(LowCardinality(String)),
    alert_ids     Array(String),
    created_at    DateTime64(3, 'UTC'),
    delivered_at  DateTime64(3, 'UTC'),
    outcome       LowCardinality(String)
) ENGINE = ReplacingMergeTree(delivered_at)
ORDER BY notification_id;
