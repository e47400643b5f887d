use super::*;
use crate::topology::codec::CodecError;
use proptest::prelude::*;

fn sample() -> RouteTable {
    let mut t = RouteTable::new();
    t.set(None, 4, [3, 2]).unwrap();
    t.set(None, 2, [2]).unwrap();
    t.set(Some(1), 4, [3]).unwrap();
    t
}

#[test]
fn exact_entry_wins_over_wildcard() {
    let t = sample();
    assert_eq!(t.next_hops(1, 4), Some(&[3][..]));
    assert_eq!(t.next_hops(7, 4), Some(&[2, 3][..]));
    assert_eq!(t.next_hops(1, 2), Some(&[2][..]));
    assert_eq!(t.next_hops(1, 3), None);
    assert_eq!(t.next_hops(1, 9), None);
    assert!(t.reaches(4) && t.reaches(2) && !t.reaches(3) && !t.reaches(9));
    let flow = FlowKey::new(1, 9, 1, 2);
    assert_eq!(t.select(&flow), None);
    let e = t.next_hop(&flow).unwrap_err();
    assert_eq!(
        (e.code(), e.to_string().as_str()),
        (ErrorCode::NoRoute, "no route from node 1 to node 9")
    );
    assert_eq!(t.next_hop(&FlowKey::new(1, 4, 5, 6)), Ok(3));
    let mut named: Vec<u32> = t.named_nodes().collect();
    named.sort_unstable();
    named.dedup();
    assert_eq!(named, vec![1, 2, 3, 4]);
}

#[test]
fn set_normalises_and_rejects_zero() {
    let mut t = RouteTable::new();
    t.set(None, 5, [4, 1, 4]).unwrap();
    assert_eq!(t.next_hops(9, 5), Some(&[1, 4][..]));
    t.set(None, 5, []).unwrap();
    assert!(t.is_empty());
    assert_eq!(t, RouteTable::new());
    assert_eq!(t.set(Some(0), 5, [1]), Err(EntryError { field: "source" }));
    assert_eq!(
        t.set(None, 0, [1]),
        Err(EntryError {
            field: "destination"
        })
    );
    assert_eq!(t.set(None, 5, [0]), Err(EntryError { field: "next hop" }));
}

#[test]
fn ranges_of_equal_hops_are_one_run() {
    // 1..=1000 all via 7, except 500 via 8: three runs plus the end, whatever the order.
    let mut t = RouteTable::new();
    for d in (1..=1000).rev() {
        t.set(None, d, [if d == 500 { 8 } else { 7 }]).unwrap();
    }
    assert_eq!(t.run_count(), 4);
    assert_eq!(t.next_hops(3, 499), Some(&[7][..]));
    assert_eq!(t.next_hops(3, 500), Some(&[8][..]));
    assert_eq!(t.next_hops(3, 1000), Some(&[7][..]));
    assert_eq!(t.next_hops(3, 1001), None);
    t.set(None, 500, [7]).unwrap();
    assert_eq!(t.run_count(), 2);
    // The largest id has no successor to close its run: the last run reaches it.
    t.set(None, u32::MAX, [9]).unwrap();
    assert_eq!(t.next_hops(1, u32::MAX), Some(&[9][..]));
    assert_eq!(t.next_hops(1, u32::MAX - 1), None);
    assert_eq!(RouteTable::decode(&t.encode()), Ok(t));
}

#[test]
fn ecmp_selection_is_sticky_and_minimal_on_hop_loss() {
    let mut t = RouteTable::new();
    t.set(None, 9, [2, 3, 4, 5]).unwrap();
    let mut smaller = RouteTable::new();
    smaller.set(None, 9, [2, 3, 5]).unwrap();
    let mut used = [0u32; 6];
    let (mut moved, mut total) = (0, 0);
    for sp in 0..2000u16 {
        let flow = FlowKey::new(1, 9, sp, 80);
        let a = t.select(&flow).unwrap();
        assert_eq!(t.select(&flow), Some(a), "not deterministic");
        used[a as usize] += 1;
        let b = smaller.select(&flow).unwrap();
        total += 1;
        if a == 4 {
            moved += 1;
            assert_ne!(b, 4);
        } else {
            assert_eq!(a, b, "flow {sp} moved although its hop survived");
        }
    }
    assert!(used[2..6].iter().all(|&c| c > 350), "{used:?}");
    assert!(moved > 0 && moved < total);
}

#[rustfmt::skip]
const SAMPLE_BYTES: [u8; 82] = [
    1, 1,
    0, 0, 0, 1, // one explicit entry
    0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 3, // (1, 4) via [3]
    0, 0, 0, 2, // two lists
    0, 0, 0, 1, 0, 0, 0, 2, // [2]
    0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3, // [2, 3]
    0, 0, 0, 4, // four runs
    0, 0, 0, 2, 0, 0, 0, 1, // 2: [2]
    0, 0, 0, 3, 0, 0, 0, 0, // 3: none
    0, 0, 0, 4, 0, 0, 0, 2, // 4: [2, 3]
    0, 0, 0, 5, 0, 0, 0, 0, // 5..: none
];

#[test]
fn codec_layout_and_roundtrip() {
    let t = sample();
    let bytes = t.encode();
    assert_eq!(RouteTable::decode(&bytes), Ok(t.clone()));
    assert_eq!(bytes, SAMPLE_BYTES);
    // No routes, or explicit ones only: no run section at all.
    assert_eq!(RouteTable::new().encode(), [1, 1, 0, 0, 0, 0]);
    assert_eq!(
        RouteTable::decode(&RouteTable::new().encode()),
        Ok(RouteTable::new())
    );
}

#[test]
fn decode_rejects_each_inconsistency() {
    let with = |i: usize, v: u8| {
        let mut b = SAMPLE_BYTES.to_vec();
        b[i] = v;
        RouteTable::decode(&b)
    };
    let bad = |i: usize, v: u8, what: &str| match with(i, v) {
        Err(CodecError::BadValue { what: w, .. }) => assert_eq!(w, what, "byte {i} = {v}"),
        other => panic!("byte {i} = {v}: {other:?}"),
    };
    let unordered = |i: usize, v: u8, what: &str| match with(i, v) {
        Err(CodecError::NotCanonical { what: w, .. }) => assert_eq!(w, what, "byte {i} = {v}"),
        other => panic!("byte {i} = {v}: {other:?}"),
    };
    assert!(matches!(
        RouteTable::decode(&[]),
        Err(CodecError::Truncated { .. })
    ));
    assert_eq!(with(0, 2), Err(CodecError::BadVersion { found: 2 }));
    assert_eq!(
        with(1, 2),
        Err(CodecError::WrongKind {
            found: 2,
            expected: 1
        })
    );
    // Count of 2^32-1 entries in 80 bytes: refused before allocating.
    let mut huge = SAMPLE_BYTES.to_vec();
    huge[2..6].copy_from_slice(&u32::MAX.to_be_bytes());
    assert!(matches!(
        RouteTable::decode(&huge),
        Err(CodecError::CountTooLarge {
            what: "route entry",
            count: u32::MAX,
            ..
        })
    ));
    assert!(matches!(
        with(17, 200),
        Err(CodecError::CountTooLarge {
            what: "next hop",
            ..
        })
    ));
    bad(9, 0, "source");
    bad(13, 0, "destination");
    bad(17, 0, "next hop count");
    bad(21, 0, "next hop");
    unordered(45, 2, "next hop"); // [2, 3] -> [2, 2]
    bad(25, 0, "route list count");
    bad(49, 0, "route run count");
    bad(53, 0, "run destination");
    unordered(61, 2, "route run"); // second run starts where the first does
    bad(57, 2, "route run list"); // list 2 used before list 1
    bad(57, 0, "route run list"); // a leading no-route run
    bad(65, 1, "route run list"); // two neighbouring runs with one list
    bad(81, 3, "route list count"); // list 3 named, two given
    let mut long = SAMPLE_BYTES.to_vec();
    long.push(0);
    assert_eq!(
        RouteTable::decode(&long),
        Err(CodecError::TrailingBytes { extra: 1 })
    );
    let mut zero_lists = vec![1, 1, 0, 0, 0, 0];
    zero_lists.extend_from_slice(&[0; 4]);
    assert!(matches!(
        RouteTable::decode(&zero_lists),
        Err(CodecError::BadValue {
            what: "route list count",
            ..
        })
    ));
    for cut in 0..SAMPLE_BYTES.len() {
        let got = RouteTable::decode(&SAMPLE_BYTES[..cut]);
        if cut == 22 {
            // Exactly the explicit section: a valid table without wildcard routes.
            assert_eq!(got.map(|t| t.run_count()), Ok(0));
            continue;
        }
        assert!(
            matches!(
                got,
                Err(CodecError::Truncated { .. }) | Err(CodecError::CountTooLarge { .. })
            ),
            "cut {cut}: {got:?}"
        );
    }
}

fn any_table() -> impl Strategy<Value = RouteTable> {
    proptest::collection::vec(
        (0u32..20, 1u32..20, proptest::collection::vec(1u32..6, 0..4)),
        0..40,
    )
    .prop_map(|rows| {
        let mut t = RouteTable::new();
        for (s, d, h) in rows {
            t.set(if s == 0 { None } else { Some(s) }, d, h).unwrap();
        }
        t
    })
}

proptest! {
    #[test]
    fn roundtrip(t in any_table()) {
        prop_assert_eq!(RouteTable::decode(&t.encode()), Ok(t));
    }

    /// The runs route every destination exactly as a plain map of the same `set` calls would.
    #[test]
    fn runs_match_a_plain_map(ops in proptest::collection::vec(
        (1u32..40, proptest::collection::vec(1u32..5, 0..3)), 0..80)
    ) {
        let mut t = RouteTable::new();
        let mut model: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
        for (d, hops) in ops {
            t.set(None, d, hops.clone()).unwrap();
            let mut h = hops;
            h.sort_unstable();
            h.dedup();
            if h.is_empty() { model.remove(&d); } else { model.insert(d, h); }
        }
        for d in 0..45 {
            prop_assert_eq!(t.next_hops(1, d), model.get(&d).map(Vec::as_slice), "dst {}", d);
        }
        // At most one run per change of list along the ids, plus the end of each range.
        prop_assert!(t.run_count() <= 2 * model.len());
        prop_assert_eq!(RouteTable::decode(&t.encode()), Ok(t));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        // Either a typed error or a table whose encoding is exactly the input (canonical).
        if let Ok(t) = RouteTable::decode(&bytes) {
            prop_assert_eq!(t.encode(), bytes);
        }
    }

    #[test]
    fn arbitrary_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..200)) {
        // Random bytes rarely pass the preamble; this drives the entry decoder directly.
        let mut bytes = vec![1, 1];
        bytes.extend_from_slice(&body);
        if let Ok(t) = RouteTable::decode(&bytes) {
            prop_assert_eq!(t.encode(), bytes);
        }
    }

    #[test]
    fn mutated_tables_never_panic(t in any_table(), pos in any::<prop::sample::Index>(), v in any::<u8>()) {
        let mut b = t.encode();
        let i = pos.index(b.len());
        b[i] = v;
        if let Ok(d) = RouteTable::decode(&b) {
            prop_assert_eq!(d.encode(), b);
        }
    }
}
