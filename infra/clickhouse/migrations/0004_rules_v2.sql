-- Contract version 2: thirteen rules, and benefits stopped measured from the decisions that stop them.

-- Every rule and its kind (spec section 3); tests/unit/consumers/test_analytics_views.py keeps it
-- equal to schemas.alerts.RuleName. Views below start from it, so a rule with no alert yet shows as 0.
CREATE VIEW IF NOT EXISTS rule_catalog AS
SELECT rule, kind FROM values('rule String, kind String',
    ('medical_burden', 'risk'), ('expenditure_hardship', 'risk'), ('new_severe_disability', 'risk'),
    ('education_burden', 'risk'), ('income_shock', 'risk'), ('deceased_recipient', 'audit'),
    ('disability_mismatch', 'audit'), ('rural_unassisted', 'risk'), ('moved_away', 'audit'),
    ('incarcerated', 'audit'), ('vehicle_owner', 'audit'), ('property_holder', 'audit'),
    ('business_owner', 'audit'));

-- Each rule's precision: confirmed / verified, from caseworker verdicts, with the rule's kind.
DROP VIEW IF EXISTS rule_precision;
CREATE VIEW rule_precision AS
SELECT v.rule AS rule, any(c.kind) AS kind, countIf(v.verdict = 'confirmed') AS confirmed, count() AS verified,
       confirmed / verified AS precision
FROM case_verdicts AS v LEFT JOIN rule_catalog AS c ON v.rule = c.rule
WHERE v.is_verified AND v.rule != ''
GROUP BY v.rule;

-- One row per case resolved with benefit_stopped: the day it was decided (China Standard Time), the
-- date of the evidence (for deceased_recipient: the death), and the benefit it stopped: the person's
-- latest 在保 roster row up to that day as the pipeline saw it, else the roster figure in the alert's
-- evidence. months_since_evidence counts calendar months from the evidence to the decision (paid in
-- error, 0 when the alert is unknown here); overpaid_yuan = monthly benefit x those months.
CREATE VIEW IF NOT EXISTS case_stops AS
SELECT stopped.case_id AS case_id, stopped.at AS stopped_at, toDate(stopped.at, 'Asia/Shanghai') AS stopped_on,
       opened.rule AS rule, opened.alert_id AS alert_id, opened.person_key AS person_key,
       opened.township_code AS township_code, opened.monthly_benefit_fen AS evidence_benefit_fen
FROM (SELECT case_id, min(at) AS at FROM case_events FINAL WHERE resolution = 'benefit_stopped' GROUP BY case_id) AS stopped
INNER JOIN (SELECT case_id, anyIf(rule, rule != '') AS rule, anyIf(alert_id, alert_id != '') AS alert_id,
                   any(person_key) AS person_key, any(township_code) AS township_code,
                   max(monthly_benefit_fen) AS monthly_benefit_fen
            FROM case_events FINAL WHERE event_type = 'opened' GROUP BY case_id) AS opened
    ON stopped.case_id = opened.case_id;

CREATE VIEW IF NOT EXISTS benefits_stopped AS
SELECT s.case_id AS case_id, s.rule AS rule, s.person_key AS person_key, s.township_code AS township_code,
       s.stopped_at AS stopped_at, s.stopped_on AS stopped_on, a.event_time AS evidence_date,
       if(p.monthly_benefit_fen > 0, p.monthly_benefit_fen, s.evidence_benefit_fen) / 100 AS monthly_benefit_yuan,
       if(a.alert_id = '', 0, greatest(dateDiff('month', a.event_time, s.stopped_on), 0)) AS months_since_evidence,
       monthly_benefit_yuan * months_since_evidence AS overpaid_yuan
FROM case_stops AS s
LEFT JOIN (SELECT alert_id, any(event_time) AS event_time FROM alerts FINAL GROUP BY alert_id) AS a
    ON s.alert_id = a.alert_id
LEFT JOIN (SELECT s2.case_id AS case_id, argMax(r.amount_fen, r.event_time) AS monthly_benefit_fen
           FROM case_stops AS s2
           INNER JOIN (SELECT toString(person_key) AS person_key, event_time, amount_fen FROM events FINAL
                       WHERE feed = 'roster' AND attributes['status'] = '在保') AS r ON s2.person_key = r.person_key
           WHERE r.event_time <= s2.stopped_on
           GROUP BY s2.case_id) AS p
    ON s.case_id = p.case_id;

-- Benefits stopped by audits, and the money they save: per month of the decision and rule.
DROP VIEW IF EXISTS audit_savings;
CREATE VIEW audit_savings AS
SELECT toStartOfMonth(stopped_on) AS month, rule, count() AS benefits_stopped,
       sum(monthly_benefit_yuan) AS monthly_saved_yuan, sum(months_since_evidence) AS months_since_evidence,
       sum(overpaid_yuan) AS overpaid_yuan
FROM benefits_stopped
GROUP BY month, rule;

-- Every rule, also those with nothing yet: standing alerts, verdicts, precision, and outcomes.
CREATE VIEW IF NOT EXISTS rule_outcomes AS
SELECT c.rule AS rule, c.kind AS kind, a.alerts AS alerts, v.verified AS verified, v.confirmed AS confirmed,
       if(v.verified > 0, v.confirmed / v.verified, NULL) AS precision,
       g.granted AS assistance_granted, s.stopped AS benefits_stopped, s.monthly_saved_yuan AS monthly_saved_yuan
FROM rule_catalog AS c
LEFT JOIN (SELECT rule, count() AS alerts FROM alerts FINAL
           WHERE alert_id NOT IN (SELECT alert_id FROM alert_withdrawals) GROUP BY rule) AS a ON c.rule = a.rule
LEFT JOIN (SELECT rule, count() AS verified, countIf(verdict = 'confirmed') AS confirmed FROM case_verdicts
           WHERE is_verified GROUP BY rule) AS v ON c.rule = v.rule
LEFT JOIN (SELECT rule, count() AS stopped, sum(monthly_benefit_yuan) AS monthly_saved_yuan FROM benefits_stopped
           GROUP BY rule) AS s ON c.rule = s.rule
LEFT JOIN (SELECT o.rule AS rule, count() AS granted
           FROM (SELECT DISTINCT case_id FROM case_events FINAL WHERE resolution = 'assistance_granted') AS d
           INNER JOIN (SELECT case_id, anyIf(rule, rule != '') AS rule FROM case_events FINAL
                       WHERE event_type = 'opened' GROUP BY case_id) AS o ON d.case_id = o.case_id
           GROUP BY o.rule) AS g ON c.rule = g.rule;
