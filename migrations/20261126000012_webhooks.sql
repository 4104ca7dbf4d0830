-- Webhooks: admins subscribe a URL to events. Events are written to an outbox (webhook_events)
-- with one delivery row per subscribed webhook, in the transaction of the change itself, so a
-- committed change always has its deliveries and a rolled-back one never does. A background
-- worker in every server instance delivers them (signed), retrying with backoff; every attempt
-- is kept for the log page.

create table webhooks (
    id          bigint generated always as identity primary key,
    url         text not null check (url ~* '^https?://[^/\s]+' and char_length(url) <= 2000),
    description text not null default '' check (char_length(description) <= 200),
    -- The HMAC-SHA256 key of the signature header; shown to the admin once.
    secret      text not null,
    events      text[] not null check (
                    cardinality(events) > 0 and events <@ array['opportunity.created', 'opportunity.moved',
                    'opportunity.updated', 'opportunity.closed', 'task.created']),
    active      boolean not null default true,
    created_by  bigint references users (id) on delete set null,
    created_at  timestamptz not null default now()
);

create table webhook_events (
    id          bigint generated always as identity primary key,
    event       text not null,
    payload     jsonb not null,
    created_at  timestamptz not null default now()
);

create table webhook_deliveries (
    id              bigint generated always as identity primary key,
    webhook_id      bigint not null references webhooks (id) on delete cascade,
    event_id        bigint not null references webhook_events (id) on delete cascade,
    status          text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
    attempts        integer not null default 0,
    -- Due time; a worker that takes a delivery pushes it into the future (a lease), so another
    -- instance takes it only if the first one died mid-delivery.
    next_attempt_at timestamptz not null default now(),
    delivered_at    timestamptz,
    unique (webhook_id, event_id)
);
create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status = 'pending';
create index webhook_deliveries_by_webhook on webhook_deliveries (webhook_id, id desc);

create table webhook_attempts (
    id              bigint generated always as identity primary key,
    delivery_id     bigint not null references webhook_deliveries (id) on delete cascade,
    attempted_at    timestamptz not null default now(),
    response_status integer,
    error           text,
    duration_ms     integer not null
);
create index webhook_attempts_by_delivery on webhook_attempts (delivery_id, id);

-- Writes the event and its deliveries (to the active webhooks subscribed to it). Nothing is
-- stored when nobody listens.
create function webhook_emit(p_event text, p_payload jsonb) returns void
language sql volatile as $$
    with ev as (
        insert into webhook_events (event, payload)
        select p_event, p_payload
        where exists (select 1 from webhooks w where w.active and p_event = any (w.events))
        returning id
    )
    insert into webhook_deliveries (webhook_id, event_id)
    select w.id, ev.id from ev join webhooks w on w.active and p_event = any (w.events);
$$;
