-- The establishment's directory: CAS 1 registrations by a gestionnaire, updates and closing of situations
-- d'exercice. A closing may be scheduled (end_date in the future, applied that day by a background task).

ALTER TABLE situations ADD COLUMN end_date TEXT;
ALTER TABLE situations ADD COLUMN end_reason TEXT;
ALTER TABLE situations ADD COLUMN updated_at TIMESTAMPTZ;

-- Accent- and case-folded words of the names and the RPPS number (" w1 w2 … "), and the folded
-- "nom prénom d'exercice" the directory is sorted by; both computed by the server (shared::nomenclature::fold).
ALTER TABLE professionals ADD COLUMN search_key TEXT;
ALTER TABLE professionals ADD COLUMN sort_key TEXT;

-- 'professionnel' (CAS 2, self pre-registration) or 'gestionnaire' (CAS 1, registered end to end).
ALTER TABLE pre_registrations ADD COLUMN origin TEXT NOT NULL DEFAULT 'professionnel'
    CHECK (origin IN ('professionnel', 'gestionnaire'));

-- Keyset pagination by name; situations by site (directory scope) and by person; closings due.
CREATE INDEX professionals_sort_idx ON professionals (sort_key, id);
CREATE INDEX situations_site_professional_idx ON situations (site_id, professional_id);
CREATE INDEX situations_professional_idx ON situations (professional_id);
CREATE INDEX situations_end_due_idx ON situations (end_date) WHERE active AND end_date IS NOT NULL;
