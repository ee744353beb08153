use std::collections::HashMap;

use gee_orm::Model;

#[derive(Model)]
struct User {
    name: String,
    tags: HashMap<String, String>,
}

fn main() {}
