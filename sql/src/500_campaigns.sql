--------------------------------------------------------------------------
-- Campaigns domain (seed 004): lead-scraping campaigns.  A campaign covers
-- ZIP codes; scrapers upsert the businesses found in each ZIP (deduplicated
-- on Google's place_id, globally); several processes record API costs into
-- an exact ledger; enrichers attach Facebook and LinkedIn data; a verifier
-- records e-mail checks.  Shard key: the campaign id.
--
-- The tables follow the seed's public-schema mapping (gmaps_*), with these
-- departures (docs/design/campaigns.md says why):
--   * the campaign's cost columns hold 4 decimals, like the cost rows, so
--     the ledger adds up exactly; the seed had numeric(10,2) totals;
--   * gmaps_api_costs keeps an optional idempotency key and the campaign
--     total after the charge (the running balance);
--   * gmaps_businesses has one claim lease per enrichment type, for
--     claim_businesses_for_enrichment().
-- Routines are C over SPI (src/campaigns/); see docs/reference/campaigns.md.
--------------------------------------------------------------------------

CREATE TABLE experiments.gmaps_campaigns (
    id                            uuid          PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    name                          varchar(255)  NOT NULL,
    description                   text,
    keywords                      text[]        NOT NULL DEFAULT '{}',
    location                      varchar(255),
    coverage_profile              varchar(50)   NOT NULL DEFAULT 'balanced'
        CHECK (coverage_profile IN ('aggressive', 'balanced', 'budget', 'custom')),
    custom_zip_codes              text[],
    status                        varchar(50)   NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'running', 'paused', 'completed', 'failed')),
    target_zip_count              integer       NOT NULL DEFAULT 0,
    actual_zip_count              integer       NOT NULL DEFAULT 0,
    coverage_percentage           numeric(5,2)  NOT NULL DEFAULT 0,
    estimated_cost                numeric(14,4) NOT NULL DEFAULT 0,
    actual_cost                   numeric(14,4) NOT NULL DEFAULT 0,
    google_maps_cost              numeric(14,4) NOT NULL DEFAULT 0,
    facebook_cost                 numeric(14,4) NOT NULL DEFAULT 0,
    linkedin_enrichment_cost      numeric(14,4) NOT NULL DEFAULT 0,
    bouncer_verification_cost     numeric(14,4) NOT NULL DEFAULT 0,
    total_businesses_found        integer       NOT NULL DEFAULT 0,
    total_emails_found            integer       NOT NULL DEFAULT 0,
    total_facebook_pages_found    integer       NOT NULL DEFAULT 0,
    total_linkedin_profiles_found integer       NOT NULL DEFAULT 0,
    total_verified_emails         integer       NOT NULL DEFAULT 0,
    organization_id               uuid,
    created_by                    varchar(255)  NOT NULL DEFAULT 'system',
    started_at                    timestamptz,
    completed_at                  timestamptz,
    created_at                    timestamptz   NOT NULL DEFAULT pg_catalog.now(),
    updated_at                    timestamptz   NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX gmaps_campaigns_organization_idx ON experiments.gmaps_campaigns (organization_id);
COMMENT ON TABLE experiments.gmaps_campaigns IS
    'campaigns: one lead-scraping campaign; its cost columns are the ledger''s totals';

CREATE TABLE experiments.gmaps_campaign_coverage (
    id               uuid          PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    campaign_id      uuid          NOT NULL
        REFERENCES experiments.gmaps_campaigns (id) ON DELETE CASCADE,
    zip_code         varchar(10)   NOT NULL,
    keywords         text[]        NOT NULL DEFAULT '{}',
    max_results      integer       NOT NULL DEFAULT 200 CHECK (max_results > 0),
    scraped          boolean       NOT NULL DEFAULT false,
    scraped_at       timestamptz,
    businesses_found integer       NOT NULL DEFAULT 0 CHECK (businesses_found >= 0),
    emails_found     integer       NOT NULL DEFAULT 0 CHECK (emails_found >= 0),
    estimated_cost   numeric(10,2) NOT NULL DEFAULT 0.01,
    actual_cost      numeric(10,2) NOT NULL DEFAULT 0,
    created_at       timestamptz   NOT NULL DEFAULT pg_catalog.now(),
    updated_at       timestamptz   NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT gmaps_campaign_coverage_campaign_zip_key UNIQUE (campaign_id, zip_code)
);
COMMENT ON TABLE experiments.gmaps_campaign_coverage IS
    'campaigns: the ZIP codes a campaign covers, one row per (campaign, ZIP)';

CREATE TABLE experiments.gmaps_businesses (
    id                      uuid          PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    campaign_id             uuid          NOT NULL
        REFERENCES experiments.gmaps_campaigns (id) ON DELETE CASCADE,
    zip_code                varchar(10),
    place_id                varchar(255)  NOT NULL,
    name                    varchar(255)  NOT NULL,
    address                 text,
    city                    varchar(100),
    state                   varchar(2),
    postal_code             varchar(10),
    country                 varchar(100)  DEFAULT 'USA',
    latitude                numeric(10,8),
    longitude               numeric(11,8),
    phone                   varchar(50),
    website                 text,
    email                   varchar(255),
    email_source            varchar(50)
        CHECK (email_source IN ('google_maps', 'facebook', 'linkedin', 'not_found')),
    email_verified          boolean       NOT NULL DEFAULT false,
    bouncer_status          varchar(50),
    bouncer_score           numeric(5,2),
    bouncer_reason          text,
    is_safe                 boolean,
    is_disposable           boolean,
    is_role_based           boolean,
    is_free_email           boolean,
    bouncer_verified_at     timestamptz,
    category                varchar(255),
    categories              text[],
    description             text,
    rating                  numeric(2,1),
    reviews_count           integer,
    price_level             varchar(10),
    hours                   jsonb,
    facebook_url            text,
    instagram_url           text,
    twitter_url             text,
    linkedin_url            text,
    needs_enrichment        boolean       NOT NULL DEFAULT true,
    enrichment_status       varchar(50)   NOT NULL DEFAULT 'pending'
        CHECK (enrichment_status IN ('pending', 'enriched', 'no_facebook', 'failed')),
    enrichment_attempts     integer       NOT NULL DEFAULT 0,
    last_enrichment_attempt timestamptz,
    linkedin_enriched       boolean       NOT NULL DEFAULT false,
    facebook_claimed_until  timestamptz,
    linkedin_claimed_until  timestamptz,
    icebreaker              text,
    subject_line            text,
    raw_data                jsonb,
    scraped_at              timestamptz   NOT NULL DEFAULT pg_catalog.now(),
    created_at              timestamptz   NOT NULL DEFAULT pg_catalog.now(),
    updated_at              timestamptz   NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT gmaps_businesses_place_id_key UNIQUE (place_id)
);
CREATE INDEX gmaps_businesses_campaign_idx
    ON experiments.gmaps_businesses (campaign_id, created_at, id);
CREATE INDEX gmaps_businesses_facebook_todo_idx
    ON experiments.gmaps_businesses (campaign_id, created_at, id)
    WHERE needs_enrichment AND enrichment_status = 'pending';
CREATE INDEX gmaps_businesses_linkedin_todo_idx
    ON experiments.gmaps_businesses (campaign_id, created_at, id)
    WHERE NOT linkedin_enriched;
COMMENT ON TABLE experiments.gmaps_businesses IS
    'campaigns: businesses found by the scrapers, one row per Google place_id (global)';

CREATE TABLE experiments.gmaps_facebook_enrichments (
    id                   uuid         PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    business_id          uuid         NOT NULL
        REFERENCES experiments.gmaps_businesses (id) ON DELETE CASCADE,
    campaign_id          uuid         NOT NULL
        REFERENCES experiments.gmaps_campaigns (id) ON DELETE CASCADE,
    facebook_url         text,
    page_name            varchar(255),
    page_likes           integer,
    page_followers       integer,
    emails               text[]       NOT NULL DEFAULT '{}',
    primary_email        varchar(255),
    email_sources        text[],
    phone_numbers        text[]       NOT NULL DEFAULT '{}',
    addresses            text[],
    email_verified       boolean      NOT NULL DEFAULT false,
    bouncer_status       varchar(50),
    bouncer_score        numeric(5,2),
    bouncer_reason       text,
    is_safe              boolean,
    is_disposable        boolean,
    is_role_based        boolean,
    is_free_email        boolean,
    bouncer_verified_at  timestamptz,
    bouncer_raw_response jsonb,
    enrichment_source    varchar(50),
    success              boolean      NOT NULL DEFAULT true,
    error_message        text,
    raw_data             jsonb,
    scraped_at           timestamptz  NOT NULL DEFAULT pg_catalog.now(),
    created_at           timestamptz  NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX gmaps_facebook_enrichments_business_idx
    ON experiments.gmaps_facebook_enrichments (business_id);
CREATE INDEX gmaps_facebook_enrichments_campaign_idx
    ON experiments.gmaps_facebook_enrichments (campaign_id);
COMMENT ON TABLE experiments.gmaps_facebook_enrichments IS
    'campaigns: what the Facebook enricher found for a business';

CREATE TABLE experiments.gmaps_linkedin_enrichments (
    id                  uuid         PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    business_id         uuid         NOT NULL
        REFERENCES experiments.gmaps_businesses (id) ON DELETE CASCADE,
    campaign_id         uuid         NOT NULL
        REFERENCES experiments.gmaps_campaigns (id) ON DELETE CASCADE,
    linkedin_url        text,
    profile_type        varchar(50),
    person_name         varchar(255),
    person_title        varchar(255),
    emails_found        text[]       NOT NULL DEFAULT '{}',
    emails_generated    text[]       NOT NULL DEFAULT '{}',
    primary_email       varchar(255),
    email_source        varchar(50),
    phone_numbers       text[]       NOT NULL DEFAULT '{}',
    email_verified      boolean      NOT NULL DEFAULT false,
    bouncer_status      varchar(50),
    bouncer_score       numeric(5,2),
    bouncer_reason      text,
    is_safe             boolean,
    is_disposable       boolean,
    is_role_based       boolean,
    is_free_email       boolean,
    bouncer_verified_at timestamptz,
    email_status        varchar(50),
    email_score         numeric(5,2),
    enriched_at         timestamptz  NOT NULL DEFAULT pg_catalog.now(),
    created_at          timestamptz  NOT NULL DEFAULT pg_catalog.now(),
    updated_at          timestamptz  NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX gmaps_linkedin_enrichments_business_idx
    ON experiments.gmaps_linkedin_enrichments (business_id);
CREATE INDEX gmaps_linkedin_enrichments_campaign_idx
    ON experiments.gmaps_linkedin_enrichments (campaign_id);
COMMENT ON TABLE experiments.gmaps_linkedin_enrichments IS
    'campaigns: what the LinkedIn enricher found for a business';

-- Ledger ids are time-ordered (uuid_v7): a charge appends at the right edge
-- of the primary key instead of dirtying a random page.
CREATE TABLE experiments.gmaps_api_costs (
    id               uuid          PRIMARY KEY DEFAULT experiments.uuid_v7(),
    campaign_id      uuid          NOT NULL
        REFERENCES experiments.gmaps_campaigns (id) ON DELETE CASCADE,
    service          varchar(50)   NOT NULL
        CHECK (service IN ('google_maps', 'facebook', 'linkedin', 'bouncer')),
    actor_name       varchar(255),
    run_id           varchar(255),
    items_processed  integer       NOT NULL DEFAULT 0 CHECK (items_processed >= 0),
    cost_usd         numeric(10,4) NOT NULL CHECK (cost_usd >= 0),
    credits_used     integer,
    duration_seconds integer,
    success_rate     numeric(5,2),
    metadata         jsonb,
    idempotency_key  text,
    total_after      numeric(14,4) NOT NULL,
    incurred_at      timestamptz   NOT NULL DEFAULT pg_catalog.now(),
    created_at       timestamptz   NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX gmaps_api_costs_campaign_idx ON experiments.gmaps_api_costs (campaign_id);
CREATE UNIQUE INDEX gmaps_api_costs_idempotency_key
    ON experiments.gmaps_api_costs (campaign_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
COMMENT ON TABLE experiments.gmaps_api_costs IS
    'campaigns: the cost ledger; one row per charge, total_after is the campaign''s running total';

CREATE TABLE experiments.gmaps_email_verifications (
    id                     uuid          PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    business_id            uuid          NOT NULL
        REFERENCES experiments.gmaps_businesses (id) ON DELETE CASCADE,
    linkedin_enrichment_id uuid
        REFERENCES experiments.gmaps_linkedin_enrichments (id) ON DELETE SET NULL,
    facebook_enrichment_id uuid
        REFERENCES experiments.gmaps_facebook_enrichments (id) ON DELETE SET NULL,
    email                  varchar(255)  NOT NULL,
    source                 varchar(50),
    status                 varchar(50)   NOT NULL,
    score                  numeric(5,2),
    is_safe                boolean,
    is_disposable          boolean,
    is_role_based          boolean,
    is_free_email          boolean,
    is_gibberish           boolean,
    domain                 varchar(255),
    provider               varchar(255),
    mx_records             boolean,
    smtp_check             boolean,
    reason                 text,
    suggestion             text,
    raw_response           jsonb,
    verified_at            timestamptz   NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX gmaps_email_verifications_business_idx
    ON experiments.gmaps_email_verifications (business_id);
COMMENT ON TABLE experiments.gmaps_email_verifications IS
    'campaigns: the log of e-mail verifications (Bouncer)';

SELECT pg_catalog.pg_extension_config_dump('experiments.gmaps_campaigns', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.gmaps_campaign_coverage', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.gmaps_businesses', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.gmaps_facebook_enrichments', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.gmaps_linkedin_enrichments', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.gmaps_api_costs', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.gmaps_email_verifications', '');

--------------------------------------------------------------------------
-- Routines.  All but the two enrichment readers answer with the JSONB
-- envelope: {"success": true, ...} or {"success": false, "error",
-- "error_code", "error_detail", "retry_recommended"}.
--------------------------------------------------------------------------

CREATE FUNCTION experiments.create_campaign_with_coverage(
    p_campaign_data jsonb,
    p_zip_codes     jsonb)
RETURNS jsonb
LANGUAGE C VOLATILE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_create_campaign_with_coverage';
COMMENT ON FUNCTION experiments.create_campaign_with_coverage(jsonb, jsonb) IS
    'campaigns: create a campaign and its coverage rows (duplicate ZIPs collapse), all or nothing';

CREATE FUNCTION experiments.insert_businesses_batch(
    p_campaign_id uuid,
    p_zip_code    varchar,
    p_businesses  jsonb)
RETURNS jsonb
LANGUAGE C VOLATILE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_insert_businesses_batch';
COMMENT ON FUNCTION experiments.insert_businesses_batch(uuid, varchar, jsonb) IS
    'campaigns: upsert scraped businesses on place_id in one statement; counts inserted, updated, skipped';

CREATE FUNCTION experiments.update_campaign_statistics(p_campaign_id uuid)
RETURNS jsonb
LANGUAGE C VOLATILE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_update_campaign_statistics';
COMMENT ON FUNCTION experiments.update_campaign_statistics(uuid) IS
    'campaigns: recompute a campaign''s counters under its row lock';

CREATE FUNCTION experiments.track_campaign_cost(
    p_campaign_id     uuid,
    p_service         varchar,
    p_items_processed integer,
    p_cost_usd        numeric,
    p_metadata        jsonb DEFAULT NULL)
RETURNS jsonb
LANGUAGE C VOLATILE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_track_campaign_cost';
COMMENT ON FUNCTION experiments.track_campaign_cost(uuid, varchar, integer, numeric, jsonb) IS
    'campaigns: append a cost row and add it to the campaign''s totals, with no lost update; optional idempotency key';

CREATE FUNCTION experiments.update_coverage_status(
    p_campaign_id      uuid,
    p_zip_code         varchar,
    p_businesses_found integer,
    p_emails_found     integer,
    p_actual_cost      numeric)
RETURNS jsonb
LANGUAGE C VOLATILE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_update_coverage_status';
COMMENT ON FUNCTION experiments.update_coverage_status(uuid, varchar, integer, integer, numeric) IS
    'campaigns: mark one ZIP of a campaign scraped, with its counts and cost';

CREATE FUNCTION experiments.update_enrichment_batch(
    p_enrichment_type varchar,
    p_enrichments     jsonb)
RETURNS jsonb
LANGUAGE C VOLATILE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_update_enrichment_batch';
COMMENT ON FUNCTION experiments.update_enrichment_batch(varchar, jsonb) IS
    'campaigns: store Facebook or LinkedIn enrichments; a bad item is counted in failed and undoes nothing else';

CREATE FUNCTION experiments.update_email_verification(
    p_business_id       uuid,
    p_email             varchar,
    p_verification_data jsonb)
RETURNS jsonb
LANGUAGE C VOLATILE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_update_email_verification';
COMMENT ON FUNCTION experiments.update_email_verification(uuid, varchar, jsonb) IS
    'campaigns: log an e-mail verification and copy its Bouncer fields to the business and enrichment rows';

CREATE FUNCTION experiments.get_businesses_for_enrichment(
    p_campaign_id     uuid,
    p_enrichment_type varchar,
    p_limit           integer DEFAULT 100,
    p_offset          integer DEFAULT 0)
RETURNS TABLE (business_id         uuid,
               campaign_id         uuid,
               place_id            varchar(255),
               name                varchar(255),
               address             text,
               city                varchar(100),
               state               varchar(2),
               postal_code         varchar(10),
               phone               varchar(50),
               website             text,
               email               varchar(255),
               facebook_url        text,
               linkedin_url        text,
               enrichment_status   varchar(50),
               enrichment_attempts integer,
               needs_enrichment    boolean)
LANGUAGE C STABLE CALLED ON NULL INPUT ROWS 100
AS 'MODULE_PATHNAME', 'experiments_get_businesses_for_enrichment';
COMMENT ON FUNCTION experiments.get_businesses_for_enrichment(uuid, varchar, integer, integer) IS
    'campaigns: businesses still to enrich (facebook or linkedin), oldest first, paged';

CREATE FUNCTION experiments.claim_businesses_for_enrichment(
    p_campaign_id     uuid,
    p_enrichment_type varchar,
    p_limit           integer  DEFAULT 100,
    p_lease           interval DEFAULT '10 minutes')
RETURNS TABLE (business_id         uuid,
               campaign_id         uuid,
               place_id            varchar(255),
               name                varchar(255),
               address             text,
               city                varchar(100),
               state               varchar(2),
               postal_code         varchar(10),
               phone               varchar(50),
               website             text,
               email               varchar(255),
               facebook_url        text,
               linkedin_url        text,
               enrichment_status   varchar(50),
               enrichment_attempts integer,
               needs_enrichment    boolean,
               claimed_until       timestamptz)
LANGUAGE C VOLATILE CALLED ON NULL INPUT ROWS 100
AS 'MODULE_PATHNAME', 'experiments_claim_businesses_for_enrichment';
COMMENT ON FUNCTION experiments.claim_businesses_for_enrichment(uuid, varchar, integer, interval) IS
    'campaigns: lease businesses still to enrich to one worker (SKIP LOCKED); parallel enrichers never share one';

INSERT INTO experiments.api_routines (routine, domain, writes) VALUES
    ('experiments.create_campaign_with_coverage(jsonb, jsonb)',                       'campaigns', true),
    ('experiments.insert_businesses_batch(uuid, character varying, jsonb)',           'campaigns', true),
    ('experiments.update_campaign_statistics(uuid)',                                  'campaigns', true),
    ('experiments.track_campaign_cost(uuid, character varying, integer, numeric, jsonb)',
     'campaigns', true),
    ('experiments.update_coverage_status(uuid, character varying, integer, integer, numeric)',
     'campaigns', true),
    ('experiments.update_enrichment_batch(character varying, jsonb)',                 'campaigns', true),
    ('experiments.update_email_verification(uuid, character varying, jsonb)',         'campaigns', true),
    ('experiments.get_businesses_for_enrichment(uuid, character varying, integer, integer)',
     'campaigns', false),
    ('experiments.claim_businesses_for_enrichment(uuid, character varying, integer, interval)',
     'campaigns', true);
