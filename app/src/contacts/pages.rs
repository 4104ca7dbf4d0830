//! The contact list, the new-contact page and the contact card. Everything works before the app
//! hydrates: the list is driven by its URL (links and a GET form), the forms post to the server
//! functions and are redirected back.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::Form,
    hooks::{use_params_map, use_query_map},
};

use super::{
    AssignOptions, CompanyOption, ContactDetail, ContactKind, ContactList, ContactListItem,
    ListQuery, SalespersonOption, SortKey,
    api::{
        CreateContact, UpdateContact, assignable_salespeople, get_contact, list_contacts,
        search_companies,
    },
    limits, load_error_text,
};
use crate::{
    error::AppError,
    ui::{FieldMessage, FormMessage, action_error, invalid, pager},
};

/// "—" for an empty value, so a table cell or a fact never looks broken.
fn or_dash(s: &str) -> String {
    if s.trim().is_empty() {
        "—".into()
    } else {
        s.to_owned()
    }
}

// ---- List ------------------------------------------------------------------------------------

#[component]
pub fn ContactsPage() -> impl IntoView {
    let query_map = use_query_map();
    let query = Memo::new(move |_| query_map.with(ListQuery::from_map));
    let contacts = Resource::new(
        move || query.get(),
        |q| {
            list_contacts(
                Some(q.search.clone()),
                q.kind.map(|k| k.as_str().to_owned()),
                Some(q.sort.as_str().to_owned()),
                Some(if q.descending { "desc" } else { "asc" }.to_owned()),
                Some(q.page.to_string()),
            )
        },
    );

    view! {
        <Title text="Contacts · Pipeline"/>
        <div class="page-head">
            <h1>"Contacts"</h1>
            <div class="page-head-actions">
                <a href=move || {
                    let q = query.get();
                    let kind = q.kind.map(|k| format!("&kind={}", k.as_str())).unwrap_or_default();
                    let dir = if q.descending { "desc" } else { "asc" };
                    format!(
                        "/export/contacts.csv?q={}{kind}&sort={}&dir={dir}",
                        crate::contacts::url_encode(&q.search),
                        q.sort.as_str()
                    )
                } download="contacts.csv" rel="external">"Export CSV"</a>
                <a href="/import?kind=contacts">"Import CSV"</a>
                <a class="button" href="/contacts/new">"New contact"</a>
            </div>
        </div>
        <Form method="get" action="/contacts" attr:class="contact-filters card" attr:role="search" attr:aria-label="Find contacts">
            <div class="field contact-search">
                <label for="contact-q">"Search"</label>
                <input id="contact-q" name="q" type="search" maxlength="100" autocomplete="off"
                    placeholder="Name, email or company" value=move || query.get().search/>
            </div>
            <div class="field">
                <label for="contact-kind">"Show"</label>
                <select id="contact-kind" name="kind">
                    <option value="" selected=move || query.get().kind.is_none()>"All contacts"</option>
                    <option value="company" selected=move || query.get().kind == Some(ContactKind::Company)>"Companies"</option>
                    <option value="person" selected=move || query.get().kind == Some(ContactKind::Person)>"Persons"</option>
                </select>
            </div>
            <div class="field">
                <label for="contact-sort">"Sort by"</label>
                <select id="contact-sort" name="sort">
                    {SortKey::ALL.into_iter().map(|key| view! {
                        <option value=key.as_str() selected=move || query.get().sort == key>{key.label()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="contact-dir">"Order"</label>
                <select id="contact-dir" name="dir">
                    <option value="asc" selected=move || !query.get().descending>"Ascending"</option>
                    <option value="desc" selected=move || query.get().descending>"Descending"</option>
                </select>
            </div>
            <div class="form-actions">
                <button class="button" type="submit">"Search"</button>
            </div>
        </Form>
        <Transition fallback=|| view! { <p class="muted">"Loading contacts…"</p> }>
            {move || contacts.get().map(|result| match result {
                Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                Ok(list) => contact_list(list, query.get_untracked()),
            })}
        </Transition>
    }
}

fn contact_list(list: ContactList, query: ListQuery) -> AnyView {
    if list.total == 0 {
        return empty_list(&query);
    }
    let range = list.range_label();
    let summary = count_label(list.total, query.kind);
    let previous = (list.page > 1).then(|| query.with_page(list.page - 1).href());
    let next = (list.page < list.last_page()).then(|| query.with_page(list.page + 1).href());
    let rows = list.items.into_iter().map(contact_row).collect_view();
    view! {
        <p class="list-summary muted" role="status">{summary}</p>
        <div class="table-wrap">
            <table class="table contacts-table">
                <caption class="sr-only">"Contacts"</caption>
                <thead><tr>
                    <th scope="col">"No."</th>
                    {sort_header("Name", SortKey::Name, &query)}
                    <th scope="col">"Kind"</th>
                    <th scope="col">"Company"</th>
                    <th scope="col">"Email"</th>
                    <th scope="col">"Phone"</th>
                    {sort_header("City", SortKey::City, &query)}
                    <th scope="col">"Salesperson"</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        {pager(previous, next, range)}
    }
    .into_any()
}

fn sort_header(label: &'static str, key: SortKey, query: &ListQuery) -> impl IntoView + use<> {
    crate::ui::sort_header(
        label,
        (query.sort == key).then_some(query.descending),
        query.sorted_by(key).href(),
    )
}

fn contact_row(c: ContactListItem) -> impl IntoView {
    let company = match (c.company_id, c.company_name) {
        (Some(id), Some(name)) if c.company_readable => {
            view! { <a href=format!("/contacts/{id}")>{name}</a> }.into_any()
        }
        (_, Some(name)) => name.into_any(),
        _ => "—".into_any(),
    };
    let no_email = c.email.is_empty();
    let email = if no_email {
        "—".into_any()
    } else {
        view! { <a href=format!("mailto:{}", c.email)>{c.email.clone()}</a> }.into_any()
    };
    let no_phone = c.phone.is_empty();
    let phone = if no_phone {
        "—".into_any()
    } else {
        view! { <a href=format!("tel:{}", c.phone.replace(' ', ""))>{c.phone.clone()}</a> }
            .into_any()
    };
    let no_company = c.company_id.is_none();
    let no_city = c.city.is_empty();
    let city = or_dash(&c.city);
    let href = format!("/contacts/{}", c.id);
    let salesperson = c.salesperson.unwrap_or_else(|| "Unassigned".into());
    view! {
        <tr>
            <td class="contact-no" data-label="No.">{c.no}</td>
            <td class="contact-name" data-label="Name"><a href=href>{c.name}</a></td>
            <td data-label="Kind">{c.kind.label()}</td>
            <td data-label="Company" class:empty=no_company>{company}</td>
            <td data-label="Email" class:empty=no_email>{email}</td>
            <td data-label="Phone" class:empty=no_phone>{phone}</td>
            <td data-label="City" class:empty=no_city>{city}</td>
            <td data-label="Salesperson">{salesperson}</td>
        </tr>
    }
}

/// "1 contact", "1,234 companies".
fn count_label(total: i64, kind: Option<ContactKind>) -> String {
    let (one, many) = match kind {
        None => ("contact", "contacts"),
        Some(ContactKind::Company) => ("company", "companies"),
        Some(ContactKind::Person) => ("person", "persons"),
    };
    format!(
        "{} {}",
        super::thousands(total),
        if total == 1 { one } else { many }
    )
}

fn empty_list(query: &ListQuery) -> AnyView {
    if query.is_filtered() {
        let what = match query.kind {
            None => "No contacts",
            Some(ContactKind::Company) => "No companies",
            Some(ContactKind::Person) => "No persons",
        };
        let message = if query.search.is_empty() {
            format!("{what} yet.")
        } else {
            format!("{what} match “{}”.", query.search)
        };
        view! {
            <section class="card empty-state" role="status">
                <p>{message}</p>
                <p class="muted">"Search looks at names, email addresses and company names."</p>
                <p><a href="/contacts">"Show all contacts"</a></p>
            </section>
        }
        .into_any()
    } else {
        view! {
            <section class="card empty-state" role="status">
                <p>"No contacts yet — add the first one."</p>
                <p><a class="button" href="/contacts/new">"Add a contact"</a></p>
            </section>
        }
        .into_any()
    }
}

// ---- Form ------------------------------------------------------------------------------------

/// The values a contact form starts from.
#[derive(Clone, Debug, Default, PartialEq)]
struct Draft {
    /// A new contact: the salesperson defaults to the viewer's own record.
    new: bool,
    kind: ContactKind,
    name: String,
    company_id: Option<i64>,
    job_title: String,
    email: String,
    phone: String,
    address: String,
    city: String,
    post_code: String,
    country: String,
    salesperson_id: Option<i64>,
    /// The current salesperson's name, shown even if they are no longer assignable.
    salesperson_name: Option<String>,
}

impl Draft {
    fn of(c: &ContactDetail) -> Self {
        Self {
            new: false,
            kind: c.kind,
            name: c.name.clone(),
            company_id: c.company_id,
            job_title: c.job_title.clone(),
            email: c.email.clone(),
            phone: c.phone.clone(),
            address: c.address.clone(),
            city: c.city.clone(),
            post_code: c.post_code.clone(),
            country: c.country.clone(),
            salesperson_id: c.salesperson_id,
            salesperson_name: c.salesperson_name.clone(),
        }
    }
}

/// One labelled text input with its message.
fn text_field(
    error: Signal<Option<AppError>>,
    field: &'static str,
    label: &'static str,
    value: String,
    max: usize,
    input_type: &'static str,
) -> impl IntoView {
    let id = format!("contact-{field}");
    let label_for = id.clone();
    view! {
        <div class="field">
            <label for=label_for>{label}</label>
            <input id=id name=field type=input_type value=value maxlength=max.to_string() autocomplete="off"
                aria-invalid=invalid(error, field) aria-describedby=format!("{field}-error")/>
            <FieldMessage error=error field=field/>
        </div>
    }
}

/// The fields of the new and edit forms (the surrounding `ActionForm` differs).
#[component]
fn ContactFields(
    draft: Draft,
    /// Companies for the picker when the form opens (the chosen one included).
    companies: Vec<CompanyOption>,
    assign: AssignOptions,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let kind = RwSignal::new(draft.kind);
    let chosen_company = RwSignal::new(draft.company_id);
    let company_options = RwSignal::new(companies);
    // Answers to searches may arrive out of order: only the latest one is shown.
    let searches = StoredValue::new(0u64);
    let on_company_search = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        let n = searches.get_value() + 1;
        searches.set_value(n);
        let include = chosen_company.get_untracked().map(|id| id.to_string());
        leptos::task::spawn_local(async move {
            if let Ok(found) = search_companies(Some(text), include).await {
                // The form may be gone by now (saved, or navigated away).
                if searches.try_get_value() == Some(n) {
                    company_options.try_set(found);
                }
            }
        });
    };

    let mut salesperson_options = assign.salespeople.clone();
    if let (Some(id), Some(name)) = (draft.salesperson_id, draft.salesperson_name.clone()) {
        if !salesperson_options.iter().any(|s| s.id == id) {
            salesperson_options.insert(0, SalespersonOption { id, label: name });
        }
    }
    let chosen_salesperson = if draft.new {
        assign.default_id
    } else {
        draft.salesperson_id
    };
    let no_salespeople = salesperson_options.is_empty() && !assign.allow_none;
    let salesperson_hint = if assign.allow_none {
        "Unassigned contacts are visible to everyone."
    } else {
        "Your contacts are assigned to you."
    };
    // Owned copies: the company part is re-created whenever the kind changes.
    let job_title = draft.job_title.clone();
    let initial_kind = draft.kind;
    let kind_choices = ContactKind::ALL
        .into_iter()
        .map(|k| {
            let input_id = format!("contact-kind-{}", k.as_str());
            let label_for = input_id.clone();
            view! {
                <label class="choice" for=label_for>
                    <input type="radio" id=input_id name="kind" value=k.as_str() checked=initial_kind == k
                        on:change=move |_| kind.set(k)/>
                    {k.label()}
                </label>
            }
        })
        .collect_view();
    let salesperson_choices = salesperson_options
        .into_iter()
        .map(|s| view! { <option value=s.id.to_string() selected=chosen_salesperson == Some(s.id)>{s.label}</option> })
        .collect_view();

    view! {
        <fieldset class="field kind-field">
            <legend>"Kind"</legend>
            <div class="choice-row">{kind_choices}</div>
            <FieldMessage error=error field="kind"/>
        </fieldset>
        <div class="field">
            <label for="contact-name">"Name"</label>
            <input id="contact-name" name="name" required maxlength=limits::NAME.to_string() value=draft.name
                autocomplete="off" aria-invalid=invalid(error, "name") aria-describedby="name-error"/>
            <FieldMessage error=error field="name"/>
        </div>
        <Show when=move || kind.get() == ContactKind::Person>
            <div class="field company-field">
                <label for="contact-company">"Company"</label>
                <input id="contact-company-search" type="search" class="company-search" autocomplete="off"
                    aria-label="Search companies" placeholder="Type to find a company" maxlength="100"
                    on:input=on_company_search/>
                <select id="contact-company" name="company_id" aria-invalid=invalid(error, "company_id")
                    aria-describedby="company_id-error"
                    on:change=move |ev| chosen_company.set(event_target_value(&ev).parse().ok())>
                    <option value="" selected=move || chosen_company.get().is_none()>"No company"</option>
                    {move || company_options.get().into_iter().map(|c| {
                        let id = c.id;
                        let label = if c.no.is_empty() { c.name } else { format!("{} ({})", c.name, c.no) };
                        view! {
                            <option value=id.to_string() selected=move || chosen_company.get() == Some(id)>{label}</option>
                        }
                    }).collect_view()}
                </select>
                <FieldMessage error=error field="company_id"/>
            </div>
            <div class="field">
                <label for="contact-job_title">"Job title"</label>
                <input id="contact-job_title" name="job_title" maxlength=limits::JOB_TITLE.to_string()
                    value=job_title.clone() aria-invalid=invalid(error, "job_title") aria-describedby="job_title-error"/>
                <FieldMessage error=error field="job_title"/>
            </div>
        </Show>
        {text_field(error, "email", "Email", draft.email, limits::EMAIL, "email")}
        {text_field(error, "phone", "Phone", draft.phone, limits::PHONE, "tel")}
        {text_field(error, "address", "Address", draft.address, limits::ADDRESS, "text")}
        {text_field(error, "post_code", "Post code", draft.post_code, limits::POST_CODE, "text")}
        {text_field(error, "city", "City", draft.city, limits::CITY, "text")}
        {text_field(error, "country", "Country", draft.country, limits::COUNTRY, "text")}
        <div class="field">
            <label for="contact-salesperson">"Salesperson"</label>
            <select id="contact-salesperson" name="salesperson_id" aria-invalid=invalid(error, "salesperson_id")
                aria-describedby="salesperson_id-error salesperson-hint">
                {assign.allow_none.then(|| view! {
                    <option value="" selected=chosen_salesperson.is_none()>"Unassigned (shared lead pool)"</option>
                })}
                {no_salespeople.then(|| view! { <option value="">"None available"</option> })}
                {salesperson_choices}
            </select>
            <p class="hint" id="salesperson-hint">{salesperson_hint}</p>
            <FieldMessage error=error field="salesperson_id"/>
        </div>
    }
}

// ---- New contact -----------------------------------------------------------------------------

#[component]
pub fn NewContactPage() -> impl IntoView {
    let query = use_query_map();
    // `?company=<id>`: a new person of that company (from "Add person" on a company's card).
    let company =
        query.with_untracked(|q| q.get("company").and_then(|c| c.trim().parse::<i64>().ok()));
    let kind = query
        .with_untracked(|q| q.get("kind").as_deref().and_then(ContactKind::parse))
        .or(company.map(|_| ContactKind::Person))
        .unwrap_or_default();
    let create = ServerAction::<CreateContact>::new();
    let error = action_error(create);
    let options = Resource::new(
        move || company,
        |company| async move {
            let companies = search_companies(None, company.map(|id| id.to_string())).await?;
            let assign = assignable_salespeople().await?;
            Ok::<_, AppError>((companies, assign))
        },
    );

    view! {
        <Title text="New contact · Contacts · Pipeline"/>
        <p class="breadcrumb"><a href="/contacts">"Contacts"</a></p>
        <h1>"New contact"</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || options.get().map(|result| match result {
                Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                Ok((companies, assign)) => {
                    // Only a company the viewer can read is preselected.
                    let company_id = company.filter(|id| companies.iter().any(|c| c.id == *id));
                    let draft = Draft { new: true, kind, company_id, ..Default::default() };
                    view! {
                        <section class="card">
                            <ActionForm action=create attr:class="form-grid contact-form">
                                <ContactFields draft=draft companies=companies assign=assign error=error/>
                                <FormMessage error=error/>
                                <div class="form-actions">
                                    <button class="button" type="submit" disabled=move || create.pending().get()>
                                        {move || if create.pending().get() { "Saving…" } else { "Create contact" }}
                                    </button>
                                    <a href="/contacts">"Cancel"</a>
                                </div>
                            </ActionForm>
                        </section>
                    }.into_any()
                }
            })}
        </Transition>
    }
}

// ---- Contact card ----------------------------------------------------------------------------

type FormOptions = Resource<Result<(Vec<CompanyOption>, AssignOptions), AppError>>;
type Card = Resource<Result<ContactDetail, AppError>>;

#[component]
pub fn ContactPage() -> impl IntoView {
    let params = use_params_map();
    // Passed on as text: the server answers 404 for anything that names no contact.
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let update = ServerAction::<UpdateContact>::new();
    let error = action_error(update);
    // Reloads after each successful save; an error keeps what the user typed.
    let saved = Memo::new(move |_| update.value().get().and_then(|r| r.ok()));
    // Blocking: the status (404) and the title are set before the page is sent.
    let contact: Card = Resource::new_blocking(
        move || (id.get(), saved.get()),
        |(id, _)| get_contact(Some(id)),
    );
    let options: FormOptions = Resource::new(
        || (),
        |_| async move {
            let companies = search_companies(None, None).await?;
            let assign = assignable_salespeople().await?;
            Ok::<_, AppError>((companies, assign))
        },
    );

    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading contact…"</p> }>
            {move || contact.get().map(|result| match result {
                Err(e) => view! {
                    <Title text="Contact not found · Pipeline"/>
                    <section class="card empty-state">
                        <h1>"Contact not found"</h1>
                        <p>{load_error_text(&e)}</p>
                        <p><a href="/contacts">"Back to contacts"</a></p>
                    </section>
                }.into_any(),
                Ok(c) => {
                    let just_saved = saved.get_untracked().is_some_and(|s| s.id == c.id && s.version == c.version);
                    contact_card(c, just_saved, update, error, options, contact)
                }
            })}
        </Transition>
    }
}

fn contact_card(
    c: ContactDetail,
    just_saved: bool,
    update: ServerAction<UpdateContact>,
    error: Signal<Option<AppError>>,
    options: FormOptions,
    contact: Card,
) -> AnyView {
    let title = format!("{} · Contacts · Pipeline", c.name);
    let meta = format!("{} · {}", c.no, c.kind.label());
    let is_person = c.kind == ContactKind::Person;
    let lead = (is_person && !c.job_title.trim().is_empty()).then(|| c.job_title.clone());
    let company = match (c.company_id, c.company_name.clone()) {
        (Some(id), Some(name)) if c.company_readable => {
            view! { <a href=format!("/contacts/{id}")>{name}</a> }.into_any()
        }
        (_, Some(name)) => name.into_any(),
        _ => "—".into_any(),
    };
    let person_facts = if is_person {
        let job_title = or_dash(&c.job_title);
        Some(view! {
            <div><dt>"Company"</dt><dd>{company}</dd></div>
            <div><dt>"Job title"</dt><dd>{job_title}</dd></div>
        })
    } else {
        None
    };
    let email = if c.email.is_empty() {
        "—".into_any()
    } else {
        view! { <a href=format!("mailto:{}", c.email)>{c.email.clone()}</a> }.into_any()
    };
    let phone = if c.phone.is_empty() {
        "—".into_any()
    } else {
        view! { <a href=format!("tel:{}", c.phone.replace(' ', ""))>{c.phone.clone()}</a> }
            .into_any()
    };
    let place = [c.post_code.trim(), c.city.trim()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let address = or_dash(&c.address);
    let place = or_dash(&place);
    let country = or_dash(&c.country);
    let salesperson = c
        .salesperson_name
        .clone()
        .unwrap_or_else(|| "Unassigned".into());
    let added = c.created_at.format("%Y-%m-%d").to_string();
    let persons = (!is_person).then(|| persons_section(&c));
    let contact_id = c.id;
    let edit = c
        .can_change
        .then(|| edit_section(&c, update, error, options, contact));
    let name = c.name;

    view! {
        <Title text=title/>
        <p class="breadcrumb"><a href="/contacts">"Contacts"</a></p>
        <header class="contact-head">
            <p class="muted contact-meta">{meta}</p>
            <h1>{name}</h1>
            {lead.map(|t| view! { <p class="lead">{t}</p> })}
        </header>
        {just_saved.then(|| view! { <p class="form-ok" role="status">"Changes saved."</p> })}
        <div class="contact-grid">
            <section class="card" aria-labelledby="details-heading">
                <h2 id="details-heading">"Details"</h2>
                <dl class="facts">
                    {person_facts}
                    <div><dt>"Email"</dt><dd>{email}</dd></div>
                    <div><dt>"Phone"</dt><dd>{phone}</dd></div>
                    <div><dt>"Address"</dt><dd>{address}</dd></div>
                    <div><dt>"Post code and city"</dt><dd>{place}</dd></div>
                    <div><dt>"Country"</dt><dd>{country}</dd></div>
                    <div><dt>"Salesperson"</dt><dd>{salesperson}</dd></div>
                    <div><dt>"Added"</dt><dd>{added}</dd></div>
                </dl>
            </section>
            {persons}
            <ContactOpportunities contact_id=contact_id/>
        </div>
        {edit}
    }
    .into_any()
}

/// The contact's opportunities (as the person, or as their company) and a way to add one.
#[component]
fn ContactOpportunities(contact_id: i64) -> impl IntoView {
    use crate::opportunities::{api::contact_opportunities, money, pages_row};
    let list = Resource::new(
        move || contact_id,
        |id| contact_opportunities(Some(id.to_string())),
    );
    let new_href = format!("/opportunities/new?contact={contact_id}");
    view! {
        <section class="card contact-opportunities" aria-labelledby="opportunities-heading">
            <div class="section-head">
                <h2 id="opportunities-heading">"Opportunities"</h2>
                <a class="button secondary small" href=new_href>"New opportunity"</a>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || list.get().map(|result| match result {
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok(items) if items.is_empty() => view! { <p class="muted">"No opportunities yet."</p> }.into_any(),
                    Ok(items) => {
                        let open: rust_decimal::Decimal = items.iter().filter(|o| !o.status.is_closed()).map(|o| o.estimated_value).sum();
                        view! {
                            <p class="muted">{format!("Open estimated value: {}", money(open))}</p>
                            <ul class="opp-mini-list">{items.into_iter().map(pages_row).collect_view()}</ul>
                        }.into_any()
                    }
                })}
            </Transition>
        </section>
    }
}

fn persons_section(c: &ContactDetail) -> impl IntoView + use<> {
    let add_href = format!("/contacts/new?company={}", c.id);
    let list = if c.persons.is_empty() {
        view! { <p class="muted">"No persons at this company yet."</p> }.into_any()
    } else {
        let items = c
            .persons
            .iter()
            .cloned()
            .map(|p| {
                let href = format!("/contacts/{}", p.id);
                let title = (!p.job_title.is_empty()).then(|| format!(" · {}", p.job_title));
                let email = (!p.email.is_empty()).then_some(p.email);
                view! {
                    <li>
                        <a href=href>{p.name}</a>
                        {title.map(|t| view! { <span class="muted">{t}</span> })}
                        {email.map(|e| view! { <span class="person-contact muted">{e}</span> })}
                    </li>
                }
            })
            .collect_view();
        view! { <ul class="person-list">{items}</ul> }.into_any()
    };
    view! {
        <section class="card" aria-labelledby="persons-heading">
            <div class="section-head">
                <h2 id="persons-heading">"Persons"</h2>
                <a class="button secondary small" href=add_href>"Add person"</a>
            </div>
            {list}
        </section>
    }
}

fn edit_section(
    c: &ContactDetail,
    update: ServerAction<UpdateContact>,
    error: Signal<Option<AppError>>,
    options: FormOptions,
    contact: Card,
) -> impl IntoView + use<> {
    let draft = StoredValue::new(Draft::of(c));
    let (id, version) = (c.id, c.version);
    // The picker lists the first companies alphabetically; the current one is added if missing.
    let current_company =
        StoredValue::new(c.company_id.zip(c.company_name.clone()).map(|(id, name)| {
            CompanyOption {
                id,
                no: String::new(),
                name,
            }
        }));
    // Left open after a failed save, so the messages next to the fields stay in view.
    let open = move || error.get().is_some();
    // Someone else saved first: offer their version (the user's typing is discarded on request).
    let stale = move || matches!(error.get(), Some(AppError::Conflict(_)));
    let reload = move |_| {
        update.clear();
        contact.refetch();
    };
    view! {
        <details class="card edit-card" open=open>
            <summary>"Edit contact"</summary>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || options.get().map(|result| match result {
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok((mut companies, assign)) => {
                        if let Some(current) = current_company.get_value() {
                            if !companies.iter().any(|o| o.id == current.id) {
                                companies.insert(0, current);
                            }
                        }
                        view! {
                            <ActionForm action=update attr:class="form-grid contact-form">
                                <input type="hidden" name="id" value=id.to_string()/>
                                <input type="hidden" name="version" value=version.to_string()/>
                                <ContactFields draft=draft.get_value() companies=companies assign=assign error=error/>
                                <FormMessage error=error/>
                                <div class="form-actions">
                                    <button class="button" type="submit" disabled=move || update.pending().get()>
                                        {move || if update.pending().get() { "Saving…" } else { "Save changes" }}
                                    </button>
                                    <Show when=stale>
                                        <button class="button secondary" type="button" on:click=reload>
                                            "Load the latest version"
                                        </button>
                                    </Show>
                                </div>
                            </ActionForm>
                        }.into_any()
                    }
                })}
            </Transition>
        </details>
    }
}
