-- Case events as the case tracker writes them (schemas.cases): the monthly benefit on record comes
-- with the opening event (from the alert's roster evidence); a resolution says what was done.
ALTER TABLE case_events ADD COLUMN IF NOT EXISTS resolution LowCardinality(String) DEFAULT '';
ALTER TABLE case_events ADD COLUMN IF NOT EXISTS monthly_benefit_fen Int64 DEFAULT 0;
ALTER TABLE case_events DROP COLUMN IF EXISTS monthly_benefit_stopped_fen;

-- Benefits stopped by audits, and the money they save each month: the benefit on record when the
-- case opened, counted in the month a caseworker resolved it with benefit_stopped.
DROP VIEW IF EXISTS audit_savings;
CREATE VIEW audit_savings AS
SELECT toStartOfMonth(stopped.at) AS month, cases.rule AS rule,
       count() AS benefits_stopped,
       sum(opened.monthly_benefit_fen) / 100 AS monthly_saved_yuan
FROM (SELECT case_id, min(at) AS at FROM case_events FINAL
      WHERE resolution = 'benefit_stopped' GROUP BY case_id) AS stopped
INNER JOIN (SELECT case_id, max(monthly_benefit_fen) AS monthly_benefit_fen FROM case_events FINAL
            WHERE event_type = 'opened' GROUP BY case_id) AS opened ON stopped.case_id = opened.case_id
INNER JOIN case_verdicts AS cases ON stopped.case_id = cases.case_id
GROUP BY month, rule;

-- 12345 hotline cases: time from opening to closure (the source is on the opening event only).
DROP VIEW IF EXISTS hotline_closure;
CREATE VIEW hotline_closure AS
SELECT case_id, township_code, opened_at, closed_at,
       dateDiff('second', opened_at, closed_at) / 3600 AS hours_to_close
FROM (SELECT case_id, anyIf(township_code, township_code != '') AS township_code, min(at) AS opened_at,
             minIf(at, to_state = 'closed') AS closed_at, countIf(to_state = 'closed') > 0 AS closed,
             countIf(source = 'hotline') > 0 AS hotline
      FROM case_events FINAL
      GROUP BY case_id)
WHERE closed AND hotline;
