use super::*;

fn policy(mode: Mode) -> Policy {
    Policy {
        mode,
        heal: vec![Heal {
            conclusion: "down".into(),
            plan: "restart".into(),
        }],
        allow_g2: false,
        cooldown_ms: 1_800_000,
        max_per_target_hour: 1,
        max_per_scenario_hour: 3,
        max_concurrent: 1,
        freeze: Vec::new(),
        halt_after: 3,
        verify_ms: 300_000,
    }
}

fn facts() -> Facts {
    Facts {
        switch_on: true,
        danger: Some(Danger::G1),
        now: 1_796_300_000_000,
        global_max_hour: 10,
        ..Facts::default()
    }
}

#[test]
fn every_rule_blocks_in_its_order() {
    let on = policy(Mode::On);
    assert_eq!(decide(&on, &facts()), Decision::Run);
    let cases: Vec<(Facts, &str)> = vec![
        (
            Facts {
                danger: Some(Danger::G3),
                ..facts()
            },
            "never-g3",
        ),
        (
            Facts {
                danger: None,
                ..facts()
            },
            "never-g3",
        ),
        (
            Facts {
                danger: Some(Danger::G2),
                ..facts()
            },
            "g2-not-allowed",
        ),
        (
            Facts {
                switch_on: false,
                ..facts()
            },
            "switch-off",
        ),
        (
            Facts {
                halted: true,
                ..facts()
            },
            "halted",
        ),
        (
            Facts {
                last_for_key: Some(facts().now - 60_000),
                ..facts()
            },
            "cooldown",
        ),
        (
            Facts {
                key_last_hour: 1,
                ..facts()
            },
            "rate-target",
        ),
        (
            Facts {
                scenario_last_hour: 3,
                ..facts()
            },
            "rate-scenario",
        ),
        (
            Facts {
                global_last_hour: 10,
                ..facts()
            },
            "rate-global",
        ),
        (
            Facts {
                running: 1,
                ..facts()
            },
            "concurrency",
        ),
    ];
    for (f, rule) in cases {
        match decide(&on, &f) {
            Decision::Skip(b) => assert_eq!(b.rule(), rule, "{f:?}"),
            other => panic!("{rule}: {other:?}"),
        }
    }
    // G2 runs when the policy allows it; a cooldown that passed lets the heal through.
    let g2 = Policy {
        allow_g2: true,
        ..policy(Mode::On)
    };
    assert_eq!(
        decide(
            &g2,
            &Facts {
                danger: Some(Danger::G2),
                ..facts()
            }
        ),
        Decision::Run
    );
    let f = Facts {
        last_for_key: Some(facts().now - 1_800_000),
        ..facts()
    };
    assert_eq!(decide(&on, &f), Decision::Run);
}

#[test]
fn shadow_records_what_would_have_happened_even_with_the_switch_off() {
    let shadow = policy(Mode::Shadow);
    assert_eq!(
        decide(
            &shadow,
            &Facts {
                switch_on: false,
                ..facts()
            }
        ),
        Decision::Shadow(None)
    );
    assert!(matches!(
        decide(
            &shadow,
            &Facts {
                danger: Some(Danger::G3),
                ..facts()
            }
        ),
        Decision::Shadow(Some(Blocked::NeverG3))
    ));
}

#[test]
fn freeze_windows_in_utc_with_days_and_past_midnight() {
    // 2026-12-05 is a Saturday.
    let sat_noon = 1_796_428_800_000 + 12 * 3_600_000; // 2026-12-05 00:00 UTC + 12 h
    let w = Window::parse("sat,sun 00:00-24:00").unwrap();
    assert!(w.contains(sat_noon));
    assert!(!w.contains(sat_noon - 86_400_000), "friday");
    let night = Window::parse("22:00-06:00").unwrap();
    assert!(
        night.contains(sat_noon - 12 * 3_600_000 + 3 * 3_600_000),
        "03:00"
    );
    assert!(night.contains(sat_noon + 11 * 3_600_000), "23:00");
    assert!(!night.contains(sat_noon), "12:00");
    let fri_night = Window::parse("fri 22:00-02:00").unwrap();
    assert!(
        fri_night.contains(sat_noon - 12 * 3_600_000 + 3_600_000),
        "saturday 01:00 belongs to friday's window"
    );
    assert!(
        !fri_night.contains(sat_noon + 12 * 3_600_000 + 3_600_000),
        "sunday 01:00 does not"
    );
    for bad in ["25:00-26:00", "mon", "funday 10:00-11:00", "10-11"] {
        assert!(Window::parse(bad).is_err(), "{bad}");
    }
    let on = Policy {
        freeze: vec![w],
        ..policy(Mode::On)
    };
    match decide(
        &on,
        &Facts {
            now: sat_noon,
            ..facts()
        },
    ) {
        Decision::Skip(b) => assert_eq!(b.rule(), "freeze"),
        other => panic!("{other:?}"),
    }
}
