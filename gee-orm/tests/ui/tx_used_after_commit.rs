use gee_orm::Engine;

fn main() -> gee_orm::Result<()> {
    let mut engine = Engine::open(":memory:")?;
    let tx = engine.begin()?;
    tx.commit()?;
    tx.session().raw("SELECT 1", &[]).exec()?;
    Ok(())
}
