-- Gestionnaires RPPS+, their attachments to establishments, one-time password links, server-side sessions and
-- failed sign-in counters. Timestamps are written in whole seconds.

CREATE TABLE gestionnaires (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Lowercased.
    email TEXT NOT NULL,
    nom TEXT NOT NULL CHECK (char_length(nom) BETWEEN 1 AND 200),
    -- Argon2id PHC string; NULL until the gestionnaire sets a password through a one-time link.
    password_hash TEXT,
    disabled_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT gestionnaires_email_key UNIQUE (email)
);

-- An entité juridique (covers all its sites) or a single site.
CREATE TABLE gestionnaire_attachments (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    gestionnaire_id BIGINT NOT NULL REFERENCES gestionnaires (id) ON DELETE CASCADE,
    establishment_id BIGINT REFERENCES establishments (id) ON DELETE RESTRICT,
    site_id BIGINT REFERENCES sites (id) ON DELETE RESTRICT,
    created_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT gestionnaire_attachments_one_target CHECK ((establishment_id IS NULL) <> (site_id IS NULL))
);

CREATE UNIQUE INDEX gestionnaire_attachments_ej_key
    ON gestionnaire_attachments (gestionnaire_id, establishment_id) WHERE establishment_id IS NOT NULL;
CREATE UNIQUE INDEX gestionnaire_attachments_site_key
    ON gestionnaire_attachments (gestionnaire_id, site_id) WHERE site_id IS NOT NULL;
CREATE INDEX gestionnaire_attachments_establishment_idx ON gestionnaire_attachments (establishment_id);
CREATE INDEX gestionnaire_attachments_site_idx ON gestionnaire_attachments (site_id);

-- One-time password-setting links: only the SHA-256 of the token is stored.
CREATE TABLE password_tokens (
    token_hash TEXT PRIMARY KEY,
    gestionnaire_id BIGINT NOT NULL REFERENCES gestionnaires (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ
);

CREATE INDEX password_tokens_gestionnaire_idx ON password_tokens (gestionnaire_id);

-- Sessions, whatever proved who the person is: only the SHA-256 of the 256-bit session id is stored.
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('gestionnaire', 'professionnel')),
    subject_id BIGINT NOT NULL,
    -- How the person authenticated ('password', later 'e-cps').
    method TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    -- Absolute end of the session.
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX sessions_subject_idx ON sessions (role, subject_id);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

-- Failed sign-ins, per account ('account:<email>') and per client address ('ip:<address>').
CREATE TABLE sign_in_failures (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_failure_at TIMESTAMPTZ NOT NULL,
    locked_until TIMESTAMPTZ
);
