//! Deterministic tests of the node engine on a simulated network: datagrams are moved between
//! engines by the test, every one checked against the MTU.

use super::*;
use crate::link::LinkParams;
use crate::topology::RouteTable;
use std::collections::BTreeMap;

const MTU: usize = 600;

fn node(id: u32, routes: &[(u32, u32)]) -> Node {
    let mut n = Node::new(NodeConfig {
        node_id: id,
        mtu: MTU,
        ..NodeConfig::default()
    })
    .unwrap();
    let mut t = RouteTable::new();
    for &(dst, hop) in routes {
        t.set(None, dst, vec![hop]).unwrap();
    }
    n.set_routes(t);
    // Neighbours: every next hop of the routes (tests without routes link nodes themselves).
    n.set_neighbors(routes.iter().map(|&(_, hop)| hop));
    n
}

/// Makes each edge's ends neighbours of each other.
fn link_edges(net: &mut BTreeMap<u32, Node>, edges: &[(u32, u32)]) {
    for (&id, n) in net.iter_mut() {
        let mut ns: Vec<u32> = n.neighbors.iter().copied().collect();
        for &(a, b) in edges {
            if a == id {
                ns.push(b);
            }
            if b == id {
                ns.push(a);
            }
        }
        n.set_neighbors(ns);
    }
}

/// A line 1 - 2 - 3 with shortest-path routes.
fn line() -> BTreeMap<u32, Node> {
    BTreeMap::from([
        (1, node(1, &[(2, 2), (3, 2)])),
        (2, node(2, &[(1, 1), (3, 3)])),
        (3, node(3, &[(1, 2), (2, 2)])),
    ])
}

/// Moves every queued datagram to its next hop until the network is quiet; returns deliveries.
fn run(net: &mut BTreeMap<u32, Node>, now: u64) -> Vec<(u32, Delivery)> {
    let mut delivered = Vec::new();
    loop {
        let mut moved = false;
        let ids: Vec<u32> = net.keys().copied().collect();
        for id in ids {
            while let Some(t) = net.get_mut(&id).unwrap().poll_transmit() {
                assert!(
                    t.datagram.len() <= MTU,
                    "datagram of {} bytes exceeds the MTU",
                    t.datagram.len()
                );
                moved = true;
                if let Some(n) = net.get_mut(&t.next_hop) {
                    n.handle_datagram(now, id, &t.datagram);
                }
            }
            while let Some(Event::Delivery(d)) = net.get_mut(&id).unwrap().poll_event() {
                delivered.push((id, d));
            }
        }
        if !moved {
            return delivered;
        }
    }
}

fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[test]
fn forwards_hop_by_hop_and_reassembles() {
    let mut net = line();
    for len in [0usize, 10, 8 * 1024, 1 << 20] {
        let data = payload(len);
        let args = SendArgs {
            dst_node: 3,
            src_port: 40000,
            dst_port: 50000,
            payload: &data,
        };
        let id = net.get_mut(&1).unwrap().send(0, args).unwrap();
        let got = run(&mut net, 0);
        assert_eq!(got.len(), 1, "payload of {len} bytes");
        let (at, d) = &got[0];
        assert_eq!(*at, 3);
        assert_eq!(d.payload, data);
        assert_eq!(
            (d.src_node, d.dst, d.src_port, d.dst_port, d.message_id),
            (1, 3, 40000, 50000, id)
        );
        assert_eq!(d.total_len as usize, len);
        assert_eq!(d.frag_count as usize, len.div_ceil(MTU - HEADER_LEN).max(1));
    }
    let s2 = net[&2].stats();
    assert!(s2.packets_forwarded > 0);
    assert_eq!(s2.messages_delivered, 0);
    assert_eq!(net[&3].stats().messages_delivered, 4);
}

#[test]
fn errors_are_typed() {
    let mut net = line();
    let n1 = net.get_mut(&1).unwrap();
    let err = n1
        .send(
            0,
            SendArgs {
                dst_node: 9,
                src_port: 1,
                dst_port: 2,
                payload: b"x",
            },
        )
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NoRoute);
    let big = vec![0u8; 16 * 1024 * 1024 + 1];
    let err = n1
        .send(
            0,
            SendArgs {
                dst_node: 3,
                src_port: 1,
                dst_port: 2,
                payload: &big,
            },
        )
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::PayloadTooLarge);
}

#[test]
fn queue_capacity_bounds_sends() {
    let mut n = Node::new(NodeConfig {
        node_id: 1,
        mtu: MTU,
        queue_capacity: 10,
        ..NodeConfig::default()
    })
    .unwrap();
    let mut t = RouteTable::new();
    t.set(None, 2, vec![2]).unwrap();
    n.set_routes(t);
    let data = payload(20 * MTU);
    let err = n
        .send(
            0,
            SendArgs {
                dst_node: 2,
                src_port: 1,
                dst_port: 2,
                payload: &data,
            },
        )
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::QueueFull);
    assert!(n
        .send(
            0,
            SendArgs {
                dst_node: 2,
                src_port: 1,
                dst_port: 2,
                payload: b"fits"
            }
        )
        .is_ok());
}

#[test]
fn hostile_input_is_counted_not_fatal() {
    let mut net = line();
    let n3 = net.get_mut(&3).unwrap();
    let mut seed = 7u64;
    for i in 0..5000 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let len = (seed >> 33) as usize % 120;
        let junk: Vec<u8> = (0..len)
            .map(|j| (seed >> (j % 56)) as u8 ^ i as u8)
            .collect();
        n3.handle_datagram(0, 2, &junk);
    }
    assert!(n3.stats().drops(DropReason::Malformed) > 4000);
    // Still works afterwards.
    net.get_mut(&1)
        .unwrap()
        .send(
            0,
            SendArgs {
                dst_node: 3,
                src_port: 1,
                dst_port: 2,
                payload: b"ok",
            },
        )
        .unwrap();
    let got = run(&mut net, 0);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].1.payload, b"ok");
}

#[test]
fn hop_limit_ends_loops() {
    // 1 and 2 both believe the other leads to 3: a routing loop.
    let mut net = BTreeMap::from([(1, node(1, &[(3, 2)])), (2, node(2, &[(3, 1)]))]);
    net.get_mut(&1)
        .unwrap()
        .send(
            0,
            SendArgs {
                dst_node: 3,
                src_port: 1,
                dst_port: 2,
                payload: b"loop",
            },
        )
        .unwrap();
    let got = run(&mut net, 0);
    assert!(got.is_empty());
    let drops =
        net[&1].stats().drops(DropReason::HopLimit) + net[&2].stats().drops(DropReason::HopLimit);
    assert_eq!(drops, 1);
}

#[test]
fn max_mode_goes_straight_to_the_destination() {
    let mut net = line();
    let n1 = net.get_mut(&1).unwrap();
    n1.set_operating_mode(OperatingMode::Max);
    n1.set_peers([2, 3]);
    n1.send(
        0,
        SendArgs {
            dst_node: 3,
            src_port: 1,
            dst_port: 2,
            payload: b"direct",
        },
    )
    .unwrap();
    let t = n1.poll_transmit().unwrap();
    assert_eq!(t.next_hop, 3);
    // Node 3 is no neighbour of 1 but knows it as a peer: a datagram that ends at 3 is taken.
    let n3 = net.get_mut(&3).unwrap();
    n3.set_peers([1, 2]);
    n3.handle_datagram(0, 1, &t.datagram);
    assert_eq!(run(&mut net, 0).len(), 1);
    assert_eq!(net[&2].stats().packets_forwarded, 0);
}

#[test]
fn loopback_send_delivers_locally() {
    let mut n = node(1, &[]);
    n.send(
        0,
        SendArgs {
            dst_node: 1,
            src_port: 5,
            dst_port: 6,
            payload: b"me",
        },
    )
    .unwrap();
    assert!(n.poll_transmit().is_none());
    let Some(Event::Delivery(d)) = n.poll_event() else {
        panic!("no delivery")
    };
    assert_eq!(
        (d.payload.as_slice(), d.src_port, d.dst_port),
        (&b"me"[..], 5, 6)
    );
}

#[test]
fn incomplete_messages_expire_and_are_counted() {
    let mut net = line();
    let data = payload(3 * MTU);
    net.get_mut(&1)
        .unwrap()
        .send(
            0,
            SendArgs {
                dst_node: 2,
                src_port: 1,
                dst_port: 2,
                payload: &data,
            },
        )
        .unwrap();
    let first = net.get_mut(&1).unwrap().poll_transmit().unwrap();
    let n2 = net.get_mut(&2).unwrap();
    n2.handle_datagram(0, 1, &first.datagram);
    let deadline = n2.poll_timeout().expect("a reassembly deadline");
    n2.handle_timeout(deadline - 1); // early: nothing happens
    assert_eq!(n2.stats().drops(DropReason::ReassemblyExpired), 0);
    n2.handle_timeout(deadline);
    n2.handle_timeout(deadline); // spurious: no double count
    assert_eq!(n2.stats().drops(DropReason::ReassemblyExpired), 1);
    assert!(n2.poll_timeout().is_none());
}

#[test]
fn invalid_config_names_the_key() {
    let err = Node::new(NodeConfig {
        mtu: 20,
        ..NodeConfig::default()
    })
    .err()
    .unwrap();
    assert_eq!(err.key, "mtu");
    assert_eq!(err.code(), ErrorCode::ConfigInvalid);
}

fn drain_at(n: &mut Node) -> Vec<Transmit> {
    std::iter::from_fn(|| n.poll_transmit()).collect()
}

#[test]
fn link_delay_holds_datagrams_until_their_time() {
    let mut n = node(1, &[(2, 2)]);
    let params = LinkParams {
        delay_us: 40_000,
        ..LinkParams::default()
    };
    n.set_link(0, 2, Some(params)).unwrap();
    n.send(
        1_000,
        SendArgs {
            dst_node: 2,
            src_port: 1,
            dst_port: 2,
            payload: b"late",
        },
    )
    .unwrap();
    assert!(drain_at(&mut n).is_empty());
    assert_eq!(n.poll_timeout(), Some(41_000));
    n.handle_timeout(40_999);
    assert!(drain_at(&mut n).is_empty());
    n.handle_timeout(41_000);
    assert_eq!(drain_at(&mut n).len(), 1);
    assert_eq!(n.poll_timeout(), None);
}

#[test]
fn link_rate_paces_and_changes_keep_the_queue() {
    let mut n = node(1, &[(2, 2)]);
    // 100 kB/s with a one-datagram bucket: ~6 ms per 600-byte datagram.
    let slow = LinkParams {
        rate: Some(100_000),
        bucket_size: MTU as u64,
        ..LinkParams::default()
    };
    n.set_link(0, 2, Some(slow)).unwrap();
    let data = payload(20 * (MTU - HEADER_LEN));
    n.send(
        0,
        SendArgs {
            dst_node: 2,
            src_port: 1,
            dst_port: 2,
            payload: &data,
        },
    )
    .unwrap();
    let first = drain_at(&mut n).len();
    assert!(
        first <= 2,
        "bucket lets at most one or two datagrams out at once, got {first}"
    );
    assert_eq!(n.queued(), 20 - first);
    // Remove the emulation: nothing queued is lost, all of it leaves at once.
    n.set_link(1, 2, None).unwrap();
    assert_eq!(drain_at(&mut n).len(), 20 - first);
    assert_eq!(n.queued(), 0);
}

#[test]
fn link_loss_is_counted_by_node_and_link() {
    let mut n = node(1, &[(2, 2)]);
    n.set_link(
        0,
        2,
        Some(LinkParams {
            loss: 0.5,
            seed: 3,
            ..LinkParams::default()
        }),
    )
    .unwrap();
    for _ in 0..400 {
        n.send(
            0,
            SendArgs {
                dst_node: 2,
                src_port: 1,
                dst_port: 2,
                payload: b"x",
            },
        )
        .unwrap();
    }
    let sent = drain_at(&mut n).len() as u64;
    let lost = n.stats().drops(DropReason::LinkLoss);
    assert_eq!(sent + lost, 400);
    assert!((150..250).contains(&lost), "lost {lost} of 400 at 50%");
    let (hop, ls) = n.link_stats().next().unwrap();
    assert_eq!((hop, ls.drops_loss, ls.packets_sent), (2, lost, sent));
}

/// Each datagram is counted once, under the outcome it had (issue 15): one that a forwarder
/// loses on its emulated egress link counts as `link_loss` there, not also as forwarded; so at
/// a node that originates nothing, received = delivered + forwarded + dropped.
#[test]
fn a_forward_lost_on_the_egress_link_counts_as_lost_not_forwarded() {
    let mut net = line();
    net.get_mut(&2)
        .unwrap()
        .set_link(
            0,
            3,
            Some(LinkParams {
                loss: 0.5,
                seed: 7,
                ..LinkParams::default()
            }),
        )
        .unwrap();
    for _ in 0..200 {
        let args = SendArgs {
            dst_node: 3,
            src_port: 1,
            dst_port: 2,
            payload: b"x",
        };
        net.get_mut(&1).unwrap().send(0, args).unwrap();
    }
    let got = run(&mut net, 0).len() as u64;
    let s2 = net[&2].stats();
    let lost = s2.drops(DropReason::LinkLoss);
    assert!((50..150).contains(&lost), "lost {lost} of 200 at 50%");
    assert_eq!(s2.packets_received, 200);
    assert_eq!(
        (s2.packets_forwarded, got),
        (200 - lost, 200 - lost),
        "{s2:?}"
    );
    assert_eq!(
        s2.packets_received,
        s2.messages_delivered + s2.packets_forwarded + s2.total_drops()
    );
}

#[test]
fn multicast_fans_out_along_the_tree_once_per_member() {
    use crate::groups::GroupState;
    use crate::topology::{custom, GroupPool, McTree};
    let topo = custom(5, &[(1, 2), (2, 3), (2, 4), (1, 5)]).unwrap();
    let mut groups = GroupState::new(
        topo,
        GroupPool::new([239, 255, 0, 0], [255, 255, 0, 0]).unwrap(),
    );
    let gid = groups.create(1).unwrap().id;
    for m in [3, 4, 5] {
        groups.join(gid, m).unwrap();
    }
    let tree = vec![McTree {
        tree_id: 0,
        edges: vec![(1, 2), (2, 3), (2, 4), (1, 5)],
        weight: 1,
    }];
    groups.set_routes(1, gid, tree).unwrap();
    let mut net: BTreeMap<u32, Node> = (1..=5).map(|id| (id, node(id, &[]))).collect();
    link_edges(&mut net, &[(1, 2), (2, 3), (2, 4), (1, 5)]);
    for (id, n) in net.iter_mut() {
        n.set_multicast(groups.table_for(*id));
    }
    let data = payload(3000);
    let args = GroupSendArgs {
        group: gid,
        tree: None,
        src_port: 1,
        dst_port: 2,
        payload: &data,
    };
    net.get_mut(&1).unwrap().send_group(0, args).unwrap();
    let got = run(&mut net, 0);
    let mut at: Vec<u32> = got.iter().map(|(n, _)| *n).collect();
    at.sort();
    assert_eq!(at, vec![3, 4, 5]);
    assert!(got
        .iter()
        .all(|(_, d)| d.payload == data && d.dst == gid && d.kind == PacketKind::Multicast));
    // 3000 bytes = 6 fragments at MTU 600; node 2 forwards each to 3 and 4.
    assert_eq!(net[&2].stats().packets_forwarded, 12);
    assert_eq!(net[&2].stats().messages_delivered, 0);
    // Only the source can send; others get NO_ROUTE.
    let err = net.get_mut(&2).unwrap().send_group(0, args).unwrap_err();
    assert_eq!(err.code(), ErrorCode::NoRoute);
    // After 4 leaves, it gets no local delivery (and counts the packets it no longer wants).
    groups.leave(gid, 4).unwrap();
    net.get_mut(&4).unwrap().set_multicast(groups.table_for(4));
    net.get_mut(&1).unwrap().send_group(0, args).unwrap();
    let mut at: Vec<u32> = run(&mut net, 0).iter().map(|(n, _)| *n).collect();
    at.sort();
    assert_eq!(at, vec![3, 5]);
    assert!(net[&4].stats().drops(DropReason::UnknownGroup) > 0);
}

/// Runs the network in virtual time until `done` holds or `limit_us` passes.
fn run_until(
    net: &mut BTreeMap<u32, Node>,
    limit_us: u64,
    mut done: impl FnMut(&BTreeMap<u32, Node>) -> bool,
) -> u64 {
    let mut now = 0u64;
    while now <= limit_us {
        loop {
            let mut moved = false;
            let ids: Vec<u32> = net.keys().copied().collect();
            for id in ids {
                while let Some(t) = net.get_mut(&id).unwrap().poll_transmit() {
                    assert!(t.datagram.len() <= MTU);
                    moved = true;
                    if let Some(n) = net.get_mut(&t.next_hop) {
                        n.handle_datagram(now, id, &t.datagram);
                    }
                }
                while net.get_mut(&id).unwrap().poll_event().is_some() {}
            }
            if !moved {
                break;
            }
        }
        if done(net) {
            return now;
        }
        let next = net
            .values()
            .filter_map(|n| n.poll_timeout())
            .min()
            .unwrap_or(now + 1_000);
        now = next.max(now + 1);
        for n in net.values_mut() {
            n.handle_timeout(now);
        }
    }
    panic!("not done within {limit_us} us of virtual time");
}

#[test]
fn lossless_multicast_over_lossy_links_delivers_every_byte() {
    use crate::groups::GroupState;
    use crate::lossless::{Dest, Outcome, Ports};
    use crate::topology::{custom, GroupPool, McTree};
    use std::sync::Arc;
    let topo = custom(3, &[(1, 2), (2, 3)]).unwrap();
    let mut groups = GroupState::new(
        topo,
        GroupPool::new([239, 255, 0, 0], [255, 255, 0, 0]).unwrap(),
    );
    let gid = groups.create(1).unwrap().id;
    groups.join(gid, 2).unwrap();
    groups.join(gid, 3).unwrap();
    groups
        .set_routes(
            1,
            gid,
            vec![McTree {
                tree_id: 0,
                edges: vec![(1, 2), (2, 3)],
                weight: 1,
            }],
        )
        .unwrap();
    let mut net = BTreeMap::from([
        (1, node(1, &[(2, 2), (3, 2)])),
        (2, node(2, &[(1, 1), (3, 3)])),
        (3, node(3, &[(1, 2), (2, 2)])),
    ]);
    for (id, n) in net.iter_mut() {
        n.set_multicast(groups.table_for(*id));
        // 5% loss on every egress link, in both directions.
        for peer in [1u32, 2, 3].into_iter().filter(|p| p.abs_diff(*id) == 1) {
            n.set_link(
                0,
                peer,
                Some(LinkParams {
                    loss: 0.05,
                    seed: u64::from(*id * 10 + peer),
                    ..LinkParams::default()
                }),
            )
            .unwrap();
        }
    }
    let data = Arc::new(payload(300_000));
    let ports = Ports { src: 1, dst: 2 };
    let r2 = net
        .get_mut(&2)
        .unwrap()
        .open_receiver(0, 1, Dest::Group(gid), 300_000, None, ports)
        .unwrap();
    let r3 = net
        .get_mut(&3)
        .unwrap()
        .open_receiver(0, 1, Dest::Group(gid), 300_000, None, ports)
        .unwrap();
    let s = net
        .get_mut(&1)
        .unwrap()
        .open_sender(0, Dest::Group(gid), vec![2, 3], data.clone(), None, ports)
        .unwrap();
    run_until(&mut net, 60_000_000, |n| {
        n[&1].lossless().outcome(s).is_some()
    });
    assert_eq!(net[&1].lossless().outcome(s), Some(Outcome::Completed));
    for (id, r) in [(2, r2), (3, r3)] {
        assert_eq!(
            net.get_mut(&id).unwrap().take_session_data(r).unwrap(),
            *data,
            "receiver {id}"
        );
    }
    assert!(
        net[&1].stats().drops(DropReason::LinkLoss) + net[&2].stats().drops(DropReason::LinkLoss)
            > 0
    );
    assert!(
        net[&2].stats().packets_forwarded > 0,
        "node 2 forwards the group frames to 3"
    );
}

/// Lossless unicast between two nodes over links with `delay_us` and `loss` each way.
fn lossless_over(delay_us: u64, loss: f64, len: usize) -> (Option<crate::lossless::Outcome>, u64) {
    use crate::lossless::{Dest, Ports};
    use std::sync::Arc;
    let mut net = BTreeMap::from([(1, node(1, &[(2, 2)])), (2, node(2, &[(1, 1)]))]);
    for (me, peer) in [(1u32, 2u32), (2, 1)] {
        let p = LinkParams {
            delay_us,
            loss,
            seed: u64::from(me),
            ..LinkParams::default()
        };
        net.get_mut(&me)
            .unwrap()
            .set_link(0, peer, Some(p))
            .unwrap();
    }
    let data = Arc::new(payload(len));
    let ports = Ports { src: 1, dst: 2 };
    let r = net
        .get_mut(&2)
        .unwrap()
        .open_receiver(0, 1, Dest::Node(2), len as u64, None, ports)
        .unwrap();
    let s = net
        .get_mut(&1)
        .unwrap()
        .open_sender(0, Dest::Node(2), vec![2], data.clone(), None, ports)
        .unwrap();
    let at = run_until(&mut net, 120_000_000, |n| {
        n[&1].lossless().outcome(s).is_some()
    });
    let got = net.get_mut(&2).unwrap().take_session_data(r).ok();
    assert!(got.as_deref().is_none_or(|g| g == data.as_slice()));
    (net[&1].lossless().outcome(s), at)
}

#[test]
fn lossless_completes_over_long_lossy_links() {
    use crate::lossless::Outcome;
    for (delay_ms, loss) in [(0, 0.01), (50, 0.005), (50, 0.05), (300, 0.005)] {
        let (outcome, at) = lossless_over(delay_ms * 1000, loss, 500_000);
        assert_eq!(
            outcome,
            Some(Outcome::Completed),
            "delay {delay_ms} ms, loss {loss}: ended at {at} us"
        );
    }
}

/// Who may send to a node, and per-hop authentication.
mod auth {
    use super::*;
    use crate::auth::TRAILER_LEN;

    fn key(a: u32, b: u32) -> [u8; 32] {
        let (lo, hi) = (a.min(b), a.max(b));
        let mut k = [0u8; 32];
        k[..4].copy_from_slice(&lo.to_be_bytes());
        k[4..8].copy_from_slice(&hi.to_be_bytes());
        k[31] = 0x5a;
        k
    }

    /// The line 1 - 2 - 3 with authentication on and one key per link.
    fn keyed_line() -> BTreeMap<u32, Node> {
        let mut net = line();
        for (a, b) in [(1, 2), (2, 3)] {
            net.get_mut(&a).unwrap().set_link_key(b, key(a, b));
            net.get_mut(&b).unwrap().set_link_key(a, key(a, b));
        }
        for n in net.values_mut() {
            n.set_auth(true).unwrap();
        }
        net
    }

    fn send(n: &mut Node, dst: u32, data: &[u8]) {
        n.send(
            0,
            SendArgs {
                dst_node: dst,
                src_port: 1,
                dst_port: 2,
                payload: data,
            },
        )
        .unwrap();
    }

    #[test]
    fn unknown_and_non_neighbour_senders_are_dropped_as_not_a_peer() {
        let mut net = line();
        let mut n1 = node(1, &[(2, 2), (3, 2)]);
        send(&mut n1, 3, b"forged");
        let t = n1.poll_transmit().unwrap();
        let n2 = net.get_mut(&2).unwrap();
        // Unknown to the transport (0), or a node that is not a neighbour of 2.
        n2.handle_datagram(0, 0, &t.datagram);
        n2.handle_datagram(0, 9, &t.datagram);
        assert_eq!(n2.stats().drops(DropReason::NotAPeer), 2);
        assert_eq!(n2.stats().packets_forwarded, 0);
        assert_eq!(n2.stats().packets_received, 0);
        assert!(n2.poll_transmit().is_none());
        // At the destination: node 1 is not 3's neighbour, and 3 does not know it as a peer.
        let n3 = net.get_mut(&3).unwrap();
        n3.handle_datagram(0, 1, &t.datagram);
        n3.handle_datagram(0, 0, &t.datagram);
        assert_eq!(n3.stats().drops(DropReason::NotAPeer), 2);
        assert!(n3.poll_event().is_none());
        // A peer that is not a neighbour may deliver to 3 (max mode) but never transit it.
        n3.set_peers([1, 2]);
        n3.handle_datagram(0, 1, &t.datagram);
        assert_eq!(run(&mut net, 0).len(), 1);
        let mut via3 = node(1, &[(2, 3)]);
        send(&mut via3, 2, b"make 3 forward");
        let t = via3.poll_transmit().unwrap();
        let n3 = net.get_mut(&3).unwrap();
        n3.handle_datagram(0, 1, &t.datagram);
        assert_eq!(n3.stats().drops(DropReason::NotAPeer), 3);
        assert_eq!(n3.stats().packets_forwarded, 0);
        // The real neighbour still gets through.
        send(net.get_mut(&1).unwrap(), 3, b"ok");
        assert_eq!(run(&mut net, 0).len(), 1);
    }

    #[test]
    fn forwarded_over_two_hops_with_per_hop_keys() {
        let mut net = keyed_line();
        let data = payload(5000);
        send(net.get_mut(&1).unwrap(), 3, &data);
        // Collect the wire datagrams per hop to check the tags change hop by hop.
        let first: Vec<Transmit> =
            std::iter::from_fn(|| net.get_mut(&1).unwrap().poll_transmit()).collect();
        assert!(first
            .iter()
            .all(|t| t.next_hop == 2 && t.datagram.len() <= MTU));
        for t in &first {
            net.get_mut(&2).unwrap().handle_datagram(0, 1, &t.datagram);
        }
        let second: Vec<Transmit> =
            std::iter::from_fn(|| net.get_mut(&2).unwrap().poll_transmit()).collect();
        assert_eq!(second.len(), first.len());
        for (a, b) in first.iter().zip(&second) {
            let body = a.datagram.len() - TRAILER_LEN;
            assert_eq!(b.datagram.len(), a.datagram.len());
            assert_eq!(a.datagram[..3], b.datagram[..3]);
            assert_eq!(
                a.datagram[4..body],
                b.datagram[4..body],
                "only the hop limit changes"
            );
            assert_ne!(
                a.datagram[body + 8..],
                b.datagram[body + 8..],
                "re-tagged for the next hop"
            );
        }
        // Node 2's tags are for the link 2-3: node 3 refuses them as if they came from 1 ...
        let n3 = net.get_mut(&3).unwrap();
        n3.set_peers([1, 2]);
        n3.handle_datagram(0, 1, &second[0].datagram);
        assert_eq!(n3.stats().drops(DropReason::Auth), 1);
        // ... and takes them from 2.
        for t in &second {
            n3.handle_datagram(0, 2, &t.datagram);
        }
        let got: Vec<Delivery> = std::iter::from_fn(|| match n3.poll_event() {
            Some(Event::Delivery(d)) => Some(d),
            _ => None,
        })
        .collect();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].payload, data);
        // A replayed datagram is refused and counted.
        n3.handle_datagram(0, 2, &second[1].datagram);
        assert_eq!(n3.stats().drops(DropReason::Replay), 1);
        // A datagram without a trailer (auth off at the sender) fails the MAC check before its
        // header is read: counted as auth, never delivered.
        let mut plain = node(2, &[(3, 3)]);
        send(&mut plain, 3, b"plain");
        let t = plain.poll_transmit().unwrap();
        n3.handle_datagram(0, 2, &t.datagram);
        assert_eq!(n3.stats().drops(DropReason::Auth), 2);
        assert_eq!(n3.stats().drops(DropReason::Malformed), 0);
        assert!(n3.poll_event().is_none());
        for n in net.values() {
            assert_eq!(n.stats().drops(DropReason::NotAPeer), 0);
        }
    }

    #[test]
    fn the_mtu_shrinks_by_the_trailer_and_the_wire_stays_within_it() {
        let data = payload(10 * MTU);
        let count = |auth: bool| {
            let mut net = if auth { keyed_line() } else { line() };
            send(net.get_mut(&1).unwrap(), 3, &data);
            let ts: Vec<Transmit> =
                std::iter::from_fn(|| net.get_mut(&1).unwrap().poll_transmit()).collect();
            let largest = ts.iter().map(|t| t.datagram.len()).max().unwrap();
            for t in ts {
                net.get_mut(&2).unwrap().handle_datagram(0, 1, &t.datagram);
            }
            let got = run(&mut net, 0);
            assert_eq!(got.len(), 1);
            assert_eq!(got[0].1.payload, data);
            (net[&2].stats().packets_forwarded, largest)
        };
        let (plain, plain_largest) = count(false);
        let (authed, authed_largest) = count(true);
        assert_eq!(plain_largest, MTU);
        assert_eq!(
            authed_largest, MTU,
            "header + payload + trailer fill the MTU exactly"
        );
        let per = (MTU - crate::wire::HEADER_LEN) as u64;
        let per_auth = (MTU - crate::wire::HEADER_LEN - TRAILER_LEN) as u64;
        assert_eq!(plain, (10 * MTU as u64).div_ceil(per));
        assert_eq!(authed, (10 * MTU as u64).div_ceil(per_auth));
        // An MTU without room for the trailer and a lossless frame: refused, nothing changes.
        let mut small = Node::new(NodeConfig {
            mtu: crate::lossless::endpoint::MIN_MTU,
            ..NodeConfig::default()
        })
        .unwrap();
        let err = small.set_auth(true).unwrap_err();
        assert_eq!(err.key, "mtu");
        assert!(!small.auth_on());
    }

    #[test]
    fn no_key_for_the_next_hop_drops_the_transmit() {
        let mut n1 = node(1, &[(2, 2), (3, 2)]);
        n1.set_auth(true).unwrap();
        send(&mut n1, 3, &payload(3 * MTU));
        assert!(n1.poll_transmit().is_none());
        assert_eq!(n1.stats().drops(DropReason::NoKey), 4);
        // With the key, it goes.
        n1.set_link_key(2, key(1, 2));
        send(&mut n1, 3, b"now");
        assert_eq!(n1.poll_transmit().unwrap().next_hop, 2);
        // And turned off, no trailer at all.
        n1.set_auth(false).unwrap();
        send(&mut n1, 3, b"plain");
        assert_eq!(n1.poll_transmit().unwrap().datagram.len(), 40 + 5);
    }

    #[test]
    fn keys_rotate_without_loss_when_the_receiver_rotates_first() {
        let mut net = keyed_line();
        let mut next = key(1, 2);
        next[0] ^= 0xff;
        // 2 learns the new key first: 1 still tags with the old one, 2 accepts it as previous.
        net.get_mut(&2).unwrap().set_link_key(1, next);
        send(net.get_mut(&1).unwrap(), 2, b"old key");
        assert_eq!(run(&mut net, 0).len(), 1);
        net.get_mut(&1).unwrap().set_link_key(2, next);
        send(net.get_mut(&1).unwrap(), 2, b"new key");
        assert_eq!(run(&mut net, 0).len(), 1);
        for n in net.values() {
            assert_eq!(n.stats().drops(DropReason::Auth), 0);
        }
    }

    #[test]
    fn multicast_and_lossless_over_authenticated_lossy_links() {
        use crate::lossless::{Dest, Outcome, Ports};
        use std::sync::Arc;
        let mut net = keyed_line();
        for (me, peer) in [(1u32, 2u32), (2, 1), (2, 3), (3, 2)] {
            let p = LinkParams {
                loss: 0.02,
                seed: u64::from(me * 10 + peer),
                ..LinkParams::default()
            };
            net.get_mut(&me)
                .unwrap()
                .set_link(0, peer, Some(p))
                .unwrap();
        }
        let len = 200_000;
        let data = Arc::new(payload(len));
        let ports = Ports { src: 1, dst: 2 };
        let r = net
            .get_mut(&3)
            .unwrap()
            .open_receiver(0, 1, Dest::Node(3), len as u64, None, ports)
            .unwrap();
        let s = net
            .get_mut(&1)
            .unwrap()
            .open_sender(0, Dest::Node(3), vec![3], data.clone(), None, ports)
            .unwrap();
        run_until(&mut net, 60_000_000, |n| {
            n[&1].lossless().outcome(s).is_some()
        });
        assert_eq!(net[&1].lossless().outcome(s), Some(Outcome::Completed));
        assert_eq!(
            net.get_mut(&3).unwrap().take_session_data(r).unwrap(),
            *data
        );
        for n in net.values() {
            let st = n.stats();
            assert_eq!(
                st.drops(DropReason::Auth)
                    + st.drops(DropReason::Replay)
                    + st.drops(DropReason::NotAPeer)
                    + st.drops(DropReason::NoKey),
                0
            );
            assert!(st.drops(DropReason::LinkLoss) > 0 || n.node_id() == 3 || n.node_id() == 1);
        }
    }

    /// Native cost of tagging and verifying one datagram of `len` bytes (`cargo test --release
    /// -- --ignored --nocapture auth_cost`).
    #[test]
    #[ignore]
    fn auth_cost() {
        use crate::auth::LinkAuth;
        use std::time::Instant;
        for len in [64usize, 1400 - TRAILER_LEN, 8192] {
            let (mut a, mut b) = (LinkAuth::new(1), LinkAuth::new(2));
            a.set_key(2, key(1, 2));
            b.set_key(1, key(1, 2));
            let n = 200_000;
            let body = payload(len);
            let t = Instant::now();
            let mut total = 0usize;
            for _ in 0..n {
                let mut d = body.clone();
                a.seal(2, &mut d).unwrap();
                total += b.open(1, &d).unwrap();
            }
            let ns = t.elapsed().as_nanos() as f64 / n as f64;
            assert_eq!(total, n * len);
            println!("auth {len} B: {ns:.0} ns per datagram (seal + verify, one copy)");
        }
    }
}

/// A seeded generator for the flood tests (the engine has no randomness of its own).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }
}

fn forged(h: Header, payload: &[u8]) -> Vec<u8> {
    Header {
        payload_len: payload.len() as u16,
        ..h
    }
    .datagram(payload)
}

#[test]
fn forwarding_sends_on_only_what_could_be_legitimate() {
    // Node 2 of the line 1 - 2 - 3 gets datagrams from neighbour 1 that it would forward.
    let mut net = line();
    let n2 = net.get_mut(&2).unwrap();
    let base = Header::originate(PacketKind::Unicast, 1, 3, 7, 8);
    let cases = [
        (
            Header {
                src_node: 99,
                ..base
            },
            DropReason::UnknownSource,
        ),
        (Header { dst: 99, ..base }, DropReason::UnknownDestination),
        (
            Header {
                hop_limit: 0,
                ..base
            },
            DropReason::HopLimitRange,
        ),
        (
            Header {
                hop_limit: DEFAULT_HOP_LIMIT + 1,
                ..base
            },
            DropReason::HopLimitRange,
        ),
        (
            Header {
                hop_limit: 255,
                ..base
            },
            DropReason::HopLimitRange,
        ),
        (
            Header {
                kind: PacketKind::Lossless,
                src_node: 1_000_000,
                ..base
            },
            DropReason::UnknownSource,
        ),
        (
            Header {
                kind: PacketKind::Multicast,
                dst: 0xef00_0001,
                ..base
            },
            DropReason::UnknownGroup,
        ),
    ];
    for (h, why) in cases {
        let before = n2.stats().drops(why);
        n2.handle_datagram(0, 1, &forged(Header { total_len: 2, ..h }, b"hi"));
        assert_eq!(n2.stats().drops(why), before + 1, "{h:?}");
        assert!(n2.poll_transmit().is_none(), "{h:?} was forwarded");
    }
    assert_eq!(n2.stats().packets_forwarded, 0);

    // A flood of valid-looking headers with random fields: only those naming known nodes and
    // a hop limit in range go on (the victim of issue 12 forwarded 168,700 of them).
    let mut rng = Lcg(12);
    let (mut plausible, mut sent) = (0, 0);
    for _ in 0..20_000 {
        let pick = |r: &mut Lcg| match r.next() % 4 {
            0 => 1 + r.next() % 3, // a real node id
            _ => r.next(),
        };
        let h = Header {
            kind: [PacketKind::Unicast, PacketKind::Lossless][rng.next() as usize % 2],
            hop_limit: rng.next() as u8,
            src_node: pick(&mut rng),
            dst: pick(&mut rng),
            src_port: rng.next() as u16,
            dst_port: rng.next() as u16,
            message_id: rng.next(),
            total_len: 4,
            ..base
        };
        if h.src_node == 0 || h.dst == 0 {
            continue;
        }
        sent += 1;
        let ok = (1..=3).contains(&h.src_node)
            && (h.dst == 1 || h.dst == 3) // 2 delivers what is for itself
            && (2..=DEFAULT_HOP_LIMIT).contains(&h.hop_limit);
        plausible += u64::from(ok);
        n2.handle_datagram(0, 1, &forged(h, b"junk"));
        while n2.poll_transmit().is_some() {}
    }
    let s = n2.stats();
    eprintln!(
        "random headers: {sent} sent, {} forwarded, unknown source {}, unknown destination {}, hop limit range {}",
        s.packets_forwarded,
        s.drops(DropReason::UnknownSource),
        s.drops(DropReason::UnknownDestination),
        s.drops(DropReason::HopLimitRange)
    );
    assert_eq!(s.packets_forwarded, plausible);
    // About 1/4 · 1/4 · 2/3 · 127/256 ≈ 2% are plausible (real ids both ends, hop limit in
    // 2..=128): well under 4% go on.
    assert!(
        s.packets_forwarded * 25 < sent,
        "{} of {sent}",
        s.packets_forwarded
    );
    // Honest traffic still flows (after what 2 took for itself, from known sources).
    while n2.poll_event().is_some() {}
    let data = payload(5000);
    let args = SendArgs {
        dst_node: 3,
        src_port: 1,
        dst_port: 2,
        payload: &data,
    };
    net.get_mut(&1).unwrap().send(0, args).unwrap();
    let got = run(&mut net, 0);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].1.payload, data);
}

#[test]
fn a_flooding_neighbour_cannot_stop_fragmented_traffic_to_a_node() {
    // 3 has two neighbours: 2 (on the way from 1) and 4, the attacker's address. 8 KiB
    // messages from 1 (15 fragments at MTU 600), 20 a second for 20 s, while 4 sends 275 tiny
    // two-fragment first pieces a second under forged source ids, 1's among them, and 3,000
    // random-source ones a second.
    let run_flood = |flood: bool| {
        let mut net = BTreeMap::from([
            (1, node(1, &[(2, 2), (3, 2)])),
            (2, node(2, &[(1, 1), (3, 3)])),
            (3, node(3, &[(1, 2), (2, 2), (4, 4)])),
        ]);
        let mut rng = Lcg(7);
        let (mut delivered, mut max_slots, mut max_bytes) = (0, 0, 0);
        let mut id = 0u32;
        for ms in 0..20_000u64 {
            let now = ms * 1_000;
            if flood {
                let n3 = net.get_mut(&3).unwrap();
                for k in 0..3 {
                    id += 1;
                    let src = if k == 0 && ms % 11 != 0 {
                        [1, 2, 4][rng.next() as usize % 3] // forged, known ids (~275/s)
                    } else {
                        rng.next() | 1 // random ids
                    };
                    let h = Header {
                        frag_count: 2,
                        total_len: 2,
                        message_id: id,
                        ..Header::originate(PacketKind::Unicast, src, 3, 9, 9)
                    };
                    n3.handle_datagram(now, 4, &forged(h, b"x"));
                }
            }
            if ms % 50 == 0 {
                let data = payload(8 * 1024);
                let args = SendArgs {
                    dst_node: 3,
                    src_port: 1,
                    dst_port: 2,
                    payload: &data,
                };
                net.get_mut(&1).unwrap().send(now, args).unwrap();
            }
            delivered += run(&mut net, now)
                .iter()
                .filter(|(at, d)| *at == 3 && d.src_node == 1 && d.payload.len() == 8 * 1024)
                .count();
            for n in net.values_mut() {
                if n.poll_timeout().is_some_and(|t| t <= now) {
                    n.handle_timeout(now);
                }
            }
            let r = net[&3].reassembler.stats();
            max_slots = max_slots.max(r.incomplete_messages);
            max_bytes = max_bytes.max(r.buffered_bytes);
        }
        (delivered, max_slots, max_bytes, net[&3].stats().clone())
    };
    let (base, ..) = run_flood(false);
    assert_eq!(base, 400);
    let (got, slots, bytes, s) = run_flood(true);
    eprintln!(
        "flood: {got}/400 delivered (flood-free {base}); peak {slots} slots, {bytes} bytes; evicted {}, unknown source {}",
        s.drops(DropReason::ReassemblyEvicted),
        s.drops(DropReason::UnknownSource)
    );
    assert!(got * 10 >= base * 9, "{got} of {base}");
    assert!(
        slots <= 1024 && bytes <= 1024 * 4096,
        "{slots} slots, {bytes} bytes"
    );
    assert!(s.drops(DropReason::ReassemblyEvicted) > 0);
    assert!(s.drops(DropReason::UnknownSource) > 40_000);
}

/// A stream from node 1 to node 3 through node 2, every link losing 5% and delaying 20 ms:
/// stream frames are forwarded and link-emulated like unicast, and every byte arrives once,
/// in order.
#[test]
fn stream_crosses_a_forwarding_node_over_lossy_links() {
    use crate::stream::{ConnId, Event as StreamEvent, Read};
    let mut net = line();
    for (id, n) in net.iter_mut() {
        for peer in [1u32, 2, 3].into_iter().filter(|p| p.abs_diff(*id) == 1) {
            let p = LinkParams {
                loss: 0.05,
                delay_us: 20_000,
                seed: u64::from(*id * 10 + peer),
                ..LinkParams::default()
            };
            n.set_link(0, peer, Some(p)).unwrap();
        }
    }
    net.get_mut(&3).unwrap().stream_mut().listen(8080).unwrap();
    let data = payload(300_000);
    let c = net
        .get_mut(&1)
        .unwrap()
        .with_stream(0, |ep, now| {
            let c = ep.connect(now, 3, 8080, None)?;
            assert_eq!(ep.write(now, c, &data)?, data.len());
            Ok::<_, crate::stream::StreamError>(c)
        })
        .unwrap();
    run_until(&mut net, 120_000_000, |n| {
        n[&3]
            .stream()
            .stats(ConnId(1))
            .is_ok_and(|s| s.bytes_received == data.len() as u64)
    });
    let ep3 = net.get_mut(&3).unwrap().stream_mut();
    assert_eq!(
        ep3.poll_event(),
        Some(StreamEvent::Accepted {
            listener: 8080,
            conn: ConnId(1)
        })
    );
    let info = ep3.info(ConnId(1)).unwrap();
    assert_eq!((info.remote_node, info.local_port), (1, 8080));
    let mut got = Vec::new();
    while let Ok(Read::Data(d)) = ep3.read(ConnId(1), 100_000) {
        got.extend(d);
    }
    assert!(
        got == data,
        "node 3 read {} bytes, not the {} sent",
        got.len(),
        data.len()
    );
    assert!(
        net[&2].stats().packets_forwarded > 0,
        "node 2 forwards the stream"
    );
    let lost: u64 = net
        .values()
        .map(|n| n.stats().drops(DropReason::LinkLoss))
        .sum();
    assert!(lost > 0, "the links lost nothing");
    assert!(net[&1].stream().stats(c).unwrap().retransmits > 0);
}

/// A stream into a slow link that holds the node's whole transmit queue: the engine waits for
/// the link (no busy loop asking to be woken at once) and the stream completes.
#[test]
fn a_stream_behind_a_full_transmit_queue_waits_for_the_link() {
    use crate::stream::{ConnId, Read};
    let mk = |id: u32, peer: u32| {
        let mut n = Node::new(NodeConfig {
            node_id: id,
            mtu: MTU,
            queue_capacity: 16,
            ..NodeConfig::default()
        })
        .unwrap();
        let mut t = RouteTable::new();
        t.set(None, peer, vec![peer]).unwrap();
        n.set_routes(t);
        n.set_neighbors([peer]);
        n
    };
    let mut net = BTreeMap::from([(1, mk(1, 2)), (2, mk(2, 1))]);
    let slow = LinkParams {
        rate: Some(100_000),
        bucket_size: 1_000,
        delay_us: 5_000,
        ..LinkParams::default()
    };
    net.get_mut(&1).unwrap().set_link(0, 2, Some(slow)).unwrap();
    net.get_mut(&2).unwrap().stream_mut().listen(9).unwrap();
    let data = payload(100_000);
    net.get_mut(&1).unwrap().with_stream(0, |ep, now| {
        let c = ep.connect(now, 2, 9, None).unwrap();
        assert_eq!(ep.write(now, c, &data).unwrap(), data.len());
    });
    let (mut now, mut wakeups_without_progress) = (0u64, 0u32);
    let mut got = Vec::new();
    while got.len() < data.len() {
        assert!(
            now < 10_000_000,
            "unfinished at {now} µs: {} of {} bytes",
            got.len(),
            data.len()
        );
        let mut moved = false;
        for id in [1u32, 2] {
            while let Some(t) = net.get_mut(&id).unwrap().poll_transmit() {
                moved = true;
                let to = t.next_hop;
                net.get_mut(&to)
                    .unwrap()
                    .handle_datagram(now, id, &t.datagram);
            }
        }
        let ep2 = net.get_mut(&2).unwrap().stream_mut();
        while let Ok(Read::Data(d)) = ep2.read(ConnId(1), 1 << 20) {
            got.extend(d);
        }
        if moved {
            continue;
        }
        let next = net.values().filter_map(|n| n.poll_timeout()).min().unwrap();
        if next <= now {
            wakeups_without_progress += 1;
            assert!(
                wakeups_without_progress < 1_000,
                "busy loop at {now} µs: the engine keeps asking to be woken now"
            );
        }
        now = now.max(next);
        for n in net.values_mut() {
            n.handle_timeout(now);
        }
    }
    assert!(got == data);
}

/// Data frames that arrive in one batch (one socket read) draw one ACK, not one each; frames
/// handled one by one still draw one each.
#[test]
fn a_batch_of_stream_frames_draws_one_ack() {
    let mut a = node(1, &[(2, 2)]);
    let mut b = node(2, &[(1, 1)]);
    b.stream_mut().listen(80).unwrap();
    let c = a
        .with_stream(0, |ep, now| ep.connect(now, 2, 80, None))
        .unwrap();
    // Handshake, one datagram at a time.
    for now in [1_000, 2_000, 3_000] {
        while let Some(t) = a.poll_transmit() {
            b.handle_datagram(now, 1, &t.datagram);
        }
        while let Some(t) = b.poll_transmit() {
            a.handle_datagram(now, 2, &t.datagram);
        }
    }
    let send_ten = |a: &mut Node, now: u64| {
        let mss = a.stream().mss() as usize;
        let n = a
            .with_stream(now, |ep, now| ep.write(now, c, &vec![7u8; 10 * mss]))
            .unwrap();
        assert_eq!(n, 10 * mss);
        let mut out = Vec::new();
        // Pacing may hold some back: step time until all ten left.
        for step in 0..100 {
            a.handle_timeout(now + step * 1_000);
            while let Some(t) = a.poll_transmit() {
                out.push(t.datagram);
            }
            if out.len() >= 10 {
                break;
            }
        }
        assert_eq!(out.len(), 10, "ten data frames");
        out
    };
    let frames = send_ten(&mut a, 10_000);
    b.handle_datagram_batch(200_000, frames.iter().map(|d| (1u32, d.as_slice())));
    let acks: Vec<_> = std::iter::from_fn(|| b.poll_transmit()).collect();
    assert_eq!(acks.len(), 1, "one ACK for a batch of ten");
    for t in &acks {
        a.handle_datagram(300_000, 2, &t.datagram);
    }
    let frames = send_ten(&mut a, 400_000);
    for d in &frames {
        b.handle_datagram(600_000, 1, d);
    }
    assert_eq!(
        std::iter::from_fn(|| b.poll_transmit()).count(),
        10,
        "one ACK each, unbatched"
    );
}
