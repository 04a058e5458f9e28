-- The key checks of the benchmark's 7 tables (`key_checks: always`), written by hand the way a
-- data engineer checks keys Redshift does not enforce: a GROUP BY per primary key for its
-- duplicates, an anti-join per foreign key for its orphans. `-- table:` lines split the file for
-- parallel runs.

-- table: browser_automations
SELECT COUNT(*) FROM (SELECT browser_automation_id FROM analytics.browser_automations GROUP BY browser_automation_id HAVING COUNT(*) > 1) AS d;
SELECT COUNT(*) FROM analytics.browser_automations c
WHERE NOT EXISTS (SELECT 1 FROM analytics.chat_sessions p WHERE p.session_id = c.session_id);
SELECT COUNT(*) FROM analytics.browser_automations c
WHERE c.tool_usage_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM analytics.tool_usage p WHERE p.tool_usage_id = c.tool_usage_id);

-- table: chat_sessions
SELECT COUNT(*) FROM (SELECT session_id FROM analytics.chat_sessions GROUP BY session_id HAVING COUNT(*) > 1) AS d;

-- table: responses
SELECT COUNT(*) FROM (SELECT response_id FROM analytics.responses GROUP BY response_id HAVING COUNT(*) > 1) AS d;
SELECT COUNT(*) FROM analytics.responses c
WHERE NOT EXISTS (SELECT 1 FROM analytics.chat_sessions p WHERE p.session_id = c.session_id);

-- table: tool_usage
SELECT COUNT(*) FROM (SELECT tool_usage_id FROM analytics.tool_usage GROUP BY tool_usage_id HAVING COUNT(*) > 1) AS d;
SELECT COUNT(*) FROM analytics.tool_usage c
WHERE NOT EXISTS (SELECT 1 FROM analytics.chat_sessions p WHERE p.session_id = c.session_id);

-- table: usage_metrics
SELECT COUNT(*) FROM (SELECT usage_metric_id FROM analytics.usage_metrics GROUP BY usage_metric_id HAVING COUNT(*) > 1) AS d;
SELECT COUNT(*) FROM analytics.usage_metrics c
WHERE NOT EXISTS (SELECT 1 FROM analytics.chat_sessions p WHERE p.session_id = c.session_id);

-- table: web_automations
SELECT COUNT(*) FROM (SELECT web_automation_id FROM analytics.web_automations GROUP BY web_automation_id HAVING COUNT(*) > 1) AS d;
SELECT COUNT(*) FROM analytics.web_automations c
WHERE NOT EXISTS (SELECT 1 FROM analytics.chat_sessions p WHERE p.session_id = c.session_id);
SELECT COUNT(*) FROM analytics.web_automations c
WHERE c.tool_usage_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM analytics.tool_usage p WHERE p.tool_usage_id = c.tool_usage_id);

-- table: web_searches
SELECT COUNT(*) FROM (SELECT web_search_id FROM analytics.web_searches GROUP BY web_search_id HAVING COUNT(*) > 1) AS d;
SELECT COUNT(*) FROM analytics.web_searches c
WHERE NOT EXISTS (SELECT 1 FROM analytics.chat_sessions p WHERE p.session_id = c.session_id);
SELECT COUNT(*) FROM analytics.web_searches c
WHERE c.tool_usage_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM analytics.tool_usage p WHERE p.tool_usage_id = c.tool_usage_id);
