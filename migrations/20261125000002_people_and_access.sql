-- Salespeople, teams, users and sign-in: who works here and what each may see.

-- A salesperson is a sales record (opportunities and contacts point at it); a user account may
-- be linked to one. DOMAIN.md: code 1-20 chars upper case, commission 0-100 %.
create table salespeople (
    id             bigint generated always as identity primary key,
    code           text not null unique
                   check (char_length(code) between 1 and 20 and code = upper(code) and code = btrim(code)),
    name           text not null check (char_length(btrim(name)) between 1 and 100),
    email          text not null default '' check (char_length(email) <= 254),
    phone          text not null default '' check (char_length(phone) <= 30),
    commission_pct numeric(5,2) not null default 0 check (commission_pct between 0 and 100),
    blocked        boolean not null default false,
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now()
);
create trigger t_set_updated_at before update on salespeople
    for each row execute function set_updated_at();

create table teams (
    id         bigint generated always as identity primary key,
    code       text not null unique
               check (char_length(code) between 1 and 20 and code = upper(code) and code = btrim(code)),
    name       text not null check (char_length(btrim(name)) between 1 and 100),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create trigger t_set_updated_at before update on teams
    for each row execute function set_updated_at();

create table team_members (
    team_id        bigint not null references teams (id) on delete cascade,
    salesperson_id bigint not null references salespeople (id) on delete cascade,
    primary key (team_id, salesperson_id)
);
create index team_members_salesperson on team_members (salesperson_id);

create table users (
    id             bigint generated always as identity primary key,
    email          text not null check (email = lower(btrim(email)) and email like '%_@_%' and char_length(email) <= 254),
    display_name   text not null check (char_length(btrim(display_name)) between 1 and 100),
    -- PHC string (argon2id); never leaves the server.
    password_hash  text not null,
    role           text not null check (role in ('admin', 'manager', 'salesperson')),
    salesperson_id bigint references salespeople (id) on delete set null,
    active         boolean not null default true,
    -- Bumped to end every session of the user at once ("sign out everywhere", password change).
    session_epoch  integer not null default 0,
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now()
);
create unique index users_email_key on users (email);
create unique index users_salesperson_key on users (salesperson_id) where salesperson_id is not null;
create trigger t_set_updated_at before update on users
    for each row execute function set_updated_at();

-- Managers manage whole teams: they read and change what the team's salespeople own.
create table team_managers (
    team_id bigint not null references teams (id) on delete cascade,
    user_id bigint not null references users (id) on delete cascade,
    primary key (team_id, user_id)
);
create index team_managers_user on team_managers (user_id);

-- Sign-in audit trail; failed attempts also drive the rate limits, so they hold across instances.
create table auth_events (
    id      bigint generated always as identity primary key,
    at      timestamptz not null default now(),
    kind    text not null check (kind in (
                'sign_in', 'sign_in_failed', 'sign_in_throttled', 'sign_out',
                'password_changed', 'signed_out_everywhere', 'first_admin_created',
                'user_created', 'user_changed', 'access_denied')),
    user_id bigint references users (id) on delete set null,
    email   text,
    ip      inet,
    detail  text not null default ''
);
create index auth_events_failed_by_email on auth_events (email, at) where kind = 'sign_in_failed';
create index auth_events_failed_by_ip on auth_events (ip, at) where kind = 'sign_in_failed';
create index auth_events_at on auth_events (at);

-- Sessions (tower-sessions' Postgres store; same shape as its own migrate()), so that any
-- server instance can serve any signed-in user.
create schema if not exists tower_sessions;
create table if not exists tower_sessions.session (
    id          text primary key not null,
    data        bytea not null,
    expiry_date timestamptz not null
);
create index if not exists session_expiry on tower_sessions.session (expiry_date);
