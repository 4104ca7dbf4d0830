-- The public API: personal API tokens and idempotent POSTs.

-- A token acts as its user. Only a SHA-256 digest of the secret is stored: the secret is shown
-- once, when it is created. `prefix` (the first characters) lets people tell tokens apart.
create table api_tokens (
    id           bigint generated always as identity primary key,
    user_id      bigint not null references users (id) on delete cascade,
    name         text not null check (char_length(btrim(name)) between 1 and 100),
    prefix       text not null,
    secret_hash  bytea not null,
    created_at   timestamptz not null default now(),
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz
);
create unique index api_tokens_secret_hash_key on api_tokens (secret_hash);
create index api_tokens_user on api_tokens (user_id);

-- A POST with an `Idempotency-Key` header reserves the key (status null) before the change runs
-- and records the answer after it: a retry gets the recorded answer and changes nothing; a retry
-- while the first is still running (or was cut off before its answer was recorded) gets 409 and
-- is never applied a second time.
create table idempotency_keys (
    user_id      bigint not null references users (id) on delete cascade,
    key          text not null check (char_length(key) between 1 and 200),
    -- Method and path plus a digest of the body: the same key with another request is refused.
    fingerprint  text not null,
    status       smallint,
    body         text,
    -- Content-Type, ETag and Location of the recorded answer.
    headers      jsonb,
    created_at   timestamptz not null default now(),
    primary key (user_id, key)
);
create index idempotency_keys_created on idempotency_keys (created_at);
