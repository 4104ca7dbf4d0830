-- CSV imports: the uploaded file is kept (for a day) between the upload and the run, so the
-- mapping step can preview it and the run does not need the file again.
create table csv_uploads (
    id          bigint generated always as identity primary key,
    user_id     bigint not null references users (id) on delete cascade,
    kind        text not null check (kind in ('contacts', 'opportunities')),
    filename    text not null,
    content     text not null,
    created_at  timestamptz not null default now(),
    imported_at timestamptz
);
create index csv_uploads_created on csv_uploads (created_at);
