-- Self pre-registrations (CAS 2): identity documents, requests, idempotency keys and the mail outbox.
-- Timestamps the server compares (next_attempt_at, claimed_until, idempotency times) are written in whole seconds.

CREATE TABLE documents (
    -- Random UUID: unguessable; documents are never served publicly.
    id TEXT PRIMARY KEY,
    content_type TEXT NOT NULL CHECK (content_type IN ('application/pdf', 'image/jpeg', 'image/png')),
    size_bytes INTEGER NOT NULL CHECK (size_bytes > 0),
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    content BLOB NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE pre_registrations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reference TEXT NOT NULL,
    site_id INTEGER NOT NULL REFERENCES sites (id) ON DELETE RESTRICT,
    status TEXT NOT NULL DEFAULT 'recue'
        CHECK (status IN ('recue', 'en_cours', 'a_completer', 'validee', 'refusee')),
    status_detail TEXT,
    rpps TEXT,
    -- État civil, as typed (not certified by FranceConnect).
    etat_civil_certifie INTEGER NOT NULL DEFAULT 0 CHECK (etat_civil_certifie IN (0, 1)),
    civilite TEXT NOT NULL,
    nom_naissance TEXT NOT NULL,
    prenoms TEXT NOT NULL CHECK (json_valid(prenoms)),
    date_naissance TEXT NOT NULL,
    lieu_commune_cog TEXT,
    lieu_pays_cog TEXT,
    lieu_ville_etrangere TEXT,
    lieu_commune_libre TEXT,
    lieu_departement_libre TEXT,
    commune_saisie_libre INTEGER NOT NULL DEFAULT 0 CHECK (commune_saisie_libre IN (0, 1)),
    -- Contact.
    email TEXT NOT NULL,
    email_confirmed_at TEXT,
    mobile TEXT NOT NULL,
    -- Situation d'exercice.
    finess TEXT NOT NULL,
    nom_exercice TEXT NOT NULL,
    prenom_exercice TEXT NOT NULL,
    metier TEXT NOT NULL,
    role TEXT NOT NULL,
    mode_exercice TEXT NOT NULL,
    date_prise_fonction TEXT NOT NULL,
    rpps_existant TEXT,
    notice_version TEXT NOT NULL,
    document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE RESTRICT,
    user_agent TEXT,
    -- SHA-256 (hex) of the private tokens; the tokens themselves are only in the receipt email.
    status_token_hash TEXT NOT NULL,
    email_token_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT pre_registrations_reference_key UNIQUE (reference),
    CONSTRAINT pre_registrations_document_id_key UNIQUE (document_id),
    CONSTRAINT pre_registrations_status_token_hash_key UNIQUE (status_token_hash),
    CONSTRAINT pre_registrations_email_token_hash_key UNIQUE (email_token_hash)
);

CREATE INDEX pre_registrations_site_id_idx ON pre_registrations (site_id, status);

CREATE TABLE idempotency_keys (
    key TEXT PRIMARY KEY,
    body_hash TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('running', 'done')),
    response_status INTEGER,
    response_body TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);

CREATE TABLE mail_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    -- NULL once sent or given up.
    next_attempt_at TEXT,
    sent_at TEXT,
    last_error TEXT,
    claimed_until TEXT
);

CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at);
