//! The opportunity list (filters, totals, paging) and the new-opportunity form. The list is
//! driven by its URL, so filters are links that can be shared and work before hydration.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::Form, hooks::use_query_map};

use super::{
    Choice, FilterOptions, ListQuery, NewOptions, OpportunityList, OpportunityListItem, Priority,
    SortKey, StatusFilter,
    api::{
        CreateOpportunity, list_filter_options, list_opportunities, new_opportunity_options,
        search_contacts,
    },
    money, percent,
};
use crate::{
    domain::entries::Status,
    error::AppError,
    ui::{FieldMessage, FormMessage, action_error, invalid, pager},
};

pub fn status_badge(status: Status) -> impl IntoView {
    let class = match status {
        Status::NotStarted => "badge status-not-started",
        Status::InProgress => "badge status-in-progress",
        Status::Won => "badge status-won",
        Status::Lost => "badge status-lost",
    };
    view! { <span class=class>{status.label()}</span> }
}

// ---- List ------------------------------------------------------------------------------------

#[component]
pub fn OpportunitiesPage() -> impl IntoView {
    let query_map = use_query_map();
    let query = Memo::new(move |_| query_map.with(ListQuery::from_map));
    let list = Resource::new(
        move || query.get(),
        |q| list_opportunities(Some(q.encoded())),
    );
    let options = Resource::new(|| (), |_| list_filter_options());
    // Live: anyone's change may change the list or its totals.
    crate::live::refetch_on_live(|_| true, move || list.refetch());

    view! {
        <Title text="Opportunities · Pipeline"/>
        <div class="page-head">
            <h1>"Opportunities"</h1>
            <div class="page-head-actions">
                <a href="/opportunities/statistics">"Statistics"</a>
                // Every row the filter matches (not just this page), as the list shows them.
                <a href=move || format!("/export/opportunities.csv?{}", query.get().with_page(1).encoded())
                    download="opportunities.csv" rel="external">"Export CSV"</a>
                <a href="/import?kind=opportunities">"Import CSV"</a>
                <a class="button" href="/opportunities/new">"New opportunity"</a>
            </div>
        </div>
        <Transition fallback=|| ()>
            {move || options.get().map(|result| match result {
                Ok(options) => filters(options, query.get_untracked()).into_any(),
                Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Transition>
        <Transition fallback=|| view! { <p class="muted">"Loading opportunities…"</p> }>
            {move || list.get().map(|result| match result {
                Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                Ok(list) => opportunity_list(list, query.get_untracked()),
            })}
        </Transition>
    }
}

fn choice_select(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    all: &'static str,
    choices: Vec<Choice>,
    selected: Option<i64>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <select id=id name=name>
                <option value="" selected=selected.is_none()>{all}</option>
                {choices.into_iter().map(|c| view! {
                    <option value=c.id.to_string() selected=selected == Some(c.id)>{c.label}</option>
                }).collect_view()}
            </select>
        </div>
    }
}

fn filters(options: FilterOptions, query: ListQuery) -> impl IntoView {
    let from = query
        .closing_from
        .map(|d| d.to_string())
        .unwrap_or_default();
    let to = query.closing_to.map(|d| d.to_string()).unwrap_or_default();
    let stages = options.stages.clone();
    let more = query
        .more
        .describe(|id| stages.iter().find(|c| c.id == id).map(|c| c.label.clone()))
        .map(|text| {
            let without = ListQuery {
                more: Default::default(),
                page: 1,
                ..query.clone()
            }
            .href();
            view! {
                <p class="more-filters" data-testid="more-filters">
                    "Also filtered: " {text} " " <a href=without>"Remove"</a>
                </p>
            }
        });
    // Kept through "Apply": they have no control of their own.
    let hidden = query
        .more
        .pairs()
        .into_iter()
        .map(|(name, value)| view! { <input type="hidden" name=name value=value/> })
        .collect_view();
    view! {
        {more}
        <Form method="get" action="/opportunities" attr:class="opportunity-filters card" attr:role="search" attr:aria-label="Filter opportunities">
            {hidden}
            <div class="field filter-search">
                <label for="opp-q">"Search"</label>
                <input id="opp-q" name="q" type="search" maxlength="100" autocomplete="off"
                    placeholder="Description, no. or contact" value=query.search.clone()/>
            </div>
            <div class="field">
                <label for="opp-status">"Status"</label>
                <select id="opp-status" name="status">
                    {StatusFilter::CHOICES.into_iter().map(|(filter, label)| view! {
                        <option value=filter.as_str() selected=query.status == filter>{label}</option>
                    }).collect_view()}
                </select>
            </div>
            {choice_select("opp-cycle", "cycle", "Sales cycle", "All cycles", options.cycles, query.cycle)}
            {choice_select("opp-stage", "stage", "Stage", "All stages", options.stages, query.stage)}
            {choice_select("opp-salesperson", "salesperson", "Salesperson", "Everyone", options.salespeople, query.salesperson)}
            {choice_select("opp-team", "team", "Team", "All teams", options.teams, query.team)}
            <div class="field">
                <label for="opp-priority">"Priority"</label>
                <select id="opp-priority" name="priority">
                    <option value="" selected=query.priority.is_none()>"Any"</option>
                    {Priority::ALL.into_iter().map(|p| view! {
                        <option value=p.as_str() selected=query.priority == Some(p)>{p.label()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="opp-from">"Closing from"</label>
                <input id="opp-from" name="from" type="date" value=from/>
            </div>
            <div class="field">
                <label for="opp-to">"Closing to"</label>
                <input id="opp-to" name="to" type="date" value=to/>
            </div>
            <div class="field">
                <label for="opp-sort">"Sort by"</label>
                <select id="opp-sort" name="sort">
                    {SortKey::ALL.into_iter().map(|key| view! {
                        <option value=key.as_str() selected=query.sort == key>{key.label()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="opp-dir">"Order"</label>
                <select id="opp-dir" name="dir">
                    <option value="asc" selected=!query.descending>"Ascending"</option>
                    <option value="desc" selected=query.descending>"Descending"</option>
                </select>
            </div>
            <div class="form-actions">
                <button class="button" type="submit">"Apply"</button>
                <a href="/opportunities">"Reset"</a>
            </div>
        </Form>
    }
}

fn opportunity_list(list: OpportunityList, query: ListQuery) -> AnyView {
    if list.total == 0 {
        let message = if query.is_filtered() {
            "No opportunities match these filters."
        } else {
            "No open opportunities yet."
        };
        return view! {
            <section class="card empty-state" role="status">
                <p>{message}</p>
                <p><a class="button" href="/opportunities/new">"Create an opportunity"</a></p>
            </section>
        }
        .into_any();
    }
    let count = format!(
        "{} {}",
        crate::contacts::thousands(list.total),
        if list.total == 1 {
            "opportunity"
        } else {
            "opportunities"
        }
    );
    let previous = (list.page > 1).then(|| query.with_page(list.page - 1).href());
    let next = (list.page < list.last_page()).then(|| query.with_page(list.page + 1).href());
    let page_label = format!("Page {} of {}", list.page, list.last_page());
    let rows = list.items.into_iter().map(opportunity_row).collect_view();
    view! {
        <section class="totals card" aria-label="Totals">
            <div class="total"><span class="total-label">"Opportunities"</span><span class="total-value" data-total="count">{count}</span></div>
            <div class="total"><span class="total-label">"Estimated value"</span><span class="total-value" data-total="estimated">{money(list.sum_estimated)}</span></div>
            <div class="total"><span class="total-label">"Calculated current value"</span><span class="total-value" data-total="calculated">{money(list.sum_calculated)}</span></div>
        </section>
        <div class="table-wrap">
            <table class="table opportunities-table">
                <caption class="sr-only">"Opportunities"</caption>
                <thead><tr>
                    {sort_header("No.", SortKey::No, &query)}
                    <th scope="col">"Description"</th>
                    <th scope="col">"Contact"</th>
                    <th scope="col">"Stage"</th>
                    <th scope="col">"Status"</th>
                    {sort_header("Estimated value", SortKey::Value, &query)}
                    <th scope="col" class="num">"Probability"</th>
                    <th scope="col" class="num">"Calculated value"</th>
                    {sort_header("Closing", SortKey::Closing, &query)}
                    <th scope="col">"Salesperson"</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        {pager(previous, next, page_label)}
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

pub fn opportunity_row(o: OpportunityListItem) -> impl IntoView {
    let href = format!("/opportunities/{}", o.id);
    let contact_href = format!("/contacts/{}", o.contact_id);
    let stage = o.stage.unwrap_or_else(|| "—".into());
    let closing = o
        .estimated_closing_date
        .map(|d| d.to_string())
        .unwrap_or_else(|| "—".into());
    view! {
        <tr>
            <td data-label="No."><a href=href.clone()>{o.no}</a></td>
            <td class="opp-description" data-label="Description"><a href=href>{o.description}</a></td>
            <td data-label="Contact"><a href=contact_href>{o.contact_name}</a></td>
            <td data-label="Stage">{stage}</td>
            <td data-label="Status">{status_badge(o.status)}</td>
            <td class="num" data-label="Estimated value">{money(o.estimated_value)}</td>
            <td class="num" data-label="Probability">{percent(o.probability)}</td>
            <td class="num" data-label="Calculated value">{money(o.calculated_value)}</td>
            <td data-label="Closing">{closing}</td>
            <td data-label="Salesperson">{o.salesperson_name}</td>
        </tr>
    }
}

// ---- New opportunity -------------------------------------------------------------------------

#[component]
pub fn NewOpportunityPage() -> impl IntoView {
    let query = use_query_map();
    // `?contact=<id>`: from "New opportunity" on a contact's card.
    let contact = query.with_untracked(|q| q.get("contact"));
    let create = ServerAction::<CreateOpportunity>::new();
    let error = action_error(create);
    let options = Resource::new(move || contact.clone(), new_opportunity_options);

    view! {
        <Title text="New opportunity · Opportunities · Pipeline"/>
        <p class="breadcrumb"><a href="/opportunities">"Opportunities"</a></p>
        <h1>"New opportunity"</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || options.get().map(|result| match result {
                Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                Ok(options) => view! {
                    <section class="card">
                        <ActionForm action=create attr:class="form-grid opportunity-form">
                            <NewFields options=options error=error/>
                            <FormMessage error=error/>
                            <div class="form-actions">
                                <button class="button" type="submit" disabled=move || create.pending().get()>
                                    {move || if create.pending().get() { "Creating…" } else { "Create opportunity" }}
                                </button>
                                <a href="/opportunities">"Cancel"</a>
                            </div>
                        </ActionForm>
                    </section>
                }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn NewFields(options: NewOptions, error: Signal<Option<AppError>>) -> impl IntoView {
    let chosen = RwSignal::new(options.contact.as_ref().map(|c| c.id));
    let contact_options = RwSignal::new(options.contact.clone().into_iter().collect::<Vec<_>>());
    let salesperson = RwSignal::new(options.default_salesperson);
    let assignable: Vec<i64> = options.salespeople.iter().map(|s| s.id).collect();
    // Answers to searches may arrive out of order: only the latest one is shown.
    let searches = StoredValue::new(0u64);
    let search = move |text: String| {
        let n = searches.get_value() + 1;
        searches.set_value(n);
        let include = chosen.get_untracked().map(|id| id.to_string());
        leptos::task::spawn_local(async move {
            if let Ok(found) = search_contacts(Some(text), include).await
                && searches.try_get_value() == Some(n)
            {
                contact_options.try_set(found);
            }
        });
    };
    // The first list of contacts, so the picker is usable before anything is typed.
    Effect::new(move |done: Option<()>| {
        if done.is_none() {
            search(String::new());
        }
    });
    let on_contact_change = move |ev: leptos::ev::Event| {
        let id = event_target_value(&ev).parse::<i64>().ok();
        chosen.set(id);
        // The salesperson follows the contact's, as in Business Central.
        let owner = contact_options.with_untracked(|list| {
            list.iter()
                .find(|c| Some(c.id) == id)
                .and_then(|c| c.salesperson_id)
        });
        if let Some(owner) = owner.filter(|o| assignable.contains(o)) {
            salesperson.set(Some(owner));
        }
    };
    let today = options.today.to_string();
    let no_cycles = options.cycles.is_empty();

    view! {
        <div class="field field-wide">
            <label for="opp-description">"Description"</label>
            <input id="opp-description" name="description" required maxlength="100" autocomplete="off"
                placeholder="e.g. 40 laptops for the Berlin office"
                aria-invalid=invalid(error, "description") aria-describedby="description-error"/>
            <FieldMessage error=error field="description"/>
        </div>
        <div class="field field-wide">
            <label for="opp-contact">"Contact"</label>
            <input id="opp-contact-search" type="search" autocomplete="off" aria-label="Search contacts"
                placeholder="Type to find a person or company" maxlength="100"
                on:input=move |ev| search(event_target_value(&ev))/>
            <select id="opp-contact" name="contact_id" required aria-invalid=invalid(error, "contact_id")
                aria-describedby="contact_id-error" on:change=on_contact_change>
                <option value="" selected=move || chosen.get().is_none()>"Choose a contact"</option>
                {move || contact_options.get().into_iter().map(|c| {
                    let id = c.id;
                    view! { <option value=id.to_string() selected=move || chosen.get() == Some(id)>{c.label}</option> }
                }).collect_view()}
            </select>
            <FieldMessage error=error field="contact_id"/>
        </div>
        <div class="field">
            <label for="opp-salesperson">"Salesperson"</label>
            <select id="opp-salesperson" name="salesperson_id" required aria-invalid=invalid(error, "salesperson_id")
                aria-describedby="salesperson_id-error" on:change=move |ev| salesperson.set(event_target_value(&ev).parse().ok())>
                <option value="" selected=move || salesperson.get().is_none()>"Choose a salesperson"</option>
                {options.salespeople.into_iter().map(|s| {
                    let id = s.id;
                    view! { <option value=id.to_string() selected=move || salesperson.get() == Some(id)>{s.label}</option> }
                }).collect_view()}
            </select>
            <FieldMessage error=error field="salesperson_id"/>
        </div>
        <div class="field">
            <label for="opp-cycle">"Sales cycle"</label>
            <select id="opp-cycle" name="cycle_id" required aria-invalid=invalid(error, "cycle_id") aria-describedby="cycle_id-error">
                {no_cycles.then(|| view! { <option value="">"No sales cycle available"</option> })}
                {options.cycles.into_iter().enumerate().map(|(i, c)| view! {
                    <option value=c.id.to_string() selected=i == 0>{c.label}</option>
                }).collect_view()}
            </select>
            <FieldMessage error=error field="cycle_id"/>
        </div>
        <div class="field">
            <label for="opp-creation">"Creation date"</label>
            <input id="opp-creation" name="creation_date" type="date" value=today
                aria-invalid=invalid(error, "creation_date") aria-describedby="creation_date-error"/>
            <FieldMessage error=error field="creation_date"/>
        </div>
        <div class="field">
            <label for="opp-priority">"Priority"</label>
            <select id="opp-priority" name="priority">
                {Priority::ALL.into_iter().map(|p| view! {
                    <option value=p.as_str() selected=p == Priority::Normal>{p.label()}</option>
                }).collect_view()}
            </select>
        </div>
        <div class="field">
            <label for="opp-value">"Estimated value"</label>
            <input id="opp-value" name="estimated_value" inputmode="decimal" autocomplete="off" placeholder="0.00"
                aria-invalid=invalid(error, "estimated_value") aria-describedby="estimated_value-error"/>
            <FieldMessage error=error field="estimated_value"/>
        </div>
        <div class="field">
            <label for="opp-chances">"Chances of success %"</label>
            <input id="opp-chances" name="chances" inputmode="decimal" autocomplete="off" placeholder="from the stage"
                aria-invalid=invalid(error, "chances") aria-describedby="chances-error"/>
            <FieldMessage error=error field="chances"/>
        </div>
        <div class="field">
            <label for="opp-closing">"Estimated closing date"</label>
            <input id="opp-closing" name="estimated_closing_date" type="date"
                aria-invalid=invalid(error, "estimated_closing_date") aria-describedby="estimated_closing_date-error"/>
            <FieldMessage error=error field="estimated_closing_date"/>
        </div>
        <div class="field field-wide">
            <label class="choice" for="opp-activate">
                <input id="opp-activate" type="checkbox" name="activate_first_stage" value="on" checked=true/>
                "Activate the first stage now"
            </label>
            <p class="hint">"Records the first entry at once, with the first stage's chances and closing date."</p>
            <FieldMessage error=error field="target_stage"/>
        </div>
    }
}

/// A compact line for lists elsewhere (the contact card).
pub fn mini_row(o: OpportunityListItem) -> impl IntoView {
    let href = format!("/opportunities/{}", o.id);
    let stage = o.stage.unwrap_or_else(|| "not started".into());
    view! {
        <li class="opp-mini">
            <a href=href>{o.no}" "{o.description}</a>
            {status_badge(o.status)}
            <span class="muted">{stage}" · "{money(o.estimated_value)}</span>
        </li>
    }
}
