-- Contacts: companies and the persons who work for them (DOMAIN.md "Contacts and salespeople").

-- Contact numbers come from their own sequence: a number is never handed out twice, not even
-- after a failed insert or a deleted contact, so "CT000042" always means the same contact.
create sequence contact_no_seq;

-- 'CT' + at least six digits; past CT999999 the number simply grows (lpad would cut it).
create function next_contact_no() returns text
language sql volatile as $$
    select 'CT' || lpad(n::text, greatest(6, char_length(n::text)), '0')
    from nextval('contact_no_seq') as n
$$;

create table contacts (
    id             bigint generated always as identity primary key,
    no             text not null default next_contact_no(),
    kind           text not null check (kind in ('company', 'person')),
    name           text not null check (char_length(btrim(name)) between 1 and 100 and name = btrim(name)),
    -- A person's "contact company". That it points to a company (not a person) is checked by the
    -- operations, which lock the company row while they link to it; a CHECK cannot see other rows.
    -- Restrict: a company that still has persons is not deleted from under them.
    company_id     bigint references contacts (id) on delete restrict,
    job_title      text not null default '' check (char_length(job_title) <= 100),
    email          text not null default '' check (char_length(email) <= 254),
    phone          text not null default '' check (char_length(phone) <= 30),
    address        text not null default '' check (char_length(address) <= 200),
    city           text not null default '' check (char_length(city) <= 50),
    post_code      text not null default '' check (char_length(post_code) <= 20),
    country        text not null default '' check (char_length(country) <= 50),
    -- Unassigned contacts form the shared lead pool every signed-in user can see.
    salesperson_id bigint references salespeople (id) on delete set null,
    -- Optimistic locking: every update bumps it and requires the version the editor saw.
    version        integer not null default 1 check (version >= 1),
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now(),
    constraint contacts_no_key unique (no),
    -- Only persons belong to a company.
    constraint contacts_only_persons_have_a_company check (company_id is null or kind = 'person')
);
create trigger t_set_updated_at before update on contacts
    for each row execute function set_updated_at();

-- The list sorts by name, city or creation time (id breaks ties so paging is stable).
create index contacts_by_name on contacts (lower(name), id);
create index contacts_by_city on contacts (lower(city), id);
create index contacts_by_created on contacts (created_at, id);
-- A company's persons (the contact card) and the company picker.
create index contacts_company on contacts (company_id) where company_id is not null;
create index contacts_companies_by_name on contacts (lower(name), id) where kind = 'company';
-- Access scopes filter by owner.
create index contacts_salesperson on contacts (salesperson_id);
