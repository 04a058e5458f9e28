-- The shipped checks of the benchmark's 7 tables, written by hand the way seed 000's validation
-- queries are: one aggregate query per table (the practical floor), plus the GROUP BY a unique
-- check needs. `-- table:` lines split the file for parallel runs.

-- table: browser_automations
SELECT COUNT(*) AS total_rows,
       COUNT(*) - COUNT(event_date) AS missing_event_date,
       SUM(CASE WHEN event_date <> DATE(event_timestamp) THEN 1 ELSE 0 END) AS wrong_event_date
FROM analytics.browser_automations;

-- table: chat_sessions
SELECT COUNT(*) AS total_rows,
       COUNT(*) - COUNT(event_date) AS missing_event_date,
       SUM(CASE WHEN event_date <> DATE(event_timestamp) THEN 1 ELSE 0 END) AS wrong_event_date,
       COUNT(*) - COUNT(request_timestamp) AS missing_request_timestamp
FROM analytics.chat_sessions;

-- table: responses
SELECT COUNT(*) AS total_rows,
       COUNT(*) - COUNT(event_date) AS missing_event_date,
       SUM(CASE WHEN event_date <> DATE(event_timestamp) THEN 1 ELSE 0 END) AS wrong_event_date
FROM analytics.responses;

-- table: tool_usage
SELECT COUNT(*) AS total_rows,
       COUNT(*) - COUNT(event_date) AS missing_event_date,
       SUM(CASE WHEN event_date <> DATE(event_timestamp) THEN 1 ELSE 0 END) AS wrong_event_date,
       SUM(CASE WHEN tool_category NOT IN ('web_search', 'browser_automation', 'web_automation', 'other') THEN 1 ELSE 0 END) AS unknown_tool_category
FROM analytics.tool_usage;
SELECT SUM(n) AS total_rows, SUM(CASE WHEN n > 1 THEN n ELSE 0 END) AS duplicated_rows
FROM (SELECT COUNT(*) AS n FROM analytics.tool_usage GROUP BY session_id, step_index) AS steps;

-- table: usage_metrics
SELECT COUNT(*) AS total_rows,
       COUNT(*) - COUNT(event_date) AS missing_event_date,
       SUM(CASE WHEN event_date <> DATE(event_timestamp) THEN 1 ELSE 0 END) AS wrong_event_date,
       COUNT(*) - COUNT(request_timestamp) AS missing_request_timestamp,
       COUNT(*) - COUNT(response_timestamp) AS missing_response_timestamp,
       SUM(CASE WHEN ABS(latency_ms - date_part('epoch', response_timestamp - request_timestamp) * 1000) > 1000 THEN 1 ELSE 0 END) AS latency_mismatch,
       SUM(CASE WHEN total_tokens <> prompt_tokens + completion_tokens THEN 1 ELSE 0 END) AS tokens_mismatch
FROM analytics.usage_metrics;

-- table: web_automations
SELECT COUNT(*) AS total_rows,
       COUNT(*) - COUNT(event_date) AS missing_event_date,
       SUM(CASE WHEN event_date <> DATE(event_timestamp) THEN 1 ELSE 0 END) AS wrong_event_date,
       COUNT(*) - COUNT(action_type) AS missing_action_type,
       COUNT(*) - COUNT(domain_category) AS missing_domain_category,
       SUM(CASE WHEN domain_category = 'Unknown' THEN 1 ELSE 0 END) AS unknown_count,
       SUM(CASE WHEN w.domain_category <> COALESCE(d.category, 'Unknown') THEN 1 ELSE 0 END) AS not_looked_up
FROM analytics.web_automations w
LEFT JOIN (SELECT domain_name AS name, MIN(domain_category) AS category FROM analytics.domain_classifications
           WHERE is_active GROUP BY domain_name) d ON d.name = w.domain_name;

-- table: web_searches
SELECT COUNT(*) AS total_rows,
       COUNT(*) - COUNT(event_date) AS missing_event_date,
       SUM(CASE WHEN event_date <> DATE(event_timestamp) THEN 1 ELSE 0 END) AS wrong_event_date,
       SUM(CASE WHEN event_date >= CURRENT_DATE - 7 THEN 1 ELSE 0 END) AS recent_searches,
       SUM(CASE WHEN event_date >= CURRENT_DATE - 7 AND num_results IS NULL THEN 1 ELSE 0 END) AS recent_missing_num_results
FROM analytics.web_searches;
