//! The conformance suite for every backend in this workspace:
//! `<backend>::<database>::<case>`, one test each.

mod diesel_harness;
mod seaorm_harness;
mod sqlx_harness;

fn main() {
    alchemy_conformance::runner::main_with(|env| {
        let mut trials = Vec::new();
        trials.extend(sqlx_harness::trials(env));
        trials.extend(diesel_harness::trials(env));
        trials.extend(seaorm_harness::trials(env));
        trials.push(libtest_mimic::Trial::test(
            "derive::derived_posts_are_the_fixture_post_table",
            || {
                use alchemy_core::Model;
                let fixture = alchemy_conformance::fixtures::post_table();
                for (harness, table) in [
                    ("sqlx", sqlx_harness::Post::table()),
                    ("diesel", diesel_harness::Post::table()),
                ] {
                    if table != fixture {
                        return Err(format!("{harness}: {table:?} is not {fixture:?}").into());
                    }
                }
                Ok(())
            },
        ));
        trials
    })
}
