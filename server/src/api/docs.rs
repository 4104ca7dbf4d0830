//! `/api/openapi.json` and `/api/docs`: the OpenAPI document and a reference page rendered from
//! it on the server — plain HTML, no script and nothing fetched from the internet.

use axum::{
    Json, Router,
    http::{HeaderValue, header},
    response::{Html, IntoResponse},
    routing::get,
};
use serde_json::Value;

pub fn router(document: utoipa::openapi::OpenApi) -> Router {
    let json = serde_json::to_value(&document).unwrap_or_default();
    let page = render(&json);
    Router::new().route("/api/openapi.json", get(move || async move { Json(json) })).route(
        "/api/docs",
        get(move || async move {
            let mut response = Html(page).into_response();
            response.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"),
            );
            response
        }),
    )
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn text(v: &Value) -> String {
    v.as_str().map(esc).unwrap_or_default()
}

/// A schema's type in words, with links to named schemas.
fn type_of(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or(r);
        return format!("<a href=\"#schema-{0}\">{0}</a>", esc(name));
    }
    if let Some(one_of) = schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))
        .and_then(Value::as_array)
    {
        return one_of.iter().map(type_of).collect::<Vec<_>>().join(" or ");
    }
    let kinds: Vec<String> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect(),
        _ => vec![],
    };
    let mut words: Vec<String> = kinds
        .iter()
        .map(|t| match t.as_str() {
            "array" => format!(
                "array of {}",
                schema.get("items").map(type_of).unwrap_or_default()
            ),
            "string" => match schema.get("format").and_then(Value::as_str) {
                Some(f) => format!("string ({})", esc(f)),
                None => "string".into(),
            },
            other => esc(other),
        })
        .collect();
    if words.is_empty() {
        words.push("any".into());
    }
    words.join(" or ")
}

fn render(doc: &Value) -> String {
    let mut out = String::with_capacity(64 << 10);
    let title = text(&doc["info"]["title"]);
    out.push_str(&format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} reference</title><style>{STYLE}</style></head><body><main>"
    ));
    out.push_str(&format!(
        "<h1>{title}</h1><p>{}</p>",
        text(&doc["info"]["description"])
    ));
    out.push_str(INTRO);

    // Operations, grouped by tag in the document's tag order.
    let tags: Vec<(String, String)> = doc["tags"]
        .as_array()
        .map(|ts| {
            ts.iter()
                .map(|t| {
                    (
                        t["name"].as_str().unwrap_or("").to_owned(),
                        text(&t["description"]),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    out.push_str("<nav aria-label=\"Contents\"><ul>");
    for (tag, _) in &tags {
        out.push_str(&format!("<li><a href=\"#tag-{0}\">{0}</a></li>", esc(tag)));
    }
    out.push_str("<li><a href=\"#schemas\">Schemas</a></li></ul></nav>");
    let empty = serde_json::Map::new();
    let paths = doc["paths"].as_object().unwrap_or(&empty);
    for (tag, description) in &tags {
        out.push_str(&format!(
            "<section><h2 id=\"tag-{0}\">{0}</h2><p>{description}</p>",
            esc(tag)
        ));
        for (path, item) in paths {
            for method in ["get", "post", "patch", "put", "delete"] {
                let Some(op) = item.get(method) else { continue };
                let in_tag = op["tags"]
                    .as_array()
                    .is_some_and(|ts| ts.iter().any(|t| t.as_str() == Some(tag)));
                if in_tag {
                    operation(&mut out, method, path, op);
                }
            }
        }
        out.push_str("</section>");
    }

    out.push_str("<section><h2 id=\"schemas\">Schemas</h2>");
    if let Some(schemas) = doc["components"]["schemas"].as_object() {
        for (name, schema) in schemas {
            out.push_str(&format!("<h3 id=\"schema-{0}\">{0}</h3>", esc(name)));
            if let Some(d) = schema.get("description") {
                out.push_str(&format!("<p>{}</p>", text(d)));
            }
            let required: Vec<&str> = schema["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if let Some(props) = schema["properties"].as_object() {
                out.push_str("<div class=\"scroll\"><table><thead><tr><th>Field</th><th>Type</th><th>Required</th><th>Description</th></tr></thead><tbody>");
                for (field, prop) in props {
                    let example = prop
                        .get("example")
                        .map(|e| {
                            format!(
                                " <span class=\"muted\">e.g. <code>{}</code></span>",
                                esc(&e.to_string())
                            )
                        })
                        .unwrap_or_default();
                    out.push_str(&format!(
                        "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}{example}</td></tr>",
                        esc(field),
                        type_of(prop),
                        if required.contains(&field.as_str()) { "yes" } else { "" },
                        text(&prop["description"]),
                    ));
                }
                out.push_str("</tbody></table></div>");
            } else {
                out.push_str(&format!("<p>{}</p>", type_of(schema)));
            }
        }
    }
    out.push_str("</section></main></body></html>");
    out
}

fn operation(out: &mut String, method: &str, path: &str, op: &Value) {
    let id = format!("{method}-{}", path.replace(['/', '{', '}'], "-"));
    out.push_str(&format!(
        "<article class=\"op\" id=\"{id}\"><h3><span class=\"method {method}\">{}</span> <code>{}</code></h3>",
        method.to_uppercase(),
        esc(path)
    ));
    for key in ["summary", "description"] {
        if let Some(t) = op
            .get(key)
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
        {
            out.push_str(&format!("<p>{}</p>", esc(t)));
        }
    }
    if let Some(params) = op["parameters"].as_array().filter(|p| !p.is_empty()) {
        out.push_str("<h4>Parameters</h4><div class=\"scroll\"><table><thead><tr><th>Name</th><th>In</th><th>Type</th><th>Required</th><th>Description</th></tr></thead><tbody>");
        for p in params {
            out.push_str(&format!(
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                text(&p["name"]),
                text(&p["in"]),
                type_of(&p["schema"]),
                if p["required"].as_bool() == Some(true) {
                    "yes"
                } else {
                    ""
                },
                text(&p["description"]),
            ));
        }
        out.push_str("</tbody></table></div>");
    }
    if let Some(body) = op["requestBody"]["content"].as_object() {
        for (media, content) in body {
            out.push_str(&format!(
                "<h4>Body</h4><p><code>{}</code>: {}</p>",
                esc(media),
                type_of(&content["schema"])
            ));
        }
    }
    if let Some(responses) = op["responses"].as_object() {
        out.push_str("<h4>Responses</h4><ul class=\"responses\">");
        for (status, r) in responses {
            let schema = r["content"]
                .as_object()
                .and_then(|c| c.values().next())
                .map(|c| type_of(&c["schema"]))
                .unwrap_or_default();
            let description = match text(&r["description"]) {
                d if d.is_empty() => status
                    .parse::<u16>()
                    .ok()
                    .and_then(|s| axum::http::StatusCode::from_u16(s).ok())
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("")
                    .to_owned(),
                d => d,
            };
            out.push_str(&format!(
                "<li><strong>{}</strong> {description} {schema}</li>",
                esc(status)
            ));
        }
        out.push_str("</ul>");
    }
    out.push_str("</article>");
}

const INTRO: &str = "<section><h2>Getting started</h2>\
<ol><li>Create a token on your <a href=\"/profile\">profile page</a> (<em>API tokens</em>). It is shown once.</li>\
<li>Send it with every request: <code>Authorization: Bearer plt_…</code>. The token acts as you, with your role and team access.</li>\
<li>Read with <code>GET</code>; each opportunity answers with an <code>ETag</code>. Send it back as <code>If-Match</code> when you change it: \
if someone changed it meanwhile you get <strong>412</strong> instead of overwriting their change.</li>\
<li>Add an <code>Idempotency-Key</code> header (any unique text, e.g. a UUID) to a <code>POST</code>: a retry with the same key gets the first \
answer and changes nothing.</li></ol>\
<pre>curl -H \"Authorization: Bearer $TOKEN\" 'http://localhost:3000/api/v1/opportunities?status=open&amp;limit=10'</pre>\
<p>Errors are <code>application/problem+json</code> with <code>status</code>, <code>detail</code> and, for bad input, <code>errors</code> per field. \
Lists return <code>next_cursor</code>: pass it as <code>cursor</code> for the next slice. Each token may make 50 requests per second \
(429 with <code>Retry-After</code> beyond). The machine-readable document: <a href=\"/api/openapi.json\">/api/openapi.json</a> (OpenAPI 3.1).</p></section>";

const STYLE: &str = "body{margin:0;font:16px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1d2433;background:#f6f7f9}\
main{max-width:960px;margin:0 auto;padding:1rem}h1{margin-top:.5rem}h2{border-bottom:2px solid #dde2ea;padding-bottom:.25rem;margin-top:2.5rem}\
.op{background:#fff;border:1px solid #dde2ea;border-radius:8px;padding:.75rem 1rem;margin:1rem 0}.op h3{margin:.25rem 0;font-size:1.05rem;overflow-wrap:anywhere}\
.method{display:inline-block;min-width:4.2rem;text-align:center;border-radius:4px;padding:.1rem .4rem;color:#fff;font-size:.85rem}\
.get{background:#1b6fd8}.post{background:#17803d}.patch{background:#a35b00}.delete{background:#b3261e}.put{background:#6b3fa0}\
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{text-align:left;border-bottom:1px solid #e6e9ef;padding:.3rem .4rem;vertical-align:top}\
.scroll{overflow-x:auto}code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.88em}pre{background:#fff;border:1px solid #dde2ea;padding:.6rem;overflow-x:auto}\
.muted{color:#5b6577}nav ul{display:flex;flex-wrap:wrap;gap:.5rem 1rem;list-style:none;padding:0}.responses{padding-left:1.2rem}a{color:#1b5fc1}";
