//! Native fuzzing harness: mutation fuzzing of the core's decoders and of a two-engine
//! session (targets in `fuzz/targets.rs`, shared with the cargo-fuzz targets), on stable Rust
//! with a seeded mutator, so it runs anywhere `cargo test` does. Examples are not part of the
//! wasm build, so the clock is read here.
//!
//!   cargo run --release --example fuzz -- [--inputs N] [--seconds S] [--seed N] [--jobs N]
//!       [--target a,b] [--crash-dir DIR] [--json]
//!   cargo run --release --example fuzz -- --target NAME --replay FILE
//!
//! `--inputs` is the total over the targets, shared by their weights; `--seconds` bounds the
//! whole run (each target gets its weighted share of the time). A target that panics has its
//! input saved to `<crash-dir>/<target>-seed<seed>-<n>.bin` (path printed) and is stopped; the
//! run then exits 1. `scripts/fuzz.mjs` builds with `panic = "unwind"` so one crash does not
//! end the others. Prints one line per target with its inputs per second (or with --json one
//! JSON object: { seed, seconds, targets: [{ name, inputs, seconds, perSecond, crash }] }).

#[path = "../fuzz/targets.rs"]
mod targets;

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use targets::{mutate, Rng, Target, TARGETS};

thread_local! {
    /// The panic message of the last panic on this thread (the hook records it, quietly).
    static PANIC: RefCell<String> = const { RefCell::new(String::new()) };
}

struct Args {
    inputs: u64,
    seconds: f64,
    seed: u64,
    jobs: usize,
    targets: Vec<&'static Target>,
    crash_dir: PathBuf,
    json: bool,
    replay: Option<PathBuf>,
}

fn usage(msg: &str) -> ! {
    eprintln!("fuzz: {msg}");
    eprintln!("usage: fuzz [--inputs N] [--seconds S] [--seed N] [--jobs N] [--target a,b] [--crash-dir DIR] [--json] [--replay FILE]");
    let names: Vec<&str> = TARGETS.iter().map(|t| t.name).collect();
    eprintln!("targets: {}", names.join(", "));
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut a = Args {
        inputs: 1_000_000,
        seconds: 3600.0,
        seed: 1,
        jobs: 1,
        targets: TARGETS.iter().collect(),
        crash_dir: PathBuf::from("fuzz-crashes"),
        json: false,
        replay: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .unwrap_or_else(|| usage(&format!("{flag} needs a value")))
        };
        match flag.as_str() {
            "--inputs" => {
                a.inputs = value()
                    .replace('_', "")
                    .parse()
                    .unwrap_or_else(|_| usage("bad --inputs"))
            }
            "--seconds" => a.seconds = value().parse().unwrap_or_else(|_| usage("bad --seconds")),
            "--seed" => a.seed = value().parse().unwrap_or_else(|_| usage("bad --seed")),
            "--jobs" => {
                a.jobs = value()
                    .parse::<usize>()
                    .unwrap_or_else(|_| usage("bad --jobs"))
                    .max(1)
            }
            "--crash-dir" => a.crash_dir = PathBuf::from(value()),
            "--replay" => a.replay = Some(PathBuf::from(value())),
            "--json" => a.json = true,
            "--target" => {
                a.targets = value()
                    .split(',')
                    .map(|n| {
                        TARGETS
                            .iter()
                            .find(|t| t.name == n)
                            .unwrap_or_else(|| usage(&format!("no target {n}")))
                    })
                    .collect()
            }
            _ => usage(&format!("unknown argument {flag}")),
        }
    }
    a
}

struct Outcome {
    name: &'static str,
    inputs: u64,
    seconds: f64,
    crash: Option<(PathBuf, String)>,
}

/// Runs one input, catching a panic and returning its message.
fn run_one(t: &Target, input: &[u8]) -> Result<(), String> {
    std::panic::catch_unwind(|| (t.run)(input)).map_err(|_| PANIC.with(|p| p.borrow().clone()))
}

fn save_crash(dir: &Path, t: &Target, seed: u64, n: u64, input: &[u8]) -> PathBuf {
    let _ = std::fs::create_dir_all(dir);
    let path = dir.join(format!("{}-seed{seed}-{n}.bin", t.name));
    if let Err(e) = std::fs::write(&path, input) {
        eprintln!(
            "fuzz: could not save the crashing input to {}: {e}",
            path.display()
        );
    }
    path
}

/// Fuzzes one target for `inputs` inputs or until `deadline`.
fn campaign(t: &Target, seed: u64, inputs: u64, deadline: Instant, crash_dir: &Path) -> Outcome {
    // Per-target stream, so adding a target does not change the others' inputs.
    let name_hash = t.name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let mut rng = Rng::new(seed ^ name_hash);
    let mut pool: Vec<Vec<u8>> = (0..64).map(|_| (t.seed)(&mut rng)).collect();
    let mut input = Vec::with_capacity(t.max_len);
    let start = Instant::now();
    let mut n = 0u64;
    while n < inputs {
        if n % 256 == 0 {
            if Instant::now() >= deadline {
                break;
            }
            // Refresh the pool a little, so long campaigns see many valid shapes.
            let slot = rng.below(pool.len());
            pool[slot] = (t.seed)(&mut rng);
        }
        input.clear();
        match rng.below(32) {
            0 | 1 => {
                let len = rng.below(t.max_len.min(256) + 1);
                input.extend(rng.bytes(len));
            }
            2 => input.extend_from_slice(&pool[rng.below(pool.len())]),
            _ => {
                input.extend_from_slice(&pool[rng.below(pool.len())]);
                let other = &pool[rng.below(pool.len())];
                mutate(&mut rng, &mut input, other, t.max_len);
            }
        }
        n += 1;
        if let Err(msg) = run_one(t, &input) {
            let path = save_crash(crash_dir, t, seed, n, &input);
            return Outcome {
                name: t.name,
                inputs: n,
                seconds: start.elapsed().as_secs_f64(),
                crash: Some((path, msg)),
            };
        }
    }
    Outcome {
        name: t.name,
        inputs: n,
        seconds: start.elapsed().as_secs_f64(),
        crash: None,
    }
}

fn main() {
    let args = parse_args();
    std::panic::set_hook(Box::new(|info| {
        let msg = match (
            info.payload().downcast_ref::<&str>(),
            info.payload().downcast_ref::<String>(),
        ) {
            (Some(s), _) => (*s).to_string(),
            (_, Some(s)) => s.clone(),
            _ => "panic".to_string(),
        };
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        PANIC.with(|p| *p.borrow_mut() = format!("{msg}{at}"));
    }));
    if cfg!(panic = "abort") && args.replay.is_none() {
        eprintln!("fuzz: built with panic = \"abort\": a crash ends the run before its input is saved; scripts/fuzz.mjs builds with panic = \"unwind\"");
    }

    if let Some(file) = &args.replay {
        let [t] = args.targets[..] else {
            usage("--replay needs exactly one --target")
        };
        let input = std::fs::read(file)
            .unwrap_or_else(|e| usage(&format!("cannot read {}: {e}", file.display())));
        match run_one(t, &input) {
            Ok(()) => println!("replay {} on {}: no panic", file.display(), t.name),
            Err(msg) => {
                println!("replay {} on {}: PANIC {msg}", file.display(), t.name);
                std::process::exit(1);
            }
        }
        return;
    }

    let started = Instant::now();
    let end = started + Duration::from_secs_f64(args.seconds);
    let jobs = args.jobs.min(args.targets.len());
    let total_weight: u64 = args.targets.iter().map(|t| u64::from(t.weight)).sum();
    // Weight of the targets not started yet: time a target leaves unused goes to the next.
    let unstarted = Mutex::new(total_weight);
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(t) = args.targets.get(i) else { break };
                let w = u64::from(t.weight);
                let inputs =
                    ((args.inputs as f64 * w as f64 / total_weight as f64).ceil() as u64).max(1);
                let time_share = {
                    let mut left = unstarted.lock().unwrap();
                    let share = (w * jobs as u64) as f64 / *left as f64;
                    *left -= w;
                    share.min(1.0)
                };
                let deadline = Instant::now()
                    + end
                        .saturating_duration_since(Instant::now())
                        .mul_f64(time_share);
                let o = campaign(t, args.seed, inputs, deadline, &args.crash_dir);
                results.lock().unwrap().push((i, o));
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(i, _)| *i);
    let total: u64 = results.iter().map(|(_, o)| o.inputs).sum();
    let wall = started.elapsed().as_secs_f64();
    let crashed = results.iter().any(|(_, o)| o.crash.is_some());
    if args.json {
        let rows: Vec<String> = results
            .iter()
            .map(|(_, o)| {
                let crash = match &o.crash {
                    Some((p, m)) => format!("{{\"file\":{:?},\"message\":{:?}}}", p.display().to_string(), m),
                    None => "null".into(),
                };
                format!(
                    "{{\"name\":\"{}\",\"inputs\":{},\"seconds\":{:.3},\"perSecond\":{:.0},\"crash\":{crash}}}",
                    o.name,
                    o.inputs,
                    o.seconds,
                    o.inputs as f64 / o.seconds.max(1e-9)
                )
            })
            .collect();
        println!(
            "{{\"seed\":{},\"seconds\":{wall:.3},\"inputs\":{total},\"targets\":[{}]}}",
            args.seed,
            rows.join(",")
        );
    } else {
        for (_, o) in &results {
            println!(
                "{:<15} {:>12} inputs in {:>7.2} s  {:>10.0} inputs/s  {}",
                o.name,
                o.inputs,
                o.seconds,
                o.inputs as f64 / o.seconds.max(1e-9),
                if o.crash.is_some() { "CRASH" } else { "ok" }
            );
        }
        println!("total {total} inputs in {wall:.2} s (seed {})", args.seed);
    }
    for (_, o) in &results {
        if let Some((path, msg)) = &o.crash {
            eprintln!("fuzz: CRASH in {}: {msg}\n  input saved to {}\n  replay: cargo run --example fuzz -- --target {} --replay {}", o.name, path.display(), o.name, path.display());
        }
    }
    if crashed {
        std::process::exit(1);
    }
}
