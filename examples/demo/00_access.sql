-- Demo set-up shared by every domain: two application roles a newcomer can
-- log in as (the local cluster trusts local connections).
--   demo_app     may call every routine of every domain
--   demo_viewer  may call only the routines that write nothing
-- Domain demo files (10_experiments.sql, 20_orchestration.sql, ...) follow
-- in name order.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'demo_app') THEN
        CREATE ROLE demo_app LOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'demo_viewer') THEN
        CREATE ROLE demo_viewer LOGIN;
    END IF;
END $$;

SELECT count(*) AS routines_granted_to_demo_app
  FROM experiments.grant_access('demo_app');
SELECT count(*) AS routines_granted_to_demo_viewer
  FROM experiments.grant_access('demo_viewer', NULL, true);
SELECT * FROM experiments.version();
