-- Sales cycles and their stages, close codes, activities (DOMAIN.md "Setup"), and the default
-- setup a new installation starts with.

create table activities (
    id          bigint generated always as identity primary key,
    code        text not null unique
                check (char_length(code) between 1 and 20 and code = upper(code) and code = btrim(code)),
    description text not null default '' check (char_length(description) <= 100),
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);
create trigger t_set_updated_at before update on activities
    for each row execute function set_updated_at();

create table activity_steps (
    id           bigint generated always as identity primary key,
    activity_id  bigint not null references activities (id) on delete cascade,
    position     integer not null check (position > 0),
    kind         text not null check (kind in ('task', 'meeting', 'phone_call')),
    description  text not null check (char_length(btrim(description)) between 1 and 100),
    priority     text not null default 'normal' check (priority in ('low', 'normal', 'high')),
    -- Canonical date formula text (app::domain::date_formula); '' = the day the stage is entered.
    date_formula text not null default '' check (char_length(date_formula) <= 50),
    unique (activity_id, position)
);

create table sales_cycles (
    id                 bigint generated always as identity primary key,
    code               text not null unique
                       check (char_length(code) between 1 and 20 and code = upper(code) and code = btrim(code)),
    description        text not null default '' check (char_length(description) <= 100),
    probability_method text not null default 'multiply'
                       check (probability_method in ('multiply', 'add', 'chances_of_success', 'completed')),
    -- A blocked cycle cannot be chosen for new opportunities; existing ones go on.
    blocked            boolean not null default false,
    version            integer not null default 1,
    created_at         timestamptz not null default now(),
    updated_at         timestamptz not null default now()
);
create trigger t_set_updated_at before update on sales_cycles
    for each row execute function set_updated_at();

create table sales_cycle_stages (
    id             bigint generated always as identity primary key,
    -- Deleting a cycle deletes its stages, unless an opportunity entry refers to one (the
    -- entries' foreign key then refuses, and the cycle must be blocked instead).
    cycle_id       bigint not null references sales_cycles (id) on delete cascade,
    stage          integer not null check (stage > 0),
    description    text not null default '' check (char_length(description) <= 100),
    completed_pct  numeric(5,2) not null default 0 check (completed_pct between 0 and 100),
    chances_pct    numeric(5,2) not null default 0 check (chances_pct between 0 and 100),
    activity_id    bigint references activities (id) on delete restrict,
    quote_required boolean not null default false,
    allow_skip     boolean not null default false,
    date_formula   text not null default '' check (char_length(date_formula) <= 50),
    comment        text not null default '' check (char_length(comment) <= 500),
    -- Deferrable so that reordering can swap two stage numbers inside one transaction.
    constraint sales_cycle_stages_number_key unique (cycle_id, stage) deferrable initially immediate
);
create index sales_cycle_stages_activity on sales_cycle_stages (activity_id) where activity_id is not null;

create table close_codes (
    id          bigint generated always as identity primary key,
    code        text not null unique
                check (char_length(code) between 1 and 20 and code = upper(code) and code = btrim(code)),
    description text not null default '' check (char_length(description) <= 100),
    outcome     text not null check (outcome in ('won', 'lost')),
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);
create trigger t_set_updated_at before update on close_codes
    for each row execute function set_updated_at();

-- The default setup: a new installation gets a working cycle, close codes and one activity, so
-- the first user sees a working system. Admins change or block them like any other.
insert into activities (code, description) values ('FIRST-CONTACT', 'First contact with a new lead');
insert into activity_steps (activity_id, position, kind, description, priority, date_formula)
select id, s.position, s.kind, s.description, s.priority, s.date_formula
from activities, (values
    (1, 'phone_call', 'Call to qualify the lead', 'high', ''),
    (2, 'task', 'Send the company presentation', 'normal', '2D'),
    (3, 'meeting', 'Discovery meeting', 'normal', '1W')
) as s (position, kind, description, priority, date_formula)
where code = 'FIRST-CONTACT';

insert into sales_cycles (code, description, probability_method)
values ('STANDARD', 'Standard sales cycle', 'multiply');
insert into sales_cycle_stages
    (cycle_id, stage, description, completed_pct, chances_pct, activity_id, quote_required, allow_skip, date_formula)
select c.id, s.stage, s.description, s.completed, s.chances,
       (select id from activities where code = s.activity), s.quote_required, s.allow_skip, s.date_formula
from sales_cycles c, (values
    (1, 'Qualification', 10.00, 10.00, 'FIRST-CONTACT', false, false, '1M'),
    (2, 'Needs analysis', 25.00, 25.00, null, false, true, '1M'),
    (3, 'Proposal', 50.00, 40.00, null, true, false, '3W'),
    (4, 'Negotiation', 75.00, 60.00, null, true, false, '2W'),
    (5, 'Verbal agreement', 90.00, 80.00, null, true, false, '1W')
) as s (stage, description, completed, chances, activity, quote_required, allow_skip, date_formula)
where c.code = 'STANDARD';

insert into close_codes (code, description, outcome) values
    ('WON-PRICE', 'Best price', 'won'),
    ('WON-PRODUCT', 'Best product fit', 'won'),
    ('WON-RELATION', 'Existing relationship', 'won'),
    ('LOST-PRICE', 'Too expensive', 'lost'),
    ('LOST-COMPETITOR', 'Chose a competitor', 'lost'),
    ('LOST-NO-DECISION', 'No decision made', 'lost');
