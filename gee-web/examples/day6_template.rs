//! Gee day 6 — the Go course's `day6-template/main.go`: askama templates, a custom template
//! filter, and static files under `/assets`. Run it from `gee-web/` (the tour does), so that
//! `./static` is found.
//!
//! ```text
//! $ curl http://localhost:9999/students
//! <p>0: Geektutu is 20 years old</p> ...
//! $ curl http://localhost:9999/date
//! <p>Date: 2019-08-17</p> ...
//! $ curl -i http://localhost:9999/assets/css/geektutu.css
//! HTTP/1.1 200 OK
//! content-type: text/css; charset=utf-8
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use askama::Template;
use gee_web::{Context, Engine, StatusCode, logger};

// ANCHOR: templates
/// `templates/css.html`: a page that loads the stylesheet from `/assets`.
#[derive(Template)]
#[template(path = "css.html")]
struct CssPage;

/// One row of the students table.
struct Student {
    name: &'static str,
    age: u32,
}

/// `templates/arr.html`: a loop over students.
#[derive(Template)]
#[template(path = "arr.html")]
struct StudentsPage<'a> {
    title: &'a str,
    students: &'a [Student],
}

/// `templates/custom_func.html`: a date through the custom `format_as_date` filter.
#[derive(Template)]
#[template(path = "custom_func.html")]
struct DatePage<'a> {
    title: &'a str,
    now: SystemTime,
}

/// Custom filters: askama finds them in a module named `filters` next to the template
/// (Go's `SetFuncMap(template.FuncMap{"FormatAsDate": FormatAsDate})`).
mod filters {
    use std::time::SystemTime;

    /// `{{ now|format_as_date }}` → `2019-08-17`.
    #[askama::filter_fn]
    pub fn format_as_date(t: &SystemTime, _: &dyn askama::Values) -> askama::Result<String> {
        let (year, month, day) = gee_web::template::civil_date(*t);
        Ok(format!("{year}-{month:02}-{day:02}"))
    }
}
// ANCHOR_END: templates

static STUDENTS: [Student; 2] = [
    Student {
        name: "Geektutu",
        age: 20,
    },
    Student {
        name: "Jack",
        age: 22,
    },
];

// ANCHOR: main
#[tokio::main]
async fn main() -> Result<(), gee_web::Error> {
    common::init_tracing();
    let mut r = Engine::new();
    r.with(logger());
    r.static_dir("/assets", "./static");
    r.get("/", async |c: &mut Context| {
        c.html(StatusCode::OK, CssPage.render())
    });
    r.get("/students", async |c: &mut Context| {
        let page = StudentsPage {
            title: "gee",
            students: &STUDENTS,
        };
        c.html(StatusCode::OK, page.render())
    });
    r.get("/date", async |c: &mut Context| {
        // 2019-08-17 00:00:00 UTC, the date of the Go example.
        let now = UNIX_EPOCH + Duration::from_secs(18_125 * 86_400);
        let page = DatePage { title: "gee", now };
        c.html(StatusCode::OK, page.render())
    });
    r.run(common::listen_addr_from_args(9999)).await
}
// ANCHOR_END: main
