--------------------------------------------------------------------------
-- The routine registry: which domain each API routine belongs to and whether
-- it writes.  grant_access() and revoke_access() read it; a contract test
-- checks that every routine of the extension appears here exactly once.
-- Routines are kept as text signatures (not regprocedure) so the table
-- survives pg_upgrade.
--------------------------------------------------------------------------
CREATE TABLE experiments.api_routines (
    routine text    PRIMARY KEY,
    domain  text    NOT NULL
        CHECK (domain IN ('experiments', 'orchestration', 'quota', 'campaigns',
                          'admin', 'public')),
    writes  boolean NOT NULL
);
COMMENT ON TABLE experiments.api_routines IS
    'API routines by domain; read by grant_access() and revoke_access()';
