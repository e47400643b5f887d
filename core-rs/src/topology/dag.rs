//! Depth-first search over a directed edge set, shared by explicit DAG routes and multicast
//! trees: finds an edge closing a cycle and the set of nodes reachable from given starts.

use std::collections::{BTreeMap, BTreeSet};

/// Directed adjacency with sorted out-lists, so the search order (and therefore which edge an
/// error names) is deterministic.
pub(crate) fn out_lists(edges: &[(u32, u32)]) -> BTreeMap<u32, Vec<u32>> {
    let mut out: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for &(a, b) in edges {
        out.entry(a).or_default().push(b);
    }
    for list in out.values_mut() {
        list.sort_unstable();
        list.dedup();
    }
    out
}

/// Visits everything reachable from `starts` (in order). Returns the visited set, or the first
/// edge found that points back to a node still on the DFS stack: that edge closes a cycle.
/// Iterative so a long path cannot overflow the (small, on wasm) stack.
pub(crate) fn dfs(
    out: &BTreeMap<u32, Vec<u32>>,
    starts: impl IntoIterator<Item = u32>,
) -> Result<BTreeSet<u32>, (u32, u32)> {
    let mut done = BTreeSet::new();
    let mut on_stack = BTreeSet::new();
    for start in starts {
        if done.contains(&start) {
            continue;
        }
        let mut stack: Vec<(u32, usize)> = vec![(start, 0)];
        on_stack.insert(start);
        while let Some((node, next)) = stack.last_mut() {
            let node = *node;
            let children = out.get(&node).map(Vec::as_slice).unwrap_or(&[]);
            if let Some(&child) = children.get(*next) {
                *next += 1;
                if on_stack.contains(&child) {
                    return Err((node, child));
                }
                if !done.contains(&child) {
                    on_stack.insert(child);
                    stack.push((child, 0));
                }
            } else {
                stack.pop();
                on_stack.remove(&node);
                done.insert(node);
            }
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_reachable_set_and_back_edges() {
        let out = out_lists(&[(1, 2), (2, 3), (1, 3), (4, 5)]);
        assert_eq!(dfs(&out, [1]).unwrap(), BTreeSet::from([1, 2, 3]));
        assert_eq!(dfs(&out, [1, 4]).unwrap().len(), 5);
        let cyc = out_lists(&[(1, 2), (2, 3), (3, 1)]);
        assert_eq!(dfs(&cyc, [1]), Err((3, 1)));
        // A diamond is not a cycle even though node 4 is reached twice.
        let diamond = out_lists(&[(1, 2), (1, 3), (2, 4), (3, 4)]);
        assert!(dfs(&diamond, [1]).is_ok());
        // Long chains do not recurse.
        let chain: Vec<_> = (1..200_000u32).map(|i| (i, i + 1)).collect();
        assert_eq!(dfs(&out_lists(&chain), [1]).unwrap().len(), 200_000);
    }
}
