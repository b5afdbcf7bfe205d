--------------------------------------------------------------------------
-- Extension-wide routines: version and the access model.
--------------------------------------------------------------------------
CREATE FUNCTION experiments.version(
    OUT library_version   text,
    OUT extension_version text,
    OUT versions_match    boolean)
RETURNS record
LANGUAGE C STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'experiments_version';
COMMENT ON FUNCTION experiments.version() IS
    'version of the loaded library next to the installed SQL version';

CREATE FUNCTION experiments.uuid_v7()
RETURNS uuid
LANGUAGE C VOLATILE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'experiments_uuid_v7';
COMMENT ON FUNCTION experiments.uuid_v7() IS
    'a new time-ordered (version 7) uuid: Unix milliseconds, then random bits; the default key of recordings and cost-ledger rows';

CREATE FUNCTION experiments.grant_access(
    p_role      regrole,
    p_domains   text[]  DEFAULT NULL,
    p_read_only boolean DEFAULT false)
RETURNS TABLE (domain text, routine text, writes boolean)
LANGUAGE C VOLATILE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_grant_access';
COMMENT ON FUNCTION experiments.grant_access(regrole, text[], boolean) IS
    'let a role call the routines of some or all domains (read-only: only those that write nothing)';

CREATE FUNCTION experiments.revoke_access(
    p_role    regrole,
    p_domains text[] DEFAULT NULL)
RETURNS TABLE (domain text, routine text, writes boolean)
LANGUAGE C VOLATILE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_revoke_access';
COMMENT ON FUNCTION experiments.revoke_access(regrole, text[]) IS
    'take back what grant_access gave a role for some or all domains';

INSERT INTO experiments.api_routines (routine, domain, writes) VALUES
    ('experiments.version()',                                'public', false),
    ('experiments.uuid_v7()',                                'public', false),
    ('experiments.grant_access(regrole, text[], boolean)',   'admin',  true),
    ('experiments.revoke_access(regrole, text[])',           'admin',  true);
