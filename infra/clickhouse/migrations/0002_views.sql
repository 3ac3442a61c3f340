-- Views the dashboards and `safetynet sql` read. All read FINAL so re-deliveries count once.

-- Alerts per rule, township and ISO week (of event time), without the withdrawn ones.
CREATE VIEW IF NOT EXISTS alerts_per_week AS
SELECT rule, township_code, toMonday(event_time) AS week, count() AS alerts
FROM alerts FINAL
WHERE alert_id NOT IN (SELECT alert_id FROM alert_withdrawals)
GROUP BY rule, township_code, week;

-- Per case: when it opened, when a caseworker first gave a verdict, and that verdict.
CREATE VIEW IF NOT EXISTS case_verdicts AS
SELECT case_id,
       anyIf(e_rule, e_rule != '') AS rule,
       anyIf(e_source, e_source != '') AS source,
       anyIf(e_township, e_township != '') AS township_code,
       min(e_at) AS opened_at,
       minIf(e_at, e_verdict != '') AS verified_at,
       argMinIf(e_verdict, e_at, e_verdict != '') AS verdict,
       countIf(e_verdict != '') > 0 AS is_verified
FROM (SELECT case_id, rule AS e_rule, source AS e_source, township_code AS e_township, at AS e_at,
             verdict AS e_verdict
      FROM case_events FINAL)
GROUP BY case_id;

-- Time from case opened to verification, per rule.
CREATE VIEW IF NOT EXISTS time_to_verification AS
SELECT rule, count() AS verified_cases,
       avg(dateDiff('second', opened_at, verified_at)) / 3600 AS mean_hours,
       quantile(0.5)(dateDiff('second', opened_at, verified_at)) / 3600 AS median_hours,
       quantile(0.9)(dateDiff('second', opened_at, verified_at)) / 3600 AS p90_hours
FROM case_verdicts
WHERE is_verified AND rule != ''
GROUP BY rule;

-- Each rule's precision: confirmed / verified, from caseworker verdicts.
CREATE VIEW IF NOT EXISTS rule_precision AS
SELECT rule, countIf(verdict = 'confirmed') AS confirmed, count() AS verified,
       confirmed / verified AS precision
FROM case_verdicts
WHERE is_verified AND rule != ''
GROUP BY rule;

-- Benefits stopped by audits, and the money they save each month.
CREATE VIEW IF NOT EXISTS audit_savings AS
SELECT toStartOfMonth(stopped.at) AS month, cases.rule AS rule,
       count() AS benefits_stopped,
       sum(stopped.monthly_benefit_stopped_fen) / 100 AS monthly_saved_yuan
FROM (SELECT case_id, at, monthly_benefit_stopped_fen FROM case_events FINAL
      WHERE monthly_benefit_stopped_fen > 0) AS stopped
INNER JOIN case_verdicts AS cases ON stopped.case_id = cases.case_id
GROUP BY month, rule;

-- 12345 hotline cases: time from opening to closure.
CREATE VIEW IF NOT EXISTS hotline_closure AS
SELECT case_id, township_code, opened_at, closed_at,
       dateDiff('second', opened_at, closed_at) / 3600 AS hours_to_close
FROM (SELECT case_id, any(township_code) AS township_code, min(at) AS opened_at,
             minIf(at, to_state = 'closed') AS closed_at, countIf(to_state = 'closed') > 0 AS closed
      FROM case_events FINAL
      WHERE source = 'hotline'
      GROUP BY case_id)
WHERE closed;
