//! The application shell: document, navigation and routes.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    components::{A, Route, Router, Routes},
    path,
};

use crate::home::HomePage;

/// The HTML document the server renders around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="theme-color" content="#1f3a5f"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The navigation entries, in the order a salesperson's day uses them.
const NAV: [(&str, &str); 6] = [
    ("/", "Home"),
    ("/board", "Board"),
    ("/opportunities", "Opportunities"),
    ("/contacts", "Contacts"),
    ("/dashboard", "Dashboard"),
    ("/setup", "Setup"),
];

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let (menu_open, set_menu_open) = signal(false);
    // Effects run only in the browser: marks the page as hydrated (interactive) for tests and CSS.
    Effect::new(|_| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Stylesheet id="leptos" href="/pkg/pipeline.css"/>
        <Title text="Pipeline"/>
        <Router>
            <div class="app" class:menu-open=menu_open>
                <header class="topbar">
                    <a class="brand" href="/">
                        <span class="brand-mark" aria-hidden="true">"P"</span>
                        <span>"Pipeline"</span>
                    </a>
                    <button
                        class="menu-button"
                        type="button"
                        aria-controls="main-nav"
                        aria-expanded=move || menu_open.get().to_string()
                        on:click=move |_| set_menu_open.update(|open| *open = !*open)
                    >
                        {move || if menu_open.get() { "Close menu" } else { "Menu" }}
                    </button>
                </header>
                <nav id="main-nav" class="sidebar" aria-label="Main">
                    <ul>
                        {NAV
                            .into_iter()
                            .map(|(href, label)| {
                                view! {
                                    <li>
                                        <A href=href exact=true on:click=move |_| set_menu_open.set(false)>
                                            {label}
                                        </A>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                </nav>
                <main class="content">
                    <Routes fallback=NotFound>
                        <Route path=path!("") view=HomePage/>
                        <Route path=path!("board") view=|| view! { <Planned title="Board"/> }/>
                        <Route path=path!("opportunities") view=|| view! { <Planned title="Opportunities"/> }/>
                        <Route path=path!("contacts") view=|| view! { <Planned title="Contacts"/> }/>
                        <Route path=path!("dashboard") view=|| view! { <Planned title="Dashboard"/> }/>
                        <Route path=path!("setup") view=|| view! { <Planned title="Setup"/> }/>
                    </Routes>
                </main>
            </div>
        </Router>
    }
}

/// A section of the product that is not built yet: says so plainly instead of a blank page.
#[component]
fn Planned(title: &'static str) -> impl IntoView {
    view! {
        <Title text=format!("{title} · Pipeline")/>
        <h1>{title}</h1>
        <section class="card empty-state">
            <p>"This part of Pipeline is on its way."</p>
            <p class="muted">"Its issue is open in the project's tracker."</p>
        </section>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            resp.set_status(leptos_axum::axum::http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <Title text="Not found · Pipeline"/>
        <h1>"Page not found"</h1>
        <section class="card empty-state">
            <p>"There is nothing at this address."</p>
            <p><a href="/">"Back to Home"</a></p>
        </section>
    }
}
