-- e-CPS: two-code challenges (activation, sign-in, contact change) and the one-time activation links of the
-- validation email. Codes and tokens are stored as SHA-256 only; timestamps in whole seconds.

CREATE TABLE ecps_challenges (
    -- SHA-256 of the 256-bit challenge id the client holds; the codes' hashes are keyed with that id, so the
    -- database alone cannot give the 6-digit codes back.
    id_hash TEXT PRIMARY KEY,
    purpose TEXT NOT NULL CHECK (purpose IN ('activation', 'sign_in', 'contact')),
    -- NULL for an RPPS number nobody holds: such a challenge is answered exactly like a real one and never succeeds.
    professional_id BIGINT REFERENCES professionals (id) ON DELETE CASCADE,
    -- SHA-256 of what is rate-limited: the RPPS number typed, or the professional for a contact change.
    rate_key TEXT NOT NULL,
    -- SHA-256 of the email and mobile the codes went to: a gestionnaire's correction meanwhile voids the codes.
    contact_key TEXT,
    link_hash TEXT,
    email_code_hash TEXT,
    sms_code_hash TEXT,
    new_email TEXT,
    new_mobile TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ
);

CREATE INDEX ecps_challenges_rate_idx ON ecps_challenges (rate_key, created_at);
CREATE INDEX ecps_challenges_professional_idx ON ecps_challenges (professional_id);
CREATE INDEX ecps_challenges_expires_idx ON ecps_challenges (expires_at);

CREATE TABLE ecps_activation_links (
    token_hash TEXT PRIMARY KEY,
    professional_id BIGINT NOT NULL REFERENCES professionals (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ
);

CREATE INDEX ecps_activation_links_professional_idx ON ecps_activation_links (professional_id);
