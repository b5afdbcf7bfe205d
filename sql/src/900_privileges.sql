--------------------------------------------------------------------------
-- Privileges (SPEC section 4).  Everything starts closed: no table or
-- sequence is granted to anyone, and every routine is revoked from PUBLIC
-- except version() and uuid_v7() (a key generator, as gen_random_uuid() is
-- for everyone: a role given INSERT on a table must be able to use its
-- default).  Roles get access through experiments.grant_access().
-- USAGE on the schema only lets names be looked up; it opens no object.
--------------------------------------------------------------------------
REVOKE ALL ON ALL TABLES IN SCHEMA experiments FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA experiments FROM PUBLIC;
REVOKE ALL ON ALL ROUTINES IN SCHEMA experiments FROM PUBLIC;
GRANT USAGE ON SCHEMA experiments TO PUBLIC;
GRANT EXECUTE ON FUNCTION experiments.version() TO PUBLIC;
GRANT EXECUTE ON FUNCTION experiments.uuid_v7() TO PUBLIC;
