-- Idempotency keys are now written by the transaction that stores their request, already `done`. Rows left
-- `running` by the previous version (a request cut short) can only block their key: forget them.
DELETE FROM idempotency_keys WHERE state = 'running';
