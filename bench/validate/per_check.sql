-- The same checks as fused.sql, one query per check, the way dbt runs its tests (each test is
-- its own query; a not_null test counts `WHERE col IS NULL`).

-- table: browser_automations
SELECT COUNT(*) FROM analytics.browser_automations WHERE event_date IS NULL;
SELECT COUNT(*) FROM analytics.browser_automations WHERE event_date <> DATE(event_timestamp);

-- table: chat_sessions
SELECT COUNT(*) FROM analytics.chat_sessions WHERE event_date IS NULL;
SELECT COUNT(*) FROM analytics.chat_sessions WHERE event_date <> DATE(event_timestamp);
SELECT COUNT(*) FROM analytics.chat_sessions WHERE request_timestamp IS NULL;

-- table: responses
SELECT COUNT(*) FROM analytics.responses WHERE event_date IS NULL;
SELECT COUNT(*) FROM analytics.responses WHERE event_date <> DATE(event_timestamp);

-- table: tool_usage
SELECT COUNT(*) FROM analytics.tool_usage WHERE event_date IS NULL;
SELECT COUNT(*) FROM analytics.tool_usage WHERE event_date <> DATE(event_timestamp);
SELECT COUNT(*) FROM analytics.tool_usage WHERE tool_category NOT IN ('web_search', 'browser_automation', 'web_automation', 'other');
SELECT SUM(n) FROM (SELECT COUNT(*) AS n FROM analytics.tool_usage GROUP BY session_id, step_index HAVING COUNT(*) > 1) AS steps;

-- table: usage_metrics
SELECT COUNT(*) FROM analytics.usage_metrics WHERE event_date IS NULL;
SELECT COUNT(*) FROM analytics.usage_metrics WHERE event_date <> DATE(event_timestamp);
SELECT COUNT(*) FROM analytics.usage_metrics WHERE request_timestamp IS NULL;
SELECT COUNT(*) FROM analytics.usage_metrics WHERE response_timestamp IS NULL;
SELECT COUNT(*) FROM analytics.usage_metrics WHERE ABS(latency_ms - date_part('epoch', response_timestamp - request_timestamp) * 1000) > 1000;
SELECT COUNT(*) FROM analytics.usage_metrics WHERE total_tokens <> prompt_tokens + completion_tokens;

-- table: web_automations
SELECT COUNT(*) FROM analytics.web_automations WHERE event_date IS NULL;
SELECT COUNT(*) FROM analytics.web_automations WHERE event_date <> DATE(event_timestamp);
SELECT COUNT(*) FROM analytics.web_automations WHERE action_type IS NULL;
SELECT COUNT(*) FROM analytics.web_automations WHERE domain_category IS NULL;
SELECT COUNT(*), SUM(CASE WHEN domain_category = 'Unknown' THEN 1 ELSE 0 END) FROM analytics.web_automations;
SELECT COUNT(*) FROM analytics.web_automations w
LEFT JOIN (SELECT domain_name, MIN(domain_category) AS category FROM analytics.domain_classifications
           WHERE is_active GROUP BY domain_name) d ON d.domain_name = w.domain_name
WHERE w.domain_category <> COALESCE(d.category, 'Unknown');

-- table: web_searches
SELECT COUNT(*) FROM analytics.web_searches WHERE event_date IS NULL;
SELECT COUNT(*) FROM analytics.web_searches WHERE event_date <> DATE(event_timestamp);
SELECT COUNT(*) FROM analytics.web_searches WHERE event_date >= CURRENT_DATE - 7 AND num_results IS NULL;
